"""Where the time of one document goes: the whole path vs spaCy alone on the same texts, the
seconds per stage, and a profile of what costs most inside the stages. Prints figures.

    .venv/bin/python benchmarks/profile_path.py [--rounds 2] [FOLDER ...]

Default texts: seeds/ and tests/pages/. For each round, in one process with the
model loaded:

  spacy alone   `nlp(body_text)` for every page (the parse stage's body text)
  whole path    fetch -> prepare -> parse -> extract -> link -> map -> validate -> load
                (pipeline.ingest_documents into an in-memory store)

then the same whole path once more under cProfile: the functions of claimgraph
that cost most (own time, and time with what they call), split into the
extract stage (claimgraph/extract, claimgraph/resolve.py: E's area) and the rest.
"""
from __future__ import annotations

import argparse
import cProfile
import pstats
import time
from pathlib import Path

from claimgraph import pipeline
from claimgraph.config import get_settings
from claimgraph.sources.files import fetch_files
from claimgraph.stores import OxigraphStore

ROOT = Path(__file__).resolve().parents[1]


def whole_path(folders: list[Path], nlp) -> tuple[float, list]:
    settings = get_settings()
    run = pipeline.new_run(settings)
    store = OxigraphStore(None)
    started = time.perf_counter()
    outcomes = pipeline.ingest_documents(fetch_files(folders, settings), store, run, nlp=nlp,
                                         linker=pipeline.shared_linker(),
                                         batch_documents=settings.load_batch_documents)
    return time.perf_counter() - started, outcomes


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("folders", nargs="*", type=Path, default=[ROOT / "seeds", ROOT / "tests" / "pages"])
    ap.add_argument("--rounds", type=int, default=2)
    ap.add_argument("--top", type=int, default=12)
    args = ap.parse_args()
    settings = get_settings()
    nlp = pipeline.shared_nlp(settings)
    texts = []
    for fetched in fetch_files(args.folders, settings):
        try:
            source, _entry = pipeline.prepare_document(fetched.source, fetched.entry)
            texts.append(pipeline.parse_page(source).body_text)
        except Exception:  # a page the path refuses is left out of both sides
            continue
    words = sum(len(t.split()) for t in texts)
    whole_path(args.folders, nlp)  # warm: caches, gazetteers, first calls

    spacy_s, path_s, outcomes = [], [], []
    for _ in range(args.rounds):
        started = time.perf_counter()
        for text in texts:
            nlp(text)
        spacy_s.append(time.perf_counter() - started)
        seconds, outcomes = whole_path(args.folders, nlp)
        path_s.append(seconds)
    spacy, whole = min(spacy_s), min(path_s)
    loaded = [o for o in outcomes if o.status == "loaded"]
    print(f"{len(texts)} pages, {words} words; best of {args.rounds} rounds")
    print(f"spaCy alone      {spacy:7.2f} s  {words / spacy:8.0f} words/s  {1000 * spacy / len(texts):6.0f} ms/page")
    print(f"whole path       {whole:7.2f} s  {words / whole:8.0f} words/s  {1000 * whole / len(texts):6.0f} ms/page")
    print(f"throughput ratio (whole path / spaCy alone): {spacy / whole:.2f}x  ({len(loaded)} loaded)")
    stages: dict[str, float] = {}
    for o in outcomes:
        for stage, seconds in o.timings.items():
            stages[stage] = stages.get(stage, 0.0) + seconds
    total = sum(stages.values())
    print("stages (last round): " + ", ".join(f"{k} {v:.2f} s ({100 * v / total:.0f}%)" for k, v in stages.items()))

    profile = cProfile.Profile()
    profile.enable()
    whole_path(args.folders, nlp)
    profile.disable()
    stats = pstats.Stats(profile)
    rows = []
    for (filename, line, name), (_cc, _nc, tottime, cumtime, _callers) in stats.stats.items():
        if "/claimgraph/" not in filename:
            continue
        where = filename.split("/claimgraph/", 1)[1]
        rows.append((where, line, name, tottime, cumtime))
    for title, keep in (("inside extract (claimgraph/extract, resolve.py)",
                         lambda w: w.startswith("extract/") or w == "resolve.py"),
                        ("outside extract", lambda w: not (w.startswith("extract/") or w == "resolve.py"))):
        picked = [r for r in rows if keep(r[0])]
        print(f"\n{title}: by time with callees (cumulative) / own time, seconds")
        for where, line, name, tottime, cumtime in sorted(picked, key=lambda r: -r[4])[: args.top]:
            print(f"  {cumtime:7.2f} {tottime:7.2f}  {where}:{line} {name}")


if __name__ == "__main__":
    main()
