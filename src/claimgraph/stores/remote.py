"""A SPARQL 1.1 server as the store, behind the same interface as the embedded store.

`RemoteGraphStore` speaks the standard protocols to a running ClaimGraph API
or any SPARQL 1.1 server (Oxigraph's, Virtuoso, Fuseki, GraphDB, QLever):

- **reads**: the SPARQL 1.1 Protocol, POST `query=` to the query URL. `query`
  returns rows that behave like pyoxigraph's where the pipeline uses them
  (`row["g"].value`, `row.get("g")`, `.type`); `reader` is a read-only view
  with pyoxigraph's own result types (the API's linked-data pages and VoID);
  `query_form` builds the request the API's query evaluator sends itself.
- **writes**: the Graph Store HTTP Protocol. A document's graph is one `PUT
  ?graph=<g>` whose N-Triples body is serialised here from terms, never text
  passed through. Some servers do not apply a PUT all or nothing (Virtuoso
  keeps the triples before a line it cannot read), so after a failed PUT the
  graph is read back: whole -> done; else sent again; and when the new content
  cannot be written, the old content is put back, so a graph is either fully
  old or fully new (or the error says it is neither). Updates go to the
  update URL.
- **auth**: a bearer token, or HTTP Basic or Digest credentials (Virtuoso's
  writing endpoints, `/sparql-auth` and `/sparql-graph-crud-auth`, take Digest).
- **secrets**: a bearer token, a store token or a store password is a SecretStr,
  and a bearer token is added to each request as it is sent (`BearerToken`, an
  httpx.Auth): the client's headers, the store's repr and any error message
  never hold it; a store made by `remote_from_settings` from the process's own
  settings holds no write token at all and reads it from the settings at each
  request.

The dataset of a query is where servers differ (`dataset_params`). ClaimGraph's
contract is that the default graph of a query is the union of all named graphs:

- Oxigraph's server: `union-default-graph` is sent with each such query (the
  server may also be started with `--union-default-graph`);
- Virtuoso: the default graph of a query with no dataset is already the union
  of all graphs, its system graphs included (quad-map metadata, its LDP and
  SPARQL service graphs) unless they are private to the querying user:
  `scripts/virtuoso-init.sql` makes them private once, and `check_dataset`
  refuses a Virtuoso that still shows them (queries enumerating graphs would list
  them, counts would count them). Virtuoso has no default graph to write to
  (INSERT DATA without GRAPH is an error), so the store's own default graph
  (Graph Store `?default`, an update's plain triples) is the named graph
  `default_graph` (`CLAIMGRAPH_STORE_DEFAULT_GRAPH`);
- any other server: its default graph must already be the union (Fuseki:
  `tdb2:unionDefaultGraph true`; GraphDB and QLever do it by default).

An answer the server cut short is an error, never a result: Virtuoso cuts at
its `ResultSetMaxRows` (it says so in `X-SPARQL-MaxRows`) and, with an
anytime-query limit, answers what it found so far (`X-SQL-State`).
"""
from __future__ import annotations

import re
import urllib.parse
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from typing import Literal

import httpx
import pyoxigraph as ox
from pydantic import SecretStr

from ..config import Settings, get_settings, load_write_token, read_secret_file
from ..model import LoadResult
from .base import StoreError
from .embedded import GraphContent, as_quads

_FORM_RE = re.compile(r"^\s*(?:(?:PREFIX\s+\S*\s*<[^>]*>|BASE\s+<[^>]*>)\s*)*(SELECT|ASK|CONSTRUCT|DESCRIBE)\b",
                      re.IGNORECASE)
_COMMENT_RE = re.compile(r"(?m)#[^\n<>\"']*$")

Dialect = Literal["oxigraph", "virtuoso", "generic"]
VIRTUOSO_SYSTEM_GRAPHS = ("http://www.openlinksw.com/schemas/virtrdf#", "http://www.w3.org/ns/ldp#",
                          "http://localuriqaserver/sparql")
JSON_RESULTS = "application/sparql-results+json"
FORM = "application/x-www-form-urlencoded"
N_TRIPLES = "application/n-triples"
WRITE_ATTEMPTS = 3  # a failed graph write is looked at and sent again this many times in all
MERGE_CHUNK_TRIPLES = 100_000  # a Graph Store POST of many triples goes in pieces of this size
MAX_PATTERN_ROWS = 100_000  # `reader.quads_for_pattern` reads at most this many quads


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


