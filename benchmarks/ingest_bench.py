"""End-to-end ingest of N generated article pages, with and without Prefect, in one run.

    python benchmarks/ingest_bench.py [--pages 200] [--baseline-src OLD/src] [--json out.json]

A local HTTP server serves a feed of N pages, each a variant of the articles in
tests/site/ (different headline, order and numbers, so every page is new
content); the same pages are also written to a folder. Each is ingested into
fresh stores by:

  plain          claimgraph.sources.incremental.run_source: the library's plain loop
  flow           flows/sources.py's source_flow (Prefect ephemeral mode)
  files plain    claimgraph.pipeline.ingest over the folder
  files flow     flows/ingest.py's ingest_flow over the folder
  baseline       (with --baseline-src) an older checkout's run_source, in a subprocess
                 (PYTHONPATH=OLD/src) on the same site: "before" and "after" in one run

and the two source runs again over the same store, where every page is
unchanged (conditional requests answered 304, nothing extracted). The kinds
take turns, once per round (`--rounds`, default 3), and the best round of
each is reported (the machine is shared; all rounds are printed too). The spaCy
model is loaded before timing starts, and the temporary Prefect server is
started (by a warm-up flow run) before any flow is timed; its start-up is
reported on its own line. Flows are called as the CLI calls them
(claimgraph.cli.quiet.run_flow: heartbeat off).
"""
from __future__ import annotations

import argparse
import hashlib
import json
import os
import random
import re
import sys
import tempfile
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
SITE = ROOT / "tests" / "site"
TEMPLATES = ["quad-korea.html", "arctic-council.html", "sahel-juntas.html", "taiwan-strait.html"]
WORDS = ["Regional", "New", "Strategic", "Quiet", "Uneasy", "Shifting", "Fragile", "Lasting", "Northern", "Maritime"]


def generate_pages(n: int, seed: int = 7) -> dict[str, bytes]:
    """URL path -> HTML: each page a variant of a template with its own headline and paragraph order."""
    rng = random.Random(seed)
    pages = {}
    for i in range(n):
        html = (SITE / TEMPLATES[i % len(TEMPLATES)]).read_text(encoding="utf-8")
        paras = re.findall(r"<p>(?!Copyright)[^<]{80,}</p>", html)
        shuffled = paras[:]
        rng.shuffle(shuffled)
        for old, new in zip(paras, shuffled):
            html = html.replace(old, "\x00" + new[3:], 1)
        html = html.replace("\x00", "<p>")
        title = f"{rng.choice(WORDS)} {rng.choice(WORDS).lower()} politics, part {i + 1}"
        html = re.sub(r"(<h1[^>]*>)([^<]+)(</h1>)", lambda m: m.group(1) + title + m.group(3), html, count=1)
        html = re.sub(r'"headline": "[^"]+"', f'"headline": "{title}"', html)
        html = re.sub(r'(og:title" content=")[^"]+', lambda m: m.group(1) + title, html)
        html = html.replace("twelve years", f"{rng.randint(2, 40)} years")
        pages[f"/articles/{i:04d}"] = html.encode("utf-8")
    return pages


class Site:
    def __init__(self, pages: dict[str, bytes]):
        feed_items = "".join(f"<item><link>{p}</link></item>" for p in pages)
        routes = dict(pages)
        routes["/feed.xml"] = f'<rss version="2.0"><channel><title>bench</title>{feed_items}</channel></rss>'.encode()
        routes["/robots.txt"] = b"User-agent: *\nAllow: /\n"

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, *args):
                pass

            def do_GET(self):
                body = routes.get(self.path)
                if body is None:
                    self.send_response(404)
                    self.send_header("Content-Length", "0")
                    self.end_headers()
                    return
                etag = '"' + hashlib.sha1(body).hexdigest()[:16] + '"'
                if self.headers.get("If-None-Match") == etag:
                    self.send_response(304)
                    self.send_header("ETag", etag)
                    self.send_header("Content-Length", "0")
                    self.end_headers()
                    return
                self.send_response(200)
                ctype = "application/rss+xml" if self.path.endswith(".xml") else (
                    "text/plain" if self.path.endswith(".txt") else "text/html; charset=utf-8")
                self.send_header("Content-Type", ctype)
                self.send_header("ETag", etag)
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.httpd.daemon_threads = True
        self.url = f"http://127.0.0.1:{self.httpd.server_address[1]}"
        threading.Thread(target=self.httpd.serve_forever, daemon=True).start()


BASELINE = r'''
import json, sys, time
from pathlib import Path
from claimgraph.config import get_settings
from claimgraph.extract.nlp import load_nlp
from claimgraph.incremental import FetchState, run_source
from claimgraph.registry import SourceSpec
from claimgraph.stores import OxigraphStore
from claimgraph.web import FetchConfig
load_nlp(get_settings().spacy_model)
store_dir = Path(sys.argv[2])
spec = SourceSpec(name="bench", kind="feed", location=sys.argv[1])
with OxigraphStore(store_dir) as store:
    t = time.perf_counter()
    report = run_source(spec, store, fetch_config=FetchConfig(), state=FetchState(store_dir.parent / "baseline-state.json"))
    print(json.dumps({"seconds": time.perf_counter() - t, "new": report.count("new")}))
'''


