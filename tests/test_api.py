"""The SPARQL endpoint over HTTP: the real app under uvicorn, over a real on-disk store.

The server is started exactly as in production
(`python -m uvicorn --factory claimgraph.api.app:app_factory`, settings from
CLAIMGRAPH_* variables) in a subprocess on a free 127.0.0.1 port; tests talk
to it with httpx. The plain protocol functions of `claimgraph.api.sparql` are
tested directly at the end.
"""
from __future__ import annotations

import http.client
import importlib.util
import json
import os
import select
import subprocess
import sys
import threading
from pathlib import Path
from urllib.parse import urlencode

import httpx
import pyoxigraph as ox
import pytest

from claimgraph.api import sparql
from claimgraph.stores import OxigraphStore
from conftest import HANG_S, ONTOLOGY, PROTOCOL_CHECKER, ServerProcess, free_port, need, wait_until

pytestmark = pytest.mark.slow

EX = "http://example.org/"
SCHEMA = "http://schema.org/"
G1 = EX + "graph/doc1"
G2 = EX + "graph/doc2"
KASEI = "http://kasei.us/2009/09/sparql/data/"
FOAF_DOC = "http://xmlns.com/foaf/0.1/Document"
PC = "http://example.org/protocol-check/"
DESCRIBE_ME = PC + "describe-me"

DOC1 = f"""<{EX}alice> <http://www.w3.org/1999/02/22-rdf-syntax-ns#type> <{SCHEMA}Person> .
<{EX}alice> <{SCHEMA}name> "Alice"@en .
<{EX}alice> <{EX}age> "42"^^<http://www.w3.org/2001/XMLSchema#integer> .
<{EX}doc1> <{SCHEMA}about> <{EX}china> .
"""
DOC2 = f"""<{EX}bob> <http://www.w3.org/1999/02/22-rdf-syntax-ns#type> <{SCHEMA}Person> .
<{EX}bob> <{SCHEMA}name> "Bob" .
<{EX}doc2> <{SCHEMA}about> <{EX}usa> .
<{EX}doc2> <{SCHEMA}headline> "café ☕ 東京" .
"""
# What the protocol checker's dataset and DESCRIBE checks would load through an
# update, preloaded because writes are off.
KASEI_GRAPHS = {KASEI + f"data{i}.rdf": f"<{KASEI}data{i}.rdf> <http://www.w3.org/1999/02/22-rdf-syntax-ns#type> <{FOAF_DOC}> .\n"
                for i in (1, 2, 3)}
DESCRIBE_GRAPH = (PC + "describe-graph",
                  f'<{DESCRIBE_ME}> <{PC}label> "described" .\n<{DESCRIBE_ME}> <{PC}link> <{PC}other> .\n')

NAMES = "PREFIX schema: <http://schema.org/> SELECT ?name WHERE { ?p a schema:Person ; schema:name ?name } ORDER BY ?name"
PERSONS_CONSTRUCT = ("PREFIX schema: <http://schema.org/> "
                     "CONSTRUCT { ?p schema:name ?name } WHERE { ?p a schema:Person ; schema:name ?name }")
# 2.6e10 rows counted: hours of CPU on any machine. It ends only by a server's time limit, and a
# server that waited for its end would hang the client (HANG_S), so no test needs a clock.
_V = " ".join(str(i) for i in range(400))
RUNAWAY = f"SELECT (COUNT(*) AS ?n) WHERE {{ {' '.join(f'VALUES ?{v} {{ {_V} }}' for v in 'abcd')} }}"


# ----------------------------------------------------------------------------- servers


class Server(ServerProcess):
    """The app under uvicorn with `CLAIMGRAPH_STORE` and any other settings as env."""

    def __init__(self, store_dir: Path, log: Path, **env: str):
        self.port = free_port()
        self.base = f"http://127.0.0.1:{self.port}"
        self.url = self.base + "/sparql"
        super().__init__(
            [sys.executable, "-m", "uvicorn", "--factory", "claimgraph.api.app:app_factory",
             "--host", "127.0.0.1", "--port", str(self.port), "--log-level", "warning"],
            {**os.environ, "CLAIMGRAPH_STORE": str(store_dir), **env}, log, self.base + "/healthz", timeout=30)


def make_store(path: Path, graphs: dict[str, str]) -> int:
    store = OxigraphStore(path)
    for iri, nt in graphs.items():
        store.replace_graph(iri, nt)
    n = store.triple_count()
    store.close()  # releases the RocksDB lock for the server process
    return n


