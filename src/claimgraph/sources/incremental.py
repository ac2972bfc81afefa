"""Incremental runs of one registered source: what is new, changed, unchanged or failed.

A source (registry.SourceSpec) lists documents (sources/kinds.py). Each is
keyed by its canonical URL (or its path under the source's folder), which fixes its `source_id`
and so its named graph. The store is the source of truth for what is
loaded: its source nodes carry `cg:contentHash "sha256:…"`, read in one
query per run (`known_documents`). Per document:

    discover -> fetch (conditional GET) -> unchanged? skip
             -> pipeline.process_document -> load (batched; the store counts what changed)

- unchanged: the server answered 304 (and the store holds the graph the
  remembered ETag belongs to), or the bytes hash to what the store holds;
  no extraction, nothing written;
- new / changed: the document's named graph is written (or replaced, all or
  nothing); the store reports the triples added and removed;
- failed: the reason is reported; nothing of the document is written (a
  changed document whose new version fails keeps its old graph).

`run_source` is the plain loop (the CLI's `--no-prefect`, the benchmark's
baseline); `flows/sources.py` runs the same functions as Prefect tasks.
Both end with `record_source_run` (the run's provenance) and save the fetch
state (sources/state.py).
"""
from __future__ import annotations

import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field, replace
from datetime import datetime, timezone
from pathlib import Path

from .. import pipeline
from .. import vocab as V
from ..config import Settings, get_settings
from ..model import DocumentOutcome, RunSummary, SourceDocument, SourceError
from ..rdf import GraphWriter
from .files import ManifestEntry, decode_source, manifest_entry_for, read_source_file
from .http import FetchConfig, Fetcher, FetchError, Validators
from .kinds import Candidate, discover
from .registry import SourceSpec
from .state import FetchState, fetch_state_path

__all__ = ["Candidate", "DocumentReport", "FetchState", "Fetched", "RunReport", "classify", "discover",
           "fetch_document", "fetch_state_path", "known_documents", "record_source_run", "run_source"]

HTML_TYPES = ("text/html", "application/xhtml+xml")
PAGE_ACCEPT = "text/html, application/xhtml+xml, text/plain;q=0.8, */*;q=0.1"


@dataclass(frozen=True)
class Fetched:
    """A fetched document: its raw source, or only the news that it has not changed (304)."""

    candidate: Candidate
    source: SourceDocument | None  # text is the raw page (HTML or text); hash of the raw bytes
    validators: Validators | None = None
    not_modified: bool = False
    seconds: float = 0.0

    @property
    def content_hash(self) -> str | None:
        return "sha256:" + self.source.content_hash if self.source else None

    def for_pipeline(self) -> pipeline.FetchedDocument:
        c = self.candidate
        entry = manifest_entry_for(Path(c.path)) if c.path else None
        return pipeline.FetchedDocument(c.key, c.source_id, self.source, entry, seconds=self.seconds)


def fetch_document(candidate: Candidate, fetcher: Fetcher | None, validators: Validators | None = None,
                   *, max_bytes: int = 5_000_000) -> Fetched:
    """Read a file or GET a URL (conditionally when `validators` are given). Raises SourceError."""
    started = time.perf_counter()
    if candidate.path is not None:
        path = Path(candidate.path)
        source = read_source_file(path, manifest_entry_for(path), max_bytes=max_bytes, key=candidate.key)
        return Fetched(candidate, source, seconds=time.perf_counter() - started)
    if fetcher is None:
        raise SourceError(candidate.location, "a web document needs a fetcher")
    result = fetcher.fetch(candidate.url, validators, accept=PAGE_ACCEPT)
    if result.not_modified:
        return Fetched(candidate, None, result.validators or validators, not_modified=True,
                       seconds=time.perf_counter() - started)
    media_type = result.media_type or "text/html"
    if media_type not in HTML_TYPES and media_type != "text/plain":
        raise FetchError(candidate.url, f"not a web page (Content-Type {media_type})")
    source = decode_source(
        result.content, location=result.final_url, label=candidate.url, source_id=candidate.source_id,
        media_type="text/html" if media_type in HTML_TYPES else "text/plain",
        entry=ManifestEntry(id=candidate.source_id, file=candidate.key), declared_charset=result.charset,
    )
    return Fetched(candidate, replace(source, url=candidate.key, fetched_at=result.fetched_at), result.validators,
                   seconds=time.perf_counter() - started)


# ------------------------------------------------------------------------- the store


