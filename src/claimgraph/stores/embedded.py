"""The embedded store: Oxigraph (pyoxigraph) on disk, or in memory.

Writes take RDF as pyoxigraph terms (`Quad`/`Triple`), never as SPARQL text
assembled from data. How a batch of documents is written
(`replace_graphs`, measured in benchmarks/load_bench.py):

- graphs that do not exist yet go in with one `Store.bulk_extend` call: the
  quads become one set of RocksDB files ingested in a single atomic step
  (Oxigraph flushes its bulk loader every 1,000,000 quads, so a batch is
  kept below that); 0.8x the time of `Store.bulk_load` on the same quads;
- graphs that exist are diffed against the new content, and only the
  difference is written, in one transaction (a SPARQL update whose text
  holds nothing but numbers and the store's own function names: the quads
  come from Python through custom functions). Re-ingesting a document that
  did not change writes little or nothing. A graph whose difference is
  bigger than its new content (a document rewritten) is instead cleared
  inside that update (`CLEAR GRAPH`, its checked IRI the only non-number
  in the text), and its new content inserted whole: 1.2-1.4x less CPU than
  deleting each old quad through the functions, the store ending the same.

Pyoxigraph 0.5 offers no faster all-or-nothing replace: only `Store.update`
removes and inserts in one transaction, and it runs on a readable
transaction, several times slower than `Store.extend`; the bulk loader only
adds. Rewriting every document costs about 11x `Store.bulk_load`, 2.4x the
floor without atomicity (`remove_graph` then `extend`), which is itself 3-5x
(load_bench.py prints both).

Each document's graph is therefore all or nothing, also across a crash
(`tests/test_crash.py` kills a writer with SIGKILL mid-run). Readers see a
graph either before or after a write.

Listeners (`add_listener`) hear about every committed write, with a
`generation` number that grows by one per write: the query runner reopens
read-only views when it changes, and a search index can follow the graphs.
"""
from __future__ import annotations

import threading
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import pyoxigraph as ox

from ..model import LoadResult
from .base import StoreError

# Oxigraph's bulk loader writes (and atomically ingests) its files every 1,000,000 quads;
# a batch above this is split between documents, never inside one.
BULK_ATOMIC_QUADS = 900_000
_FN = "urn:claimgraph:fn:"
_XSD_STRING = "http://www.w3.org/2001/XMLSchema#string"  # names of the custom functions the diff update calls


@dataclass(frozen=True)
class StoreChange:
    """One committed write: which named graphs it replaced (with their new quads) or dropped.

    `other` is True when the write was arbitrary (a SPARQL update, a Graph Store POST): listeners
    that follow graph content must then look at the store again, at the named graphs in `graphs`
    when the writer could tell which it may have changed, else at all of them (None)."""

    generation: int
    replaced: dict[str, tuple[ox.Quad, ...]] = field(default_factory=dict)
    dropped: tuple[str, ...] = ()
    other: bool = False
    graphs: tuple[str, ...] | None = None


GraphContent = Iterable[ox.Quad] | Iterable[ox.Triple] | str | bytes


def as_quads(graph_iri: str, content: GraphContent) -> list[ox.Quad]:
    """The content of one named graph as quads in it. N-Triples text (from the Graph Store
    protocol or a file) is read by Oxigraph's parser; terms are taken as they are."""
    graph = ox.NamedNode(graph_iri)
    if isinstance(content, (str, bytes)):
        return [ox.Quad(q.subject, q.predicate, q.object, graph)
                for q in ox.parse(content, format=ox.RdfFormat.N_TRIPLES)]
    out = []
    for t in content:
        if isinstance(t, ox.Quad) and t.graph_name == graph:
            out.append(t)
        else:
            out.append(ox.Quad(t.subject, t.predicate, t.object, graph))
    return out


def canonical(quads: Sequence[ox.Quad]) -> set[ox.Quad]:
    """The quads as the store will hold them. Oxigraph stores literals in canonical form
    ("0.800"^^xsd:decimal as "0.8", xsd:nonNegativeInteger as xsd:integer), so new content
    is compared with old in that form, or every such triple would look changed."""
    out, typed = set(), []
    for q in quads:
        o = q.object
        if isinstance(o, ox.Literal) and o.language is None and o.datatype.value != _XSD_STRING:
            typed.append(q)  # numbers, dates, booleans: the ones the store may write differently
        else:
            out.add(q)
    if typed:
        scratch = ox.Store()  # in memory: Oxigraph's own canonical form, whatever it is
        scratch.extend(typed)
        out.update(scratch)
    return out


