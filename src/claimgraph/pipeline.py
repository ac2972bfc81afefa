"""The path of one document, stage by stage, and the one function that runs it.

    fetch (sources/) -> prepare -> parse -> extract -> link -> map -> validate -> load (stores/)

`process_document(fetched, run)` takes one fetched document through every
stage up to a validated graph and returns its `DocumentOutcome`: the graph,
what was dropped from it and why, the seconds each stage took, or the stage
that failed and the reason. `load_documents(store, outcomes, run)` writes
such documents in one batch (each document's graph all or nothing) and tells
the load observers. `ingest_documents` is the loop over both that every
shell uses: the CLI (`claimgraph ingest`, plain or through Prefect), the
Prefect flows in flows/ (one task per few documents, one per load batch),
incremental source runs (sources/incremental.py) and `ingest` below, the
library call.

Nothing here imports Prefect, FastAPI or the CLI. A document's failure never
stops the others: it becomes an outcome naming the document and the reason.
"""
from __future__ import annotations

import threading
import time
import uuid
from collections.abc import Callable, Iterable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, replace
from datetime import datetime, timezone
from pathlib import Path
from typing import Protocol

import pyoxigraph as ox

from . import vocab as V
from .config import Settings, get_settings
from .iris import Iris
from .mapping import commenter_key, map_extraction
from .model import (
    DocumentGraph,
    DocumentOutcome,
    DroppedItem,
    Entity,
    EntityKind,
    Extraction,
    OrgKind,
    ParsedPage,
    RunSummary,
    SourceDocument,
    SourceError,
)
from .rdf import GraphWriter
from .resolve import guess_organization_kind, organization_key, organization_name
from .sources.files import ManifestEntry
from .validate import DocumentRejected, validate_graph

__all__ = ["DocumentRejected", "FetchedDocument", "LoadObserver", "RunContext", "SourceDefaults", "extract_document",
           "failure_reason", "ingest", "ingest_documents", "link_document", "load_documents", "load_ontology",
           "map_document", "new_run", "parse_page", "prepare_document", "process_document", "record_run",
           "run_graph_triples", "default_observers", "shared_linker", "shared_nlp", "validate_document_graph", "wikidata_client"]


@dataclass(frozen=True)
class RunContext:
    """What every document of one run shares."""

    run_id: str
    run_iri: str
    started_at: datetime
    iris: Iris
    flow_run_id: str | None = None


def new_run(settings: Settings | None = None, *, flow_run_id: str | None = None) -> RunContext:
    settings = settings or get_settings()
    iris = Iris(settings.base_iri)
    run_id = flow_run_id or str(uuid.uuid4())
    return RunContext(run_id=run_id, run_iri=iris.run(run_id), started_at=datetime.now(timezone.utc),
                      iris=iris, flow_run_id=flow_run_id)


@dataclass(frozen=True)
class SourceDefaults:
    """What a registered source says about all its documents (a manifest entry says more)."""

    publisher: str | None = None
    publisher_kind: str | None = None
    article_kind: str | None = None
    language: str | None = None


@dataclass(frozen=True)
class FetchedDocument:
    """The fetch stage's result for one document: its source, or why it could not be had."""

    location: str  # file path or URL, as the run report names the document
    source_id: str | None
    source: SourceDocument | None = None
    entry: ManifestEntry | None = None
    error: BaseException | None = None
    seconds: float = 0.0

    @classmethod
    def failed(cls, location: str, source_id: str | None, error: BaseException, seconds: float = 0.0):
        return cls(location, source_id, None, None, error, seconds)


# ------------------------------------------------------------------------ stages


