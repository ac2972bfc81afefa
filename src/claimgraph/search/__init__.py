"""Full-text search over claims, articles and entities, kept in step with the graph.

- `entries`: what is indexed, built from one named graph's triples (pure).
- `query`: the search syntax users type, parsed and checked (`SearchSyntaxError`).
- `index`: `SearchIndex`, Tantivy in one folder (why Tantivy, with figures: its docstring).
- `sync`: `IndexUpdater` for the load step, `repair` after a crash, `reindex`.

    from claimgraph.search import SearchIndex, SearchRequest, reindex
    from claimgraph.stores import OxigraphStore

    with OxigraphStore("data/store") as store, SearchIndex("data/search") as index:
        print(reindex(store, index).render())
        for hit in index.search(SearchRequest('"export controls"', kinds=("claim",))).hits:
            print(hit.score, hit.iri, hit.snippet_html)

Where it plugs in (next round): the load step calls `IndexUpdater` around each
graph replacement (and `repair` once at the start of a run); the API opens
`SearchIndex(path, read_only=True)` and answers `InvalidSearch` with 400; text
search inside SPARQL is best done by rewriting a search pattern into a
`VALUES (?hit ?score) {…}` block before evaluation, which every backend
evaluates the same (pyoxigraph's `custom_functions` would be called row by row
and exist only in the embedded store).
"""
from .entries import IndexedGraph, Kind, SearchEntry, Triple, graph_entries, triples_from_ntriples
from .index import SearchHit, SearchIndex, SearchIndexError, SearchPage, SearchRequest
from .query import InvalidSearch, SearchSyntaxError, parse_query
from .sync import IndexUpdater, SyncReport, drifted, reindex, repair, suspects

__all__ = [
    "IndexedGraph", "Kind", "SearchEntry", "Triple", "graph_entries", "triples_from_ntriples",
    "SearchHit", "SearchIndex", "SearchIndexError", "SearchPage", "SearchRequest",
    "InvalidSearch", "SearchSyntaxError", "parse_query",
    "IndexUpdater", "SyncReport", "drifted", "reindex", "repair", "suspects",
]
