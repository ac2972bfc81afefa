"""A SPARQL 1.1 server as the store: the seeds go through the real Prefect flow into Oxigraph's
server and into Virtuoso (tests/servers.py starts both on 127.0.0.1), `claimgraph serve`
serves each, and the API answers over it as over the embedded store: the data contract
(../shared/tools/cq_check.py), the protocol checker (../shared/tools/sparql_protocol_check.py),
the Graph Store, linked-data pages, VoID. Then what only a remote store can get wrong:
writes that fail halfway on a server whose PUT is not all or nothing (a fault put into the
HTTP connection, the server itself real), answers the server cut short, the deadline of a
query the server is still evaluating, wrong credentials."""
from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from pathlib import Path

import httpx
import pyoxigraph as ox
import pytest

from conftest import CONTRACT_EXPECTED, CQ_CHECK, PROTOCOL_CHECKER, SEEDS, cli_env, need, run_cli, start_claimgraph_server
from servers import SparqlServer, _free_port, _stop, _wait

pytestmark = pytest.mark.slow

TOKEN = "backend-test-token"
PROTOCOL_CHECK = PROTOCOL_CHECKER
EXPECTED = CONTRACT_EXPECTED
CHINA = "http://127.0.0.1:8000/id/state/CHN"


def store_env(server: SparqlServer, **extra: str) -> dict[str, str]:
    """The CLAIMGRAPH_* settings that make `server` the store."""
    env = {"CLAIMGRAPH_SPARQL_URL": server.query_url, "CLAIMGRAPH_UPDATE_URL": server.update_url,
           "CLAIMGRAPH_GSP_URL": server.gsp_url, "CLAIMGRAPH_WRITE_TOKEN": TOKEN}
    if server.user:
        env.update(CLAIMGRAPH_STORE_AUTH="digest", CLAIMGRAPH_STORE_USER=server.user,
                   CLAIMGRAPH_STORE_PASSWORD=server.password)
    env.update(extra)
    return env


class Backend:
    """A third-party server as the store, the seeds ingested into it by the Prefect flow, and
    `claimgraph serve` over it."""

    def __init__(self, server: SparqlServer, tmp: Path):
        self.server = server
        self.env = store_env(server)
        self.ingest = run_cli(["ingest", str(SEEDS)], cli_env(tmp, **self.env))
        assert self.ingest.returncode == 0, self.ingest.stdout + self.ingest.stderr
        self.url, self.process = start_claimgraph_server(tmp, **self.env)

    @property
    def sparql(self) -> str:
        return self.url + "/sparql"

    def select(self, query: str) -> list[dict[str, str]]:
        r = httpx.post(self.sparql, data={"query": query}, headers={"Accept": "application/sparql-results+json"},
                       timeout=60)
        assert r.status_code == 200, r.text
        return [{k: v["value"] for k, v in b.items()} for b in r.json()["results"]["bindings"]]


@pytest.fixture(scope="module", params=["oxigraph", "virtuoso"])
def backend(request, tmp_path_factory):
    server = request.getfixturevalue(f"{request.param}_server")
    backend = Backend(server, tmp_path_factory.mktemp(f"backend-{request.param}"))
    yield backend
    backend.process.stop()


# ----------------------------------------------------------------------------- the same answers


def test_the_flow_loads_every_seed_into_the_server(backend):
    out = backend.ingest.stdout
    assert re.search(r"2 loaded, 0 failed", out), out
    assert f"store: {backend.server.query_url}" in out
    graphs = {r["g"]: int(r["n"]) for r in backend.server.select(
        "SELECT ?g (COUNT(*) AS ?n) WHERE { GRAPH ?g { ?s ?p ?o } "
        "FILTER(STRSTARTS(STR(?g), 'http://127.0.0.1:8000/id/graph/')) } GROUP BY ?g")}
    loaded = {int(n) for n in re.findall(r"loaded\s+\S+\s+(\d+) triples", out)}
    assert loaded and loaded <= set(graphs.values())  # each document's graph arrived whole


def test_competency_questions_through_our_endpoint(backend):
    need("cq-check")
    result = subprocess.run([sys.executable, str(CQ_CHECK), "--endpoint", backend.sparql, "--expected",
                             str(EXPECTED)], capture_output=True, text=True, timeout=600)
    assert result.stdout.strip().splitlines()[-1] == "14 passed, 0 failed", result.stdout + result.stderr


