"""The text index kept in step with a real Oxigraph store on disk (claimgraph.search.follow):
load batches through the pipeline's observers (one index commit per batch), replaced and
dropped graphs, arbitrary updates, a failing index write, kill -9 of a following writer
and the repair at the next start, and the seed store the real Prefect flow built."""
from __future__ import annotations

import os
import signal
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pyoxigraph as ox
import pytest

from claimgraph import pipeline
from claimgraph.config import settings_from
from claimgraph.model import DocumentGraph, DocumentOutcome
from claimgraph.search import Kind, SearchIndex, SearchRequest, drifted, suspects
from claimgraph.search.follow import SearchIndexObserver, follow_store, follower_of
from claimgraph.search.sync import ALL_GRAPHS
from claimgraph.stores import OxigraphStore
from test_search import BASE, CHINA, DOCS, JAPAN, doc

HANG_GUARD_S = 120  # only a hang takes this long


def settings_for(store: Path, **extra: str):
    return settings_from({"CLAIMGRAPH_STORE": str(store), **extra})


def iris(page) -> list[str]:
    return [h.iri for h in page.hits]


def outcome(graph_iri: str, nt: str) -> DocumentOutcome:
    """A built document as process_document hands it to the load step."""
    sid = graph_iri.rsplit("/", 1)[1]
    quads = tuple(ox.Quad(t.subject, t.predicate, t.object, ox.NamedNode(graph_iri))
                  for t in ox.parse(nt, format=ox.RdfFormat.N_TRIPLES))
    graph = DocumentGraph(sid, graph_iri, quads, BASE + f"article/{sid}")
    return DocumentOutcome(sid, sid, "built", triples=len(quads), graph=graph)


def count_commits(index: SearchIndex, monkeypatch) -> list[list[str]]:
    """Record the graphs of each index commit (the real write still happens)."""
    commits: list[list[str]] = []
    real = index._apply

    def counted(changes):
        commits.append(sorted(changes))
        return real(changes)

    monkeypatch.setattr(index, "_apply", counted)
    return commits


def test_a_load_batch_is_one_index_commit_and_visible_at_once(tmp_path, monkeypatch):
    settings = settings_for(tmp_path / "store")
    observers = pipeline.default_observers(settings)
    assert [type(o) for o in observers] == [SearchIndexObserver]
    run = pipeline.new_run(settings)
    with OxigraphStore(tmp_path / "store") as store:
        first = [outcome(g, nt) for g, nt in DOCS[:2]]
        pipeline.load_documents(store, first, run, observers)
        follower = follower_of(store)
        assert follower is not None and follower.index.path == tmp_path / "store.search"
        assert {o.status for o in first} == {"loaded"}
        assert follower.index.search(SearchRequest("chip", kinds=(Kind.ARTICLE,))).total == 1  # no reopen, no wait

        commits = count_commits(follower.index, monkeypatch)
        g1, _ = DOCS[0]
        _, changed = doc("d1", "Tariff truce", "Tariffs on steel were cut.", [("Tariffs will fall.", [JAPAN])])
        batch = [outcome(g1, changed), outcome(*DOCS[2])]
        pipeline.load_documents(store, batch, run, observers)
        assert commits == [sorted([g1, DOCS[2][0]])]  # the whole batch, one commit
        ix = follower.index
        assert ix.search(SearchRequest("chip")).total == 0  # the replaced document left no stale hit
        assert iris(ix.search(SearchRequest("tariffs", kinds=(Kind.CLAIM,)))) == [BASE + "article/d1/claim/1"]
        assert ix.search(SearchRequest("sanctions", kinds=(Kind.CLAIM,))).total == 1
        assert drifted(store, ix) == []

        pipeline.load_documents(store, [outcome(g1, changed)], run, observers)  # the same content again
        assert len(commits) == 1  # nothing changed in the store: nothing to commit
    # Closed cleanly: the session's mark is gone, a new follower has nothing to repair.
    with SearchIndex(tmp_path / "store.search", read_only=True) as ix:
        assert ix.pending() == []


