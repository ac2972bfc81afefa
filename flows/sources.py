"""Prefect flow for one registered source: an incremental run, orchestration only.

    discover (flow thread)  -> fetch (one task per document, concurrent, retried with backoff)
    -> unchanged? skip      -> prepare (HTML -> text page)
    -> parse -> extract                (flows/ingest.py's tasks, submitted to the task runner)
    -> link (flow process: the run's Wikidata client) -> map -> validate (task runner)
    -> load (flow thread, one writer; flows/ingest.py's load task) -> run report

Every step is a library function (claimgraph.incremental, claimgraph.pipeline);
the stage tasks are the ones flows/ingest.py defines. Prefect supplies:

- retries: fetch and discover retry transient failures (timeouts, connection
  errors, 429/5xx) with exponential backoff; the library fetcher's own retries
  are turned off inside the flow so the two do not multiply;
- timeouts: each request is bounded by the fetcher (connect/read timeouts, and
  3x the timeout for a whole body); the flow run as a whole has Prefect's
  `timeout_seconds` (CLAIMGRAPH_SOURCE_RUN_TIMEOUT, default 3600). Task-level
  timeouts are not used: Prefect 3 cannot interrupt a sync task blocked in I/O
  in a worker thread, and warns on every such task;
- concurrency: within a run the task runner's threads (CLAIMGRAPH_FLOW_WORKERS,
  default 4) bound the work in flight and the fetcher keeps `per_host` requests
  per host. With CLAIMGRAPH_PREFECT_FETCH_TAGS=1 fetch tasks also carry the tags
  `claimgraph-fetch` and `fetch-host:<host>`, so `prefect concurrency-limit
  create claimgraph-fetch 4` (or per host) caps them across all flow runs; off
  by default, as each tagged task run costs a round trip to the server;
- scale-out: with `CLAIMGRAPH_DASK_ADDRESS` (`tcp://scheduler:8786`, or
  `local:N` for a local cluster of N worker processes) the stage tasks run on a
  Dask cluster through prefect-dask; loads stay in the flow's process.

Runs in ephemeral mode (no server) like the ingest flow, and as served
deployments (flows/deploy.py) against a Prefect server.
"""
from __future__ import annotations

import os
import time
from dataclasses import replace
from datetime import datetime, timezone
from urllib.parse import urlsplit

from prefect import flow, get_run_logger, tags, task
from prefect.artifacts import create_markdown_artifact
from prefect.cache_policies import NO_CACHE
from prefect.futures import wait
from prefect.runtime import flow_run
from prefect.task_runners import ThreadPoolTaskRunner
from prefect.tasks import exponential_backoff

from claimgraph import incremental, pipeline
from claimgraph.config import get_settings
from claimgraph.incremental import Candidate, DocumentReport, Fetched, Prepared, RunReport
from claimgraph.registry import SourceSpec, load_registry
from claimgraph.remote_store import open_target_store
from claimgraph.web import FetchConfig, FetchError, Validators, shared_fetcher
from claimgraph.flows.ingest import extract_task, link_task, load_task, map_task, parse_task, validate_task


def _transient_fetch(task, task_run, state) -> bool:
    """Retry what may pass (timeouts, 5xx, 429, connection errors), never a verdict on the page."""
    try:
        state.result()
    except FetchError as exc:
        return exc.transient
    except Exception:
        return False
    return False


@task(name="fetch", retries=2, retry_delay_seconds=exponential_backoff(backoff_factor=1),
      retry_jitter_factor=0.2, retry_condition_fn=_transient_fetch, cache_policy=NO_CACHE)
def fetch_task(candidate: Candidate, config: FetchConfig, validators: Validators | None, max_bytes: int) -> Fetched:
    fetcher = shared_fetcher(config) if candidate.url else None
    return incremental.fetch_document(candidate, fetcher, validators, max_bytes=max_bytes)


@task(name="discover", retries=2, retry_delay_seconds=exponential_backoff(backoff_factor=1),
      retry_condition_fn=_transient_fetch, cache_policy=NO_CACHE)
def discover_task(spec: SourceSpec, config: FetchConfig, state: incremental.FetchState) -> list[Candidate]:
    return incremental.discover(spec, shared_fetcher(config) if spec.is_web else None, state)


@task(name="prepare", cache_policy=NO_CACHE)
def prepare_task(fetched: Fetched, spec: SourceSpec) -> Prepared:
    return incremental.prepare_document(fetched, spec)


def _fetch_tags(c: Candidate) -> list[str]:
    """Tags for Prefect's tag concurrency limits, only when asked for (CLAIMGRAPH_PREFECT_FETCH_TAGS=1):
    with Prefect 3.8.8 every tagged task run asks the server for a concurrency slot, which
    made a run of 200 unchanged pages take 21 s instead of 2 s."""
    if not c.url or os.environ.get("CLAIMGRAPH_PREFECT_FETCH_TAGS", "") not in ("1", "true", "yes"):
        return []
    return ["claimgraph-fetch", f"fetch-host:{urlsplit(c.url).netloc}"]


def _tried(exc: BaseException, retries: int) -> BaseException:
    """A transient fetch failure was retried by Prefect until its retries ran out: say so."""
    if isinstance(exc, FetchError) and exc.transient and retries and "tries)" not in exc.reason:
        exc.reason += f" (after {retries + 1} tries)"
    return exc


def task_runner_from_env():
    """Dask (prefect-dask) when CLAIMGRAPH_DASK_ADDRESS is set, else threads."""
    address = os.environ.get("CLAIMGRAPH_DASK_ADDRESS", "").strip()
    if not address:
        return ThreadPoolTaskRunner(max_workers=int(os.environ.get("CLAIMGRAPH_FLOW_WORKERS", "4")))
    from prefect_dask import DaskTaskRunner

    if address.startswith("local:"):
        n = int(address.split(":", 1)[1] or 2)
        return DaskTaskRunner(cluster_kwargs={"n_workers": n, "threads_per_worker": 1, "processes": True,
                                              "dashboard_address": None})
    return DaskTaskRunner(address=address)


