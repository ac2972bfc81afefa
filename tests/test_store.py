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
