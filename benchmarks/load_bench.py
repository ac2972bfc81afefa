"""Load stage vs pyoxigraph's bulk_load on the same triples (DESIGN.md target: within 2x).

Maps the seed documents once, makes N renamed copies of their graphs (so the
triples are realistic), then loads them (a) with the load stage, one atomic
graph replace per document, into a new store and again over it (replacing),
(b) in batches of documents per transaction (`replace_graphs`), and (c) with a single `Store.bulk_load` of all of them as N-Quads.

    .venv/bin/python benchmarks/load_bench.py --copies 200
"""
from __future__ import annotations

import argparse
import tempfile
import time
from pathlib import Path

import pyoxigraph as ox

from claimgraph.config import get_settings
from claimgraph.extract.nlp import load_nlp
from claimgraph import pipeline
from claimgraph.sources import discover_pages, manifest_entry_for, read_source_file
from claimgraph.stores import OxigraphStore

ROOT = Path(__file__).resolve().parents[1]


def seed_graphs():
    settings = get_settings()
    run = pipeline.new_run(settings)
    nlp = load_nlp(settings.spacy_model)
    graphs = []
    for path in discover_pages([ROOT / "seeds"]):
        entry = manifest_entry_for(path)
        source = read_source_file(path, entry)
        page = pipeline.parse_page(source)
        graphs.append(pipeline.map_document(pipeline.extract_document(source, page, entry, nlp), run, entry))
    return graphs


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--copies", type=int, default=200)
    args = parser.parse_args()
    docs = []
    for k in range(args.copies):
        for g in seed_graphs_cache:
            sid = g.source_id
            docs.append((g.graph_iri.replace(sid, f"{sid}-{k}"), g.nquads.replace(sid, f"{sid}-{k}")))
    triples = sum(nt.count("\n") for _, nt in docs)

    with tempfile.TemporaryDirectory() as d:
        store = OxigraphStore(Path(d) / "s")
        t = time.perf_counter()
        for graph, nt in docs:
            store.replace_graph(graph, nt)
        new = time.perf_counter() - t
        t = time.perf_counter()
        for graph, nt in docs:
            store.replace_graph(graph, nt)
        replace = time.perf_counter() - t
        store.close()
    batched = {}
    for size in (25, 100):
        with tempfile.TemporaryDirectory() as d:
            store = OxigraphStore(Path(d) / "s")
            t = time.perf_counter()
            for i in range(0, len(docs), size):
                store.replace_graphs(docs[i:i + size])
            batched[f"load stage, batches of {size}, new"] = time.perf_counter() - t
            store.close()

    nquads = "".join(nt.replace(" .\n", f" <{graph}> .\n") for graph, nt in docs)
    with tempfile.TemporaryDirectory() as d:
        raw = ox.Store(str(Path(d) / "s"))
        t = time.perf_counter()
        raw.bulk_load(nquads, format=ox.RdfFormat.N_QUADS)
        bulk = time.perf_counter() - t
        del raw

    print(f"{len(docs)} documents, {triples} triples")
    print(f"{'method':38} {'seconds':>8} {'triples/s':>10} {'vs bulk_load':>12}")
    for name, secs in [("pyoxigraph Store.bulk_load (one call)", bulk),
                       ("load stage, new graphs", new), ("load stage, replacing graphs", replace),
                       *batched.items()]:
        print(f"{name:38} {secs:8.2f} {triples / secs:10.0f} {secs / bulk:11.2f}x")


if __name__ == "__main__":
    seed_graphs_cache = seed_graphs()
    main()
