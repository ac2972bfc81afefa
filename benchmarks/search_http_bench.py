#!/usr/bin/env python3
"""Search where users are, at 10,000 generated articles: `/search` over HTTP beside the same
question as SPARQL `CONTAINS` through `/sparql`, text search inside SPARQL, and why a search
block is rewritten into VALUES rather than answered by a SERVICE endpoint.

    .venv/bin/python benchmarks/search_http_bench.py [--articles 10000] [--reps 200] [--sparql-reps 10]

1. generates --articles documents (benchmarks/search_bench.py's generator: ClaimGraph's
   vocabulary, one named graph each) and bulk-loads them into a store folder;
2. builds the index beside it as `claimgraph reindex` does (`search.reindex` over the
   store), then times a second `reindex` that finds nothing to rewrite: the check of every
   graph that a start after a kill -9, or an update naming no graph, costs;
3. starts the real server (`claimgraph serve`) on a free port of 127.0.0.1 and asks, one
   client, keep-alive, for each kind of question (term, common word, phrase, prefix, claims
   about a state in a date range): `GET /search` (JSON: ranked top 10, total, snippets)
   --reps times, and the same question as SPARQL through `/sparql` --sparql-reps times:
   the first 10 matches (`LIMIT 10`, unranked) and all matches (`COUNT`, what ranking and a
   total need); then a text match joined with the graph (claims about a state) as a search
   block (`SERVICE cg:search`) and as `CONTAINS`, both through `/sparql`;
4. stops the server and compares, in one process on the same read-only store, the rewrite
   (`rewrite_search_blocks` + evaluation) with a SERVICE call pyoxigraph makes to a small
   SPARQL-protocol endpoint answering the same hits from the same index.

Prints p50/p99 in ms; writes report.json in the work folder. The machine is shared:
compare the columns of one run, as ratios.
"""
from __future__ import annotations

import argparse
import json
import os
import re
import shutil
import socket
import subprocess
import sys
import tempfile
import threading
import time
import urllib.parse
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import httpx
import pyoxigraph as ox

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "src"))
sys.path.insert(0, str(Path(__file__).resolve().parent))

from claimgraph.api.sparql_search import rewrite_search_blocks  # noqa: E402
from claimgraph.search import Kind, SearchIndex, SearchRequest, reindex  # noqa: E402
from claimgraph.stores import OxigraphStore  # noqa: E402
from search_bench import BASE, QueryMaker, generate, pct, sparql_query  # noqa: E402

CG = "https://w3id.org/claimgraph/ontology#"
KINDS = ["term", "common", "phrase", "prefix", "filtered"]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def timed(fn, reps: int) -> dict:
    lat = []
    for _ in range(reps):
        t0 = time.perf_counter()
        fn()
        lat.append((time.perf_counter() - t0) * 1000)
    return {"p50_ms": round(pct(lat, 50), 2), "p99_ms": round(pct(lat, 99), 2), "n": reps}


def search_params(spec: dict) -> dict:
    """The spec as /search parameters (the same request search_bench gives SearchIndex)."""
    if "phrase" in spec:
        return {"q": f'"{spec["phrase"]}"'}
    if "prefix" in spec:
        return {"q": spec["prefix"] + "*"}
    if "state" in spec:
        return {"q": spec["q"], "type": "claim", "state": spec["state"], "from": spec["from"], "to": spec["to"]}
    return {"q": spec["q"]}


JOIN_BLOCK = """PREFIX schema: <http://schema.org/> PREFIX cg: <{cg}>
SELECT ?c ?score WHERE {{
  SERVICE cg:search {{ ?c cg:matches "{word}" ; cg:type "claim" ; cg:score ?score }}
  ?c schema:about <{state}> }} ORDER BY DESC(?score) LIMIT 10"""
JOIN_CONTAINS = """PREFIX schema: <http://schema.org/>
SELECT DISTINCT ?c WHERE {{ ?c a schema:Claim ; schema:text ?t ; schema:about <{state}>
  FILTER(CONTAINS(LCASE(?t), "{word}")) }} LIMIT 10"""
JOIN_SERVICE = """PREFIX schema: <http://schema.org/> PREFIX cg: <{cg}>
SELECT ?c ?score WHERE {{
  SERVICE <{endpoint}> {{ ?c cg:matches "{word}" ; cg:score ?score }}
  ?c schema:about <{state}> }} ORDER BY DESC(?score) LIMIT 10"""


