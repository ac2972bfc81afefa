"""Incremental ingest of one registered source: what is new, changed, unchanged or failed.

A source (registry.SourceSpec) lists documents: the files of a folder or glob,
one web page, the items of an RSS/Atom feed, the pages of a sitemap. Each
document is keyed by its canonical URL (or its file path), which fixes its
`source_id` and so its named graph. The store is the source of truth for what
is loaded: its source nodes carry `cg:contentHash "sha256:…"`, read in one
query per run (`known_documents`). Per document:

    discover -> fetch (conditional GET) -> unchanged? -> prepare (HTML -> text page)
             -> parse -> extract -> map -> validate -> load (diffed against the old graph)

- unchanged: the server answered 304 (and the store holds the graph the
  remembered ETag belongs to), or the bytes hash to what the store holds; no
  extraction, nothing written;
- new / changed: the document's named graph is written (or atomically
  replaced); triples added and removed are counted against the old graph;
- failed: the reason is reported; nothing of the document is written (a
  changed document whose new version fails keeps its old graph).

ETag / Last-Modified per URL live in a small JSON file next to the store
(`FetchState`); they are sent only when the store still holds the version
they describe, so deleting the store never makes a 304 hide a document. For
a feed or sitemap the file also keeps the URLs it listed, for its 304s.

`run_source` runs all of this as plain functions in a loop (the CLI's
`--no-prefect`, the benchmark's baseline); `flows/sources.py` runs the same
steps as Prefect tasks. Both end with `record_source_run`, which writes the
run's provenance (pipeline.record_run plus the counts of this report).
"""
from __future__ import annotations

import contextlib
import fcntl
import glob as globlib
import hashlib
import json
import os
import re
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field, replace
from datetime import datetime, timezone
from pathlib import Path
from urllib.parse import urlsplit

import pyoxigraph as ox

from . import pipeline
from . import vocab as V
from .config import Settings, get_settings
from .feeds import parse_feed, parse_sitemap
from .iris import slugify
from .mapping import literal
from .model import DocumentGraph, DocumentOutcome, RunSummary, SourceDocument, SourceError
from .parse.html_page import PageMetadata, html_to_text_page
from .registry import SourceSpec
from .sources import PAGE_SUFFIXES, ManifestEntry, decode_source, discover_pages, manifest_entry_for, read_source_file
from .store import GraphStore
from .web import FetchConfig, Fetcher, FetchError, Validators, canonical_url

# Run-report terms. Declared in ontology/claimgraph.ttl by the ontology's owner
# (see the note handed over with this module); kept here until they move to vocab.py.
DOCUMENTS_NEW = V.DOCUMENTS_NEW
DOCUMENTS_CHANGED = V.DOCUMENTS_CHANGED
DOCUMENTS_UNCHANGED = V.DOCUMENTS_UNCHANGED
TRIPLES_ADDED = V.TRIPLES_ADDED
TRIPLES_REMOVED = V.TRIPLES_REMOVED

MAX_SITEMAP_URLS = 10_000
FEED_ACCEPT = "application/rss+xml, application/atom+xml, application/xml;q=0.9, text/xml;q=0.9, */*;q=0.5"
SITEMAP_ACCEPT = "application/xml, text/xml;q=0.9, */*;q=0.5"
HTML_TYPES = ("text/html", "application/xhtml+xml")
_META_CHARSET_RE = re.compile(rb"""<meta[^>]+charset\s*=\s*["']?\s*([A-Za-z0-9._:-]+)""", re.IGNORECASE)


# ------------------------------------------------------------------------- documents


@dataclass(frozen=True)
class Candidate:
    """One document a source lists, before it is fetched."""

    key: str  # canonical URL, or the file's resolved path
    source_id: str  # names the document's graph and IRIs
    url: str | None = None  # what to GET (web documents)
    path: str | None = None  # what to read (files)

    @property
    def location(self) -> str:
        return self.url or self.path or self.key


