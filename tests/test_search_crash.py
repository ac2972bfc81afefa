"""kill -9 of a process writing the store and the index: afterwards the index is sound,
each graph's entries are all of one version (never a mix), and `repair` brings the index
back into agreement with the store."""
from __future__ import annotations

import os
import random
import signal
import subprocess
import sys
import textwrap
import time

import pytest

from claimgraph.search import Kind, SearchIndex, SearchRequest, drifted, repair, suspects
from claimgraph.stores import OxigraphStore
from conftest import TESTS

pytestmark = pytest.mark.slow

GRAPHS = [f"http://127.0.0.1:8000/id/graph/crash-{i}" for i in range(3)]
CLAIMS = 20

# The writer: rewrites each graph in turn, version after version, the way the load step
# will (mark pending, replace in the store, replace in the index), printing each step.
WRITER = textwrap.dedent(f"""
    import sys
    from claimgraph.search import IndexUpdater, SearchIndex
    from claimgraph.stores import OxigraphStore
    sys.path.insert(0, {str(TESTS)!r})
    from test_search_crash import document

    store, index = OxigraphStore(sys.argv[1]), SearchIndex(sys.argv[2])
    updater = IndexUpdater(index)
    version = int(sys.argv[3])
    while True:
        for g in {GRAPHS!r}:
            nt = document(g, version)
            updater.graphs_replacing([g])
            store.replace_graph(g, nt)
            updater.graph_replaced(g, nt)
            print(version, g, flush=True)
        version += 1
""")


def document(graph: str, version: int) -> str:
    """A document graph whose every claim and body carries the word ver{version}."""
    sid = graph.rsplit("/", 1)[1]
    article = f"http://127.0.0.1:8000/id/article/{sid}"
    schema, rdf = "http://schema.org/", "http://www.w3.org/1999/02/22-rdf-syntax-ns#type"
    lines = [f'<{article}> <{rdf}> <{schema}Article> .',
             f'<{article}> <{schema}headline> "Headline ver{version}" .',
             f'<{article}> <{schema}articleBody> "{" ".join(f"ver{version} body text {i}" for i in range(3000))}" .']
    for n in range(1, CLAIMS + 1):
        claim = f"{article}/claim/{n}"
        lines += [f'<{claim}> <{rdf}> <{schema}Claim> .', f'<{claim}> <{schema}text> "Claim {n} of ver{version}." .',
                  f'<{claim}> <{schema}appearance> <{article}> .']
    return "\n".join(lines) + "\n"


def versions_in_index(index: SearchIndex, graph: str, upto: int) -> dict[int, int]:
    """version -> how many of the graph's claims the index finds with that version's word."""
    found = {}
    for v in range(1, upto + 1):
        page = index.search(SearchRequest(f"ver{v}", kinds=(Kind.CLAIM,), limit=100))
        n = sum(1 for h in page.hits if h.graph == graph)
        if n:
            found[v] = n
    return found


def store_version(store: OxigraphStore, graph: str) -> int | None:
    rows = list(store.query(f'SELECT ?h WHERE {{ GRAPH <{graph}> {{ ?a <http://schema.org/headline> ?h }} }}'))
    return int(rows[0]["h"].value.rsplit("ver", 1)[1]) if rows else None


def test_kill_9_mid_write_loses_nothing_and_repair_agrees(tmp_path):
    store_dir, index_file = tmp_path / "store", tmp_path / "search"
    rng = random.Random(9)
    version = 1
    for round_ in range(5):
        proc = subprocess.Popen([sys.executable, "-c", WRITER, str(store_dir), str(index_file), str(version)],
                                stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        steps = rng.randint(4, 9)
        lines = []
        deadline = time.monotonic() + 300  # only a hang could take this long
        while len(lines) < steps and time.monotonic() < deadline:
            line = proc.stdout.readline()
            if not line:
                break
            lines.append(line)
        assert len(lines) == steps, f"writer stopped early: {proc.stderr.read()}"
        time.sleep(rng.uniform(0, 0.3))  # land somewhere inside the next step
        os.kill(proc.pid, signal.SIGKILL)
        proc.wait(60)
        assert proc.returncode == -signal.SIGKILL
        version = max(int(line.split()[0]) for line in lines) + 1  # the version the writer was on

        with OxigraphStore(store_dir) as store, SearchIndex(index_file) as index:
            index.integrity_check()
            for g in GRAPHS:
                found = versions_in_index(index, g, version + 1)
                # all or nothing: one version per graph, every one of its claims
                assert len(found) <= 1 and all(n == CLAIMS for n in found.values()), (round_, g, found)
            suspect = set(suspects(store, index))
            assert set(drifted(store, index)) <= suspect  # the cheap list covers every real drift
            repair(store, index)
            assert drifted(store, index) == [] and index.pending() == []
            for g in GRAPHS:
                v = store_version(store, g)
                assert v is None or versions_in_index(index, g, version + 1) == {v: CLAIMS}
        version += 1
