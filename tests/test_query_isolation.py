"""No query can crash the server or starve the others: the real app under uvicorn over a
store on disk, its queries evaluated in worker processes (query_pool.py), probed over
HTTP by clients on several loopback addresses (127.0.0.1 is the well-behaved client;
127.0.0.2 and up are anonymous clients sending deep or runaway queries).

No timing assertions: a wait that guards against a hang uses a timeout only a hang
could exceed. Worker processes are observed in /proc (children of the server whose
command line names query_worker)."""
from __future__ import annotations

import json
import re
import threading
import time
from pathlib import Path

import httpx
import pytest

from conftest import HANG_S, wait_until
from deep_queries import SHAPES, nested_filter_10kb
from test_api import DOC1, DOC2, G1, G2, NAMES, Server, make_store, names_of

pytestmark = pytest.mark.slow

TOKEN = "isolation-token"
COUNT_ALL = "SELECT (COUNT(*) AS ?n) WHERE { ?s ?p ?o }"
_V = " ".join(str(i) for i in range(400))
RUNAWAY = f"SELECT (COUNT(*) AS ?n) WHERE {{ {' '.join(f'VALUES ?{v} {{ {_V} }}' for v in 'abcd')} }}"  # 2.6e10 rows


def worker_pids(server: Server) -> set[int]:
    """PIDs of the server's query worker processes."""
    out = set()
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
            if int(fields[1]) != server.proc.pid:
                continue
            cmdline = (stat.parent / "cmdline").read_bytes()
        except (OSError, ValueError, IndexError):
            continue
        if b"claimgraph.api.query_worker" in cmdline:
            out.add(int(stat.parent.name))
    return out


def client_from(address: str, timeout: float = HANG_S) -> httpx.Client:
    return httpx.Client(transport=httpx.HTTPTransport(local_address=address), timeout=timeout)


def still_serves(server: Server) -> None:
    with httpx.Client(timeout=HANG_S) as c:
        assert names_of(c.get(server.url, params={"query": NAMES})) == ["Alice", "Bob"]
        assert c.get(server.base + "/healthz").json()["status"] == "ok"
    assert server.proc.poll() is None


@pytest.fixture(scope="module")
def guarded(tmp_path_factory):
    """Default limits; 4 workers (so: 3 for one address, 1 kept for light clients); a 30 s time limit."""
    root = tmp_path_factory.mktemp("guarded")
    make_store(root / "store", {G1: DOC1, G2: DOC2})
    srv = Server(root / "store", root / "uvicorn.log", CLAIMGRAPH_QUERY_TIMEOUT_S="30", CLAIMGRAPH_QUERY_WORKERS="4")
    yield srv
    srv.stop()


def post_query(client: httpx.Client, server: Server, query: str) -> httpx.Response:
    return client.post(server.url, content=query.encode("utf-8"),
                       headers={"Content-Type": "application/sparql-query", "Accept": "application/sparql-results+json"})


# ----------------------------------------------------------------------------- deep and long queries


def test_the_10kb_nested_filter_gets_400_and_the_server_goes_on(guarded):
    with client_from("127.0.0.2") as c:
        r = post_query(c, guarded, nested_filter_10kb())
    assert r.status_code == 400 and "CLAIMGRAPH_QUERY_MAX_NESTING" in r.text, r.text
    still_serves(guarded)


def test_no_deep_or_long_query_stops_the_server(guarded):
    """Every shape at 20,000 (each 400 by a limit, or answered), the flat ones near the size limit,
    and texts up to the body limit: every request gets an answer or a 400."""
    before = worker_pids(guarded)
    queries = {f"{name}/20000": SHAPES[name](20_000) for name in SHAPES}
    for name in ("filter_in_list", "values_rows", "filter_concat_args", "order_by_long"):
        n = 20_000
        while len(SHAPES[name](n * 2)) < 1_000_000:
            n *= 2
        queries[f"{name}/{n}"] = SHAPES[name](n)
    queries["2 MB"] = "SELECT * WHERE { ?s ?p ?o } #" + "x" * 2_000_000
    queries["49 MB"] = "ASK {}" + " " * 49_000_000  # just under the 50 MB body limit
    statuses = {}
    with client_from("127.0.0.2") as c:
        for label, query in queries.items():
            r = post_query(c, guarded, query)
            statuses[label] = r.status_code
            assert r.status_code in (200, 400), (label, r.status_code, r.text[:300])
            if r.status_code == 400:
                assert any(w in r.text for w in ("too complex", "overflowed", "syntax")), (label, r.text[:300])
    assert statuses["2 MB"] == statuses["49 MB"] == 400
    assert sum(s == 400 for s in statuses.values()) >= 38, statuses
    still_serves(guarded)
    wait_until(lambda: len(worker_pids(guarded)) >= len(before), "a full pool (a crash was replaced)")


