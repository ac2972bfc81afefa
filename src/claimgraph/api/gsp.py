"""SPARQL 1.1 Graph Store HTTP Protocol at `/store` (indirect graph identification).

    /store?graph=IRI   one named graph      GET HEAD PUT POST DELETE
    /store?default     the default graph    GET HEAD PUT POST DELETE
    /store             the whole dataset    GET HEAD (N-Quads/TriG dump), POST (quads merged into
                                            their graphs, triples into the default graph)

Reads are open; PUT, POST and DELETE need the write token (auth.py). Bodies and
answers in Turtle, N-Triples, N-Quads, TriG, JSON-LD, RDF/XML or N3, parsed and
serialised by pyoxigraph. A quad format sent to one graph has its graph names
ignored: every triple goes into the target graph.

"The default graph" here is the store's own default graph, the one an update's
`INSERT DATA` without GRAPH writes to; queries see it as part of their union
default graph, together with all named graphs.

Atomicity: on the embedded store each write is one Oxigraph transaction taken
under the store's write lock. PUT replaces a graph through the store's
`replace_graph` (embedded: only the difference is written, in one transaction; a
new graph in one bulk insert; remote: one PUT, checked, see stores/remote.py);
POST is one load (or one `extend`; remote: parsed here, then POSTed); a body
that does not parse changes nothing. The same operations run on either store
through its methods (`stores.ServedStore`).
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Sequence

import pyoxigraph as ox
from fastapi import APIRouter, Depends, Request
from fastapi.responses import Response

from ..config import Settings
from ..stores import ServedStore, StoreError
from .answers import TEXT, Answer, ProtocolError, negotiate, split_media_type, with_charset
from .deps import get_app_settings, get_store, query_parameter, route
from .auth import check_write_access
from .sparql import to_response

# Content-Type of a body -> pyoxigraph format (text/plain is N-Triples' old media type)
BODY_FORMATS: dict[str, ox.RdfFormat] = {
    "text/turtle": ox.RdfFormat.TURTLE,
    "application/x-turtle": ox.RdfFormat.TURTLE,
    "application/n-triples": ox.RdfFormat.N_TRIPLES,
    "text/plain": ox.RdfFormat.N_TRIPLES,
    "application/n-quads": ox.RdfFormat.N_QUADS,
    "text/x-nquads": ox.RdfFormat.N_QUADS,
    "application/trig": ox.RdfFormat.TRIG,
    "application/ld+json": ox.RdfFormat.JSON_LD,
    "application/json": ox.RdfFormat.JSON_LD,
    "application/rdf+xml": ox.RdfFormat.RDF_XML,
    "application/xml": ox.RdfFormat.RDF_XML,
    "text/n3": ox.RdfFormat.N3,
}
# What GET offers, in the server's order of preference
GRAPH_OFFERS: dict[str, ox.RdfFormat] = {
    "text/turtle": ox.RdfFormat.TURTLE,
    "application/n-triples": ox.RdfFormat.N_TRIPLES,
    "application/ld+json": ox.RdfFormat.JSON_LD,
    "application/rdf+xml": ox.RdfFormat.RDF_XML,
    "application/n-quads": ox.RdfFormat.N_QUADS,
    "application/trig": ox.RdfFormat.TRIG,
    "text/n3": ox.RdfFormat.N3,
}
DATASET_OFFERS: dict[str, ox.RdfFormat] = {
    "application/n-quads": ox.RdfFormat.N_QUADS,
    "application/trig": ox.RdfFormat.TRIG,
}
FORMAT_ALIASES = {"turtle": "text/turtle", "ttl": "text/turtle", "nt": "application/n-triples",
                  "ntriples": "application/n-triples", "nq": "application/n-quads", "nquads": "application/n-quads",
                  "trig": "application/trig", "jsonld": "application/ld+json", "rdfxml": "application/rdf+xml",
                  "xml": "application/rdf+xml", "n3": "text/n3"}
WRITE_METHODS = ("PUT", "POST", "DELETE")
ALLOW = "GET, HEAD, PUT, POST, DELETE"
ALLOW_DATASET = "GET, HEAD, POST"


@dataclass(frozen=True)
class Target:
    """What a request addresses: a named graph (`graph` set), the default graph, or the dataset."""

    graph: str | None = None
    default: bool = False

    @property
    def dataset(self) -> bool:
        return self.graph is None and not self.default

    @property
    def node(self) -> ox.NamedNode | ox.DefaultGraph:
        return ox.NamedNode(self.graph) if self.graph else ox.DefaultGraph()

    def describe(self) -> str:
        return f"graph <{self.graph}>" if self.graph else "the default graph" if self.default else "the dataset"


def parse_target(params: Sequence[tuple[str, str]]) -> Target:
    graphs = [v for k, v in params if k == "graph"]
    default = any(k == "default" for k, _ in params)
    if len(graphs) > 1:
        raise ProtocolError(400, "Give one 'graph' parameter, not several.")
    if graphs and default:
        raise ProtocolError(400, "Give either 'graph=IRI' or 'default', not both.")
    if graphs:
        try:
            ox.NamedNode(graphs[0])
        except ValueError as exc:
            raise ProtocolError(400, f"graph={graphs[0]!r} is not an absolute IRI: {exc}.")
        return Target(graph=graphs[0])
    return Target(default=default)


def body_format(content_type: str | None) -> ox.RdfFormat:
    mtype, params = split_media_type(content_type)
    if mtype not in BODY_FORMATS:
        raise ProtocolError(415, f"Unsupported Content-Type {mtype or '(none)'!r}: send the graph as one of "
                                 f"{', '.join(BODY_FORMATS)}.")
    charset = params.get("charset")
    if charset and charset.lower().replace("-", "") != "utf8":
        raise ProtocolError(415, f"RDF bodies must be UTF-8, not charset={charset}.")
    return BODY_FORMATS[mtype]


def _parse_error(exc: Exception) -> ProtocolError:
    return ProtocolError(400, f"The body does not parse: {exc}")


def parse_body(body: bytes, fmt: ox.RdfFormat, base_iri: str | None) -> list[ox.Quad]:
    try:
        return list(ox.parse(body, format=fmt, base_iri=base_iri))
    except (SyntaxError, ValueError) as exc:
        raise _parse_error(exc)


def graph_exists(store: ServedStore, target: Target) -> bool:
    return True if not target.graph else store.contains_named_graph(target.graph)


# ----------------------------------------------------------------------------- operations


def read_graph(store: ServedStore, target: Target, accept: str | None, fmt: str | None) -> Answer:
    offers = DATASET_OFFERS if target.dataset else GRAPH_OFFERS
    wanted = FORMAT_ALIASES.get(fmt.lower(), fmt) if fmt else accept
    chosen = negotiate(wanted, list(offers))
    if chosen is None:
        raise ProtocolError(406, f"{target.describe().capitalize()} is available as {', '.join(offers)}.")
    if not graph_exists(store, target):
        raise ProtocolError(404, f"No graph <{target.graph}> in this store.")
    rdf_format = offers[chosen]
    if target.dataset:
        body = store.dump_dataset(rdf_format)
    else:
        body = store.dump_graph(target.graph, rdf_format)
    return Answer(200, body, with_charset(chosen))


def replace_graph(store: ServedStore, target: Target, body: bytes, fmt: ox.RdfFormat,
                  base_iri: str | None) -> int:
    """PUT: the graph's content becomes the body's, atomically. Returns 201 (created) or 204."""
    quads = parse_body(body, fmt, base_iri)
    if target.graph:
        created = not graph_exists(store, target)
        store.replace_graph(target.graph, quads)  # terms, never text; an empty body leaves an empty graph
        return 201 if created else 204
    store.replace_default_graph([q.triple for q in quads])
    return 204


def merge_into(store: ServedStore, target: Target, body: bytes, fmt: ox.RdfFormat, base_iri: str | None) -> int:
    """POST: add the body's triples to the graph (or quads to the dataset). 201 when it creates a graph."""
    created = not graph_exists(store, target)
    try:
        store.merge_rdf(body, fmt, base_iri=base_iri, graph=target.graph, keep_graphs=target.dataset)
    except (SyntaxError, ValueError) as exc:
        raise _parse_error(exc)
    return 201 if created else 204


