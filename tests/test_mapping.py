"""Map: an Extraction becomes the quads of its named graph, with the contract's terms;
page-controlled URLs that are not http(s) IRIs are left out with a reason."""
from __future__ import annotations

from datetime import date, datetime, timezone

import pyoxigraph as ox

from claimgraph.iris import Iris
from claimgraph.mapping import map_extraction
from claimgraph.model import (
    Affiliation, Block, BlockKind, Citation, Claim, Comment, Education, Entity, EntityKind,
    Extraction, Mention, Modality, OrgKind, ParsedPage, SourceDocument,
)

IRIS = Iris("http://127.0.0.1:8000/id/")
S = "http://schema.org/"


def sample_extraction() -> Extraction:
    body = 'Seoul thinks "alliances" could lead to war.\n\nA second paragraph.'
    page = ParsedPage(
        title="A \"quoted\" title", standfirst=None, section=None,
        blocks=[Block(BlockKind.PARAGRAPH, body[:43], 0, 43)], body_text=body, captions=[],
        byline_names=["Dr. Jane DOE"], bios=[], footnotes=[], comments=[], translations=["Türkçe"],
    )
    source = SourceDocument("doc-1", "inbox/doc-1.txt", body, "ab" * 32, "text/plain",
                            datetime(2026, 1, 1, tzinfo=timezone.utc), 100, "en", "Example Institute")
    ex = Extraction(source=source, page=page, headline=page.title, author_keys=["person/jane-doe"],
                    publisher_key="org/example-institute")
    ex.add_entity(Entity("person/jane-doe", EntityKind.PERSON, "Jane Doe", honorific_prefix="Dr."))
    ex.add_entity(Entity("org/example-institute", EntityKind.ORGANIZATION, "Example Institute", org_kind=OrgKind.THINK_TANK))
    ex.add_entity(Entity("state/KOR", EntityKind.STATE, "South Korea", wikidata="Q884"))
    ex.mentions.append(Mention("state/KOR", 0, 5, "Seoul", how="metonym"))
    ex.claims.append(Claim(body[:43], 0, 43, "state/KOR", ["state/KOR"], Modality.HEDGED, attributed=True))
    ex.affiliations.append(Affiliation("person/jane-doe", "org/example-institute", role="Senior Fellow", start_year=2019))
    ex.educations.append(Education("person/jane-doe", "org/example-institute", degree="PhD", year=2010, thesis_title="On \\ things"))
    ex.citations += [Citation(1, "A report", "org/example-institute", date(2023, 3, 23)), Citation(2, "A report", same_as=1)]
    ex.comments.append(Comment(1, "reader42", datetime(2023, 5, 9, 18, 56), "I disagree.\n\nStrongly."))
    return ex


def mapped():
    graph = map_extraction(sample_extraction(), IRIS, run_iri=IRIS.run("r1"),
                           run_started=datetime(2026, 1, 1, tzinfo=timezone.utc), flow_run_id="r1",
                           article_kind="analysis", closure=lambda c: (c,))
    store = ox.Store()
    store.load(graph.ntriples, format=ox.RdfFormat.N_TRIPLES)  # Oxigraph's own serialisation reads back
    return graph, store


def ask(store, where: str) -> bool:
    return bool(store.query(f"PREFIX schema: <{S}> PREFIX cg: <https://w3id.org/claimgraph/ontology#> "
                            f"PREFIX prov: <http://www.w3.org/ns/prov#> ASK {{ {where} }}"))


def test_output_parses_and_counts_match():
    graph, store = mapped()
    assert len(store) == graph.triple_count
    assert graph.graph_iri == "http://127.0.0.1:8000/id/graph/doc-1"


