"""The SPARQL 1.1 Protocol on `/sparql`: the query operation here, the update
operation in update.py (same route: a request is one or the other).

Everything the protocol decides is a plain function here, testable without
HTTP; the FastAPI route at the bottom only hands it the request's pieces:

- `parse_protocol_request`  method, parameters, Content-Type, body -> `QueryRequest`,
                            `UpdateRequest` (handled by update.py), None (a
                            service-description request), or `ProtocolError`
- `check_query_limits`      size, nesting, operators, patterns (query_limits.py): 400 naming the limit
- `rewrite_search_blocks`   `SERVICE cg:search { … }` -> the VALUES of its hits (sparql_search.py)
- `scan_query`              a light SPARQL lexer: query form, FROM clauses, SERVICE targets
- `check_services`          refuse SERVICE targets not on `settings.service_allowlist`
- `negotiate`               Accept header (with q-values) -> one offered media type
- `evaluation_request`      the query, its dataset and result formats as plain data for an evaluator:
                            `QueryPool` (query_pool.py: worker processes, for a store on disk) or
                            `ThreadEvaluator` (threads, for a store in memory)
- `service_description`     SPARQL 1.1 Service Description of this endpoint
- `answer_sparql_request`   all of the above, returning an `Answer` (status, body, type)

Dataset: without `default-graph-uri`/`named-graph-uri` (and without FROM in the
query) the default graph is the union of all named graphs (and of the store's
own default graph, which is empty unless an update or the Graph Store Protocol
wrote to it). With either protocol
parameter, the dataset is exactly what the parameters name (an empty default
graph when only `named-graph-uri` is given, no named graphs when only
`default-graph-uri` is given), overriding any FROM / FROM NAMED in the query.
Relative IRIs in queries resolve against `settings.base_iri`, where entity
IRIs are minted.

Time limits: a query gets `settings.query_timeout_s` from its arrival and then
503, decided before any byte is sent. In a worker process (query_pool.py) the
query is stopped by killing its worker; in a thread (`QueryRunner`, also used
by linked-data pages and VoID) it cannot be stopped and runs on with its
result thrown away, so that pool is bounded and answers 503 at once when full.
An update gets `settings.update_timeout_s` (`apply_update`).
"""
from __future__ import annotations

import asyncio
import dataclasses
import os
import threading
import time
import urllib.parse
from concurrent.futures import CancelledError, Future, ThreadPoolExecutor
from concurrent.futures import TimeoutError as FutureTimeout
from dataclasses import dataclass
from typing import Awaitable, Callable, Sequence, TypeVar

import pyoxigraph as ox
from fastapi import APIRouter, Depends, Request
from fastapi.responses import Response

from ..config import Settings
from ..stores import OxigraphStore, ServedStore
from .answers import HTML, TEXT  # noqa: F401
from .answers import (  # noqa: F401 - re-exported: the protocol's shared pieces
    Answer,
    MediaRange,
    ProtocolError,
    negotiate,
    parse_accept,
    split_media_type,
    with_charset,
)
from .allowlist import allowlist
from .deps import get_app_settings, get_query_evaluator, get_query_runner, get_search_index, get_store, route  # noqa: F401
from .lexer import LOCAL_ESCAPE, tokens
from .query_limits import QueryLimits, check_query_limits
from .query_worker import evaluate
from .sparql_search import rewrite_search_blocks

T = TypeVar("T")

# ----------------------------------------------------------------------------- media types

JSON_RESULTS = "application/sparql-results+json"
XML_RESULTS = "application/sparql-results+xml"
CSV = "text/csv"
TSV = "text/tab-separated-values"
TURTLE = "text/turtle"
N_TRIPLES = "application/n-triples"
JSON_LD = "application/ld+json"
RDF_XML = "application/rdf+xml"
N_QUADS = "application/n-quads"
TRIG = "application/trig"
N3 = "text/n3"

# Offered media type -> (pyoxigraph format, Content-Type sent). Dict order is the
# server's preference when the client accepts several equally (e.g. */*).
RESULT_OFFERS: dict[str, tuple[ox.QueryResultsFormat, str]] = {
    JSON_RESULTS: (ox.QueryResultsFormat.JSON, JSON_RESULTS),
    XML_RESULTS: (ox.QueryResultsFormat.XML, XML_RESULTS),
    CSV: (ox.QueryResultsFormat.CSV, CSV),
    TSV: (ox.QueryResultsFormat.TSV, TSV),
    "application/json": (ox.QueryResultsFormat.JSON, "application/json"),
    "application/xml": (ox.QueryResultsFormat.XML, "application/xml"),
    "text/xml": (ox.QueryResultsFormat.XML, "text/xml"),
}
GRAPH_OFFERS: dict[str, tuple[ox.RdfFormat, str]] = {
    TURTLE: (ox.RdfFormat.TURTLE, TURTLE),
    N_TRIPLES: (ox.RdfFormat.N_TRIPLES, N_TRIPLES),
    JSON_LD: (ox.RdfFormat.JSON_LD, JSON_LD),
    RDF_XML: (ox.RdfFormat.RDF_XML, RDF_XML),
    N_QUADS: (ox.RdfFormat.N_QUADS, N_QUADS),
    TRIG: (ox.RdfFormat.TRIG, TRIG),
    N3: (ox.RdfFormat.N3, N3),
    "application/x-turtle": (ox.RdfFormat.TURTLE, "application/x-turtle"),
    "application/json": (ox.RdfFormat.JSON_LD, JSON_LD),
}
SD_OFFERS: dict[str, ox.RdfFormat | None] = {
    TURTLE: ox.RdfFormat.TURTLE,
    N_TRIPLES: ox.RdfFormat.N_TRIPLES,
    JSON_LD: ox.RdfFormat.JSON_LD,
    RDF_XML: ox.RdfFormat.RDF_XML,
    HTML: None,  # a browser: redirect to the query page
}

