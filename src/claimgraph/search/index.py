"""The text index: Tantivy in one folder, kept in step with the store graph by graph.

Why Tantivy and not SQLite FTS5: both were measured answering the same
requests on the same 10,000 generated articles (benchmarks/search_bench.py,
figures in the README). Tantivy answered the ranked top 10 with total and
snippets 7-45x faster at the median (4-11 ms against 61-329 ms) and 11-53x
at p99: FTS5 must score every match before it can rank, and a common word
matches tens of thousands of entries at this size, where Tantivy skips what
cannot reach the top 10. Its index was 5x smaller (38 MB against 188 MB). FTS5
replaces one document faster (one SQLite transaction, about 5 ms, against one
Tantivy commit, about 200 ms) and built the whole index in half the time; the
load step can batch graphs per commit (`replace_graphs`), and a commit is
small beside the seconds extraction spends on a document. Against the same
question as SPARQL `CONTAINS` over all matches (what ranking needs), Tantivy
was 58-202x faster at the median, FTS5 4-24x.

What is in the index (one Tantivy document each, told apart by `doc`):

- `entry`: a claim or an article of one graph (`graph`, `iri`, `kind`, text
  fields, facets);
- `entity`: one per entity IRI, merged from every graph that names it, so an
  entity named in 3,000 articles is one hit; it keeps how many graphs give
  each of its names, states, labels, descriptions and categories;
- `source`: one graph's contribution to an entity (stored only): what to
  subtract from those tallies when that graph is replaced or dropped;
- `graph`: a graph's stamp (see `entries.stamp_of`), one per indexed graph.

A graph's documents all carry its IRI in `graph`, so replacing a graph is one
delete-by-term plus the new documents, and one commit makes all of it visible
at once: a kill -9 leaves the last commit (Tantivy swaps its meta.json
atomically), never half a graph. Pending marks (graphs a writer is about to
change in the store) live beside the index in a small SQLite file, so marking
costs no Tantivy commit; a stale mark only makes `sync.repair` look at a graph.

Text is analysed twice: `*_stem` fields (lowercase, accents folded, English
stemmer) for words and phrases, `*_exact` fields (no stemmer) for prefixes,
so `rapprochem*` finds "rapprochement" although its stem is "rapproch".
"""
from __future__ import annotations

import datetime as dt
import html
import json
import sqlite3
import threading
import time
import unicodedata
from collections.abc import Iterable
from dataclasses import dataclass, replace
from pathlib import Path

import tantivy as tv

from .entries import MARK_END, MARK_START, IndexedGraph, Kind, SearchEntry
from .query import And, InvalidSearch, Node, Not, Or, Phrase, SearchSyntaxError, Word, parse_query, words_of

INDEX_VERSION = "1"
MAX_LIMIT = 100
MAX_OFFSET = 10_000
MAX_RANKED = 10_000  # hits `ranked` returns at most (a search inside SPARQL)
TITLE_BOOST = 4.0  # a word in a headline or a name counts four times one in a body
PREFIX_EXPANSION = 64  # a prefix stands for at most this many words (the most frequent)
SNIPPET_TOKENS = 30
SNIPPET_SCAN_CHARS = 20_000  # a snippet comes from the start of a long body, where most matches are
WRITER_HEAP = 50_000_000
MAX_NAME_TOKENS = 16  # a name looked up for a filter (`entities_named`) is at most this many words

STEM, EXACT = "cg_stem", "cg_exact"
TEXT_FIELDS = ("title", "text")


def _analyzer(stem: bool) -> tv.TextAnalyzer:
    b = (tv.TextAnalyzerBuilder(tv.Tokenizer.simple()).filter(tv.Filter.remove_long(40))
         .filter(tv.Filter.lowercase()).filter(tv.Filter.ascii_fold()))
    return (b.filter(tv.Filter.stemmer("english")) if stem else b).build()


_STEMMER, _EXACT = _analyzer(True), _analyzer(False)


