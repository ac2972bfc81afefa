"""The third-party SPARQL servers of tests/servers.py start, take the seeds' RDF over
their own HTTP interface, and answer a competency question as the embedded store does."""
from __future__ import annotations

import subprocess
import sys

import pyoxigraph as ox
import pytest

from conftest import CONTRACT_EXPECTED, CQ_CHECK, need

pytestmark = pytest.mark.slow

CQ08 = """PREFIX schema: <http://schema.org/>
SELECT DISTINCT ?author ?text WHERE {
  ?claim a schema:Claim ; schema:text ?text ; schema:author/schema:name ?author ;
         schema:appearance ?article ; schema:about ?state .
  ?article a schema:Article .
  ?state a schema:Country ; schema:name "China" .
}"""


@pytest.fixture(scope="module")
def seed_graphs(seed_store) -> dict[str, str]:
    """The seed store's named graphs as N-Triples, graph by graph."""
    from claimgraph.stores import OxigraphStore

    with OxigraphStore(seed_store.path, read_only=True) as store:
        native = store.native
        return {g.value: native.dump(format=ox.RdfFormat.N_TRIPLES, from_graph=g).decode("utf-8")
                for g in native.named_graphs() if isinstance(g, ox.NamedNode)}


@pytest.fixture(scope="module")
def expected_cq08(seed_store) -> set[tuple[str, str]]:
    from claimgraph.stores import OxigraphStore

    with OxigraphStore(seed_store.path, read_only=True) as store:
        rows = {(r["author"].value, r["text"].value) for r in store.query(CQ08)}
    assert rows, "the seeds have claims about China"
    return rows


def _check_server(server, seed_graphs, expected_cq08) -> None:
    server.load_graphs(seed_graphs)
    # Every graph arrived whole, counted by the server itself.
    counts = {r["g"]: int(r["n"]) for r in server.select(
        "SELECT ?g (COUNT(*) AS ?n) WHERE { GRAPH ?g { ?s ?p ?o } } GROUP BY ?g")}
    for graph, nt in seed_graphs.items():
        assert counts.get(graph) == len(set(nt.strip().splitlines())), graph
    got = {(r["author"], r["text"]) for r in server.select(CQ08)}
    assert got == expected_cq08
    need("cq-check")  # the contract's own question too; a clone without ../shared skips here, naming it
    out = subprocess.run([sys.executable, str(CQ_CHECK), "--endpoint", server.union_query_url,
                          "--expected", str(CONTRACT_EXPECTED), "--only", "cq08"],
                         capture_output=True, text=True, timeout=120)
    assert "1 passed, 0 failed" in out.stdout, out.stdout + out.stderr


@pytest.fixture(scope="module")
def seed_stamps(seed_store, tmp_path_factory) -> dict[str, str]:
    """The search index's stamps of the seed graphs, built from the embedded store."""
    from claimgraph.search import SearchIndex, reindex
    from claimgraph.stores import OxigraphStore

    with OxigraphStore(seed_store.path, read_only=True) as store, \
            SearchIndex(tmp_path_factory.mktemp("embedded-index")) as index:
        reindex(store, index)
        return index.stamps()


def _search_index_agrees(server, seed_stamps, tmp_path) -> None:
    """`reindex` over the server's SPARQL endpoint (the remote store's `query`) builds the
    same entries as over the embedded store, graph by graph."""
    from claimgraph.stores.remote import RemoteGraphStore
    from claimgraph.search import SearchIndex, SearchRequest, reindex

    remote = RemoteGraphStore(server.query_url, server.gsp_url)
    with SearchIndex(tmp_path / "index") as index:
        report = reindex(remote, index)
        assert not report.failed
        stamps = index.stamps()
        assert {g: stamps.get(g) for g in seed_stamps} == seed_stamps
        assert index.search(SearchRequest("rapprochement", kinds=("claim",))).total > 0


def test_oxigraph_server_takes_the_seeds_and_answers(oxigraph_server, seed_graphs, expected_cq08, seed_stamps,
                                                     tmp_path):
    _check_server(oxigraph_server, seed_graphs, expected_cq08)
    _search_index_agrees(oxigraph_server, seed_stamps, tmp_path)


def test_virtuoso_takes_the_seeds_and_answers(virtuoso_server, seed_graphs, expected_cq08, seed_stamps, tmp_path):
    _check_server(virtuoso_server, seed_graphs, expected_cq08)
    _search_index_agrees(virtuoso_server, seed_stamps, tmp_path)


def test_virtuoso_writes_need_the_user(virtuoso_server):
    """Anonymous SPARQL Update is refused; the fixture's user may write; a replaced graph
    keeps only its new triples."""
    import httpx

    g = "http://127.0.0.1:8000/id/graph/test-virtuoso-writes"
    anon = httpx.post(virtuoso_server.query_url, data={"query": f"INSERT DATA {{ GRAPH <{g}> {{ <urn:a> <urn:p> 1 }} }}"},
                      timeout=30)
    assert anon.status_code != 200 or "SR186" in anon.text
    assert virtuoso_server.put_graph(g, '<urn:a> <urn:p> "old" .\n').status_code in (200, 201)
    assert virtuoso_server.put_graph(g, '<urn:a> <urn:p> "new" .\n').status_code in (200, 201)
    assert [r["o"] for r in virtuoso_server.select(f"SELECT ?o WHERE {{ GRAPH <{g}> {{ ?s ?p ?o }} }}")] == ["new"]
    wrong = httpx.put(virtuoso_server.gsp_url, params={"graph": g}, content=b'<urn:a> <urn:p> "x" .\n',
                      headers={"Content-Type": "application/n-triples"}, auth=httpx.DigestAuth("claimgraph", "wrong"),
                      timeout=30)
    assert wrong.status_code == 401
    virtuoso_server.clear_graphs([g])
    assert virtuoso_server.select(f"SELECT ?o WHERE {{ GRAPH <{g}> {{ ?s ?p ?o }} }}") == []