def known_documents(store) -> dict[str, str]:
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
    timings: dict[str, float] = field(default_factory=dict)
    dropped: list = field(default_factory=list)

    @classmethod
    def of(cls, outcome: DocumentOutcome, status: str) -> "DocumentReport":
        """The report line of a processed document (`status`: new or changed, unless it failed)."""
        if outcome.status == "failed":
            status = "failed"
        return cls(outcome.location, outcome.source_id, status, reason=outcome.reason, triples=outcome.triples,
                   added=outcome.added, removed=outcome.removed, seconds=outcome.seconds,
                   timings=dict(outcome.timings), dropped=list(outcome.dropped))


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

    def stage_seconds(self) -> dict[str, float]:
        return self.summary().stage_seconds()

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
            lines.extend(f"            dropped {item}" for item in d.dropped)
        stages = self.stage_seconds()
        if stages:
            lines.append("  stages: " + ", ".join(f"{k} {v:.2f} s" for k, v in stages.items()))
        return "\n".join(lines)

    def markdown(self) -> str:
        rows = "\n".join(
            f"| {d.status} | `{d.key}` | {d.triples if d.status in ('new', 'changed') else ''} | {d.added} | {d.removed} "
            f"| {(d.reason or '; '.join(map(str, d.dropped))).replace('|', '/')} | "
            + ", ".join(f"{k} {v:.2f}" for k, v in d.timings.items()) + " |" for d in self.documents)
        stages = ", ".join(f"{k} {v:.2f} s" for k, v in self.stage_seconds().items())
        return (f"# Source `{self.source}`: run {self.run_id}\n\n"
                f"**{self.count('new')}** new, **{self.count('changed')}** changed, **{self.count('unchanged')}** "
                f"unchanged, **{self.count('failed')}** failed; triples +{self.triples_added} / -{self.triples_removed}\n\n"
                f"Time per stage, all documents: {stages or '-'}\n\n"
                "| status | document | triples | added | removed | reason / dropped | seconds per stage |\n"
                "|---|---|---|---|---|---|---|\n" + rows + "\n")

    def summary(self) -> RunSummary:
        """The same run as pipeline's RunSummary (new and changed count as loaded)."""
        status = {"new": "loaded", "changed": "loaded", "unchanged": "unchanged", "failed": "failed"}
        return RunSummary(run_id=self.run_id, started_at=self.started_at, ended_at=self.ended_at, outcomes=[
            DocumentOutcome(d.key, d.source_id, status[d.status], triples=d.triples, reason=d.reason,
                            seconds=d.seconds, timings=d.timings, dropped=d.dropped)
            for d in self.documents])

    def write_provenance(self, w: GraphWriter, run: pipeline.RunContext, location: str | None = None) -> None:
        """What this report adds to the run's record in the graph."""
        s = run.run_iri
        w.lit(s, V.DOCUMENTS_NEW, self.count("new"))
        w.lit(s, V.DOCUMENTS_CHANGED, self.count("changed"))
        w.lit(s, V.DOCUMENTS_UNCHANGED, self.count("unchanged"))
        w.lit(s, V.TRIPLES_ADDED, self.triples_added)
        w.lit(s, V.TRIPLES_REMOVED, self.triples_removed)
        w.lit(s, V.RDFS + "comment", f"source {self.source}")
        if location and location.startswith(("http://", "https://")):
            w.url(s, V.PROV + "used", location, "the source's location")


def record_source_run(store, run: pipeline.RunContext, report: RunReport, location: str | None = None) -> None:
    """pipeline.record_run (the run's graph, stale runs dropped) plus this report's counts."""
    pipeline.record_run(store, run, report.summary(), lambda w: report.write_provenance(w, run, location))


def failure(key: str, source_id: str | None, exc: BaseException, started: float) -> DocumentReport:
    return DocumentReport(key, source_id, "failed", reason=pipeline.failure_reason(exc),
                          seconds=time.perf_counter() - started)


# ------------------------------------------------------------------------- the plain loop


def unchanged_report(c: Candidate, fetched: Fetched, known: dict[str, str], graph_iri: str,
                     state: FetchState) -> DocumentReport:
    if c.url and fetched.validators:
        state.remember(c.key, fetched.validators, known.get(graph_iri))
    return DocumentReport(c.key, c.source_id, "unchanged", seconds=fetched.seconds)


def run_source(
    spec: SourceSpec,
    store,
    *,
    settings: Settings | None = None,
    fetch_config: FetchConfig | None = None,
    state: FetchState | None = None,
    fetcher: Fetcher | None = None,
    workers: int = 4,
    nlp=None,
) -> RunReport:
    """One incremental run of a source without Prefect: the same functions as flows/sources.py."""
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
                return fetch_document(c, fetcher, validators, max_bytes=settings.max_document_bytes)
            except Exception as exc:  # reported per document below
                return failure(c.key, c.source_id, exc, started)

        with ThreadPoolExecutor(max_workers=max(1, workers)) as pool:
            fetched_all = list(pool.map(fetch, candidates))

        to_process: list[Fetched] = []
        status_of: dict[str, str] = {}
        for c, fetched in zip(candidates, fetched_all):
            if isinstance(fetched, DocumentReport):
                report.documents.append(fetched)
                continue
            graph_iri = run.iris.graph(c.source_id)
            status = classify(fetched, known, graph_iri)
            if status == "unchanged":
                report.documents.append(unchanged_report(c, fetched, known, graph_iri, state))
            else:
                status_of[c.key] = status
                to_process.append(fetched)

        by_key = {f.candidate.key: f for f in to_process}

        def done(outcome: DocumentOutcome) -> None:
            report.documents.append(DocumentReport.of(outcome, status_of[outcome.location]))
            f = by_key[outcome.location]
            if outcome.status == "loaded" and f.candidate.url:
                state.remember(f.candidate.key, f.validators, f.content_hash)

        pipeline.ingest_documents(
            (f.for_pipeline() for f in to_process), store, run, nlp=nlp or pipeline.shared_nlp(settings),
            linker=pipeline.shared_linker(), defaults=spec.defaults,
            batch_documents=settings.load_batch_documents, observers=pipeline.default_observers(settings),
            on_outcome=done)
        report.ended_at = datetime.now(timezone.utc)
        record_source_run(store, run, report, spec.location)
        state.save()
    finally:
        if own_fetcher:
            fetcher.close()
    return report
