#!/usr/bin/env python3
"""Load rate and query rate of each store backend, with the shared load tool, on one dataset.

    .venv/bin/python benchmarks/backends_bench.py --articles 10000 [--targets ...] [--duration 20]

Runs ../shared/tools/sparql_load_bench.py (its deterministic news dataset, about 75 triples
per article: 10,000 articles = 751,512 triples, 100,000 = 7.5M; its six queries from 1 and
from --concurrency clients) against each target:

  embedded-api     our API over the embedded store, loaded through our Graph Store (POST ?default)
  oxigraph-server  Oxigraph's server itself (the tool's --peer: `oxigraph load`, then `oxigraph serve`)
  oxigraph-api     our API over Oxigraph's server (empty, no --union-default-graph), loaded through
                   our Graph Store, which POSTs to the server's
  virtuoso         Virtuoso itself (fresh database), loaded with its bulk loader
                   (`ld_dir` + `rdf_loader_run` + `checkpoint`, timed here)
  virtuoso-api     our API over another fresh Virtuoso, loaded through our Graph Store (Virtuoso's
                   Graph Store with Digest auth, in POSTs of 100,000 triples)

and prints one table: load seconds and triples/s, queries/s from 1 and N clients, the worst
p50/p99 of the six queries, and whether the answers' row counts match pyoxigraph's. The
machine is shared: compare the rows of one run, as ratios. Every server started here binds
127.0.0.1 and is stopped by its PID (on SIGTERM too); the tool's JSON reports stay in --workdir.

Known: the `virtuoso` target does not finish. The tool POSTs its queries as
`application/sparql-query` bodies, and Virtuoso 7.2.5 never answers those (a form POST of the
same query answers in 0.3 s), so each request waits out --timeout. Our API always sends form
POSTs, so `virtuoso-api` is not affected. The README's sizing section has the figures.
"""
from __future__ import annotations

import argparse
import json
import os
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import httpx

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "scripts"))
from virtuoso_config import sql_statements, virtuoso_ini  # noqa: E402  (the tests' config, sized here)

ROOT = Path(__file__).resolve().parents[1]
TOOL = ROOT.parent / "shared" / "tools" / "sparql_load_bench.py"
BIN = Path(sys.executable).parent
TARGETS = ["embedded-api", "oxigraph-server", "oxigraph-api", "virtuoso", "virtuoso-api"]
TOKEN = "bench-" + secrets.token_hex(8)

def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_http(url: str, proc: subprocess.Popen, log: Path, timeout: float = 300, post: bool = False) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"{proc.args[0]} exited: {log.read_text(errors='replace')[-2000:]}")
        try:
            r = (httpx.post(url, data={"query": "ASK {}"}, timeout=5) if post else httpx.get(url, timeout=5))
            if r.status_code == 200:
                return
        except httpx.HTTPError:
            pass
        time.sleep(0.5)
    raise RuntimeError(f"{url} did not answer in {timeout:.0f} s")


def stop(proc: subprocess.Popen | None) -> None:
    if proc is not None and proc.poll() is None:
        proc.terminate()
        try:
            proc.wait(60)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()


class Virtuoso:
    """A fresh Virtuoso database in `folder`, set up as ClaimGraph needs it (scripts/virtuoso-init.sql,
    a writing user)."""

    def __init__(self, folder: Path, data_dir: Path, buffers: int):
        self.folder = folder
        folder.mkdir(parents=True, exist_ok=True)
        (folder / "www").mkdir(exist_ok=True)
        self.sql_port, self.http_port = free_port(), free_port()
        (folder / "virtuoso.ini").write_text(virtuoso_ini(  # the tests' template, sized for loading
            folder, self.sql_port, self.http_port, checkpoint_remap=200000, threads=20, buffers=buffers,
            dirty=buffers * 3 // 4, query_mem="1G", dirs_allowed=f"., {data_dir}", http_threads=20, keep_alives=20,
            max_rows=1000000, max_seconds=0, max_cost_seconds=0))
        self.log = folder / "virtuoso.out"
        self.proc = subprocess.Popen(["virtuoso-t", "+foreground", "+configfile", str(folder / "virtuoso.ini")],
                                     cwd=folder, stdout=open(self.log, "wb"), stderr=subprocess.STDOUT)
        self.base = f"http://127.0.0.1:{self.http_port}"
        wait_http(self.base + "/sparql", self.proc, self.log, post=True)
        self.user, self.password = "claimgraph", "p" + secrets.token_hex(12)
        self.isql(f"DB.DBA.USER_CREATE('{self.user}', '{self.password}'); GRANT SPARQL_UPDATE TO \"{self.user}\"; "
                  f"DB.DBA.RDF_DEFAULT_USER_PERMS_SET('{self.user}', 7);\n" + sql_statements())

    def isql(self, sql: str, timeout: float = 7200) -> str:
        r = subprocess.run(["isql-vt", f"127.0.0.1:{self.sql_port}", "dba", "dba", f"exec={sql}"],
                           capture_output=True, text=True, timeout=timeout)
        if r.returncode != 0 or "*** Error" in r.stdout + r.stderr:
            raise RuntimeError(f"isql-vt: {sql[:200]}: {r.stdout[-2000:]} {r.stderr[-2000:]}")
        return r.stdout

    def bulk_load(self, data: Path, graph: str) -> float:
        t0 = time.perf_counter()
        self.isql(f"ld_dir('{data.parent}', '{data.name}', '{graph}');")
        self.isql("rdf_loader_run();")
        self.isql("checkpoint;")
        return time.perf_counter() - t0

    def store_env(self) -> dict[str, str]:
        return {"CLAIMGRAPH_SPARQL_URL": self.base + "/sparql", "CLAIMGRAPH_UPDATE_URL": self.base + "/sparql-auth",
                "CLAIMGRAPH_GSP_URL": self.base + "/sparql-graph-crud-auth", "CLAIMGRAPH_STORE_AUTH": "digest",
                "CLAIMGRAPH_STORE_USER": self.user, "CLAIMGRAPH_STORE_PASSWORD": self.password}

    def stop(self) -> None:
        if self.proc.poll() is None:
            try:
                self.isql("shutdown;", timeout=300)
                self.proc.wait(120)
            except (RuntimeError, subprocess.SubprocessError):
                pass
        stop(self.proc)


