#!/usr/bin/env python3
"""Runaway queries against our endpoint: does everyone else still get answers?

    .venv/bin/python benchmarks/runaway_bench.py [--articles 2000] [--attack 30] [--runaways 16]

1. builds a store from the load tool's news dataset (../shared/tools/sparql_load_bench.py),
   its IRIs moved under the default base IRI so that `/id/...` pages resolve;
2. starts our server over it exactly as deployed (uvicorn, the app factory, default settings:
   a 30 s time limit, the default worker pool);
3. for each mode, measures a well-behaved client on 127.0.0.1 that loops over a cheap query
   (one article's triples) and a linked-data page (an article's HTML page), in three phases:
   before (baseline), during an attack of `--runaways` concurrent anonymous clients that each
   send a cartesian COUNT(*) query and send it again as soon as they get any answer (503,
   429, ...), and after the attackers stop (their connections closed);
   modes: `one` (all runaways from 127.0.0.2) and `many` (each from its own address,
   127.0.0.10 and up);
4. prints, per mode and phase, the good client's requests, errors, p50/p99/max latency, the
   attackers' answers by status, the time from the attack's end to the first normal answer,
   and the worker processes the server replaced. Targets (issue 10): during the attack p99 < 1 s
   and no errors for the good client; normal answers within 2 s after it.

Everything binds 127.0.0.x; the server is stopped by its PID. The machine is shared: the
figures are of one run; compare phases, not machines.
"""
from __future__ import annotations

import argparse
import asyncio
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import httpx

sys.path.insert(0, str(Path(__file__).resolve().parent))
from endpoint_bench import TOOL, cpu_seconds, free_port, stop  # noqa: E402

ROOT = Path(__file__).resolve().parents[1]
BASE = "http://127.0.0.1:8000/id/news/"  # the default base IRI: /id/news/... pages resolve
RUNAWAY = "SELECT (COUNT(*) AS ?n) WHERE { ?a ?b ?c . ?d ?e ?f }"
GRAPH = "http://127.0.0.1:8000/id/graph/news"


def build_store(workdir: Path, articles: int) -> Path:
    data = workdir / "data.nt"
    store_dir = workdir / "store"
    if store_dir.exists():
        return store_dir
    subprocess.run([sys.executable, str(TOOL), "--generate-only", str(data), "--articles", str(articles)],
                   check=True, stdout=subprocess.DEVNULL, timeout=1800)
    moved = workdir / "moved.nt"
    moved.write_text(data.read_text(encoding="utf-8").replace("http://example.org/news/", BASE), encoding="utf-8")
    import pyoxigraph as ox

    from claimgraph.stores import OxigraphStore

    with OxigraphStore(store_dir) as store:
        store.native.bulk_load(path=str(moved), format=ox.RdfFormat.N_TRIPLES, to_graph=ox.NamedNode(GRAPH))
    return store_dir


def start_server(store_dir: Path, log: Path, env_extra: dict[str, str]) -> tuple[subprocess.Popen, str]:
    port = free_port()
    env = {**os.environ, "CLAIMGRAPH_STORE": str(store_dir), **env_extra}
    proc = subprocess.Popen([sys.executable, "-m", "uvicorn", "--factory", "claimgraph.api.app:app_factory",
                             "--host", "127.0.0.1", "--port", str(port), "--log-level", "warning", "--no-access-log"],
                            env=env, stdout=open(log, "wb"), stderr=subprocess.STDOUT, cwd=ROOT)
    base = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"the server exited: {log.read_text()[-2000:]}")
        try:
            if httpx.get(base + "/healthz", timeout=5).status_code == 200:
                return proc, base
        except httpx.HTTPError:
            pass
        time.sleep(0.3)
    stop(proc)
    raise RuntimeError("the server did not start in 120 s")


def worker_pids(server_pid: int) -> set[int]:
    out = set()
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            if stat.read_text().rsplit(")", 1)[1].split()[1] == str(server_pid) and \
                    b"query_worker" in (stat.parent / "cmdline").read_bytes():
                out.add(int(stat.parent.name))
        except (OSError, IndexError):
            continue
    return out


