"""A writer killed with SIGKILL in the middle of loading leaves every document's graph
fully old or fully new, and the store opens again: the load stage's all-or-nothing
promise, tested as a crash, on a real on-disk store. Then the commands themselves:
`claimgraph ingest` and `claimgraph serve` (during Graph Store PUTs) killed with
SIGKILL leave no orphan process (their children die with them: claimgraph.lifetime),
no lock that blocks the next run, and no partial graph.

The writer (a child process) loads batches through `OxigraphStore.replace_graphs`:
each round replaces the graphs of the documents already there with a new version
(one transaction: a rewritten graph cleared, a changed one's difference written) and
adds new documents (the bulk path). Every triple of a document's version carries the
version number, so a half-written graph would show two numbers or too few triples.
"""
from __future__ import annotations

import os
import random
import shutil
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
    # odd documents change half their triples with the version (rewritten: the graph is cleared in the
    # update), even ones a quarter (the difference is written): both paths have work to keep and to change
    step = 2 if doc % 2 else 4
    return [ox.Triple(ox.NamedNode(f"http://ex/doc/{doc}/n{j}"), ox.NamedNode("http://ex/p"),
                      ox.Literal(f"v{v} {j}" if j % step == 1 else f"stable {j}")) for j in range(per_doc)] + [
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


# ----------------------------------------------------------------------------- kill -9 of the commands

ROOT = Path(__file__).resolve().parents[1]
MARK = "CRASH_TRIAL_MARK"  # every process a trial starts inherits it: how orphans are found after a kill


def marked_processes(mark: str) -> list[str]:
    """Live processes (not zombies) whose environment carries MARK=mark: a trial's leftovers."""
    found = []
    for proc in Path("/proc").iterdir():
        if not proc.name.isdigit():
            continue
        try:
            if f"{MARK}={mark}".encode() in (proc / "environ").read_bytes().split(b"\0"):
                state = (proc / "stat").read_text().rsplit(")", 1)[1].split()[0]
                if state != "Z":
                    command = (proc / "cmdline").read_bytes().replace(b"\0", b" ")[:160].decode(errors="replace")
                    found.append(f"{proc.name}: {command}")
        except OSError:
            continue
    return found


def orphans_after(mark: str, guard_s: float = 30.0) -> list[str]:
    """What is still alive of a killed trial once its children have had `guard_s` to go (a hang guard:
    a tied child dies at once; only a real orphan is still there then)."""
    deadline = time.monotonic() + guard_s
    while (left := marked_processes(mark)) and time.monotonic() < deadline:
        time.sleep(0.5)
    return left


def graph_sizes(path: Path) -> dict[str, int]:
    with OxigraphStore(path, read_only=True) as store:
        return {g: store.graph_size(g) for g in store.named_graphs() if "/graph/run/" not in g}


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="orphans are found through Linux's /proc")
def test_sigkill_of_claimgraph_ingest_leaves_no_orphan_no_lock_and_no_partial_graph(tmp_path):
    """`claimgraph ingest` (the Prefect flow, its temporary server) killed at random moments: after
    each kill no process it started is left, the next ingest neither waits nor fails on a lock, and
    every document graph in the store is whole (the size the complete run gives it)."""
    from conftest import cli_env, run_cli

    inbox = tmp_path / "inbox"
    shutil.copytree(ROOT / "seeds", inbox)
    for page in sorted((ROOT / "tests" / "pages").glob("*.txt"))[:10]:
        shutil.copy(page, inbox / page.name)
    store = tmp_path / "store"
    rng = random.Random(7)
    seen: list[dict[str, int]] = []
    for trial in range(3):
        mark = f"ingest-{os.getpid()}-{trial}"
        env = {**cli_env(tmp_path), MARK: mark}
        proc = subprocess.Popen([str(Path(sys.executable).parent / "claimgraph"), "ingest", str(inbox),
                                 "--store", str(store)], env=env, cwd=ROOT,
                                stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        time.sleep(rng.uniform(4.0, 30.0))
        if proc.poll() is None:
            os.kill(proc.pid, signal.SIGKILL)
        proc.wait(timeout=60)
        assert orphans_after(mark) == [], f"trial {trial}: orphans"
        if store.exists():
            seen.append(graph_sizes(store))  # opens: RocksDB's LOCK went with the process
    final = run_cli(["ingest", str(inbox), "--store", str(store)], cli_env(tmp_path), timeout=900)
    assert final.returncode in (0, 1), final.stdout + final.stderr
    assert "waiting" not in final.stderr and "LOCK" not in final.stderr, final.stderr  # no lock left behind
    whole = graph_sizes(store)
    assert len(whole) >= 12, whole
    for sizes in seen:  # a graph a killed run left is the one the complete run writes, never a part of it
        for g, n in sizes.items():
            assert n == whole.get(g), f"{g}: {n} triples after a kill, {whole.get(g)} when whole"


GSP_VERSION_TRIPLES = 3000


def _version_body(doc: int, v: int) -> str:
    return "".join(f'<http://ex/doc/{doc}/n{j}> <http://ex/p> "v{v} {j}" .\n' for j in range(GSP_VERSION_TRIPLES))


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="orphans are found through Linux's /proc")
def test_sigkill_of_the_server_mid_graph_store_put(tmp_path):
    """`claimgraph serve` killed while clients PUT whole graphs through the Graph Store Protocol:
    each graph is one version, complete; none of its query workers is left; the store folder opens
    again (no RocksDB LOCK, no stale announcement in the way) for the next server."""
    import threading

    import httpx

    from conftest import cli_env, free_port

    token_file = tmp_path / "token"
    token_file.write_text("crash-token\n")
    token_file.chmod(0o600)
    store = tmp_path / "store"
    rng = random.Random(5)
    for trial in range(3):
        mark = f"gsp-{os.getpid()}-{trial}"
        port = free_port()
        url = f"http://127.0.0.1:{port}"
        env = {**cli_env(tmp_path, CLAIMGRAPH_WRITE_TOKEN_FILE=str(token_file)), MARK: mark}
        log = open(tmp_path / f"server-{trial}.log", "wb")
        proc = subprocess.Popen([str(Path(sys.executable).parent / "claimgraph"), "serve", "--host", "127.0.0.1",
                                 "--port", str(port), "--store", str(store)], env=env, cwd=ROOT,
                                stdout=log, stderr=subprocess.STDOUT)
        deadline = time.monotonic() + 120
        while True:  # hang guard only
            try:
                if httpx.get(url + "/healthz", timeout=2).status_code == 200:
                    break
            except httpx.HTTPError:
                pass
            assert proc.poll() is None and time.monotonic() < deadline, (tmp_path / f"server-{trial}.log").read_text()
            time.sleep(0.2)
        assert marked_processes(mark), "the server's query workers carry the mark too"
        stop = threading.Event()

        def put_versions(doc: int) -> None:
            with httpx.Client(timeout=30, headers={"Authorization": "Bearer crash-token"}) as client:
                v = trial * 1000
                while not stop.is_set():
                    v += 1
                    try:
                        client.put(url + "/store", params={"graph": f"http://ex/graph/{doc}"},
                                   content=_version_body(doc, v), headers={"Content-Type": "application/n-triples"})
                    except httpx.HTTPError:
                        return  # the server is gone

        writers = [threading.Thread(target=put_versions, args=(d,)) for d in range(4)]
        for w in writers:
            w.start()
        time.sleep(rng.uniform(1.0, 4.0))
        os.kill(proc.pid, signal.SIGKILL)
        proc.wait(timeout=60)
        stop.set()
        for w in writers:
            w.join(timeout=60)
        log.close()
        assert orphans_after(mark) == [], f"trial {trial}: orphans"
        with OxigraphStore(store) as opened:  # read-write: no lock left
            assert opened.named_graphs(), "no PUT got through before the kill: nothing was tried"
            for g in opened.named_graphs():
                values = [q.object.value for q in opened.graph_quads(g)]
                versions = {v.split()[0] for v in values}
                assert len(versions) == 1, f"{g}: versions {versions}"
                assert len(values) == GSP_VERSION_TRIPLES, f"{g}: {len(values)} triples, a partial graph"