# `format=` / `output=` short names, per result kind ("json" is SPARQL JSON for
# SELECT/ASK and JSON-LD for CONSTRUCT/DESCRIBE). A full media type works too.
FORMAT_ALIASES: dict[str, dict[str, str]] = {
    "results": {"json": JSON_RESULTS, "srj": JSON_RESULTS, "xml": XML_RESULTS, "srx": XML_RESULTS,
                "csv": CSV, "tsv": TSV},
    "graph": {"turtle": TURTLE, "ttl": TURTLE, "ntriples": N_TRIPLES, "n-triples": N_TRIPLES, "nt": N_TRIPLES,
              "jsonld": JSON_LD, "json-ld": JSON_LD, "json": JSON_LD, "rdfxml": RDF_XML, "rdf-xml": RDF_XML,
              "rdf/xml": RDF_XML, "xml": RDF_XML, "rdf": RDF_XML, "nquads": N_QUADS, "n-quads": N_QUADS,
              "nq": N_QUADS, "trig": TRIG, "n3": N3},
}

FORM = "application/x-www-form-urlencoded"
SPARQL_QUERY = "application/sparql-query"
SPARQL_UPDATE = "application/sparql-update"



# ----------------------------------------------------------------------------- request parsing


@dataclass(frozen=True)
class QueryRequest:
    """One SPARQL query operation, as the protocol request carried it."""

    query: str
    default_graph_uris: tuple[str, ...] = ()
    named_graph_uris: tuple[str, ...] = ()
    format: str | None = None  # `format=` / `output=` override of the Accept header

    @property
    def has_protocol_dataset(self) -> bool:
        return bool(self.default_graph_uris or self.named_graph_uris)


@dataclass(frozen=True)
class UpdateRequest:
    """One SPARQL 1.1 Update request (one or more operations), as the protocol carried it."""

    update: str
    using_graph_uris: tuple[str, ...] = ()
    using_named_graph_uris: tuple[str, ...] = ()

    @property
    def has_protocol_dataset(self) -> bool:
        return bool(self.using_graph_uris or self.using_named_graph_uris)


def _is_utf8(charset: str | None) -> bool:
    return charset is None or charset.lower().replace("-", "").replace("_", "") == "utf8"


def _iri_params(params: Sequence[tuple[str, str]], name: str) -> tuple[str, ...]:
    out = []
    for k, v in params:
        if k != name:
            continue
        try:
            ox.NamedNode(v)
        except ValueError as exc:
            raise ProtocolError(400, f"{name}={v!r} is not an absolute IRI: {exc}.")
        out.append(v)
    return tuple(out)


def _direct_body(body: bytes, mparams: dict[str, str], what: str) -> str:
    if not _is_utf8(mparams.get("charset")):
        raise ProtocolError(415, f"A SPARQL {what} body must be UTF-8, not charset={mparams['charset']}.")
    try:
        return body.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise ProtocolError(400, f"The {what} body is not valid UTF-8 ({exc.reason} at byte {exc.start}).")