class Incomplete(StoreError):
    """The server answered only part of the result (a row cap or its own time limit)."""


ASK_COLUMN = "__ASK_RETVAL"  # Virtuoso 7.2 answers ASK as a SELECT of this one column (1 or 0)


def ask_value(body: dict) -> bool:
    """The answer of an ASK from SPARQL JSON results, also in Virtuoso's one-row SELECT form."""
    if "boolean" in body:
        return bool(body["boolean"])
    rows = body.get("results", {}).get("bindings", [])
    if body.get("head", {}).get("vars") == [ASK_COLUMN]:
        return bool(rows) and rows[0].get(ASK_COLUMN, {}).get("value") not in (None, "0", "false")
    raise StoreError(f"the store answered an ASK query with neither a boolean nor {ASK_COLUMN}")


def as_boolean(result):
    """A parsed result as the QueryBoolean an ASK should give (Virtuoso's one-row SELECT read as one)."""
    if isinstance(result, ox.QuerySolutions) and [v.value for v in result.variables] == [ASK_COLUMN]:
        rows = list(result)
        value = bool(rows) and rows[0][ASK_COLUMN] is not None and rows[0][ASK_COLUMN].value not in ("0", "false")
        return ox.parse_query_results('{"head":{},"boolean":%s}' % ("true" if value else "false"),
                                      format=ox.QueryResultsFormat.JSON)
    return result


def query_form(sparql: str) -> str:
    """SELECT / ASK / CONSTRUCT / DESCRIBE (SELECT when the prologue hides it)."""
    m = _FORM_RE.match(_COMMENT_RE.sub("", sparql))
    return m.group(1).upper() if m else "SELECT"


def with_base(text: str, base_iri: str | None) -> str:
    """The query or update with `BASE <base_iri>` in front, so that relative IRIs resolve
    where ClaimGraph mints them whatever the server's own base is (a BASE the text declares
    itself comes later and wins, resolved against this one)."""
    return f"BASE {ox.NamedNode(base_iri)}\n{text}" if base_iri else text