@pytest.fixture(scope="session")
def server(tmp_path_factory):
    root = tmp_path_factory.mktemp("api")
    graphs = {G1: DOC1, G2: DOC2, **KASEI_GRAPHS, DESCRIBE_GRAPH[0]: DESCRIBE_GRAPH[1]}
    triples = make_store(root / "store", graphs)
    dead_endpoint = f"http://127.0.0.1:{free_port()}/sparql"  # allow-listed, nothing listens there
    srv = Server(root / "store", root / "uvicorn.log",
                 CLAIMGRAPH_QUERY_TIMEOUT_S="20",
                 CLAIMGRAPH_SERVICE_ALLOWLIST=json.dumps(["https://query.wikidata.org/sparql", dead_endpoint]))
    srv.triples, srv.graphs, srv.dead_endpoint = triples, len(graphs), dead_endpoint
    yield srv
    srv.stop()


@pytest.fixture(scope="session")
def client(server):
    with httpx.Client(timeout=30) as c:
        del c.headers["accept"]  # send only the Accept header a test sets
        yield c


@pytest.fixture()
def strict_server(tmp_path):
    """A server with a 0.5 s query time limit (its runaway query dies with it)."""
    make_store(tmp_path / "store", {G1: DOC1})
    srv = Server(tmp_path / "store", tmp_path / "uvicorn.log", CLAIMGRAPH_QUERY_TIMEOUT_S="0.5")
    yield srv
    srv.stop()


def ctype(r: httpx.Response) -> str:
    return r.headers["content-type"].split(";")[0].strip()


def names_of(r: httpx.Response) -> list[str]:
    assert r.status_code == 200, r.text
    doc = r.json()
    return [b["name"]["value"] for b in doc["results"]["bindings"]]


def ask(client, server, q: str, **params) -> bool:
    r = client.get(server.url, params={"query": q, **params}, headers={"Accept": sparql.JSON_RESULTS})
    assert r.status_code == 200, r.text
    return r.json()["boolean"]


# ----------------------------------------------------------------------------- pages


def test_healthz(client, server):
    r = client.get(server.base + "/healthz")
    assert r.status_code == 200
    assert r.json() == {"status": "ok", "triples": server.triples, "graphs": server.graphs}


def test_index_page_is_yasgui_with_the_competency_questions(client, server):
    from claimgraph.api import ui

    r = client.get(server.base + "/")
    assert r.status_code == 200 and ctype(r) == "text/html"
    need("yasgui")  # without it the plain form is served (test_fallback_form_without_yasgui)
    assert "/static/yasgui/yasgui.min.js" in r.text and "/static/claimgraph.js" in r.text
    assert '"name": "CQ01"' in r.text and '"endpoint": "/sparql"' in r.text
    for path in ("/static/yasgui/yasgui.min.js", "/static/yasgui/yasgui.min.css", "/static/claimgraph.js"):
        assert client.get(server.base + path).status_code == 200, path


def test_fallback_form_without_yasgui(monkeypatch, tmp_path):
    from claimgraph.api import ui

    monkeypatch.setattr(ui, "YASGUI_JS", tmp_path / "missing" / "yasgui.min.js")
    examples = ui.load_examples(ONTOLOGY / "queries")
    html = ui.index_html(examples, "http://127.0.0.1:8000/id/")
    assert 'action="/sparql"' in html and 'name="query"' in html
    assert "not installed" in html and "CQ14" in html


def test_examples_are_the_competency_questions():
    from claimgraph.api import ui

    examples = ui.load_examples(ONTOLOGY / "queries")
    assert [e.name for e in examples] == [f"CQ{i:02d}" for i in range(1, 15)]
    assert examples[7].title == "What do authors claim about China?"
    page = ui.yasgui_page(examples[:1] + [ui.Example("X", "t", "SELECT * { ?s ?p '</script>' }")], "http://b/id/")
    assert "</script>'" not in page  # the JSON cannot close the script element


# ----------------------------------------------------------------------------- request forms


def test_get(client, server):
    r = client.get(server.url, params={"query": NAMES})
    assert names_of(r) == ["Alice", "Bob"]
    assert r.headers["content-type"] == "application/sparql-results+json; charset=utf-8"


def test_post_form(client, server):
    r = client.post(server.url, data={"query": NAMES})
    assert names_of(r) == ["Alice", "Bob"]


def test_post_direct(client, server):
    r = client.post(server.url, content=NAMES.encode(), headers={"Content-Type": "application/sparql-query"})
    assert names_of(r) == ["Alice", "Bob"]


def test_post_direct_with_utf8_charset(client, server):
    r = client.post(server.url, content=NAMES.encode(),
                    headers={"Content-Type": "application/sparql-query; charset=UTF-8"})
    assert names_of(r) == ["Alice", "Bob"]