class OxigraphStore:
    """Embedded Oxigraph on disk (or in memory with `path=None`).

    One process may open a store folder read-write (RocksDB holds a lock);
    other processes open it with `read_only=True` or go through the HTTP API
    (`stores.open_store` picks the running server when there is one).
    Writes are serialised by a lock, so each replacement is one step at a time.
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
            # RuntimeError/OSError: RocksDB refused, e.g. another process holds the store.
            held = "lock" in str(exc).lower()
            why = "another process has it open for writing" if held else str(exc)
            raise StoreError(f"cannot open the store at {self.path}: {why}", held=held) from exc
        self.read_only = read_only
        self._write_lock = threading.Lock()
        self._generation = 0
        self._listeners: list[Callable[[StoreChange], None]] = []
        self._on_close: list[Callable[[], None]] = []

    @property
    def write_lock(self) -> threading.Lock:
        """Held around every write; the API takes it for SPARQL Update and Graph Store writes."""
        return self._write_lock

    @property
    def native(self) -> ox.Store:
        """The pyoxigraph Store, for fast paths (query evaluation, bulk loads)."""
        return self._store

    # -- change notification ----------------------------------------------------

    @property
    def generation(self) -> int:
        """Grows by one with every committed write (readers compare it to know they are stale)."""
        return self._generation

    def add_listener(self, listener: Callable[[StoreChange], None]) -> None:
        """Call `listener(change)` after every committed write, in the writing thread."""
        self._listeners.append(listener)

    def remove_listener(self, listener: Callable[[StoreChange], None]) -> None:
        self._listeners.remove(listener)

    def changed(self, *, replaced: dict | None = None, dropped: Sequence[str] = (), other: bool = False,
                graphs: Sequence[str] | None = None) -> None:
        """Record a committed write and tell the listeners. Writers outside this class (the API's
        SPARQL Update and Graph Store POST) call it with `other=True` after they wrote, and with
        `graphs` when they know every named graph the write may have changed."""
        self._generation += 1
        change = StoreChange(self._generation, dict(replaced or {}), tuple(dropped), other,
                             None if graphs is None else tuple(graphs))
        for listener in list(self._listeners):
            listener(change)

    # -- writes -------------------------------------------------------------

    def replace_graph(self, graph_iri: str, content: GraphContent) -> LoadResult:
        """Replace one named graph's content, all or nothing (see `replace_graphs`)."""
        return self.replace_graphs([(graph_iri, content)])[0]

    def replace_graphs(self, graphs: Sequence[tuple[str, GraphContent]]) -> list[LoadResult]:
        """Replace several named graphs; each one is all or nothing.

        New graphs go in with one bulk insert (split between graphs above
        BULK_ATOMIC_QUADS); existing graphs get only their difference, in one
        transaction. Content that does not parse raises SyntaxError before
        anything is written.
        """
        if not graphs:
            return []
        prepared = [(g, as_quads(g, content)) for g, content in graphs]
        with self._write_lock:
            results: dict[str, LoadResult] = {}
            fresh: list[tuple[str, list[ox.Quad]]] = []
            removed: list[ox.Quad] = []
            added: list[ox.Quad] = []
            emptied: list[ox.NamedNode] = []
            changed: dict[str, tuple[ox.Quad, ...]] = {}
            for g, quads in prepared:
                node = ox.NamedNode(g)
                if not self._store.contains_named_graph(node):
                    fresh.append((g, quads))
                    changed[g] = tuple(quads)
                    n = len(set(quads))
                    results[g] = LoadResult("", g, 0, n, added=n, removed=0)
                    continue
                old = set(self._store.quads_for_pattern(None, None, None, node))
                new = canonical(quads)
                gone, came = old - new, new - old
                if len(gone) + len(came) > len(new):  # rewritten: empty the graph in the update, insert it whole
                    emptied.append(node)
                    added.extend(new)
                else:
                    removed.extend(gone)
                    added.extend(came)
                if gone or came:
                    changed[g] = tuple(quads)
                results[g] = LoadResult("", g, len(old), len(new), added=len(came), removed=len(gone))
            if removed or added or emptied:
                self._apply_difference(removed, added, emptied)
            self._bulk_insert(fresh)
            if changed:
                self.changed(replaced=changed)
        return [results[g] for g, _ in prepared]

    def _bulk_insert(self, graphs: list[tuple[str, list[ox.Quad]]]) -> None:
        batch: list[ox.Quad] = []
        for g, quads in graphs:
            if batch and len(batch) + len(quads) > BULK_ATOMIC_QUADS:
                self._store.bulk_extend(batch)
                batch = []
            if quads:
                batch.extend(quads)
            else:
                self._store.add_graph(ox.NamedNode(g))  # an empty graph is still a graph
        if batch:
            self._store.bulk_extend(batch)

    def _apply_difference(self, removed: list[ox.Quad], added: list[ox.Quad],
                          emptied: Sequence[ox.NamedNode] = ()) -> None:
        """Delete `removed`, empty the named graphs `emptied`, then insert `added`, in one
        transaction. The update's text names rows by number only (and emptied graphs by their
        checked IRIs); each row's terms come from the lists through the custom functions."""
        rows = removed + added

        def part(name: str) -> Callable:
            return lambda i: getattr(rows[int(i.value)], name)

        functions = {ox.NamedNode(_FN + name): part(name) for name in ("subject", "predicate", "object", "graph_name")}
        bind = " ".join(f"BIND(<{_FN}{name}>(?i) AS ?{var})"
                        for name, var in (("subject", "s"), ("predicate", "p"), ("object", "o")))
        bind_g = f"BIND(<{_FN}graph_name>(?i) AS ?g)"
        default = [i for i, q in enumerate(rows) if isinstance(q.graph_name, ox.DefaultGraph)]
        in_default = set(default)

        def values(indexes) -> str:
            return " ".join(map(str, indexes))

        n = len(removed)
        named_del = [i for i in range(n) if i not in in_default]
        named_ins = [i for i in range(n, len(rows)) if i not in in_default]
        parts = [
            f"DELETE {{ GRAPH ?g {{ ?s ?p ?o }} }} WHERE {{ VALUES ?i {{ {values(named_del)} }} {bind} {bind_g} }}",
            f"INSERT {{ GRAPH ?g {{ ?s ?p ?o }} }} WHERE {{ VALUES ?i {{ {values(named_ins)} }} {bind} {bind_g} }}",
        ]
        # an emptied graph is cleared by name: Oxigraph drops its quads as stored, without decoding them
        # (a DELETE pattern took as long as the insert). str(NamedNode) is the IRI as pyoxigraph checked
        # it, written as <...>: no text of a page reaches the update unchecked (as in graph_size)
        parts[1:1] = [f"CLEAR SILENT GRAPH {g}" for g in emptied]
        if default:  # the store's own default graph (Graph Store `?default`)
            parts += [
                f"DELETE {{ ?s ?p ?o }} WHERE {{ VALUES ?i {{ {values(i for i in default if i < n)} }} {bind} }}",
                f"INSERT {{ ?s ?p ?o }} WHERE {{ VALUES ?i {{ {values(i for i in default if i >= n)} }} {bind} }}",
            ]
        self._store.update(" ;\n".join(parts), custom_functions=functions)

    def replace_default_graph(self, content: GraphContent) -> LoadResult:
        """The store's own default graph becomes `content` (triples), all or nothing."""
        new = {ox.Quad(t.subject, t.predicate, t.object, ox.DefaultGraph())
               for t in (ox.parse(content, format=ox.RdfFormat.N_TRIPLES) if isinstance(content, (str, bytes))
                         else content)}
        with self._write_lock:
            old = set(self._store.quads_for_pattern(None, None, None, ox.DefaultGraph()))
            gone, came = old - new, new - old
            if gone or came:
                self._apply_difference(list(gone), list(came))
                self.changed(other=True, graphs=())  # the default graph only
        return LoadResult("", "", len(old), len(new), added=len(came), removed=len(gone))

    def clear_default_graph(self) -> None:
        with self._write_lock:
            self._store.clear_graph(ox.DefaultGraph())
            self.changed(other=True, graphs=())  # the default graph only

    def drop_graph(self, graph_iri: str) -> None:
        node = ox.NamedNode(graph_iri)  # checked: the IRI is never pasted into text unchecked
        with self._write_lock:
            if self._store.contains_named_graph(node):
                self._store.remove_graph(node)
                self.changed(dropped=[graph_iri])

    def update(self, sparql_update: str, base_iri: str | None = None, *,
               graphs: Sequence[str] | None = None) -> None:
        """Run a SPARQL update (the API's, written by an authorised client): one transaction, under
        the write lock. `graphs`: every named graph it may change, as listeners are told (the API
        gives `api.update.graphs_an_update_may_change`); None: any graph."""
        with self._write_lock:
            self._store.update(sparql_update, base_iri=base_iri)
            # readers (and the query workers) see a new generation; the search index rereads `graphs`
            self.changed(other=True, graphs=graphs)

    def merge_rdf(self, body: bytes, fmt: ox.RdfFormat, *, base_iri: str | None = None, graph: str | None = None,
                  keep_graphs: bool = False) -> None:
        """Add an RDF document's triples to `graph` (None: the store's own default graph), or with
        `keep_graphs` each quad to its own graph, in one transaction. Raises SyntaxError (or
        ValueError) when the body does not parse: nothing is written then. Listeners are told the
        graphs it may have changed: `graph`, none for the default graph, any with `keep_graphs`."""
        target = ox.NamedNode(graph) if graph else ox.DefaultGraph()
        with self._write_lock:
            if keep_graphs or fmt not in (ox.RdfFormat.N_QUADS, ox.RdfFormat.TRIG):
                # one load = one transaction; quads keep their graphs, triples go to the target
                self._store.load(body, format=fmt, base_iri=base_iri, to_graph=None if keep_graphs else target)
            else:  # a quad format sent to one graph: its graph names are ignored
                quads = list(ox.parse(body, format=fmt, base_iri=base_iri))
                self._store.extend([ox.Quad(q.subject, q.predicate, q.object, target) for q in quads])
            if graph and not self._store.contains_named_graph(target):
                self._store.add_graph(target)  # an empty body still creates the graph
            self.changed(other=True, graphs=None if keep_graphs else (graph,) if graph else ())

    def flush(self) -> None:
        self._store.flush()

    # -- reads --------------------------------------------------------------

    def graph_size(self, graph_iri: str) -> int:
        # str(NamedNode) is the IRI checked and written as <...>: never raw text in a query
        rows = self._store.query(f"SELECT (COUNT(*) AS ?n) WHERE {{ GRAPH {ox.NamedNode(graph_iri)} {{ ?s ?p ?o }} }}")
        return int(next(iter(rows))["n"].value)

    def contains_named_graph(self, graph_iri: str) -> bool:
        return self._store.contains_named_graph(ox.NamedNode(graph_iri))

    def dump_graph(self, graph_iri: str | None, fmt: ox.RdfFormat) -> bytes:
        """One graph (None: the store's own default graph) serialised; quad formats name it."""
        node = ox.NamedNode(graph_iri) if graph_iri else ox.DefaultGraph()
        if fmt in (ox.RdfFormat.N_QUADS, ox.RdfFormat.TRIG):
            return ox.serialize(self._store.quads_for_pattern(None, None, None, node), format=fmt)
        return self._store.dump(format=fmt, from_graph=node)

    def dump_dataset(self, fmt: ox.RdfFormat) -> bytes:
        """Every graph, as N-Quads or TriG."""
        return self._store.dump(format=fmt)

    @property
    def reader(self) -> ox.Store:
        """What read-only code (linked-data pages, VoID) queries: here the pyoxigraph Store itself."""
        return self._store

    def graph_quads(self, graph_iri: str) -> list[ox.Quad]:
        return list(self._store.quads_for_pattern(None, None, None, ox.NamedNode(graph_iri)))

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

    def on_close(self, callback: Callable[[], None]) -> None:
        """Call `callback` after the store is closed (e.g. to release the ingest lock)."""
        self._on_close.append(callback)

    def close(self) -> None:
        if not hasattr(self, "_store"):
            return
        if not self.read_only:
            try:
                self._store.flush()
            except OSError:
                pass
        del self._store
        for callback in self._on_close:
            callback()

    def __enter__(self) -> "OxigraphStore":
        return self

    def __exit__(self, *exc) -> None:
        self.close()