class Good:
    """The well-behaved client: a cheap query and a linked-data page, in turn, one at a time."""

    def __init__(self, base: str, articles: int):
        self.base = base
        self.articles = articles
        self.samples: list[tuple[float, str, float, int]] = []  # (start, kind, seconds, status)
        self.i = 0

    async def one(self, client: httpx.AsyncClient) -> tuple[str, float, int]:
        self.i += 1
        article = f"{BASE}article/{self.i * 7919 % self.articles}"
        if self.i % 2:
            kind, call = "query", client.get(self.base + "/sparql", params={"query": f"SELECT ?p ?o WHERE {{ <{article}> ?p ?o }}"},
                                             headers={"Accept": "application/sparql-results+json"})
        else:
            kind, call = "page", client.get(self.base + "/id/news/article/" + article.rsplit("/", 1)[1],
                                            headers={"Accept": "text/html"})
        t0 = time.perf_counter()
        try:
            r = await call
            status = r.status_code
        except httpx.HTTPError:
            status = 0
        return kind, time.perf_counter() - t0, status

    async def run(self, until: asyncio.Event, pause: float = 0.02) -> None:
        async with httpx.AsyncClient(timeout=60) as client:
            while not until.is_set():
                started = time.monotonic()
                kind, seconds, status = await self.one(client)
                self.samples.append((started, kind, seconds, status))
                await asyncio.sleep(pause)


async def attacker(base: str, address: str, stop: asyncio.Event, answers: dict[int, int]) -> None:
    transport = httpx.AsyncHTTPTransport(local_address=address)
    async with httpx.AsyncClient(transport=transport, timeout=None) as client:
        while not stop.is_set():
            request = asyncio.ensure_future(client.post(
                base + "/sparql", content=RUNAWAY.encode(), headers={"Content-Type": "application/sparql-query"}))
            stopper = asyncio.ensure_future(stop.wait())
            done, _ = await asyncio.wait({request, stopper}, return_when=asyncio.FIRST_COMPLETED)
            if request in done:
                try:
                    status = request.result().status_code
                except httpx.HTTPError:
                    status = 0
                answers[status] = answers.get(status, 0) + 1
                stopper.cancel()
            else:
                request.cancel()  # the attack ends: the connection closes with the query in flight
    await transport.aclose()


async def attack(base: str, addresses: list[str]) -> dict[int, int]:
    """The attackers, in a process of their own (so that their loop does not delay the good
    client's): until stdin closes, then their answers by status, as JSON on stdout."""
    stop = asyncio.Event()
    answers: dict[int, int] = {}
    loop = asyncio.get_running_loop()
    loop.add_reader(sys.stdin.fileno(), lambda: (sys.stdin.read(), stop.set()))
    await asyncio.gather(*(attacker(base, a, stop, answers) for a in addresses))
    return answers


def summary(samples: list[tuple[float, str, float, int]], start: float, end: float) -> dict:
    chosen = [s for s in samples if start <= s[0] < end]
    out = {}
    for kind in ("query", "page"):
        lat = sorted(s[2] * 1000 for s in chosen if s[1] == kind and s[3] == 200)
        errors = sum(1 for s in chosen if s[1] == kind and s[3] not in (200,))
        n = sum(1 for s in chosen if s[1] == kind)
        p = (lambda q: lat[min(len(lat) - 1, int(q * len(lat)))] if lat else float("nan"))
        out[kind] = {"n": n, "errors": errors, "p50": statistics.median(lat) if lat else float("nan"),
                     "p99": p(0.99), "max": lat[-1] if lat else float("nan")}
    return out