def test_unicode_roundtrip(client, server):
    q = f'SELECT ?h WHERE {{ <{EX}doc2> <{SCHEMA}headline> ?h }}'
    r = client.post(server.url, data={"query": q}, headers={"Accept": "text/csv"})
    assert r.status_code == 200
    assert r.headers["content-type"] == "text/csv; charset=utf-8"
    assert r.content.decode("utf-8").splitlines() == ["h", "café ☕ 東京"]


# ----------------------------------------------------------------------------- result formats


@pytest.mark.parametrize("media, fmt", [
    ("application/sparql-results+json", ox.QueryResultsFormat.JSON),
    ("application/sparql-results+xml", ox.QueryResultsFormat.XML),
    ("text/csv", ox.QueryResultsFormat.CSV),
    ("text/tab-separated-values", ox.QueryResultsFormat.TSV),
])
def test_select_formats(client, server, media, fmt):
    r = client.get(server.url, params={"query": NAMES}, headers={"Accept": media})
    assert r.status_code == 200, r.text
    assert r.headers["content-type"] == f"{media}; charset=utf-8"
    if fmt == ox.QueryResultsFormat.CSV:  # CSV loses term types (pyoxigraph will not parse it): values only
        assert r.content.decode("utf-8").splitlines() == ["name", "Alice", "Bob"]
    else:
        rows = list(ox.parse_query_results(r.content, format=fmt))
        assert [row["name"] for row in rows] == [ox.Literal("Alice", language="en"), ox.Literal("Bob")]


@pytest.mark.parametrize("media, fmt", [
    ("text/turtle", ox.RdfFormat.TURTLE),
    ("application/n-triples", ox.RdfFormat.N_TRIPLES),
    ("application/ld+json", ox.RdfFormat.JSON_LD),
    ("application/rdf+xml", ox.RdfFormat.RDF_XML),
])
def test_construct_formats(client, server, media, fmt):
    r = client.post(server.url, content=PERSONS_CONSTRUCT, headers={
        "Content-Type": "application/sparql-query", "Accept": media})
    assert r.status_code == 200, r.text
    assert r.headers["content-type"] == f"{media}; charset=utf-8"
    got = {quad.triple for quad in ox.parse(r.content, format=fmt)}
    assert got == {
        ox.Triple(ox.NamedNode(EX + "alice"), ox.NamedNode(SCHEMA + "name"), ox.Literal("Alice", language="en")),
        ox.Triple(ox.NamedNode(EX + "bob"), ox.NamedNode(SCHEMA + "name"), ox.Literal("Bob")),
    }


def test_construct_default_is_turtle(client, server):
    r = client.get(server.url, params={"query": PERSONS_CONSTRUCT})
    assert r.status_code == 200 and ctype(r) == "text/turtle"


def test_describe(client, server):
    r = client.get(server.url, params={"query": f"DESCRIBE <{DESCRIBE_ME}>"},
                   headers={"Accept": "application/n-triples"})
    assert r.status_code == 200
    assert len(list(ox.parse(r.content, format=ox.RdfFormat.N_TRIPLES))) == 2


@pytest.mark.parametrize("media", ["application/sparql-results+json", "application/sparql-results+xml"])
def test_ask(client, server, media):
    for q, want in ((f"ASK {{ <{EX}alice> ?p ?o }}", True), (f"ASK {{ <{EX}nobody> ?p ?o }}", False)):
        r = client.get(server.url, params={"query": q}, headers={"Accept": media})
        assert r.status_code == 200 and ctype(r) == media
        fmt = ox.QueryResultsFormat.JSON if media.endswith("json") else ox.QueryResultsFormat.XML
        assert bool(ox.parse_query_results(r.content, format=fmt)) is want


def test_accept_q_values_and_wildcards(client, server):
    r = client.get(server.url, params={"query": NAMES},
                   headers={"Accept": "application/sparql-results+xml;q=0.5, text/csv;q=0.9, */*;q=0.1"})
    assert ctype(r) == "text/csv"
    r = client.get(server.url, params={"query": NAMES}, headers={"Accept": "text/*"})
    assert ctype(r) in ("text/csv", "text/tab-separated-values")
    r = client.get(server.url, params={"query": NAMES}, headers={"Accept": "*/*"})
    assert ctype(r) == "application/sparql-results+json"
    # a browser's Accept for a CONSTRUCT: */*;q=0.8 falls back to Turtle
    r = client.get(server.url, params={"query": PERSONS_CONSTRUCT},
                   headers={"Accept": "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8"})
    assert ctype(r) == "text/turtle"


