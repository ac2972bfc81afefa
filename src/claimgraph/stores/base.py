"""What ClaimGraph needs from a quad store, whichever store it is.

`GraphStore` is the interface the pipeline writes through: replace named
graphs (each all or nothing), drop one, count, and run SPARQL queries.
`OxigraphStore` (embedded.py) is the default; `RemoteGraphStore` (remote.py)
speaks the SPARQL 1.1 protocols to a running ClaimGraph API or any other
SPARQL 1.1 store.
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
