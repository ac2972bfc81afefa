"""Prefect ingest flow: orchestration only; the work is `claimgraph.pipeline`.

    process  one task per few documents (CLAIMGRAPH_FLOW_TASK_DOCUMENTS, default 4),
             submitted to the task runner (threads, CLAIMGRAPH_FLOW_WORKERS; or Dask,
             CLAIMGRAPH_DASK_ADDRESS): fetch each document, then pipeline.process_document.
             Retried only when a fetch failed transiently (a later try may succeed):
             documents are fetched before any is processed, so a retry redoes fetches only.
    load     one task per batch (CLAIMGRAPH_LOAD_BATCH_DOCUMENTS, default 16), in the
             flow's thread (one writer): pipeline.load_documents; retried when the store fails.
    report   the run summary as a Markdown artifact, with the seconds each stage took.

A task costs Prefect 5-11 ms, so tasks carry a few documents each, never one per
stage or per triple. No task takes a store or a secret as input: the load task
finds the store its flow opened by the run's id (`run_store`), and a store that
writes through a server reads the write token from the settings when it sends,
so no token reaches Prefect's database, its logs or a Dask worker's pickles. Runs without a Prefect server (Prefect starts a temporary
local one) and against a real server when PREFECT_API_URL is set.
"""
from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from datetime import datetime, timezone
from pathlib import Path

from prefect import flow, get_run_logger, task
from prefect.artifacts import create_markdown_artifact
from prefect.cache_policies import NO_CACHE
from prefect.runtime import flow_run
from prefect.runtime import task_run as this_task_run
from prefect.task_runners import ThreadPoolTaskRunner
from prefect.tasks import exponential_backoff

from claimgraph import pipeline
from claimgraph.config import get_settings
from claimgraph.model import DocumentOutcome, RunSummary
from claimgraph.pipeline import FetchedDocument, RunContext, SourceDefaults
from claimgraph.sources.files import discover_pages, fetch_file
from claimgraph.stores import open_store

FETCH_RETRIES = 2


class TransientFetch(Exception):
    """A fetch in this task failed in a way a later try may fix; Prefect retries the task."""


def _fetch_may_pass(task, task_run, state) -> bool:
    try:
        state.result()
    except TransientFetch:
        return True
    except Exception:
        return False
    return False


def is_transient(fetched: FetchedDocument) -> bool:
    error = fetched.error
    return error is not None and (getattr(error, "transient", False) or
                                  (isinstance(error, OSError) and not hasattr(error, "reason")))


def process_batch(fetch: Callable[[], list[FetchedDocument]], run: RunContext,
                  defaults: SourceDefaults | None = None, retries: int = FETCH_RETRIES) -> list[DocumentOutcome]:
    """Fetch a few documents, then process them; raise TransientFetch (to be retried) while
    tries remain (`retries`: the task's own) and some fetch failed transiently."""
    fetched = fetch()
    transient = [f for f in fetched if is_transient(f)]
    if transient and this_task_run.run_count <= retries:
        raise TransientFetch(f"{transient[0].location}: {transient[0].error}")
    for f in transient:  # out of tries: the report says so
        if hasattr(f.error, "reason") and "tries)" not in f.error.reason:
            f.error.reason += f" (after {this_task_run.run_count} tries)"
    settings = get_settings()
    return [pipeline.process_document(f, run, nlp=pipeline.shared_nlp(settings), linker=pipeline.shared_linker(),
                                      defaults=defaults) for f in fetched]


@task(name="process", retries=FETCH_RETRIES, retry_delay_seconds=exponential_backoff(backoff_factor=1),
      retry_jitter_factor=0.2, retry_condition_fn=_fetch_may_pass, cache_policy=NO_CACHE)
def process_files_task(paths: list[str], run: RunContext) -> list[DocumentOutcome]:
    max_bytes = get_settings().max_document_bytes
    return process_batch(lambda: [fetch_file(Path(p), max_bytes=max_bytes) for p in paths], run)


LOAD_RETRIES = 2
_run_stores: dict[str, object] = {}  # run id -> the store its flow opened (this process)


@contextmanager
def run_store(settings, store_path: str | None, run: RunContext) -> Iterator[object]:
    """The store a flow run writes to, open for the block and known to `load_task` by the run's id:
    a store is never a task input (Prefect records inputs, Dask pickles them)."""
    store = open_store(settings, store_path)
    _run_stores[run.run_id] = store
    try:
        yield store
    finally:
        _run_stores.pop(run.run_id, None)
        store.close()