def test_a_query_that_crashes_its_worker_gets_400_and_costs_only_that_worker(tmp_path):
    """With the limits raised out of the way, a 300,000-deep FILTER overflows even a worker's
    256 MB stack: the worker dies (SIGSEGV), the client gets 400 saying so, a spare takes over."""
    make_store(tmp_path / "store", {G1: DOC1, G2: DOC2})
    srv = Server(tmp_path / "store", tmp_path / "uvicorn.log", CLAIMGRAPH_QUERY_MAX_CHARS="10000000",
                 CLAIMGRAPH_QUERY_MAX_NESTING="100000000")
    try:
        before = worker_pids(srv)
        with client_from("127.0.0.2") as c:
            r = post_query(c, srv, SHAPES["filter_parens"](300_000))
        assert r.status_code == 400 and "overflowed" in r.text and "SIGSEGV" in r.text, r.text
        still_serves(srv)
        after = wait_until(lambda: (lambda now: now if len(now) == len(before) and now != before else None)(
            worker_pids(srv)), "the crashed worker replaced")
        assert len(before - after) == 1
    finally:
        srv.stop()


# ----------------------------------------------------------------------------- deadlines, memory, disconnects


def test_the_deadline_stops_the_query_by_replacing_its_worker(tmp_path):
    make_store(tmp_path / "store", {G1: DOC1, G2: DOC2})
    srv = Server(tmp_path / "store", tmp_path / "uvicorn.log", CLAIMGRAPH_QUERY_TIMEOUT_S="1")
    try:
        before = worker_pids(srv)
        with client_from("127.0.0.2") as c:
            r = post_query(c, srv, RUNAWAY)
        assert r.status_code == 503 and "1 s limit" in r.text and "stopped" in r.text, r.text
        assert r.headers["retry-after"]
        after = wait_until(lambda: (lambda now: now if len(now) == len(before) else None)(worker_pids(srv)),
                           "a full pool again")
        assert len(before - after) == 1, "exactly the runaway's worker was killed"
        still_serves(srv)
    finally:
        srv.stop()


def test_a_query_past_the_memory_cap_gets_400(tmp_path):
    make_store(tmp_path / "store", {G1: DOC1, G2: DOC2})
    srv = Server(tmp_path / "store", tmp_path / "uvicorn.log", CLAIMGRAPH_QUERY_WORKER_MEMORY_MB="150")
    values = " ".join(str(i) for i in range(400))
    sort_everything = (f"SELECT * WHERE {{ VALUES ?a {{ {values} }} VALUES ?b {{ {values} }} "
                       f"VALUES ?c {{ {values} }} }} ORDER BY DESC(?c) ?b")
    try:
        with client_from("127.0.0.2") as c:
            r = post_query(c, srv, sort_everything)
        assert r.status_code == 400 and "150 MB" in r.text and "CLAIMGRAPH_QUERY_WORKER_MEMORY_MB" in r.text, r.text
        still_serves(srv)
    finally:
        srv.stop()


def test_a_client_that_goes_away_has_its_query_stopped(guarded):
    before = worker_pids(guarded)
    done = threading.Event()

    def run_away():
        try:
            with client_from("127.0.0.3", timeout=2) as c:  # gives up after 2 s, closing the connection
                post_query(c, guarded, RUNAWAY)
        except httpx.TimeoutException:
            pass
        done.set()

    threading.Thread(target=run_away, daemon=True).start()
    assert done.wait(HANG_S)
    wait_until(lambda: before - worker_pids(guarded), "the abandoned query's worker killed")
    still_serves(guarded)


