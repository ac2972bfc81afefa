"""A VoID description of the dataset at `/.well-known/void` (RFC 5785, VoID §6.2).

The numbers (triples, entities per class, named graphs, owl:sameAs links to
Wikidata) are computed by SPARQL over the store and cached per store until
the next write: every write through the API calls `invalidate_void`, and
code that writes to the store directly (the ingest) calls `refresh_void(store)`
afterwards. A remote store's server is written by the flows directly, so its
numbers are also recomputed once they are a minute old. The description itself (the addresses in it) is built per request
from the cached numbers, so it names the host the client used.
"""
from __future__ import annotations

import threading
import time
import weakref
from dataclasses import dataclass
from datetime import datetime, timezone

import pyoxigraph as ox
from fastapi import APIRouter, Depends, Request
from fastapi.responses import Response

from ..config import ONTOLOGY_IRI
from ..stores import StoreError
from ..vocab import DCTERMS, FOAF, OWL, RDF, WD, XSD
from .answers import HTML, Answer, ProtocolError, negotiate, with_charset
from .deps import get_app_settings, get_query_runner, get_store, query_parameter, route
from .html import render
from .sparql import run_limited, to_response

VOID = "http://rdfs.org/ns/void#"
SD = "http://www.w3.org/ns/sparql-service-description#"
MAX_LISTED_GRAPHS = 1000  # beyond this, the graphs are counted (void:documents) but not listed

OFFERS: dict[str, ox.RdfFormat | None] = {
    "text/turtle": ox.RdfFormat.TURTLE,
    "application/n-triples": ox.RdfFormat.N_TRIPLES,
    "application/ld+json": ox.RdfFormat.JSON_LD,
    "application/rdf+xml": ox.RdfFormat.RDF_XML,
    HTML: None,
}
PREFIXES = {"void": VOID, "sd": SD, "dcterms": DCTERMS, "owl": OWL, "foaf": FOAF, "xsd": XSD}


@dataclass(frozen=True)
class VoidStats:
    triples: int  # quads in the store (named graphs + the store's own default graph)
    default_graph_triples: int
    graphs: tuple[tuple[str, int], ...]  # (named graph IRI, triples), largest first
    classes: tuple[tuple[str, int], ...]  # (class IRI, distinct instances), largest first
    properties: int
    distinct_subjects: int
    entities: int  # distinct subjects minted under the base IRI
    wikidata_links: int  # distinct (subject, Wikidata item) owl:sameAs pairs
    base_iri: str
    computed_at: str
    seconds: float


def _rows(store, query: str) -> list:
    return list(store.query(query, use_default_graph_as_union=True))


def _int(term) -> int:
    return int(term.value) if term is not None else 0


def compute_void_stats(store, base_iri: str) -> VoidStats:
    """Run the statistics queries (a few passes over the store: seconds on a million triples)."""
    t0 = time.perf_counter()
    graphs = [(r["g"].value, _int(r["n"])) for r in store.query(
        "SELECT ?g (COUNT(*) AS ?n) WHERE { GRAPH ?g { ?s ?p ?o } } GROUP BY ?g ORDER BY DESC(?n) ?g")]
    default_n = _int(next(iter(store.query(
        "SELECT (COUNT(*) AS ?n) WHERE { ?s ?p ?o }", use_default_graph_as_union=False)))["n"])
    classes = [(r["c"].value, _int(r["n"])) for r in _rows(
        store, "SELECT ?c (COUNT(DISTINCT ?s) AS ?n) WHERE { ?s a ?c FILTER(isIRI(?c)) } "
               "GROUP BY ?c ORDER BY DESC(?n) ?c")]
    row = _rows(store, "SELECT (COUNT(DISTINCT ?p) AS ?props) (COUNT(DISTINCT ?s) AS ?subjects) "
                       "WHERE { ?s ?p ?o }")[0]
    base_lit = '"' + base_iri.replace("\\", "\\\\").replace('"', '\\"') + '"'
    entities = _int(_rows(store, "SELECT (COUNT(DISTINCT ?s) AS ?n) WHERE { ?s ?p ?o "
                                 f"FILTER(isIRI(?s) && STRSTARTS(STR(?s), {base_lit})) }}")[0]["n"])
    links = _int(_rows(store, f"SELECT (COUNT(*) AS ?n) WHERE {{ SELECT DISTINCT ?s ?o WHERE {{ ?s <{OWL}sameAs> ?o "
                              f'FILTER(isIRI(?o) && STRSTARTS(STR(?o), "{WD}")) }} }}')[0]["n"])
    return VoidStats(
        triples=sum(n for _, n in graphs) + default_n, default_graph_triples=default_n,
        graphs=tuple(graphs), classes=tuple(classes), properties=_int(row["props"]),
        distinct_subjects=_int(row["subjects"]), entities=entities, wikidata_links=links, base_iri=base_iri,
        computed_at=datetime.now(timezone.utc).isoformat(timespec="seconds"),
        seconds=round(time.perf_counter() - t0, 3))