def prepare_document(source: SourceDocument, entry: ManifestEntry | None,
                     defaults: SourceDefaults | None = None) -> tuple[SourceDocument, ManifestEntry | None]:
    """HTML -> a text page with the page's own metadata; the manifest entry, the source's
    defaults and the page's metadata merged (in that order of trust)."""
    if source.media_type != "text/html" and not defaults:
        return source, entry
    from .parse.html_page import html_to_text_page

    metadata = None
    if source.media_type == "text/html" and source.metadata is None:
        text, metadata = html_to_text_page(source.text, source.url or source.location)
        source = replace(source, text=text, metadata=metadata.as_dict())
    d = defaults or SourceDefaults()
    e = entry
    url = source.url
    if metadata is not None and metadata.canonical_url and url and url.startswith(("http://", "https://")):
        from .sources.http import canonical_url

        url = canonical_url(metadata.canonical_url)  # checked as an IRI where it is mapped
    language = (e.language if e else None) or d.language or (
        metadata.language.split("-")[0].lower() if metadata and metadata.language else None)
    publisher = (e.publisher if e else None) or d.publisher or (metadata.publisher if metadata else None)
    entry = ManifestEntry(
        id=source.source_id, file=e.file if e else source.location, language=language, publisher=publisher,
        publisher_kind=(e.publisher_kind if e else None) or d.publisher_kind,
        article_kind=(e.article_kind if e else None) or d.article_kind or (metadata.article_kind if metadata else None),
        section=(e.section if e else None) or (metadata.section if metadata else None),
        url=url or (e.url if e else None), encoding=e.encoding if e else "utf-8",
    )
    return replace(source, language=language, publisher=publisher, url=url or source.url), entry


def parse_page(source: SourceDocument) -> ParsedPage:
    from .parse.text_page import parse_text_page

    page = parse_text_page(source.text)
    if not page.body_text.strip():  # a page without a title still loads, without a headline
        raise DocumentRejected(f"{source.location}: no article found (no body text)")
    return page


def extract_document(source: SourceDocument, page: ParsedPage, entry: ManifestEntry | None, nlp=None) -> Extraction:
    """Authors, citations, comments, entities and claims of one parsed page."""
    from .extract.authors import extract_authors
    from .extract.citations import extract_citations
    from .extract.comments import extract_comments
    from .extract.content import extract_content

    from .parse.html_page import page_metadata

    metadata = page_metadata(source.metadata)
    # The manifest (or source registry) first, then what the page states about itself.
    publisher = source.publisher or (metadata.publisher if metadata else None) or page.publisher
    publisher_entity = publisher_organization(publisher, entry.publisher_kind if entry else None) if publisher else None
    publisher_key = publisher_entity.key if publisher_entity else None

    authors = extract_authors(page, publisher=publisher, nlp=nlp or shared_nlp())
    citations, cited_publishers = extract_citations(page)
    comments = extract_comments(page)
    holders = {c.number: commenter_key(publisher_key, c.author_name) for c in comments}
    content = extract_content(page, author_keys=authors.author_keys, comment_holders=holders, nlp=nlp)

    if not authors.author_keys and publisher_key:
        # An unsigned piece speaks for its publisher (an editorial, a house brief).
        for claim in content.claims:
            if not claim.holder_key:
                claim.holder_key = publisher_key
    # An HTML page's headline was decided from all it states (parse/html_page.py); a text page's by its lines.
    headline = (metadata.headline if metadata and metadata.headline else None) or page.title
    ex = Extraction(
        source=source, page=page, headline=headline, author_keys=authors.author_keys,
        publisher_key=publisher_key, mentions=content.mentions, claims=content.claims,
        affiliations=authors.affiliations, educations=authors.educations, posts=content.posts,
        citations=citations, comments=comments, profiles=authors.profiles,
        language=source.language or "en", date_published=page.date_published,
    )
    if source.metadata:
        from .parse.html_page import apply_page_metadata

        apply_page_metadata(ex, source.metadata)  # the page's own metadata beats guesses from text
    # The publisher and the authors' organisations come first: their kinds (from the
    # manifest and the bio) are better evidence than a name-based guess in the body.
    for entity in [publisher_entity, *authors.entities, *cited_publishers, *content.entities.values()]:
        if entity is not None:
            ex.add_entity(entity)
    return ex


def publisher_organization(name: str, kind: str | None = None) -> Entity:
    """The publisher as an organization: the manifest's kind, else the gazetteer's, else a
    guess from the name, else a news outlet; the name as printed stays an alternate name."""
    from .extract.gazetteer import load_gazetteer

    clean = organization_name(name)
    known = load_gazetteer().org_by_surface(clean) or load_gazetteer().org_by_surface(name.strip())
    org_kind = OrgKind(kind) if kind else (OrgKind(known.kind) if known and known.kind else None)
    if org_kind is None:
        guess = guess_organization_kind(clean)
        org_kind = guess if guess is not OrgKind.OTHER else OrgKind.NEWS_OUTLET
    entity = Entity(key=organization_key(clean), kind=EntityKind.ORGANIZATION, name=clean, org_kind=org_kind)
    if name.strip() != clean:
        entity.alternate_names.add(name.strip())
    return entity