@dataclass(frozen=True)
class Fetched:
    """A fetched document: its raw source, or only the news that it has not changed (304)."""

    candidate: Candidate
    source: SourceDocument | None  # text is the raw page (HTML or text); hash of the raw bytes
    validators: Validators | None = None
    not_modified: bool = False

    @property
    def content_hash(self) -> str | None:
        return "sha256:" + self.source.content_hash if self.source else None


@dataclass(frozen=True)
class Prepared:
    """What the parse stage and the mapping need: a text page, its manifest-like entry, the page's metadata."""

    source: SourceDocument
    entry: ManifestEntry
    metadata: PageMetadata | None = None


def web_source_id(url: str) -> str:
    """A readable, stable id for a URL: host and path slugs plus a short digest of the canonical URL."""
    key = canonical_url(url)
    parts = urlsplit(key)
    slug = slugify(f"{parts.hostname or ''} {parts.path} {parts.query}")[:80].strip("-")
    return f"{slug}-{hashlib.sha256(key.encode()).hexdigest()[:10]}"


def _file_candidate(path: Path) -> Candidate:
    entry = manifest_entry_for(path)
    return Candidate(key=str(path.resolve()), source_id=entry.id if entry else path.stem, path=str(path))


def _url_candidate(url: str) -> Candidate:
    key = canonical_url(url)
    return Candidate(key=key, source_id=web_source_id(key), url=url)


def discover(spec: SourceSpec, fetcher: Fetcher | None, state: "FetchState | None" = None) -> list[Candidate]:
    """The documents a source lists now, without duplicates; raises SourceError when the
    source itself (folder, feed, sitemap) cannot be read."""
    if spec.kind == "folder":
        folder = Path(spec.location)
        if not folder.is_dir():
            raise SourceError(spec.location, "folder does not exist")
        found = [_file_candidate(p) for p in discover_pages([folder])]
    elif spec.kind == "glob":
        paths = sorted(Path(p) for p in globlib.glob(spec.location, recursive=True))
        found = [_file_candidate(p) for p in paths if p.is_file() and p.suffix.lower() in PAGE_SUFFIXES
                 and p.name not in ("manifest.yaml", "manifest.yml")]
    elif spec.kind == "page":
        found = [_url_candidate(spec.location)]
    elif spec.kind == "feed":
        listing = _listing(spec.location, fetcher, state, FEED_ACCEPT,
                           lambda data, url: {"urls": [item.url for item in parse_feed(data, url).items]})
        found = [_url_candidate(u) for u in listing["urls"]]
    elif spec.kind == "sitemap":
        found = []
        queue, seen = [spec.location], set()
        while queue and len(found) < MAX_SITEMAP_URLS and len(seen) < 100:
            url = queue.pop(0)
            if url in seen:
                continue
            seen.add(url)
            listing = _listing(url, fetcher, state, SITEMAP_ACCEPT, _sitemap_listing)
            found.extend(_url_candidate(u) for u in listing["urls"])
            queue.extend(listing["sitemaps"])
    else:
        raise SourceError(spec.location, f"unknown source kind {spec.kind!r}")
    unique = list({c.key: c for c in reversed(found)}.values())[::-1]  # first occurrence wins
    return unique[: spec.max_documents] if spec.max_documents else unique


def _sitemap_listing(data: bytes, url: str) -> dict:
    sitemap = parse_sitemap(data, url)
    return {"urls": [loc for loc, _lastmod in sitemap.urls], "sitemaps": list(sitemap.sitemaps)}


def _listing(url: str, fetcher: Fetcher | None, state: "FetchState | None", accept: str, parse) -> dict:
    """The URLs a feed or sitemap lists. A 304 reuses the URLs remembered with its validators."""
    if fetcher is None:
        raise SourceError(url, "a web source needs a fetcher")
    remembered = state.listing(url) if state else None
    result = fetcher.fetch(url, remembered[0] if remembered else None, accept=accept)
    if result.not_modified and remembered:
        return remembered[1]
    listing = parse(result.content, url)
    if state is not None:
        state.remember_listing(url, result.validators, listing)
    return listing