def parse_protocol_request(
    method: str,
    params: Sequence[tuple[str, str]],
    content_type: str | None,
    body: bytes,
) -> QueryRequest | UpdateRequest | None:
    """Read a SPARQL 1.1 Protocol request: a query or an update operation.

    `params` are the URL's (name, value) pairs in order, repeats kept. Returns
    None for `GET` without `query` (the caller answers with the service
    description), a `QueryRequest` or an `UpdateRequest` (POSTed as a form with
    `update=` or as `application/sparql-update`); raises `ProtocolError` with
    400/405/415 otherwise. Who may update is decided later (auth.py).
    """
    method = method.upper()
    params = list(params)
    direct: tuple[str, str] | None = None  # ("query"|"update", text) from a direct POST body
    if method == "GET":
        if any(k == "update" for k, _ in params):
            raise ProtocolError(400, "SPARQL Update is not allowed over GET: POST it as "
                                     f"{SPARQL_UPDATE} or as a form with 'update='.")
    elif method == "POST":
        mtype, mparams = split_media_type(content_type)
        if mtype == FORM:
            try:
                text = body.decode("utf-8")
            except UnicodeDecodeError:
                raise ProtocolError(400, "The form-encoded body is not valid UTF-8.")
            try:
                params += urllib.parse.parse_qsl(text, keep_blank_values=True, encoding="utf-8", errors="strict")
            except UnicodeDecodeError:
                raise ProtocolError(400, "A percent-encoded form value is not valid UTF-8.")
        elif mtype in (SPARQL_QUERY, SPARQL_UPDATE):
            what = "query" if mtype == SPARQL_QUERY else "update"
            if any(k in ("query", "update") for k, _ in params):
                raise ProtocolError(400, f"The {what} was given in the body, so the URL may not carry a "
                                         "'query' or 'update' parameter as well.")
            direct = (what, _direct_body(body, mparams, what))
        elif not mtype:
            raise ProtocolError(
                415, f"A POST to the SPARQL endpoint needs a Content-Type: {FORM}, {SPARQL_QUERY} "
                     f"or {SPARQL_UPDATE}.")
        else:
            raise ProtocolError(
                415, f"Unsupported Content-Type {mtype!r}: a SPARQL query is POSTed as {FORM} or {SPARQL_QUERY}, "
                     f"an update as {FORM} or {SPARQL_UPDATE}.")
    else:
        raise ProtocolError(405, f"The SPARQL endpoint takes GET or POST, not {method}.",
                            {"Allow": "GET, POST"})

    queries = [v for k, v in params if k == "query"]
    updates = [v for k, v in params if k == "update"]
    if direct:
        (queries if direct[0] == "query" else updates).append(direct[1])
    if queries and updates:
        raise ProtocolError(400, "A request carries either a 'query' or an 'update', not both.")
    if updates:
        if len(updates) > 1:
            raise ProtocolError(400, f"Exactly one 'update' parameter is allowed; the request has {len(updates)}.")
        if not updates[0].strip():
            raise ProtocolError(400, "The 'update' parameter is empty: expected a SPARQL update.")
        if any(k in ("default-graph-uri", "named-graph-uri") for k, _ in params):
            raise ProtocolError(400, "An update takes its dataset from 'using-graph-uri' / 'using-named-graph-uri', "
                                     "not 'default-graph-uri' / 'named-graph-uri'.")
        return UpdateRequest(updates[0], _iri_params(params, "using-graph-uri"),
                             _iri_params(params, "using-named-graph-uri"))
    if len(queries) > 1:
        raise ProtocolError(400, f"Exactly one 'query' parameter is allowed; the request has {len(queries)}.")
    if not queries:
        if method == "GET":
            return None
        raise ProtocolError(400, "Missing 'query' parameter: the request carries no SPARQL query.")
    query = queries[0]
    if not query.strip():
        raise ProtocolError(400, "The 'query' parameter is empty: expected a SPARQL query.")
    fmt = next((v for k, v in params if k in ("format", "output") and v), None)
    return QueryRequest(query, _iri_params(params, "default-graph-uri"), _iri_params(params, "named-graph-uri"), fmt)


def _kind_offers(kind: str) -> list[str]:
    return list(RESULT_OFFERS if kind in ("solutions", "boolean") else GRAPH_OFFERS)


def choose_format(kind: str, accept: str | None, format_override: str | None = None) -> tuple[object, str]:
    """(pyoxigraph format, Content-Type) for a result `kind` ("solutions", "boolean"
    or "graph"), from `format=`/`output=` if given, else the Accept header.
    Raises ProtocolError(406) when nothing acceptable is offered."""
    table = RESULT_OFFERS if kind in ("solutions", "boolean") else GRAPH_OFFERS
    offers = _kind_offers(kind)
    what = {"solutions": "SELECT", "boolean": "ASK", "graph": "CONSTRUCT/DESCRIBE"}[kind]
    if format_override:
        alias = FORMAT_ALIASES["results" if kind != "graph" else "graph"].get(format_override.strip().lower())
        wanted = alias or format_override
        chosen = negotiate(wanted, offers) if parse_accept(wanted) else None
        if chosen is None:
            raise ProtocolError(406, f"format={format_override!r} is not available for {what} results; "
                                     f"available: {', '.join(offers)}.")
    else:
        chosen = negotiate(accept, offers)
        if chosen is None:
            raise ProtocolError(406, f"None of the accepted media types ({accept}) is available for {what} "
                                     f"results; available: {', '.join(offers)}.")
    fmt, content_type = table[chosen]
    return fmt, with_charset(content_type)


# ----------------------------------------------------------------------------- query scanning

QUERY_FORMS = {"SELECT", "ASK", "CONSTRUCT", "DESCRIBE"}


@dataclass(frozen=True)
class ServiceRef:
    """One `SERVICE [SILENT] target` in a query; `iri` is None when the target
    is not a constant IRI (a variable, or something the scanner cannot resolve)."""

    iri: str | None
    silent: bool
    written: str


@dataclass(frozen=True)
class QueryScan:
    form: str | None  # SELECT / ASK / CONSTRUCT / DESCRIBE (None if not found)
    has_from: bool  # a FROM / FROM NAMED dataset clause
    services: tuple[ServiceRef, ...]


