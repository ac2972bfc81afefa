"""Prefect flow for one registered source: an incremental run, orchestration only.

    discover  (a task, retried with backoff)         sources.kinds.discover
    fetch + process  (one task per few documents,    sources.incremental.fetch_document, then
                      on the task runner)             pipeline.process_document for new/changed ones
    load  (one task per batch, the flow's thread)    pipeline.load_documents
    report                                           the run's graph, a Markdown artifact with stage times

The steps are the functions `sources.incremental.run_source` calls in its
plain loop; the tasks are flows/ingest.py's pattern. Prefect supplies:

- retries: discovery and fetches retry transient failures (timeouts,
  connection errors, 429/5xx) with exponential backoff; the fetcher's own
  retries are turned off inside the flow so the two do not multiply. A
  process task fetches all its documents before processing any, so a retry
  redoes fetches only; loads retry when the store fails;
- timeouts: each request is bounded by the fetcher (connect/read timeouts,
  and 3x the timeout for a whole body); the flow run as a whole by
  CLAIMGRAPH_SOURCE_RUN_TIMEOUT (default 3600 s). Task-level timeouts are not
  used: Prefect 3 cannot interrupt a sync task blocked in I/O in a thread;
- concurrency: the task runner's threads (CLAIMGRAPH_FLOW_WORKERS) bound the
  work in flight and the fetcher keeps `per_host` requests per host. With
  CLAIMGRAPH_PREFECT_FETCH_TAGS=1 process tasks also carry the tags
  `claimgraph-fetch` and `fetch-host:<host>`, for Prefect's tag concurrency
  limits across flow runs (off by default: each tagged task run costs a
  round trip to the server);
- scale-out: with CLAIMGRAPH_DASK_ADDRESS the process tasks run on a Dask
  cluster through prefect-dask; loads stay in the flow's process.
"""
from __future__ import annotations

import time
from dataclasses import replace
from datetime import datetime, timezone
from urllib.parse import urlsplit

from prefect import flow, get_run_logger, tags, task
from prefect.artifacts import create_markdown_artifact
from prefect.cache_policies import NO_CACHE
from prefect.runtime import flow_run
from prefect.tasks import exponential_backoff

from claimgraph import pipeline
from claimgraph.config import get_settings
from claimgraph.sources import incremental
from claimgraph.sources.http import FetchConfig, FetchError, Validators, shared_fetcher
from claimgraph.sources.incremental import Candidate, DocumentReport, RunReport
from claimgraph.sources.kinds import discover
from claimgraph.sources.registry import SourceSpec, load_registry
from claimgraph.sources.state import FetchState
from claimgraph.flows.ingest import (
    FETCH_RETRIES,
    _fetch_may_pass,
    chunks,
    process_and_load,
    process_batch,
    run_store,
    task_runner_from_settings,
)


def _transient_fetch(task, task_run, state) -> bool:
    """Retry what may pass (timeouts, 5xx, 429, connection errors), never a verdict on the page."""
    try:
        state.result()
    except FetchError as exc:
        return exc.transient
    except Exception:
        return False
    return False


@task(name="discover", retries=FETCH_RETRIES, retry_delay_seconds=exponential_backoff(backoff_factor=1),
      retry_condition_fn=_transient_fetch, cache_policy=NO_CACHE)
def discover_task(spec: SourceSpec, config: FetchConfig, state: FetchState) -> list[Candidate]:
    return discover(spec, shared_fetcher(config) if spec.is_web else None, state)


@task(name="process", retries=FETCH_RETRIES, retry_delay_seconds=exponential_backoff(backoff_factor=1),
      retry_jitter_factor=0.2, retry_condition_fn=_fetch_may_pass, cache_policy=NO_CACHE)
def process_web_task(work: list[tuple[Candidate, Validators | None]], config: FetchConfig, max_bytes: int,
                     spec: SourceSpec, known: dict[str, str], run: pipeline.RunContext, retries: int) -> list:
    """Fetch a few documents (conditionally), then process the new and changed ones. Returns, per
    document, ("unchanged", Fetched) or (status, DocumentOutcome) with status new/changed/failed."""
    fetched: dict[str, object] = {}

    def fetch_all() -> list[pipeline.FetchedDocument]:
        out = []
        for c, validators in work:
            try:
                f = incremental.fetch_document(c, shared_fetcher(config) if c.url else None, validators,
                                               max_bytes=max_bytes)
            except Exception as exc:
                fetched[c.key] = exc
                out.append(pipeline.FetchedDocument.failed(c.key, c.source_id, exc))
                continue
            fetched[c.key] = f
            if incremental.classify(f, known, run.iris.graph(c.source_id)) != "unchanged":
                out.append(f.for_pipeline())
        return out

    outcomes = {o.location: o for o in process_batch(fetch_all, run, spec.defaults, retries)}
    results = []
    for c, _ in work:
        f = fetched[c.key]
        if c.key in outcomes:
            status = "failed" if isinstance(f, BaseException) else incremental.classify(f, known, run.iris.graph(c.source_id))
            results.append((status, outcomes[c.key], None if isinstance(f, BaseException) else f))
        else:
            results.append(("unchanged", None, f))
    return results


