"""Writes: SPARQL 1.1 Update on /sparql and the Graph Store HTTP Protocol on /store,
behind the bearer token; atomic and serialised; the VoID cache follows them.

Most tests run against the real server (uvicorn in a subprocess, a token in
CLAIMGRAPH_WRITE_TOKEN_FILE). Settings the API reads with `getattr` (body limit,
CORS origins, LOAD allow-list) are exercised in-process with a Settings subclass
that declares them, through FastAPI's TestClient.
"""
from __future__ import annotations

import json
import subprocess
import sys
import threading
from pathlib import Path

import httpx
import pyoxigraph as ox
import pytest
import warnings

with warnings.catch_warnings():  # starlette's note about httpx vs httpx2, at import
    warnings.simplefilter("ignore")
    from fastapi.testclient import TestClient

from claimgraph.api import auth, sparql, update
from claimgraph.api.app import create_app
from claimgraph.config import Settings
from claimgraph.stores import OxigraphStore
from conftest import PROTOCOL_CHECKER
from test_api import Server, free_port, make_store

pytestmark = pytest.mark.slow

TOKEN = "s3cret-token-for-tests"
EX = "http://example.org/w/"
G = EX + "graph"
GSP_FORMATS = {
    "text/turtle": ox.RdfFormat.TURTLE,
    "application/n-triples": ox.RdfFormat.N_TRIPLES,
    "application/n-quads": ox.RdfFormat.N_QUADS,
    "application/trig": ox.RdfFormat.TRIG,
    "application/ld+json": ox.RdfFormat.JSON_LD,
    "application/rdf+xml": ox.RdfFormat.RDF_XML,
}


NT = {"Content-Type": "application/n-triples"}
TTL = {"Content-Type": "text/turtle"}


def nt(data: list[ox.Triple]) -> bytes:
    return ox.serialize(data, format=ox.RdfFormat.N_TRIPLES)


def triples(n: int, tag: str = "v") -> list[ox.Triple]:
    return [ox.Triple(ox.NamedNode(f"{EX}s{i}"), ox.NamedNode(EX + "p"), ox.Literal(f"{tag}{i}")) for i in range(n)]


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    root = tmp_path_factory.mktemp("writes")
    make_store(root / "store", {EX + "seed": f"<{EX}seed> <{EX}p> \"seed\" .\n"})
    token_file = root / "token"
    token_file.write_text(TOKEN + "\n")
    token_file.chmod(0o600)  # a token file open to others is refused (config.load_write_token)
    srv = Server(root / "store", root / "uvicorn.log", CLAIMGRAPH_WRITE_TOKEN_FILE=str(token_file))
    srv.gsp = srv.base + "/store"
    yield srv
    srv.stop()


@pytest.fixture(scope="module")
def writer(server):
    with httpx.Client(timeout=60, headers={"Authorization": f"Bearer {TOKEN}"}) as c:
        yield c


@pytest.fixture(scope="module")
def reader(server):
    with httpx.Client(timeout=60) as c:
        yield c


def ask(client, server, q: str) -> bool:
    r = client.post(server.url, data={"query": q}, headers={"Accept": "application/sparql-results+json"})
    assert r.status_code == 200, r.text
    return r.json()["boolean"]


def count(client, server, graph: str) -> int:
    r = client.post(server.url, data={"query": f"SELECT (COUNT(*) AS ?n) WHERE {{ GRAPH <{graph}> {{ ?s ?p ?o }} }}"},
                    headers={"Accept": "application/sparql-results+json"})
    assert r.status_code == 200, r.text
    return int(r.json()["results"]["bindings"][0]["n"]["value"])


# ----------------------------------------------------------------------------- auth