def _schema() -> tv.Schema:
    sb = tv.SchemaBuilder()
    for name in ("doc", "graph", "iri", "kind"):
        sb.add_text_field(name, stored=name != "doc", tokenizer_name="raw", index_option="basic")
    for name in ("state", "author", "publisher"):
        sb.add_text_field(name, tokenizer_name="raw", index_option="basic")
    sb.add_text_field("category", stored=True, tokenizer_name="raw", index_option="basic")
    sb.add_text_field("label", stored=True, tokenizer_name="raw", index_option="basic")
    for name in TEXT_FIELDS:
        sb.add_text_field(f"{name}_stem", stored=True, tokenizer_name=STEM, index_option="position")
        sb.add_text_field(f"{name}_exact", tokenizer_name=EXACT, index_option="freq")
    sb.add_date_field("date", stored=True, indexed=True, fast=True)
    sb.add_text_field("stamp", stored=True, tokenizer_name="raw", index_option="basic")
    sb.add_bytes_field("payload", stored=True)
    return sb.build()


class SearchIndexError(Exception):
    """The index cannot be opened or is not a ClaimGraph index; the message says which."""


@dataclass(frozen=True)
class SearchRequest:
    """One search. Facet filters take IRIs; several values of one facet mean any of them,
    different facets must all hold. Dates are inclusive, YYYY-MM-DD. Entities have
    states but no author, publisher or date: with those filters only claims and
    articles are found."""

    q: str
    kinds: tuple[Kind, ...] = ()
    states: tuple[str, ...] = ()
    authors: tuple[str, ...] = ()
    publishers: tuple[str, ...] = ()
    date_from: str | None = None
    date_to: str | None = None
    limit: int = 10
    offset: int = 0


@dataclass(frozen=True)
class SearchHit:
    iri: str
    kind: Kind
    category: str  # entities: person, organization, state, place, event, group
    label: str
    score: float  # BM25, higher is better
    snippet_html: str  # escaped text; the matched words in <mark>…</mark>
    graph: str | None  # the document graph of a claim or an article; None for an entity
    date: str | None


@dataclass(frozen=True)
class SearchPage:
    hits: tuple[SearchHit, ...]
    total: int
    limit: int
    offset: int


