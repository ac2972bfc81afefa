#!/usr/bin/env python3
"""Our SPARQL endpoint beside Oxigraph's own server, on the same data and query mix.

    .venv/bin/python benchmarks/endpoint_bench.py [--articles 10000] [--duration 20]

1. generates the load tool's deterministic news dataset (../shared/tools/sparql_load_bench.py,
   about 75 triples per article) as N-Triples;
2. bulk-loads it into a fresh ClaimGraph store (one named graph; queries see the union);
3. starts our server over that store, exactly as deployed (uvicorn, the app factory,
   settings from CLAIMGRAPH_* variables), and runs the tool against it (`--url --preloaded`):
   one client, then --concurrency clients, the same six queries;
4. runs the tool's `--peer oxigraph-server` on the same dataset (`oxigraph load` into its default
   graph + `oxigraph serve`, from the `oxigraph` PyPI package);
5. runs Oxigraph's server once more over *our* store with `--union-default-graph`: the same
   store and the same query semantics as ours (the union default graph costs the engine
   itself 20-35% on these queries, in-process);
6. prints throughput (1 and N clients) and p50/p99 per query, ours beside Oxigraph's, server CPU
   per request (ours: the API process and its query workers), and the targets of DESIGN.md: at N
   clients ours >= 0.9x Oxigraph's default-graph server and >= 1.0x its union-default-graph
   server, worst p99 ratio <= 1.5x.

The machine is shared: run it when nothing else is busy (see `uptime`), and compare the
columns of one run, as ratios.

Everything binds 127.0.0.1; every process started here is stopped by its PID.
The JSON reports of both runs are kept in --workdir (default: a temp folder, printed).
"""
from __future__ import annotations

import argparse
import json
import os
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import httpx

ROOT = Path(__file__).resolve().parents[1]
TOOL = ROOT.parent / "shared" / "tools" / "sparql_load_bench.py"
GRAPH = "http://example.org/news/graph/all"
TARGETS = {"oxigraph": 0.9, "ox-union": 1.0}  # DESIGN.md: throughput at N clients, ours / theirs


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _stat(pid: int | str) -> list[str]:
    return Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()


def cpu_seconds(pid: int) -> float:
    """User + system CPU time of a process so far, its children's included (our query
    workers: the live ones from /proc, the ended ones as the parent's cutime/cstime)."""
    fields = _stat(pid)
    ticks = sum(int(f) for f in fields[11:15])
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            child = _stat(stat.parent.name)
        except (OSError, IndexError):
            continue
        if child[1] == str(pid):
            ticks += int(child[11]) + int(child[12])
    return ticks / os.sysconf("SC_CLK_TCK")


def run_tool(args: argparse.Namespace, extra: list[str], out: Path, log: Path, pid: int | None = None) -> dict:
    cmd = [sys.executable, str(args.tool), "--articles", str(args.articles), "--duration", str(args.duration),
           "--concurrency", str(args.concurrency), "--max-requests", str(args.max_requests),
           "--data", str(args.workdir / "data.nt"), "--out", str(out), *extra]
    print("+", " ".join(cmd), file=sys.stderr)
    cpu0 = cpu_seconds(pid) if pid else None
    with open(log, "w") as fh:
        subprocess.run(cmd, check=True, stdout=fh, stderr=subprocess.STDOUT, timeout=3600)
    report = json.loads(out.read_text())
    if pid:  # server CPU per request: steadier than q/s on a shared machine
        n = report["http_unloaded"]["requests_ok"] + report["http"]["requests_ok"] + 2 * len(report["http"]["per_query"])
        report["server_cpu_ms_per_request"] = round(1000 * (cpu_seconds(pid) - cpu0) / n, 3)
    return report


def load_store(data: Path, store_dir: Path) -> tuple[int, float]:
    import pyoxigraph as ox

    from claimgraph.stores import OxigraphStore

    t0 = time.perf_counter()
    store = OxigraphStore(store_dir)
    store.native.bulk_load(path=str(data), format=ox.RdfFormat.N_TRIPLES, to_graph=ox.NamedNode(GRAPH))
    n = store.triple_count()
    store.close()
    return n, time.perf_counter() - t0


