"""Federated queries through /sparql: SERVICE to an allow-listed endpoint (a
Wikidata stand-in on 127.0.0.1) returns joined rows; any other address is
refused with 400 before the query runs."""
from __future__ import annotations

import json

import httpx
import pytest

from test_api import Server, make_store
from wikidata_standin import start_standin

LOCAL = ('<http://127.0.0.1:8000/id/state/KOR> <http://schema.org/name> "South Korea" .\n'
         '<http://127.0.0.1:8000/id/state/KOR> <http://www.w3.org/2002/07/owl#sameAs> '
         '<http://www.wikidata.org/entity/Q884> .\n')


@pytest.fixture(scope="module")
def federation(tmp_path_factory):
    standin = start_standin()
    root = tmp_path_factory.mktemp("federation")
    make_store(root / "store", {"http://127.0.0.1:8000/id/graph/doc": LOCAL})
    srv = Server(root / "store", root / "uvicorn.log",
                 CLAIMGRAPH_SERVICE_ALLOWLIST=json.dumps([standin.sparql_url]))
    yield srv, standin
    srv.stop()
    standin.stop()


def test_service_to_the_allow_listed_endpoint_joins_local_and_remote(federation):
    srv, standin = federation
    query = f"""PREFIX owl: <http://www.w3.org/2002/07/owl#> PREFIX schema: <http://schema.org/>
    PREFIX rdfs: <http://www.w3.org/2000/01/rdf-schema#>
    SELECT ?name ?label WHERE {{
      ?s schema:name ?name ; owl:sameAs ?item .
      SERVICE <{standin.sparql_url}> {{ ?item rdfs:label ?label FILTER(LANG(?label) = "ko") }}
    }}"""
    r = httpx.post(srv.url, data={"query": query}, headers={"Accept": "application/sparql-results+json"}, timeout=30)
    assert r.status_code == 200, r.text
    rows = [{k: v["value"] for k, v in b.items()} for b in r.json()["results"]["bindings"]]
    assert rows == [{"name": "South Korea", "label": "대한민국"}]
    assert standin.count("/sparql") >= 1


def test_service_to_any_other_address_is_refused(federation):
    srv, standin = federation
    before = standin.count()
    query = "SELECT * WHERE { SERVICE <https://query.wikidata.org/sparql> { ?s ?p ?o } }"  # not on this allow-list
    r = httpx.post(srv.url, data={"query": query}, timeout=30)
    assert r.status_code == 400 and "refused" in r.text
    assert standin.count() == before


def test_enrich_flow_writes_wikidata_facts_into_their_own_graph(tmp_path):
    """`claimgraph enrich` (a real Prefect flow run) against the stand-in."""
    from conftest import cli_env, run_cli
    from claimgraph.stores import OxigraphStore

    standin = start_standin()
    try:
        make_store(tmp_path / "store", {"http://127.0.0.1:8000/id/graph/doc": LOCAL})
        env = cli_env(tmp_path, CLAIMGRAPH_WIKIDATA_OFFLINE="false", CLAIMGRAPH_WIKIDATA_SPARQL=standin.sparql_url,
                      CLAIMGRAPH_WIKIDATA_API=standin.api_url, CLAIMGRAPH_WIKIDATA_CACHE=str(tmp_path / "cache"))
        result = run_cli(["enrich", "--store", str(tmp_path / "store")], env)
        assert result.returncode == 0, result.stdout + result.stderr
        with OxigraphStore(tmp_path / "store", read_only=True) as store:
            rows = list(store.query(
                'SELECT ?iso WHERE { GRAPH <http://127.0.0.1:8000/id/graph/wikidata> { '
                '<http://www.wikidata.org/entity/Q884> <http://www.wikidata.org/prop/direct/P297> ?iso } }'))
            assert [r["iso"].value for r in rows] == ["KR"]
    finally:
        standin.stop()
