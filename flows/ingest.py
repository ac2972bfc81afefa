"""Prefect ingest flow: orchestration only; every stage is a claimgraph library function.

One task per stage per document (a task costs ~5-11 ms: never one per triple).
Runs without a Prefect server (Prefect starts a temporary local one) and
against a real server when PREFECT_API_URL is set.
"""
from __future__ import annotations

import time
from datetime import datetime, timezone
from pathlib import Path

from prefect import flow, get_run_logger, task
from prefect.artifacts import create_markdown_artifact
from prefect.cache_policies import NO_CACHE
from prefect.runtime import flow_run

from claimgraph import pipeline
from claimgraph.config import Settings, get_settings
from claimgraph.extract.nlp import load_nlp
from claimgraph.model import DocumentGraph, DocumentOutcome, Extraction, ParsedPage, RunSummary, SourceDocument, SourceError
from claimgraph.sources import ManifestEntry, discover_pages, manifest_entry_for
from claimgraph.store import GraphStore, OxigraphStore


def _transient(task, task_run, state) -> bool:
    """Retry I/O hiccups, never a verdict about the document itself."""
    try:
        state.result()
    except (SourceError, pipeline.DocumentRejected):
        return False
    except Exception:
        return True
    return False


# Stage tasks. Inputs that are stores or large objects are not hashable for
# caching, so these tasks opt out of Prefect's input cache.
@task(name="read", retries=2, retry_delay_seconds=1, retry_condition_fn=_transient, cache_policy=NO_CACHE)
def read_task(path: Path, entry: ManifestEntry | None, settings: Settings) -> SourceDocument:
    return pipeline.read_document(path, entry, settings)


@task(name="parse", cache_policy=NO_CACHE)
def parse_task(source: SourceDocument) -> ParsedPage:
    return pipeline.parse_page(source)


@task(name="extract", cache_policy=NO_CACHE)
def extract_task(source: SourceDocument, page: ParsedPage, entry: ManifestEntry | None, model: str) -> Extraction:
    return pipeline.extract_document(source, page, entry, load_nlp(model))


@task(name="link", cache_policy=NO_CACHE)
def link_task(ex: Extraction, linker) -> list:
    return pipeline.link_document(ex, linker)


@task(name="map", cache_policy=NO_CACHE)
def map_task(ex: Extraction, run: pipeline.RunContext, entry: ManifestEntry | None, decisions: list) -> DocumentGraph:
    return pipeline.map_document(ex, run, entry, decisions)


@task(name="validate", cache_policy=NO_CACHE)
def validate_task(graph: DocumentGraph) -> None:
    pipeline.validate_document_graph(graph)


@task(name="load", retries=2, retry_delay_seconds=1, retry_condition_fn=_transient, cache_policy=NO_CACHE)
def load_task(store: GraphStore, graph: DocumentGraph) -> int:
    return pipeline.load_document_graph(store, graph).triples_after


def ingest_one(path: Path, store: GraphStore, run: pipeline.RunContext, settings: Settings, linker=None) -> DocumentOutcome:
    entry = manifest_entry_for(path)
    started = time.perf_counter()
    try:
        source = read_task(path, entry, settings)
        page = parse_task(source)
        ex = extract_task(source, page, entry, settings.spacy_model)
        decisions = link_task(ex, linker)
        graph = map_task(ex, run, entry, decisions)
        validate_task(graph)
        load_task(store, graph)
    except Exception as exc:  # one document's failure never stops the others
        return pipeline.failed_outcome(path, entry, exc, started)
    return DocumentOutcome(str(path), graph.source_id, "loaded", triples=graph.triple_count,
                           seconds=time.perf_counter() - started)


@flow(name="claimgraph-ingest", log_prints=False)
def ingest_flow(paths: list[str], store_path: str | None = None) -> RunSummary:
    """Ingest files and folders of saved pages into the store, one named graph per document."""
    logger = get_run_logger()
    settings = get_settings()
    run = pipeline.new_run(settings, flow_run_id=flow_run.id)
    summary = RunSummary(run_id=run.run_id, started_at=run.started_at)
    with OxigraphStore(Path(store_path) if store_path else settings.store) as store, pipeline.wikidata_client() as linker:
        pipeline.load_ontology(store)
        for path in discover_pages([Path(p) for p in paths]):
            outcome = ingest_one(path, store, run, settings, linker)
            summary.outcomes.append(outcome)
            if outcome.status == "failed":
                logger.warning("failed %s: %s", outcome.location, outcome.reason)
        summary.ended_at = datetime.now(timezone.utc)
        pipeline.record_run(store, run, summary)
        logger.info("%s; store now holds %d triples", summary.render().splitlines()[0], store.triple_count())
    create_markdown_artifact(key="ingest-summary", markdown=_summary_markdown(summary),
                             description="Documents loaded and failed in this run")
    return summary


def _summary_markdown(summary: RunSummary) -> str:
    rows = "\n".join(
        f"| {o.status} | `{o.location}` | {o.triples if o.status == 'loaded' else (o.reason or '')} |"
        for o in summary.outcomes
    )
    return f"# Ingest run {summary.run_id}\n\n| status | source | triples / reason |\n|---|---|---|\n{rows}\n"
