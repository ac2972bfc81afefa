"""The SQLite FTS5 candidate for ClaimGraph's text index, kept for benchmarks/search_bench.py.

ClaimGraph uses Tantivy (src/claimgraph/search/index.py says why, with the
figures). This is the FTS5 design that was measured against it, complete
enough to answer the same requests: one SQLite file in WAL mode, `entries` +
`facets` tables beside an FTS5 table (porter stemmer, prefix indexes), one
transaction per replace, entities collapsed by IRI at query time (GROUP BY),
snippets from FTS5's snippet() escaped with <mark> only.
"""
from __future__ import annotations

import html
import sqlite3
import threading
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date
from pathlib import Path

from claimgraph.search.entries import MARK_END, MARK_START, IndexedGraph, Kind
from claimgraph.search.index import SearchRequest
from claimgraph.search.query import And, InvalidSearch, Node, Not, Or, Phrase, Word, parse_query

SCHEMA_VERSION = "1"
MAX_LIMIT = 100
MAX_OFFSET = 10_000
TITLE_WEIGHT, TEXT_WEIGHT = 4.0, 1.0  # a word in a headline or a name counts four times one in a body
SNIPPET_TOKENS = 32

_SCHEMA = f"""
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS graphs (graph TEXT PRIMARY KEY, stamp TEXT NOT NULL, entries INTEGER NOT NULL);
CREATE TABLE IF NOT EXISTS pending (graph TEXT PRIMARY KEY);
CREATE TABLE IF NOT EXISTS entries (
  id INTEGER PRIMARY KEY,
  graph TEXT NOT NULL,
  iri TEXT NOT NULL,
  kind TEXT NOT NULL,
  category TEXT NOT NULL,
  label TEXT NOT NULL,
  date TEXT
);
CREATE INDEX IF NOT EXISTS entries_graph ON entries (graph);
CREATE INDEX IF NOT EXISTS entries_iri ON entries (iri);
CREATE TABLE IF NOT EXISTS facets (entry INTEGER NOT NULL, facet TEXT NOT NULL, value TEXT NOT NULL);
CREATE INDEX IF NOT EXISTS facets_value ON facets (facet, value, entry);
CREATE INDEX IF NOT EXISTS facets_entry ON facets (entry);
CREATE VIRTUAL TABLE IF NOT EXISTS fts USING fts5 (
  title, text, tokenize = 'porter unicode61 remove_diacritics 2', prefix = '2 3'
);
INSERT OR IGNORE INTO meta VALUES ('schema', '{SCHEMA_VERSION}');
"""


class SearchIndexError(Exception):
    """The index file cannot be opened or is not a ClaimGraph index; the message says which."""


@dataclass(frozen=True)
class SearchHit:
    iri: str
    kind: Kind
    category: str
    label: str
    score: float  # BM25, higher is better
    snippet_html: str  # escaped text; the matched words in <mark>…</mark>
    graphs: tuple[str, ...]  # the document graphs the match came from (an entity: all of them)
    date: str | None


@dataclass(frozen=True)
class SearchPage:
    hits: tuple[SearchHit, ...]
    total: int  # distinct IRIs matching, for paging
    limit: int
    offset: int