def _sniff_charset(raw: bytes, declared: str | None) -> str:
    if declared:
        return declared
    m = _META_CHARSET_RE.search(raw[:4096])
    return m.group(1).decode("ascii").lower() if m else "utf-8"


def fetch_document(candidate: Candidate, fetcher: Fetcher | None, validators: Validators | None = None,
                   *, max_bytes: int = 5_000_000) -> Fetched:
    """Read a file or GET a URL (conditionally when `validators` are given). Raises SourceError."""
    if candidate.path is not None:
        path = Path(candidate.path)
        entry = manifest_entry_for(path)
        return Fetched(candidate, read_source_file(path, entry, max_bytes=max_bytes))
    if fetcher is None:
        raise SourceError(candidate.location, "a web document needs a fetcher")
    result = fetcher.fetch(candidate.url, validators,
                           accept="text/html, application/xhtml+xml, text/plain;q=0.8, */*;q=0.1")
    if result.not_modified:
        return Fetched(candidate, None, result.validators or validators, not_modified=True)
    media_type = result.media_type or "text/html"
    if media_type not in HTML_TYPES and media_type != "text/plain":
        raise FetchError(candidate.url, f"not a web page (Content-Type {media_type})")
    source = decode_source(
        result.content, location=result.final_url, label=candidate.url, source_id=candidate.source_id,
        media_type="text/html" if media_type in HTML_TYPES else "text/plain",
        entry=ManifestEntry(id=candidate.source_id, file=candidate.key,
                            encoding=_sniff_charset(result.content, result.charset)),
    )
    return Fetched(candidate, replace(source, url=candidate.key, fetched_at=result.fetched_at), result.validators)


def prepare_document(fetched: Fetched, spec: SourceSpec) -> Prepared:
    """The text page and entry for the parse/extract/map stages; HTML goes through html_page."""
    source = fetched.source
    if source is None:
        raise SourceError(fetched.candidate.location, "nothing to prepare (the server said it has not changed)")
    file_entry = manifest_entry_for(Path(fetched.candidate.path)) if fetched.candidate.path else None
    metadata = None
    if source.media_type == "text/html":
        text, metadata = html_to_text_page(source.text, source.url or source.location)
        source = replace(source, text=text)
    url = source.url
    if metadata is not None and metadata.canonical_url and url and url.startswith(("http://", "https://")):
        url = canonical_url(metadata.canonical_url)
    language = (file_entry.language if file_entry else None) or spec.language or (
        metadata.language.split("-")[0].lower() if metadata and metadata.language else None)
    publisher = (file_entry.publisher if file_entry else None) or spec.publisher or (metadata.publisher if metadata else None)
    entry = ManifestEntry(
        id=source.source_id, file=fetched.candidate.key, language=language, publisher=publisher,
        publisher_kind=(file_entry.publisher_kind if file_entry else None) or spec.publisher_kind,
        article_kind=(file_entry.article_kind if file_entry else None) or spec.article_kind
        or (metadata.article_kind if metadata else None),
        section=(file_entry.section if file_entry else None) or (metadata.section if metadata else None),
        url=url,
    )
    changes = dict(language=language, publisher=publisher, url=url)
    if metadata is not None:
        changes["metadata"] = metadata.as_dict()  # pipeline.extract_document applies it
    return Prepared(replace(source, **changes), entry, metadata)


# ------------------------------------------------------------------------- the store


def known_documents(store: GraphStore) -> dict[str, str]:
    """Graph IRI -> "sha256:…" of every document the store holds (one query)."""
    rows = store.query(
        f"SELECT ?g ?h WHERE {{ GRAPH ?g {{ ?src <{V.CONTENT_HASH}> ?h }} }}", use_default_graph_as_union=False)
    return {row["g"].value: row["h"].value for row in rows}


def classify(fetched: Fetched, known: dict[str, str], graph_iri: str) -> str:
    """"new", "changed" or "unchanged" for a fetched document."""
    held = known.get(graph_iri)
    if held is None:
        return "new"
    if fetched.not_modified or fetched.content_hash == held:
        return "unchanged"
    return "changed"


