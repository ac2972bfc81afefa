"""The store behind one small interface.

`GraphStore` is what the rest of ClaimGraph needs from a quad store: replace a
named graph atomically, drop one, count, and run SPARQL. `OxigraphStore` is
the embedded default (pyoxigraph on disk); a remote SPARQL 1.1 store can
implement the same protocol over HTTP when the data outgrows one machine.
"""
from __future__ import annotations

import threading
from pathlib import Path
from typing import Protocol, runtime_checkable

import pyoxigraph as ox

from .model import LoadResult


@runtime_checkable
class GraphStore(Protocol):
    def replace_graph(self, graph_iri: str, ntriples: str) -> LoadResult:
        """Replace the named graph's content with `ntriples`, all or nothing."""

    def drop_graph(self, graph_iri: str) -> None: ...

    def graph_size(self, graph_iri: str) -> int: ...

    def triple_count(self) -> int: ...

    def named_graphs(self) -> list[str]: ...

    def query(self, sparql: str, **options) -> object: ...

    def close(self) -> None: ...


class StoreError(Exception):
    """The store could not be opened or written; the message says which and why."""


class WriteLock:
    """The lock every write holds. Releasing it counts one more write (the store's
    generation), so readers holding a snapshot (query workers) know to reopen."""

    def __init__(self):
        self._lock = threading.Lock()
        self.generation = 0

    def __enter__(self) -> "WriteLock":
        self._lock.acquire()
        return self

    def __exit__(self, *exc) -> None:
        self.generation += 1
        self._lock.release()


class OxigraphStore:
    """Embedded Oxigraph on disk (or in memory with `path=None`).

    One process may open a store folder read-write (RocksDB holds a lock);
    other processes open it with `read_only=True` or go through the HTTP API.
    Writes are serialised by a lock so readers never see a half-applied write:
    each write is one Oxigraph transaction.
    """

    def __init__(self, path: Path | str | None = None, *, read_only: bool = False):
        self.path = Path(path) if path is not None else None
        try:
            if self.path is None:
                self._store = ox.Store()
            elif read_only:
                self._store = ox.Store.read_only(str(self.path))
            else:
                self.path.mkdir(parents=True, exist_ok=True)
                self._store = ox.Store(str(self.path))
        except (OSError, RuntimeError) as exc:
            # RuntimeError: RocksDB refused (e.g. a read-only open while another process writes).
            raise StoreError(f"cannot open the store at {self.path}: {exc}") from exc
        self.read_only = read_only
        self._write_lock = WriteLock()

    @property
    def write_lock(self) -> WriteLock:
        """Held around every write; the API takes it for SPARQL Update and Graph Store writes."""
        return self._write_lock

    @property
    def generation(self) -> int:
        """How many writes this handle has made: a snapshot taken at another generation is stale."""
        return self._write_lock.generation

    @property
    def native(self) -> ox.Store:
        """The pyoxigraph Store, for fast paths (query evaluation, bulk loads)."""
        return self._store

    # -- writes -------------------------------------------------------------

    def replace_graph(self, graph_iri: str, ntriples: str) -> LoadResult:
        graph = ox.NamedNode(graph_iri)
        with self._write_lock:
            before = self.graph_size(graph_iri)
            if before == 0 and not self._store.contains_named_graph(graph):
                # New graph: Store.load is one transaction and the fastest safe path.
                self._store.load(ntriples, format=ox.RdfFormat.N_TRIPLES, to_graph=graph)
            else:
                # Existing graph: drop and insert in one SPARQL update, which Oxigraph
                # applies as a single transaction (remove_graph + load would be two).
                self._store.update(
                    f"DROP SILENT GRAPH <{graph_iri}> ;\nINSERT DATA {{ GRAPH <{graph_iri}> {{\n{ntriples}\n}} }}"
                )
            after = self.graph_size(graph_iri)
        return LoadResult(source_id="", graph_iri=graph_iri, triples_before=before, triples_after=after)

    def replace_graphs(self, graphs: list[tuple[str, str]]) -> list[LoadResult]:
        """Replace several named graphs in one transaction (all of them or none).

        Bulk ingest path: Oxigraph's cost is mostly per transaction, so loading
        documents in batches is about twice as fast as one transaction each.
        New graphs go in with one N-Quads load; if any graph exists already the
        batch is one SPARQL update (DROP + INSERT DATA per graph).
        """
        if not graphs:
            return []
        with self._write_lock:
            before = {g: self.graph_size(g) for g, _ in graphs}
            existing = any(n or self._store.contains_named_graph(ox.NamedNode(g)) for g, n in before.items())
            if not existing:
                nquads = "".join(_as_nquads(nt, g) for g, nt in graphs)
                self._store.load(nquads, format=ox.RdfFormat.N_QUADS)
            else:
                self._store.update(" ;\n".join(
                    f"DROP SILENT GRAPH <{g}> ;\nINSERT DATA {{ GRAPH <{g}> {{\n{nt}\n}} }}" for g, nt in graphs))
            return [LoadResult("", g, before[g], self.graph_size(g)) for g, _ in graphs]

    def drop_graph(self, graph_iri: str) -> None:
        with self._write_lock:
            self._store.update(f"DROP SILENT GRAPH <{graph_iri}>")

    def update(self, sparql_update: str) -> None:
        with self._write_lock:
            self._store.update(sparql_update)

    def flush(self) -> None:
        self._store.flush()

    # -- reads --------------------------------------------------------------

    def graph_size(self, graph_iri: str) -> int:
        result = self._store.query(f"SELECT (COUNT(*) AS ?n) WHERE {{ GRAPH <{graph_iri}> {{ ?s ?p ?o }} }}")
        return int(next(iter(result))["n"].value)

    def triple_count(self) -> int:
        """Quads in all named graphs (the store's default graph is kept empty)."""
        return len(self._store)

    def named_graphs(self) -> list[str]:
        return sorted(g.value for g in self._store.named_graphs() if isinstance(g, ox.NamedNode))

    def query(self, sparql: str, **options):
        """Run a query with the union of named graphs as default graph, unless
        `default_graph`/`named_graphs` say otherwise (SPARQL protocol dataset)."""
        if "default_graph" not in options and "use_default_graph_as_union" not in options:
            options["use_default_graph_as_union"] = True
        return self._store.query(sparql, **options)

    def close(self) -> None:
        if not self.read_only:
            try:
                self._store.flush()
            except OSError:
                pass
        del self._store

    def __enter__(self) -> "OxigraphStore":
        return self

    def __exit__(self, *exc) -> None:
        self.close()


def _as_nquads(ntriples: str, graph_iri: str) -> str:
    """N-Triples -> N-Quads in `graph_iri`. Every line ends in " ." and literals escape
    newlines, so one string replace does it (no per-triple Python work)."""
    body = ntriples.strip("\n")
    return (body + "\n").replace(" .\n", f" <{graph_iri}> .\n") if body else ""


def open_store(path: Path | str | None, *, read_only: bool = False) -> OxigraphStore:
    return OxigraphStore(path, read_only=read_only)