def check_complete(response: httpx.Response) -> None:
    """Raise Incomplete when the server says it cut the answer short (Virtuoso's headers)."""
    state = response.headers.get("x-sql-state")
    if state:
        raise Incomplete(f"the store stopped the query before it finished ({state}: "
                         f"{response.headers.get('x-sql-message', 'no message')}); its partial answer is not used")
    cap = response.headers.get("x-sparql-maxrows")
    if cap:
        raise Incomplete(f"the store cuts answers at {cap} rows (Virtuoso's ResultSetMaxRows) and this one reached "
                         "it: add a LIMIT below that, or raise ResultSetMaxRows in virtuoso.ini")


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
    """A SPARQL 1.1 server as the store (see the module docstring).

    `query_url` and `gsp_url` are the server's query and Graph Store endpoints, `update_url`
    its update endpoint (default: `query_url`). `token` is a bearer token: a SecretStr (or str),
    or a function giving one at each request; it is sent through `BearerToken`, never held in
    the client's headers. `auth` is an httpx.Auth (Basic, Digest) or a function making one (each
    HTTP client then gets its own: Digest keeps per-client state). `dialect` is found from the
    server's `Server` header when "auto".
    """

    path = None  # not a folder: the API evaluates queries over HTTP, not in worker processes
    read_only = False
    stats_max_age_s = 60.0  # others write to the server directly: the API's VoID numbers age

    def __init__(self, query_url: str, gsp_url: str | None = None, token: TokenSource = None, *,
                 update_url: str | None = None, auth: httpx.Auth | Callable[[], httpx.Auth] | None = None,
                 dialect: Literal["auto"] | Dialect = "auto", default_graph: str = "urn:claimgraph:default-graph",
                 timeout: float = 300.0, transport: httpx.BaseTransport | None = None):
        if token is not None and auth is not None:
            raise ValueError("a store takes a bearer token or an httpx.Auth, not both")
        self.query_url = query_url
        self.gsp_url = gsp_url
        self.update_url = update_url or query_url
        self.default_graph = ox.NamedNode(default_graph).value  # checked: it is written into requests
        self.timeout = timeout
        self.headers = {"User-Agent": "ClaimGraph/0.1 (store client)"}  # never credentials: see new_auth
        self._token = SecretStr(token) if isinstance(token, str) else token
        self._auth = auth
        self._client = httpx.Client(headers=self.headers, auth=self.new_auth(), timeout=timeout, transport=transport)
        self._dialect: Dialect | None = None if dialect == "auto" else dialect

    def __repr__(self) -> str:
        return f"RemoteGraphStore({self.query_url!r}, dialect={self._dialect or 'auto'})"

    def new_auth(self) -> httpx.Auth | None:
        """The credentials for one more HTTP client (the API's query evaluator has its own): a
        BearerToken that adds the token to each request as it is sent, or the Basic/Digest auth."""
        if self._token is not None:
            return BearerToken(self._token)
        return self._auth() if callable(self._auth) else self._auth

    # -- the server's quirks --------------------------------------------------

    @property
    def dialect(self) -> Dialect:
        """"oxigraph", "virtuoso" or "generic": from the `Server` header of an `ASK {}` (once)."""
        if self._dialect is None:
            r = self._post(self.query_url, {"query": "ASK {}"}, JSON_RESULTS)
            self._dialect = dialect_of(r.headers.get("server", ""))
        return self._dialect

    def dataset_params(self, dataset: dict) -> list[tuple[str, str]]:
        """The protocol parameters for a query's dataset, as the API describes it:
        `{"union": True}` (the union of all named graphs), `{"union": False}` (the query's own
        FROM clauses decide), `{"own_default": True}` (the store's own default graph), or
        `{"default_graph": [...], "named_graphs": [...]}` (the protocol's dataset)."""
        if "default_graph" in dataset:
            return ([("default-graph-uri", g) for g in dataset["default_graph"]]
                    + [("named-graph-uri", g) for g in dataset["named_graphs"]])
        if dataset.get("union"):
            return [("union-default-graph", "")] if self.dialect == "oxigraph" else []
        if dataset.get("own_default") and self.dialect == "virtuoso":
            return [("default-graph-uri", self.default_graph)]
        return []

    def check_dataset(self) -> None:
        """Raise StoreError when the server's default graph would not be the union of ClaimGraph's
        named graphs alone: a Virtuoso whose system graphs are visible to queries."""
        if self.dialect != "virtuoso":
            return
        ask = " || ".join(f"?g = {ox.NamedNode(g)}" for g in VIRTUOSO_SYSTEM_GRAPHS)
        if self._ask(f"ASK {{ GRAPH ?g {{ ?s ?p ?o }} FILTER({ask}) }}"):
            raise StoreError(
                f"the Virtuoso at {self.query_url} shows its system graphs to queries "
                f"({', '.join(VIRTUOSO_SYSTEM_GRAPHS)}), so its default graph is not the union of ClaimGraph's "
                "graphs alone: run scripts/virtuoso-init.sql on it once as dba "
                "(isql-vt HOST:1111 dba PASSWORD scripts/virtuoso-init.sql)")

    # -- writes -------------------------------------------------------------

    def replace_graph(self, graph_iri: str, content: GraphContent) -> LoadResult:
        """Replace one named graph: one Graph Store PUT of N-Triples serialised here, checked
        after a failure (see the module docstring); added/removed counted against the old content."""
        quads = as_quads(graph_iri, content)
        new = {q.triple for q in quads}
        old = self.graph_triples(graph_iri)
        self._put_whole(self._gsp_params(graph_iri), new, old, f"graph <{graph_iri}>")
        before = old or set()
        return LoadResult("", graph_iri, len(before), len(new), added=len(new - before),
                          removed=len(before - new))

    def replace_graphs(self, graphs: Sequence[tuple[str, GraphContent]]) -> list[LoadResult]:
        """One PUT per graph: each graph is all or nothing, the batch is not."""
        return [self.replace_graph(g, content) for g, content in graphs]

    def replace_default_graph(self, content: GraphContent) -> LoadResult:
        """The store's own default graph becomes `content` (triples)."""
        new = {t if isinstance(t, ox.Triple) else t.triple for t in (
            ox.parse(content, format=ox.RdfFormat.N_TRIPLES) if isinstance(content, (str, bytes)) else content)}
        old = self._triples_at(self._gsp_params(None))
        self._put_whole(self._gsp_params(None), new, old, "the default graph")
        before = old or set()
        return LoadResult("", "", len(before), len(new), added=len(new - before), removed=len(before - new))

    def clear_default_graph(self) -> None:
        self._gsp("DELETE", self._gsp_params(None), missing_ok=True)

    def drop_graph(self, graph_iri: str) -> None:
        self._gsp("DELETE", self._gsp_params(graph_iri), missing_ok=True)

    def merge_quads(self, quads: Iterable[ox.Quad]) -> None:
        """Add quads to their graphs (the default graph's to the store's own default graph), in
        Graph Store POSTs of at most MERGE_CHUNK_TRIPLES triples, streamed (a graph whose triples
        have blank nodes goes in one POST: pieces would each get their own blank nodes). Adding
        the same triples twice changes nothing, so a failed POST is sent again (WRITE_ATTEMPTS in
        all); a merge that still fails may have added part of its triples, and the error says so."""
        pending: dict[str | None, list[ox.Triple]] = {}
        blank: set[str | None] = set()
        sent: set[str | None] = set()

        def send(g: str | None) -> None:
            body = ox.serialize(pending.pop(g), format=ox.RdfFormat.N_TRIPLES)
            self._send_idempotent("POST", self._gsp_params(g), body, f"graph <{g}>" if g else "the default graph",
                                  partial=g in sent)
            sent.add(g)

        for q in quads:
            g = q.graph_name.value if isinstance(q.graph_name, ox.NamedNode) else None
            batch = pending.setdefault(g, [])
            batch.append(q.triple)
            if isinstance(q.subject, ox.BlankNode) or isinstance(q.object, ox.BlankNode):
                blank.add(g)
            if len(batch) >= MERGE_CHUNK_TRIPLES and g not in blank:
                send(g)
        for g in list(pending):
            send(g)

    def merge_rdf(self, body: bytes, fmt: ox.RdfFormat, *, base_iri: str | None = None, graph: str | None = None,
                  keep_graphs: bool = False) -> None:
        """As OxigraphStore.merge_rdf: the body is read through once first, so that a body that
        does not parse sends nothing, then read again and added with `merge_quads` as it is read
        (a body of millions of triples is never all in memory as terms)."""
        for _ in ox.parse(body, format=fmt, base_iri=base_iri):
            pass
        quads = ox.parse(body, format=fmt, base_iri=base_iri)
        target = ox.NamedNode(graph) if graph else ox.DefaultGraph()
        self.merge_quads(quads if keep_graphs else (ox.Quad(q.subject, q.predicate, q.object, target) for q in quads))

    def update(self, sparql_update: str, base_iri: str | None = None, *,
               graphs: Sequence[str] | None = None) -> None:
        """Run a SPARQL update on the server (one request). Raises SyntaxError when the server
        refuses its text (400), StoreError otherwise. `graphs` (what the embedded store tells its
        listeners) has no use here: nothing in this process follows the server's graphs."""
        data: list[tuple[str, str]] = [("update", with_base(sparql_update, base_iri))]
        if self.dialect == "virtuoso":  # where its plain triples (and WHERE without USING) go
            data.append(("default-graph-uri", self.default_graph))
        r = self._post(self.update_url, data, "*/*", check=False)
        if r.status_code == 400:
            raise SyntaxError(f"the store refused the update: {_brief(r)}")
        self._raise_for_write(r, "update")

    # -- reads --------------------------------------------------------------

    def graph_triples(self, graph_iri: str) -> set[ox.Triple] | None:
        """The named graph's triples (Graph Store GET), or None when there is no such graph."""
        return self._triples_at(self._gsp_params(graph_iri))

    def graph_ntriples(self, graph_iri: str) -> str:
        """The graph's content as N-Triples; "" when it does not exist."""
        triples = self.graph_triples(graph_iri)
        return ox.serialize(list(triples), format=ox.RdfFormat.N_TRIPLES).decode("utf-8") if triples else ""

    def contains_named_graph(self, graph_iri: str) -> bool:
        return self._ask(f"ASK {{ GRAPH {ox.NamedNode(graph_iri)} {{ ?s ?p ?o }} }}")

    def dump_graph(self, graph_iri: str | None, fmt: ox.RdfFormat) -> bytes:
        """One graph (None: the store's own default graph) read with a Graph Store GET and
        serialised here in `fmt` (quad formats name the graph)."""
        triples = self._triples_at(self._gsp_params(graph_iri)) or set()
        if fmt in (ox.RdfFormat.N_QUADS, ox.RdfFormat.TRIG):
            g = ox.NamedNode(graph_iri) if graph_iri else ox.DefaultGraph()
            return ox.serialize([ox.Quad(t.subject, t.predicate, t.object, g) for t in triples], format=fmt)
        return ox.serialize(list(triples), format=fmt)

    def dump_dataset(self, fmt: ox.RdfFormat) -> bytes:
        """Every named graph (one SELECT) and the store's own default graph, as N-Quads or TriG."""
        rows = self.reader.query("SELECT ?s ?p ?o ?g WHERE { GRAPH ?g { ?s ?p ?o } }")
        quads = [ox.Quad(r["s"], r["p"], r["o"], r["g"]) for r in rows]
        if self.dialect != "virtuoso":  # Virtuoso's stand-in default graph is one of the named graphs
            quads += [ox.Quad(t.subject, t.predicate, t.object, ox.DefaultGraph())
                      for t in self._triples_at(self._gsp_params(None)) or ()]
        return ox.serialize(quads, format=fmt)

    def graph_size(self, graph_iri: str) -> int:
        rows = self.query(f"SELECT (COUNT(*) AS ?n) WHERE {{ GRAPH {ox.NamedNode(graph_iri)} {{ ?s ?p ?o }} }}")
        return int(rows[0]["n"].value) if rows else 0

    def triple_count(self) -> int:
        rows = self.query("SELECT (COUNT(*) AS ?n) WHERE { GRAPH ?g { ?s ?p ?o } }")
        return int(rows[0]["n"].value) if rows else 0

    def named_graphs(self) -> list[str]:
        """The named graphs holding triples. Virtuoso answers `SELECT DISTINCT ?g` from its list of
        graphs, private ones included (their names only: their triples stay private), so its
        system graphs are left out here."""
        rows = self.query("SELECT DISTINCT ?g WHERE { GRAPH ?g { ?s ?p ?o } }")
        hidden = VIRTUOSO_SYSTEM_GRAPHS if self.dialect == "virtuoso" else ()
        return sorted(r["g"].value for r in rows
                      if r.get("g") is not None and r["g"].type == "uri" and r["g"].value not in hidden)

    def query(self, sparql: str, **options):
        """SELECT -> list[RemoteRow]; ASK -> bool; CONSTRUCT/DESCRIBE -> list[pyoxigraph.Triple].

        The dataset is the union of all named graphs, as on the embedded store, unless
        `use_default_graph_as_union=False` (the store's own default graph, or the query's FROM)
        or `default_graph`/`named_graphs` (lists of IRIs) say otherwise; `base_iri` resolves
        relative IRIs."""
        form = query_form(sparql)
        accept = N_TRIPLES if form in ("CONSTRUCT", "DESCRIBE") else JSON_RESULTS
        r = self._post(self.query_url, self.query_data(sparql, _dataset_of(options), options.get("base_iri")), accept)
        if form in ("CONSTRUCT", "DESCRIBE"):
            return [q.triple for q in ox.parse(r.content, format=ox.RdfFormat.N_TRIPLES)]
        body = r.json()
        if form == "ASK":
            return ask_value(body)
        return [RemoteRow({k: RemoteTerm(v["value"], "literal" if v["type"] == "typed-literal" else v["type"],
                                         v.get("datatype"), v.get("xml:lang"))
                           for k, v in b.items()}) for b in body["results"]["bindings"]]

    def query_data(self, sparql: str, dataset: dict, base_iri: str | None = None) -> list[tuple[str, str]]:
        """The form fields of a query request: the text (with its BASE) and the dataset parameters.

        Virtuoso's DESCRIBE finds nothing in a default graph made of several graphs unless told
        to describe by concise bounded description, which is what the embedded store does."""
        text = with_base(sparql, base_iri)
        if self.dialect == "virtuoso" and query_form(sparql) == "DESCRIBE":
            text = 'define sql:describe-mode "CBD"\n' + text
        return [("query", text), *self.dataset_params(dataset)]

    @property
    def passes_through(self) -> bool:
        """May the server's answers go to clients as they are? Not Virtuoso's: its SPARQL JSON
        has "typed-literal", its TSV quotes the header, and it answers ASK as a one-row SELECT
        (`__ASK_RETVAL`), so its answers are read and serialised again (`ask_value`)."""
        return self.dialect != "virtuoso"

    @property
    def reader(self) -> "SparqlReader":
        """Reads with pyoxigraph's result types (what the API's pages and VoID read through)."""
        return SparqlReader(self)

    def close(self) -> None:
        self._client.close()

    def __enter__(self) -> "RemoteGraphStore":
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    # -- internal -----------------------------------------------------------

    def _gsp_params(self, graph_iri: str | None) -> dict[str, str]:
        """Where a graph is on the Graph Store: `?graph=`, or `?default` (Virtuoso: the named
        graph that stands for the store's own default graph)."""
        if graph_iri is None:
            if self.dialect == "virtuoso":
                return {"graph": self.default_graph}
            return {"default": ""}
        return {"graph": ox.NamedNode(graph_iri).value}

    def _ask(self, sparql: str) -> bool:
        r = self._post(self.query_url, self.query_data(sparql, {"union": True}), JSON_RESULTS)
        return ask_value(r.json())

    def _post(self, url: str, data, accept: str, *, check: bool = True) -> httpx.Response:
        try:
            r = self._client.post(url, content=form_body(data), headers={"Accept": accept, "Content-Type": FORM})
        except httpx.HTTPError as exc:
            raise StoreError(f"the store at {url} is unreachable: {exc or type(exc).__name__}") from exc
        if not check:
            return r
        if r.status_code == 400:
            raise SyntaxError(f"{url} refused the query: {_brief(r)}")
        if r.status_code != 200:
            raise StoreError(f"the store at {url} answered {r.status_code}: {_brief(r)}")
        check_complete(r)
        return r

    def _require_gsp(self) -> str:
        if not self.gsp_url:
            raise StoreError(f"no Graph Store endpoint is set for the store at {self.query_url}: set "
                             "CLAIMGRAPH_GSP_URL (Virtuoso: http://HOST:8890/sparql-graph-crud-auth)")
        return self.gsp_url

    def _gsp(self, method: str, params: dict[str, str], *, missing_ok: bool = False, **kwargs) -> httpx.Response:
        url = self._require_gsp()
        try:
            r = self._client.request(method, url, params=params, **kwargs)
        except httpx.HTTPError as exc:
            raise StoreError(f"the graph store {url} is unreachable: {exc or type(exc).__name__}") from exc
        if r.status_code == 404 and missing_ok:
            return r
        self._raise_for_write(r, f"{method} {_where(params)}")
        return r

    def _raise_for_write(self, r: httpx.Response, what: str) -> None:
        if r.status_code in (401, 403):
            raise StoreError(f"the store at {r.request.url.copy_with(query=None)} refused {what} ({r.status_code}): "
                             "check its credentials (CLAIMGRAPH_STORE_AUTH, _USER, _PASSWORD or _TOKEN; for a "
                             "ClaimGraph API, CLAIMGRAPH_WRITE_TOKEN)")
        if r.status_code >= 300:
            raise StoreError(f"the store at {r.request.url.copy_with(query=None)} answered {r.status_code} to "
                             f"{what}: {_brief(r)}")

    def _triples_at(self, params: dict[str, str]) -> set[ox.Triple] | None:
        r = self._gsp("GET", params, missing_ok=True, headers={"Accept": N_TRIPLES})
        if r.status_code == 404:
            return None
        try:
            return {q.triple for q in ox.parse(r.content, format=ox.RdfFormat.N_TRIPLES)}
        except SyntaxError as exc:
            raise StoreError(f"the graph store sent {_where(params)} in a form that does not parse as "
                             f"N-Triples: {exc}") from exc

    def _put(self, params: dict[str, str], triples: set[ox.Triple]) -> str | None:
        """One PUT; None when the server says it is done, else why not (it may have written part)."""
        body = ox.serialize(list(triples), format=ox.RdfFormat.N_TRIPLES)
        url = self._require_gsp()
        try:
            r = self._client.put(url, params=params, content=body, headers={"Content-Type": N_TRIPLES})
        except httpx.HTTPError as exc:
            return f"{type(exc).__name__}: {exc}"
        if r.status_code in (401, 403):
            self._raise_for_write(r, f"PUT {_where(params)}")  # refused before anything was written
        return None if r.is_success else f"HTTP {r.status_code}: {_brief(r)}"

    def _holds(self, params: dict[str, str], triples: set[ox.Triple]) -> bool:
        try:
            now = self._triples_at(params)
        except StoreError:
            return False
        return (now or set()) == triples or (not triples and now is None)

    def _put_whole(self, params: dict[str, str], new: set[ox.Triple], old: set[ox.Triple] | None,
                   what: str) -> None:
        """PUT `new`, all or nothing as seen from outside: after a failure look at the graph; whole
        -> done; else send again; after WRITE_ATTEMPTS, put `old` back the same way."""
        why = None
        for _ in range(WRITE_ATTEMPTS):
            why = self._put(params, new)
            if why is None or self._holds(params, new):
                return
        restored = False
        for _ in range(WRITE_ATTEMPTS):
            if old is None:  # it did not exist: remove what part of it was written
                try:
                    self._gsp("DELETE", params, missing_ok=True)
                    restored = self._holds(params, set())
                except StoreError:
                    restored = False
            else:
                restored = self._put(params, old) is None or self._holds(params, old)
            if restored:
                break
        state = ("its content there is now unknown (part old, part new): write it again" if not restored else
                 "it keeps its old content" if old is not None else "nothing of it was kept (it did not exist before)")
        raise StoreError(f"{what} could not be written to {self.gsp_url} after {WRITE_ATTEMPTS} attempts ({why}); "
                         f"{state}")

    def _send_idempotent(self, method: str, params: dict[str, str], body: bytes, what: str, partial: bool) -> None:
        why = None
        for _ in range(WRITE_ATTEMPTS):
            try:
                r = self._client.request(method, self._require_gsp(), params=params, content=body,
                                         headers={"Content-Type": N_TRIPLES})
            except httpx.HTTPError as exc:
                why = f"{type(exc).__name__}: {exc}"
                continue
            if r.status_code in (401, 403):
                self._raise_for_write(r, f"{method} {_where(params)}")
            if r.is_success:
                return
            why = f"HTTP {r.status_code}: {_brief(r)}"
        raise StoreError(f"adding triples to {what} on {self.gsp_url} failed {WRITE_ATTEMPTS} times ({why}); "
                         + ("earlier pieces of this request were added: send it again (adding twice changes "
                            "nothing)" if partial else "part of this piece may have been added: send it again"))