class SearchIndex:
    """A text index over search entries in a folder (`path=None`: in memory).

    Writes (`replace_graphs`, `delete_graphs`) are each one commit, serialised
    by a lock; searches see the last commit. `read_only=True` opens an index
    another process writes (the query workers): each search looks for its
    newest commit first."""

    def __init__(self, path: Path | str | None = None, *, read_only: bool = False, writer_wait_s: float = 0.0):
        self.path = Path(path) if path is not None else None
        self.read_only = read_only
        self.writer_wait_s = writer_wait_s
        self._lock = threading.Lock()
        self._schema = _schema()
        try:
            if self.path is None:
                self._index = tv.Index(self._schema)
            elif read_only:
                if not (self.path / "meta.json").exists():
                    raise SearchIndexError(f"no search index at {self.path}")
                self._index = tv.Index.open(str(self.path))
            else:
                self.path.mkdir(parents=True, exist_ok=True)
                self._index = tv.Index(self._schema, path=str(self.path))
        except (OSError, ValueError) as exc:
            raise SearchIndexError(f"cannot open the search index at {self.path}: {exc}") from exc
        self._index.register_tokenizer(STEM, _STEMMER)
        self._index.register_tokenizer(EXACT, _EXACT)
        if self.path is not None and (self.path / "claimgraph-index").exists():
            version = (self.path / "claimgraph-index").read_text().strip()
            if version != INDEX_VERSION:
                raise SearchIndexError(f"{self.path}: index version {version!r}, this ClaimGraph needs "
                                       f"{INDEX_VERSION!r}; run `claimgraph reindex --fresh`")
        elif self.path is not None and not read_only:
            (self.path / "claimgraph-index").write_text(INDEX_VERSION + "\n")
        self._writer: tv.IndexWriter | None = None
        self._pending = _PendingMarks(None if self.path is None else self.path / "pending.sqlite", read_only)

    # -- writes ----------------------------------------------------------------------------

    def _get_writer(self) -> tv.IndexWriter:
        if self.read_only:
            raise SearchIndexError(f"the search index at {self.path} is open read-only")
        if self._writer is None:
            # Another process holds Tantivy's writer lock. A store changes hands (a server stops,
            # an ingest starts) with the old writer closing its index just after its store: wait
            # that long, not longer.
            deadline = time.monotonic() + self.writer_wait_s
            while True:
                try:
                    self._writer = self._index.writer(heap_size=WRITER_HEAP, num_threads=1)
                    break
                except ValueError as exc:
                    if time.monotonic() >= deadline:
                        raise SearchIndexError(f"cannot write the search index at {self.path}: {exc}") from exc
                    time.sleep(0.05)
        return self._writer

    def replace_graphs(self, graphs: Iterable[IndexedGraph]) -> int:
        """Replace the entries of each graph with the given ones, all graphs in one
        commit; clears their pending marks. Returns the number of entries written."""
        graphs = list(graphs)
        return self._apply({g.graph: g for g in graphs})

    def replace_graph(self, graph: IndexedGraph) -> int:
        return self.replace_graphs([graph])

    def delete_graphs(self, graph_iris: Iterable[str]) -> None:
        """Remove every entry of these graphs (and their stamps and pending marks)."""
        self._apply({g: None for g in graph_iris})

    def delete_graph(self, graph_iri: str) -> None:
        self.delete_graphs([graph_iri])

    def update_graphs(self, changes: dict[str, IndexedGraph | None]) -> int:
        """Replace (an IndexedGraph) or remove (None) each graph's entries, all in one commit;
        clears their pending marks. Returns the number of entries written."""
        return self._apply(dict(changes))

    def _apply(self, changes: dict[str, IndexedGraph | None]) -> int:
        if not changes:
            return 0
        with self._lock:
            writer = self._get_writer()
            try:
                written = self._write(writer, changes)
                writer.commit()
            except BaseException as exc:
                writer.rollback()  # nothing of a failed batch may ride along with the next commit
                if isinstance(exc, ValueError):
                    raise SearchIndexError(f"the search index at {self.path} refused a write: {exc}") from exc
                raise
            self._index.reload()
        self._pending.clear(changes)
        return written

    def _write(self, writer: tv.IndexWriter, changes: dict[str, IndexedGraph | None]) -> int:
        """Queue the deletes and adds of one batch (not committed here)."""
        self._index.reload()
        searcher = self._index.searcher()
        written = 0
        # Entity contributions before and after, per entity IRI and graph.
        before: dict[str, dict[str, dict]] = {}
        after: dict[str, dict[str, dict]] = {}
        for graph_iri, new in changes.items():
            for iri, payload in self._sources_of_graph(searcher, graph_iri).items():
                before.setdefault(iri, {})[graph_iri] = payload
            writer.delete_documents_by_term("graph", graph_iri)
            if new is None:
                continue
            for e in new.entries:
                if e.kind is Kind.ENTITY:
                    payload = _source_payload(e)
                    after.setdefault(e.iri, {})[graph_iri] = payload
                    writer.add_document(tv.Document(doc="source", graph=graph_iri, iri=e.iri,
                                                    payload=json.dumps(payload).encode()))
                else:
                    writer.add_document(_entry_document(graph_iri, e))
                written += 1
            writer.add_document(tv.Document(doc="graph", graph=graph_iri, stamp=new.stamp))
        for iri in sorted(set(before) | set(after)):
            old, new_ = before.get(iri, {}), after.get(iri, {})
            if old == new_:
                continue  # the usual re-ingest: this graph says the same about the entity
            merged = self._merge_entity(searcher, iri, old, new_)
            writer.delete_documents_by_query(tv.Query.boolean_query([
                (tv.Occur.Must, self._term("doc", "entity")), (tv.Occur.Must, self._term("iri", iri))]))
            if merged is not None:
                writer.add_document(merged)
        return written

    def _merge_entity(self, searcher, iri: str, old: dict, new: dict) -> tv.Document | None:
        """The merged document of an entity after some graphs' contributions changed.
        It keeps, for each name, state, label, description and category, how many
        graphs give it, so a contribution is taken out by subtracting it: no other
        graph's source is read, however many documents name the entity."""
        tally = self._entity_payload(searcher, iri) or {k: {} for k in _TALLIED}
        for sign, contributions in ((-1, old.values()), (1, new.values())):
            for c in contributions:
                for key, values in _tallied(c).items():
                    counts = tally[key]
                    for v in values:
                        counts[v] = counts.get(v, 0) + sign
                        if counts[v] <= 0:
                            del counts[v]
        if not tally["names"]:
            return None  # no graph names it any more

        def ranked(key: str) -> list[str]:  # most graphs first, then alphabetical: independent of order
            return sorted(tally[key], key=lambda v: (-tally[key][v], v))

        names = ranked("names")
        label = (ranked("labels") or names)[0]
        text = next(iter(ranked("texts")), "")
        title = " · ".join([label, *(n for n in names if n != label)])
        return tv.Document(doc="entity", iri=iri, kind=Kind.ENTITY.value, category=next(iter(ranked("categories")), ""),
                           label=label, title_stem=title, title_exact=title, text_stem=text, text_exact=text,
                           state=sorted(tally["states"]), payload=json.dumps(tally).encode())

    # -- reading the index's own records ---------------------------------------------------------

    def _term(self, field: str, value: str) -> tv.Query:
        return tv.Query.term_query(self._schema, field, value)

    def _all(self, searcher, query: tv.Query) -> list[dict]:
        n = searcher.search(query, 1, count=True).count
        if not n:
            return []
        return [searcher.doc(a).to_dict() for _, a in searcher.search(query, n, count=False).hits]

    def _sources_of_graph(self, searcher, graph_iri: str) -> dict[str, dict]:
        docs = self._all(searcher, tv.Query.boolean_query([
            (tv.Occur.Must, self._term("doc", "source")), (tv.Occur.Must, self._term("graph", graph_iri))]))
        return {d["iri"][0]: json.loads(bytes(d["payload"][0])) for d in docs}

    def _entity_payload(self, searcher, iri: str) -> dict | None:
        docs = self._all(searcher, tv.Query.boolean_query([
            (tv.Occur.Must, self._term("doc", "entity")), (tv.Occur.Must, self._term("iri", iri))]))
        return json.loads(bytes(docs[0]["payload"][0])) if docs else None

    def _searcher(self):
        if self.read_only:
            self._index.reload()  # another process commits; see its last commit
        return self._index.searcher()

    def stamps(self) -> dict[str, str]:
        """Graph IRI -> stamp, for every graph the index holds."""
        return {d["graph"][0]: d["stamp"][0] for d in self._all(self._searcher(), self._term("doc", "graph"))}

    def stamp(self, graph_iri: str) -> str | None:
        docs = self._all(self._searcher(), tv.Query.boolean_query([
            (tv.Occur.Must, self._term("doc", "graph")), (tv.Occur.Must, self._term("graph", graph_iri))]))
        return docs[0]["stamp"][0] if docs else None

    def mark_pending(self, graph_iris: Iterable[str]) -> None:
        """Note that these graphs are about to change in the store. A writer calls this
        before writing the store and `replace_graphs` after; if it dies in between, the
        marks tell `sync.repair` which graphs to look at."""
        if self.read_only:
            raise SearchIndexError(f"the search index at {self.path} is open read-only")
        self._pending.add(graph_iris)

    def pending(self) -> list[str]:
        return self._pending.all()

    def clear_pending(self, graph_iris: Iterable[str]) -> None:
        """Take marks away without writing entries (a write clears its own graphs' marks)."""
        if self.read_only:
            raise SearchIndexError(f"the search index at {self.path} is open read-only")
        self._pending.clear(graph_iris)

    def entry_count(self) -> int:
        """Claims, articles and (merged) entities: what a search can find."""
        s = self._searcher()
        return sum(s.search(self._term("doc", d), 1, count=True).count for d in ("entry", "entity"))

    def integrity_check(self) -> None:
        """Raise SearchIndexError unless every searchable document belongs to a graph the
        index has a stamp for (a half-applied replace would break this)."""
        s = self._searcher()
        stamped = set(self.stamps())
        for graph, _ in s.terms_with_prefix("graph", ""):
            if graph in stamped:
                continue
            live = s.search(self._term("graph", graph), 1, count=True).count  # counts skip deleted docs
            if live:
                raise SearchIndexError(f"{live} documents of {self.path} belong to {graph}, which has no stamp")

    # -- search ------------------------------------------------------------------------------------

    def search(self, request: SearchRequest | str) -> SearchPage:
        """BM25-ranked hits for a query, with snippets. Raises `InvalidSearch` (its subclass
        `SearchSyntaxError` for the query string) with a reason fit for a 400."""
        if isinstance(request, str):
            request = SearchRequest(request)
        node = parse_query(request.q)
        filters = self._filters(request)
        searcher = self._searcher()
        text_query = self._compile(node, searcher)
        query = tv.Query.boolean_query([(tv.Occur.Must, text_query), *((tv.Occur.Must, f) for f in filters)])
        result = searcher.search(query, request.limit, count=True, offset=request.offset)
        marker = _Marker(node)
        hits = []
        for score, address in result.hits:
            d = searcher.doc(address).to_dict()
            texts = [d.get(f"{f}_stem", [""])[0] for f in ("text", "title")]
            date_ = d["date"][0].date().isoformat() if d.get("date") else None
            hits.append(SearchHit(
                iri=d["iri"][0], kind=Kind(d["kind"][0]), category=d.get("category", [""])[0],
                label=d.get("label", [""])[0], score=round(score, 6),
                snippet_html=marker.snippet(texts) or html.escape(d.get("label", [""])[0][:200]),
                graph=d["graph"][0] if d.get("graph") else None, date=date_))
        return SearchPage(tuple(hits), result.count, request.limit, request.offset)

    def ranked(self, request: SearchRequest, limit: int) -> list[tuple[str, float, str | None]]:
        """The best `limit` hits as (IRI, score, graph), best first, without snippets (what a
        search inside SPARQL joins; request.limit and request.offset are not used)."""
        if not 1 <= limit <= MAX_RANKED:
            raise InvalidSearch(f"at most {MAX_RANKED} hits")
        node = parse_query(request.q)
        filters = self._filters(replace(request, limit=1, offset=0))
        searcher = self._searcher()
        query = tv.Query.boolean_query([(tv.Occur.Must, self._compile(node, searcher)),
                                        *((tv.Occur.Must, f) for f in filters)])
        out = []
        for score, address in searcher.search(query, limit, count=False).hits:
            d = searcher.doc(address).to_dict()
            out.append((d["iri"][0], round(score, 6), d["graph"][0] if d.get("graph") else None))
        return out

    def entities_named(self, name: str, categories: Iterable[str] = (), limit: int = 50) -> list[str]:
        """IRIs of the indexed entities (of these categories: state, person, ...) that have
        exactly this name among their names, compared after case and accent folding."""
        tokens = _STEMMER.analyze(name)
        if not tokens or len(tokens) > MAX_NAME_TOKENS:
            return []
        searcher = self._searcher()
        text = (tv.Query.term_query(self._schema, "title_stem", tokens[0]) if len(tokens) == 1
                else tv.Query.phrase_query(self._schema, "title_stem", tokens))
        parts = [(tv.Occur.Must, self._term("doc", "entity")), (tv.Occur.Must, text)]
        categories = list(categories)
        if categories:
            parts.append((tv.Occur.Must, tv.Query.boolean_query(
                [(tv.Occur.Should, self._term("category", c)) for c in categories])))
        wanted = " ".join(_fold(name).split())
        out = []
        for _, address in searcher.search(tv.Query.boolean_query(parts), limit).hits:
            d = searcher.doc(address).to_dict()
            names = d.get("title_stem", [""])[0].split(" · ")
            if any(" ".join(_fold(n).split()) == wanted for n in names):
                out.append(d["iri"][0])
        return sorted(out)

    def _filters(self, r: SearchRequest) -> list[tv.Query]:
        if not 1 <= r.limit <= MAX_LIMIT:
            raise InvalidSearch(f"limit must be between 1 and {MAX_LIMIT}")
        if not 0 <= r.offset <= MAX_OFFSET:
            raise InvalidSearch(f"offset must be between 0 and {MAX_OFFSET}")
        out: list[tv.Query] = []

        def any_of(field: str, values) -> tv.Query:
            return tv.Query.boolean_query([(tv.Occur.Should, self._term(field, v)) for v in values])

        if r.kinds:
            try:
                kinds = [Kind(k).value for k in r.kinds]
            except ValueError:
                raise InvalidSearch(f"type must be one of {', '.join(k.value for k in Kind)}") from None
            out.append(any_of("kind", kinds))
        for field, values in (("state", r.states), ("author", r.authors), ("publisher", r.publishers)):
            if values:
                out.append(any_of(field, [str(v) for v in values]))
        start, end = _iso_date(r.date_from, "the start date"), _iso_date(r.date_to, "the end date")
        if start and end and start > end:
            raise InvalidSearch(f"the date range is empty: {start} is after {end}")
        if start or end:
            out.append(tv.Query.range_query(
                self._schema, "date", tv.FieldType.Date,
                lower_bound=_datetime(max(start, FIRST_DATE)) if start else None,
                upper_bound=_datetime(min(end, LAST_DATE)) if end else None))
        return out

    def _compile(self, node: Node, searcher) -> tv.Query:
        """The parsed query as Tantivy query objects (no query string reaches Tantivy)."""
        if isinstance(node, And):
            return tv.Query.boolean_query([
                (tv.Occur.MustNot, self._compile(n.node, searcher)) if isinstance(n, Not)
                else (tv.Occur.Must, self._compile(n, searcher)) for n in node.nodes])
        if isinstance(node, Or):
            return tv.Query.boolean_query([(tv.Occur.Should, self._compile(n, searcher)) for n in node.nodes])
        if isinstance(node, Word) and node.prefix:
            return self._prefix(node.text, searcher)
        words = node.words if isinstance(node, Phrase) else (node.text,)
        tokens = [t for w in words for t in _STEMMER.analyze(w)]
        if not tokens:
            return tv.Query.empty_query()
        per_field = []
        for field in TEXT_FIELDS:
            q = (tv.Query.term_query(self._schema, f"{field}_stem", tokens[0], index_option="freq")
                 if len(tokens) == 1 else tv.Query.phrase_query(self._schema, f"{field}_stem", tokens))
            per_field.append((tv.Occur.Should, tv.Query.boost_query(q, TITLE_BOOST) if field == "title" else q))
        return tv.Query.boolean_query(per_field)

    def _prefix(self, text: str, searcher) -> tv.Query:
        tokens = _EXACT.analyze(text)
        if len(tokens) != 1:
            raise SearchSyntaxError(f"a prefix search takes one word, not {text!r}")
        prefix, per_field = tokens[0], []
        for field in TEXT_FIELDS:
            terms = searcher.terms_with_prefix(f"{field}_exact", prefix, limit=PREFIX_EXPANSION)
            for term, _ in terms:
                q = tv.Query.term_query(self._schema, f"{field}_exact", term, index_option="freq")
                per_field.append((tv.Occur.Should, tv.Query.boost_query(q, TITLE_BOOST) if field == "title" else q))
        return tv.Query.boolean_query(per_field) if per_field else tv.Query.empty_query()

    def close(self) -> None:
        with self._lock:
            if self._writer is not None:
                try:
                    self._writer.wait_merging_threads()  # also releases the writer lock
                except ValueError:
                    pass
                self._writer = None
        self._pending.close()

    def __enter__(self) -> "SearchIndex":
        return self

    def __exit__(self, *exc) -> None:
        self.close()