def test_protocol_checker_through_our_endpoint(backend, tmp_path):
    """All 65 checks (queries in every format, datasets, updates, auth) over either server."""
    need("protocol-checker")
    out = tmp_path / "check.json"
    proc = subprocess.run([sys.executable, str(PROTOCOL_CHECK), "--query-url", backend.sparql, "--update-url",
                           backend.sparql, "--bearer", TOKEN, "--json-out", str(out)],
                          capture_output=True, text=True, timeout=900)
    doc = json.loads(out.read_text())
    failed = [(r["name"], r["detail"]) for r in doc["results"] if r["status"] == "FAIL"]
    assert not failed, proc.stdout
    assert doc["skipped"] == 0 and doc["passed"] >= 65, proc.stdout


def test_default_graph_is_the_union_of_the_named_graphs(backend):
    """Counted through our endpoint, the default graph holds what the named graphs hold, and no
    graph of the server's own (Virtuoso's system graphs are private)."""
    union = int(backend.select("SELECT (COUNT(*) AS ?n) WHERE { SELECT DISTINCT ?s ?p ?o WHERE { ?s ?p ?o } }")[0]["n"])
    named = int(backend.select(
        "SELECT (COUNT(*) AS ?n) WHERE { SELECT DISTINCT ?s ?p ?o WHERE { GRAPH ?g { ?s ?p ?o } } }")[0]["n"])
    assert union == named > 5000
    # graphs with triples this user can read (Virtuoso answers a bare `SELECT DISTINCT ?g` from its
    # list of graph names, private ones included, without reading triples: see named_graphs)
    graphs = {r["g"] for r in backend.select("SELECT ?g (COUNT(*) AS ?n) WHERE { GRAPH ?g { ?s ?p ?o } } GROUP BY ?g")}
    assert not [g for g in graphs if "openlinksw" in g or g.startswith("http://www.w3.org/ns/ldp")]


def test_linked_data_page_and_void_over_the_server(backend):
    page = httpx.get(backend.url + "/id/state/CHN", headers={"Accept": "text/html"}, timeout=60)
    assert page.status_code == 200 and "China" in page.text
    turtle = httpx.get(backend.url + "/id/state/CHN", headers={"Accept": "application/n-triples"}, timeout=60)
    assert turtle.status_code == 200
    triples = [q.triple for q in ox.parse(turtle.content, format=ox.RdfFormat.N_TRIPLES)]
    assert ox.Triple(ox.NamedNode(CHINA), ox.NamedNode("http://schema.org/name"), ox.Literal("China")) in triples
    assert httpx.get(backend.url + "/id/state/nowhere", timeout=60).status_code == 404
    void = httpx.get(backend.url + "/.well-known/void", headers={"Accept": "application/n-triples"}, timeout=60)
    assert void.status_code == 200
    documents = [t.object.value for t in ox.parse(void.content, format=ox.RdfFormat.N_TRIPLES)
                 if t.predicate.value == "http://rdfs.org/ns/void#documents"]
    listed = backend.select("SELECT (COUNT(DISTINCT ?g) AS ?n) WHERE { GRAPH ?g { ?s ?p ?o } }")[0]["n"]
    assert documents == [listed]
    health = httpx.get(backend.url + "/healthz", timeout=60).json()
    assert health["status"] == "ok" and health["triples"] > 5000
    # the text index follows only the embedded store's writes: over a server /search says why not
    search = httpx.get(backend.url + "/search", params={"q": "China", "format": "json"}, timeout=60)
    assert search.status_code == 503 and "CLAIMGRAPH_SPARQL_URL" in search.text, search.text