def start_api(env_extra: dict[str, str], store: Path, log: Path) -> tuple[subprocess.Popen, str]:
    port = free_port()
    env = {**os.environ, "CLAIMGRAPH_STORE": str(store), "CLAIMGRAPH_WRITE_TOKEN": TOKEN,
           "CLAIMGRAPH_QUERY_TIMEOUT_S": "120", "CLAIMGRAPH_UPDATE_TIMEOUT_S": "7200",
           "CLAIMGRAPH_MAX_BODY_BYTES": str(4 * 10**9), "CLAIMGRAPH_STORE_TIMEOUT_S": "3600", **env_extra}
    proc = subprocess.Popen([str(BIN / "claimgraph"), "serve", "--host", "127.0.0.1", "--port", str(port)], env=env,
                            cwd=ROOT, stdout=open(log, "wb"), stderr=subprocess.STDOUT)
    base = f"http://127.0.0.1:{port}"
    wait_http(base + "/healthz", proc, log, timeout=120)
    return proc, base


def run_tool(args, name: str, data: Path, out: Path, *extra: str, baseline: bool) -> dict:
    cmd = [sys.executable, str(TOOL), "--articles", str(args.articles), "--data", str(data), "--workdir",
           str(args.workdir / name), "--out", str(out), "--duration", str(args.duration), "--concurrency",
           str(args.concurrency), "--timeout", "600", *extra]
    if not baseline:
        cmd.append("--no-baseline")
    print(f"[{name}] {' '.join(c if TOKEN not in c else 'x:TOKEN' for c in cmd[2:])}", file=sys.stderr, flush=True)
    proc = subprocess.run(cmd, capture_output=True, text=True, timeout=4 * 3600)
    (args.workdir / f"{name}.txt").write_text(proc.stdout + proc.stderr)
    if proc.returncode != 0:
        raise RuntimeError(f"{name}: the tool failed:\n{proc.stdout[-3000:]}\n{proc.stderr[-3000:]}")
    return json.loads(out.read_text())


def bench_target(args, name: str, data: Path) -> dict:
    out = args.workdir / f"{name}.json"
    folder = args.workdir / f"{name}-state"
    shutil.rmtree(folder, ignore_errors=True)
    folder.mkdir(parents=True)
    baseline = args.baseline == name
    if name == "oxigraph-server":
        return run_tool(args, name, data, out, "--peer", "oxigraph-server", baseline=baseline)
    api_args = ["--gsp-url", "", "--auth", f"x:{TOKEN}"]
    server_proc, virtuoso, api = None, None, None
    try:
        if name == "embedded-api":
            env = {}
        elif name == "oxigraph-api":
            port = free_port()
            log = folder / "oxigraph.log"
            server_proc = subprocess.Popen([str(BIN / "oxigraph"), "serve", "--location", str(folder / "data"),
                                            "--bind", f"127.0.0.1:{port}"], stdout=open(log, "wb"),
                                           stderr=subprocess.STDOUT)
            base = f"http://127.0.0.1:{port}"
            wait_http(base + "/query", server_proc, log, post=True)
            env = {"CLAIMGRAPH_SPARQL_URL": base + "/query", "CLAIMGRAPH_UPDATE_URL": base + "/update",
                   "CLAIMGRAPH_GSP_URL": base + "/store"}
        else:
            virtuoso = Virtuoso(folder / "virtuoso", data.parent, args.virtuoso_buffers)
            if name == "virtuoso":
                seconds = virtuoso.bulk_load(data, "urn:claimgraph:bench")
                report = run_tool(args, name, data, out, "--url", virtuoso.base + "/sparql", "--preloaded",
                                  baseline=baseline)
                report["target"]["load"] = {"method": "Virtuoso bulk loader (ld_dir + rdf_loader_run + checkpoint)",
                                            "seconds": round(seconds, 3),
                                            "triples_per_s": round(report["dataset"]["triples"] / seconds)}
                out.write_text(json.dumps(report, indent=2))
                return report
            env = virtuoso.store_env()
        api, base = start_api(env, folder / "store", folder / "api.log")
        api_args[1] = base + "/store"
        return run_tool(args, name, data, out, "--url", base + "/sparql", *api_args, baseline=baseline)
    finally:
        stop(api)
        stop(server_proc)
        if virtuoso is not None:
            virtuoso.stop()


