"""The ontology loads, is documented and aligned, HermiT finds it consistent,
its class hierarchy materialises as expected, and SHACL accepts a document
graph that follows the mapping's patterns and rejects broken ones."""
from __future__ import annotations

import re

import pytest
import rdflib
from rdflib.namespace import OWL, RDF, RDFS, SKOS

from claimgraph import ontology, vocab

CG = vocab.CG
SCHEMA = vocab.SCHEMA
BUILTIN = (vocab.RDF, vocab.RDFS, vocab.OWL, vocab.XSD)
DECLARATION_TYPES = {OWL.Class, OWL.ObjectProperty, OWL.DatatypeProperty, OWL.AnnotationProperty,
                     OWL.NamedIndividual, SKOS.ConceptScheme}


@pytest.fixture(scope="module")
def g() -> rdflib.Graph:
    return ontology.load_ontology_graph()


def declared(g: rdflib.Graph) -> set[str]:
    return {str(s) for t in DECLARATION_TYPES for s in g.subjects(RDF.type, t)
            if isinstance(s, rdflib.URIRef)}


# ------------------------------------------------------------- structure


def test_ontology_parses_with_its_iri(g: rdflib.Graph) -> None:
    assert ontology.ontology_path().name == "claimgraph.ttl"
    assert (rdflib.URIRef(vocab.ONTOLOGY_GRAPH), RDF.type, OWL.Ontology) in g
    assert len(g) > 300
    # N-Triples round-trips to the same graph (this is what owlready2 reads).
    again = rdflib.Graph().parse(data=ontology.ontology_ntriples(), format="nt")
    assert len(again) == len(g)


def test_every_declared_term_has_label_and_comment(g: rdflib.Graph) -> None:
    missing = [t for t in sorted(declared(g))
               if g.value(rdflib.URIRef(t), RDFS.label) is None
               or g.value(rdflib.URIRef(t), RDFS.comment) is None]
    assert not missing, f"terms without rdfs:label or rdfs:comment: {missing}"


def test_every_used_term_is_declared_locally(g: rdflib.Graph) -> None:
    used = {str(n) for triple in g for n in triple if isinstance(n, rdflib.URIRef)}
    used -= {vocab.ONTOLOGY_GRAPH}
    undeclared = sorted(u for u in used - declared(g) if not u.startswith(BUILTIN))
    assert not undeclared, f"used but not declared: {undeclared}"


def test_every_cg_term_specialises_a_standard_term(g: rdflib.Graph) -> None:
    problems = []
    for term in sorted(t for t in declared(g) if t.startswith(CG)):
        node = rdflib.URIRef(term)
        supers = set(g.objects(node, RDFS.subClassOf)) | set(g.objects(node, RDFS.subPropertyOf))
        if (node, RDF.type, OWL.Class) in g or set(g.objects(node, RDF.type)) & {
                OWL.ObjectProperty, OWL.DatatypeProperty}:
            if not any(isinstance(s, rdflib.URIRef) and not str(s).startswith(CG) for s in supers):
                problems.append(term)
        else:  # individuals: typed with a class that is itself aligned
            types = {str(t) for t in g.objects(node, RDF.type)} - {str(OWL.NamedIndividual)}
            if not types:
                problems.append(term)
    assert not problems, f"cg: terms without a standard super-term: {problems}"


def _vocab_terms() -> set[str]:
    namespaces = set(vocab.PREFIXES.values())
    terms = {v for k, v in vars(vocab).items()
             if k.isupper() and isinstance(v, str) and v not in namespaces
             and v != vocab.ONTOLOGY_GRAPH and re.match(r"https?://", v)}
    return terms | set(vocab.MODALITIES.values())


def test_every_vocab_term_is_declared(g: rdflib.Graph) -> None:
    missing = sorted(_vocab_terms() - declared(g))
    assert not missing, f"vocab.py terms missing from the ontology: {missing}"


def test_modalities_form_a_skos_scheme(g: rdflib.Graph) -> None:
    scheme = rdflib.URIRef(CG + "ModalityScheme")
    for iri in vocab.MODALITIES.values():
        m = rdflib.URIRef(iri)
        assert (m, RDF.type, rdflib.URIRef(vocab.MODALITY)) in g
        assert (m, SKOS.inScheme, scheme) in g
        assert (scheme, SKOS.hasTopConcept, m) in g


def test_claim_author_has_no_restrictive_range(g: rdflib.Graph) -> None:
    # A claim's holder may be a person, organization, state or opinion group.
    assert g.value(rdflib.URIRef(SCHEMA + "author"), RDFS.range) is None


# ---------------------------------------------------------------- HermiT