def test_format_parameter_overrides_accept(client, server):
    r = client.get(server.url, params={"query": NAMES, "format": "csv"}, headers={"Accept": sparql.JSON_RESULTS})
    assert ctype(r) == "text/csv"
    r = client.post(server.url, data={"query": NAMES, "output": "xml"})
    assert ctype(r) == "application/sparql-results+xml"
    r = client.get(server.url, params={"query": PERSONS_CONSTRUCT, "format": "json"})
    assert ctype(r) == "application/ld+json"
    r = client.get(server.url, params={"query": PERSONS_CONSTRUCT, "format": "application/n-triples"})
    assert ctype(r) == "application/n-triples"


@pytest.mark.parametrize("query, headers, params", [
    (NAMES, {"Accept": "image/png"}, {}),
    (PERSONS_CONSTRUCT, {"Accept": "text/csv"}, {}),
    (NAMES, {"Accept": "text/turtle"}, {}),
    (PERSONS_CONSTRUCT, {}, {"format": "csv"}),
    (NAMES, {"Accept": "application/sparql-results+json;q=0"}, {}),
])
def test_406(client, server, query, headers, params):
    r = client.get(server.url, params={"query": query, **params}, headers=headers)
    assert r.status_code == 406
    assert r.headers["content-type"] == "text/plain; charset=utf-8"
    assert "available" in r.text


# ----------------------------------------------------------------------------- dataset


PERSONS_COUNT = "PREFIX schema: <http://schema.org/> SELECT (COUNT(?p) AS ?n) WHERE { ?p a schema:Person }"


def count(client, server, q: str, params=()) -> int:
    r = client.get(server.url, params=[("query", q), *params], headers={"Accept": sparql.JSON_RESULTS})
    assert r.status_code == 200, r.text
    return int(r.json()["results"]["bindings"][0]["n"]["value"])


def test_default_graph_is_union_of_named_graphs(client, server):
    assert count(client, server, PERSONS_COUNT) == 2


def test_default_graph_uri_restricts(client, server):
    assert count(client, server, PERSONS_COUNT, [("default-graph-uri", G1)]) == 1
    assert count(client, server, PERSONS_COUNT, [("default-graph-uri", G1), ("default-graph-uri", G2)]) == 2
    # POST: parameters in the URL with a direct body, and inside a form body
    r = client.post(server.url, params=[("default-graph-uri", G2)], content=NAMES,
                    headers={"Content-Type": "application/sparql-query"})
    assert names_of(r) == ["Bob"]
    r = client.post(server.url, data={"query": NAMES, "default-graph-uri": G1})
    assert names_of(r) == ["Alice"]


def test_named_graph_uri_restricts(client, server):
    q = "SELECT DISTINCT ?g WHERE { GRAPH ?g { ?s ?p ?o } }"
    r = client.get(server.url, params=[("query", q), ("named-graph-uri", G2)], headers={"Accept": "text/csv"})
    assert r.text.splitlines() == ["g", G2]
    # only named graphs given: the default graph is empty
    assert count(client, server, PERSONS_COUNT, [("named-graph-uri", G1)]) == 0
    # only default graphs given: no named graphs
    assert count(client, server, "SELECT (COUNT(*) AS ?n) WHERE { GRAPH ?g { ?s ?p ?o } }",
                 [("default-graph-uri", G1)]) == 0


def test_full_protocol_dataset(client, server):
    q = (f"ASK {{ <{EX}alice> a <{SCHEMA}Person> "
         f"GRAPH ?g {{ <{EX}bob> a <{SCHEMA}Person> }} FILTER NOT EXISTS {{ GRAPH ?h {{ <{EX}alice> ?p ?o }} }} }}")
    assert ask(client, server, q, **{"default-graph-uri": G1, "named-graph-uri": G2}) is True


def test_from_in_query_is_honoured_and_protocol_wins(client, server):
    q = f"PREFIX schema: <http://schema.org/> SELECT (COUNT(?p) AS ?n) FROM <{G2}> WHERE {{ ?p a schema:Person }}"
    assert count(client, server, q) == 1  # FROM, not the union
    assert count(client, server, q, [("default-graph-uri", G1), ("default-graph-uri", G2)]) == 2  # protocol wins
    q_named = f"SELECT DISTINCT ?g FROM NAMED <{G1}> WHERE {{ GRAPH ?g {{ ?s ?p ?o }} }}"
    r = client.get(server.url, params={"query": q_named}, headers={"Accept": "text/csv"})
    assert r.text.splitlines() == ["g", G1]
    r = client.get(server.url, params=[("query", q_named), ("named-graph-uri", G2)], headers={"Accept": "text/csv"})
    assert r.text.splitlines() == ["g", G2]


def test_bad_graph_iri_400(client, server):
    r = client.get(server.url, params={"query": NAMES, "default-graph-uri": "not an iri"})
    assert r.status_code == 400 and "default-graph-uri" in r.text


