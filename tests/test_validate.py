"""The compiled SHACL checks (validate.py) against pySHACL, side by side.

Validation runs shapes.ttl compiled into checks over the terms; pySHACL is the
reference. Both must report the same results (focus node, path, message and
value) on the graphs the real path maps from the seeds and the in-house pages
(before validation, so whatever an extractor slip put there is seen), on
deliberately broken versions of them (one break per shape constraint), and on
many randomly damaged ones.
"""
from __future__ import annotations

import random

import pyoxigraph as ox
import pytest
import rdflib

from claimgraph import pipeline
from claimgraph import vocab as V
from claimgraph.config import get_settings
from claimgraph.ontology import shapes_graph
from claimgraph.sources.files import fetch_files
from claimgraph.validate import (
    UnsupportedShapes,
    compile_shapes,
    compiled_shapes,
    native_violations,
    pyshacl_violations,
    shacl_violations,
)
from conftest import ROOT

S, NIF, PROV, ITS = V.SCHEMA, V.NIF, V.PROV, V.ITSRDF
XSD = V.XSD


@pytest.fixture(scope="module")
def mapped_graphs() -> list:
    """Each seed and in-house page mapped by the real path, before validation."""
    settings = get_settings()
    run = pipeline.new_run(settings)
    nlp = pipeline.shared_nlp(settings)
    graphs = []
    for fetched in fetch_files([ROOT / "seeds", ROOT / "tests" / "pages"], settings):
        if fetched.source is None:
            continue
        try:
            source, entry = pipeline.prepare_document(fetched.source, fetched.entry)
            page = pipeline.parse_page(source)
        except Exception:  # a page the path refuses before mapping has no graph to check
            continue
        ex = pipeline.extract_document(source, page, entry, nlp)
        decisions = pipeline.link_document(ex)
        graphs.append(pipeline.map_document(ex, run, entry, decisions, []))
    assert len(graphs) >= 15, [g.source_id for g in graphs]
    return graphs


def same_results(quads) -> list:
    quads = list(quads)
    compiled = native_violations(quads, compiled_shapes())
    try:
        reference = pyshacl_violations(quads)
    except TypeError as exc:
        # pySHACL stops when sh:lessThanOrEquals meets values it cannot order (an ill-typed
        # index); the compiled check reports the value instead, so the node can be dropped
        assert "'<='" in str(exc), exc
        assert any(v.path == NIF + "beginIndex" and "not after" in v.message for v in compiled), compiled
        return compiled
    assert compiled == reference, (
        f"only compiled: {sorted(map(str, set(compiled) - set(reference)))}\n"
        f"only pySHACL: {sorted(map(str, set(reference) - set(compiled)))}")
    return compiled


def test_shapes_ttl_compiles_and_validation_uses_the_compiled_checks():
    shapes = compiled_shapes()
    assert shapes is not None
    assert {s.name.rsplit("#", 1)[-1] for s in shapes.shapes} >= {
        "ArticleShape", "ClaimShape", "CommentShape", "CitedWorkShape", "CountryShape", "PersonShape",
        "MentionShape", "EtlRunShape"}
    assert sum(len(s.checks) for s in shapes.shapes) == 21


def test_the_mapped_pages_give_the_same_results(mapped_graphs):
    for graph in mapped_graphs:
        same_results(graph.quads)


def _object(quads, subject, predicate):
    return next(q.object for q in quads if q.subject == subject and q.predicate.value == predicate)


def _subject_of_type(quads, cls):
    return next(q.subject for q in quads if q.predicate.value == V.RDF + "type" and q.object.value == cls)