def delete_graph(store: ServedStore, target: Target) -> int:
    if target.graph:
        if not graph_exists(store, target):
            raise ProtocolError(404, f"No graph <{target.graph}> in this store.")
        store.drop_graph(target.graph)
    else:
        store.clear_default_graph()
    return 204


def answer_gsp(
    *,
    method: str,
    params: Sequence[tuple[str, str]],
    content_type: str | None,
    body: bytes,
    accept: str | None,
    authorization: str | None,
    store: ServedStore,
    settings: Settings,
) -> Answer:
    """One Graph Store Protocol request, from its pieces to an `Answer`."""
    from .void import invalidate_void

    method = method.upper()
    try:
        target = parse_target(params)
        allow = ALLOW_DATASET if target.dataset else ALLOW
        if method not in allow.split(", "):
            raise ProtocolError(405, f"{method} is not supported on {target.describe()} "
                                     "(use ?graph=IRI or ?default to address one graph).", {"Allow": allow})
        if method in ("GET", "HEAD"):
            fmt = next((v for k, v in params if k == "format" and v), None)
            answer = read_graph(store, target, accept, fmt)
            if method == "HEAD":
                answer.headers["Content-Length"] = str(len(answer.body))
                answer.body = b""
            return answer
        check_write_access(authorization, settings, "Graph Store writes")
        base = target.graph or settings.base_iri
        try:
            if method == "PUT":
                status = replace_graph(store, target, body, body_format(content_type), base)
            elif method == "POST":
                status = merge_into(store, target, body, body_format(content_type), base)
            else:
                status = delete_graph(store, target)
        finally:
            invalidate_void(store)
        return Answer(status, b"", TEXT)
    except ProtocolError as exc:
        return Answer.error(exc)
    except StoreError as exc:  # a remote store refused or failed (the message says which and what is left)
        return Answer(502, f"The store failed: {exc}\n".encode("utf-8"), TEXT)
    except OSError as exc:
        return Answer(500, f"The store failed: {exc}\n".encode("utf-8"), TEXT)


