"""Linked-data pages (`/id/...`), the ontology (`/ontology`) and the VoID description,
over the real server on a store shaped like the mapping's output (one article graph
with a person, a think tank, a state with a NIF mention, a claim, a Wikidata link).
The page builders are also tested as plain functions."""
from __future__ import annotations

import re

import httpx
import pyoxigraph as ox
import pytest

from claimgraph.api import linked_data as ld
from claimgraph.api import void
from claimgraph.stores import OxigraphStore
from test_api import Server, make_store

pytestmark = pytest.mark.slow

BASE = "http://127.0.0.1:8000/id/"
GRAPH = BASE + "graph/doc1"
CHN, JANE, TANK, ARTICLE = BASE + "state/CHN", BASE + "person/jane-doe", BASE + "org/think%20tank", BASE + "article/doc1"
TEXT = "The Quad met in Tokyo. Analysts say China is worried about encirclement. Nothing else happened."
DOC = f"""@prefix schema: <http://schema.org/> .
@prefix nif: <http://persistence.uni-leipzig.org/nlp2rdf/ontologies/nif-core#> .
@prefix itsrdf: <http://www.w3.org/2005/11/its/rdf#> .
@prefix owl: <http://www.w3.org/2002/07/owl#> .
@prefix cg: <https://w3id.org/claimgraph/ontology#> .
@prefix xsd: <http://www.w3.org/2001/XMLSchema#> .
@base <{BASE}> .
<article/doc1> a schema:AnalysisNewsArticle, schema:Article ; schema:headline "China and the Quad" ;
  schema:author <person/jane-doe> ; schema:mentions <state/CHN> .
<person/jane-doe> a schema:Person ; schema:name "Jane Doe" ; schema:affiliation <org/think%20tank> ;
  schema:hasCredential [ a schema:EducationalOccupationalCredential ; schema:name "PhD in <b>Politics</b>" ] .
<org/think%20tank> a cg:ThinkTank, schema:Organization ; schema:name "Think Tank" .
<state/CHN> a schema:Country ; schema:name "China"@en ; owl:sameAs <http://www.wikidata.org/entity/Q148> .
<article/doc1/body> a nif:Context ; nif:isString "{TEXT}" ; nif:sourceUrl <article/doc1> .
<article/doc1/body#char=36,41> a nif:Phrase, cg:Mention ; nif:referenceContext <article/doc1/body> ;
  nif:beginIndex "36"^^xsd:nonNegativeInteger ; nif:endIndex "41"^^xsd:nonNegativeInteger ; nif:anchorOf "China" ;
  itsrdf:taIdentRef <state/CHN> .
<article/doc1/claim/1> a schema:Claim ; schema:text "China is worried about encirclement" ;
  schema:author <person/jane-doe> ; schema:about <state/CHN> ; schema:appearance <article/doc1> .
"""


def doc_ntriples() -> str:
    quads = ox.parse(DOC.encode(), format=ox.RdfFormat.TURTLE)
    return ox.serialize([q.triple for q in quads], format=ox.RdfFormat.N_TRIPLES).decode()


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    root = tmp_path_factory.mktemp("ld")
    make_store(root / "store", {GRAPH: doc_ntriples()})
    srv = Server(root / "store", root / "uvicorn.log")
    yield srv
    srv.stop()


@pytest.fixture(scope="module")
def client(server):
    with httpx.Client(base_url=server.base, timeout=30) as c:
        yield c


@pytest.fixture(scope="module")
def native():
    store = ox.Store()
    store.load(doc_ntriples(), format=ox.RdfFormat.N_TRIPLES, to_graph=ox.NamedNode(GRAPH))
    return store


def path(iri: str) -> str:
    return iri[len("http://127.0.0.1:8000"):]


# ----------------------------------------------------------------------------- entity pages over HTTP


def test_entity_html_page(client):
    r = client.get(path(CHN), headers={"Accept": "text/html,application/xhtml+xml,*/*;q=0.8"})
    assert r.status_code == 200 and r.headers["content-type"] == "text/html; charset=utf-8"
    html = r.text
    assert "<h1>China</h1>" in html
    assert 'href="http://www.wikidata.org/entity/Q148"' in html  # the Wikidata link
    assert "Analysts say <mark>China</mark> is worried about encirclement." in html  # the mention's sentence
    assert "The Quad met in Tokyo" not in html  # only the sentence, not the whole text
    assert "China is worried about encirclement" in html and 'href="/id/person/jane-doe">Jane Doe</a>' in html
    assert 'href="/id/article/doc1">China and the Quad</a>' in html  # incoming link, labelled
    assert 'href="/id/graph/doc1"' in html