def breaks(graph) -> dict[str, list]:
    """One break per constraint of shapes.ttl (and a few around them), each a list of quads."""
    quads = list(graph.quads)
    g = ox.NamedNode(graph.graph_iri)
    article = ox.NamedNode(graph.article_iri)
    claim = _subject_of_type(quads, S + "Claim")
    mention = _subject_of_type(quads, V.CG + "Mention")
    person = _subject_of_type(quads, S + "Person")
    country = _subject_of_type(quads, S + "Country")
    run = _subject_of_type(quads, V.CG + "EtlRun")

    def q(s, p, o):
        return ox.Quad(s, ox.NamedNode(p), o, g)

    def without(subject, predicate):
        return [x for x in quads if not (x.subject == subject and x.predicate.value == predicate)]

    def replaced(subject, predicate, *objects):
        return without(subject, predicate) + [q(subject, predicate, o) for o in objects]

    lit = ox.Literal
    comment = ox.NamedNode(graph.article_iri + "/comment/99")
    work = ox.NamedNode("http://127.0.0.1:8000/id/work/broken")
    return {
        "two headlines": quads + [q(article, S + "headline", lit("Another title"))],
        "headline an IRI": replaced(article, S + "headline", ox.NamedNode("http://example.org/t")),
        "headline an integer": replaced(article, S + "headline", lit("7", datatype=ox.NamedNode(XSD + "integer"))),
        "headline in French": replaced(article, S + "headline", lit("Un titre", language="fr")),
        "no source": without(article, PROV + "wasDerivedFrom"),
        "source a literal": replaced(article, PROV + "wasDerivedFrom", lit("file.txt")),
        "no run": without(article, PROV + "wasGeneratedBy"),
        "run a literal": replaced(article, PROV + "wasGeneratedBy", lit("run 1")),
        "author an organisation": quads + [q(article, S + "author", ox.NamedNode("http://127.0.0.1:8000/id/org/x"))],
        "author a literal": quads + [q(article, S + "author", lit("Jane Doe"))],
        "publisher a person": replaced(article, S + "publisher", person),
        "claim without text": without(claim, S + "text"),
        "claim with two texts": quads + [q(claim, S + "text", lit("Another sentence."))],
        "claim text an IRI": replaced(claim, S + "text", ox.NamedNode("http://example.org/text")),
        "claim without appearance": without(claim, S + "appearance"),
        "claim appearing twice": quads + [q(claim, S + "appearance", ox.NamedNode("http://example.org/a"))],
        "claim author a literal": replaced(claim, S + "author", lit("the author")),
        "claim modality outside the list": replaced(claim, V.MODALITY_PROP, ox.NamedNode(V.CG + "Rumoured")),
        "claim modality a literal": replaced(claim, V.MODALITY_PROP, lit("Asserted")),
        "claim without modality": without(claim, V.MODALITY_PROP),
        "claim with two modalities": quads + [q(claim, V.MODALITY_PROP, ox.NamedNode(V.CG + "Hedged"))],
        "comment without text or author": quads + [
            q(comment, V.RDF + "type", ox.NamedNode(S + "Comment")),
            q(comment, S + "dateCreated", lit("22 March 2023")),
            q(comment, S + "dateCreated", lit("2023-13-22T09:00:00", datatype=ox.NamedNode(XSD + "dateTime")))],
        "comment dated as a date": quads + [
            q(comment, V.RDF + "type", ox.NamedNode(S + "Comment")), q(comment, S + "text", lit("Hm.")),
            q(comment, S + "author", person),
            q(comment, S + "dateCreated", lit("2023-03-22", datatype=ox.NamedNode(XSD + "date")))],
        "cited work a literal": quads + [q(article, S + "citation", lit("Some report, 2021"))],
        "cited work without name, bad access date": quads + [
            q(article, S + "citation", work),
            q(work, V.ACCESS_DATE, lit("21.03.2023", datatype=ox.NamedNode(XSD + "date"))),
            q(work, V.ACCESS_DATE, lit("2023-03-21", datatype=ox.NamedNode(XSD + "date")))],
        "cited work with two names": quads + [q(article, S + "citation", work), q(work, S + "name", lit("A")),
                                              q(work, S + "name", lit("B"))],
        "country with two names": quads + [q(country, S + "name", lit("Another name"))],
        "country without name": without(country, S + "name"),
        "person without name": without(person, S + "name"),
        "person named by an IRI": replaced(person, S + "name", ox.NamedNode("http://example.org/n")),
        "mention with two entities": quads + [q(mention, ITS + "taIdentRef", country)],
        "mention entity a literal": replaced(mention, ITS + "taIdentRef", lit("Turkey")),
        "mention without entity": without(mention, ITS + "taIdentRef"),
        "mention ending before it begins": replaced(
            mention, NIF + "endIndex", lit("0", datatype=ox.NamedNode(XSD + "nonNegativeInteger"))),
        "mention with a negative index": replaced(
            mention, NIF + "endIndex", lit("-1", datatype=ox.NamedNode(XSD + "nonNegativeInteger"))),
        "mention index an integer": replaced(
            mention, NIF + "beginIndex", lit("3", datatype=ox.NamedNode(XSD + "integer"))),
        "mention index a string": replaced(mention, NIF + "beginIndex", lit("3")),
        "mention index not a number": replaced(
            mention, NIF + "beginIndex", lit("x", datatype=ox.NamedNode(XSD + "nonNegativeInteger"))),
        "mention with two begins": quads + [
            q(mention, NIF + "beginIndex", lit("1", datatype=ox.NamedNode(XSD + "nonNegativeInteger")))],
        "run without start": without(run, PROV + "startedAtTime"),
        "run ended twice, as a date": quads + [
            q(run, PROV + "endedAtTime", lit("2024-01-01", datatype=ox.NamedNode(XSD + "date"))),
            q(run, PROV + "endedAtTime", lit("2024-01-01T00:00:00Z", datatype=ox.NamedNode(XSD + "dateTime")))],
        "blank nodes as values": quads + [q(article, S + "author", ox.BlankNode("someone")),
                                          q(claim, V.MODALITY_PROP, ox.BlankNode("m"))],
    }