def link_document(ex: Extraction, client=None) -> list:
    """Link entities to Wikidata: bundled tables first, then the (cached, by default
    offline) reconciliation client. Linked entities get `Entity.wikidata` set."""
    from .link.reconcile import reconcile_extraction

    return reconcile_extraction(ex, client)


def map_document(ex: Extraction, run: RunContext, entry: ManifestEntry | None, decisions: list | None = None,
                 dropped: list[DroppedItem] | None = None) -> DocumentGraph:
    graph = map_extraction(
        ex, run.iris, run_iri=run.run_iri, run_started=run.started_at, flow_run_id=run.flow_run_id,
        article_kind=entry.article_kind if entry else None, section=entry.section if entry else None,
        dropped=dropped,
    )
    if decisions:
        from .link.reconcile import link_decision_triples

        g = ox.NamedNode(graph.graph_iri)
        extra = [ox.Quad(t.subject, t.predicate, t.object, g)
                 for t in link_decision_triples(decisions, run.iris, source_id=ex.source.source_id)]
        graph = replace(graph, quads=tuple(dict.fromkeys(graph.quads + tuple(extra))))
    return graph


def validate_document_graph(graph: DocumentGraph, run: RunContext | None = None) -> tuple[DocumentGraph, list[DroppedItem]]:
    """SHACL (validate.py): the graph that conforms, and what was dropped to get there."""
    protected = {graph.article_iri}
    if run is not None:
        protected |= {run.run_iri, run.iris.source(graph.source_id)}
    return validate_graph(graph, protected)


def load_ontology(store) -> int:
    """(Re)load the ontology into its own named graph; returns its triple count."""
    from .ontology import ontology_ntriples

    return store.replace_graph(V.ONTOLOGY_GRAPH, ontology_ntriples()).triples_after


# ------------------------------------------------------------------- one document


def failure_reason(exc: BaseException) -> str:
    """What a run summary says about a document that failed."""
    if isinstance(exc, SourceError):
        return exc.reason
    if isinstance(exc, DocumentRejected):
        return str(exc)
    return f"{type(exc).__name__}: {exc}"  # a bug or a store failure: named, and the run goes on


class _Stages:
    """Times each stage of one document and remembers which one was running."""

    def __init__(self) -> None:
        self.timings: dict[str, float] = {}
        self.current = "prepare"

    @contextmanager
    def stage(self, name: str) -> Iterator[None]:
        self.current = name
        started = time.perf_counter()
        try:
            yield
        finally:
            self.timings[name] = self.timings.get(name, 0.0) + time.perf_counter() - started


def process_document(fetched: FetchedDocument, run: RunContext, *, nlp=None, linker=None,
                     defaults: SourceDefaults | None = None) -> DocumentOutcome:
    """One fetched document through prepare, parse, extract, link, map and validate.

    Returns an outcome with status "built" and the graph ready to load, or "failed" with the
    stage and the reason. Never raises for a document's own faults.
    """
    started = time.perf_counter() - fetched.seconds
    stages = _Stages()
    if fetched.seconds:
        stages.timings["fetch"] = fetched.seconds
    if fetched.source is None:
        exc = fetched.error or SourceError(fetched.location, "not fetched")
        return DocumentOutcome(fetched.location, fetched.source_id, "failed", reason=failure_reason(exc),
                               stage="fetch", timings=stages.timings, seconds=fetched.seconds)
    dropped: list[DroppedItem] = []
    try:
        with stages.stage("prepare"):
            source, entry = prepare_document(fetched.source, fetched.entry, defaults)
        with stages.stage("parse"):
            page = parse_page(source)
        with stages.stage("extract"):
            ex = extract_document(source, page, entry, nlp)
        with stages.stage("link"):
            decisions = link_document(ex, linker)
        with stages.stage("map"):
            graph = map_document(ex, run, entry, decisions, dropped)
        with stages.stage("validate"):
            graph, shacl_dropped = validate_document_graph(graph, run)
            dropped += shacl_dropped
    except Exception as exc:  # one document's failure never stops the others
        return DocumentOutcome(fetched.location, fetched.source_id or fetched.source.source_id, "failed",
                               reason=failure_reason(exc), stage=stages.current, timings=stages.timings,
                               seconds=time.perf_counter() - started, dropped=dropped)
    return DocumentOutcome(fetched.location, graph.source_id, "built", triples=graph.triple_count,
                           seconds=time.perf_counter() - started, timings=stages.timings, dropped=dropped,
                           graph=graph)