class Fts5Index:
    """A text index over search entries, in one SQLite file (`path=None`: in memory).

    Writes (`replace_graphs`, `delete_graphs`, `mark_pending`) are each one
    transaction, serialised by a lock; searches run on a connection per thread,
    in parallel with writes (WAL). `read_only=True` opens the file for readers
    in other processes."""

    def __init__(self, path: Path | str | None = None, *, read_only: bool = False):
        self.path = Path(path) if path is not None else None
        self.read_only = read_only
        self._write_lock = threading.Lock()
        self._local = threading.local()
        self._connections: list[sqlite3.Connection] = []
        self._connections_lock = threading.Lock()
        if self.path is not None and not read_only:
            self.path.parent.mkdir(parents=True, exist_ok=True)
        self._memory_uri = f"file:claimgraph-search-{id(self)}?mode=memory&cache=shared" if path is None else None
        # The writer connection also keeps an in-memory database alive.
        self._writer = self._connect(write=not read_only)
        if not read_only:
            try:
                self._writer.executescript(_SCHEMA)
            except sqlite3.DatabaseError as exc:
                raise SearchIndexError(f"{self.path} is not a search index: {exc}") from exc
        version = self._scalar(self._writer, "SELECT value FROM meta WHERE key = 'schema'")
        if version != SCHEMA_VERSION:
            raise SearchIndexError(f"{self.path}: index schema {version!r}, this ClaimGraph needs "
                                   f"{SCHEMA_VERSION!r}; delete the file and run `claimgraph reindex`")

    # -- connections ---------------------------------------------------------------

    def _connect(self, *, write: bool) -> sqlite3.Connection:
        try:
            if self._memory_uri:
                conn = sqlite3.connect(self._memory_uri, uri=True, check_same_thread=False)
            elif write:
                conn = sqlite3.connect(self.path, check_same_thread=False)
            else:
                if not self.path.exists():
                    raise SearchIndexError(f"no search index at {self.path}")
                conn = sqlite3.connect(f"file:{self.path}?mode=ro", uri=True, check_same_thread=False)
            conn.execute("PRAGMA busy_timeout = 10000")
            if write and not self._memory_uri:
                conn.execute("PRAGMA journal_mode = WAL")
                conn.execute("PRAGMA synchronous = NORMAL")
        except sqlite3.DatabaseError as exc:
            raise SearchIndexError(f"cannot open the search index at {self.path}: {exc}") from exc
        conn.isolation_level = None  # explicit BEGIN/COMMIT below
        with self._connections_lock:
            self._connections.append(conn)
        return conn

    def _reader(self) -> sqlite3.Connection:
        conn = getattr(self._local, "conn", None)
        if conn is None:
            conn = self._local.conn = self._connect(write=False) if not self._memory_uri else self._connect(write=True)
        return conn

    @staticmethod
    def _scalar(conn: sqlite3.Connection, sql: str, args: Sequence = ()):
        try:
            row = conn.execute(sql, args).fetchone()
        except sqlite3.DatabaseError as exc:
            raise SearchIndexError(f"not a ClaimGraph search index: {exc}") from exc
        return row[0] if row else None

    # -- writes ----------------------------------------------------------------------

    def replace_graphs(self, graphs: Iterable[IndexedGraph]) -> int:
        """Replace the entries of each graph with the given ones, all graphs in one
        transaction; clears their pending marks. Returns the number of entries written."""
        self._check_writable()
        graphs = list(graphs)
        written = 0
        with self._write_lock, self._transaction() as conn:
            for g in graphs:
                self._delete(conn, g.graph)
                for e in g.entries:
                    cur = conn.execute(
                        "INSERT INTO entries (graph, iri, kind, category, label, date) VALUES (?, ?, ?, ?, ?, ?)",
                        (g.graph, e.iri, e.kind.value, e.category, e.label, e.date))
                    rowid = cur.lastrowid
                    conn.execute("INSERT INTO fts (rowid, title, text) VALUES (?, ?, ?)", (rowid, e.title, e.text))
                    conn.executemany("INSERT INTO facets VALUES (?, ?, ?)", [
                        *((rowid, "state", v) for v in e.states), *((rowid, "author", v) for v in e.authors),
                        *((rowid, "publisher", v) for v in e.publishers)])
                    written += 1
                conn.execute("INSERT OR REPLACE INTO graphs VALUES (?, ?, ?)", (g.graph, g.stamp, len(g.entries)))
                conn.execute("DELETE FROM pending WHERE graph = ?", (g.graph,))
        return written

    def replace_graph(self, graph: IndexedGraph) -> int:
        return self.replace_graphs([graph])

    def delete_graphs(self, graph_iris: Iterable[str]) -> None:
        """Remove every entry of these graphs (and their stamps and pending marks)."""
        self._check_writable()
        with self._write_lock, self._transaction() as conn:
            for g in graph_iris:
                self._delete(conn, g)
                conn.execute("DELETE FROM graphs WHERE graph = ?", (g,))
                conn.execute("DELETE FROM pending WHERE graph = ?", (g,))

    def delete_graph(self, graph_iri: str) -> None:
        self.delete_graphs([graph_iri])

    def mark_pending(self, graph_iris: Iterable[str]) -> None:
        """Note that these graphs are about to change in the store. A writer calls this
        before writing the store and `replace_graphs` after; if it dies in between, the
        marks tell `sync.repair` which graphs to look at."""
        self._check_writable()
        with self._write_lock, self._transaction() as conn:
            conn.executemany("INSERT OR IGNORE INTO pending VALUES (?)", [(g,) for g in graph_iris])

    @staticmethod
    def _delete(conn: sqlite3.Connection, graph_iri: str) -> None:
        conn.execute("DELETE FROM fts WHERE rowid IN (SELECT id FROM entries WHERE graph = ?)", (graph_iri,))
        conn.execute("DELETE FROM facets WHERE entry IN (SELECT id FROM entries WHERE graph = ?)", (graph_iri,))
        conn.execute("DELETE FROM entries WHERE graph = ?", (graph_iri,))

    def _transaction(self):
        index = self

        class _Tx:
            def __enter__(self):
                index._writer.execute("BEGIN IMMEDIATE")
                return index._writer

            def __exit__(self, exc_type, exc, tb):
                index._writer.execute("COMMIT" if exc_type is None else "ROLLBACK")
                return False

        return _Tx()

    def _check_writable(self) -> None:
        if self.read_only:
            raise SearchIndexError(f"the search index at {self.path} is open read-only")

    # -- state ---------------------------------------------------------------------------

    def stamps(self) -> dict[str, str]:
        """Graph IRI -> stamp, for every graph the index holds."""
        return dict(self._reader().execute("SELECT graph, stamp FROM graphs").fetchall())

    def stamp(self, graph_iri: str) -> str | None:
        return self._scalar(self._reader(), "SELECT stamp FROM graphs WHERE graph = ?", (graph_iri,))

    def pending(self) -> list[str]:
        return [g for (g,) in self._reader().execute("SELECT graph FROM pending ORDER BY graph")]

    def entry_count(self) -> int:
        return self._scalar(self._reader(), "SELECT count(*) FROM entries")

    def integrity_check(self) -> None:
        """Raise SearchIndexError unless SQLite and FTS5 both find the file sound."""
        conn = self._reader()
        result = self._scalar(conn, "PRAGMA integrity_check")
        if result != "ok":
            raise SearchIndexError(f"integrity check of {self.path}: {result}")
        if not self.read_only:  # FTS5's own check is a command, written as an INSERT
            try:
                with self._write_lock:
                    self._writer.execute("INSERT INTO fts (fts, rank) VALUES ('integrity-check', 1)")
            except sqlite3.DatabaseError as exc:
                raise SearchIndexError(f"full-text index of {self.path} is damaged: {exc}") from exc
        orphans = self._scalar(conn, "SELECT count(*) FROM entries WHERE graph NOT IN (SELECT graph FROM graphs)")
        if orphans:
            raise SearchIndexError(f"{orphans} entries of {self.path} belong to no indexed graph")

    # -- search --------------------------------------------------------------------------

    def search(self, request: SearchRequest | str) -> SearchPage:
        """BM25-ranked hits for a query, one per IRI (an entity named in several
        documents is one hit), with a snippet. Raises `InvalidSearch` (its subclass
        `SearchSyntaxError` for the query string) with a reason fit for a 400."""
        if isinstance(request, str):
            request = SearchRequest(request)
        node = parse_query(request.q)
        match = to_fts5(node)
        where, args = _filters(request)
        conn = self._reader()
        # bm25() is negative, lower is better. It may only run in the MATCH query itself,
        # so the matches are materialised first; then an IRI's best entry stands for it
        # (SQLite's min() takes the other bare columns from that row), and the window
        # count gives the total before LIMIT, in the same pass.
        sql = f"""
            WITH matches AS MATERIALIZED (
              SELECT rowid AS id, bm25(fts, {TITLE_WEIGHT}, {TEXT_WEIGHT}) AS score FROM fts WHERE fts MATCH ?)
            SELECT e.iri, e.kind, e.category, e.label, e.date, e.id, min(m.score) AS best,
                   group_concat(DISTINCT e.graph), count(*) OVER () AS total
            FROM matches AS m JOIN entries AS e ON e.id = m.id
            WHERE 1 {where}
            GROUP BY e.iri ORDER BY best, e.iri LIMIT ? OFFSET ?"""
        try:
            rows = conn.execute(sql, (match, *args, request.limit, request.offset)).fetchall()
            total = rows[0][8] if rows else (self._count(conn, sql, match, args) if request.offset else 0)
            snippets = self._snippets(conn, match, [r[5] for r in rows])
        except sqlite3.OperationalError as exc:
            # The parser accepts only what compiles; this is a safety net, said plainly.
            raise InvalidSearch(f"the search engine could not run this query: {exc}") from exc
        hits = tuple(SearchHit(iri=iri, kind=Kind(kind), category=category, label=label, score=round(-score, 6),
                               snippet_html=snippets.get(entry_id) or html.escape(label[:200]),
                               graphs=tuple(sorted(graphs.split(","))), date=date_)
                     for iri, kind, category, label, date_, entry_id, score, graphs, _ in rows)
        return SearchPage(hits, total, request.limit, request.offset)

    @staticmethod
    def _count(conn: sqlite3.Connection, sql: str, match: str, args: list) -> int:
        """The total when the page asked for is past the last hit."""
        row = conn.execute(sql, (match, *args, 1, 0)).fetchone()
        return row[8] if row else 0

    @staticmethod
    def _snippets(conn: sqlite3.Connection, match: str, entry_ids: list[int]) -> dict[int, str]:
        if not entry_ids:
            return {}
        marks = ",".join("?" * len(entry_ids))
        rows = conn.execute(
            f"SELECT rowid, snippet(fts, -1, ?, ?, '…', {SNIPPET_TOKENS}) FROM fts "
            f"WHERE fts MATCH ? AND rowid IN ({marks})", (MARK_START, MARK_END, match, *entry_ids)).fetchall()
        return {rowid: highlight_html(text) for rowid, text in rows}

    def close(self) -> None:
        with self._connections_lock:
            for conn in self._connections:
                try:
                    conn.close()
                except sqlite3.Error:
                    pass
            self._connections.clear()

    def __enter__(self) -> "Fts5Index":
        return self

    def __exit__(self, *exc) -> None:
        self.close()


