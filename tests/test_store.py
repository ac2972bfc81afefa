"""The store: graph replacement is all or nothing, on a real on-disk Oxigraph store."""
from __future__ import annotations

import pytest

from claimgraph.stores import OxigraphStore

A = '<http://ex/a> <http://ex/p> "one" .\n<http://ex/a> <http://ex/p> "two" .\n'
B = '<http://ex/b> <http://ex/p> "three" .\n'
BROKEN = '<http://ex/c> <http://ex/p> "unterminated .\n'


@pytest.fixture
def store(tmp_path):
    with OxigraphStore(tmp_path / "store") as s:
        yield s


def test_replace_graph_replaces_and_counts(store):
    assert store.replace_graph("http://g/a", A).triples_after == 2
    result = store.replace_graph("http://g/a", B)
    assert (result.triples_before, result.triples_after) == (2, 1)
    assert store.triple_count() == 1


@pytest.mark.parametrize("first", [None, A])
def test_a_broken_document_leaves_the_old_graph_whole(store, first):
    if first:
        store.replace_graph("http://g/a", first)
    with pytest.raises(SyntaxError):
        store.replace_graph("http://g/a", A + BROKEN)
    assert store.graph_size("http://g/a") == (2 if first else 0)


def test_a_batch_is_one_transaction(store):
    store.replace_graphs([("http://g/a", A), ("http://g/b", B)])
    assert store.named_graphs() == ["http://g/a", "http://g/b"]
    with pytest.raises(SyntaxError):
        store.replace_graphs([("http://g/a", B), ("http://g/c", BROKEN)])
    assert store.graph_size("http://g/a") == 2 and "http://g/c" not in store.named_graphs()
    results = store.replace_graphs([("http://g/a", B), ("http://g/c", A)])
    assert [(r.triples_before, r.triples_after) for r in results] == [(2, 1), (0, 2)]


def test_a_closed_store_reopens_read_only_with_its_data(tmp_path):
    with OxigraphStore(tmp_path / "store") as writer:
        writer.replace_graph("http://g/a", A)
    with OxigraphStore(tmp_path / "store", read_only=True) as reader:
        assert reader.graph_size("http://g/a") == 2
        assert reader.named_graphs() == ["http://g/a"]


def triples(*values: str) -> list:
    import pyoxigraph as ox

    return [ox.Triple(ox.NamedNode("http://ex/s"), ox.NamedNode("http://ex/p"), ox.Literal(v)) for v in values]


def test_replacing_writes_only_the_difference_and_tells_the_listeners(store):
    changes = []
    store.add_listener(changes.append)
    first = store.replace_graphs([("http://g/a", triples("1", "2", "3")), ("http://g/b", triples("x"))])
    assert [(r.triples_before, r.triples_after, r.added, r.removed) for r in first] == [(0, 3, 3, 0), (0, 1, 1, 0)]
    assert len(changes) == 1 and set(changes[0].replaced) == {"http://g/a", "http://g/b"}
    generation = store.generation
    same = store.replace_graph("http://g/a", triples("1", "2", "3"))
    assert (same.added, same.removed) == (0, 0) and store.generation == generation  # nothing written
    result = store.replace_graph("http://g/a", triples("2", "3", "4", "5"))
    assert (result.triples_before, result.triples_after, result.added, result.removed) == (3, 4, 2, 1)
    assert sorted(q.object.value for q in store.graph_quads("http://g/a")) == ["2", "3", "4", "5"]
    assert store.generation == generation + 1 and list(changes[-1].replaced) == ["http://g/a"]
    store.drop_graph("http://g/b")
    assert changes[-1].dropped == ("http://g/b",) and store.named_graphs() == ["http://g/a"]


def test_an_empty_replacement_leaves_an_empty_graph(store):
    store.replace_graph("http://g/a", triples("1"))
    store.replace_graph("http://g/a", [])
    store.replace_graph("http://g/new", [])
    assert store.named_graphs() == ["http://g/a", "http://g/new"] and store.triple_count() == 0


def test_page_text_never_reaches_an_update_as_text(store):
    """A literal shaped like SPARQL Update is data like any other (the terms go through functions)."""
    evil = '" } } ; DROP ALL ; INSERT DATA { GRAPH <http://g/x> { <a:b> <c:d> "e" } } #'
    store.replace_graph("http://g/keep", triples("keep me"))
    store.replace_graph("http://g/a", triples("1"))
    store.replace_graph("http://g/a", triples(evil))
    assert store.named_graphs() == ["http://g/a", "http://g/keep"]
    assert [q.object.value for q in store.graph_quads("http://g/a")] == [evil]


def test_a_batch_mixing_rewritten_changed_and_new_graphs(store):
    """A rewritten document (its graph cleared inside the update), a slightly changed one (its
    difference written) and a new one (bulk) in one batch: each ends exactly as given."""
    store.replace_graphs([("http://g/rewritten", triples("1", "2", "3")), ("http://g/changed", triples("a", "b", "c", "d")),
                          ("http://g/other", triples("keep"))])
    results = store.replace_graphs([("http://g/rewritten", triples("x", "y")),
                                    ("http://g/changed", triples("a", "b", "c", "e")),
                                    ("http://g/new", triples("n"))])
    assert [(r.triples_before, r.triples_after, r.added, r.removed) for r in results] == [
        (3, 2, 2, 3), (4, 4, 1, 1), (0, 1, 1, 0)]
    contents = {g: sorted(q.object.value for q in store.graph_quads(g)) for g in store.named_graphs()}
    assert contents == {"http://g/changed": ["a", "b", "c", "e"], "http://g/new": ["n"],
                        "http://g/other": ["keep"], "http://g/rewritten": ["x", "y"]}


@pytest.mark.parametrize("graph", ["http://g/a> } ; DROP ALL ; #", "http://g/a b", 'http://g/"a"'])
def test_a_graph_name_that_is_no_iri_is_refused_before_anything_is_written(store, graph):
    """A rewritten graph is cleared by its name in the update's text: only an IRI pyoxigraph
    accepted can get there, so a name shaped like SPARQL is refused, and nothing changes."""
    store.replace_graph("http://g/keep", triples("1", "2"))
    with pytest.raises(ValueError):
        store.replace_graphs([("http://g/keep", triples("3")), (graph, triples("x"))])
    assert store.named_graphs() == ["http://g/keep"]
    assert sorted(q.object.value for q in store.graph_quads("http://g/keep")) == ["1", "2"]