# ----------------------------------------------------------------------------- cache


class _Entry:
    __slots__ = ("generation", "stats", "at")

    def __init__(self) -> None:
        self.generation = 0
        self.stats: VoidStats | None = None
        self.at = 0.0  # time.monotonic() when `stats` were computed


_lock = threading.Lock()
_entries: "weakref.WeakKeyDictionary[object, _Entry]" = weakref.WeakKeyDictionary()
_pinned: dict[int, tuple[object, _Entry]] = {}  # stores that take no weak reference (pyoxigraph.Store)


def _entry(store) -> _Entry:
    with _lock:
        try:
            entry = _entries.get(store)
            if entry is None:
                entry = _entries[store] = _Entry()
        except TypeError:
            held = _pinned.get(id(store))
            if held is None or held[0] is not store:
                held = _pinned[id(store)] = (store, _Entry())
            entry = held[1]
        return entry


def invalidate_void(store) -> None:
    """Forget the cached numbers (call after any write); the next request recomputes them."""
    entry = _entry(store)
    with _lock:
        entry.generation += 1
        entry.stats = None


def refresh_void(store, base_iri: str | None = None) -> VoidStats:
    """Recompute the VoID numbers now and cache them (for code that writes to the store
    without going through the API, e.g. the ingest). Pass the same store object the
    app serves (its OxigraphStore); a bare pyoxigraph Store works too, cached apart."""
    if base_iri is None:
        from ..config import get_settings

        base_iri = get_settings().base_iri
    entry = _entry(store)
    with _lock:
        generation = entry.generation
    reader = getattr(store, "reader", store)
    stats = compute_void_stats(reader, base_iri)
    with _lock:
        if entry.generation == generation:  # no write happened meanwhile: the numbers are current
            entry.stats, entry.at = stats, time.monotonic()
    return stats


def void_stats(store, base_iri: str) -> VoidStats:
    """The cached numbers, computed first if a write (or nothing yet) made them stale. A store
    that others write to directly (a remote store's server) says how long its numbers keep
    (`stats_max_age_s`)."""
    entry = _entry(store)
    stats, max_age = entry.stats, getattr(store, "stats_max_age_s", None)
    if (stats is not None and stats.base_iri == base_iri
            and (max_age is None or time.monotonic() - entry.at < max_age)):
        return stats
    return refresh_void(store, base_iri)


# ----------------------------------------------------------------------------- description


def void_triples(stats: VoidStats, doc_iri: str, endpoint: str, store_endpoint: str) -> list[ox.Triple]:
    N, L, T = ox.NamedNode, ox.Literal, ox.Triple
    v = lambda local: N(VOID + local)  # noqa: E731
    a = N(RDF + "type")
    integer = N(XSD + "integer")
    num = lambda n: L(str(n), datatype=integer)  # noqa: E731
    doc, ds = N(doc_iri), N(doc_iri + "#dataset")
    wd, linkset = N(doc_iri + "#wikidata"), N(doc_iri + "#wikidata-links")
    out = [
        T(doc, a, v("DatasetDescription")),
        T(doc, N(DCTERMS + "title"), L("VoID description of the ClaimGraph knowledge graph", language="en")),
        T(doc, N(FOAF + "primaryTopic"), ds),
        T(ds, a, v("Dataset")),
        T(ds, N(DCTERMS + "title"), L("ClaimGraph", language="en")),
        T(ds, N(DCTERMS + "description"), L(
            "Claims, authors, organizations and states from international-affairs analysis and opinion "
            "articles; one named graph per source document.", language="en")),
        T(ds, v("sparqlEndpoint"), N(endpoint)),
        T(ds, v("dataDump"), N(store_endpoint)),
        T(ds, v("uriSpace"), L(stats.base_iri)),
        T(ds, v("vocabulary"), N(ONTOLOGY_IRI)),
        T(ds, v("triples"), num(stats.triples)),
        T(ds, v("entities"), num(stats.entities)),
        T(ds, v("distinctSubjects"), num(stats.distinct_subjects)),
        T(ds, v("properties"), num(stats.properties)),
        T(ds, v("classes"), num(len(stats.classes))),
        T(ds, v("documents"), num(len(stats.graphs))),
        T(ds, N(DCTERMS + "modified"), L(stats.computed_at, datatype=N(XSD + "dateTime"))),
        T(ds, v("subset"), linkset),
        T(linkset, a, v("Linkset")),
        T(linkset, v("linkPredicate"), N(OWL + "sameAs")),
        T(linkset, v("subjectsTarget"), ds),
        T(linkset, v("objectsTarget"), wd),
        T(linkset, v("triples"), num(stats.wikidata_links)),
        T(wd, a, v("Dataset")),
        T(wd, N(DCTERMS + "title"), L("Wikidata", language="en")),
        T(wd, N(FOAF + "homepage"), N("https://www.wikidata.org/")),
        T(wd, v("sparqlEndpoint"), N("https://query.wikidata.org/sparql")),
        T(wd, v("uriSpace"), L(WD)),
    ]
    for ns in ("http://schema.org/", "http://www.w3.org/ns/org#", "http://www.w3.org/ns/prov#",
               "http://persistence.uni-leipzig.org/nlp2rdf/ontologies/nif-core#"):
        out.append(T(ds, v("vocabulary"), N(ns)))
    for i, (cls, n) in enumerate(stats.classes):
        part = N(f"{doc_iri}#class-{i}")
        out += [T(ds, v("classPartition"), part), T(part, v("class"), N(cls)), T(part, v("entities"), num(n))]
    for i, (graph, n) in enumerate(stats.graphs[:MAX_LISTED_GRAPHS]):
        sub = N(f"{doc_iri}#graph-{i}")
        out += [T(ds, v("subset"), sub), T(sub, a, v("Dataset")), T(sub, N(SD + "name"), N(graph)),
                T(sub, v("triples"), num(n))]
    return out