# ----------------------------------------------------------------------------- errors


@pytest.mark.parametrize("send", ["get", "form", "direct"])
def test_malformed_query_400_with_message(client, server, send):
    q = "SELECT ?x WHERE { ?x ?y }"
    if send == "get":
        r = client.get(server.url, params={"query": q})
    elif send == "form":
        r = client.post(server.url, data={"query": q})
    else:
        r = client.post(server.url, content=q, headers={"Content-Type": "application/sparql-query"})
    assert r.status_code == 400
    assert r.headers["content-type"] == "text/plain; charset=utf-8"
    assert "error at 1:" in r.text  # the parser's message, with its position


def test_method_and_media_type_errors(client, server):
    r = client.put(server.url, params={"query": "ASK {}"})
    assert r.status_code == 405 and r.headers["allow"] == "GET, POST"
    r = client.post(server.url, content="ASK {}", headers={"Content-Type": "text/plain"})
    assert r.status_code == 415
    r = client.post(server.url, content="ASK {}")  # no Content-Type
    assert r.status_code == 415
    r = client.post(server.url, content="ASK {}".encode("utf-16"),
                    headers={"Content-Type": "application/sparql-query; charset=UTF-16"})
    assert r.status_code == 415
    r = client.post(server.url, content=b"ASK { FILTER(\"\xff\" = 1) }",
                    headers={"Content-Type": "application/sparql-query"})
    assert r.status_code == 400 and "UTF-8" in r.text
    r = client.post(server.url, data={"foo": "bar"})
    assert r.status_code == 400 and "query" in r.text
    r = client.get(server.url, params=[("query", "ASK {}"), ("query", "ASK {}")])
    assert r.status_code == 400


@pytest.mark.parametrize("query", [
    "SELECT * WHERE { SERVICE <http://evil.example/sparql> { ?s ?p ?o } }",
    "SELECT * WHERE { SERVICE SILENT <http://169.254.169.254/latest> { ?s ?p ?o } }",
    "PREFIX e: <http://evil.example/> SELECT * WHERE { service e:sparql { ?s ?p ?o } }",
    "SELECT * WHERE { VALUES ?e { <https://query.wikidata.org/sparql> } SERVICE ?e { ?s ?p ?o } }",
    "BASE <http://evil.example/> SELECT * WHERE { SERVICE <sparql> { ?s ?p ?o } }",
    "SELECT * WHERE { FILTER EXISTS { SERVICE <http://127.0.0.1:1/x> { ?s ?p ?o } } }",
])
def test_service_not_allowed_400(client, server, query):
    r = client.post(server.url, data={"query": query})
    assert r.status_code == 400, r.text
    assert "SERVICE" in r.text and "refused" in r.text


def test_service_allowed_passes_the_gate(client, server):
    # the allow-listed endpoint is a closed local port: SILENT turns the failure into one empty row
    q = f"SELECT * WHERE {{ SERVICE SILENT <{server.dead_endpoint}> {{ ?s ?p ?o }} }}"
    r = client.get(server.url, params={"query": q})
    assert r.status_code == 200, r.text
    assert r.json()["results"]["bindings"] == [{}]
    # without SILENT the failed call is a 500 that says why
    r = client.get(server.url, params={"query": q.replace(" SILENT", "")})
    assert r.status_code == 500 and "Query evaluation failed" in r.text


def test_service_words_in_strings_and_comments_are_not_services(client, server):
    q = ('SELECT ?x WHERE { # SERVICE <http://evil.example/>\n'
         ' VALUES ?x { "SERVICE <http://evil.example/> {}" } }')
    r = client.get(server.url, params={"query": q})
    assert r.status_code == 200, r.text


@pytest.mark.parametrize("how", ["form", "direct", "get"])
def test_update_refused_without_a_configured_token(client, server, how):
    """This server has no write token: updates are off (403), and over GET never allowed (400)."""
    u = f'INSERT DATA {{ GRAPH <{G1}> {{ <{EX}x> <{EX}y> "z" }} }}'
    if how == "form":
        r = client.post(server.url, data={"update": u}, headers={"Authorization": "Bearer guess"})
    elif how == "direct":
        r = client.post(server.url, content=u, headers={"Content-Type": "application/sparql-update"})
    else:
        r = client.get(server.url, params={"update": u})
    assert r.status_code == (400 if how == "get" else 403), r.text
    assert ("not enabled" if how != "get" else "POST") in r.text
    assert ask(client, server, f"ASK {{ <{EX}x> ?p ?o }}") is False


# ----------------------------------------------------------------------------- service description


