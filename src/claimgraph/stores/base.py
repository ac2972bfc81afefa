"""What ClaimGraph needs from a quad store, whichever store it is.

`GraphStore` is the interface the pipeline writes through: replace named
graphs (each all or nothing), drop one, count, and run SPARQL queries.
`ServedStore` adds what the API needs to serve a store: updates, the Graph
Store's reads and merges, and `reader` (a `pyoxigraph.Store`, or a view with
its read methods) for linked-data pages and VoID. Both stores are both:
`OxigraphStore` (embedded.py) is the default; `RemoteGraphStore` (remote.py)
speaks the SPARQL 1.1 protocols to a running ClaimGraph API or any other
SPARQL 1.1 store. The API's query endpoint evaluates queries itself, in
worker processes over the embedded store's folder or over HTTP (api/).
"""
from __future__ import annotations

from collections.abc import Sequence
from typing import Protocol, runtime_checkable

from ..model import LoadResult


@runtime_checkable
class GraphStore(Protocol):
    def replace_graphs(self, graphs: Sequence[tuple[str, object]]) -> list[LoadResult]:
        """Replace each named graph's content (pyoxigraph quads or triples, or N-Triples text);
        each graph all or nothing."""

    def replace_graph(self, graph_iri: str, content: object) -> LoadResult: ...

    def drop_graph(self, graph_iri: str) -> None: ...

    def graph_size(self, graph_iri: str) -> int: ...

    def triple_count(self) -> int: ...

    def named_graphs(self) -> list[str]: ...

    def query(self, sparql: str, **options) -> object: ...

    def close(self) -> None: ...


class StoreError(Exception):
    """The store could not be opened or written; the message says which and why.

    `held` is True when another process holds the store (RocksDB's lock)."""

    def __init__(self, message: str, *, held: bool = False):
        super().__init__(message)
        self.held = held


@runtime_checkable
class ServedStore(GraphStore, Protocol):
    path: object  # the embedded store's folder (None: in memory, or not a folder at all)

    def update(self, sparql_update: str, base_iri: str | None = None, *,
               graphs: Sequence[str] | None = None) -> None:
        """One SPARQL update; `graphs`: the named graphs it may change (None: any), for the
        embedded store's listeners (the search index)."""

    def contains_named_graph(self, graph_iri: str) -> bool: ...

    def dump_graph(self, graph_iri: str | None, fmt) -> bytes:
        """One graph serialised (None: the store's own default graph)."""

    def dump_dataset(self, fmt) -> bytes: ...

    def merge_rdf(self, body: bytes, fmt, *, base_iri: str | None = None, graph: str | None = None,
                  keep_graphs: bool = False) -> None:
        """Graph Store POST: add the body's triples to a graph, or its quads to their graphs."""

    def replace_default_graph(self, content: object) -> LoadResult: ...

    def clear_default_graph(self) -> None: ...

    @property
    def reader(self) -> object:
        """pyoxigraph's read methods: `query` (its result types), `quads_for_pattern`,
        `contains_named_graph`."""