def test_drops_and_arbitrary_updates_are_followed(tmp_path):
    with OxigraphStore(tmp_path / "store") as store:
        follower = follow_store(store, settings_for(tmp_path / "store"))
        ix = follower.index
        for g, nt in DOCS:
            store.replace_graph(g, nt)
        store.drop_graph(DOCS[2][0])
        assert ix.search(SearchRequest("sanctions")).total == 0

        # An update that names its graph (what api/update.py tells the listeners)...
        g2 = DOCS[1][0]
        store.native.update(f'INSERT DATA {{ GRAPH <{g2}> {{ <{BASE}article/d2/claim/9> a <http://schema.org/Claim> ; '
                            f'<http://schema.org/text> "Quotas on rice are coming." }} }}')
        store.changed(other=True, graphs=[g2])
        assert iris(ix.search(SearchRequest("quotas"))) == [BASE + "article/d2/claim/9"]
        # ... and one that does not: every graph is checked.
        store.update(f'DELETE WHERE {{ GRAPH ?g {{ <{BASE}article/d2/claim/9> ?p ?o }} }}')
        assert ix.search(SearchRequest("quotas")).total == 0
        # Writes to the store's own default graph are not indexed and cost no check.
        store.replace_default_graph(f'<{BASE}x> <http://schema.org/text> "nothing to index" .\n')
        assert drifted(store, ix) == []


def test_a_failed_index_write_never_fails_the_store_and_catches_up(tmp_path, monkeypatch):
    with OxigraphStore(tmp_path / "store") as store:
        follower = follow_store(store, settings_for(tmp_path / "store"))
        ix = follower.index
        g, nt = DOCS[0]
        monkeypatch.setattr(ix, "update_graphs", lambda changes: (_ for _ in ()).throw(OSError("disk full")))
        store.replace_graph(g, nt)  # the store's write stands
        assert store.graph_size(g) > 0 and follower.last_error == "OSError: disk full"
        assert drifted(store, ix) == [g]
        monkeypatch.undo()
        store.replace_graph(*DOCS[1])  # the next write brings the one left behind too
        assert follower.last_error is None and drifted(store, ix) == []
        assert ix.search(SearchRequest("chip")).total > 0


def test_search_off_keeps_no_index(tmp_path):
    settings = settings_for(tmp_path / "store", CLAIMGRAPH_SEARCH="false")
    assert pipeline.default_observers(settings) == []
    with OxigraphStore(tmp_path / "store") as store:
        assert follow_store(store, settings) is None
    assert not (tmp_path / "store.search").exists()


# The follower in its own process: writes each graph, prints, then waits to be killed.
WRITER = textwrap.dedent("""
    import sys, time
    sys.path.insert(0, sys.argv[3])
    from claimgraph.config import settings_from
    from claimgraph.search.follow import follow_store
    from claimgraph.stores import OxigraphStore
    from test_search import DOCS

    store = OxigraphStore(sys.argv[1])
    follow_store(store, settings_from({"CLAIMGRAPH_STORE": sys.argv[1], "CLAIMGRAPH_SEARCH_INDEX": sys.argv[2]}))
    for g, nt in DOCS:
        store.replace_graph(g, nt)
    store.flush()
    print("written", flush=True)
    time.sleep(600)
""")