def test_article_author_publisher_and_provenance():
    _, store = mapped()
    a = "<http://127.0.0.1:8000/id/article/doc-1>"
    assert ask(store, f'{a} a schema:AnalysisNewsArticle ; schema:headline "A \\"quoted\\" title" ; '
                      f'schema:author/schema:name "Jane Doe" ; schema:publisher/schema:name "Example Institute"')
    assert ask(store, f"{a} prov:wasDerivedFrom <http://127.0.0.1:8000/id/src/doc-1> ; prov:wasGeneratedBy ?run . "
                      '?run cg:flowRunId "r1"')
    assert ask(store, f'{a} schema:workTranslation [ schema:inLanguage "tr" ; schema:name "Türkçe" ]')


def test_mentions_claims_and_wikidata():
    _, store = mapped()
    assert ask(store, "?a schema:mentions ?s . ?s a schema:Country ; schema:name \"South Korea\" ; "
                      "<http://www.w3.org/2002/07/owl#sameAs> <http://www.wikidata.org/entity/Q884>")
    assert ask(store, "?c a schema:Claim ; schema:author <http://127.0.0.1:8000/id/state/KOR> ; "
                      "cg:modality cg:Hedged ; cg:attributed true ; cg:textSpan ?span . "
                      "?span <http://persistence.uni-leipzig.org/nlp2rdf/ontologies/nif-core#endIndex> 43")
    # authors are not "mentioned" by their own article
    assert not ask(store, "?a schema:mentions <http://127.0.0.1:8000/id/person/jane-doe>")


def test_affiliation_education_citations_comments():
    _, store = mapped()
    p = "<http://127.0.0.1:8000/id/person/jane-doe>"
    assert ask(store, f'{p} schema:affiliation ?o ; schema:alumniOf ?o ; schema:honorificPrefix "Dr." . '
                      '?m <http://www.w3.org/ns/org#member> ' + p + ' ; schema:roleName "Senior Fellow" ; '
                      'schema:startDate "2019"^^<http://www.w3.org/2001/XMLSchema#gYear>')
    assert ask(store, f'{p} schema:hasCredential [ schema:credentialCategory "PhD" ; cg:thesis [ schema:name "On \\\\ things" ] ]')
    works = list(store.query(f"PREFIX schema: <{S}> SELECT DISTINCT ?w WHERE {{ ?a schema:citation ?w }}"))
    assert len(works) == 1  # the repeated note points to the same work
    assert ask(store, '?w cg:accessDate "2023-03-23"^^<http://www.w3.org/2001/XMLSchema#date>')
    assert ask(store, '?a schema:comment [ a schema:Comment ; schema:author/schema:name "reader42" ; '
                      'schema:dateCreated "2023-05-09T18:56:00"^^<http://www.w3.org/2001/XMLSchema#dateTime> ; '
                      'schema:text "I disagree.\\n\\nStrongly." ]')


def test_page_controlled_urls_that_are_not_http_iris_are_dropped_with_a_reason():
    ex = sample_extraction()
    bad = ["javascript:alert(1)", 'http://x.org/> . } } ; DROP ALL ; INSERT DATA { <a> <b> <c> } #',
           "https://example.org/a{b}|c^d`e"]
    ex.citations = [Citation(i + 1, f"Report {i}", url=u) for i, u in enumerate(bad)]
    ex.citations.append(Citation(9, "Good report", url="https://example.org/report?id=1"))
    ex.source = type(ex.source)(**{**ex.source.__dict__, "url": "javascript:alert(1)"})
    dropped = []
    graph = map_extraction(ex, IRIS, run_iri=IRIS.run("r1"), run_started=datetime(2026, 1, 1, tzinfo=timezone.utc),
                           closure=lambda c: (c,), dropped=dropped)
    urls = {q.object.value for q in graph.quads if q.predicate.value == S + "url"}
    assert urls == {"https://example.org/report?id=1"}  # a saved file has no public URL: no file:// IRI either
    assert len(dropped) == 4 and all(d.reason for d in dropped)
    assert any("javascript:alert(1)" in d.reason and "page's own URL" in d.what for d in dropped)
    assert any("cited work 2" in d.what for d in dropped)  # the injection attempt, named
    store = ox.Store()
    store.extend(graph.quads)
    assert len(store) == graph.triple_count  # nothing else was written, nothing dropped silently
