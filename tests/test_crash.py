"""A writer killed with SIGKILL in the middle of loading leaves every document's graph
fully old or fully new, and the store opens again: the load stage's all-or-nothing
promise, tested as a crash, on a real on-disk store.

The writer (a child process) loads batches through `OxigraphStore.replace_graphs`:
each round replaces the graphs of the documents already there with a new version
(the diff path, one transaction) and adds new documents (the bulk path). Every
triple of a document's version carries the version number, so a half-written graph
would show two numbers or too few triples.
"""
from __future__ import annotations

import os
import random
import signal
import subprocess
import sys
import time
from pathlib import Path

import pyoxigraph as ox
import pytest

from claimgraph.stores import OxigraphStore

pytestmark = pytest.mark.slow

TRIPLES_PER_DOC = 400
WRITER = r'''
import sys
import pyoxigraph as ox
from claimgraph.stores import OxigraphStore

path, per_doc = sys.argv[1], int(sys.argv[2])

def version(doc, v):
    s = ox.NamedNode(f"http://ex/doc/{doc}")
    # half the triples change with the version, half stay: the diff path has work to keep and to change
    return [ox.Triple(ox.NamedNode(f"http://ex/doc/{doc}/n{j}"), ox.NamedNode("http://ex/p"),
                      ox.Literal(f"v{v} {j}" if j % 2 else f"stable {j}")) for j in range(per_doc)] + [
            ox.Triple(s, ox.NamedNode("http://ex/version"), ox.Literal(str(v)))]

store = OxigraphStore(path)
v = 0
while True:
    v += 1
    docs = range(0, 10 + 4 * v)  # every round: the old documents replaced, four new ones added
    store.replace_graphs([(f"http://ex/graph/{d}", version(d, v)) for d in docs])
    print(v, flush=True)
'''


def check_every_graph_whole(path: Path) -> int:
    """Each document graph holds exactly one version, complete. Returns the number of graphs."""
    with OxigraphStore(path) as store:  # read-write: the store must open after the crash
        graphs = store.named_graphs()
        for g in graphs:
            quads = store.graph_quads(g)
            versions = {q.object.value for q in quads if q.predicate.value == "http://ex/version"}
            assert len(versions) == 1, f"{g} holds versions {versions}"
            v = versions.pop()
            changing = [q.object.value for q in quads if q.object.value.startswith("v")]
            assert all(value.startswith(f"v{v} ") for value in changing), f"{g}: mixed versions"
            assert len(quads) == TRIPLES_PER_DOC + 1, f"{g}: {len(quads)} triples, a partial graph"
        return len(graphs)


def test_sigkill_mid_load_leaves_each_document_fully_old_or_fully_new(tmp_path):
    path = tmp_path / "store"
    rng = random.Random(11)
    script = tmp_path / "writer.py"
    script.write_text(WRITER)
    graphs_seen = []
    for trial in range(6):
        proc = subprocess.Popen([sys.executable, str(script), str(path), str(TRIPLES_PER_DOC)],
                                stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        first = proc.stdout.readline()  # at least one round done, so that there is something old
        assert first.strip(), proc.stderr.read()
        time.sleep(rng.uniform(0.05, 1.5))
        os.kill(proc.pid, signal.SIGKILL)
        proc.wait(timeout=60)
        assert proc.returncode == -signal.SIGKILL
        graphs_seen.append(check_every_graph_whole(path))
    assert graphs_seen[-1] >= 14  # the store kept growing across the crashes


def test_a_failed_batch_changes_nothing(tmp_path):
    with OxigraphStore(tmp_path / "store") as store:
        old = [ox.Triple(ox.NamedNode("http://ex/a"), ox.NamedNode("http://ex/p"), ox.Literal("old"))]
        store.replace_graphs([("http://g/a", old)])
        with pytest.raises(SyntaxError):
            store.replace_graphs([("http://g/a", [ox.Triple(ox.NamedNode("http://ex/a"), ox.NamedNode("http://ex/p"),
                                                            ox.Literal("new"))]),
                                  ("http://g/b", '<http://ex/b> <http://ex/p> "unterminated .\n')])
        assert [q.object.value for q in store.graph_quads("http://g/a")] == ["old"]
        assert store.named_graphs() == ["http://g/a"]