class SparqlReader:
    """The part of `pyoxigraph.Store` the API's pages and VoID read through, over a remote store:
    `query` (pyoxigraph result objects, parsed from the server's answer), `quads_for_pattern`,
    `contains_named_graph`, `named_graphs`. Blank nodes come back with labels that are not stable
    across requests, so a pattern whose subject is a blank node matches nothing (ClaimGraph's
    own graphs have none)."""

    def __init__(self, store: RemoteGraphStore):
        self.store = store

    def query(self, sparql: str, **options):
        form = query_form(sparql)
        graph = form in ("CONSTRUCT", "DESCRIBE")
        s = self.store
        r = s._post(s.query_url, s.query_data(sparql, _dataset_of(options), options.get("base_iri")),
                    N_TRIPLES if graph else JSON_RESULTS)
        if graph:
            return [q.triple for q in ox.parse(r.content, format=ox.RdfFormat.N_TRIPLES)]
        result = ox.parse_query_results(r.content, format=ox.QueryResultsFormat.JSON)
        return as_boolean(result) if form == "ASK" else result

    def quads_for_pattern(self, subject, predicate, obj, graph_name=None) -> list[ox.Quad]:
        if isinstance(subject, ox.BlankNode) or isinstance(obj, ox.BlankNode):
            return []
        terms = [("s", subject), ("p", predicate), ("o", obj)]
        pattern = " ".join(str(t) if t is not None else f"?{name}" for name, t in terms)
        g = str(graph_name) if isinstance(graph_name, ox.NamedNode) else "?g"
        rows = self.query(f"SELECT * WHERE {{ GRAPH {g} {{ {pattern} }} }} LIMIT {MAX_PATTERN_ROWS}")
        out = []
        for row in rows:
            parts = [t if t is not None else row[name] for name, t in terms]
            out.append(ox.Quad(*parts, graph_name if isinstance(graph_name, ox.NamedNode) else row["g"]))
        return out

    def contains_named_graph(self, graph) -> bool:
        return self.store.contains_named_graph(graph.value if isinstance(graph, ox.NamedNode) else str(graph))

    def named_graphs(self) -> list[ox.NamedNode]:
        return [ox.NamedNode(g) for g in self.store.named_graphs()]


