"""Degrade, don't reject: an extracted item that breaks a SHACL shape is dropped and named
in the run report, and the rest of the document loads; SHACL stays strict on what is loaded.

The case is the one seen on a real page (issue 9): one span of the text resolved to two
entities, so its NIF mention carried two `itsrdf:taIdentRef` and SHACL refused the whole
document. Here a real page goes through the real pipeline (parse, extract with spaCy,
map, pySHACL, the on-disk store), with the extractor made to slip the same way.
"""
from __future__ import annotations

import pyoxigraph as ox
import pytest

from claimgraph import pipeline
from claimgraph.config import get_settings
from claimgraph.model import DocumentGraph, Mention
from claimgraph.sources.files import fetch_file
from claimgraph.stores import OxigraphStore
from claimgraph.validate import DocumentRejected, shacl_violations, validate_graph
from conftest import ROOT

PAGE = ROOT / "tests" / "pages" / "extract_01_ankara_moscow.txt"
ITS = "http://www.w3.org/2005/11/its/rdf#taIdentRef"


@pytest.fixture
def slipping_extractor(monkeypatch):
    """The first body mention of a state gets a second entity at the same span."""
    real = pipeline.extract_document
    slipped: list[Mention] = []

    def extract(source, page, entry, nlp=None):
        ex = real(source, page, entry, nlp)
        first = next(m for m in ex.mentions if m.entity_key.startswith("state/"))
        other = next(k for k in ex.entities if k.startswith("state/") and k != first.entity_key)
        twin = Mention(other, first.start, first.end, first.text, first.source, first.index, "name")
        ex.mentions.append(twin)
        slipped.append(twin)
        return ex

    monkeypatch.setattr(pipeline, "extract_document", extract)
    return slipped


def test_a_mention_with_two_entities_is_dropped_and_the_document_loads(tmp_path, slipping_extractor):
    settings = get_settings()
    loaded = []

    class Watch:
        def documents_loaded(self, run, outcomes):
            loaded.extend(o.graph for o in outcomes)

    with OxigraphStore(tmp_path / "store") as store:
        summary = pipeline.ingest([PAGE], store, settings, observers=[Watch()])
        (outcome,) = summary.outcomes
        assert outcome.status == "loaded", outcome.reason
        (dropped,) = outcome.dropped
        twin = slipping_extractor[0]
        assert f"#char={twin.start},{twin.end}>" in dropped.what and "cg:Mention" in dropped.what
        assert "taIdentRef" in dropped.reason
        assert str(dropped) in summary.render()  # the run report names it, with the reason

        graph = pipeline.new_run(settings).iris.graph(outcome.source_id)  # "<folder>~extract_01_ankara_moscow.txt"
        quads = store.graph_quads(graph)
        span = next(q.subject for q in quads if q.subject.value.endswith(f"#char={twin.start},{twin.end}")) \
            if any(q.subject.value.endswith(f"#char={twin.start},{twin.end}") for q in quads) else None
        assert span is None or not any(q.subject == span and q.predicate.value == ITS for q in quads)
        # the rest is there: the article, its other mentions, its claims; and it conforms
        kinds = {q.object.value.rsplit("/", 1)[-1] for q in quads if q.predicate.value.endswith("#type")}
        assert {"Article", "Claim", "Person"} <= kinds
        assert sum(1 for q in quads if q.predicate.value == ITS) > 10
        # what was loaded is exactly the graph that passed the shapes
        (graph_loaded,) = loaded
        assert shacl_violations(graph_loaded.quads) == []
        assert len(quads) == graph_loaded.triple_count
        # the run's own graph records the drop
        comments = [r["c"].value for r in store.query(
            "SELECT ?c WHERE { ?run a <https://w3id.org/claimgraph/ontology#EtlRun> ; "
            "<http://www.w3.org/2000/01/rdf-schema#comment> ?c }")]
        assert any(c.startswith("dropped from") and "taIdentRef" in c for c in comments)


def test_the_article_itself_breaking_a_shape_rejects_the_document():
    settings = get_settings()
    run = pipeline.new_run(settings)
    outcome = pipeline.process_document(fetch_file(PAGE), run, nlp=pipeline.shared_nlp(settings))
    graph = outcome.graph
    headline = "http://schema.org/headline"
    second = [ox.Quad(q.subject, q.predicate, ox.Literal("A second headline"), q.graph_name)
              for q in graph.quads if q.predicate.value == headline]
    broken = DocumentGraph(graph.source_id, graph.graph_iri, graph.quads + tuple(second), graph.article_iri)
    with pytest.raises(DocumentRejected, match="headline"):
        validate_graph(broken)