def test_service_description_turtle(client, server):
    r = client.get(server.url)
    assert r.status_code == 200 and r.headers["content-type"] == "text/turtle; charset=utf-8"
    triples = {quad.triple for quad in ox.parse(r.content, format=ox.RdfFormat.TURTLE)}
    sd = sparql.SD
    assert ox.Triple(ox.NamedNode(server.url), ox.NamedNode(sd + "endpoint"), ox.NamedNode(server.url)) in triples
    assert ox.Triple(ox.NamedNode(server.url), ox.NamedNode(sd + "supportedLanguage"),
                     ox.NamedNode(sd + "SPARQL11Query")) in triples
    assert ox.Triple(ox.NamedNode(server.url), ox.NamedNode(sd + "feature"),
                     ox.NamedNode(sd + "UnionDefaultGraph")) in triples


@pytest.mark.parametrize("media, fmt", [("application/n-triples", ox.RdfFormat.N_TRIPLES),
                                        ("application/ld+json", ox.RdfFormat.JSON_LD)])
def test_service_description_negotiated(client, server, media, fmt):
    r = client.get(server.url, headers={"Accept": media})
    assert r.status_code == 200 and ctype(r) == media
    assert len(list(ox.parse(r.content, format=fmt))) > 5


def test_service_description_browser_redirects_to_query_page(client, server):
    r = client.get(server.url, headers={"Accept": "text/html,application/xhtml+xml,*/*;q=0.8"})
    assert r.status_code == 303 and r.headers["location"] == "/"


# ----------------------------------------------------------------------------- concurrency and time limit


def test_time_limit_503_and_the_server_keeps_serving(strict_server):
    with httpx.Client(timeout=HANG_S) as c:  # a server that waited for RUNAWAY to end would hang here
        r = c.get(strict_server.url, params={"query": RUNAWAY})
        assert r.status_code == 503, r.text[:200]  # only the 0.5 s limit can end RUNAWAY
        assert "0.5 s limit" in r.text and "stopped" in r.text
        assert r.headers["retry-after"]
        # the runaway query's worker was killed and a spare took its place; others keep being answered
        r = c.get(strict_server.url, params={"query": NAMES})
        assert names_of(r) == ["Alice"]
        assert c.get(strict_server.base + "/healthz").json()["status"] == "ok"


def test_short_queries_are_answered_while_a_runaway_query_runs(tmp_path):
    """One client sends a query that cannot end before the server's time limit; while it runs,
    another client's queries and /healthz are answered, and the runaway is still unanswered after
    them (how fast they are while it runs is benchmarks/runaway_bench.py's to measure)."""
    make_store(tmp_path / "store", {G1: DOC1, G2: DOC2})
    srv = Server(tmp_path / "store", tmp_path / "uvicorn.log", CLAIMGRAPH_QUERY_TIMEOUT_S=str(HANG_S))
    runaway = http.client.HTTPConnection("127.0.0.1", srv.port, timeout=HANG_S)
    try:
        runaway.request("GET", "/sparql?" + urlencode({"query": RUNAWAY}))
        with httpx.Client(timeout=HANG_S) as c:
            for _ in range(5):
                assert names_of(c.get(srv.url, params={"query": NAMES})) == ["Alice", "Bob"]
            assert c.get(srv.base + "/healthz").status_code == 200
        readable, _, _ = select.select([runaway.sock], [], [], 0)
        assert not readable, "the runaway query was answered first: the short ones waited for it"
    finally:
        runaway.close()  # its client gone, the server stops the query
        srv.stop()


# ----------------------------------------------------------------------------- the conformance checker


def load_checker():
    spec = importlib.util.spec_from_file_location("sparql_protocol_check", PROTOCOL_CHECKER)
    mod = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = mod  # its dataclasses look their module up
    spec.loader.exec_module(mod)
    return mod


@pytest.mark.needs("protocol-checker")
def test_protocol_checker_query_side(server, tmp_path):
    """All query-side checks the tool can run without an update URL pass (update checks are skipped)."""
    out = tmp_path / "check.json"
    proc = subprocess.run([sys.executable, str(PROTOCOL_CHECKER), "--query-url", server.url, "--json-out", str(out)],
                          capture_output=True, text=True, timeout=300)
    doc = json.loads(out.read_text())
    failed = [(r["name"], r["detail"]) for r in doc["results"] if r["status"] == "FAIL"]
    assert not failed, proc.stdout
    assert doc["passed"] >= 35, proc.stdout
    assert proc.returncode == 0