def _dataset_of(options: dict) -> dict:
    """The embedded store's query options as a dataset description (`dataset_params`)."""
    if options.get("default_graph") is not None or options.get("named_graphs") is not None:
        def iris(terms) -> list[str]:
            terms = [] if terms is None else terms if isinstance(terms, (list, tuple)) else [terms]
            return [t.value if hasattr(t, "value") else str(t) for t in terms]
        return {"default_graph": iris(options.get("default_graph")), "named_graphs": iris(options.get("named_graphs"))}
    if options.get("use_default_graph_as_union", True):
        return {"union": True}
    return {"own_default": True}


def form_body(fields: dict[str, str] | Sequence[tuple[str, str]]) -> bytes:
    """An application/x-www-form-urlencoded body; repeated names (`default-graph-uri`) kept in order."""
    pairs = fields.items() if isinstance(fields, dict) else fields
    return urllib.parse.urlencode(list(pairs), encoding="utf-8").encode("ascii")


def _brief(r: httpx.Response) -> str:
    return " ".join(r.text.split())[:300] or "(no message)"


def _where(params: dict[str, str]) -> str:
    return f"graph <{params['graph']}>" if "graph" in params else "the default graph"


def dialect_of(server_header: str) -> Dialect:
    """The server's kind from its `Server` header: "Virtuoso/07.20…", "Oxigraph/0.5.13"."""
    name = server_header.lower()
    if name.startswith("virtuoso"):
        return "virtuoso"
    if name.startswith("oxigraph"):
        return "oxigraph"
    return "generic"