def _tried(exc: BaseException, retries: int) -> BaseException:
    """A transient failure was retried by Prefect until its retries ran out: say so."""
    if isinstance(exc, FetchError) and exc.transient and retries and "tries)" not in exc.reason:
        exc.reason += f" (after {retries + 1} tries)"
    return exc


def _fetch_tags(batch: list[tuple[Candidate, object]]) -> list[str]:
    """Tags for Prefect's tag concurrency limits, only when asked for (CLAIMGRAPH_PREFECT_FETCH_TAGS=1):
    with Prefect 3.8.8 every tagged task run asks the server for a concurrency slot."""
    if not get_settings().prefect_fetch_tags:
        return []
    hosts = sorted({urlsplit(c.url).netloc for c, _ in batch if c.url})
    return ["claimgraph-fetch", *(f"fetch-host:{h}" for h in hosts)] if hosts else []


@flow(name="claimgraph-source", flow_run_name="source-{source}", log_prints=False,
      task_runner=task_runner_from_settings(), timeout_seconds=get_settings().source_run_timeout)
def source_flow(source: str, registry: str | None = None, store_path: str | None = None) -> RunReport:
    """Incremental ingest of one registered source (see claimgraph.sources.registry): new and changed
    documents are loaded into their named graphs, unchanged ones skipped, failures reported."""
    logger = get_run_logger()
    settings = get_settings()
    reg = load_registry(registry)
    spec = reg.get(source)
    config = replace(reg.fetch, retries=0, max_bytes=settings.max_document_bytes)  # Prefect retries instead
    run = pipeline.new_run(settings, flow_run_id=flow_run.id)
    report = RunReport(source=spec.name, run_id=run.run_id, started_at=run.started_at)
    with run_store(settings, store_path, run) as store:
        state = FetchState(settings.fetch_state_path(store_path or getattr(store, "path", None) or settings.store))
        pipeline.load_ontology(store)
        known = incremental.known_documents(store)
        try:
            candidates = discover_task.with_options(retries=reg.fetch.retries)(spec, config, state)
        except Exception as exc:
            report.documents.append(incremental.failure(spec.location, None, _tried(exc, reg.fetch.retries),
                                                        time.perf_counter()))
            candidates = []
        work = [(c, state.validators_for(c.key, known.get(run.iris.graph(c.source_id)))) for c in candidates]
        submitted = []
        status_of: dict[str, tuple[str, object]] = {}
        process = process_web_task.with_options(retries=reg.fetch.retries)
        for batch in chunks(work, settings.flow_task_documents):
            with tags(*_fetch_tags(batch)):
                future = process.submit(batch, config, settings.max_document_bytes, spec, known, run, reg.fetch.retries)
                submitted.append(([c.key for c, _ in batch], _Results(future, status_of, report, known, run, state)))

        def done(outcome) -> None:
            status, fetched = status_of.get(outcome.location, ("failed", None))
            report.documents.append(DocumentReport.of(outcome, status))
            if outcome.status == "loaded" and fetched is not None and fetched.candidate.url:
                state.remember(fetched.candidate.key, fetched.validators, fetched.content_hash)

        process_and_load(submitted, run, done)
        report.ended_at = datetime.now(timezone.utc)
        incremental.record_source_run(store, run, report, spec.location)
        state.save()
    logger.info(report.headline())
    create_markdown_artifact(key=f"source-{spec.name.replace('_', '-')}-report", markdown=report.markdown(),
                             description=f"Documents new, changed, unchanged and failed in a run of source {spec.name}")
    return report


class _Results:
    """A process task's future, seen by `process_and_load` as a future of outcomes: unchanged
    documents go straight to the report; the others' statuses are remembered for it."""

    def __init__(self, future, status_of, report: RunReport, known, run, state):
        self.future, self.status_of, self.report = future, status_of, report
        self.known, self.run, self.state = known, run, state

    def result(self):
        outcomes = []
        for status, outcome, fetched in self.future.result():
            if status == "unchanged":
                c = fetched.candidate
                self.report.documents.append(incremental.unchanged_report(
                    c, fetched, self.known, self.run.iris.graph(c.source_id), self.state))
            else:
                self.status_of[outcome.location] = (status, fetched)
                outcomes.append(outcome)
        return outcomes
