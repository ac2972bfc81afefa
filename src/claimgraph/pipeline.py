"""The path of one document, stage by stage, as plain functions.

    read_source_file -> parse_page -> extract_document -> map_extraction
                     -> validate_document_graph -> load_document_graph

The Prefect flow (flows/ingest.py) wraps each of these in a task; `ingest`
here runs the same path in a plain loop, for library users, tests and the
benchmark that measures Prefect's overhead.
"""
from __future__ import annotations

import time
import uuid
from dataclasses import dataclass, replace
from datetime import datetime, timezone
from pathlib import Path

from .config import Settings, get_settings
from .iris import Iris
from .mapping import commenter_key, literal, map_extraction
from .model import (
    DocumentGraph,
    DocumentOutcome,
    Entity,
    EntityKind,
    Extraction,
    LoadResult,
    OrgKind,
    ParsedPage,
    RunSummary,
    SourceDocument,
    SourceError,
)
from .resolve import guess_organization_kind, organization_key, organization_name
from .sources import ManifestEntry, manifest_entry_for, read_source_file
from .store import GraphStore
from . import vocab as V


class DocumentRejected(Exception):
    """A document that cannot be loaded; the message says why (parse or validation)."""


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


# ------------------------------------------------------------------------ stages


def read_document(path: Path, entry: ManifestEntry | None, settings: Settings) -> SourceDocument:
    """Fetch one saved page; an HTML page becomes a text page with its own metadata."""
    from .parse.html_page import as_text_page

    return as_text_page(read_source_file(path, entry, max_bytes=settings.max_document_bytes))


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

    authors = extract_authors(page, publisher=publisher)
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


def map_document(ex: Extraction, run: RunContext, entry: ManifestEntry | None, decisions: list | None = None) -> DocumentGraph:
    graph = map_extraction(
        ex, run.iris, run_iri=run.run_iri, run_started=run.started_at, flow_run_id=run.flow_run_id,
        article_kind=entry.article_kind if entry else None, section=entry.section if entry else None,
    )
    if decisions:
        from .link.reconcile import link_decisions_ntriples

        extra = link_decisions_ntriples(decisions, run.iris, source_id=ex.source.source_id)
        graph = replace(graph, nquads=graph.nquads + extra, triple_count=graph.triple_count + extra.count("\n"))
    return graph


def validate_document_graph(graph: DocumentGraph) -> None:
    from .ontology import validate_document

    report = validate_document(graph.nquads)
    if not report.conforms:
        shown = "; ".join(report.messages[:5])
        more = f" (+{len(report.messages) - 5} more)" if len(report.messages) > 5 else ""
        raise DocumentRejected(f"SHACL validation failed: {shown}{more}")


def load_document_graph(store: GraphStore, graph: DocumentGraph) -> LoadResult:
    result = store.replace_graph(graph.graph_iri, graph.nquads)
    return LoadResult(graph.source_id, graph.graph_iri, result.triples_before, result.triples_after)


def load_ontology(store: GraphStore) -> int:
    """(Re)load the ontology into its own named graph; returns its triple count."""
    from .ontology import ontology_ntriples

    return store.replace_graph(V.ONTOLOGY_GRAPH, ontology_ntriples()).triples_after


def run_graph_ntriples(run: RunContext, summary: RunSummary) -> str:
    """The run's own record: times, counts, what failed and why."""
    s = f"<{run.run_iri}>"
    dt = V.XSD + "dateTime"
    lines = [
        f"{s} <{V.RDF}type> <{V.ETL_RUN}> .",
        f"{s} <{V.RDF}type> <{V.PROV_ACTIVITY}> .",
        f"{s} <{V.PROV}startedAtTime> {literal(run.started_at.isoformat(timespec='seconds'), dt)} .",
        f"{s} <{V.DOCUMENTS_LOADED}> {literal(len(summary.loaded), V.XSD + 'integer')} .",
        f"{s} <{V.DOCUMENTS_FAILED}> {literal(len(summary.failed), V.XSD + 'integer')} .",
        f"{s} <{V.RDFS}label> {literal('ClaimGraph ingest run ' + run.run_id)} .",
    ]
    if summary.ended_at:
        lines.append(f"{s} <{V.PROV}endedAtTime> {literal(summary.ended_at.isoformat(timespec='seconds'), dt)} .")
    if run.flow_run_id:
        lines.append(f"{s} <{V.FLOW_RUN_ID}> {literal(run.flow_run_id)} .")
    for o in summary.failed:
        lines.append(f"{s} <{V.RDFS}comment> {literal(f'failed: {o.location}: {o.reason}')} .")
    return "\n".join(lines) + "\n"


