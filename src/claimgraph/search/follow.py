"""Keeping the text index in step with a store while it is written, in the writing process.

One process writes a store folder at a time (the server, or an ingest when no
server holds it), and that process writes the index beside it
(`Settings.search_index_path`: `<store>.search`). `follow_store(store)` opens
the index, repairs what drifted while nobody followed (`sync.repair`), and
listens to the store (`OxigraphStore.add_listener`). The store calls the
listener after each committed write, in the writing thread and under the
store's write lock, so the index changes in the order the store did and a
search that starts after a write returns sees it:

- graphs replaced (a load batch, a Graph Store PUT): their entries are built
  from the new quads and replaced, all the write's graphs in one index commit
  (Tantivy's commit is the cost, about 200 ms: a load batch pays it once;
  graphs whose entries did not change, by their stamp, are left out, and a
  write that changes no entry commits nothing);
- graphs dropped: their entries go, in the same commit;
- an arbitrary write (`StoreChange.other`: a SPARQL update, a Graph Store
  POST): the graphs it may have changed (`StoreChange.graphs`, or every graph)
  are read back from the store and those whose stamp differs are rewritten.

A crash between the store's commit and the index's leaves a graph the index
does not know changed. So while a follower has the index open it holds a
mark of its own (`sync.ALL_GRAPHS` + a session id), cleared when the store
closes cleanly; the next `follow_store` after a kill finds it and checks every
graph (a stamp comparison; only graphs that differ are rewritten). A failed
index write never undoes or fails the store's write: it is logged, and the
graphs it left behind are checked again at the next write.

`SearchIndexObserver` is the load step's side (`pipeline.default_observers`):
told before a batch is written, with the store it goes to, it makes sure the
store is followed (`keep_in_step`), so every shell (the CLI, the flows,
incremental runs, `pipeline.ingest`) keeps the index without opening it
itself; the enrich flow calls `keep_in_step` for the graph it writes. A store
in memory is followed only when someone asked for it (the API does, with an
index in memory); a remote store is followed by the server that holds it.
"""
from __future__ import annotations

import logging
import threading
import uuid
import weakref
from collections.abc import Sequence

import pyoxigraph as ox

from ..config import Settings, get_settings
from .entries import IndexedGraph, graph_entries, triple_from_terms
from .index import SearchIndex
from .sync import ALL_GRAPHS, reindex, repair

log = logging.getLogger("claimgraph.search")

WRITER_HANDOVER_S = 10.0  # how long a new writer waits for the previous one to let go of the index

_followers: "weakref.WeakKeyDictionary[object, IndexFollower]" = weakref.WeakKeyDictionary()
_followers_lock = threading.Lock()


def indexed_graph(graph_iri: str, quads: Sequence[ox.Quad]) -> IndexedGraph:
    """A graph's search entries from its quads (what a store change carries)."""
    return graph_entries(graph_iri, (triple_from_terms(q.subject, q.predicate, q.object) for q in quads))


class IndexFollower:
    """The store listener that applies each committed write to the index (see the module docstring)."""

    def __init__(self, store, index: SearchIndex):
        self.store = store
        self.index = index
        self.session_mark = f"{ALL_GRAPHS}{uuid.uuid4().hex}"
        self.behind: set[str] | None = set()  # graphs a failed index write left behind; None: any
        self.last_error: str | None = None
        self.closed = False

    def __call__(self, change) -> None:
        try:
            self._apply(change)
            self.last_error = None
        except Exception as exc:  # the store's write stands; the index catches up at the next write
            self.last_error = f"{type(exc).__name__}: {exc}"
            if change.other and change.graphs is None:
                self.behind = None
            elif self.behind is not None:
                self.behind |= {*change.replaced, *change.dropped, *(change.graphs or ())}
            log.warning("search index at %s did not follow a store write (%s); it is checked again at "
                        "the next write and at the next start", self.index.path or "(memory)", self.last_error)

    def _apply(self, change) -> None:
        if self.closed:
            return
        changes: dict[str, IndexedGraph | None] = {}
        for g, quads in change.replaced.items():
            indexed = indexed_graph(g, quads)
            if indexed.stamp != self.index.stamp(g):  # same entries (a re-run, NIF, provenance): no commit
                changes[g] = indexed
        changes.update({g: None for g in change.dropped if self.index.stamp(g) is not None})
        if changes:
            self.index.update_graphs(changes)
        recheck: set[str] | None = set(self.behind) if self.behind is not None else None
        if change.other:
            recheck = None if (recheck is None or change.graphs is None) else recheck | set(change.graphs)
        if recheck is None or recheck:
            report = reindex(self.store, self.index, graphs=None if recheck is None else sorted(recheck - set(changes)))
            if report.failed:
                raise RuntimeError("; ".join(f"{g}: {why}" for g, why in report.failed[:3]))
        self.behind = set()

    def close(self) -> None:
        """Stop following; a clean stop takes this session's mark away (when nothing was left behind)."""
        if self.closed:
            return
        self.closed = True
        try:
            if self.behind == set():
                self.index.clear_pending([self.session_mark])
        finally:
            self.index.close()