def old_triples(store: GraphStore, graph_iri: str) -> set:
    """The triples a document's graph holds now (pyoxigraph Triples), to diff a replacement against."""
    return set(store.query(f"CONSTRUCT {{ ?s ?p ?o }} WHERE {{ GRAPH <{graph_iri}> {{ ?s ?p ?o }} }}",
                           use_default_graph_as_union=False))


def diff_counts(old: set, graph: DocumentGraph, triples_after: int) -> tuple[int, int]:
    """(triples added, triples removed) when `graph` (now `triples_after` triples in the store)
    replaces a graph that held `old`."""
    if not old:
        return triples_after, 0
    new = {q.triple for q in ox.parse(graph.nquads, format=ox.RdfFormat.N_TRIPLES)}
    return len(new - old), len(old - new)


# ------------------------------------------------------------------------- fetch state


class FetchState:
    """ETag / Last-Modified (and content hash) per URL, in a small JSON file next to the store.

    Several runs may share the file: `save` merges this run's entries into what
    is on disk under an exclusive lock, so concurrent sources do not lose each
    other's updates.
    """

    def __init__(self, path: Path | str | None):
        self.path = Path(path) if path else None
        self._entries: dict[str, dict] = {}
        self._dirty: dict[str, dict | None] = {}
        if self.path and self.path.is_file():
            try:
                self._entries = json.loads(self.path.read_text(encoding="utf-8")).get("urls", {})
            except (OSError, ValueError):
                self._entries = {}  # a damaged state file only costs unconditional requests

    def validators_for(self, key: str, held_hash: str | None) -> Validators | None:
        """Validators for a URL, only when the store holds the version they describe."""
        e = self._entries.get(key)
        if not e or not held_hash or e.get("hash") != held_hash:
            return None
        v = Validators(e.get("etag"), e.get("last_modified"))
        return v or None

    def remember(self, key: str, validators: Validators | None, content_hash: str | None) -> None:
        entry = {"etag": validators.etag if validators else None,
                 "last_modified": validators.last_modified if validators else None,
                 "hash": content_hash, "seen": datetime.now(timezone.utc).isoformat(timespec="seconds")}
        if not (entry["etag"] or entry["last_modified"]):
            self.forget(key)
            return
        self._entries[key] = self._dirty[key] = entry

    def forget(self, key: str) -> None:
        if key in self._entries:
            del self._entries[key]
            self._dirty[key] = None

    def listing(self, url: str) -> tuple[Validators, dict] | None:
        """Validators and the URLs a feed or sitemap listed when they were given."""
        e = self._entries.get("listing:" + url)
        if not e or "listing" not in e:
            return None
        return Validators(e.get("etag"), e.get("last_modified")), e["listing"]

    def remember_listing(self, url: str, validators: Validators, listing: dict) -> None:
        key = "listing:" + url
        if not validators:
            self.forget(key)
            return
        self._entries[key] = self._dirty[key] = {
            "etag": validators.etag, "last_modified": validators.last_modified, "listing": listing}

    def save(self) -> None:
        if not self.path or not self._dirty:
            return
        self.path.parent.mkdir(parents=True, exist_ok=True)
        with open(self.path.with_suffix(self.path.suffix + ".lock"), "w") as lock:
            fcntl.flock(lock, fcntl.LOCK_EX)
            current: dict = {}
            with contextlib.suppress(OSError, ValueError):
                current = json.loads(self.path.read_text(encoding="utf-8")).get("urls", {})
            for key, entry in self._dirty.items():
                if entry is None:
                    current.pop(key, None)
                else:
                    current[key] = entry
            fd, tmp = tempfile.mkstemp(dir=self.path.parent, prefix=f".{self.path.name}.", suffix=".tmp")
            with os.fdopen(fd, "w", encoding="utf-8") as f:
                json.dump({"version": 1, "urls": current}, f, indent=1, sort_keys=True)
            os.replace(tmp, self.path)
        self._dirty.clear()