def test_entity_page_escapes_and_follows_blank_nodes(client):
    html = client.get(path(JANE), headers={"Accept": "text/html"}).text
    assert "PhD in &lt;b&gt;Politics&lt;/b&gt;" in html and "<b>Politics</b>" not in html
    assert 'href="/id/org/think%20tank">Think Tank</a>' in html
    assert 'href="/ontology#ThinkTank"' not in html  # types of other nodes are not shown here
    r = client.get("/id/org/think%20tank", headers={"Accept": "text/html"})
    assert r.status_code == 200 and "<h1>Think Tank</h1>" in r.text
    assert 'href="/ontology#ThinkTank"' in r.text  # cg: terms link to the ontology page


@pytest.mark.parametrize("media, fmt", [("text/turtle", ox.RdfFormat.TURTLE),
                                        ("application/ld+json", ox.RdfFormat.JSON_LD),
                                        ("application/n-triples", ox.RdfFormat.N_TRIPLES),
                                        ("application/rdf+xml", ox.RdfFormat.RDF_XML)])
def test_entity_rdf_is_the_concise_bounded_description(client, media, fmt):
    r = client.get(path(JANE), headers={"Accept": media})
    assert r.status_code == 200 and r.headers["content-type"] == f"{media}; charset=utf-8"
    assert r.headers["vary"] == "Accept"
    triples = {q.triple for q in ox.parse(r.content, format=fmt)}
    jane = ox.NamedNode(JANE)
    name = ox.NamedNode("http://schema.org/name")
    assert ox.Triple(jane, name, ox.Literal("Jane Doe")) in triples
    cred = next(t.object for t in triples if t.subject == jane and t.predicate.value.endswith("hasCredential"))
    assert isinstance(cred, ox.BlankNode)  # the blank node is followed ...
    assert ox.Triple(cred, name, ox.Literal("PhD in <b>Politics</b>")) in triples  # ... to its own triples
    assert ox.Triple(ox.NamedNode(ARTICLE), ox.NamedNode("http://schema.org/author"), jane) in triples  # incoming
    assert not any(t.subject == ox.NamedNode(CHN) for t in triples)  # not other entities' descriptions


def test_format_parameter_and_default(client):
    assert client.get(path(CHN), params={"format": "turtle"}).headers["content-type"].startswith("text/turtle")
    assert client.get(path(CHN), params={"format": "jsonld"}).headers["content-type"].startswith(
        "application/ld+json")
    assert client.get(path(CHN)).headers["content-type"].startswith("text/html")  # no Accept: the page
    assert client.get(path(CHN), headers={"Accept": "image/png"}).status_code == 406


def test_unknown_iri_is_404(client):
    r = client.get("/id/person/nobody", headers={"Accept": "text/html"})
    assert r.status_code == 404 and "Nothing known" in r.text
    r = client.get("/id/person/nobody", headers={"Accept": "text/turtle"})
    assert r.status_code == 404


def test_graph_iri_and_fragment_iris_resolve(client):
    r = client.get("/id/graph/doc1", headers={"Accept": "text/html"})
    assert r.status_code == 200 and "named graph of" in r.text
    # a mention span's IRI has a fragment: the browser asks for the context, which exists
    r = client.get("/id/article/doc1/body", headers={"Accept": "text/html"})
    assert r.status_code == 200 and "Analysts say" in r.text


def test_head(client):
    r = client.head(path(CHN), headers={"Accept": "text/turtle"})
    assert r.status_code == 200 and r.content == b"" and r.headers["content-type"].startswith("text/turtle")


# ----------------------------------------------------------------------------- the ontology


def test_ontology_html_documents_terms(client):
    r = client.get("/ontology", headers={"Accept": "text/html"})
    assert r.status_code == 200
    html = r.text
    assert "ClaimGraph ontology" in html
    section = re.search(r"<section class=[\"']term[\"'] id=[\"']ThinkTank[\"']>(.*?)</section>", html, re.S)
    assert section, "cg:ThinkTank has its own section, anchored by its local name"
    assert "Think tank" in section.group(1) and "schema:ResearchOrganization" in section.group(1)
    assert "A research organization" in section.group(1)  # the comment
    assert "Properties (" in html and "Classes (" in html


@pytest.mark.parametrize("media, fmt", [("text/turtle", ox.RdfFormat.TURTLE),
                                        ("application/ld+json", ox.RdfFormat.JSON_LD),
                                        ("application/n-triples", ox.RdfFormat.N_TRIPLES),
                                        ("application/rdf+xml", ox.RdfFormat.RDF_XML)])
def test_ontology_rdf(client, media, fmt):
    r = client.get("/ontology", headers={"Accept": media})
    assert r.status_code == 200 and r.headers["content-type"].startswith(media)
    triples = {q.triple for q in ox.parse(r.content, format=fmt)}
    assert ox.Triple(ox.NamedNode("https://w3id.org/claimgraph/ontology"),
                     ox.NamedNode("http://www.w3.org/1999/02/22-rdf-syntax-ns#type"),
                     ox.NamedNode("http://www.w3.org/2002/07/owl#Ontology")) in triples
    assert len(triples) > 300


def test_ontology_turtle_is_the_file(client):
    from claimgraph.ontology import ontology_path

    assert client.get("/ontology", headers={"Accept": "text/turtle"}).content == ontology_path().read_bytes()