def baseline(src: str, feed_url: str, store_dir: Path) -> dict:
    import subprocess

    env = dict(os.environ, PYTHONPATH=str(Path(src).resolve()))
    out = subprocess.run([sys.executable, "-c", BASELINE, feed_url, str(store_dir)], env=env,
                         capture_output=True, text=True, timeout=7200)
    if out.returncode != 0:
        raise RuntimeError(out.stderr[-3000:])
    return json.loads(out.stdout.strip().splitlines()[-1])


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--pages", type=int, default=200)
    ap.add_argument("--json", help="write the figures here as JSON")
    ap.add_argument("--baseline-src", help="an older checkout's src/ folder, timed in the same run")
    ap.add_argument("--rounds", type=int, default=3, help="each kind runs once per round; the best round counts")
    args = ap.parse_args(argv)

    tmp = Path(tempfile.mkdtemp(prefix="claimgraph-bench-"))
    os.environ.setdefault("PREFECT_HOME", str(tmp / "prefect"))
    from claimgraph.cli.quiet import quiet_prefect, run_flow

    quiet_prefect()

    from claimgraph import pipeline
    from claimgraph.config import get_settings
    from claimgraph.sources.http import FetchConfig
    from claimgraph.sources.incremental import FetchState, run_source
    from claimgraph.sources.registry import SourceSpec
    from claimgraph.stores import OxigraphStore

    settings = get_settings()
    pages = generate_pages(args.pages)
    site = Site(pages)
    folder = tmp / "pages"
    folder.mkdir()
    for path, body in pages.items():
        (folder / (path.rsplit("/", 1)[-1] + ".html")).write_bytes(body)
    registry = tmp / "sources.yaml"
    registry.write_text(f"sources:\n  - name: bench\n    kind: feed\n    location: {site.url}/feed.xml\n"
                        f"  - name: warmup\n    kind: page\n    location: {site.url}/articles/0000\n")
    spec = SourceSpec(name="bench", kind="feed", location=f"{site.url}/feed.xml")
    figures: dict[str, float | int] = {"pages": args.pages}

    t = time.perf_counter()
    pipeline.shared_nlp(settings)
    figures["spacy_load_s"] = time.perf_counter() - t

    from claimgraph.flows.ingest import ingest_flow
    from claimgraph.flows.sources import source_flow

    t = time.perf_counter()
    run_flow(source_flow, source="warmup", registry=str(registry), store_path=str(tmp / "warmup"))
    figures["prefect_startup_and_warmup_s"] = time.perf_counter() - t

    def plain(store_dir: Path):
        with OxigraphStore(store_dir) as store:
            t = time.perf_counter()
            report = run_source(spec, store, fetch_config=FetchConfig(),
                                state=FetchState(settings.fetch_state_path(store_dir)))
            return time.perf_counter() - t, report

    def flow(store_dir: Path):
        t = time.perf_counter()
        report = run_flow(source_flow, source="bench", registry=str(registry), store_path=str(store_dir))
        return time.perf_counter() - t, report

    def files_plain(store_dir: Path) -> float:
        with OxigraphStore(store_dir) as store:
            t = time.perf_counter()
            summary = pipeline.ingest([folder], store, settings)
            seconds = time.perf_counter() - t
        assert len(summary.loaded) == args.pages, summary.render()
        return seconds

    def files_flow(store_dir: Path) -> float:
        t = time.perf_counter()
        summary = run_flow(ingest_flow, paths=[str(folder)], store_path=str(store_dir))
        seconds = time.perf_counter() - t
        assert len(summary.loaded) == args.pages, summary.render()
        return seconds

    # The machine is shared: each kind runs once per round, in turn, and the best round counts.
    times: dict[str, list[float]] = {}
    for r in range(args.rounds):
        if args.baseline_src:
            old = baseline(args.baseline_src, f"{site.url}/feed.xml", tmp / f"baseline-{r}")
            assert old["new"] == args.pages, old
            times.setdefault("baseline_plain_s", []).append(old["seconds"])
        seconds, report = plain(tmp / f"plain-{r}")
        assert report.count("new") == args.pages, report.render()
        times.setdefault("plain_s", []).append(seconds)
        seconds, report = flow(tmp / f"flow-{r}")
        assert report.count("new") == args.pages, report.render()
        times.setdefault("flow_s", []).append(seconds)
        times.setdefault("files_plain_s", []).append(files_plain(tmp / f"files-plain-{r}"))
        times.setdefault("files_flow_s", []).append(files_flow(tmp / f"files-flow-{r}"))
        seconds, report = plain(tmp / f"plain-{r}")
        assert report.count("unchanged") == args.pages, report.render()
        times.setdefault("plain_unchanged_s", []).append(seconds)
        seconds, report = flow(tmp / f"flow-{r}")
        assert report.count("unchanged") == args.pages, report.render()
        times.setdefault("flow_unchanged_s", []).append(seconds)
    for name, values in times.items():
        figures[name] = min(values)
        figures[name.replace("_s", "_all_rounds")] = " ".join(f"{v:.1f}" for v in values)

    figures["flow_vs_plain"] = figures["flow_s"] / figures["plain_s"]
    figures["files_flow_vs_plain"] = figures["files_flow_s"] / figures["files_plain_s"]
    if "baseline_plain_s" in figures:
        figures["plain_speedup_vs_baseline"] = figures["baseline_plain_s"] / figures["plain_s"]
    figures["prefect_overhead_s"] = figures["flow_s"] - figures["plain_s"]
    figures["plain_ms_per_page"] = 1000 * figures["plain_s"] / args.pages
    figures["flow_ms_per_page"] = 1000 * figures["flow_s"] / args.pages
    for k, v in figures.items():
        print(f"{k:32} {v:10.2f}" if isinstance(v, float) else f"{k:32} {v:>10}")
    if args.json:
        Path(args.json).write_text(json.dumps(figures, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