def store_auth(settings: Settings) -> tuple[TokenSource, Callable[[], httpx.Auth] | None]:
    """(bearer token, a maker of httpx.Auth) for the store the settings name: CLAIMGRAPH_STORE_AUTH, else a
    token when one is set, Basic when a user is; for a ClaimGraph API (CLAIMGRAPH_STORE_URL) the
    write token. The token is a SecretStr, or, for the process's own settings' write token,
    `token_from_settings` (read at each request, so a rotated token file is followed); the
    password stays a SecretStr until an httpx.Auth is made from it."""
    password = settings.store_password
    if password is None and settings.store_password_file:
        password, why = read_secret_file(settings.store_password_file, "password")
        if why:
            raise StoreError(f"CLAIMGRAPH_STORE_PASSWORD_FILE: {why}")
    token = settings.store_token if settings.store_token and settings.store_token.get_secret_value() else None
    kind = settings.store_auth or ("bearer" if token else "basic" if settings.store_user else "none")
    if kind == "bearer":
        if token is None:
            if write_token(settings) is None:
                raise StoreError("CLAIMGRAPH_STORE_AUTH=bearer needs CLAIMGRAPH_STORE_TOKEN")
            token = _write_token_source(settings)
        return token, None
    if kind in ("basic", "digest"):
        if not settings.store_user or password is None:
            raise StoreError(f"CLAIMGRAPH_STORE_AUTH={kind} needs CLAIMGRAPH_STORE_USER and CLAIMGRAPH_STORE_PASSWORD "
                             "(or CLAIMGRAPH_STORE_PASSWORD_FILE)")
        cls, user = (httpx.DigestAuth if kind == "digest" else httpx.BasicAuth), settings.store_user
        return None, lambda: cls(user, password.get_secret_value())
    if settings.store_url and not settings.sparql_url:
        return _write_token_source(settings), None  # ClaimGraph's own API takes its write token
    return None, None