def follower_of(store) -> IndexFollower | None:
    with _followers_lock:
        return _followers.get(store)


def follow_store(store, settings: Settings | None = None, *, index: SearchIndex | None = None
                 ) -> IndexFollower | None:
    """Keep the index beside `store` (an `OxigraphStore` this process writes) in step with it.

    Opens the index (`index`, else `settings.search_index_path(store.path)`; in memory for a
    store in memory), repairs drift, and listens to every write until the store closes. Returns
    the follower, the same one on a second call; None when search is off, or the store is not
    one this process writes (read-only, or remote: its server keeps its own index). Raises
    SearchIndexError when the index cannot be opened."""
    from ..stores.embedded import OxigraphStore

    settings = settings or get_settings()
    if not settings.search or not isinstance(store, OxigraphStore) or store.read_only:
        return None
    with _followers_lock:
        existing = _followers.get(store)
        if existing is not None and not existing.closed:
            return existing
        if index is None:
            index = SearchIndex(settings.search_index_path(store.path), writer_wait_s=WRITER_HANDOVER_S)
        follower = IndexFollower(store, index)
        try:
            report = repair(store, index)
            if report.rewritten or report.deleted or report.failed:
                log.info("%s", report.render())
            index.mark_pending([follower.session_mark])  # held while we follow (see the module docstring)
        except BaseException:
            index.close()
            raise
        store.add_listener(follower)
        store.on_close(follower.close)
        _followers[store] = follower
        return follower


def keep_in_step(store, settings: Settings | None = None) -> IndexFollower | None:
    """`follow_store` for shells that write a store on disk: an index that cannot be opened is
    logged and the write goes on (the store is the truth: `claimgraph reindex`, or the next
    start, brings the index back). A store in memory is left alone unless already followed."""
    from ..stores.embedded import OxigraphStore

    if not isinstance(store, OxigraphStore) or store.path is None:
        return follower_of(store)
    try:
        return follow_store(store, settings)
    except Exception as exc:  # noqa: BLE001 - the index must never cost a document
        log.warning("the search index is not kept in step with %s: %s: %s", store.path, type(exc).__name__, exc)
        return None


class SearchIndexObserver:
    """The search index's place in `pipeline.default_observers`: before each load batch it
    makes sure the store being written is followed (`keep_in_step`), so the batch's graphs
    reach the index in the same write."""

    def __init__(self, settings: Settings | None = None):
        self.settings = settings or get_settings()
        self.tried: weakref.WeakSet = weakref.WeakSet()

    def documents_loading(self, store, run, outcomes) -> None:
        if store not in self.tried:  # once per store: a failure is reported once
            self.tried.add(store)
            keep_in_step(store, self.settings)

    def documents_loaded(self, run, outcomes) -> None:
        """Nothing left to do: the store's listener indexed the batch as it was written."""


__all__ = ["IndexFollower", "SearchIndexObserver", "follow_store", "follower_of", "indexed_graph",
           "keep_in_step"]