def summary_row(name: str, report: dict, reference: dict[str, int]) -> dict:
    """One row of the table. A target run without the in-process baseline is checked against
    `reference`, the row counts pyoxigraph gave in the run that had it (empty: not checked)."""
    load = report.get("target", {}).get("load", {})
    http, unl = report.get("http", {}), report.get("http_unloaded", {})
    per = http.get("per_query", {})
    checks = report.get("correctness") or {}
    bad = [k for k, v in checks.items() if v.get("match") is False or isinstance(v.get("rows_target"), str)
           or (v.get("match") is None and k in reference and v.get("rows_target") != reference[k])]
    checked = any(v.get("match") is not None or k in reference for k, v in checks.items())
    return {"target": name, "load_s": load.get("seconds"), "load_tps": load.get("triples_per_s"),
            "qps_1": unl.get("qps"), "qps_n": http.get("qps"), "errors": http.get("errors"),
            "p50_max": max((q["p50_ms"] for q in per.values()), default=None),
            "p99_max": max((q["p99_ms"] for q in per.values()), default=None),
            "answers": ("MISMATCH " + ",".join(bad)) if bad else ("match" if checked else "not checked")}


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--articles", type=int, default=10000)
    ap.add_argument("--targets", default=",".join(TARGETS), help="comma list of: " + ", ".join(TARGETS))
    ap.add_argument("--duration", type=float, default=20.0, help="seconds of each query mix")
    ap.add_argument("--concurrency", type=int, default=8)
    ap.add_argument("--baseline", default="embedded-api",
                    help="the target whose run also measures pyoxigraph in-process (the limit)")
    ap.add_argument("--virtuoso-buffers", type=int, default=170000, help="Virtuoso's NumberOfBuffers (8 KB each)")
    ap.add_argument("--workdir", type=Path, help="where data, servers and reports go (default: a temp folder)")
    args = ap.parse_args()
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))  # run the finally blocks: servers stopped
    if not TOOL.exists():
        raise SystemExit(f"{TOOL} not found (../shared beside the checkout)")
    args.workdir = args.workdir or Path(tempfile.mkdtemp(prefix="backends-bench-"))
    args.workdir.mkdir(parents=True, exist_ok=True)
    data = args.workdir / f"news-{args.articles}.nt"
    if not data.exists():
        subprocess.run([sys.executable, str(TOOL), "--generate-only", str(data), "--articles", str(args.articles)],
                       check=True, capture_output=True)
    print(f"workdir {args.workdir}; load average {os.getloadavg()[0]:.1f} on {os.cpu_count()} cores",
          file=sys.stderr)
    rows, reference = [], {}
    names = args.targets.split(",")
    for name in sorted(names, key=lambda n: n != args.baseline):  # the baseline's run first: its counts check the rest
        report = bench_target(args, name, data)
        reference = reference or {k: v["rows_pyoxigraph"] for k, v in (report.get("correctness") or {}).items()
                                  if isinstance(v.get("rows_pyoxigraph"), int)}
        rows.append(summary_row(name, report, reference))
        triples = report["dataset"]["triples"]
        print(json.dumps(rows[-1]), file=sys.stderr, flush=True)
    print(f"\n{args.articles} articles, {triples:,} triples; {args.concurrency} clients, {args.duration:g} s mixes; "
          f"load average at the end {os.getloadavg()[0]:.1f} on {os.cpu_count()} cores")
    print(f"{'target':<17}{'load s':>9}{'triples/s':>11}{'q/s 1':>8}{'q/s N':>8}{'err':>5}{'p50 max':>9}"
          f"{'p99 max':>9}  answers")
    for r in rows:
        def f(x, fmt):
            return format(x, fmt) if isinstance(x, (int, float)) else "-"
        print(f"{r['target']:<17}{f(r['load_s'], '9.1f')}{f(r['load_tps'], '11,d')}{f(r['qps_1'], '8.1f')}"
              f"{f(r['qps_n'], '8.1f')}{f(r['errors'], '5d')}{f(r['p50_max'], '9.1f')}{f(r['p99_max'], '9.1f')}"
              f"  {r['answers']}")
    (args.workdir / "summary.json").write_text(json.dumps(rows, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