def scan_query(text: str, base_iri: str | None = None) -> QueryScan:
    """Lex a SPARQL query enough to find its form, dataset clauses and SERVICE targets.

    Comments, string literals and IRIs are skipped as tokens, so "SERVICE"
    inside them does not count; PREFIX and BASE declarations are followed so
    `SERVICE wd:x` and `SERVICE <relative>` resolve to the IRIs the engine
    would call. This does not validate the query (pyoxigraph does).
    """
    toks = list(tokens(text))
    prefixes: dict[str, str] = {}
    base = base_iri
    form, has_from, services = None, False, []

    def resolve(iriref: str) -> str:
        iri = iriref[1:-1]
        return urllib.parse.urljoin(base, iri) if base else iri

    def expand(pname: str) -> str | None:
        pfx, _, local = pname.partition(":")
        if pfx not in prefixes:
            return None
        return prefixes[pfx] + LOCAL_ESCAPE.sub(r"\1", local)

    i = 0
    while i < len(toks):
        kind, value = toks[i]
        upper = value.upper() if kind == "word" else ""
        nxt = toks[i + 1] if i + 1 < len(toks) else ("", "")
        if upper == "PREFIX" and nxt[0] == "pname" and i + 2 < len(toks) and toks[i + 2][0] == "iri":
            prefixes[nxt[1].split(":", 1)[0]] = resolve(toks[i + 2][1])
            i += 3
            continue
        if upper == "BASE" and nxt[0] == "iri":
            base = resolve(nxt[1])
            i += 2
            continue
        if upper in QUERY_FORMS and form is None:
            form = upper
        elif upper == "FROM":
            has_from = True
        elif upper == "SERVICE":
            j = i + 1
            silent = j < len(toks) and toks[j][0] == "word" and toks[j][1].upper() == "SILENT"
            if silent:
                j += 1
            tkind, tval = toks[j] if j < len(toks) else ("", "")
            iri = resolve(tval) if tkind == "iri" else expand(tval) if tkind == "pname" else None
            services.append(ServiceRef(iri, silent, tval))
            i = j + 1
            continue
        i += 1
    return QueryScan(form, has_from, tuple(services))


def check_services(scan: QueryScan, allowed: Sequence[str]) -> None:
    """Refuse (400) any SERVICE whose target is not a constant IRI on the allow-list (compared
    in normal form, allowlist.py). pyoxigraph would otherwise call whatever address a query names."""
    if not scan.services:
        return
    gate = allowlist(tuple(allowed))
    shown = str(gate) or "no endpoint (the allow-list is empty)"
    for ref in scan.services:
        if ref.iri is None:
            raise ProtocolError(
                400, f"SERVICE {ref.written or '(nothing)'} refused: federated queries need a constant "
                     f"endpoint IRI from the allow-list ({shown}).")
        if not gate.allows(ref.iri):
            raise ProtocolError(400, f"SERVICE <{ref.iri}> refused: this endpoint only federates with {shown}.")


# ----------------------------------------------------------------------------- evaluation

_FORM_KIND = {"SELECT": "solutions", "ASK": "boolean", "CONSTRUCT": "graph", "DESCRIBE": "graph"}


def dataset_description(request: QueryRequest, scan: QueryScan) -> dict:
    """The request's RDF dataset, as plain data for `query_worker.dataset_options`."""
    if request.has_protocol_dataset:
        # The protocol's dataset replaces the query's FROM / FROM NAMED entirely.
        return {"default_graph": list(request.default_graph_uris), "named_graphs": list(request.named_graph_uris)}
    return {"union": not scan.has_from}  # with FROM, the query's own dataset clause


def result_formats(scan: QueryScan, accept: str | None, format_override: str | None) -> dict:
    """Result kind -> [file extension, Content-Type] to serialise it with, or [406, why not].

    Decided here, before evaluation: a request whose query form has no acceptable
    format raises ProtocolError(406) without any work done. Only the form's kind
    is offered (all three when the scanner found no form: the engine will say
    what is wrong)."""
    kind = _FORM_KIND.get(scan.form or "")
    if kind:
        fmt, content_type = choose_format(kind, accept, format_override)
        return {kind: [fmt.file_extension, content_type]}
    out = {}
    for kind in ("solutions", "boolean", "graph"):
        try:
            fmt, content_type = choose_format(kind, accept, format_override)
            out[kind] = [fmt.file_extension, content_type]
        except ProtocolError as exc:
            out[kind] = [exc.status, exc.message]
    return out


def evaluation_request(request: QueryRequest, scan: QueryScan, accept: str | None, base_iri: str | None) -> dict:
    """What an evaluator needs to answer the query (plain data: it crosses to a worker process)."""
    return {"query": request.query, "base_iri": base_iri, "dataset": dataset_description(request, scan),
            "formats": result_formats(scan, accept, request.format)}


class ThreadEvaluator:
    """Queries evaluated in threads of this process (`QueryRunner`): for a store in memory,
    which no worker process can open. The time limit answers 503 but cannot stop the
    query, and a query that overflows the stack stops the process: the limits of
    query_limits.py are the only guard here."""

    def __init__(self, store: OxigraphStore, runner: "QueryRunner"):
        self.store = store
        self.runner = runner

    async def evaluate(self, request: dict, client: str) -> Answer:
        status, content_type, body = await arun_limited(self.runner, lambda: evaluate(self.store.native, request))
        return Answer(status, body, content_type)

    async def close(self) -> None:
        self.runner.shutdown()


