"""Keeping the index in step with a store: on each load, after a crash, and from scratch.

The store is the truth; the index is derived from it and can always be rebuilt.
Each graph's entry in the index carries a *stamp* (a hash of its entries,
`entries.stamp_of`), so "does the index agree with the store for graph G?"
is: read G's index-relevant triples through `store.query`, build the entries,
compare stamps. No index write is needed to find out.

- `IndexUpdater` is what the load step calls: `graphs_replacing(iris)` before
  it writes the store (marks them pending in the index), `graph_replaced(iri,
  ntriples)` after (one transaction: new entries in, pending mark cleared),
  `graph_dropped(iri)` after a drop.
- `repair(store, index)` after a crash: looks only at graphs marked pending,
  graphs the store has and the index lacks, and graphs the index has and the
  store lacks, and makes each agree. Cheap: one listing of graph names plus
  one read per suspect graph. A mark starting with `ALL_GRAPHS` makes every
  graph a suspect: a writer that cannot say beforehand which graphs it will
  change (follow.py's listener hears of a write only after it) holds such a
  mark of its own while it writes and clears it when it closes cleanly.
- `reindex(store, index)` checks every graph and rewrites those whose stamp
  differs (all of them for a fresh index or after the entry rules changed);
  `drifted(store, index)` answers the same question without writing.

All three work over the `GraphStore` interface's `query`, so they run against
the embedded store or any SPARQL 1.1 server.
"""
from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field

from .entries import IndexedGraph, graph_entries, list_graphs, read_graph_triples, triples_from_ntriples
from .index import SearchIndex

BATCH = 100  # graphs per store read and per index transaction
ALL_GRAPHS = "*"  # pending marks starting with it mean "any graph may differ" (graph IRIs are absolute IRIs)


def _all_marks(marks) -> list[str]:
    return [m for m in marks if m.startswith(ALL_GRAPHS)]


@dataclass
class SyncReport:
    checked: int = 0
    rewritten: list[str] = field(default_factory=list)
    deleted: list[str] = field(default_factory=list)
    entries_written: int = 0
    failed: list[tuple[str, str]] = field(default_factory=list)  # (graph, reason)

    def render(self) -> str:
        lines = [f"search index: {self.checked} graphs checked, {len(self.rewritten)} rewritten "
                 f"({self.entries_written} entries), {len(self.deleted)} removed, {len(self.failed)} failed"]
        lines += [f"  failed  {g}: {reason}" for g, reason in self.failed]
        return "\n".join(lines)


class IndexUpdater:
    """The index's side of the load step (see the module docstring for the order of calls)."""

    def __init__(self, index: SearchIndex):
        self.index = index

    def graphs_replacing(self, graph_iris: Iterable[str]) -> None:
        self.index.mark_pending(graph_iris)

    def graph_replaced(self, graph_iri: str, ntriples: str) -> IndexedGraph:
        indexed = graph_entries(graph_iri, triples_from_ntriples(ntriples))
        self.index.replace_graph(indexed)
        return indexed

    def graph_dropped(self, graph_iri: str) -> None:
        self.index.delete_graph(graph_iri)


def _batches(items: list[str], size: int) -> Iterable[list[str]]:
    for i in range(0, len(items), size):
        yield items[i:i + size]


def _store_graphs(store) -> set[str]:
    return set(list_graphs(store))


def _sync(store, index: SearchIndex, graphs: list[str], in_store: set[str], *, write: bool,
          report: SyncReport) -> list[str]:
    """Compare (and with `write`, fix) the given graphs; returns those that differed."""
    stamps = index.stamps()
    pending = set(index.pending())
    differing: list[str] = []
    gone = [g for g in graphs if g not in in_store and g in stamps]
    present = [g for g in graphs if g in in_store]
    report.checked += len(gone) + len(present)
    for batch in _batches(present, BATCH):
        triples = read_graph_triples(store, batch)
        changed: list[IndexedGraph] = []
        for g in batch:
            try:
                indexed = graph_entries(g, triples[g])
            except Exception as exc:  # one odd graph must not stop the rest
                report.failed.append((g, f"{type(exc).__name__}: {exc}"))
                continue
            if indexed.stamp != stamps.get(g) or g in pending:
                changed.append(indexed)
        differing += [c.graph for c in changed]
        if write and changed:
            report.entries_written += index.replace_graphs(changed)
            report.rewritten += [c.graph for c in changed]
    differing += gone
    if write and gone:
        index.delete_graphs(gone)
        report.deleted += gone
    return differing


def reindex(store, index: SearchIndex, *, graphs: Iterable[str] | None = None) -> SyncReport:
    """Make the index agree with the store for every graph (or the given ones):
    rewrite graphs whose stamp differs, remove graphs the store no longer has."""
    report = SyncReport()
    in_store = _store_graphs(store)
    targets = sorted(set(graphs) if graphs is not None else in_store | set(index.stamps()))
    _sync(store, index, targets, in_store, write=True, report=report)
    return report


def drifted(store, index: SearchIndex, *, graphs: Iterable[str] | None = None) -> list[str]:
    """The graphs for which the index does not hold what the store's graph gives (no writes)."""
    in_store = _store_graphs(store)
    targets = sorted(set(graphs) if graphs is not None else in_store | set(index.stamps()))
    return sorted(_sync(store, index, targets, in_store, write=False, report=SyncReport()))


def suspects(store, index: SearchIndex) -> list[str]:
    """Graphs that may disagree after a crash, found without reading any graph's content:
    pending marks, and graphs only one side has (every graph under the `ALL_GRAPHS` mark)."""
    in_store = _store_graphs(store)
    indexed = set(index.stamps())
    marks = set(index.pending())
    if _all_marks(marks):
        return sorted(in_store | indexed)
    return sorted(marks | (in_store - indexed) | (indexed - in_store))


def repair(store, index: SearchIndex) -> SyncReport:
    """After a crash: make the suspect graphs agree (see `suspects`); `ALL_GRAPHS` marks
    go once every graph was checked."""
    everything = _all_marks(index.pending())
    report = reindex(store, index, graphs=suspects(store, index))
    if everything and not report.failed:
        index.clear_pending(everything)
    return report