# ----------------------------------------------------------------------------- fair share


def test_runaways_from_one_address_leave_room_for_everyone_else(guarded):
    """Twelve runaway queries at once from 127.0.0.2: three run, eight wait, the twelfth gets 429;
    meanwhile 127.0.0.1's queries, a linked-data page and /healthz answer."""
    statuses: list[int] = []
    stop = threading.Event()
    clients = [client_from("127.0.0.2") for _ in range(12)]

    def run_away(c: httpx.Client):
        try:
            statuses.append(post_query(c, guarded, RUNAWAY).status_code)
        except httpx.HTTPError:
            if not stop.is_set():
                raise

    threads = [threading.Thread(target=run_away, args=(c,), daemon=True) for c in clients]
    for t in threads:
        t.start()
    try:
        wait_until(lambda: 429 in statuses, "the twelfth runaway refused with 429")
        time.sleep(1.5)  # the runaways' address is heavy by now
        with httpx.Client(timeout=HANG_S) as c:
            for _ in range(10):
                assert names_of(c.get(guarded.url, params={"query": NAMES})) == ["Alice", "Bob"]
            page = c.get(guarded.base + "/id/anything", headers={"Accept": "text/html"})
            assert page.status_code in (200, 404), page.text[:200]  # answered, found or not
            assert c.get(guarded.base + "/healthz").json()["status"] == "ok"
        assert statuses.count(429) == 1 and len(statuses) == 1, statuses  # the others are still running or waiting
    finally:
        stop.set()
        for c in clients:
            c.close()  # they go away: their queries are stopped
    wait_until(lambda: len(worker_pids(guarded)) >= 4, "a full pool again")
    still_serves(guarded)


def test_runaways_from_many_addresses_leave_the_reserve_to_proven_clients(guarded):
    """Six new addresses send a runaway each: they get three of the four workers, the fourth is
    kept for clients answered before. When a proven client's own query turns long in that reserve,
    the next proven client's query stops the longest runaway (503) and runs."""
    outcomes: dict[str, tuple[int, str]] = {}
    addresses = [f"127.0.0.{i}" for i in range(10, 16)]
    clients = {a: client_from(a) for a in [*addresses, "127.0.0.20"]}

    def run_away(address: str):
        try:
            r = post_query(clients[address], guarded, RUNAWAY)
            outcomes[address] = (r.status_code, r.text)
        except httpx.HTTPError:
            pass

    assert names_of(clients["127.0.0.20"].get(guarded.url, params={"query": NAMES})) == ["Alice", "Bob"]
    for address in addresses:
        threading.Thread(target=run_away, args=(address,), daemon=True).start()
    try:
        time.sleep(1.5)
        with httpx.Client(timeout=HANG_S) as c:
            assert names_of(c.get(guarded.url, params={"query": NAMES})) == ["Alice", "Bob"]
            assert not outcomes  # the runaways run or wait
            threading.Thread(target=run_away, args=("127.0.0.20",), daemon=True).start()  # into the reserve
            time.sleep(1.5)
            assert names_of(c.get(guarded.url, params={"query": NAMES})) == ["Alice", "Bob"]
        stopped = wait_until(lambda: [t for s, t in outcomes.values() if s == 503], "a runaway stopped")
        assert "let other clients' queries run" in stopped[0], stopped
    finally:
        for c in clients.values():
            c.close()
    still_serves(guarded)


# ----------------------------------------------------------------------------- writes


@pytest.fixture(scope="module")
def writable(tmp_path_factory):
    root = tmp_path_factory.mktemp("writable")
    make_store(root / "store", {G1: DOC1, G2: DOC2})
    srv = Server(root / "store", root / "uvicorn.log", CLAIMGRAPH_WRITE_TOKEN=TOKEN,
                 CLAIMGRAPH_UPDATE_TIMEOUT_S="0.5")
    yield srv
    srv.stop()