# ------------------------------------------------------------------------- load


class LoadObserver(Protocol):
    """Told about every batch of documents the load stage wrote, with their graphs, in the
    same run. An observer may also have `documents_loading(store, run, outcomes)`, called
    before the batch is written with the store it goes to (the search index uses it to
    follow that store's writes: claimgraph.search.follow)."""

    def documents_loaded(self, run: RunContext, outcomes: list[DocumentOutcome]) -> None: ...


def default_observers(settings: Settings | None = None) -> list[LoadObserver]:
    """The observers every run tells about its loads (CLI, flows, incremental runs, `ingest`):
    the text index beside the store (`CLAIMGRAPH_SEARCH`, on by default)."""
    settings = settings or get_settings()
    if not settings.search:
        return []
    from .search.follow import SearchIndexObserver

    return [SearchIndexObserver(settings)]


def load_documents(store, outcomes: Sequence[DocumentOutcome], run: RunContext | None = None,
                   observers: Sequence[LoadObserver] = (), *, isolate: bool = True) -> list[DocumentOutcome]:
    """Write the built documents of `outcomes` in one batch (`store.replace_graphs`: each
    document's graph all or nothing) and mark them loaded. If the batch fails, each document
    is tried alone (`isolate`; a caller that retries the whole batch first passes False and
    gets the exception), so a store error costs only the document it belongs to. The load
    time is shared out over the batch's documents. Observers hear about the loaded ones; the
    graphs are then released (a long run keeps only the outcomes)."""
    built = [o for o in outcomes if o.status == "built" and o.graph is not None]
    if not built:
        return list(outcomes)
    for observer in observers:
        loading = getattr(observer, "documents_loading", None)
        if loading is not None:
            loading(store, run, built)
    started = time.perf_counter()
    try:
        results = store.replace_graphs([(o.graph.graph_iri, o.graph.quads) for o in built])
        paired = list(zip(built, results))
    except Exception:
        if not isolate:
            raise
        paired = []
        for o in built:
            try:
                paired.append((o, store.replace_graphs([(o.graph.graph_iri, o.graph.quads)])[0]))
            except Exception as exc:
                o.status, o.stage, o.reason, o.graph = "failed", "load", failure_reason(exc), None
    share = (time.perf_counter() - started) / max(1, len(built))
    loaded = []
    for o, result in paired:
        o.status, o.triples, o.added, o.removed = "loaded", result.triples_after, result.added, result.removed
        loaded.append(o)
    for o in built:
        o.timings["load"] = o.timings.get("load", 0.0) + share
        o.seconds += share
    for observer in observers:
        observer.documents_loaded(run, loaded)
    for o in built:
        o.graph = None
    return list(outcomes)


def ingest_documents(fetched: Iterable[FetchedDocument], store, run: RunContext, *, nlp=None, linker=None,
                     defaults: SourceDefaults | None = None, batch_documents: int = 16,
                     observers: Sequence[LoadObserver] = (),
                     on_outcome: Callable[[DocumentOutcome], None] | None = None) -> list[DocumentOutcome]:
    """The plain loop: each fetched document processed, loaded in batches of `batch_documents`."""
    outcomes: list[DocumentOutcome] = []
    pending: list[DocumentOutcome] = []

    def flush() -> None:
        load_documents(store, pending, run, observers)
        for o in pending:
            if on_outcome:
                on_outcome(o)
        pending.clear()

    for item in fetched:
        outcome = process_document(item, run, nlp=nlp, linker=linker, defaults=defaults)
        outcomes.append(outcome)
        if outcome.status == "built":
            pending.append(outcome)
            if len(pending) >= batch_documents:
                flush()
        elif on_outcome:
            on_outcome(outcome)
    flush()
    return outcomes


# ------------------------------------------------------------------- the run's record