def fetch_state_path(store_path: Path | str | None) -> Path | None:
    """`CLAIMGRAPH_FETCH_STATE`, else `<store>.fetch-state.json` beside the store folder."""
    env = os.environ.get("CLAIMGRAPH_FETCH_STATE")
    if env:
        return Path(env)
    if store_path is None:
        return None
    store_path = Path(store_path)
    return store_path.parent / f"{store_path.name}.fetch-state.json"


# ------------------------------------------------------------------------- run report


@dataclass
class DocumentReport:
    key: str
    source_id: str | None
    status: str  # "new" | "changed" | "unchanged" | "failed"
    reason: str | None = None
    triples: int = 0  # in the document's graph now (new/changed)
    added: int = 0
    removed: int = 0
    seconds: float = 0.0


@dataclass
class RunReport:
    source: str
    run_id: str
    started_at: datetime
    ended_at: datetime | None = None
    documents: list[DocumentReport] = field(default_factory=list)

    def count(self, status: str) -> int:
        return sum(1 for d in self.documents if d.status == status)

    @property
    def failed(self) -> list[DocumentReport]:
        return [d for d in self.documents if d.status == "failed"]

    @property
    def triples_added(self) -> int:
        return sum(d.added for d in self.documents)

    @property
    def triples_removed(self) -> int:
        return sum(d.removed for d in self.documents)

    def headline(self) -> str:
        return (f"source {self.source} run {self.run_id}: {self.count('new')} new, {self.count('changed')} changed, "
                f"{self.count('unchanged')} unchanged, {self.count('failed')} failed; "
                f"+{self.triples_added} / -{self.triples_removed} triples")

    def render(self) -> str:
        lines = [self.headline()]
        for d in self.documents:
            detail = d.reason if d.status == "failed" else (
                f"{d.triples} triples (+{d.added} -{d.removed})" if d.status in ("new", "changed") else "")
            lines.append(f"  {d.status:9} {d.key}  {detail}".rstrip())
        return "\n".join(lines)

    def markdown(self) -> str:
        rows = "\n".join(
            f"| {d.status} | `{d.key}` | {d.triples if d.status in ('new', 'changed') else ''} | {d.added} | {d.removed} "
            f"| {(d.reason or '').replace('|', '/')} |" for d in self.documents)
        return (f"# Source `{self.source}`: run {self.run_id}\n\n"
                f"**{self.count('new')}** new, **{self.count('changed')}** changed, **{self.count('unchanged')}** "
                f"unchanged, **{self.count('failed')}** failed; triples +{self.triples_added} / -{self.triples_removed}\n\n"
                "| status | document | triples | added | removed | reason |\n|---|---|---|---|---|---|\n" + rows + "\n")

    def summary(self) -> RunSummary:
        """The same run as pipeline's RunSummary (new and changed count as loaded)."""
        status = {"new": "loaded", "changed": "loaded", "unchanged": "unchanged", "failed": "failed"}
        return RunSummary(run_id=self.run_id, started_at=self.started_at, ended_at=self.ended_at, outcomes=[
            DocumentOutcome(d.key, d.source_id, status[d.status], triples=d.triples, reason=d.reason, seconds=d.seconds)
            for d in self.documents])

    def provenance_ntriples(self, run: pipeline.RunContext, location: str | None = None) -> str:
        """What this report adds to the run's record in the graph."""
        s = f"<{run.run_iri}>"
        integer = V.XSD + "integer"
        lines = [
            f"{s} <{DOCUMENTS_NEW}> {literal(self.count('new'), integer)} .",
            f"{s} <{DOCUMENTS_CHANGED}> {literal(self.count('changed'), integer)} .",
            f"{s} <{DOCUMENTS_UNCHANGED}> {literal(self.count('unchanged'), integer)} .",
            f"{s} <{TRIPLES_ADDED}> {literal(self.triples_added, integer)} .",
            f"{s} <{TRIPLES_REMOVED}> {literal(self.triples_removed, integer)} .",
            f"{s} <{V.RDFS}comment> {literal(f'source {self.source}')} .",
        ]
        if location and location.startswith(("http://", "https://")):
            lines.append(f"{s} <{V.PROV}used> <{location}> .")
        return "\n".join(lines) + "\n"