def test_each_write_is_read_at_once_through_the_workers(writable):
    auth = {"Authorization": f"Bearer {TOKEN}"}
    with httpx.Client(timeout=HANG_S) as c:
        for i in range(12):
            graph = f"http://example.org/graph/ryw{i % 3}"
            r = c.put(writable.base + "/store", params={"graph": graph}, headers={**auth,
                      "Content-Type": "application/n-triples"},
                      content=f'<http://example.org/s> <http://example.org/v> "{i}" .\n'.encode())
            assert r.status_code in (201, 204), r.text
            r = c.get(writable.url, params={"query": f"SELECT ?v WHERE {{ GRAPH <{graph}> {{ ?s ?p ?v }} }}"},
                      headers={"Accept": "application/sparql-results+json"})
            assert [b["v"]["value"] for b in r.json()["results"]["bindings"]] == [str(i)]
        time.sleep(1.5)  # quiet: idle workers reopen their snapshots on their own now
        for _ in range(8):
            r = c.get(writable.url, params={"query": "SELECT ?v WHERE { GRAPH <http://example.org/graph/ryw2> "
                                                     "{ ?s ?p ?v } }"}, headers={"Accept": "application/sparql-results+json"})
            assert [b["v"]["value"] for b in r.json()["results"]["bindings"]] == ["11"]


def test_updates_get_the_limits_and_a_time_limit(writable):
    auth = {"Authorization": f"Bearer {TOKEN}", "Content-Type": "application/sparql-update"}
    with httpx.Client(timeout=HANG_S) as c:
        count = lambda: int(c.get(writable.url, params={"query": COUNT_ALL},  # noqa: E731
                                  headers={"Accept": "application/sparql-results+json"}
                                  ).json()["results"]["bindings"][0]["n"]["value"])
        before = count()
        deep = "INSERT { <http://e/s> <http://e/p> 1 } WHERE { FILTER(" + "(" * 5000 + "true" + ")" * 5000 + ") }"
        r = c.post(writable.url, content=deep.encode(), headers=auth)
        assert r.status_code == 400 and "update is too complex" in r.text and "NESTING" in r.text, r.text
        values = " ".join(str(i) for i in range(300))
        slow = (f"DELETE {{ ?s ?p ?o }} WHERE {{ VALUES ?a {{ {values} }} VALUES ?b {{ {values} }} "
                f"VALUES ?c {{ {values} }} FILTER(?a + ?b + ?c < 0) ?s ?p ?o }}")
        r = c.post(writable.url, content=slow.encode(), headers=auth)
        assert r.status_code == 503 and "0.5 s limit" in r.text and "whole or not at all" in r.text, r.text
        wait_until(lambda: c.post(writable.url, content=b"INSERT DATA { }", headers=auth).status_code == 204,
                   "the slow update finished, writes go on")
        assert count() == before  # it matched nothing: nothing was deleted


# ----------------------------------------------------------------------------- the OpenAPI description


def test_openapi_describes_every_parameter_and_body(guarded):
    spec = httpx.get(guarded.base + "/openapi.json", timeout=HANG_S).json()
    paths = spec["paths"]
    get, post = paths["/sparql"]["get"], paths["/sparql"]["post"]
    assert {"query", "default-graph-uri", "named-graph-uri", "format"} <= {p["name"] for p in get["parameters"]}
    assert {"using-graph-uri", "using-named-graph-uri"} <= {p["name"] for p in post["parameters"]}
    assert set(post["requestBody"]["content"]) == {"application/x-www-form-urlencoded", "application/sparql-query",
                                                   "application/sparql-update"}
    assert {"graph", "default"} <= {p["name"] for p in paths["/store"]["put"]["parameters"]}
    assert "text/turtle" in paths["/store"]["put"]["requestBody"]["content"]
    assert "requestBody" not in paths["/store"]["get"]
    assert "format" in {p["name"] for p in paths["/.well-known/void"]["get"]["parameters"]}
    for path, operations in paths.items():  # every {template} parameter is declared (OpenAPI requires it)
        for template in re.findall(r"{([^}]+)}", path):
            for method, operation in operations.items():
                declared = {(p["name"], p["in"]) for p in operation.get("parameters", [])}
                assert (template, "path") in declared, (method, path)
    assert json.dumps(spec)