# ----------------------------------------------------------------------------- VoID


def test_void_counts(client, native):
    r = client.get("/.well-known/void", headers={"Accept": "text/turtle"})
    assert r.status_code == 200 and r.headers["content-type"] == "text/turtle; charset=utf-8"
    triples = {q.triple for q in ox.parse(r.content, format=ox.RdfFormat.TURTLE)}
    ds = ox.NamedNode(str(client.base_url).rstrip("/") + "/.well-known/void#dataset")

    def value(s, p):
        return next(int(t.object.value) for t in triples if t.subject == s and t.predicate.value == void.VOID + p)

    assert value(ds, "triples") == len(native)
    assert value(ds, "documents") == 1
    linkset = next(t.object for t in triples if t.subject == ds and t.predicate.value == void.VOID + "subset"
                   and any(u.subject == t.object and u.object.value == void.VOID + "Linkset" for u in triples))
    assert value(linkset, "triples") == 1  # China owl:sameAs wd:Q148
    parts = {next(u.object.value for u in triples if u.subject == t.object and u.predicate.value == void.VOID + "class"):
             value(t.object, "entities")
             for t in triples if t.subject == ds and t.predicate.value == void.VOID + "classPartition"}
    assert parts["http://schema.org/Person"] == 1 and parts["http://schema.org/Country"] == 1
    assert any(t.predicate.value == void.VOID + "sparqlEndpoint" and t.object.value.endswith("/sparql")
               for t in triples)


def test_void_negotiated(client):
    assert client.get("/.well-known/void", headers={"Accept": "application/ld+json"}).headers[
        "content-type"].startswith("application/ld+json")
    r = client.get("/.well-known/void", headers={"Accept": "text/html"})
    assert r.status_code == 200 and "owl:sameAs links to Wikidata" in r.text


# ----------------------------------------------------------------------------- plain functions


def test_describe_entity(native):
    view = ld.describe_entity(native, CHN)
    assert view.exists and view.label() == "China"
    assert view.mention_count == 1 and view.mentions[0].text == "China"
    assert view.mentions[0].headline == "China and the Quad"
    assert [c.text for c in view.claims_about] == ["China is worried about encirclement"]
    assert view.graphs == [GRAPH]
    assert not ld.describe_entity(native, BASE + "nothing").exists


def test_sentence_around():
    assert ld.sentence_around(TEXT, 36, 41) == ("Analysts say ", "China", " is worried about encirclement.")
    assert ld.sentence_around(TEXT, 4, 8) == ("The ", "Quad", " met in Tokyo.")
    before, m, after = ld.sentence_around("x" * 1000 + " Word " + "y" * 1000, 1001, 1005)
    assert m == "Word" and before.startswith("…") and after.endswith("…") and len(before) < 400


def test_links_map_our_iris_to_this_server():
    links = ld.Links(BASE)
    assert links.href(CHN) == "/id/state/CHN"
    assert links.href("https://w3id.org/claimgraph/ontology#ThinkTank") == "/ontology#ThinkTank"
    assert links.href("http://schema.org/Person") == "http://schema.org/Person"
    assert ld.Links("https://kg.example.org/").href("https://kg.example.org/x") == "/x"


def test_refresh_void_and_invalidation(tmp_path):
    store = OxigraphStore(tmp_path / "s")
    try:
        store.replace_graph(GRAPH, doc_ntriples())
        first = void.refresh_void(store, BASE)
        assert void.void_stats(store, BASE) is first  # cached
        store.update(f"INSERT DATA {{ GRAPH <{GRAPH}> {{ <{BASE}x> <{BASE}p> 1 }} }}")
        assert void.void_stats(store, BASE) is first  # a direct write: stale until refreshed ...
        second = void.refresh_void(store, BASE)  # ... which the ingest does
        assert second.triples == first.triples + 1
        void.invalidate_void(store)  # what every API write does
        assert void.void_stats(store, BASE) is not second
    finally:
        store.close()


def test_entity_page_renders_page_content_inert(native):
    """Templates escape every value, and only http(s) targets become links."""
    evil = ox.NamedNode(BASE + "person/evil")
    g = ox.NamedNode(GRAPH)
    native.extend([
        ox.Quad(evil, ox.NamedNode("http://schema.org/name"), ox.Literal("<script>alert(1)</script>"), g),
        ox.Quad(evil, ox.NamedNode("http://schema.org/url"), ox.NamedNode("javascript:alert(1)"), g),
        ox.Quad(evil, ox.NamedNode("http://schema.org/sameAs"), ox.NamedNode("https://example.org/evil"), g),
    ])
    html = ld.entity_html(ld.describe_entity(native, evil.value), ld.Links(BASE))
    assert "<script>alert" not in html and "&lt;script&gt;alert(1)&lt;/script&gt;" in html
    assert 'href="javascript:' not in html and "javascript:alert(1)" in html  # shown, not linked
    assert 'href="https://example.org/evil"' in html