def record_source_run(store: GraphStore, run: pipeline.RunContext, report: RunReport, location: str | None = None) -> None:
    """pipeline.record_run (the run's graph, stale runs dropped) plus this report's counts."""
    pipeline.record_run(store, run, report.summary(), report.provenance_ntriples(run, location))


def failure(key: str, source_id: str | None, exc: BaseException, started: float) -> DocumentReport:
    reason = pipeline.failure_reason(exc)
    return DocumentReport(key, source_id, "failed", reason=reason, seconds=time.perf_counter() - started)


# ------------------------------------------------------------------------- the plain loop


def _one_document(c: Candidate, fetched, started: float, spec: SourceSpec, store: GraphStore,
                  run: pipeline.RunContext, known: dict[str, str], state: FetchState, nlp, linker) -> DocumentReport:
    if isinstance(fetched, BaseException):
        return failure(c.key, c.source_id, fetched, started)
    graph_iri = run.iris.graph(c.source_id)
    status = classify(fetched, known, graph_iri)
    if status == "unchanged":
        if c.url and fetched.validators:
            state.remember(c.key, fetched.validators, known.get(graph_iri))
        return DocumentReport(c.key, c.source_id, "unchanged", seconds=time.perf_counter() - started)
    try:
        prepared = prepare_document(fetched, spec)
        page = pipeline.parse_page(prepared.source)
        ex = pipeline.extract_document(prepared.source, page, prepared.entry, nlp)
        graph = pipeline.map_document(ex, run, prepared.entry, pipeline.link_document(ex, linker))
        pipeline.validate_document_graph(graph)
        old = old_triples(store, graph.graph_iri) if status == "changed" else set()
        after = pipeline.load_document_graph(store, graph).triples_after
    except Exception as exc:
        return failure(c.key, c.source_id, exc, started)
    added, removed = diff_counts(old, graph, after)
    if c.url:
        state.remember(c.key, fetched.validators, fetched.content_hash)
    return DocumentReport(c.key, c.source_id, status, triples=after, added=added, removed=removed,
                          seconds=time.perf_counter() - started)


def run_source(
    spec: SourceSpec,
    store: GraphStore,
    *,
    settings: Settings | None = None,
    fetch_config: FetchConfig | None = None,
    state: FetchState | None = None,
    fetcher: Fetcher | None = None,
    workers: int = 4,
    nlp=None,
) -> RunReport:
    """One incremental run of a source without Prefect: same steps as flows/sources.py."""
    from .extract.nlp import load_nlp

    settings = settings or get_settings()
    run = pipeline.new_run(settings)
    report = RunReport(source=spec.name, run_id=run.run_id, started_at=run.started_at)
    own_fetcher = fetcher is None and spec.is_web
    if own_fetcher:
        fetcher = Fetcher(replace(fetch_config or FetchConfig(), max_bytes=settings.max_document_bytes))
    state = state or FetchState(None)
    try:
        pipeline.load_ontology(store)
        known = known_documents(store)
        try:
            candidates = discover(spec, fetcher, state)
        except SourceError as exc:
            report.documents.append(failure(spec.location, None, exc, time.perf_counter()))
            candidates = []

        def fetch(c: Candidate):
            started = time.perf_counter()
            try:
                validators = state.validators_for(c.key, known.get(run.iris.graph(c.source_id)))
                return fetch_document(c, fetcher, validators, max_bytes=settings.max_document_bytes), started
            except Exception as exc:  # reported per document below
                return exc, started

        with ThreadPoolExecutor(max_workers=max(1, workers)) as pool:
            fetched_all = list(pool.map(fetch, candidates))
        nlp = nlp or load_nlp(settings.spacy_model)
        with pipeline.wikidata_client() as linker:
            for c, (fetched, started) in zip(candidates, fetched_all):
                report.documents.append(_one_document(c, fetched, started, spec, store, run, known, state, nlp, linker))
        report.ended_at = datetime.now(timezone.utc)
        record_source_run(store, run, report, spec.location)
        state.save()
    finally:
        if own_fetcher:
            fetcher.close()
    return report