@pytest.mark.needs("protocol-checker")
@pytest.mark.filterwarnings("ignore::DeprecationWarning")  # rdflib's JSON-LD parser, inside the checker
def test_protocol_checker_dataset_and_describe_checks_over_preloaded_data(server):
    """The checker's dataset and DESCRIBE checks load their data through an update;
    writes are off, so the same data is preloaded and the checks run as they are."""
    mod = load_checker()
    client = httpx.Client(timeout=30, follow_redirects=True)
    del client.headers["accept"]
    tester = mod.Tester(client, server.url, None)
    tester.load_protocol_graphs = lambda: None  # data1..data3 are in the store already
    tester.created_default_triples.append(  # the DESCRIBE data too (in a named graph: union default graph)
        f'<{DESCRIBE_ME}> <{PC}label> "described" . <{DESCRIBE_ME}> <{PC}link> <{PC}other>')
    names = ["query_dataset_default_graphs_get", "query_dataset_default_graphs_post",
             "query_dataset_named_graphs_post", "query_dataset_named_graphs_get", "query_dataset_full",
             "query_multiple_dataset", "dataset_default_graph_is_restricted", "dataset_named_graphs_are_restricted",
             "conneg_describe_turtle", "conneg_describe_ntriples", "conneg_describe_jsonld", "conneg_describe_rdfxml"]
    checks = [c for c in mod.CHECKS if c.name in names]
    assert len(checks) == len(names)
    bad = []
    try:
        for c in checks:  # called directly: run_checks would skip them for want of an update URL
            try:
                c.func(tester)
            except (mod.CheckFailed, mod.CheckSkipped) as exc:
                bad.append((c.name, type(exc).__name__, str(exc)))
    finally:
        client.close()
    assert not bad


# ----------------------------------------------------------------------------- plain functions (no HTTP)


@pytest.mark.parametrize("accept, offers, want", [
    (None, ["a/x", "b/y"], "a/x"),
    ("", ["a/x", "b/y"], "a/x"),
    ("b/y", ["a/x", "b/y"], "b/y"),
    ("a/x;q=0.5, b/y;q=0.9", ["a/x", "b/y"], "b/y"),
    ("b/*, a/x", ["a/x", "b/y"], "a/x"),  # equal q: the exact range wins over b/*
    ("b/y, a/x", ["a/x", "b/y"], "b/y"),  # equal q and specificity: the header's order
    ("*/*", ["a/x", "b/y"], "a/x"),  # the server's preference
    ("*/*;q=0.1, a/x;q=0", ["a/x", "b/y"], "b/y"),  # a/x explicitly refused
    ("c/z", ["a/x", "b/y"], None),
    ("A/X; charset=utf-8", ["a/x"], "a/x"),
    ("garbage, b/y;q=abc, a/x", ["a/x", "b/y"], "a/x"),
])
def test_negotiate(accept, offers, want):
    assert sparql.negotiate(accept, offers) == want


def test_parse_protocol_request():
    p = sparql.parse_protocol_request
    assert p("GET", [], None, b"") is None  # service description
    r = p("GET", [("query", "ASK {}"), ("default-graph-uri", G1), ("named-graph-uri", G2),
                  ("named-graph-uri", G1), ("format", "csv")], None, b"")
    assert r == sparql.QueryRequest("ASK {}", (G1,), (G2, G1), "csv")
    r = p("POST", [("default-graph-uri", G1)], "application/x-www-form-urlencoded",
          b"query=ASK+%7B%7D&named-graph-uri=" + G2.encode())
    assert r == sparql.QueryRequest("ASK {}", (G1,), (G2,), None)
    r = p("POST", [], "application/sparql-query;charset=utf-8", "ASK { \"é\" }".encode())
    assert r.query == 'ASK { "é" }'
    assert p("POST", [], "application/sparql-update", b"CLEAR ALL") == sparql.UpdateRequest("CLEAR ALL")
    r = p("POST", [("using-graph-uri", G1)], "application/x-www-form-urlencoded",
          b"update=CLEAR+ALL&using-named-graph-uri=" + G2.encode())
    assert r == sparql.UpdateRequest("CLEAR ALL", (G1,), (G2,))
    for args, status in [
        (("GET", [("update", "CLEAR ALL")], None, b""), 400),
        (("POST", [], "application/x-www-form-urlencoded", b"update=CLEAR+ALL&query=ASK+%7B%7D"), 400),
        (("POST", [], "application/x-www-form-urlencoded", b"update=A&update=B"), 400),
        (("POST", [("update", "CLEAR ALL")], "application/sparql-update", b"CLEAR ALL"), 400),
        (("POST", [], "application/sparql-update; charset=UTF-16", b"CLEAR ALL"), 415),
        (("POST", [("using-graph-uri", "rel")], "application/sparql-update", b"CLEAR ALL"), 400),
        (("POST", [], "text/plain", b"ASK {}"), 415),
        (("POST", [], None, b"ASK {}"), 415),
        (("POST", [], "application/sparql-query; charset=latin1", b"ASK {}"), 415),
        (("PUT", [("query", "ASK {}")], None, b""), 405),
        (("GET", [("query", "ASK {}"), ("query", "ASK {}")], None, b""), 400),
        (("POST", [("query", "ASK {}")], "application/sparql-query", b"ASK {}"), 400),
        (("POST", [], "application/x-www-form-urlencoded", b"foo=bar"), 400),
        (("GET", [("query", "  ")], None, b""), 400),
        (("GET", [("query", "ASK {}"), ("named-graph-uri", "rel")], None, b""), 400),
    ]:
        with pytest.raises(sparql.ProtocolError) as info:
            p(*args)
        assert info.value.status == status, args