@pytest.mark.needs("java")
def test_hermit_finds_the_ontology_consistent() -> None:
    report = ontology.check_with_hermit()
    assert report.consistent
    assert report.unsatisfiable == []
    assert report.seconds > 0


@pytest.mark.needs("java")
def test_hermit_reports_unsatisfiable_classes_and_inconsistency(
        monkeypatch: pytest.MonkeyPatch) -> None:
    # The disjointness axioms are what make the check mean something.
    base = ontology.ontology_ntriples()
    sub = str(RDFS.subClassOf)
    bad = (f"<{CG}Bad> <{RDF.type}> <{OWL.Class}> .\n"
           f"<{CG}Bad> <{sub}> <{vocab.THINK_TANK}> .\n<{CG}Bad> <{sub}> <{vocab.REGION}> .\n")
    monkeypatch.setattr(ontology, "ontology_ntriples", lambda: base + bad)
    report = ontology.check_with_hermit()
    assert report.consistent and report.unsatisfiable == [CG + "Bad"]

    clash = (f"<{CG}x> <{RDF.type}> <{OWL.NamedIndividual}> .\n"
             f"<{CG}x> <{RDF.type}> <{vocab.PERSON}> .\n<{CG}x> <{RDF.type}> <{vocab.COUNTRY}> .\n")
    monkeypatch.setattr(ontology, "ontology_ntriples", lambda: base + clash)
    assert ontology.check_with_hermit().consistent is False


def test_hermit_without_java_says_so(monkeypatch: pytest.MonkeyPatch) -> None:
    import owlready2

    monkeypatch.setattr(owlready2, "JAVA_EXE", "no-such-java-xyz")
    with pytest.raises(ontology.JavaNotFoundError, match="default-jre-headless"):
        ontology.check_with_hermit()


# --------------------------------------------------------- materialising


@pytest.mark.parametrize("sub, sup", [
    (vocab.THINK_TANK, vocab.ORGANIZATION),
    (vocab.ANALYSIS_ARTICLE, vocab.ARTICLE),
    (vocab.OPINION_ARTICLE, vocab.ARTICLE),
    (vocab.ANALYSIS_ARTICLE, vocab.PROV_ENTITY),
    (vocab.HISTORICAL_STATE, vocab.SCHEMA + "AdministrativeArea"),  # beside schema:Country, not under it
    (vocab.UNIVERSITY, vocab.ORGANIZATION),
    (vocab.POLITICAL_GROUP, vocab.ORGANIZATION),
    (vocab.INTERNATIONAL_ORGANIZATION, vocab.ORGANIZATION),
    (vocab.COUNTRY, vocab.PLACE),
    (vocab.REGION, vocab.PLACE),
    (vocab.ETL_RUN, vocab.PROV_ACTIVITY),
    (vocab.MENTION, vocab.NIF_PHRASE),
    (vocab.EDUCATION, vocab.CREDENTIAL),
    (vocab.PERSON, vocab.PROV + "Agent"),
    (vocab.ORGANIZATION, vocab.FOAF + "Organization"),  # via org:Organization = foaf:Organization
])
def test_superclass_closure(sub: str, sup: str) -> None:
    closure = ontology.superclass_closure()
    assert sub in closure[sub]
    assert sup in closure[sub]


def test_closure_keeps_kinds_apart() -> None:
    closure = ontology.superclass_closure()
    assert vocab.ORGANIZATION not in closure[vocab.OPINION_GROUP]
    assert vocab.ORGANIZATION not in closure[vocab.COUNTRY]
    assert vocab.ARTICLE not in closure[vocab.CLAIM]
    assert all(not c.startswith("_:") and "Nothing" not in c and "Thing" != c.rsplit("#")[-1]
               for sups in closure.values() for c in sups)


def test_materialise_types() -> None:
    types = ontology.materialise_types([vocab.THINK_TANK, "http://example.org/Unknown"])
    assert {vocab.THINK_TANK, SCHEMA + "ResearchOrganization", vocab.ORGANIZATION,
            "http://example.org/Unknown"} <= types
    assert vocab.PERSON not in types


# ------------------------------------------------------------------ SHACL

PREFIX = {"schema": SCHEMA, "prov": vocab.PROV, "cg": CG, "nif": vocab.NIF,
          "itsrdf": vocab.ITSRDF, "org": vocab.ORG, "rdf": vocab.RDF, "xsd": vocab.XSD,
          "skos": vocab.SKOS, "wd": vocab.WD, "id": "http://127.0.0.1:8000/id/"}


def nt(text: str) -> str:
    """N-Triples with `<prefix:local>` shorthand expanded (keeps the fixture readable)."""
    def expand(m: re.Match[str]) -> str:
        prefix, local = m.group(1), m.group(2)
        return f"<{PREFIX[prefix]}{local}>" if prefix in PREFIX else m.group(0)
    return re.sub(r"<([a-z]+):([^>]*)>", expand, text)