def _first_failure(futures) -> BaseException | None:
    """The exception of the first failed future of a chain (later ones are NotReady)."""
    for fut in futures:
        state = fut.state
        if state.is_failed() or state.is_crashed():
            exc = state.result(raise_on_failure=False)
            return exc if isinstance(exc, BaseException) else RuntimeError(state.message or state.name)
    return None


@flow(name="claimgraph-source", flow_run_name="source-{source}", log_prints=False, task_runner=task_runner_from_env(),
      timeout_seconds=float(os.environ.get("CLAIMGRAPH_SOURCE_RUN_TIMEOUT", "3600")))
def source_flow(source: str, registry: str | None = None, store_path: str | None = None) -> RunReport:
    """Incremental ingest of one registered source (see claimgraph.registry): new and changed
    documents are loaded into their named graphs, unchanged ones skipped, failures reported."""
    logger = get_run_logger()
    settings = get_settings()
    reg = load_registry(registry)
    spec = reg.get(source)
    config = replace(reg.fetch, retries=0, max_bytes=settings.max_document_bytes)  # Prefect retries instead
    fetch = fetch_task.with_options(retries=reg.fetch.retries)
    run = pipeline.new_run(settings, flow_run_id=flow_run.id)
    report = RunReport(source=spec.name, run_id=run.run_id, started_at=run.started_at)
    store = open_target_store(store_path)
    state = incremental.FetchState(incremental.fetch_state_path(getattr(store, "path", None) or store_path))
    try:
        pipeline.load_ontology(store)
        known = incremental.known_documents(store)
        try:
            candidates = discover_task.with_options(retries=reg.fetch.retries)(spec, config, state)
        except Exception as exc:
            report.documents.append(incremental.failure(spec.location, None, _tried(exc, reg.fetch.retries),
                                                        time.perf_counter()))
            candidates = []

        started = time.perf_counter()
        fetches = []
        for c in candidates:
            validators = state.validators_for(c.key, known.get(run.iris.graph(c.source_id)))
            with tags(*_fetch_tags(c)):
                fetches.append(fetch.submit(c, config, validators, settings.max_document_bytes))

        # Parse and extract run on the task runner as soon as a document is fetched.
        extracting: list[tuple[Candidate, str, Fetched, Prepared, list]] = []
        for c, fut in zip(candidates, fetches):
            fut.wait()
            exc = _first_failure([fut])
            if exc is not None:
                report.documents.append(incremental.failure(c.key, c.source_id, _tried(exc, reg.fetch.retries), started))
                continue
            fetched = fut.result()
            graph_iri = run.iris.graph(c.source_id)
            status = incremental.classify(fetched, known, graph_iri)
            if status == "unchanged":
                if c.url and fetched.validators:
                    state.remember(c.key, fetched.validators, known.get(graph_iri))
                report.documents.append(DocumentReport(c.key, c.source_id, "unchanged"))
                continue
            try:
                prepared = prepare_task(fetched, spec)
            except Exception as exc:
                report.documents.append(incremental.failure(c.key, c.source_id, exc, started))
                continue
            page_f = parse_task.submit(prepared.source)
            ex_f = extract_task.submit(prepared.source, page_f, prepared.entry, settings.spacy_model)
            extracting.append((c, status, fetched, prepared, [page_f, ex_f]))

        # Linking uses the run's Wikidata client (cache on disk, not picklable): it runs here,
        # in the flow's process; map and validate go back to the task runner.
        mapping: list[tuple[Candidate, str, Fetched, list]] = []
        with pipeline.wikidata_client() as linker:
            for c, status, fetched, prepared, futures in extracting:
                wait(futures)
                exc = _first_failure(futures)
                if exc is None:
                    try:
                        ex = futures[1].result()
                        decisions = link_task(ex, linker)
                    except Exception as link_exc:
                        exc = link_exc
                if exc is not None:
                    report.documents.append(incremental.failure(c.key, c.source_id, exc, started))
                    continue
                graph_f = map_task.submit(ex, run, prepared.entry, decisions)
                mapping.append((c, status, fetched, [graph_f, validate_task.submit(graph_f)]))

        # One writer: loads happen here, in order, each replacing one named graph atomically.
        for c, status, fetched, futures in mapping:
            wait(futures)
            exc = _first_failure(futures)
            if exc is None:
                graph = futures[0].result()
                try:
                    old = incremental.old_triples(store, graph.graph_iri) if status == "changed" else set()
                    after = load_task(store, graph)
                except Exception as load_exc:  # store failure after retries: report, go on
                    exc = load_exc
            if exc is not None:
                report.documents.append(incremental.failure(c.key, c.source_id, exc, started))
                logger.warning("failed %s: %s", c.key, report.documents[-1].reason)
                continue
            added, removed = incremental.diff_counts(old, graph, after)
            if c.url:
                state.remember(c.key, fetched.validators, fetched.content_hash)
            report.documents.append(DocumentReport(c.key, c.source_id, status, triples=after,
                                                   added=added, removed=removed))
        report.ended_at = datetime.now(timezone.utc)
        incremental.record_source_run(store, run, report, spec.location)
        state.save()
    finally:
        store.close()
    logger.info(report.headline())
    create_markdown_artifact(key=f"source-{spec.name.replace('_', '-')}-report", markdown=report.markdown(),
                             description=f"Documents new, changed, unchanged and failed in a run of source {spec.name}")
    return report

