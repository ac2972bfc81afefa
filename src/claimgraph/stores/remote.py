"""A SPARQL 1.1 store over HTTP, behind the same interface as the embedded store.

`RemoteGraphStore(query_url, gsp_url, token)` implements what the pipeline
needs from `stores.GraphStore`:

- writes through the SPARQL 1.1 Graph Store HTTP Protocol: `PUT
  <gsp_url>?graph=<g>` with `Content-Type: application/n-triples` replaces a
  named graph in one request (all or nothing on the server), `DELETE` drops
  it; `Authorization: Bearer <token>` when a token is given. The token is a
  SecretStr added to each request as it is sent (`BearerToken`): the client's
  headers, the store's repr and any error message never hold it; a store
  made by `remote_from_settings` holds no token at all and reads it from the
  settings at each request;
- reads through the SPARQL 1.1 Protocol: POST `query=` to `query_url`,
  SELECT/ASK as `application/sparql-results+json`, CONSTRUCT/DESCRIBE as
  N-Triples.

`query` returns, for SELECT, a list of rows that behave like pyoxigraph's
solutions where the pipeline uses them (`row["g"].value`, `row.get("g")`);
for ASK a bool; for CONSTRUCT a list of pyoxigraph Triples. The
`use_default_graph_as_union` option of the embedded store has no protocol
counterpart and is ignored: the pipeline's queries name their graphs with
GRAPH patterns, which mean the same on every store.

The same flow thus loads into ClaimGraph's own API (`/sparql`, `/store`) or
any SPARQL 1.1 store (Fuseki: `/ds/sparql` and `/ds/data`; GraphDB, Virtuoso,
QLever, Neptune with their GSP endpoints).
"""
from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass

import httpx
import pyoxigraph as ox
from pydantic import SecretStr

from ..config import Settings, get_settings, load_write_token
from ..model import LoadResult
from .base import StoreError
from .embedded import GraphContent, as_quads

_FORM_RE = re.compile(r"^\s*(?:(?:PREFIX\s+\S*\s*<[^>]*>|BASE\s+<[^>]*>)\s*)*(SELECT|ASK|CONSTRUCT|DESCRIBE)\b",
                      re.IGNORECASE)
_COMMENT_RE = re.compile(r"(?m)#[^\n<>\"']*$")


@dataclass(frozen=True)
class RemoteTerm:
    """One bound value of a SELECT row, with pyoxigraph's attribute names."""

    value: str
    type: str  # "uri" | "literal" | "bnode" | "triple"
    datatype: str | None = None
    language: str | None = None

    def __str__(self) -> str:
        return self.value


class RemoteRow(dict):
    """A SELECT solution: `row["var"]` is a RemoteTerm; unbound variables are missing (`row.get` -> None)."""


TokenSource = SecretStr | str | Callable[[], SecretStr | None] | None


class BearerToken(httpx.Auth):
    """`Authorization: Bearer …` on each request as it is sent; the token is a SecretStr, or a
    function that gives one (read from the settings then), never kept in the client's headers."""

    def __init__(self, token: TokenSource):
        self._token = SecretStr(token) if isinstance(token, str) else token

    def current(self) -> SecretStr | None:
        return self._token() if callable(self._token) else self._token

    def auth_flow(self, request: httpx.Request):
        token = self.current()
        if token is not None and token.get_secret_value():
            request.headers["Authorization"] = "Bearer " + token.get_secret_value()
        yield request

    def __repr__(self) -> str:
        return "BearerToken('**********')"


def token_from_settings() -> SecretStr | None:
    """The operator's write token as the settings give it now (for a store that holds none)."""
    return load_write_token(get_settings())[0]