def sparql_endpoint_stub(index: SearchIndex, limit: int):
    """A SPARQL-protocol endpoint answering `?c cg:matches "w" ; cg:score ?s` from the index:
    what a SERVICE-based design would put behind the search IRI (enough for this measurement)."""

    class Handler(BaseHTTPRequestHandler):
        def _answer(self, query: str) -> None:
            word = re.search(r'matches>?\s*"([^"]*)"', query).group(1)
            rows = index.ranked(SearchRequest(word, kinds=(Kind.CLAIM,)), limit)
            variables = re.findall(r"\?(\w+)", query.split("WHERE", 1)[1]) if "WHERE" in query else ["c", "score"]
            hit, score = variables[0], next((v for v in variables[1:] if v != variables[0]), "score")
            body = json.dumps({"head": {"vars": [hit, score]}, "results": {"bindings": [
                {hit: {"type": "uri", "value": iri},
                 score: {"type": "literal", "value": repr(s), "datatype": "http://www.w3.org/2001/XMLSchema#double"}}
                for iri, s, _ in rows]}}).encode()
            self.send_response(200)
            self.send_header("Content-Type", "application/sparql-results+json")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def do_GET(self):
            self._answer(urllib.parse.parse_qs(urllib.parse.urlsplit(self.path).query)["query"][0])

        def do_POST(self):
            raw = self.rfile.read(int(self.headers["Content-Length"])).decode()
            ctype = self.headers.get("Content-Type", "")
            self._answer(urllib.parse.parse_qs(raw)["query"][0] if "form" in ctype else raw)

        def log_message(self, *args):
            pass

    server = ThreadingHTTPServer(("127.0.0.1", free_port()), Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--articles", type=int, default=10000)
    ap.add_argument("--reps", type=int, default=200, help="/search requests per kind of question")
    ap.add_argument("--sparql-reps", type=int, default=10, help="SPARQL CONTAINS requests per kind")
    ap.add_argument("--workdir", type=Path)
    args = ap.parse_args()
    work = args.workdir or Path(tempfile.mkdtemp(prefix="search-http-bench-"))
    shutil.rmtree(work, ignore_errors=True)
    work.mkdir(parents=True)
    store_dir, index_dir = work / "store", work / "store.search"
    report: dict = {"articles": args.articles, "workdir": str(work)}
    print(f"workdir {work}", file=sys.stderr)

    # 1. generate and load
    nquads = "".join(nt.replace(" .\n", f" <{g}> .\n") for g, nt in generate(args.articles))
    raw = ox.Store(str(store_dir))
    t0 = time.perf_counter()
    raw.bulk_load(nquads.encode(), format=ox.RdfFormat.N_QUADS)
    raw.flush()
    report["store"] = {"triples": len(raw), "load_s": round(time.perf_counter() - t0, 1)}
    del raw, nquads

    # 2. the index, as `claimgraph reindex` builds it; then a check of every graph
    with OxigraphStore(store_dir, read_only=True) as store, SearchIndex(index_dir) as index:
        t0 = time.perf_counter()
        built = reindex(store, index)
        report["reindex"] = {"build_s": round(time.perf_counter() - t0, 1), "graphs": built.checked,
                             "entries": built.entries_written}
        t0 = time.perf_counter()
        again = reindex(store, index)
        report["reindex"]["check_all_s"] = round(time.perf_counter() - t0, 1)
        assert not again.rewritten
    print(f"  loaded and indexed: {report}", file=sys.stderr)

    # 3. the real server
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    env = {**os.environ, "CLAIMGRAPH_STORE": str(store_dir), "CLAIMGRAPH_QUERY_TIMEOUT_S": "120",
           "PREFECT_HOME": str(work / "prefect")}
    log = open(work / "server.log", "wb")
    server = subprocess.Popen([str(Path(sys.executable).parent / "claimgraph"), "serve", "--host", "127.0.0.1",
                               "--port", str(port), "--store", str(store_dir)], env=env, stdout=log,
                              stderr=subprocess.STDOUT)
    try:
        with httpx.Client(timeout=300) as client:
            deadline = time.monotonic() + 300
            while True:
                try:
                    if client.get(url + "/healthz").status_code == 200:
                        break
                except httpx.HTTPError:
                    pass
                if server.poll() is not None or time.monotonic() > deadline:
                    raise SystemExit(f"the server did not start: see {work / 'server.log'}")
                time.sleep(0.5)

            def get_search(params: dict) -> int:
                r = client.get(url + "/search", params=params, headers={"Accept": "application/json"})
                assert r.status_code == 200, r.text
                return r.json()["total"]

            def post_sparql(query: str) -> list:
                r = client.post(url + "/sparql", data={"query": query},
                                headers={"Accept": "application/sparql-results+json"})
                assert r.status_code == 200, r.text
                return r.json()["results"]["bindings"]

            report["http"] = {}
            for kind in KINDS:
                maker = QueryMaker(seed=sum(map(ord, kind)))
                specs = [maker.make(kind) for _ in range(args.reps)]
                row: dict = {}
                it, totals = iter(specs), []
                row["search"] = timed(lambda: totals.append(get_search(search_params(next(it)))), args.reps)
                row["search"]["mean_total"] = round(sum(totals) / len(totals), 1)
                for label, count in (("sparql_first10", False), ("sparql_all", True)):
                    it = iter(specs[:args.sparql_reps])
                    row[label] = timed(lambda: post_sparql(sparql_query(next(it), count)), args.sparql_reps)
                report["http"][kind] = row
                print(f"  /search and /sparql, {kind}: {row}", file=sys.stderr)

            maker = QueryMaker(seed=5)
            joins = [maker.make("filtered") for _ in range(args.reps)]

            def join_block(s: dict) -> list:
                return post_sparql(JOIN_BLOCK.format(cg=CG, word=s["q"], state=s["state"]))

            def join_contains(s: dict) -> list:
                return post_sparql(JOIN_CONTAINS.format(word=s["q"].lower(), state=s["state"]))

            it = iter(joins)
            block = timed(lambda: join_block(next(it)), args.reps)
            it = iter(joins[:args.sparql_reps])
            contains = timed(lambda: join_contains(next(it)), args.sparql_reps)
            report["join"] = {"search_block": block, "contains": contains}
    finally:
        server.terminate()
        server.wait(60)
        log.close()

    # 4. rewrite into VALUES vs a SERVICE call, same store, same index, same hits
    with OxigraphStore(store_dir, read_only=True) as store, SearchIndex(index_dir, read_only=True) as index:
        stub = sparql_endpoint_stub(index, 1000)
        endpoint = f"http://127.0.0.1:{stub.server_address[1]}/sparql"
        maker = QueryMaker(seed=9)
        specs = [maker.make("filtered") for _ in range(args.reps)]

        def by_rewrite(s):
            q = JOIN_BLOCK.format(cg=CG, word=s["q"], state=s["state"])
            return list(store.query(rewrite_search_blocks(q, index, default_hits=1000)))

        def by_service(s):
            return list(store.query(JOIN_SERVICE.format(cg=CG, endpoint=endpoint, word=s["q"], state=s["state"])))

        for s in specs[:5]:  # the same answers both ways
            assert [r["c"] for r in by_rewrite(s)] == [r["c"] for r in by_service(s)], s
        it = iter(specs)
        report["in_sparql"] = {"rewrite_values": timed(lambda: by_rewrite(next(it)), args.reps)}
        it = iter(specs)
        report["in_sparql"]["service_http"] = timed(lambda: by_service(next(it)), args.reps)
        stub.shutdown()

    (work / "report.json").write_text(json.dumps(report, indent=2))
    print_report(report)
    return 0


def print_report(r: dict) -> None:
    print(f"{r['articles']} articles, {r['store']['triples']} triples; index built from the store in "
          f"{r['reindex']['build_s']} s ({r['reindex']['entries']} entries); checking every graph again: "
          f"{r['reindex']['check_all_s']} s")
    print(f"\n{'over HTTP, ms (p50 / p99)':26}{'/search':>20}{'/sparql first 10':>20}{'/sparql all':>20}"
          f"{'hits (mean)':>14}")
    for kind, row in r["http"].items():
        print(f"{kind:26}" + "".join(f"{row[c]['p50_ms']:>10.1f} /{row[c]['p99_ms']:>8.1f}"
                                     for c in ("search", "sparql_first10", "sparql_all"))
              + f"{row['search']['mean_total']:>14}")
    j = r["join"]
    print(f"\n{'claims about a state':26}{'search block':>20}{'CONTAINS':>20}")
    print(f"{'(through /sparql, top 10)':26}{j['search_block']['p50_ms']:>10.1f} /{j['search_block']['p99_ms']:>8.1f}"
          f"{j['contains']['p50_ms']:>10.1f} /{j['contains']['p99_ms']:>8.1f}")
    s = r["in_sparql"]
    print(f"\n{'search in SPARQL, in process':26}{'rewrite to VALUES':>20}{'SERVICE over HTTP':>20}")
    print(f"{'(same store, index, hits)':26}{s['rewrite_values']['p50_ms']:>10.1f} /{s['rewrite_values']['p99_ms']:>8.1f}"
          f"{s['service_http']['p50_ms']:>10.1f} /{s['service_http']['p99_ms']:>8.1f}")


if __name__ == "__main__":
    sys.exit(main())