def test_update_needs_the_token(server, reader, writer):
    u = f'INSERT DATA {{ GRAPH <{G}-auth> {{ <{EX}a> <{EX}p> "x" }} }}'
    r = reader.post(server.url, content=u, headers={"Content-Type": "application/sparql-update"})
    assert r.status_code == 401 and r.headers["www-authenticate"].startswith("Bearer")
    r = reader.post(server.url, data={"update": u}, headers={"Authorization": "Bearer wrong"})
    assert r.status_code == 401 and 'error="invalid_token"' in r.headers["www-authenticate"]
    assert not ask(reader, server, f"ASK {{ GRAPH <{G}-auth> {{ ?s ?p ?o }} }}")
    r = writer.post(server.url, content=u, headers={"Content-Type": "application/sparql-update"})
    assert r.status_code == 204, r.text
    assert ask(reader, server, f"ASK {{ GRAPH <{G}-auth> {{ <{EX}a> <{EX}p> \"x\" }} }}")
    # HTTP Basic with the token as password works too (for tools that only speak Basic)
    r = reader.post(server.url, data={"update": f"DROP GRAPH <{G}-auth>"}, auth=("anyone", TOKEN))
    assert r.status_code == 204, r.text


def test_gsp_writes_need_the_token_reads_do_not(server, reader, writer):
    body = f'<{EX}a> <{EX}p> "gsp" .'
    for method in ("PUT", "POST"):
        r = reader.request(method, server.gsp, params={"graph": G + "-gauth"}, content=body,
                           headers={"Content-Type": "application/n-triples"})
        assert r.status_code == 401 and "Bearer" in r.headers["www-authenticate"]
    assert reader.delete(server.gsp, params={"graph": EX + "seed"}).status_code == 401
    assert reader.get(server.gsp, params={"graph": EX + "seed"}).status_code == 200


def test_check_write_access_plain():
    s = Settings(write_token=None, write_token_file=None)
    with pytest.raises(sparql.ProtocolError) as info:
        auth.check_write_access("Bearer x", s)
    assert info.value.status == 403 and "no write token" in info.value.message
    s = Settings(write_token="tok")
    for header in (None, "", "Bearer", "Token tok", "Bearer tok2", "Basic !!!"):
        with pytest.raises(sparql.ProtocolError) as info:
            auth.check_write_access(header, s)
        assert info.value.status == 401 and "WWW-Authenticate" in info.value.headers
    auth.check_write_access("Bearer tok", s)
    auth.check_write_access("bearer   tok ", s)
    auth.check_write_access("Basic " + __import__("base64").b64encode(b"u:tok").decode(), s)


def test_unreadable_token_file_means_no_writes(tmp_path):
    s = Settings(write_token_file=tmp_path / "missing")
    assert auth.configured_token(s) is None
    (tmp_path / "empty").write_text("\n")
    assert auth.configured_token(Settings(write_token_file=tmp_path / "empty")) is None


# ----------------------------------------------------------------------------- SPARQL Update


def test_update_form_and_direct_and_base(server, reader, writer):
    r = writer.post(server.url, data={"update": f'INSERT DATA {{ GRAPH <{G}-u> {{ <s> <{EX}p> "form" }} }}'})
    assert r.status_code == 204, r.text
    # relative IRIs resolve against the base IRI, where entities are minted
    assert ask(reader, server, f'ASK {{ GRAPH <{G}-u> {{ <http://127.0.0.1:8000/id/s> <{EX}p> "form" }} }}')
    r = writer.post(server.url, content=f"DROP GRAPH <{G}-u>", headers={"Content-Type": "application/sparql-update"})
    assert r.status_code == 204