# Tantivy stores dates as nanoseconds since 1970 in 64 bits.
FIRST_DATE, LAST_DATE = dt.date(1678, 1, 1), dt.date(2261, 12, 31)


def _datetime(d: dt.date) -> dt.datetime:
    return dt.datetime.combine(d, dt.time())


def _entry_document(graph_iri: str, e: SearchEntry) -> tv.Document:
    fields = dict(doc="entry", graph=graph_iri, iri=e.iri, kind=e.kind.value, category=e.category, label=e.label,
                  title_stem=e.title, title_exact=e.title, text_stem=e.text, text_exact=e.text,
                  state=list(e.states), author=list(e.authors), publisher=list(e.publishers))
    if e.date and FIRST_DATE <= dt.date.fromisoformat(e.date) <= LAST_DATE:  # else: no date to filter on
        fields["date"] = _datetime(dt.date.fromisoformat(e.date))
    return tv.Document(**fields)


def _source_payload(e: SearchEntry) -> dict:
    return {"label": e.label, "names": [n for n in e.title.split(" · ") if n], "text": e.text,
            "category": e.category, "states": sorted(e.states)}


_TALLIED = ("names", "states", "labels", "texts", "categories")


def _tallied(contribution: dict) -> dict[str, list[str]]:
    """What one graph's contribution adds to an entity's tallies."""
    return {"names": contribution["names"], "states": contribution["states"],
            "labels": [contribution["label"]] if contribution["label"] else [],
            "texts": [contribution["text"]] if contribution["text"] else [],
            "categories": [contribution["category"]] if contribution["category"] else []}


