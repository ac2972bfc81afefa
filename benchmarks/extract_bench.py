"""Extraction speed after the model is loaded: parse + extract of one page, in ms per 1,500 words.

    .venv/bin/python benchmarks/extract_bench.py [PAGES_OR_FOLDERS ...] [--repeat 3]

Default pages: tests/pages and seeds/. For each page the parse and extract stages
(`read_source_file` + `pipeline.prepare_document`, `parse_page`, `extract_document`: authors, citations,
comments, entities, claims, page metadata) run `--repeat` times and the best time
counts; the figure is the sum of best times scaled to 1,500 words of body text.
It also times one 1,500-word article made of the pages' paragraphs, and spaCy
alone on the same text, so the figure can be read as a ratio on a busy machine.
Issue 9 asks for well under a second per 1,500-word article.
"""
from __future__ import annotations

import argparse
import time
from pathlib import Path

from claimgraph.config import get_settings
from claimgraph.extract.nlp import load_nlp
from claimgraph.pipeline import extract_document, parse_page, prepare_document
from claimgraph.sources.files import discover_pages, read_source_file

ROOT = Path(__file__).resolve().parents[1]


def best_of(fn, repeat: int) -> float:
    times = []
    for _ in range(repeat):
        t = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t)
    return min(times)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("paths", nargs="*", type=Path, default=[ROOT / "tests" / "pages", ROOT / "seeds"])
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    settings = get_settings()
    nlp = load_nlp(settings.spacy_model)
    nlp("Warm up the model.")
    total_s, total_words, paragraphs = 0.0, 0, []
    for path in discover_pages(args.paths):
        source, _entry = prepare_document(read_source_file(path, max_bytes=settings.max_document_bytes), None)

        def run(source=source):
            page = parse_page(source)
            return page, extract_document(source, page, None, nlp)

        page, _ = run()
        seconds = best_of(run, args.repeat)
        words = len(page.body_text.split())
        total_s += seconds
        total_words += words
        paragraphs += [b.text for b in page.blocks]
        print(f"{path.name:45} {words:5d} words {1000 * seconds:7.1f} ms")
    print(f"pages: {1000 * total_s * 1500 / max(total_words, 1):.0f} ms per 1,500 words "
          f"({total_words} words in {total_s:.2f} s, best of {args.repeat})")

    chosen, words = [], 0
    for p in paragraphs:
        chosen.append(p)
        words += len(p.split())
        if words >= 1500:
            break
    text = "A Benchmark Article\n\nBy Jane Doe\n\n" + "\n\n".join(chosen) + "\n"
    tmp = ROOT / "benchmarks" / ".extract_bench_article.txt"
    tmp.write_text(text, encoding="utf-8")
    try:
        source, _entry = prepare_document(read_source_file(tmp, max_bytes=settings.max_document_bytes), None)
        article = best_of(lambda: extract_document(source, parse_page(source), None, nlp), args.repeat)
    finally:
        tmp.unlink()
    spacy_alone = best_of(lambda: nlp("\n\n".join(chosen)), args.repeat)
    print(f"one {words}-word article: parse + extract {1000 * article:.0f} ms; spaCy alone {1000 * spacy_alone:.0f} ms "
          f"(ratio {article / spacy_alone:.2f}x)")


if __name__ == "__main__":
    main()