def _write_token_source(settings: Settings) -> TokenSource:
    """The write token for a store: read at each request from the process's own settings (the
    store then holds none), else the SecretStr these settings give now."""
    return token_from_settings if settings is get_settings() else write_token(settings)


def remote_from_settings(settings: Settings) -> RemoteGraphStore | None:
    """A RemoteGraphStore when the settings name one, else None (use the embedded store).

    `CLAIMGRAPH_SPARQL_URL` (+ `CLAIMGRAPH_UPDATE_URL`, `CLAIMGRAPH_GSP_URL`, the `CLAIMGRAPH_STORE_*`
    credentials) makes a SPARQL 1.1 server the store; `CLAIMGRAPH_STORE_URL=http://api:8000`
    loads through ClaimGraph's own API (`/sparql`, `/store`, the write token).
    """
    base = (settings.store_url or "").rstrip("/")
    query_url = settings.sparql_url or (base + "/sparql" if base else "")
    gsp_url = settings.gsp_url or (base + "/store" if base else "")
    if not query_url:
        return None
    token, auth = store_auth(settings)
    return RemoteGraphStore(query_url, gsp_url or None, token, update_url=settings.update_url, auth=auth,
                            dialect=settings.store_dialect, default_graph=settings.store_default_graph,
                            timeout=settings.store_timeout_s)


def write_token(settings: Settings) -> SecretStr | None:
    """The operator's write token: CLAIMGRAPH_WRITE_TOKEN, else the first line of
    CLAIMGRAPH_WRITE_TOKEN_FILE (None when neither gives one, or the file is open to others:
    config.load_write_token says why)."""
    return load_write_token(settings)[0]