# ----------------------------------------------------------------------------- route


router = APIRouter(tags=["graph store"])


async def gsp_pieces(request: Request) -> dict:
    """What `answer_gsp` needs from the request (the body is read here, without blocking)."""
    return {
        "method": request.method,
        "params": request.query_params.multi_items(),
        "content_type": request.headers.get("content-type"),
        "body": await request.body() if request.method in ("PUT", "POST") else b"",
        "accept": request.headers.get("accept"),
        "authorization": request.headers.get("authorization"),
    }


@route(router, "/store", ["GET", "HEAD", "PUT", "POST", "DELETE"], response_class=Response,
                  summary="SPARQL 1.1 Graph Store HTTP Protocol",
                  description="`?graph=IRI` (a named graph) or `?default` (the store's default graph): GET, HEAD, "
                              "PUT (replace), POST (merge), DELETE; without either, GET dumps the dataset "
                              "(N-Quads/TriG) and POST merges quads. Writes need `Authorization: Bearer <token>`.",
       openapi_extra={"parameters": [
           query_parameter("graph", "The named graph's IRI.", type="string", format="iri"),
           query_parameter("default", "The store's default graph (no value).", type="string", enum=[""])]},
       openapi_by_method={m: {"requestBody": {"required": False, "content": {
           media: {"schema": {"type": "string"}} for media in BODY_FORMATS}}} for m in ("put", "post")})
def graph_store(req: dict = Depends(gsp_pieces), store: ServedStore = Depends(get_store),
                settings: Settings = Depends(get_app_settings)) -> Response:
    # A plain `def`: parsing, loading and dumping block, so they run in the threadpool.
    return to_response(answer_gsp(**req, store=store, settings=settings))


@router.api_route("/store", methods=["PATCH"], include_in_schema=False)
async def graph_store_wrong_method(request: Request) -> Response:
    return to_response(Answer.error(ProtocolError(
        405, f"The Graph Store takes {ALLOW}, not {request.method}.", {"Allow": ALLOW})))