def test_graph_store_over_the_server(backend):
    auth = {"Authorization": f"Bearer {TOKEN}"}
    g = "http://example.org/backend-test/gsp"
    store = backend.url + "/store"
    body = '<http://example.org/s> <http://example.org/p> "café" .\n<http://example.org/s> <http://example.org/q> "3"^^<http://www.w3.org/2001/XMLSchema#integer> .\n'
    r = httpx.put(store, params={"graph": g}, content=body.encode(), headers={**auth, "Content-Type": "application/n-triples"},
                  timeout=60)
    assert r.status_code == 201, r.text
    r = httpx.post(store, params={"graph": g}, content=b'@prefix ex: <http://example.org/> . ex:s ex:r ex:o .',
                   headers={**auth, "Content-Type": "text/turtle"}, timeout=60)
    assert r.status_code == 204, r.text
    got = httpx.get(store, params={"graph": g}, headers={"Accept": "application/n-triples"}, timeout=60)
    assert got.status_code == 200
    assert {t.predicate.value.rsplit("/", 1)[1] for t in ox.parse(got.content, format=ox.RdfFormat.N_TRIPLES)} == {"p", "q", "r"}
    assert '"café"' in got.text
    bad = httpx.put(store, params={"graph": g}, content=b"<http://example.org/s> <oops",
                    headers={**auth, "Content-Type": "application/n-triples"}, timeout=60)
    assert bad.status_code == 400  # refused before anything reached the server
    assert len(list(ox.parse(httpx.get(store, params={"graph": g}, headers={"Accept": "application/n-triples"},
                                       timeout=60).content, format=ox.RdfFormat.N_TRIPLES))) == 3
    assert httpx.delete(store, params={"graph": g}, headers=auth, timeout=60).status_code == 204
    assert httpx.get(store, params={"graph": g}, timeout=60).status_code == 404
    assert httpx.delete(store, params={"graph": g}, timeout=60).status_code in (401, 403)  # writes need the token


def test_a_query_the_server_refuses_is_a_clear_400(backend):
    r = httpx.post(backend.sparql, data={"query": "SELECT * WHERE { ?s ?p }"}, timeout=60)
    assert r.status_code == 400 and r.text.startswith("The store refused the query:")


# ----------------------------------------------------------------------------- only on a remote store


def test_virtuoso_row_cap_is_an_error_not_a_result(virtuoso_server, tmp_path):
    """Virtuoso cuts an answer at ResultSetMaxRows (100,000 in the fixture) and says so only in a
    header: through our endpoint that is a 400 naming the cap, never a shortened result."""
    url, process = start_claimgraph_server(tmp_path, **store_env(virtuoso_server))
    try:
        values = " ".join(str(i) for i in range(400))
        r = httpx.post(url + "/sparql", data={"query": f"SELECT ?a ?b WHERE {{ VALUES ?a {{ {values} }} "
                                                       f"VALUES ?b {{ {values} }} }}"}, timeout=120)
        assert r.status_code == 400, r.text[:300]
        assert "ResultSetMaxRows" in r.text and "100000" in r.text
        small = httpx.post(url + "/sparql", data={"query": f"SELECT ?a WHERE {{ VALUES ?a {{ {values} }} }}"},
                           headers={"Accept": "text/csv"}, timeout=60)
        assert small.status_code == 200 and len(small.text.strip().splitlines()) == 401
    finally:
        process.stop()


@pytest.fixture()
def own_oxigraph(tmp_path):
    """An Oxigraph server of this test's own: stopping it stops a query our deadline abandoned
    (its own `--timeout-s` does not stop a query that counts)."""
    exe = need("oxigraph-server")  # skips, naming it, when it is missing (in CI: fails)
    port = _free_port()
    base = f"http://127.0.0.1:{port}"
    log = tmp_path / "oxigraph.log"
    with open(log, "wb") as fh:
        proc = subprocess.Popen([str(exe), "serve", "--location", str(tmp_path / "data"), "--bind",
                                 f"127.0.0.1:{port}"], stdout=fh, stderr=subprocess.STDOUT)
    _wait(proc, log, lambda: httpx.post(base + "/query", data={"query": "ASK {}"}).status_code == 200, 60,
          "oxigraph serve")
    yield SparqlServer("oxigraph", base + "/query", base + "/update", base + "/store", None, proc, log)
    _stop(proc)