def test_scan_query():
    scan = sparql.scan_query(
        "# SERVICE <http://c/> in a comment\n"
        "PREFIX wd: <http://www.wikidata.org/entity/>\nPREFIX : <http://default/>\nBASE <http://base/x/>\n"
        "select ?x FROM NAMED <http://g> WHERE {\n"
        "  ?x ?p 'SERVICE <http://s/>' , \"\"\"SERVICE\n<http://t/>\"\"\" .\n"
        "  SERVICE <rel> { ?x ?p ?o } SERVICE SILENT wd:Q\\-1 { } service :ep {} SERVICE ?var {}\n"
        "  ?service <http://p> ex:SERVICE . { SELECT * { ?a ?b ?c } }\n}")
    assert scan.form == "SELECT" and scan.has_from
    assert [(s.iri, s.silent) for s in scan.services] == [
        ("http://base/x/rel", False), ("http://www.wikidata.org/entity/Q-1", True),
        ("http://default/ep", False), (None, False)]
    assert sparql.scan_query("CONSTRUCT WHERE { ?s ?p ?o }") == sparql.QueryScan("CONSTRUCT", False, ())
    assert sparql.scan_query("ASK {}", "http://b/").form == "ASK"
    # relative SERVICE IRIs resolve against the endpoint's base IRI, like the engine does
    assert sparql.scan_query("SELECT * { SERVICE <x> {} }", "http://127.0.0.1:8000/id/").services[0].iri == \
        "http://127.0.0.1:8000/id/x"


def test_check_services():
    allow = ["https://query.wikidata.org/sparql"]
    sparql.check_services(sparql.scan_query("SELECT * { SERVICE <https://query.wikidata.org/sparql> {} }"), allow)
    sparql.check_services(sparql.scan_query("SELECT * { ?s ?p 'SERVICE <http://x/>' }"), allow)
    for q in ["SELECT * { SERVICE <https://query.wikidata.org/sparql/> {} }",  # exact match only
              "SELECT * { SERVICE ?x {} }",
              "SELECT * { SERVICE undeclared:x {} }"]:
        with pytest.raises(sparql.ProtocolError) as info:
            sparql.check_services(sparql.scan_query(q), allow)
        assert info.value.status == 400


def test_query_runner_bounds_and_time_limit():
    gate = threading.Event()
    runner = sparql.QueryRunner(max_workers=1, max_queued=1, timeout_s=0.2)
    try:
        with pytest.raises(sparql.QueryTimeout):
            runner.run(gate.wait)  # occupies the only worker beyond the limit
        assert runner.abandoned == 1
        with pytest.raises(sparql.QueryTimeout):
            runner.run(lambda: 1)  # queued behind it, times out, is cancelled
        gate.set()
        wait_until(lambda: runner.abandoned == 0, "the abandoned job counted as finished")
        assert runner.run(lambda: 42) == 42
    finally:
        gate.set()
        runner.shutdown()


def test_query_runner_refuses_a_job_beyond_its_slots():
    """1 running + 1 queued; a third job is refused at once. The limit is far off, so the two
    jobs hold their slots until the gate opens, however slowly the threads start."""
    gate = threading.Event()
    runner = sparql.QueryRunner(max_workers=1, max_queued=1, timeout_s=HANG_S)
    outcomes = []
    threads = [threading.Thread(target=lambda: outcomes.append(runner.run(gate.wait))) for _ in range(2)]
    try:
        for t in threads:
            t.start()
        # both jobs submitted: the runner's slots (a semaphore) are all taken
        wait_until(lambda: runner._slots._value == 0, "both jobs holding a slot")
        with pytest.raises(sparql.Overloaded):
            runner.run(lambda: 0)
    finally:
        gate.set()
        for t in threads:
            t.join(HANG_S)
        runner.shutdown()
    assert outcomes == [True, True]