def start_ours(args: argparse.Namespace, store_dir: Path, log: Path) -> tuple[subprocess.Popen, str]:
    port = free_port()
    env = {**os.environ, "CLAIMGRAPH_STORE": str(store_dir), "CLAIMGRAPH_QUERY_TIMEOUT_S": "120",
           **dict(kv.split("=", 1) for kv in args.ours_env)}
    cmd = [sys.executable, "-m", "uvicorn", "--factory", "claimgraph.api.app:app_factory", "--host", "127.0.0.1",
           "--port", str(port), "--log-level", "warning", *args.uvicorn_args.split()]
    fh = open(log, "wb")
    proc = subprocess.Popen(cmd, env=env, stdout=fh, stderr=subprocess.STDOUT, cwd=ROOT)
    base = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"our server exited: {log.read_text()}")
        try:
            if httpx.get(base + "/healthz", timeout=5).status_code == 200:
                return proc, base + "/sparql"
        except httpx.HTTPError:
            pass
        time.sleep(0.3)
    stop(proc)
    raise RuntimeError("our server did not start in 120 s")


def start_oxigraph_union(store_dir: Path, log: Path) -> tuple[subprocess.Popen, str]:
    exe = Path(sys.executable).parent / "oxigraph"
    port = free_port()
    fh = open(log, "wb")
    proc = subprocess.Popen([str(exe), "serve", "--location", str(store_dir), "--bind", f"127.0.0.1:{port}",
                             "--union-default-graph"], stdout=fh, stderr=subprocess.STDOUT)
    url = f"http://127.0.0.1:{port}/query"
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"oxigraph serve exited: {log.read_text()}")
        try:
            if httpx.post(url, content=b"ASK {}", headers={"Content-Type": "application/sparql-query"},
                          timeout=5).status_code == 200:
                return proc, url
        except httpx.HTTPError:
            pass
        time.sleep(0.3)
    stop(proc)
    raise RuntimeError("oxigraph serve did not start in 120 s")


def stop(proc: subprocess.Popen) -> None:
    if proc.poll() is None:
        proc.terminate()  # by PID: our own child
        try:
            proc.wait(15)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()


def fmt(x) -> str:
    return "-" if x is None or x != x else f"{x:.1f}"