class QueryTimeout(Exception):
    pass


class Overloaded(Exception):
    pass


class QueryRunner:
    """A bounded pool of worker threads that run blocking jobs with a time limit.

    At most `max_workers` jobs run at once and `max_queued` more wait; beyond
    that `run` raises `Overloaded` immediately. A job still unfinished after
    `timeout_s` (counted from submission, queueing included) makes `run` raise
    `QueryTimeout`; a queued job is then cancelled, a running one cannot be
    (pyoxigraph has no cancellation) and keeps its slot until it finishes —
    which is what stops runaway queries from starving everything else.
    """

    def __init__(self, max_workers: int = 8, max_queued: int = 16, timeout_s: float | None = 30.0):
        self.max_workers = max_workers
        self.timeout_s = timeout_s if timeout_s and timeout_s > 0 else None
        self._pool = ThreadPoolExecutor(max_workers=max_workers, thread_name_prefix="sparql")
        self._slots = threading.BoundedSemaphore(max_workers + max_queued)
        self._lock = threading.Lock()
        self.abandoned = 0  # timed-out jobs still running

    def _submit(self, job: Callable[[], T]) -> Future:
        if not self._slots.acquire(blocking=False):
            raise Overloaded()
        try:
            future: Future = self._pool.submit(job)
        except BaseException:
            self._slots.release()
            raise
        future.add_done_callback(self._release)
        return future

    def _timed_out(self, future: Future) -> QueryTimeout:
        if not future.cancel():
            with self._lock:
                self.abandoned += 1
            future.add_done_callback(self._unabandon)
        return QueryTimeout()

    def run(self, job: Callable[[], T]) -> T:
        """Run `job` in the pool and wait for it (blocking the calling thread)."""
        future = self._submit(job)
        try:
            return future.result(timeout=self.timeout_s)
        except FutureTimeout:
            raise self._timed_out(future) from None
        except CancelledError:  # the pool was shut down
            raise Overloaded() from None

    async def arun(self, job: Callable[[], T]) -> T:
        """`run` for the event loop: awaits the pool's future, so the request costs one
        thread hand-off (event loop -> worker) rather than two (-> threadpool -> worker)."""
        future = self._submit(job)
        try:
            async with asyncio.timeout(self.timeout_s):
                return await asyncio.shield(asyncio.wrap_future(future))
        except TimeoutError:
            raise self._timed_out(future) from None
        except CancelledError:  # the pool was shut down
            raise Overloaded() from None

    def _release(self, _future: Future) -> None:
        self._slots.release()

    def _unabandon(self, _future: Future) -> None:
        with self._lock:
            self.abandoned -= 1

    def shutdown(self) -> None:
        self._pool.shutdown(wait=False, cancel_futures=True)


def run_limited(runner: QueryRunner, job: Callable[[], T], what: str = "query") -> T:
    """`runner.run(job)`, with the time limit and a full pool turned into 503 answers."""
    started = time.perf_counter()
    try:
        return runner.run(job)
    except QueryTimeout:
        raise _timeout_error(runner, what, started) from None
    except Overloaded:
        raise _busy_error() from None


def _timeout_error(runner: QueryRunner, what: str, started: float) -> ProtocolError:
    return ProtocolError(
        503, f"The {what} did not finish within the {runner.timeout_s:g} s limit "
             f"({time.perf_counter() - started:.1f} s elapsed). The engine cannot cancel it, "
             "so it finishes in the background and its result is discarded; "
             "narrow the query (LIMIT, more selective patterns) and try again.",
        {"Retry-After": "10"})


def _busy_error() -> ProtocolError:
    return ProtocolError(503, "The SPARQL endpoint is busy: every query slot is taken. Try again shortly.",
                         {"Retry-After": "5"})


async def arun_limited(runner: QueryRunner, job: Callable[[], T], what: str = "query") -> T:
    """`run_limited` for the event loop (`runner.arun`)."""
    started = time.perf_counter()
    try:
        return await runner.arun(job)
    except QueryTimeout:
        raise _timeout_error(runner, what, started) from None
    except Overloaded:
        raise _busy_error() from None


def default_workers() -> int:
    """Threads for linked-data pages and VoID statistics (and an in-memory store's queries)."""
    return min(32, (os.cpu_count() or 2) * 4)


# ----------------------------------------------------------------------------- service description

SD = "http://www.w3.org/ns/sparql-service-description#"
FORMATS = "http://www.w3.org/ns/formats/"
RDFS = "http://www.w3.org/2000/01/rdf-schema#"
RDF_TYPE = ox.NamedNode("http://www.w3.org/1999/02/22-rdf-syntax-ns#type")