def test_update_with_using_graph_uri(server, reader, writer):
    setup = (f'INSERT DATA {{ GRAPH <{G}-d1> {{ <{EX}x> a <{EX}Doc> }} GRAPH <{G}-d2> {{ <{EX}y> a <{EX}Doc> }} }}')
    assert writer.post(server.url, data={"update": setup}).status_code == 204
    u = f"INSERT {{ GRAPH <{G}-out> {{ ?s a <{EX}Seen> }} }} WHERE {{ ?s a <{EX}Doc> }}"
    r = writer.post(server.url, params={"using-graph-uri": G + "-d1"}, content=u,
                    headers={"Content-Type": "application/sparql-update"})
    assert r.status_code == 204, r.text
    assert ask(reader, server, f"ASK {{ GRAPH <{G}-out> {{ <{EX}x> a <{EX}Seen> }} }}")
    assert not ask(reader, server, f"ASK {{ GRAPH <{G}-out> {{ <{EX}y> a <{EX}Seen> }} }}")
    # DELETE WHERE gets the dataset too
    r = writer.post(server.url, data={"update": f"DELETE WHERE {{ GRAPH ?g {{ ?s a <{EX}Seen> }} }}",
                                      "using-named-graph-uri": G + "-out"})
    assert r.status_code == 204, r.text
    assert not ask(reader, server, f"ASK {{ GRAPH <{G}-out> {{ ?s ?p ?o }} }}")
    # the update names its own dataset and the protocol gives one too: 400
    r = writer.post(server.url, data={"update": f"WITH <{G}-d1> DELETE {{ ?s ?p ?o }} WHERE {{ ?s ?p ?o }}",
                                      "using-graph-uri": G + "-d2"})
    assert r.status_code == 400 and "USING" in r.text


def test_update_errors(server, reader, writer):
    r = writer.post(server.url, data={"update": "INSERT DATA { <a> <b> "})
    assert r.status_code == 400 and "syntax error" in r.text
    evil = "INSERT { ?s ?p ?o } WHERE { SERVICE <http://evil.example/> { ?s ?p ?o } }"
    r = writer.post(server.url, data={"update": evil})
    assert r.status_code == 400 and "SERVICE" in r.text
    for u in ["LOAD <http://evil.example/data.ttl>", f"LOAD SILENT <http://169.254.169.254/x> INTO GRAPH <{G}>",
              "PREFIX e: <http://evil.example/> LOAD e:x"]:
        r = writer.post(server.url, data={"update": u})
        assert r.status_code == 400 and "LOAD" in r.text and "refused" in r.text, u


def test_update_is_all_or_nothing(tmp_path):
    """A failing operation (an allow-listed LOAD whose server is down) leaves the earlier ones unapplied."""
    dead = f"http://127.0.0.1:{free_port()}/data.ttl"
    with app_client(tmp_path, load_allowlist=[dead]) as (client, store):
        u = f'INSERT DATA {{ GRAPH <{G}> {{ <{EX}a> <{EX}p> "first" }} }} ;\nLOAD <{dead}> INTO GRAPH <{G}>'
        r = client.post("/sparql", data={"update": u}, headers={"Authorization": f"Bearer {TOKEN}"})
        assert r.status_code == 502 and "nothing was changed" in r.text
        assert len(store.native) == 0