DOC = """\
<id:article/doc1> <rdf:type> <schema:AnalysisNewsArticle> .
<id:article/doc1> <schema:headline> "Yoon and Kishida Meet in Tokyo" .
<id:article/doc1> <schema:datePublished> "2023-03-20"^^<xsd:date> .
<id:article/doc1> <schema:author> <id:person/cenk-tamer> .
<id:article/doc1> <schema:publisher> <id:org/ankasam> .
<id:article/doc1> <schema:mentions> <id:state/KOR> .
<id:article/doc1> <schema:citation> <id:work/w1> .
<id:article/doc1> <schema:comment> <id:article/doc1/comment/1> .
<id:article/doc1> <prov:wasDerivedFrom> <id:src/doc1> .
<id:article/doc1> <prov:wasGeneratedBy> <id:run/r1> .
<id:src/doc1> <rdf:type> <prov:Entity> .
<id:src/doc1> <rdf:type> <schema:DigitalDocument> .
<id:src/doc1> <cg:contentHash> "sha256:00ff" .
<id:run/r1> <rdf:type> <cg:EtlRun> .
<id:run/r1> <prov:startedAtTime> "2024-05-01T10:00:00Z"^^<xsd:dateTime> .
<id:run/r1> <prov:endedAtTime> "2024-05-01T10:01:00Z"^^<xsd:dateTime> .
<id:run/r1> <cg:flowRunId> "4f1c" .
<id:person/cenk-tamer> <rdf:type> <schema:Person> .
<id:person/cenk-tamer> <schema:name> "Cenk Tamer" .
<id:person/cenk-tamer> <schema:honorificPrefix> "Dr." .
<id:org/ankasam> <rdf:type> <cg:ThinkTank> .
<id:org/ankasam> <schema:name> "ANKASAM" .
<id:state/KOR> <rdf:type> <schema:Country> .
<id:state/KOR> <schema:name> "South Korea" .
<id:state/KOR> <schema:alternateName> "ROK" .
<id:state/FRG> <rdf:type> <cg:HistoricalState> .
<id:state/FRG> <schema:name> "West Germany" .
<id:group/kor-progressives> <rdf:type> <cg:OpinionGroup> .
<id:group/kor-progressives> <schema:name> "South Korean progressives" .
<id:group/kor-progressives> <cg:country> <id:state/KOR> .
<id:article/doc1/claim/1> <rdf:type> <schema:Claim> .
<id:article/doc1/claim/1> <schema:text> "South Korean progressives oppose the deal." .
<id:article/doc1/claim/1> <schema:author> <id:group/kor-progressives> .
<id:article/doc1/claim/1> <schema:appearance> <id:article/doc1> .
<id:article/doc1/claim/1> <schema:about> <id:state/KOR> .
<id:article/doc1/claim/1> <cg:modality> <cg:Asserted> .
<id:article/doc1/claim/1> <cg:attributed> "true"^^<xsd:boolean> .
<id:article/doc1/claim/1> <cg:textSpan> <id:article/doc1/body#char=0,42> .
<id:article/doc1/body#char=0,42> <rdf:type> <nif:Phrase> .
<id:article/doc1/body#char=0,42> <nif:beginIndex> "0"^^<xsd:nonNegativeInteger> .
<id:article/doc1/body#char=0,42> <nif:endIndex> "42"^^<xsd:nonNegativeInteger> .
<id:article/doc1/body#char=0,42> <nif:referenceContext> <id:article/doc1/body> .
<id:article/doc1/body> <rdf:type> <nif:Context> .
<id:article/doc1/body> <nif:isString> "South Korean progressives oppose the deal." .
<id:article/doc1/body> <nif:sourceUrl> <id:article/doc1> .
<id:article/doc1/body#char=0,12> <rdf:type> <nif:Phrase> .
<id:article/doc1/body#char=0,12> <rdf:type> <cg:Mention> .
<id:article/doc1/body#char=0,12> <nif:beginIndex> "0"^^<xsd:nonNegativeInteger> .
<id:article/doc1/body#char=0,12> <nif:endIndex> "12"^^<xsd:nonNegativeInteger> .
<id:article/doc1/body#char=0,12> <nif:anchorOf> "South Korean" .
<id:article/doc1/body#char=0,12> <nif:referenceContext> <id:article/doc1/body> .
<id:article/doc1/body#char=0,12> <itsrdf:taIdentRef> <id:state/KOR> .
<id:article/doc1/body#char=0,12> <cg:mentionKind> "demonym" .
<id:work/w1> <rdf:type> <schema:CreativeWork> .
<id:work/w1> <schema:name> "Japan-South Korea Summit" .
<id:work/w1> <schema:publisher> <id:org/nikkei> .
<id:work/w1> <cg:accessDate> "2023-03-21"^^<xsd:date> .
<id:org/nikkei> <rdf:type> <schema:NewsMediaOrganization> .
<id:org/nikkei> <schema:name> "Nikkei Asia" .
<id:article/doc1/comment/1> <rdf:type> <schema:Comment> .
<id:article/doc1/comment/1> <schema:author> <id:person/ali-veli> .
<id:article/doc1/comment/1> <schema:text> "Good analysis." .
<id:article/doc1/comment/1> <schema:dateCreated> "2023-03-22T09:15:00"^^<xsd:dateTime> .
<id:article/doc1/comment/1> <schema:position> "1"^^<xsd:integer> .
<id:person/ali-veli> <rdf:type> <schema:Person> .
<id:person/ali-veli> <schema:name> "Ali Veli" .
<id:membership/1> <rdf:type> <org:Membership> .
<id:membership/1> <org:member> <id:person/cenk-tamer> .
<id:membership/1> <org:organization> <id:org/ankasam> .
<id:membership/1> <schema:startDate> "2019"^^<xsd:gYear> .
"""