def run_graph_triples(run: RunContext, summary: RunSummary, extra: Callable[[GraphWriter], None] | None = None):
    """The run's own record: times, counts, what failed and why, what was dropped."""
    w = GraphWriter(run.iris.run_graph(run.run_id))
    s = run.run_iri
    w.a(s, V.ETL_RUN, V.PROV_ACTIVITY)
    w.lit(s, V.PROV + "startedAtTime", run.started_at)
    w.lit(s, V.DOCUMENTS_LOADED, len(summary.loaded))
    w.lit(s, V.DOCUMENTS_FAILED, len(summary.failed))
    w.lit(s, V.RDFS + "label", "ClaimGraph ingest run " + run.run_id)
    if summary.ended_at:
        w.lit(s, V.PROV + "endedAtTime", summary.ended_at)
    if run.flow_run_id:
        w.lit(s, V.FLOW_RUN_ID, run.flow_run_id)
    for o in summary.failed:
        w.lit(s, V.RDFS + "comment", f"failed: {published_name(o)}: {o.reason}")
    for o, d in summary.dropped:
        w.lit(s, V.RDFS + "comment", f"dropped from {published_name(o)}: {d}")
    if extra:
        extra(w)
    return w.quads()


def published_name(outcome: DocumentOutcome) -> str:
    """How the run's graph names a document: its URL, else its id (a file's location is a path on
    this machine, which the graph never shows)."""
    if outcome.location.startswith(("http://", "https://")):
        return outcome.location
    return outcome.source_id or "a document"


def record_run(store, run: RunContext, summary: RunSummary, extra: Callable[[GraphWriter], None] | None = None) -> None:
    """Write this run's graph, then drop the graphs of runs no document points to any more.

    The store keeps the runs that produced current data (so every article's
    run has an end time) and does not grow when the same sources are ingested
    again; the full history of runs stays in Prefect.
    """
    this_graph = run.iris.run_graph(run.run_id)
    store.replace_graph(this_graph, run_graph_triples(run, summary, extra))
    prefix = ox.Literal(run.iris.run_graph(""))
    stale = store.query(
        f"""SELECT DISTINCT ?g WHERE {{
              GRAPH ?g {{ ?run a <{V.ETL_RUN}> }}
              FILTER(STRSTARTS(STR(?g), {prefix}) && ?g != {ox.NamedNode(this_graph)})
              FILTER NOT EXISTS {{ GRAPH ?d {{ ?x <{V.PROV}wasGeneratedBy> ?run }} FILTER(?d != ?g) }}
            }}""",
        use_default_graph_as_union=False,
    )
    for row in list(stale):
        store.drop_graph(row["g"].value)


# ------------------------------------------------------------------- shared per process


_linker = None
_linker_lock = threading.Lock()


def wikidata_client():
    """A new Wikidata client (offline unless CLAIMGRAPH_WIKIDATA_OFFLINE=false); close it after use."""
    from .link.wikidata import WikidataClient, WikidataSettings

    return WikidataClient(WikidataSettings.from_env())


def shared_linker():
    """One Wikidata client per process, shared by its threads (its cache and rate limit too)."""
    global _linker
    with _linker_lock:
        if _linker is None:
            _linker = wikidata_client()
        return _linker


def shared_nlp(settings: Settings | None = None):
    """The spaCy pipeline, loaded once per process."""
    from .extract.nlp import load_nlp

    return load_nlp((settings or get_settings()).spacy_model)


# ------------------------------------------------------------------- the library call


def ingest(paths: list[Path], store, settings: Settings | None = None, *,
           observers: Sequence[LoadObserver] | None = None,
           on_outcome: Callable[[DocumentOutcome], None] | None = None) -> RunSummary:
    """The whole path for files and folders of saved pages, without Prefect: the same functions
    the flow runs. `store` is any GraphStore (an in-memory `OxigraphStore(None)` works)."""
    from .sources.files import fetch_files

    settings = settings or get_settings()
    run = new_run(settings)
    summary = RunSummary(run_id=run.run_id, started_at=run.started_at)
    load_ontology(store)
    summary.outcomes = ingest_documents(
        fetch_files(paths, settings), store, run, nlp=shared_nlp(settings), linker=shared_linker(),
        batch_documents=settings.load_batch_documents,
        observers=default_observers(settings) if observers is None else observers, on_outcome=on_outcome)
    summary.ended_at = datetime.now(timezone.utc)
    record_run(store, run, summary)
    return summary