def test_deadline_is_kept_while_the_server_still_evaluates(own_oxigraph, tmp_path):
    """A query the server takes seconds over gets 503 from us at the 0.5 s limit (the server's
    answer never started to reach the client), and the endpoint goes on answering."""
    url, process = start_claimgraph_server(tmp_path, **store_env(own_oxigraph, CLAIMGRAPH_QUERY_TIMEOUT_S="0.5"))
    try:
        thousand, twenty = (" ".join(str(i) for i in range(n)) for n in (1000, 20))
        slow = (f"SELECT (COUNT(*) AS ?n) WHERE {{ VALUES ?a {{ {thousand} }} VALUES ?b {{ {thousand} }} "
                f"VALUES ?c {{ {twenty} }} }}")  # 20 million rows to count: seconds, also on a fast machine
        r = httpx.post(url + "/sparql", data={"query": slow}, timeout=300)
        assert r.status_code == 503, r.text
        assert "0.5 s limit" in r.text and r.headers["retry-after"]
        ok = httpx.post(url + "/sparql", data={"query": "ASK {}"}, headers={"Accept": "application/sparql-results+json"},
                        timeout=60)
        assert ok.status_code == 200 and ok.json()["boolean"] is True
    finally:
        process.stop()


def test_query_limits_apply_before_anything_reaches_the_server(oxigraph_server, tmp_path):
    url, process = start_claimgraph_server(tmp_path, **store_env(oxigraph_server))
    try:
        deep = "SELECT * WHERE { ?s ?p ?o FILTER(" + "(" * 300 + "true" + ")" * 300 + ") }"
        r = httpx.post(url + "/sparql", data={"query": deep}, timeout=60)
        assert r.status_code == 400 and "CLAIMGRAPH_QUERY_MAX_NESTING" in r.text
        r = httpx.post(url + "/sparql", data={"query": "SELECT * WHERE { SERVICE <http://127.0.0.1:1/x> { ?s ?p ?o } }"},
                       timeout=60)
        assert r.status_code == 400 and "SERVICE" in r.text
    finally:
        process.stop()


def test_wrong_credentials_are_named(virtuoso_server, tmp_path):
    env = cli_env(tmp_path, **store_env(virtuoso_server, CLAIMGRAPH_STORE_PASSWORD="wrong"))
    result = run_cli(["ingest", str(SEEDS), "--no-prefect"], env)
    assert result.returncode != 0
    assert "401" in result.stdout + result.stderr and "credentials" in result.stdout + result.stderr


def test_api_refuses_a_virtuoso_that_shows_its_system_graphs(oxigraph_server):
    """check_dataset, on a server holding a graph named as Virtuoso's quad-map graph is (Oxigraph's
    server, told to behave as Virtuoso for this one check)."""
    from claimgraph.stores import StoreError
    from claimgraph.stores.remote import RemoteGraphStore

    g = "http://www.openlinksw.com/schemas/virtrdf#"
    oxigraph_server.put_graph(g, "<urn:a> <urn:b> <urn:c> .\n")
    try:
        with RemoteGraphStore(oxigraph_server.query_url, oxigraph_server.gsp_url, dialect="virtuoso") as store:
            with pytest.raises(StoreError, match="virtuoso-init.sql"):
                store.check_dataset()
    finally:
        oxigraph_server.clear_graphs([g])


# ----------------------------------------------------------------------------- a PUT that fails halfway


