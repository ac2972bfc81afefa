"""Peak memory of one ingest run over many generated articles (DESIGN.md: 10,000 under 2 GB).

    .venv/bin/python benchmarks/memory_bench.py [--articles 10000] [--words 400]

Writes N text pages into a temporary folder, each a new article: a headline, a
byline and date, paragraphs of sentences drawn from the real-looking pages in
tests/pages/ (so extraction finds states, people and organisations), and an
author bio. Then runs `pipeline.ingest` (the plain loop: the same stages as the
flow) into an on-disk store, and prints the process's peak resident memory
(getrusage), the time, and the store's size. Prints figures; asserts nothing.
"""
from __future__ import annotations

import argparse
import random
import re
import resource
import tempfile
import time
from pathlib import Path

from claimgraph import pipeline
from claimgraph.config import get_settings
from claimgraph.stores import OxigraphStore

ROOT = Path(__file__).resolve().parents[1]
NAMES = ["Amara Okafor", "Lena Hoffmann", "Rahul Mehta", "Sofia Petrova", "Kenji Watanabe", "Lucas Moreau",
         "Ines Carvalho", "Omar Haddad", "Mei Lin", "Daniel Kowalski"]
INSTITUTES = ["Centre for Strategic Studies", "Institute for Global Affairs", "Harbour Policy Review",
              "Council on Regional Security", "Foundation for Eurasian Studies"]


def sentences() -> list[str]:
    pool = []
    for page in sorted((ROOT / "tests" / "pages").glob("*.txt")):
        for para in page.read_text(encoding="utf-8").split("\n\n"):
            if len(para) > 200 and not para.startswith("["):
                pool.extend(s for s in re.split(r"(?<=[.!?])\s+", para) if 40 < len(s) < 300)
    return pool


def write_articles(folder: Path, n: int, words: int, seed: int = 3) -> None:
    rng = random.Random(seed)
    pool = sentences()
    for i in range(n):
        name, institute = rng.choice(NAMES), rng.choice(INSTITUTES)
        paras, count = [], 0
        while count < words:
            para = " ".join(rng.choice(pool) for _ in range(rng.randint(3, 6)))
            paras.append(para)
            count += len(para.split())
        text = (f"Article {i}: {rng.choice(pool)[:70].rstrip(' ,.;')}\n\nBy {name} | {rng.randint(1, 28)} March 2024\n\n"
                + "\n\n".join(paras) + f"\n\n{name} is a senior fellow at the {institute}.\n")
        (folder / f"article-{i:05d}.txt").write_text(text, encoding="utf-8")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--articles", type=int, default=10_000)
    ap.add_argument("--words", type=int, default=400)
    args = ap.parse_args()
    settings = get_settings()
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp) / "pages"
        folder.mkdir()
        write_articles(folder, args.articles, args.words)
        pipeline.shared_nlp(settings)
        before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
        started = time.perf_counter()
        done = [0]

        def progress(outcome) -> None:  # a line every 1,000 documents: the curve, if the run is cut short
            done[0] += 1
            if done[0] % 1000 == 0:
                rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
                print(f"  {done[0]:6d} documents, {time.perf_counter() - started:6.0f} s, peak {rss:.0f} MiB", flush=True)

        with OxigraphStore(Path(tmp) / "store") as store:
            summary = pipeline.ingest([folder], store, settings, on_outcome=progress)
            triples = store.triple_count()
        seconds = time.perf_counter() - started
        peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
        size = sum(f.stat().st_size for f in (Path(tmp) / "store").rglob("*") if f.is_file()) / 2**20
    print(f"articles {args.articles} (~{args.words} words each): {len(summary.loaded)} loaded, "
          f"{len(summary.failed)} failed, {triples} quads in the store ({size:.0f} MiB on disk)")
    print(f"time {seconds:.0f} s ({1000 * seconds / args.articles:.0f} ms/article)")
    print(f"peak resident memory {peak:.0f} MiB (model loaded: {before:.0f} MiB)")


if __name__ == "__main__":
    main()