def without(doc: str, needle: str) -> str:
    lines = [line for line in doc.splitlines(keepends=True) if needle not in line]
    assert len(lines) < len(doc.splitlines()), needle
    return "".join(lines)


def replaced(doc: str, old: str, new: str) -> str:
    assert old in doc, old
    return doc.replace(old, new)


def test_document_following_the_patterns_conforms() -> None:
    report = ontology.validate_document(nt(DOC))
    assert report.conforms, report.messages
    assert report.messages == []


def assert_fails(doc: str, *words: str) -> list[str]:
    report = ontology.validate_document(nt(doc))
    assert not report.conforms
    assert any(all(w in m for w in words) for m in report.messages), report.messages
    return report.messages


def test_claim_without_text_fails() -> None:
    msgs = assert_fails(without(DOC, "<id:article/doc1/claim/1> <schema:text>"),
                        "/id/article/doc1/claim/1", "schema:text", "claim")
    assert len(msgs) == 1


def test_article_with_two_headlines_fails() -> None:
    doc = replaced(DOC, '<id:article/doc1> <schema:headline> "Yoon and Kishida Meet in Tokyo" .',
                   '<id:article/doc1> <schema:headline> "Yoon and Kishida Meet in Tokyo" .\n'
                   '<id:article/doc1> <schema:headline> "Next" .')
    assert_fails(doc, "/id/article/doc1>", "schema:headline", "article")


def test_article_without_headline_conforms() -> None:
    """A page that shows no title gets none: no headline is invented (issue 9)."""
    report = ontology.validate_document(nt(without(DOC, "<schema:headline>")))
    assert report.conforms, report.messages


def test_comment_with_plain_string_date_fails() -> None:
    doc = replaced(DOC, '"2023-03-22T09:15:00"^^<xsd:dateTime>', '"22 March 2023, 09:15"')
    assert_fails(doc, "/id/article/doc1/comment/1", "schema:dateCreated", "xsd:dateTime",
                 "22 March 2023")


def test_article_author_must_be_a_person() -> None:
    doc = replaced(DOC, "<id:article/doc1> <schema:author> <id:person/cenk-tamer>",
                   "<id:article/doc1> <schema:author> <id:org/ankasam>")
    assert_fails(doc, "schema:author", "schema:Person")


def test_claim_modality_must_be_one_of_five() -> None:
    assert_fails(replaced(DOC, "<cg:modality> <cg:Asserted>", "<cg:modality> <cg:Rumoured>"),
                 "cg:modality", "cg:Rumoured")
    assert_fails(without(DOC, "<cg:modality>"), "cg:modality")


def test_mention_needs_entity_and_offsets() -> None:
    assert_fails(without(DOC, "<itsrdf:taIdentRef>"), "itsrdf:taIdentRef")
    doc = replaced(DOC, '<id:article/doc1/body#char=0,12> <nif:endIndex> "12"',
                   '<id:article/doc1/body#char=0,12> <nif:endIndex> "-1"')
    assert_fails(doc, "nif:endIndex")


def test_cited_work_and_country_and_run() -> None:
    assert_fails(replaced(DOC, '"2023-03-21"^^<xsd:date>', '"21.03.2023"'), "cg:accessDate")
    assert_fails(without(DOC, '"West Germany"'), "schema:name", "state")
    assert_fails(without(DOC, "<prov:startedAtTime>"), "prov:startedAtTime")
    assert_fails(without(DOC, "<prov:wasDerivedFrom>"), "prov:wasDerivedFrom")
