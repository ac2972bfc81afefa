"""The load stage vs pyoxigraph's `Store.bulk_load` on the same quads (DESIGN.md: new documents
within 1.3x, replacing existing ones within 2x). Prints figures; asserts nothing.

Maps the seed documents once, makes N renamed copies of their graphs (so the
triples are realistic), then times, each into a fresh on-disk store:

  bulk_load          one `Store.bulk_load` of all the quads as N-Quads (the yardstick)
  new                `OxigraphStore.replace_graphs` in batches (the load stage: one bulk insert per batch)
  replace, same      the same batches again over the filled store (a re-ingest of unchanged documents)
  replace, re-run    a new run's version of every document (its run IRI and times differ)
  replace, all new   every triple different (the worst case: a whole graph deleted and inserted)
  one per document   `replace_graph` per document, new graphs (batches of one)

and, for "every triple different", two floors that are NOT all or nothing (so the load stage
cannot use them): `Store.remove_graph` per graph then `Store.extend` (two transactions), and
then `Store.bulk_extend`. Pyoxigraph 0.5 has no atomic remove-and-bulk-insert: only
`Store.update` removes and inserts in one transaction, and it runs on a readable transaction.

    .venv/bin/python benchmarks/load_bench.py --copies 100 [--batch 16]
"""
from __future__ import annotations

import argparse
import tempfile
import time
from pathlib import Path

import pyoxigraph as ox

from claimgraph import pipeline
from claimgraph.config import get_settings
from claimgraph.sources.files import fetch_files
from claimgraph.stores import OxigraphStore

ROOT = Path(__file__).resolve().parents[1]


def seed_graphs(run):
    settings = get_settings()
    out = []
    for fetched in fetch_files([ROOT / "seeds"], settings):
        outcome = pipeline.process_document(fetched, run, nlp=pipeline.shared_nlp(settings))
        out.append(outcome.graph)
    return out


def copies(graphs, n: int, rename=lambda text, k: text) -> list[tuple[str, list[ox.Quad]]]:
    """N renamed copies of each document graph, as (graph IRI, quads)."""
    docs = []
    for k in range(n):
        for g in graphs:
            sid = g.source_id
            text = rename(g.ntriples.replace(sid, f"{sid}-{k}"), k)
            graph = g.graph_iri.replace(sid, f"{sid}-{k}")
            node = ox.NamedNode(graph)
            docs.append((graph, [ox.Quad(q.subject, q.predicate, q.object, node)
                                 for q in ox.parse(text, format=ox.RdfFormat.N_TRIPLES)]))
    return docs


def timed(store: OxigraphStore, docs, batch: int) -> float:
    started = time.perf_counter()
    for i in range(0, len(docs), batch):
        store.replace_graphs(docs[i:i + batch])
    return time.perf_counter() - started


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--copies", type=int, default=100)
    parser.add_argument("--batch", type=int, default=get_settings().load_batch_documents)
    args = parser.parse_args()
    settings = get_settings()
    graphs = seed_graphs(pipeline.new_run(settings))
    rerun = seed_graphs(pipeline.new_run(settings))  # the same documents, another run
    docs = copies(graphs, args.copies)
    docs_rerun = copies(rerun, args.copies)
    base = settings.base_iri
    # every subject minted under another path: every triple differs, the graph names stay
    docs_different = [(g, [ox.Quad(ox.NamedNode(q.subject.value.replace(base, base + "v2/")), q.predicate, q.object,
                                   q.graph_name) for q in qs]) for g, qs in docs]
    quads = sum(len(q) for _, q in docs)

    with tempfile.TemporaryDirectory() as d:
        raw = ox.Store(str(Path(d) / "s"))
        nquads = ox.serialize([q for _, qs in docs for q in qs], format=ox.RdfFormat.N_QUADS)
        started = time.perf_counter()
        raw.bulk_load(nquads, format=ox.RdfFormat.N_QUADS)
        bulk = time.perf_counter() - started
        del raw

    figures = {}
    with tempfile.TemporaryDirectory() as d:
        with OxigraphStore(Path(d) / "s") as store:
            figures[f"new, batches of {args.batch}"] = timed(store, docs, args.batch)
            figures["replace, same content"] = timed(store, docs, args.batch)
            figures["replace, re-run (new run IRI, times)"] = timed(store, docs_rerun, args.batch)
            figures["replace, every triple different"] = timed(store, docs_different, args.batch)
            assert store.triple_count() == sum(len(set(q)) for _, q in docs_different)
    with tempfile.TemporaryDirectory() as d:
        with OxigraphStore(Path(d) / "s") as store:
            figures["new, one document per call"] = timed(store, docs, 1)
    for name, insert in (("floor: remove_graph + extend (2 txns)", "extend"),
                         ("floor: remove_graph + bulk_extend", "bulk_extend")):
        with tempfile.TemporaryDirectory() as d:
            with OxigraphStore(Path(d) / "s") as store:
                timed(store, docs, args.batch)
                native = store.native
                started = time.perf_counter()
                for i in range(0, len(docs_different), args.batch):
                    batch = docs_different[i:i + args.batch]
                    for g, _ in batch:
                        native.remove_graph(ox.NamedNode(g))
                    getattr(native, insert)([q for _, qs in batch for q in qs])
                figures[name] = time.perf_counter() - started

    print(f"{len(docs)} documents, {quads} quads")
    print(f"{'method':42} {'seconds':>8} {'quads/s':>10} {'vs bulk_load':>12}")
    for name, secs in [("pyoxigraph Store.bulk_load (one call)", bulk), *figures.items()]:
        print(f"{name:42} {secs:8.2f} {quads / secs:10.0f} {secs / bulk:11.2f}x")


if __name__ == "__main__":
    main()