def service_description(endpoint: str, settings: Settings) -> list[ox.Triple]:
    """SPARQL 1.1 Service Description triples for the endpoint at `endpoint`."""
    from .auth import writes_enabled

    writable = writes_enabled(settings)
    sd = lambda local: ox.NamedNode(SD + local)  # noqa: E731
    svc = ox.NamedNode(endpoint)
    dataset, default_graph = ox.BlankNode("dataset"), ox.BlankNode("defaultGraph")
    t = [
        ox.Triple(svc, RDF_TYPE, sd("Service")),
        ox.Triple(svc, sd("endpoint"), svc),
        ox.Triple(svc, sd("supportedLanguage"), sd("SPARQL11Query")),
        ox.Triple(svc, sd("feature"), sd("UnionDefaultGraph")),
        ox.Triple(svc, sd("feature"), sd("EmptyGraphs")),
        ox.Triple(svc, sd("defaultDataset"), dataset),
        ox.Triple(dataset, RDF_TYPE, sd("Dataset")),
        ox.Triple(dataset, sd("defaultGraph"), default_graph),
        ox.Triple(default_graph, RDF_TYPE, sd("Graph")),
        ox.Triple(svc, ox.NamedNode(RDFS + "comment"), ox.Literal(
            f"ClaimGraph SPARQL 1.1 endpoint ({'query and update' if writable else 'read-only'}). "
            "The default graph of a query is the union of all named graphs (one per source document) and the "
            "store's own default graph, unless default-graph-uri/named-graph-uri say otherwise. "
            + ("Updates need 'Authorization: Bearer <token>'; their WHERE patterns match the store's own "
               "default graph unless using-graph-uri/using-named-graph-uri/USING say otherwise. "
               if writable else "")
            + f"Relative IRIs resolve against {settings.base_iri}. SERVICE is limited to: "
            f"{', '.join(settings.service_allowlist) or 'none'}.")),
    ]
    if writable:
        t.append(ox.Triple(svc, sd("supportedLanguage"), sd("SPARQL11Update")))
    if settings.service_allowlist:
        t.append(ox.Triple(svc, sd("feature"), sd("BasicFederatedQuery")))
    for fmt in ("SPARQL_Results_JSON", "SPARQL_Results_XML", "SPARQL_Results_CSV", "SPARQL_Results_TSV",
                "Turtle", "N-Triples", "JSON-LD", "RDF_XML", "N-Quads", "TriG", "N3"):
        t.append(ox.Triple(svc, sd("resultFormat"), ox.NamedNode(FORMATS + fmt)))
    return t


def answer_service_description(endpoint: str, settings: Settings, accept: str | None) -> Answer:
    chosen = negotiate(accept, list(SD_OFFERS))
    if chosen is None:
        raise ProtocolError(406, f"The service description is available as {', '.join(SD_OFFERS)}; "
                                 f"to run a query, pass a 'query' parameter.")
    fmt = SD_OFFERS[chosen]
    if fmt is None:
        return Answer(303, b"", TEXT, {"Location": "/"})
    body = ox.serialize(service_description(endpoint, settings), format=fmt,
                        prefixes={"sd": SD, "formats": FORMATS, "rdfs": RDFS} if fmt is ox.RdfFormat.TURTLE else None)
    return Answer(200, body, with_charset(chosen))


# ----------------------------------------------------------------------------- the whole operation

BIG_REQUEST_BYTES = 64 * 1024  # a request this large is scanned off the event loop


@dataclass(frozen=True)
class Plan:
    """What a SPARQL request needs done: an `answer` already decided, a `query` to
    evaluate (an `evaluation_request`, for the query evaluator), or an `update` to
    apply (a blocking job returning an Answer, run in a thread with a time limit)."""

    answer: Answer | None = None
    query: dict | None = None
    update: Callable[[], Answer] | None = None


def plan_sparql_request(
    *,
    method: str,
    params: Sequence[tuple[str, str]],
    content_type: str | None,
    body: bytes,
    accept: str | None,
    endpoint: str | Callable[[], str],
    store: ServedStore,
    settings: Settings,
    authorization: str | None = None,
    limits: QueryLimits | None = None,
    search_index=None,
    **_ignored,
) -> Plan:
    """Everything that decides a request without evaluating it: the protocol, the limits
    of query_limits.py, text search blocks answered from `search_index` (sparql_search.py),
    the SERVICE allow-list and the result format (cheap for a small request;
    `answer_sparql_request` moves a big one, or one that searches, off the event loop)."""
    try:
        request = parse_protocol_request(method, params, content_type, body)
        if request is None:
            url = endpoint() if callable(endpoint) else endpoint
            return Plan(answer_service_description(url, settings, accept))
        if isinstance(request, UpdateRequest):
            from .update import answer_update

            return Plan(update=lambda: answer_update(request, authorization=authorization, store=store,
                                                     settings=settings))
        check_query_limits(request.query, limits or QueryLimits.from_settings(settings))
        searched = rewrite_search_blocks(request.query, search_index, base_iri=settings.base_iri,
                                         default_hits=getattr(settings, "search_sparql_hits", 1000))
        if searched is not request.query:  # the user's text was checked above; this adds only IRIs and numbers
            request = dataclasses.replace(request, query=searched)
        scan = scan_query(request.query, settings.base_iri)
        check_services(scan, settings.service_allowlist)
        return Plan(query=evaluation_request(request, scan, accept, settings.base_iri))
    except ProtocolError as exc:
        return Plan(Answer.error(exc))