def test_each_broken_constraint_gives_the_same_results(mapped_graphs):
    graph = next(g for g in mapped_graphs if "extract_01_ankara_moscow" in g.source_id)
    reported = {}
    for name, quads in breaks(graph).items():
        reported[name] = same_results(quads)
    quiet = [name for name, found in reported.items() if not found and name != "headline in French"]
    assert quiet == [], f"breaks that no check reported: {quiet}"
    assert reported["headline in French"] == []  # rdf:langString is allowed


def mutate(quads: list, rng: random.Random, vocabulary: list) -> list:
    """A few random damages: drop, duplicate with another value, retype a literal, swap an object."""
    quads = list(quads)
    for _ in range(rng.randint(1, 6)):
        i = rng.randrange(len(quads))
        x = quads[i]
        kind = rng.randrange(5)
        if kind == 0:
            del quads[i]
        elif kind == 1:
            quads.append(ox.Quad(x.subject, x.predicate, rng.choice(vocabulary), x.graph_name))
        elif kind == 2 and isinstance(x.object, ox.Literal):
            datatype = rng.choice([XSD + "integer", XSD + "nonNegativeInteger", XSD + "dateTime", XSD + "date",
                                   XSD + "string", V.RDF + "langString"])
            new = (ox.Literal(x.object.value, language="en") if datatype.endswith("langString")
                   else ox.Literal(x.object.value, datatype=ox.NamedNode(datatype)))
            quads[i] = ox.Quad(x.subject, x.predicate, new, x.graph_name)
        elif kind == 3:
            quads[i] = ox.Quad(x.subject, x.predicate, rng.choice(vocabulary), x.graph_name)
        else:
            other = rng.choice(quads)
            quads[i] = ox.Quad(other.subject, x.predicate, x.object, x.graph_name)
    return quads


def test_randomly_damaged_graphs_give_the_same_results(mapped_graphs):
    rng = random.Random(11)
    shaped = {V.RDF + "type"} | compiled_shapes().predicates
    total = 0
    for graph in mapped_graphs[:6]:
        # the damage falls on what the shapes look at: that is where the two could disagree
        quads = [q for q in graph.quads if q.predicate.value in shaped]
        vocabulary = list({q.object for q in quads}) + [
            ox.Literal("-3", datatype=ox.NamedNode(XSD + "nonNegativeInteger")),
            ox.Literal("2024-02-30", datatype=ox.NamedNode(XSD + "date")),
            ox.Literal("nine", datatype=ox.NamedNode(XSD + "integer")), ox.BlankNode("b")]
        for _ in range(12):
            total += len(same_results(mutate(quads, rng, vocabulary)))
    assert total > 50  # the damage was seen: the comparison covered failing graphs, not just clean ones


def test_validation_uses_pyshacl_for_shapes_it_cannot_compile(monkeypatch):
    g = rdflib.Graph().parse(data=shapes_graph().serialize(format="turtle"), format="turtle")
    sh = rdflib.Namespace("http://www.w3.org/ns/shacl#")
    shape = next(iter(g.subjects(sh.targetClass, rdflib.URIRef(S + "Person"))))
    g.add((shape, sh.closed, rdflib.Literal(True)))
    with pytest.raises(UnsupportedShapes, match="sh:closed"):
        compile_shapes(g)
    monkeypatch.setattr("claimgraph.validate.compiled_shapes", lambda: None)
    called = []
    monkeypatch.setattr("claimgraph.validate.pyshacl_violations", lambda quads: called.append(1) or [])
    assert shacl_violations([]) == [] and called == [1]


def test_a_property_path_is_not_compiled():
    g = rdflib.Graph().parse(data="""
        @prefix sh: <http://www.w3.org/ns/shacl#> . @prefix s: <http://schema.org/> .
        <urn:x> a sh:NodeShape ; sh:targetClass s:Person ;
          sh:property [ sh:path ( s:author s:name ) ; sh:minCount 1 ; sh:message "m" ] .""", format="turtle")
    with pytest.raises(UnsupportedShapes, match="not an IRI"):
        compile_shapes(g)