class RemoteGraphStore:
    def __init__(self, query_url: str, gsp_url: str, token: TokenSource = None, *, timeout: float = 60.0,
                 transport: httpx.BaseTransport | None = None):
        """`token`: a SecretStr (or str), a function giving one at each request, or None (no auth)."""
        self.query_url = query_url
        self.gsp_url = gsp_url
        self._client = httpx.Client(headers={"User-Agent": "ClaimGraph/0.1 (remote store client)"},
                                    auth=BearerToken(token) if token is not None else None,
                                    timeout=timeout, transport=transport)
        self.read_only = False

    # -- writes -------------------------------------------------------------

    def replace_graph(self, graph_iri: str, content: GraphContent) -> LoadResult:
        """One Graph Store PUT (all or nothing on the server). The body is N-Triples written by
        Oxigraph's serializer from the quads; added/removed are counted against the old content."""
        quads = as_quads(graph_iri, content)
        old = {q.triple for q in ox.parse(self.graph_ntriples(graph_iri), format=ox.RdfFormat.N_TRIPLES)}
        new = {q.triple for q in quads}
        body = ox.serialize(list(new), format=ox.RdfFormat.N_TRIPLES)
        self._gsp("PUT", graph_iri, content=body, headers={"Content-Type": "application/n-triples"})
        return LoadResult("", graph_iri, len(old), len(new), added=len(new - old), removed=len(old - new))

    def replace_graphs(self, graphs: Sequence[tuple[str, GraphContent]]) -> list[LoadResult]:
        """One PUT per graph: each graph is all or nothing, the batch is not."""
        return [self.replace_graph(g, content) for g, content in graphs]

    def drop_graph(self, graph_iri: str) -> None:
        self._gsp("DELETE", graph_iri, missing_ok=True)

    def graph_ntriples(self, graph_iri: str) -> str:
        """The graph's content as N-Triples (GSP GET); "" when it does not exist."""
        r = self._gsp("GET", graph_iri, headers={"Accept": "application/n-triples"}, missing_ok=True)
        return "" if r.status_code == 404 else r.text

    # -- reads --------------------------------------------------------------

    def graph_size(self, graph_iri: str) -> int:
        rows = self.query(f"SELECT (COUNT(*) AS ?n) WHERE {{ GRAPH {ox.NamedNode(graph_iri)} {{ ?s ?p ?o }} }}")
        return int(rows[0]["n"].value) if rows else 0

    def triple_count(self) -> int:
        rows = self.query("SELECT (COUNT(*) AS ?n) WHERE { GRAPH ?g { ?s ?p ?o } }")
        return int(rows[0]["n"].value) if rows else 0

    def named_graphs(self) -> list[str]:
        rows = self.query("SELECT DISTINCT ?g WHERE { GRAPH ?g { ?s ?p ?o } }")
        return sorted(r["g"].value for r in rows if r.get("g") is not None and r["g"].type == "uri")

    def query(self, sparql: str, **options):
        """SELECT -> list[RemoteRow]; ASK -> bool; CONSTRUCT/DESCRIBE -> list[pyoxigraph.Triple]."""
        m = _FORM_RE.match(_COMMENT_RE.sub("", sparql))
        form = m.group(1).upper() if m else "SELECT"
        accept = "application/n-triples" if form in ("CONSTRUCT", "DESCRIBE") else "application/sparql-results+json"
        try:
            r = self._client.post(self.query_url, data={"query": sparql}, headers={"Accept": accept})
        except httpx.HTTPError as exc:
            raise StoreError(f"SPARQL endpoint {self.query_url} unreachable: {exc or type(exc).__name__}") from exc
        if r.status_code == 400:
            raise SyntaxError(f"{self.query_url} refused the query: {r.text[:300]}")
        if r.status_code != 200:
            raise StoreError(f"SPARQL endpoint {self.query_url} answered {r.status_code}: {r.text[:300]}")
        if form in ("CONSTRUCT", "DESCRIBE"):
            return [q.triple for q in ox.parse(r.content, format=ox.RdfFormat.N_TRIPLES)]
        body = r.json()
        if "boolean" in body:
            return bool(body["boolean"])
        return [RemoteRow({k: RemoteTerm(v["value"], v["type"], v.get("datatype"), v.get("xml:lang"))
                           for k, v in b.items()}) for b in body["results"]["bindings"]]

    def close(self) -> None:
        self._client.close()

    def __enter__(self) -> "RemoteGraphStore":
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    # -- internal -----------------------------------------------------------

    def _gsp(self, method: str, graph_iri: str, *, missing_ok: bool = False, **kwargs) -> httpx.Response:
        try:
            r = self._client.request(method, self.gsp_url, params={"graph": graph_iri}, **kwargs)
        except httpx.HTTPError as exc:
            raise StoreError(f"graph store {self.gsp_url} unreachable: {exc or type(exc).__name__}") from exc
        if r.status_code in (401, 403):
            raise StoreError(f"graph store {self.gsp_url} refused the write ({r.status_code}): "
                             "check the token (CLAIMGRAPH_WRITE_TOKEN / CLAIMGRAPH_WRITE_TOKEN_FILE)")
        if r.status_code == 404 and missing_ok:
            return r
        if r.status_code >= 300:
            raise StoreError(f"graph store {self.gsp_url} answered {r.status_code} to {method} "
                             f"graph <{graph_iri}>: {r.text[:300]}")
        return r


def remote_from_settings(settings: Settings) -> RemoteGraphStore | None:
    """A RemoteGraphStore when the settings name one, else None (use the embedded store).

    `CLAIMGRAPH_STORE_URL=http://api:8000` means ClaimGraph's API (`/sparql`, `/store`);
    `CLAIMGRAPH_SPARQL_URL` and `CLAIMGRAPH_GSP_URL` name any other store's endpoints.
    The token comes from `CLAIMGRAPH_WRITE_TOKEN` or the file `CLAIMGRAPH_WRITE_TOKEN_FILE`.
    """
    base = (settings.store_url or "").rstrip("/")
    query_url = settings.sparql_url or (base + "/sparql" if base else "")
    gsp_url = settings.gsp_url or (base + "/store" if base else "")
    if not (query_url and gsp_url):
        return None
    return RemoteGraphStore(query_url, gsp_url, token_from_settings if settings is get_settings()
                            else write_token(settings))


def write_token(settings: Settings) -> SecretStr | None:
    """The operator's write token: CLAIMGRAPH_WRITE_TOKEN, else the first line of
    CLAIMGRAPH_WRITE_TOKEN_FILE (None when neither gives one, or the file is open to others:
    config.load_write_token says why)."""
    return load_write_token(settings)[0]