@task(name="load", retries=LOAD_RETRIES, retry_delay_seconds=1, cache_policy=NO_CACHE)
def load_task(outcomes: list[DocumentOutcome], run: RunContext) -> list[DocumentOutcome]:
    """Load a batch into the run's store (in the flow's process); while tries remain a store failure
    fails the task (Prefect retries the batch), on the last try each document is tried alone and a
    failure is its outcome."""
    return pipeline.load_documents(_run_stores[run.run_id], outcomes, run, pipeline.default_observers(),
                                   isolate=this_task_run.run_count > LOAD_RETRIES)


def task_runner_from_settings():
    """Dask (prefect-dask) when CLAIMGRAPH_DASK_ADDRESS is set, else threads."""
    settings = get_settings()
    address = (settings.dask_address or "").strip()
    if not address:
        return ThreadPoolTaskRunner(max_workers=settings.flow_workers)
    from prefect_dask import DaskTaskRunner

    if address.startswith("local:"):
        n = int(address.split(":", 1)[1] or 2)
        return DaskTaskRunner(cluster_kwargs={"n_workers": n, "threads_per_worker": 1, "processes": True,
                                              "dashboard_address": None})
    return DaskTaskRunner(address=address)


def chunks(items: Sequence, size: int) -> list[list]:
    return [list(items[i:i + size]) for i in range(0, len(items), size)]


def process_and_load(submitted: list[tuple[list[str], object]], run: RunContext,
                     on_outcome: Callable[[DocumentOutcome], None]) -> None:
    """Wait for each submitted batch in order; load built documents in batches as they come (into
    the run's store, `run_store`). A batch whose task failed outright becomes failed outcomes."""
    batch_size = get_settings().load_batch_documents
    pending: list[DocumentOutcome] = []

    def flush() -> None:
        if pending:
            for o in load_task(list(pending), run):
                on_outcome(o)
            pending.clear()

    for locations, future in submitted:
        try:
            outcomes = future.result()
        except Exception as exc:
            outcomes = [DocumentOutcome(loc, None, "failed", reason=pipeline.failure_reason(exc), stage="fetch")
                        for loc in locations]
        for o in outcomes:
            if o.status == "built":
                pending.append(o)
            else:
                on_outcome(o)
        if len(pending) >= batch_size:
            flush()
    flush()


@flow(name="claimgraph-ingest", log_prints=False, task_runner=task_runner_from_settings())
def ingest_flow(paths: list[str], store_path: str | None = None) -> RunSummary:
    """Ingest files and folders of saved pages into the store, one named graph per document."""
    logger = get_run_logger()
    settings = get_settings()
    run = pipeline.new_run(settings, flow_run_id=flow_run.id)
    summary = RunSummary(run_id=run.run_id, started_at=run.started_at)
    with run_store(settings, store_path, run) as store:
        pipeline.load_ontology(store)
        files = [str(p) for p in discover_pages([Path(p) for p in paths])]
        submitted = [(batch, process_files_task.submit(batch, run))
                     for batch in chunks(files, settings.flow_task_documents)]
        process_and_load(submitted, run, summary.outcomes.append)
        order = {f: i for i, f in enumerate(files)}
        summary.outcomes.sort(key=lambda o: order.get(o.location, len(files)))
        summary.ended_at = datetime.now(timezone.utc)
        pipeline.record_run(store, run, summary)
        for o in summary.failed:
            logger.warning("failed %s: %s", o.location, o.reason)
    create_markdown_artifact(key="ingest-summary", markdown=summary_markdown(summary),
                             description="Documents loaded and failed in this run, and where the time went")
    return summary


def summary_markdown(summary: RunSummary) -> str:
    stages = ", ".join(f"{k} {v:.2f} s" for k, v in summary.stage_seconds().items())
    rows = "\n".join(
        f"| {o.status} | `{o.location}` | {o.triples if o.status == 'loaded' else (o.reason or '')} | "
        f"{'; '.join(map(str, o.dropped)).replace('|', '/')} | "
        + ", ".join(f"{k} {v:.2f}" for k, v in o.timings.items()) + " |"
        for o in summary.outcomes)
    return (f"# Ingest run {summary.run_id}\n\nTime per stage, all documents: {stages or '-'}\n\n"
            "| status | source | triples / reason | dropped | seconds per stage |\n|---|---|---|---|---|\n"
            f"{rows}\n")