@pytest.mark.slow
def test_after_kill_9_the_next_follower_checks_every_graph(tmp_path):
    store_dir, index_dir = tmp_path / "store", tmp_path / "elsewhere.search"  # CLAIMGRAPH_SEARCH_INDEX is honoured
    proc = subprocess.Popen([sys.executable, "-c", WRITER, str(store_dir), str(index_dir), str(Path(__file__).parent)],
                            stdout=subprocess.PIPE, text=True)
    try:
        assert proc.stdout.readline().strip() == "written"
    finally:
        os.kill(proc.pid, signal.SIGKILL)
        proc.wait(HANG_GUARD_S)
    with SearchIndex(index_dir, read_only=True) as ix:
        marks = ix.pending()
        assert len(marks) == 1 and marks[0].startswith(ALL_GRAPHS)  # the dead writer's session mark
        assert ix.search(SearchRequest("chip")).total > 0
    # The store changes with nobody following (what a kill between the two commits leaves):
    g1 = DOCS[0][0]
    _, changed = doc("d1", "Grain corridor", "Ships carry grain again.", [("The corridor will hold.", [CHINA])])
    with OxigraphStore(store_dir) as store:
        store.replace_graph(g1, changed)
    with OxigraphStore(store_dir) as store, SearchIndex(index_dir) as ix:
        assert suspects(store, ix) == sorted(store.named_graphs())  # every graph is a suspect
        assert drifted(store, ix) == [g1]
    with OxigraphStore(store_dir) as store:
        follower = follow_store(store, settings_for(store_dir, CLAIMGRAPH_SEARCH_INDEX=str(index_dir)))
        ix = follower.index
        assert drifted(store, ix) == [] and ix.search(SearchRequest("chip")).total == 0
        assert iris(ix.search(SearchRequest("corridor", kinds=(Kind.CLAIM,)))) == [BASE + "article/d1/claim/1"]
        assert ix.pending() == [follower.session_mark]  # the dead one's mark went with the repair
    with SearchIndex(index_dir, read_only=True) as ix:
        assert ix.pending() == []


@pytest.mark.slow
def test_the_prefect_flow_keeps_the_index_beside_the_store(tmp_path):
    """`claimgraph ingest` (the real Prefect flow) writes the index beside the store in the same
    run, and closes it cleanly: it agrees with every graph and no writer's mark is left."""
    from conftest import SEEDS, cli_env, run_cli

    inbox = tmp_path / "inbox"
    inbox.mkdir()
    page = sorted(SEEDS.glob("002_*.txt"))[0]
    (inbox / page.name).write_bytes(page.read_bytes())
    store_dir = tmp_path / "store"
    done = run_cli(["ingest", str(inbox), "--store", str(store_dir)], cli_env(tmp_path), timeout=HANG_GUARD_S * 5)
    assert done.returncode == 0, done.stdout + done.stderr
    with OxigraphStore(store_dir, read_only=True) as store, \
            SearchIndex(tmp_path / "store.search", read_only=True) as ix:
        assert ix.pending() == []
        assert drifted(store, ix) == []
        claims = ix.search(SearchRequest("rapprochement", kinds=(Kind.CLAIM,), limit=10)).hits
        assert len(claims) >= 3 and all("rapprochement" in h.label.lower() for h in claims)


def test_the_stores_own_writes_name_the_graphs_they_change(tmp_path):
    """The API writes through the store's methods (so that the same routes serve a remote store);
    on the embedded store those methods take the write lock and tell the listeners (the search
    index) exactly which graphs may have changed: a Graph Store POST its target graph, none for
    the default graph, any for a quad body; an update the graphs its text names."""
    from claimgraph.api.update import execute_update

    g1, g2 = DOCS[0][0], DOCS[1][0]
    with OxigraphStore(tmp_path / "store") as store:
        seen = []
        store.add_listener(lambda change: seen.append((change.graphs, store.write_lock.locked())))
        nt = f'<{BASE}article/m/claim/1> <http://schema.org/text> "Tariffs on steel." .\n'.encode()
        store.merge_rdf(nt, ox.RdfFormat.N_TRIPLES, graph=g1)
        store.merge_rdf(nt, ox.RdfFormat.N_TRIPLES)  # the store's own default graph
        store.merge_rdf(f'<{BASE}s> <{BASE}p> "o" <{g2}> .\n'.encode(), ox.RdfFormat.N_QUADS, keep_graphs=True)
        execute_update(store, f'INSERT DATA {{ GRAPH <{g2}> {{ <{BASE}s> <{BASE}p> "v" }} }}', BASE)
        execute_update(store, "DELETE WHERE { GRAPH ?g { ?s ?p ?o } }", BASE)
        store.update("CLEAR DEFAULT")  # no graphs named: any graph
        assert seen == [((g1,), True), ((), True), (None, True), ((g2, BASE + "s", BASE + "p"), True),
                        (None, True), (None, True)]
        assert not store.write_lock.locked()