def _iso_date(value: str | None, name: str) -> dt.date | None:
    if value is None or value == "":
        return None
    try:
        return dt.date.fromisoformat(value)
    except (TypeError, ValueError):
        raise InvalidSearch(f"{name} must be a date written YYYY-MM-DD, not {value!r}") from None


def _fold(text: str) -> str:
    return unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode().lower()


class _Marker:
    """Snippets: the window of a stored text with the most query words, matched the way
    the index matches them (stems for words and phrases, the unstemmed form for prefixes)."""

    def __init__(self, node: Node):
        self.stems: set[str] = set()
        self.prefixes: list[str] = []
        for w in words_of(node):
            if isinstance(w, Word) and w.prefix:
                self.prefixes += _EXACT.analyze(w.text)
            else:
                self.stems.update(t for word in (w.words if isinstance(w, Phrase) else (w.text,))
                                  for t in _STEMMER.analyze(word))

    def snippet(self, texts: list[str]) -> str:
        for text in texts:
            if text and (html_ := self._one(text)):
                return html_
        return ""

    def _one(self, text: str) -> str:
        text = text[:SNIPPET_SCAN_CHARS]
        tokens = _STEMMER.pre_tokenize(text).tokens
        stems, prefixes = self.stems, tuple(self.prefixes)
        if prefixes:
            marked = [t.text in stems or _fold(text[t.char_offset_from:t.char_offset_to]).startswith(prefixes)
                      for t in tokens]
        else:
            marked = [t.text in stems for t in tokens]
        if not any(marked):
            return ""
        n = SNIPPET_TOKENS
        # The window of n tokens with the most matches (the first such), started a few
        # tokens before its first match for context.
        window_sum = best_sum = sum(marked[:n])
        best = 0
        for i in range(1, max(1, len(tokens) - n + 1)):
            window_sum += marked[i + n - 1] - marked[i - 1]
            if window_sum > best_sum:
                best, best_sum = i, window_sum
        first = next(j for j in range(best, len(tokens)) if marked[j])
        lo = max(0, min(first - 3, len(tokens) - n))
        hi = min(len(tokens), lo + n)
        start = 0 if lo == 0 else tokens[lo].char_offset_from
        end = len(text) if hi == len(tokens) else tokens[hi - 1].char_offset_to
        out, pos = [], start
        for t, m in zip(tokens[lo:hi], marked[lo:hi]):
            if m:
                out += [text[pos:t.char_offset_from], MARK_START, text[t.char_offset_from:t.char_offset_to], MARK_END]
                pos = t.char_offset_to
        out.append(text[pos:end])
        return ("…" if start > 0 else "") + highlight_html("".join(out).strip()) + ("…" if end < len(text) else "")