async def apply_update(job: Callable[[], Answer], timeout_s: float | None) -> Answer:
    """Run an update job in the threadpool; past `timeout_s` answer 503 without waiting for it.

    A pyoxigraph update cannot be stopped and the API process is the store's only writer,
    so an update past its limit is not killed: it goes on, applied whole or not at all
    (one transaction), and later writes wait for it. The limit keeps the client (and a
    connection) from waiting forever."""
    from starlette.concurrency import run_in_threadpool

    started = time.perf_counter()
    task = asyncio.ensure_future(run_in_threadpool(job))
    try:
        async with asyncio.timeout(timeout_s if timeout_s and timeout_s > 0 else None):
            return await asyncio.shield(task)
    except TimeoutError:
        return Answer.error(ProtocolError(
            503, f"The update did not finish within the {timeout_s:g} s limit "
                 f"({time.perf_counter() - started:.1f} s elapsed). It cannot be stopped: it goes on and is applied "
                 "whole or not at all; later writes wait for it. Check the store before sending it again.",
            {"Retry-After": "30"}))


async def answer_sparql_request(
    *,
    evaluator,
    client: str = "unknown",
    disconnected: Callable[[], Awaitable[None]] | None = None,
    **pieces,
) -> Answer:
    """A SPARQL query or update operation from request pieces to an `Answer` (`pieces` are
    `plan_sparql_request`'s arguments). A query goes to `evaluator` (a `QueryPool`, or a
    `ThreadEvaluator` for a store in memory) on behalf of `client`; if `disconnected`
    (awaitable: the client went away) completes first, the query is stopped."""
    if len(pieces.get("body") or b"") + sum(len(v) for _, v in pieces.get("params") or ()) > BIG_REQUEST_BYTES \
            or may_search(pieces):
        from starlette.concurrency import run_in_threadpool

        plan = await run_in_threadpool(lambda: plan_sparql_request(**pieces))
    else:
        plan = plan_sparql_request(**pieces)
    if plan.answer is not None:
        return plan.answer
    try:
        if plan.update is not None:
            settings = pieces["settings"]
            return await apply_update(plan.update, getattr(settings, "update_timeout_s", None))
        evaluation = asyncio.ensure_future(evaluator.evaluate(plan.query, client))
        if disconnected is None:
            return await evaluation
        done, _ = await asyncio.wait({evaluation}, timeout=DISCONNECT_WATCH_AFTER_S)
        if not done:  # a long one: stop it if its client goes away
            watcher = asyncio.ensure_future(disconnected())
            done, _ = await asyncio.wait({evaluation, watcher}, return_when=asyncio.FIRST_COMPLETED)
            watcher.cancel()
            if evaluation not in done:
                evaluation.cancel()
                return Answer(499, b"The client closed the connection; the query was stopped.\n", TEXT)
        return evaluation.result()
    except ProtocolError as exc:
        return Answer.error(exc)
    except OSError as exc:  # the store failed
        return Answer(500, f"Query evaluation failed: {type(exc).__name__}: {exc}\n".encode("utf-8"), TEXT)


def may_search(pieces: dict) -> bool:
    """Whether a request may hold a text search block (sparql_search.py): its plan then runs
    in the threadpool, since searching the index takes milliseconds. Cheap and loose."""
    return b"search" in (pieces.get("body") or b"") or any("search" in v for _, v in pieces.get("params") or ())


DISCONNECT_WATCH_AFTER_S = 0.2  # queries that answer sooner are not watched (it costs a task per query)


async def until_disconnected(receive) -> None:
    """Return when the ASGI `receive` channel says the client went away (call it after the body was read)."""
    while True:
        message = await receive()
        if message["type"] == "http.disconnect":
            return


# ----------------------------------------------------------------------------- routes

router = APIRouter(tags=["sparql"])


async def http_pieces(request: Request) -> dict:
    """What the protocol needs from the request (the body is read here, without blocking)."""
    headers = request.headers
    return {
        "method": request.method,
        "params": request.query_params.multi_items(),
        "content_type": headers.get("content-type"),
        "body": await request.body() if request.method == "POST" else b"",
        "accept": headers.get("accept"),
        "endpoint": lambda: str(request.url.replace(query="", fragment="")),  # only the service description needs it
        "authorization": headers.get("authorization"),
        "client": request.client.host if request.client else "unknown",
        "disconnected": lambda: until_disconnected(request.receive),
    }


def to_response(answer: Answer) -> Response:
    return Response(answer.body, status_code=answer.status, headers={
        "content-type": answer.content_type, "vary": "Accept", **answer.headers})


SPARQL_DOC = (
    "SPARQL 1.1 Protocol. Query: GET with `query=`, POST form-encoded with `query=`, or POST "
    "`application/sparql-query`; `default-graph-uri`/`named-graph-uri` repeatable; result format by Accept "
    "or `format=`/`output=`. Update (needs `Authorization: Bearer <token>`): POST form-encoded with `update=` "
    "or POST `application/sparql-update`; `using-graph-uri`/`using-named-graph-uri` repeatable; 204 when "
    "applied. GET without `query` returns the service description. A query over the limits (size, nesting, "
    "operators, patterns) gets 400 naming the limit; past the time limit 503; too many at once from one "
    "address 429."
)