def table(runs: dict[str, dict], concurrency: int) -> str:
    """`runs`: label -> the tool's report; the first is ours, compared with each of the others."""
    lines = []
    labels = list(runs)
    ours_label, peers = labels[0], labels[1:]
    width = 14

    def row(*cols):
        lines.append("".join(f"{c:>{width}}" if i else f"{c:<18}" for i, c in enumerate(cols)))

    n = concurrency
    row("throughput (q/s)", *labels, *[f"ours/{p}" for p in peers])
    for key, label in (("http_unloaded", "1 client"), ("http", f"{n} clients")):
        q = [runs[x][key]["qps"] for x in labels]
        row(label, *[fmt(v) for v in q], *[f"{q[0] / v:.0%}" for v in q[1:]])
    for key, label in (("http_unloaded", "1 client"), ("http", f"{n} clients")):
        lines.append("")
        row(f"ms, {label}", *[f"p50 {x}" for x in labels], *[f"p99 {x}" for x in labels])
        for qn in runs[ours_label][key]["per_query"]:
            pq = [runs[x][key]["per_query"][qn] for x in labels]
            row(qn, *[fmt(p["p50_ms"]) for p in pq], *[fmt(p["p99_ms"]) for p in pq])
    cpu = {x: runs[x].get("server_cpu_ms_per_request") for x in labels}
    if cpu[ours_label]:
        lines.append("")
        row("server CPU ms/req", *[fmt(cpu[x]) if cpu[x] else "-" for x in labels],
            *[f"{cpu[x] / cpu[ours_label]:.0%}" if cpu[x] else "-" for x in peers])
        lines.append("(CPU per request, whole run: the steadier figure on a shared machine; the last "
                     "columns are peer CPU / our CPU, i.e. our efficiency relative to the peer)")
    lines.append("")
    ours = runs[ours_label]
    errors = {x: runs[x]["http_unloaded"]["errors"] + runs[x]["http"]["errors"] for x in labels}
    lines.append("errors: " + ", ".join(f"{x} {e}" for x, e in errors.items()) + "; correctness vs pyoxigraph ("
                 + ours_label + "): " + ("all match" if all(e.get("match") for e in ours.get("correctness", {}).values())
                                          else json.dumps(ours.get("correctness"))))
    o8 = ours["http"]
    for p in peers:
        p8 = runs[p]["http"]
        share = o8["qps"] / p8["qps"]
        target = TARGETS.get(p, 0.9)
        worst = max(o8["per_query"][q]["p99_ms"] / p8["per_query"][q]["p99_ms"] for q in o8["per_query"])
        lines.append(f"vs {p} at {n} clients: throughput {share:.0%} (target >= {target:.0%}: "
                     f"{'met' if share >= target else 'NOT met'}); worst p99 ratio {worst:.2f}x "
                     f"(target <= 1.5x: {'met' if worst <= 1.5 else 'NOT met'})")
    return "\n".join(lines)


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--articles", type=int, default=10000)
    ap.add_argument("--duration", type=float, default=20.0, help="seconds of the N-client mix per server")
    ap.add_argument("--concurrency", type=int, default=8)
    ap.add_argument("--max-requests", type=int, default=20000)
    ap.add_argument("--workdir", type=Path, help="keep data, stores and reports here")
    ap.add_argument("--tool", type=Path, default=TOOL)
    ap.add_argument("--uvicorn-args", default="--no-access-log",
                    help="extra uvicorn options for our server (default: --no-access-log)")
    ap.add_argument("--skip-oxigraph", action="store_true", help="only measure ours (reuses --workdir/oxigraph.json)")
    ap.add_argument("--reuse-store", action="store_true", help="keep --workdir's data and store if they are there")
    ap.add_argument("--ours-env", action="append", default=[], metavar="NAME=VALUE",
                    help="a setting for our server, e.g. CLAIMGRAPH_QUERY_WORKERS=8 (repeatable)")
    args = ap.parse_args()
    if not args.tool.exists():
        print(f"the load tool is missing: {args.tool}", file=sys.stderr)
        return 2
    args.workdir = args.workdir or Path(tempfile.mkdtemp(prefix="claimgraph-bench-"))
    args.workdir.mkdir(parents=True, exist_ok=True)
    print(f"workdir: {args.workdir}", file=sys.stderr)

    store_dir = args.workdir / "claimgraph-store"
    if args.reuse_store and (args.workdir / "data.nt").exists() and store_dir.exists():
        from claimgraph.stores import OxigraphStore

        with OxigraphStore(store_dir, read_only=True) as store:
            triples = store.triple_count()
    else:
        subprocess.run([sys.executable, str(args.tool), "--generate-only", str(args.workdir / "data.nt"),
                        "--articles", str(args.articles)], check=True, stdout=subprocess.DEVNULL, timeout=1800)
        subprocess.run(["rm", "-rf", str(store_dir)], check=True)
        triples, load_s = load_store(args.workdir / "data.nt", store_dir)
        print(f"loaded {triples:,} triples into {store_dir} in {load_s:.1f} s", file=sys.stderr)

    proc, url = start_ours(args, store_dir, args.workdir / "ours-server.log")
    try:
        ours = run_tool(args, ["--url", url, "--preloaded"], args.workdir / "ours.json", args.workdir / "ours.log",
                        proc.pid)
    finally:
        stop(proc)
    runs = {"ours": ours}
    if args.skip_oxigraph and (args.workdir / "oxigraph.json").exists():
        runs["oxigraph"] = json.loads((args.workdir / "oxigraph.json").read_text())
    else:
        runs["oxigraph"] = run_tool(args, ["--peer", "oxigraph-server", "--no-baseline", "--workdir",
                                           str(args.workdir / "ox")],
                                    args.workdir / "oxigraph.json", args.workdir / "oxigraph.log")
    if not args.skip_oxigraph or not (args.workdir / "oxigraph-union.json").exists():
        proc, url = start_oxigraph_union(store_dir, args.workdir / "oxigraph-union-server.log")
        try:
            runs["ox-union"] = run_tool(args, ["--url", url, "--preloaded", "--no-baseline"],
                                        args.workdir / "oxigraph-union.json", args.workdir / "oxigraph-union.log",
                                        proc.pid)
        finally:
            stop(proc)
    else:
        runs["ox-union"] = json.loads((args.workdir / "oxigraph-union.json").read_text())
    print(f"\n{args.articles:,} articles, {triples:,} triples; {args.duration:g} s per {args.concurrency}-client mix; "
          f"ours: uvicorn {args.uvicorn_args}; oxigraph: the tool's peer (default graph); "
          f"ox-union: oxigraph serve --union-default-graph over our store\n")
    print(table(runs, args.concurrency))
    return 0


if __name__ == "__main__":
    sys.exit(main())