async def run_mode(mode: str, base: str, server_pid: int, args) -> dict:
    good = Good(base, args.articles)
    good_stop = asyncio.Event()
    pids_before = worker_pids(server_pid)
    seen = set(pids_before)
    cpu0 = cpu_seconds(server_pid)
    good_task = asyncio.ensure_future(good.run(good_stop))
    t_before = time.monotonic()
    await asyncio.sleep(args.before)
    addresses = (["127.0.0.2"] * args.runaways if mode == "one"
                 else [f"127.0.0.{10 + i}" for i in range(args.runaways)])
    t_attack = time.monotonic()
    attackers = await asyncio.create_subprocess_exec(
        sys.executable, __file__, "--attack-from", ",".join(addresses), "--url", base,
        stdin=asyncio.subprocess.PIPE, stdout=asyncio.subprocess.PIPE)
    while time.monotonic() < t_attack + args.attack:
        await asyncio.sleep(0.5)
        seen |= worker_pids(server_pid)
    attackers.stdin.close()
    t_stop = time.monotonic()
    out, _ = await attackers.communicate()
    answers = {int(k): v for k, v in json.loads(out or b"{}").items()}
    await asyncio.sleep(args.after)
    good_stop.set()
    await good_task
    t_end = time.monotonic()
    seen |= worker_pids(server_pid)
    after = [s for s in good.samples if s[0] >= t_stop]
    baseline_p50 = summary(good.samples, t_before, t_attack)["query"]["p50"]
    normal = next((s for s in after if s[3] == 200 and s[1] == "query" and s[2] * 1000 <= max(2 * baseline_p50, 50)), None)
    return {
        "before": summary(good.samples, t_before, t_attack),
        "during": summary(good.samples, t_attack, t_stop),
        "after": summary(good.samples, t_stop, t_end),
        "attack_answers": answers,
        "normal_after_s": (normal[0] + normal[2] - t_stop) if normal else None,
        "workers_replaced": len(seen - pids_before),
        "server_cpu_s": cpu_seconds(server_pid) - cpu0,
    }


def print_mode(mode: str, r: dict, args) -> None:
    who = "one address (127.0.0.2)" if mode == "one" else f"{args.runaways} addresses (127.0.0.10-)"
    print(f"\n== {args.runaways} runaway clients from {who}, {args.attack:g} s ==")
    print(f"{'phase':<8}{'kind':<7}{'requests':>9}{'errors':>8}{'p50 ms':>9}{'p99 ms':>9}{'max ms':>9}")
    for phase in ("before", "during", "after"):
        for kind in ("query", "page"):
            s = r[phase][kind]
            print(f"{phase:<8}{kind:<7}{s['n']:>9}{s['errors']:>8}{s['p50']:>9.1f}{s['p99']:>9.1f}{s['max']:>9.1f}")
    print("runaway answers by status: " + ", ".join(f"{k}: {v}" for k, v in sorted(r["attack_answers"].items())))
    normal = r["normal_after_s"]
    print(f"first normal answer after the attack stopped: "
          f"{'none' if normal is None else f'{normal:.2f} s'}; worker processes replaced: {r['workers_replaced']}; "
          f"server CPU (API + workers): {r['server_cpu_s']:.1f} s")
    during = r["during"]
    ok = (all(during[k]["errors"] == 0 and during[k]["p99"] < 1000 for k in ("query", "page"))
          and normal is not None and normal <= 2)
    print(f"targets (p99 < 1 s and no errors during; normal within 2 s after): {'met' if ok else 'NOT met'}")


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--articles", type=int, default=2000)
    ap.add_argument("--runaways", type=int, default=16)
    ap.add_argument("--attack", type=float, default=30.0, help="seconds of attack")
    ap.add_argument("--before", type=float, default=5.0)
    ap.add_argument("--after", type=float, default=5.0)
    ap.add_argument("--modes", default="one,many")
    ap.add_argument("--workdir", type=Path)
    ap.add_argument("--server-env", action="append", default=[], metavar="NAME=VALUE")
    ap.add_argument("--attack-from", help=argparse.SUPPRESS)  # internal: run the attackers (comma-separated addresses)
    ap.add_argument("--url", help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.attack_from:
        print(json.dumps(asyncio.run(attack(args.url, args.attack_from.split(",")))))
        return 0
    args.workdir = args.workdir or Path(tempfile.mkdtemp(prefix="claimgraph-runaway-"))
    args.workdir.mkdir(parents=True, exist_ok=True)
    store_dir = build_store(args.workdir, args.articles)
    proc, base = start_server(store_dir, args.workdir / "server.log", dict(kv.split("=", 1) for kv in args.server_env))
    try:
        results = {}
        for mode in args.modes.split(","):
            results[mode] = asyncio.run(run_mode(mode, base, proc.pid, args))
            print_mode(mode, results[mode], args)
        if proc.poll() is not None:
            print("the server died", file=sys.stderr)
            return 1
    finally:
        stop(proc)
    return 0


if __name__ == "__main__":
    sys.exit(main())