def test_writes_are_serialised_and_all_land(server, reader, writer):
    def add(k: int) -> None:
        with httpx.Client(timeout=60, headers={"Authorization": f"Bearer {TOKEN}"}) as c:
            for i in range(10):
                u = f"INSERT DATA {{ GRAPH <{G}-many> {{ <{EX}t{k}-{i}> <{EX}p> {i} }} }}"
                r = c.post(server.url, data={"update": u})
                assert r.status_code == 204

    threads = [threading.Thread(target=add, args=(k,)) for k in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert count(reader, server, G + "-many") == 40


# ----------------------------------------------------------------------------- Graph Store Protocol


@pytest.mark.parametrize("media", list(GSP_FORMATS))
def test_gsp_put_get_roundtrip(server, reader, writer, media):
    graph = f"{G}-rt-{media.replace('/', '-')}"
    data = triples(5) + [ox.Triple(ox.NamedNode(EX + "s0"), ox.NamedNode(EX + "q"), ox.Literal("é ☕", language="fr"))]
    if GSP_FORMATS[media] in (ox.RdfFormat.N_QUADS, ox.RdfFormat.TRIG):
        body = ox.serialize([ox.Quad(t.subject, t.predicate, t.object, ox.NamedNode(EX + "ignored")) for t in data],
                            format=GSP_FORMATS[media])
    else:
        body = ox.serialize(data, format=GSP_FORMATS[media])
    r = writer.put(server.gsp, params={"graph": graph}, content=body, headers={"Content-Type": media})
    assert r.status_code == 201, r.text
    r = reader.get(server.gsp, params={"graph": graph}, headers={"Accept": media})
    assert r.status_code == 200 and r.headers["content-type"].startswith(media)
    got = {q.triple for q in ox.parse(r.content, format=GSP_FORMATS[media])}
    assert got == set(data)
    assert count(reader, server, EX + "ignored") == 0  # a quad body's graph names are ignored


def test_gsp_put_replaces_post_merges_delete_drops(server, reader, writer):
    graph = G + "-life"
    at = {"params": {"graph": graph}}
    assert writer.put(server.gsp, **at, content=nt(triples(3, "a")), headers=NT).status_code == 201
    assert writer.put(server.gsp, **at, content=nt(triples(2, "b")), headers=NT).status_code == 204
    assert count(reader, server, graph) == 2 and not ask(reader, server, 'ASK { ?s ?p "a0" }')
    turtle = f'@prefix e: <{EX}> . e:extra e:p "c" .'
    r = writer.post(server.gsp, **at, content=turtle, headers=TTL)
    assert r.status_code == 204 and count(reader, server, graph) == 3
    r = reader.head(server.gsp, params={"graph": graph}, headers={"Accept": "text/turtle"})
    assert r.status_code == 200 and r.content == b"" and int(r.headers["content-length"]) > 0
    assert writer.delete(server.gsp, params={"graph": graph}).status_code == 204
    assert reader.get(server.gsp, params={"graph": graph}).status_code == 404
    assert writer.delete(server.gsp, params={"graph": graph}).status_code == 404
    # POST creates a graph that does not exist yet; an empty PUT makes an empty graph
    assert writer.post(server.gsp, **at, content=turtle, headers=TTL).status_code == 201
    assert writer.put(server.gsp, **at, content=b"", headers=TTL).status_code == 204
    r = reader.get(server.gsp, params={"graph": graph}, headers={"Accept": "application/n-triples"})
    assert r.status_code == 200 and r.content.strip() == b""


def test_gsp_default_graph_and_dataset(server, reader, writer):
    body = f'<{EX}dflt> <{EX}p> "in the default graph" .'
    r = writer.put(server.gsp + "?default", content=body, headers={"Content-Type": "application/n-triples"})
    assert r.status_code == 204, r.text
    # the default graph is part of every query's union default graph
    assert ask(reader, server, f'ASK {{ <{EX}dflt> <{EX}p> "in the default graph" }}')
    r = reader.get(server.gsp + "?default", headers={"Accept": "application/n-triples"})
    assert r.text.strip() == body
    r = reader.get(server.gsp, headers={"Accept": "application/n-quads"})  # the whole dataset
    assert r.status_code == 200 and f"<{EX}seed>" in r.text and body in r.text
    assert writer.delete(server.gsp + "?default").status_code == 204
    assert not ask(reader, server, f"ASK {{ <{EX}dflt> ?p ?o }}")
    q = f'<{EX}q1> <{EX}p> "quad" <{G}-dsq> .\n'
    r = writer.post(server.gsp, content=q, headers={"Content-Type": "application/n-quads"})
    assert r.status_code == 204, r.text
    assert count(reader, server, G + "-dsq") == 1
    assert writer.put(server.gsp, content=q, headers={"Content-Type": "application/n-quads"}).status_code == 405


def test_gsp_errors(server, reader, writer):
    graph = G + "-err"
    ok, at = nt(triples(2)), {"params": {"graph": graph}}
    assert writer.put(server.gsp, **at, content=ok, headers=NT).status_code == 201
    r = writer.put(server.gsp, **at, content=b"<a> <b> .", headers=NT)
    assert r.status_code == 400 and "does not parse" in r.text
    r = writer.post(server.gsp, **at, content=b"@prefix broken", headers=TTL)
    assert r.status_code == 400
    assert count(reader, server, graph) == 2  # failed writes changed nothing
    assert writer.put(server.gsp, **at, content=ok, headers={"Content-Type": "image/png"}).status_code == 415
    assert writer.put(server.gsp, **at, content=ok).status_code == 415
    assert reader.get(server.gsp, params={"graph": "not an iri"}).status_code == 400
    assert reader.get(server.gsp, params=[("graph", graph), ("default", "")]).status_code == 400
    assert reader.get(server.gsp, params={"graph": graph}, headers={"Accept": "text/csv"}).status_code == 406


def test_gsp_put_is_atomic_for_readers(server, reader, writer):
    """While a graph is replaced over and over, a reader only ever sees a whole version of it."""
    graph, n = G + "-atomic", 20000
    versions = [ox.serialize(triples(n, tag), format=ox.RdfFormat.N_TRIPLES) for tag in ("a", "b")]
    headers = {"Content-Type": "application/n-triples"}
    assert writer.put(server.gsp, params={"graph": graph}, content=versions[0], headers=headers).status_code == 201
    seen, failures, stop = [], [], threading.Event()
    q = (f'SELECT (SUM(IF(STRSTARTS(?o, "a"), 1, 0)) AS ?a) (SUM(IF(STRSTARTS(?o, "b"), 1, 0)) AS ?b) '
         f"WHERE {{ GRAPH <{graph}> {{ ?s ?p ?o }} }}")

    def read() -> None:
        with httpx.Client(timeout=60) as c:
            while not stop.is_set():
                r = c.post(server.url, data={"query": q}, headers={"Accept": "application/sparql-results+json"})
                if r.status_code != 200:  # e.g. a snapshot that could not be reopened while the writer compacts
                    failures.append((r.status_code, r.text[:300]))
                    continue
                b = r.json()["results"]["bindings"][0]
                seen.append((int(b["a"]["value"]), int(b["b"]["value"])))

    t = threading.Thread(target=read)
    t.start()
    try:
        for i in range(6):
            r = writer.put(server.gsp, params={"graph": graph}, content=versions[(i + 1) % 2], headers=headers)
            assert r.status_code == 204
    finally:
        stop.set()
        t.join()
    assert not failures, failures[:3]
    assert seen and set(seen) <= {(n, 0), (0, n)}, sorted(set(seen))[:5]


# ----------------------------------------------------------------------------- VoID follows writes


def test_void_is_recomputed_after_writes(server, reader, writer):
    def void_triples() -> int:
        r = reader.get(server.base + "/.well-known/void", headers={"Accept": "application/n-triples"})
        assert r.status_code == 200
        return next(int(q.object.value) for q in ox.parse(r.content, format=ox.RdfFormat.N_TRIPLES)
                    if q.predicate.value == "http://rdfs.org/ns/void#triples" and q.subject.value.endswith("#dataset"))

    before = void_triples()
    assert void_triples() == before
    r = writer.post(server.url, data={"update": f'INSERT DATA {{ GRAPH <{G}-void> {{ <{EX}v> <{EX}p> 1, 2, 3 }} }}'})
    assert r.status_code == 204
    assert void_triples() == before + 3
    assert writer.delete(server.gsp, params={"graph": G + "-void"}).status_code == 204
    assert void_triples() == before


# ----------------------------------------------------------------------------- settings read with getattr


class ExtSettings(Settings):
    """The settings fields this API reads with getattr until config.Settings declares them."""

    max_body_bytes: int = 50_000_000
    cors_origins: list[str] = []
    load_allowlist: list[str] = []


class app_client:
    def __init__(self, tmp_path: Path, **fields):
        self.settings = ExtSettings(store=tmp_path / "store", write_token=TOKEN, **fields)

    def __enter__(self):
        self.store = OxigraphStore(None)
        self.client = TestClient(create_app(self.settings, self.store))
        self.client.__enter__()
        return self.client, self.store

    def __exit__(self, *exc):
        self.client.__exit__(*exc)
        self.store.close()


def test_body_size_limit(tmp_path):
    with app_client(tmp_path, max_body_bytes=1000) as (client, store):
        big = "x" * 2000
        r = client.post("/sparql", data={"query": f"ASK {{ FILTER('{big}' = '') }}"})
        assert r.status_code == 413 and "1,000 bytes" in r.text
        r = client.put("/store", params={"graph": G}, headers={"Authorization": f"Bearer {TOKEN}",
                       "Content-Type": "application/n-triples"},
                       content=(f'<{EX}s> <{EX}p> "{i}" .\n'.encode() for i in range(100)))  # chunked, no length
        assert r.status_code == 413
        assert len(store.native) == 0
        assert client.post("/sparql", data={"query": "ASK {}"}).status_code == 200


def test_cors_off_by_default_and_configurable(tmp_path):
    origin = {"Origin": "https://app.example"}
    with app_client(tmp_path) as (client, _):
        r = client.get("/sparql", params={"query": "ASK {}"}, headers=origin)
        assert "access-control-allow-origin" not in r.headers
    with app_client(tmp_path, cors_origins=["https://app.example"]) as (client, _):
        r = client.get("/sparql", params={"query": "ASK {}"}, headers=origin)
        assert r.headers["access-control-allow-origin"] == "https://app.example"
        r = client.options("/store", headers={**origin, "Access-Control-Request-Method": "PUT",
                                              "Access-Control-Request-Headers": "authorization,content-type"})
        assert r.status_code == 200 and "PUT" in r.headers["access-control-allow-methods"]
        r = client.get("/sparql", params={"query": "ASK {}"}, headers={"Origin": "https://other.example"})
        assert "access-control-allow-origin" not in r.headers


def test_load_allowlist(tmp_path):
    data = tmp_path / "d.ttl"
    data.write_text(f'<{EX}loaded> <{EX}p> "from LOAD" .\n')
    allowed = "http://127.0.0.1:1/allowed/"
    with app_client(tmp_path, load_allowlist=[allowed]) as (client, store):
        r = client.post("/sparql", data={"update": "LOAD <http://127.0.0.1:1/other/d.ttl>"},
                        headers={"Authorization": f"Bearer {TOKEN}"})
        assert r.status_code == 400 and "refused" in r.text
        # the gate lets an allow-listed prefix through; pyoxigraph then refuses port 1 itself
        r = client.post("/sparql", data={"update": f"LOAD <{allowed}d.ttl>"},
                        headers={"Authorization": f"Bearer {TOKEN}"})
        assert r.status_code == 502, r.text


def test_documented_route_serves_the_same_as_the_fast_path(tmp_path):
    """/sparql is served by a bare Starlette route in front of the FastAPI one, which
    documents it in /docs; both answer alike."""
    with app_client(tmp_path) as (client, store):
        store.update(f'INSERT DATA {{ GRAPH <{G}> {{ <{EX}a> <{EX}p> "x" }} }}')
        q = {"query": f"SELECT ?o WHERE {{ <{EX}a> <{EX}p> ?o }}"}
        fast = client.get("/sparql", params=q)
        app = client.app
        first = app.router.routes.index(next(r for r in app.router.routes if getattr(r, "path", "") == "/sparql"))
        fast_route = app.router.routes.pop(first)
        try:
            slow = client.get("/sparql", params=q)
            upd = client.post("/sparql", data={"update": f"DROP GRAPH <{G}>"},
                              headers={"Authorization": f"Bearer {TOKEN}"})
        finally:
            app.router.routes.insert(first, fast_route)
        assert fast.status_code == slow.status_code == 200 and fast.content == slow.content
        assert upd.status_code == 204 and len(store.native) == 0
        paths = client.get("/openapi.json").json()["paths"]
        assert {"/sparql", "/store", "/.well-known/void", "/ontology"} <= set(paths)
        assert set(paths["/sparql"]) == {"get", "post"}


# ----------------------------------------------------------------------------- plain functions


def test_scan_update_and_apply_dataset():
    text = ("PREFIX e: <http://e/>\nINSERT DATA { GRAPH <http://g> { e:a e:b e:c } } ;\n"
            "DELETE { ?s ?p ?o } INSERT { ?s e:q ?o } WHERE { ?s ?p ?o { SELECT * WHERE { ?x ?y ?z } } } ;\n"
            "DELETE WHERE { ?s e:gone ?o } ;\nLOAD SILENT e:file INTO GRAPH <http://g> ; CLEAR ALL")
    scan = update.scan_update(text)
    assert [op.keyword for op in scan.operations] == ["INSERT", "DELETE", "DELETE", "LOAD", "CLEAR"]
    assert scan.operations[3].load_source == "http://e/file"
    assert not scan.has_dataset_clause
    req = sparql.UpdateRequest(text, ("http://d1",), ("http://n1",))
    out = update.apply_dataset(text, scan, req)
    assert "?s e:q ?o } USING <http://d1> USING NAMED <http://n1> WHERE { ?s ?p ?o { SELECT * WHERE" in out
    assert "DELETE { ?s e:gone ?o } USING <http://d1> USING NAMED <http://n1> WHERE { ?s e:gone ?o }" in out
    assert out.count("USING <http://d1>") == 2  # not on INSERT DATA, LOAD or CLEAR
    ox.Store().update(out.replace("LOAD SILENT e:file INTO GRAPH <http://g> ;", ""))  # still valid SPARQL
    for own in ["WITH <http://g> DELETE { ?s ?p ?o } WHERE { ?s ?p ?o }",
                "INSERT { ?s ?p ?o } USING <http://g> WHERE { ?s ?p ?o }"]:
        with pytest.raises(sparql.ProtocolError) as info:
            update.apply_dataset(own, update.scan_update(own), sparql.UpdateRequest(own, ("http://d",)))
        assert info.value.status == 400
    # a comment or string that looks like an operation is not one
    tricky = "INSERT DATA { <http://a> <http://b> 'LOAD <http://evil/>' } # LOAD <http://evil/>"
    assert [op.keyword for op in update.scan_update(tricky).operations] == ["INSERT"]


def test_check_loads():
    scan = update.scan_update("BASE <http://evil.example/> LOAD <x.ttl>")
    with pytest.raises(sparql.ProtocolError):
        update.check_loads(scan, ["http://good.example/"])
    update.check_loads(update.scan_update("LOAD <http://good.example/x.ttl>"), ["http://good.example/"])
    update.check_loads(update.scan_update("LOAD <http://good.example/x.ttl>"), ["http://good.example/x.ttl"])
    with pytest.raises(sparql.ProtocolError):  # a prefix entry must end with '/' to match below it
        update.check_loads(update.scan_update("LOAD <http://good.example.evil/x>"), ["http://good.example"])
    with pytest.raises(sparql.ProtocolError):
        update.check_loads(update.scan_update("LOAD ?x"), ["http://good.example/"])


# ----------------------------------------------------------------------------- the conformance checker


@pytest.mark.needs("protocol-checker")
@pytest.mark.filterwarnings("ignore::DeprecationWarning")
def test_protocol_checker_all_checks_with_token(server, tmp_path):
    """All 65 checks, updates and auth included, pass against the server with a write token."""
    out = tmp_path / "check.json"
    proc = subprocess.run([sys.executable, str(PROTOCOL_CHECKER), "--query-url", server.url, "--update-url", server.url,
                           "--bearer", TOKEN, "--json-out", str(out)], capture_output=True, text=True, timeout=600)
    doc = json.loads(out.read_text())
    failed = [(r["name"], r["detail"]) for r in doc["results"] if r["status"] == "FAIL"]
    assert not failed, proc.stdout
    assert doc["skipped"] == 0 and doc["passed"] >= 65, proc.stdout
    assert proc.returncode == 0
    assert doc["summary"] == f"{doc['passed']} passed, 0 failed"