def highlight_html(marked: str) -> str:
    """Text with private-use highlight markers -> escaped HTML with <mark> only.
    The markers never come from a page (entries strip them), so every `<`, `&`,
    quote of the text is escaped and the only tags are ours."""
    return html.escape(marked, quote=True).replace(MARK_START, "<mark>").replace(MARK_END, "</mark>")


class _PendingMarks:
    """Graphs announced as about to change: a tiny SQLite table beside the index
    (in memory for an in-memory index). One short transaction per call."""

    def __init__(self, path: Path | None, read_only: bool):
        self._lock = threading.Lock()
        uri = f"file:{path}?mode=ro" if (path and read_only) else (str(path) if path else ":memory:")
        if path and read_only and not path.exists():
            self._conn = None
            return
        self._conn = sqlite3.connect(uri, uri=uri.startswith("file:"), check_same_thread=False, isolation_level=None)
        if not read_only:
            self._conn.execute("PRAGMA journal_mode = WAL")
            self._conn.execute("CREATE TABLE IF NOT EXISTS pending (graph TEXT PRIMARY KEY)")

    def add(self, graphs: Iterable[str]) -> None:
        with self._lock:
            self._conn.executemany("INSERT OR IGNORE INTO pending VALUES (?)", [(g,) for g in graphs])

    def clear(self, graphs: Iterable[str]) -> None:
        with self._lock:
            self._conn.executemany("DELETE FROM pending WHERE graph = ?", [(g,) for g in graphs])

    def all(self) -> list[str]:
        if self._conn is None:
            return []
        with self._lock:
            return [g for (g,) in self._conn.execute("SELECT graph FROM pending ORDER BY graph")]

    def close(self) -> None:
        if self._conn is not None:
            self._conn.close()
            self._conn = None