def record_run(store: GraphStore, run: RunContext, summary: RunSummary, extra_ntriples: str = "") -> None:
    """Write this run's graph, then drop the graphs of runs no document points to any more.

    The store keeps the runs that produced current data (so every article's
    run has an end time) and does not grow when the same sources are ingested
    again; the full history of runs stays in Prefect.
    """
    store.replace_graph(run.iris.run_graph(run.run_id), run_graph_ntriples(run, summary) + extra_ntriples)
    prefix = run.iris.run_graph("")
    stale = store.query(
        f"""SELECT DISTINCT ?g WHERE {{
              GRAPH ?g {{ ?run a <{V.ETL_RUN}> }}
              FILTER(STRSTARTS(STR(?g), "{prefix}") && ?g != <{run.iris.run_graph(run.run_id)}>)
              FILTER NOT EXISTS {{ GRAPH ?d {{ ?x <{V.PROV}wasGeneratedBy> ?run }} FILTER(?d != ?g) }}
            }}""",
        use_default_graph_as_union=False,
    )
    for row in list(stale):
        store.drop_graph(row["g"].value)


# ------------------------------------------------------------------- one document


def failure_reason(exc: BaseException) -> str:
    """What a run summary says about a document that failed."""
    if isinstance(exc, SourceError):
        return exc.reason
    if isinstance(exc, DocumentRejected):
        return str(exc)
    return f"{type(exc).__name__}: {exc}"  # a bug or a store failure: named, and the run goes on


def failed_outcome(path: Path, entry: ManifestEntry | None, exc: BaseException, started: float) -> DocumentOutcome:
    return DocumentOutcome(str(path), entry.id if entry else path.stem, "failed", reason=failure_reason(exc),
                           seconds=time.perf_counter() - started)


def ingest_document(path: Path, store: GraphStore, run: RunContext, settings: Settings, nlp=None,
                    linker=None) -> DocumentOutcome:
    """Every stage for one file; failures become an outcome naming the file and the reason."""
    started = time.perf_counter()
    entry = manifest_entry_for(path)
    try:
        source = read_document(path, entry, settings)
        page = parse_page(source)
        ex = extract_document(source, page, entry, nlp)
        graph = map_document(ex, run, entry, link_document(ex, linker))
        validate_document_graph(graph)
        load_document_graph(store, graph)
    except Exception as exc:  # one document's failure never stops the others
        return failed_outcome(path, entry, exc, started)
    return DocumentOutcome(str(path), graph.source_id, "loaded", triples=graph.triple_count,
                           seconds=time.perf_counter() - started)


def wikidata_client():
    """The run's Wikidata client (offline unless CLAIMGRAPH_WIKIDATA_OFFLINE=false)."""
    from .link.wikidata import WikidataClient, WikidataSettings

    return WikidataClient(WikidataSettings.from_env())


def ingest(paths: list[Path], store: GraphStore, settings: Settings | None = None) -> RunSummary:
    """The whole path for many files without Prefect (same stages as the flow)."""
    from .extract.nlp import load_nlp
    from .sources import discover_pages

    settings = settings or get_settings()
    run = new_run(settings)
    summary = RunSummary(run_id=run.run_id, started_at=run.started_at)
    load_ontology(store)
    nlp = load_nlp(settings.spacy_model)
    with wikidata_client() as linker:
        for path in discover_pages(paths):
            summary.outcomes.append(ingest_document(path, store, run, settings, nlp, linker))
    summary.ended_at = datetime.now(timezone.utc)
    record_run(store, run, summary)
    return summary