def highlight_html(marked: str) -> str:
    """Text with private-use highlight markers -> escaped HTML with <mark> only.
    The markers never come from a page (entries strip them), so every `<`, `&`,
    quote of the text is escaped and the only tags are ours."""
    return html.escape(marked, quote=True).replace(MARK_START, "<mark>").replace(MARK_END, "</mark>")


def _iso_date(value: str | None, name: str) -> str | None:
    if value is None or value == "":
        return None
    try:
        return date.fromisoformat(value).isoformat()
    except (TypeError, ValueError):
        raise InvalidSearch(f"{name} must be a date written YYYY-MM-DD, not {value!r}") from None


def _filters(r: SearchRequest) -> tuple[str, list]:
    """SQL conditions and arguments for a request's filters and paging checks."""
    if not 1 <= r.limit <= MAX_LIMIT:
        raise InvalidSearch(f"limit must be between 1 and {MAX_LIMIT}")
    if not 0 <= r.offset <= MAX_OFFSET:
        raise InvalidSearch(f"offset must be between 0 and {MAX_OFFSET}")
    sql: list[str] = []
    args: list = []
    if r.kinds:
        try:
            kinds = [Kind(k).value for k in r.kinds]
        except ValueError:
            raise InvalidSearch(f"type must be one of {', '.join(k.value for k in Kind)}") from None
        sql.append(f"e.kind IN ({','.join('?' * len(kinds))})")
        args += kinds
    for facet, values in (("state", r.states), ("author", r.authors), ("publisher", r.publishers)):
        if values:
            sql.append(f"EXISTS (SELECT 1 FROM facets f WHERE f.entry = e.id AND f.facet = ? "
                       f"AND f.value IN ({','.join('?' * len(values))}))")
            args += [facet, *values]
    start, end = _iso_date(r.date_from, "the start date"), _iso_date(r.date_to, "the end date")
    if start and end and start > end:
        raise InvalidSearch(f"the date range is empty: {start} is after {end}")
    if start:
        sql.append("e.date >= ?")
        args.append(start)
    if end:
        sql.append("e.date <= ?")
        args.append(end)
    return "".join(" AND " + s for s in sql), args



def _fts_string(text: str) -> str:
    return '"' + text.replace('"', '""') + '"'


def to_fts5(node: Node) -> str:
    """The FTS5 MATCH expression for a parsed query; every word is a quoted FTS5 string."""
    if isinstance(node, Word):
        return _fts_string(node.text) + ("*" if node.prefix else "")
    if isinstance(node, Phrase):
        return _fts_string(" ".join(node.words))
    if isinstance(node, Or):
        return "(" + " OR ".join(to_fts5(n) for n in node.nodes) + ")"
    if isinstance(node, And):
        expr = "(" + " AND ".join(to_fts5(n) for n in node.nodes if not isinstance(n, Not)) + ")"
        for n in node.nodes:
            if isinstance(n, Not):
                expr = f"({expr} NOT {to_fts5(n.node)})"
        return expr
    raise TypeError(f"not a query node: {node!r}")