def void_html(stats: VoidStats, endpoint: str, store_endpoint: str) -> str:
    def local(iri: str) -> str:  # our own IRIs link to their pages on this server
        return "/" + iri.split("/", 3)[3] if iri.startswith(stats.base_iri) else iri

    listed = stats.graphs[:MAX_LISTED_GRAPHS]
    return render("void.html", title="Dataset", stats=stats, endpoint=endpoint, store_endpoint=store_endpoint,
                  classes=[(local(c), c, n) for c, n in stats.classes],
                  graphs=[(local(g), g, n) for g, n in listed], more=len(stats.graphs) - len(listed))


FORMAT_ALIASES = {"turtle": "text/turtle", "ttl": "text/turtle", "ntriples": "application/n-triples",
                  "nt": "application/n-triples", "jsonld": "application/ld+json", "json": "application/ld+json",
                  "rdfxml": "application/rdf+xml", "xml": "application/rdf+xml", "html": HTML}


def answer_void(stats: VoidStats, *, accept: str | None, fmt: str | None, doc_iri: str, endpoint: str,
                store_endpoint: str) -> Answer:
    wanted = FORMAT_ALIASES.get((fmt or "").lower(), fmt) if fmt else accept
    # No Accept at all: Turtle (a machine asking); browsers send text/html first.
    chosen = negotiate(wanted, list(OFFERS)) if wanted else "text/turtle"
    if chosen is None:
        return Answer.error(ProtocolError(406, f"The VoID description is available as {', '.join(OFFERS)}."))
    if chosen == HTML:
        return Answer(200, void_html(stats, endpoint, store_endpoint).encode("utf-8"), with_charset(HTML))
    rdf_format = OFFERS[chosen]
    triples = void_triples(stats, doc_iri, endpoint, store_endpoint)
    prefixes = PREFIXES if rdf_format in (ox.RdfFormat.TURTLE, ox.RdfFormat.RDF_XML) else None
    return Answer(200, ox.serialize(triples, format=rdf_format, prefixes=prefixes), with_charset(chosen))


# ----------------------------------------------------------------------------- route

router = APIRouter(tags=["dataset"])


@route(router, "/.well-known/void", ["GET", "HEAD"], response_class=Response,
                  summary="VoID description of the dataset (Turtle, N-Triples, JSON-LD, RDF/XML, HTML)",
                  openapi_extra={"parameters": [query_parameter("format", "Instead of Accept: turtle, jsonld, "
                                                                          "ntriples, rdfxml or html.")]})
def well_known_void(request: Request, store=Depends(get_store), settings=Depends(get_app_settings),
                    runner=Depends(get_query_runner)) -> Response:
    origin = str(request.base_url).rstrip("/")
    try:
        stats = run_limited(runner, lambda: void_stats(store, settings.base_iri), "VoID statistics")
        answer = answer_void(stats, accept=request.headers.get("accept"), fmt=request.query_params.get("format"),
                             doc_iri=origin + "/.well-known/void", endpoint=origin + "/sparql",
                             store_endpoint=origin + "/store")
    except ProtocolError as exc:
        answer = Answer.error(exc)
    except StoreError as exc:  # a remote store failed to answer
        answer = Answer(502, f"The store failed: {exc}\n".encode("utf-8"), "text/plain; charset=utf-8")
    return to_response(answer)
