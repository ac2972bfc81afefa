"""End-to-end ingest of N generated article pages served on 127.0.0.1, with and without Prefect.

    python benchmarks/ingest_bench.py [--pages 200] [--json out.json]

A local HTTP server serves a feed of N pages, each a variant of the articles in
tests/site/ (different headline, order and numbers, so every page is new
content). The same source is ingested into fresh stores by:

  plain   claimgraph.incremental.run_source: the library functions in a loop
          (fetch in 4 threads, then parse/extract/link/map/validate/load per page)
  flow    flows/sources.py's source_flow in this process (Prefect ephemeral
          mode): one task per stage per page, stage tasks on 4 threads

and then once more each over the same store, where every page is unchanged
(conditional requests answered 304, nothing extracted). Prefect's overhead is
flow time minus plain time. The spaCy model is loaded before timing starts, and
the temporary Prefect server is started (by a warm-up flow run) before the flow
is timed; its start-up is reported on its own line.
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


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--pages", type=int, default=200)
    ap.add_argument("--json", help="write the figures here as JSON")
    args = ap.parse_args(argv)

    tmp = Path(tempfile.mkdtemp(prefix="claimgraph-bench-"))
    os.environ.setdefault("PREFECT_HOME", str(tmp / "prefect"))
    os.environ.setdefault("PREFECT_SERVER_ANALYTICS_ENABLED", "false")
    os.environ.setdefault("PREFECT_LOGGING_LEVEL", "WARNING")
    os.environ["CLAIMGRAPH_FETCH_STATE"] = ""  # one state file per store (next to it)

    from claimgraph.config import get_settings
    from claimgraph.extract.nlp import load_nlp
    from claimgraph.sources.incremental import FetchState, fetch_state_path, run_source
    from claimgraph.sources.registry import SourceSpec
    from claimgraph.stores import OxigraphStore
    from claimgraph.sources.http import FetchConfig

    pages = generate_pages(args.pages)
    site = Site(pages)
    registry = tmp / "sources.yaml"
    registry.write_text(f"sources:\n  - name: bench\n    kind: feed\n    location: {site.url}/feed.xml\n"
                        f"  - name: warmup\n    kind: page\n    location: {site.url}/articles/0000\n")
    spec = SourceSpec(name="bench", kind="feed", location=f"{site.url}/feed.xml")
    figures: dict[str, float | int] = {"pages": args.pages}

    t = time.perf_counter()
    load_nlp(get_settings().spacy_model)
    figures["spacy_load_s"] = time.perf_counter() - t

    def plain(store_dir: Path):
        with OxigraphStore(store_dir) as store:
            t = time.perf_counter()
            report = run_source(spec, store, fetch_config=FetchConfig(), state=FetchState(fetch_state_path(store_dir)))
            return time.perf_counter() - t, report

    figures["plain_s"], report = plain(tmp / "plain")
    assert report.count("new") == args.pages, report.render()
    figures["plain_unchanged_s"], report = plain(tmp / "plain")
    assert report.count("unchanged") == args.pages, report.render()

    from claimgraph.flows.sources import source_flow

    t = time.perf_counter()
    source_flow(source="warmup", registry=str(registry), store_path=str(tmp / "warmup"))
    figures["prefect_startup_and_warmup_s"] = time.perf_counter() - t

    def flow(store_dir: Path):
        t = time.perf_counter()
        report = source_flow(source="bench", registry=str(registry), store_path=str(store_dir))
        return time.perf_counter() - t, report

    figures["flow_s"], report = flow(tmp / "flow")
    assert report.count("new") == args.pages, report.render()
    figures["flow_unchanged_s"], report = flow(tmp / "flow")
    assert report.count("unchanged") == args.pages, report.render()

    figures["prefect_overhead_s"] = figures["flow_s"] - figures["plain_s"]
    figures["prefect_overhead_pct"] = 100 * figures["prefect_overhead_s"] / figures["flow_s"]
    figures["plain_ms_per_page"] = 1000 * figures["plain_s"] / args.pages
    figures["flow_ms_per_page"] = 1000 * figures["flow_s"] / args.pages
    for k, v in figures.items():
        print(f"{k:32} {v:10.2f}" if isinstance(v, float) else f"{k:32} {v:10}")
    if args.json:
        Path(args.json).write_text(json.dumps(figures, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