class BreakPuts(httpx.BaseTransport):
    """The real connection, except that an authenticated PUT whose body holds `marker` gets a line
    the server cannot read in its middle (`times` times): Virtuoso then writes the triples before
    that line and answers 500, as it does on a body that breaks off. `failed` counts the 5xx
    answers the server gave to broken bodies."""

    def __init__(self, marker: bytes, times: int):
        self.inner = httpx.HTTPTransport()
        self.marker = marker
        self.times = times
        self.broken = 0
        self.failed = 0

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        broken = False
        if request.method == "PUT" and "authorization" in request.headers and self.broken < self.times:
            body = request.read()
            if self.marker in body:
                lines = body.split(b"\n")
                body = b"\n".join(lines[:len(lines) // 2] + [b"<urn:broken> <urn:broken"] + lines[len(lines) // 2:])
                headers = {k: v for k, v in request.headers.items() if k.lower() != "content-length"}
                request = httpx.Request(request.method, request.url, headers=headers, content=body)
                self.broken += 1
                broken = True
        response = self.inner.handle_request(request)
        if broken and response.status_code >= 500:
            self.failed += 1
        return response

    def close(self) -> None:
        self.inner.close()


def _graph(n: int, word: str) -> list[ox.Triple]:
    return [ox.Triple(ox.NamedNode(f"http://example.org/s{i}"), ox.NamedNode("http://example.org/p"),
                      ox.Literal(f"{word} {i}")) for i in range(n)]


def _remote(server: SparqlServer, transport: httpx.BaseTransport):
    from claimgraph.stores.remote import RemoteGraphStore

    return RemoteGraphStore(server.query_url, server.gsp_url, update_url=server.update_url,
                            auth=lambda: httpx.DigestAuth(server.user, server.password), transport=transport)


def test_virtuoso_put_that_breaks_halfway_is_sent_again(virtuoso_server):
    g = "http://example.org/backend-test/halfway"
    old, new = _graph(2000, "old"), _graph(3000, "new")
    with _remote(virtuoso_server, httpx.HTTPTransport()) as store:
        store.replace_graph(g, old)
    transport = BreakPuts(b'"new 1"', times=1)
    with _remote(virtuoso_server, transport) as store:
        result = store.replace_graph(g, new)
        assert transport.failed == 1  # the server did get a broken body once, and failed on it
        assert store.graph_triples(g) == set(new)  # and yet the graph is whole and new
        assert (result.triples_before, result.triples_after) == (2000, 3000)
        store.drop_graph(g)


def test_virtuoso_put_that_keeps_breaking_leaves_the_old_graph(virtuoso_server):
    from claimgraph.stores import StoreError

    g = "http://example.org/backend-test/keeps-breaking"
    old, new = _graph(2000, "old"), _graph(3000, "new")
    with _remote(virtuoso_server, httpx.HTTPTransport()) as store:
        store.replace_graph(g, old)
    transport = BreakPuts(b'"new 1"', times=100)
    with _remote(virtuoso_server, transport) as store:
        with pytest.raises(StoreError, match="keeps its old content"):
            store.replace_graph(g, new)
        assert transport.failed == 3  # each attempt failed on the server
        assert store.graph_triples(g) == set(old)  # fully old, not part new
        store.drop_graph(g)


def test_a_new_graph_that_cannot_be_written_leaves_nothing(virtuoso_server):
    from claimgraph.stores import StoreError

    g = "http://example.org/backend-test/never-written"
    transport = BreakPuts(b'"new 1"', times=100)
    with _remote(virtuoso_server, transport) as store:
        with pytest.raises(StoreError, match="nothing of it was kept"):
            store.replace_graph(g, _graph(3000, "new"))
        assert transport.failed == 3
        assert store.graph_triples(g) is None and not store.contains_named_graph(g)


# ----------------------------------------------------------------------------- settings


def test_store_settings_and_credentials():
    from claimgraph.config import settings_from
    from claimgraph.stores import StoreError
    from claimgraph.stores.remote import remote_from_settings, store_auth

    s = settings_from({"CLAIMGRAPH_SPARQL_URL": "http://127.0.0.1:1/sparql", "CLAIMGRAPH_STORE_AUTH": "digest",
                       "CLAIMGRAPH_STORE_USER": "u", "CLAIMGRAPH_STORE_PASSWORD": "secret-pw"})
    assert s.store_backend == "sparql" and "secret-pw" not in repr(s)
    token, make = store_auth(s)
    assert token is None and isinstance(make(), httpx.DigestAuth) and make() is not make()
    with remote_from_settings(s) as store:
        assert store.update_url == store.query_url and store.gsp_url is None
    s = settings_from({"CLAIMGRAPH_SPARQL_URL": "http://127.0.0.1:1/sparql", "CLAIMGRAPH_STORE_TOKEN": "t0k"})
    token = store_auth(s)[0]
    assert token.get_secret_value() == "t0k" and "t0k" not in repr(token)
    with remote_from_settings(s) as store:  # sent per request by an httpx.Auth, never held in headers or repr
        assert "t0k" not in repr(store) and "t0k" not in repr(store._client.headers)
        assert "t0k" not in repr(store._client.auth) and "t0k" not in repr(store.headers)
    with pytest.raises(StoreError, match="CLAIMGRAPH_STORE_USER"):
        store_auth(settings_from({"CLAIMGRAPH_SPARQL_URL": "http://x/sparql", "CLAIMGRAPH_STORE_AUTH": "basic"}))
    assert settings_from({}).store_backend == "embedded"
    assert remote_from_settings(settings_from({})) is None