def _param(name: str, description: str, *, repeat: bool = False) -> dict:
    schema = {"type": "array", "items": {"type": "string"}} if repeat else {"type": "string"}
    return {"name": name, "in": "query", "required": False, "description": description, "schema": schema,
            **({"style": "form", "explode": True} if repeat else {})}


QUERY_PARAMETERS = [
    _param("query", "The SPARQL query (GET, or POST form field)."),
    _param("default-graph-uri", "A graph of the query's default graph (repeatable).", repeat=True),
    _param("named-graph-uri", "A named graph of the query's dataset (repeatable).", repeat=True),
    _param("format", "Result format instead of Accept: json, xml, csv, tsv (SELECT/ASK); turtle, ntriples, "
                     "jsonld, rdfxml, nquads, trig, n3 (CONSTRUCT/DESCRIBE); or a media type."),
    _param("output", "Same as `format`."),
]
UPDATE_PARAMETERS = [
    _param("using-graph-uri", "A graph of the update's WHERE default graph (repeatable).", repeat=True),
    _param("using-named-graph-uri", "A named graph of the update's WHERE dataset (repeatable).", repeat=True),
]
FORM_FIELDS = {
    "query": {"type": "string", "description": "A SPARQL query."},
    "update": {"type": "string", "description": "A SPARQL update (needs the bearer token)."},
    "default-graph-uri": {"type": "array", "items": {"type": "string"}},
    "named-graph-uri": {"type": "array", "items": {"type": "string"}},
    "using-graph-uri": {"type": "array", "items": {"type": "string"}},
    "using-named-graph-uri": {"type": "array", "items": {"type": "string"}},
    "format": {"type": "string"},
    "output": {"type": "string"},
}
SPARQL_RESPONSES = {
    "200": {"description": "Query results, or the service description (GET without `query`)",
            "content": {m: {} for m in [JSON_RESULTS, XML_RESULTS, CSV, TSV, TURTLE, N_TRIPLES, JSON_LD, RDF_XML]}},
    "204": {"description": "The update was applied"},
    "400": {"description": "Not a valid request, query or update; over a limit (named)",
            "content": {"text/plain": {}}},
    "401": {"description": "An update without the right bearer token", "content": {"text/plain": {}}},
    "406": {"description": "No acceptable result format", "content": {"text/plain": {}}},
    "413": {"description": "The body is larger than CLAIMGRAPH_MAX_BODY_BYTES", "content": {"text/plain": {}}},
    "415": {"description": "Unsupported Content-Type", "content": {"text/plain": {}}},
    "429": {"description": "Too many queries from this address at once", "content": {"text/plain": {}}},
    "503": {"description": "Past the time limit, or the endpoint is busy", "content": {"text/plain": {}}},
}
SPARQL_OPENAPI = {
    "get": {"parameters": QUERY_PARAMETERS},
    "post": {
        "parameters": QUERY_PARAMETERS[1:] + UPDATE_PARAMETERS,
        "requestBody": {"required": True, "content": {
            FORM: {"schema": {"type": "object", "properties": FORM_FIELDS}},
            SPARQL_QUERY: {"schema": {"type": "string"}},
            SPARQL_UPDATE: {"schema": {"type": "string"}},
        }},
    },
}


async def sparql_endpoint(
    pieces: dict = Depends(http_pieces),
    store: ServedStore = Depends(get_store),
    settings: Settings = Depends(get_app_settings),
    evaluator=Depends(get_query_evaluator),
    search_index=Depends(get_search_index),
) -> Response:
    # `async`: a query waits for its worker on the event loop; an update runs in the threadpool.
    return to_response(await answer_sparql_request(**pieces, store=store, settings=settings, evaluator=evaluator,
                                                   search_index=search_index))


for _method in ("GET", "POST"):
    router.api_route("/sparql", methods=[_method], operation_id=f"sparql_endpoint_{_method.lower()}",
                     summary="SPARQL 1.1 query and update endpoint", description=SPARQL_DOC,
                     response_class=Response, responses=SPARQL_RESPONSES,
                     openapi_extra=SPARQL_OPENAPI[_method.lower()])(sparql_endpoint)


async def sparql_fast_path(request: Request) -> Response:
    """`sparql_endpoint` as a bare Starlette route, mounted in front of it (app.py).

    The SPARQL endpoint is the hot path: FastAPI's per-request machinery (dependency
    solving, exit stacks, telemetry hooks) cost about 0.3 ms of CPU per query, 8% of
    the whole on the benchmark's mix. This route takes the same pieces from the
    same dependency functions (not from `app.dependency_overrides`: swap the store
    with `create_app(settings, store)`); the APIRoute above documents the endpoint
    in /docs and serves it if this route is not mounted.
    """
    pieces = await http_pieces(request)
    return to_response(await answer_sparql_request(
        **pieces, store=await get_store(request), settings=await get_app_settings(request),
        evaluator=await get_query_evaluator(request), search_index=await get_search_index(request)))


@router.api_route("/sparql", methods=["PUT", "DELETE", "PATCH"], include_in_schema=False)
async def sparql_wrong_method(request: Request) -> Response:
    return to_response(Answer.error(ProtocolError(
        405, f"The SPARQL endpoint takes GET or POST, not {request.method}.", {"Allow": "GET, POST"})))
