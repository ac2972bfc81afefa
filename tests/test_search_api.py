"""Search where users are, over the real server on 127.0.0.1: `/search` (JSON, HTML, filters,
paging, reasons for bad requests, OpenAPI), text search inside SPARQL (`SERVICE cg:search`),
the search box on the web pages, writes through the API visible in search at once, the
repair at start after a kill -9, and `claimgraph reindex`.

Two servers: `claimgraph serve` over the seed store the real flow built (conftest `server`;
read only here), and one over a store of small documents with a write token (this module)."""
from __future__ import annotations

import os
import re
import signal
import subprocess
from pathlib import Path

import httpx
import pytest

from claimgraph.search import SearchIndex, SearchRequest, drifted
from claimgraph.stores import OxigraphStore
from conftest import cli_env, run_cli, start_claimgraph_server
from test_api import make_store
from test_search import BASE, CHINA, DOCS, JAPAN, KOREA, doc

pytestmark = pytest.mark.slow

TOKEN = "search-write-token"
CG = "https://w3id.org/claimgraph/ontology#"
PREFIXES = f"PREFIX cg: <{CG}>\nPREFIX schema: <http://schema.org/>\n"
JSON = {"Accept": "application/json"}
HTMLA = {"Accept": "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8"}  # a browser's


def search(base: str, **params) -> dict:
    r = httpx.get(base + "/search", params=params, headers=JSON, timeout=30)
    assert r.status_code == 200, r.text
    assert r.headers["content-type"].startswith("application/json")
    return r.json()


def sparql(base: str, query: str, *, status: int = 200) -> list[dict[str, str]] | str:
    r = httpx.post(base + "/sparql", data={"query": query}, headers={"Accept": "application/sparql-results+json"},
                   timeout=60)
    assert r.status_code == status, r.text
    if status != 200:
        return r.text
    return [{k: v["value"] for k, v in b.items()} for b in r.json()["results"]["bindings"]]


# ----------------------------------------------------------------------------- over the seeds


def test_ranked_top_results_over_the_seeds(server):
    person = search(server.url, q="Kishida", type="entity")["hits"][0]
    assert person["iri"] == BASE + "person/fumio-kishida" and person["category"] == "person"

    claims = search(server.url, q="rapprochement", type="claim", limit=5)
    assert claims["total"] >= 5 and len(claims["hits"]) == 5
    scores = [h["score"] for h in claims["hits"]]
    assert scores == sorted(scores, reverse=True)
    assert all("<mark>rapprochement</mark>" in h["snippet"].lower() for h in claims["hits"])
    # the short claims that say little else rank first (BM25 length normalisation)
    assert claims["hits"][0]["label"] in ("This ‘rapprochement’ won’t last.", "Thus the rapprochement won’t last.")

    articles = search(server.url, q='"South Korea" Japan rapprochement', type="article")
    assert {h["graph"].rsplit("/", 1)[1][:3] for h in articles["hits"]} == {"000", "002"}
    assert all(h["page"].startswith("/id/article/") for h in articles["hits"])

    prefix = search(server.url, q="rapproch*", type="claim", limit=50)
    assert prefix["total"] >= claims["total"]  # every claim that matched the word matches its prefix

    # Each hit's page opens on this server: the linked-data page of that IRI.
    page = httpx.get(server.url + person["page"], headers=HTMLA, timeout=30)
    assert page.status_code == 200 and "Kishida" in page.text


def test_a_text_match_joins_with_the_states_claims_are_about(server):
    """`SERVICE cg:search` inside SPARQL, joined with `schema:about` a state: exactly the claims
    that contain the word and are about South Korea, as SPARQL's own CONTAINS finds them."""
    joined = sparql(server.url, PREFIXES + """SELECT DISTINCT ?claim ?score WHERE {
        SERVICE cg:search { ?claim cg:matches "rapprochement" ; cg:type "claim" ; cg:score ?score }
        ?claim schema:about ?state . ?state a schema:Country ; schema:name "South Korea" .
      } ORDER BY DESC(?score)""")
    truth = sparql(server.url, PREFIXES + """SELECT DISTINCT ?claim WHERE {
        ?claim a schema:Claim ; schema:text ?t ; schema:about ?state .
        ?state a schema:Country ; schema:name "South Korea" .
        FILTER(CONTAINS(LCASE(?t), "rapprochement")) }""")
    assert joined and {r["claim"] for r in joined} == {r["claim"] for r in truth}
    scores = [float(r["score"]) for r in joined]
    assert scores == sorted(scores, reverse=True)

    # Filters inside the block are the index's; its limit cuts the ranked list.
    top = sparql(server.url, PREFIXES + f"""SELECT ?claim WHERE {{
        SERVICE cg:search {{ ?claim cg:matches "rapprochement" ; cg:state <{KOREA}> ; cg:limit 2 }} }}""")
    assert len(top) == 2 and {r["claim"] for r in top} <= {r["claim"] for r in truth}


def test_the_search_example_tab_runs(server):
    from claimgraph.api import ui

    examples = ui.load_examples(Path(__file__).resolve().parents[1] / "ontology" / "queries" / "search")
    assert examples and all(e.name.startswith("SEARCH") for e in examples)
    page = httpx.get(server.url + "/", timeout=30).text
    for e in examples:
        assert f'"name": "{e.name}"' in page  # a tab of the query page
        assert sparql(server.url, e.query), f"{e.name} found nothing over the seeds"


def test_html_page_and_the_search_boxes(server):
    r = httpx.get(server.url + "/search", params={"q": "Yoon"}, headers=HTMLA, timeout=30)
    assert r.status_code == 200 and r.headers["content-type"].startswith("text/html")
    assert "<mark>Yoon</mark>" in r.text and 'href="/id/person/yoon-suk-yeol"' in r.text
    assert 'name="q" value="Yoon"' in r.text
    empty = httpx.get(server.url + "/search", headers=HTMLA, timeout=30)
    assert empty.status_code == 200 and 'action="/search"' in empty.text
    for path in ("/", "/id/person/fumio-kishida", "/ontology"):  # the query page and the linked-data pages
        page = httpx.get(server.url + path, headers=HTMLA, timeout=30).text
        assert re.search(r'<form class="search" action="/search" method="get" role="search"><input type="search" '
                         r'name="q"', page), path


def test_search_is_in_the_openapi_description(server):
    spec = httpx.get(server.url + "/openapi.json", timeout=30).json()
    op = spec["paths"]["/search"]["get"]
    assert {p["name"] for p in op["parameters"]} == {"q", "type", "state", "author", "publisher", "from", "to",
                                                     "limit", "offset", "format"}
    assert all(p["description"] for p in op["parameters"])
    assert {"200", "400", "503"} <= set(op["responses"])


# ----------------------------------------------------------------------------- a server that takes writes


@pytest.fixture(scope="module")
def writable(tmp_path_factory):
    root = tmp_path_factory.mktemp("search-api")
    make_store(root / "store", dict(DOCS))  # written with nobody following: the server indexes it at start
    url, process = start_claimgraph_server(root, store=root / "store", CLAIMGRAPH_WRITE_TOKEN=TOKEN)
    yield url
    process.stop()


def put(url: str, graph: str, nt: str) -> None:
    r = httpx.put(url + "/store", params={"graph": graph}, content=nt.encode(),
                  headers={"Content-Type": "application/n-triples", "Authorization": f"Bearer {TOKEN}"}, timeout=60)
    assert r.status_code in (201, 204), r.text


def test_filters_and_paging(writable):
    assert search(writable, q="export controls", state="Japan")["total"] >= 1
    japan = search(writable, q="export controls", type="claim", state=JAPAN)
    assert [h["iri"] for h in japan["hits"]] == [BASE + "article/d1/claim/2"]
    by_name = search(writable, q="export controls", type="claim", state="Japan")
    assert by_name["hits"] == japan["hits"]
    dated = search(writable, q="export", type="article", **{"from": "2024-01-01"})
    assert [h["iri"] for h in dated["hits"]] == [BASE + "article/d1"] and dated["hits"][0]["date"] == "2024-03-10"
    assert search(writable, q="sanctions", author="Ann Lee", publisher="Ledger")["total"] >= 1
    assert search(writable, q="sanctions", author="Bo Kim")["total"] == 0
    assert search(writable, q="summit", type="claim,article")["total"] >= 1

    everything = search(writable, q="export OR sanctions OR summit", limit=2)
    assert everything["total"] > 2 and len(everything["hits"]) == 2 and everything["previous"] is None
    second = httpx.get(writable + everything["next"], headers=JSON, timeout=30).json()
    assert second["offset"] == 2 and not {h["iri"] for h in second["hits"]} & {h["iri"] for h in everything["hits"]}


@pytest.mark.parametrize("params, reason", [
    ({"q": '"export controls'}, "quotation mark is not closed"),
    ({"q": "-china"}, "only excludes"),
    ({"q": "a*"}, "at least 2 letters"),
    ({}, "q is required"),
    ({"q": "x", "type": "tweet"}, "type must be one of"),
    ({"q": "x", "limit": "500"}, "limit must be between 1 and 100"),
    ({"q": "x", "offset": "many"}, "offset must be a whole number"),
    ({"q": "x", "from": "March"}, "YYYY-MM-DD"),
    ({"q": "x", "state": "Atlantis"}, "no state named 'Atlantis'"),
])
def test_bad_requests_get_400_with_the_reason(writable, params, reason):
    r = httpx.get(writable + "/search", params=params, headers=JSON, timeout=30)
    assert r.status_code == 400 and reason in r.json()["error"], r.text
    page = httpx.get(writable + "/search", params=params, headers=HTMLA, timeout=30)
    if not params:  # a browser without a query gets the empty form
        assert page.status_code == 200 and 'action="/search"' in page.text
        return
    assert page.status_code == 400 and reason.replace("'", "&#39;") in page.text


def test_bad_search_blocks_in_sparql_get_400_with_the_reason(writable):
    for block, reason in [('?c cg:matches ?words', "takes a constant"),
                          ('?c cg:matches "\\"unclosed"', "quotation mark is not closed"),
                          ('?c cg:about "x"', "unknown predicate"),
                          ('?c cg:matches "x" ; cg:limit 0', "between 1 and"),
                          ('?c cg:score ?s', "needs ?c cg:matches")]:
        text = sparql(writable, PREFIXES + f"SELECT * WHERE {{ SERVICE cg:search {{ {block} }} }}", status=400)
        assert reason in text, (block, text)


def test_user_text_never_reaches_the_query(writable):
    """A search string written to break out of its literal is only ever search text."""
    rows = sparql(writable, PREFIXES + r"""SELECT ?c WHERE {
        SERVICE cg:search { ?c cg:matches "export\" } } ; DROP ALL ; INSERT DATA { <x> <y> <z> } # \"" } }""")
    assert rows == [] or all(r["c"].startswith(BASE) for r in rows)
    assert search(writable, q="export")["total"] > 0  # nothing was dropped


def test_writes_through_the_api_are_searchable_at_once(writable):
    g5, nt5 = doc("w5", "Quotas on rice", "Rice quotas are back in Tokyo.", [("Japan imposes rice quotas.", [JAPAN])],
                  date="2024-05-01")
    put(writable, g5, nt5)  # Graph Store PUT: a new graph
    assert [h["iri"] for h in search(writable, q="quotas", type="claim")["hits"]] == [BASE + "article/w5/claim/1"]

    _, replaced = doc("w5", "Barley tariffs", "Barley tariffs instead.", [("Tariffs on barley rise.", [CHINA])])
    put(writable, g5, replaced)  # replaced: no stale hit of the old version
    assert search(writable, q="quotas")["total"] == 0
    assert search(writable, q="barley", type="claim", state="China")["total"] == 1

    auth = {"Authorization": f"Bearer {TOKEN}"}
    r = httpx.post(writable + "/sparql", data={"update": f"""PREFIX schema: <http://schema.org/>
        INSERT DATA {{ GRAPH <{g5}> {{ <{BASE}article/w5/claim/2> a schema:Claim ;
            schema:text "Millet prices will double." ; schema:appearance <{BASE}article/w5> }} }}"""},
                   headers=auth, timeout=60)
    assert r.status_code == 204, r.text  # SPARQL Update naming its graph
    assert search(writable, q="millet")["total"] == 1
    r = httpx.post(writable + "/sparql", data={"update": """PREFIX schema: <http://schema.org/>
        DELETE { GRAPH ?g { ?c schema:text ?t } } WHERE { GRAPH ?g { ?c schema:text ?t FILTER(CONTAINS(?t, "Millet")) } }"""},
                   headers=auth, timeout=60)
    assert r.status_code == 204, r.text  # one that names no graph: every graph is checked
    assert search(writable, q="millet")["total"] == 0

    r = httpx.post(writable + "/store", params={"graph": g5}, headers={**auth, "Content-Type": "text/turtle"},
                   content=f'<{BASE}article/w5/claim/3> a <http://schema.org/Claim> ; '
                           f'<http://schema.org/text> "Sorghum exports stop." .'.encode(), timeout=60)
    assert r.status_code == 204, r.text  # Graph Store POST (a merge)
    assert search(writable, q="sorghum")["total"] == 1

    r = httpx.delete(writable + "/store", params={"graph": g5}, headers=auth, timeout=60)
    assert r.status_code == 204
    assert search(writable, q="barley OR sorghum")["total"] == 0


# ----------------------------------------------------------------------------- crash and rebuild


def test_after_kill_9_the_server_repairs_the_index_at_start(tmp_path):
    store_dir = tmp_path / "store"
    make_store(store_dir, dict(DOCS))
    url, process = start_claimgraph_server(tmp_path, store=store_dir, CLAIMGRAPH_WRITE_TOKEN=TOKEN)
    try:
        g6, nt6 = doc("k6", "Naval patrols", "Patrols in the strait.", [("Patrols will grow.", [CHINA])])
        put(url, g6, nt6)
        assert search(url, q="patrols", type="claim")["total"] == 1
    finally:
        os.kill(process.proc.pid, signal.SIGKILL)  # no clean stop: the index keeps the session's mark
        process.proc.wait(60)
        process._log_fh.close()
    # While nobody serves it the store changes (as if the kill came between its commit and the index's):
    _, changed = doc("k6", "Port access", "Port access talks.", [("Port access is agreed.", [KOREA])])
    with OxigraphStore(store_dir) as store:
        store.replace_graph(g6, changed)
    (tmp_path / "again").mkdir()
    url, process = start_claimgraph_server(tmp_path / "again", store=store_dir)
    try:
        assert search(url, q="patrols")["total"] == 0
        assert search(url, q="port access", type="claim", state="South Korea")["total"] == 1
    finally:
        process.stop()
    with OxigraphStore(store_dir, read_only=True) as store, \
            SearchIndex(tmp_path / "store.search", read_only=True) as ix:
        assert drifted(store, ix) == [] and ix.pending() == []


def test_claimgraph_reindex_rebuilds_from_the_store(tmp_path):
    store_dir = tmp_path / "store"
    make_store(store_dir, dict(DOCS))
    env = cli_env(tmp_path)
    (tmp_path / "srv").mkdir()
    url, process = start_claimgraph_server(tmp_path / "srv", store=store_dir)
    try:
        held = run_cli(["reindex", "--store", str(store_dir)], env)
        assert held.returncode == 2 and "holds" in held.stderr and url in held.stderr
    finally:
        process.stop()
    fresh = run_cli(["reindex", "--store", str(store_dir), "--fresh"], env)
    assert fresh.returncode == 0, fresh.stdout + fresh.stderr
    assert f"{len(DOCS)} rewritten" in fresh.stdout
    again = run_cli(["reindex", "--store", str(store_dir)], env)
    assert again.returncode == 0 and "0 rewritten" in again.stdout
    with SearchIndex(tmp_path / "store.search", read_only=True) as ix:
        assert ix.search(SearchRequest("export controls")).total > 0
    query = run_cli(["query", "--store", str(store_dir), "--format", "csv", PREFIXES +
                     'SELECT ?c WHERE { SERVICE cg:search { ?c cg:matches "rapprochement" } }'], env)
    assert query.returncode == 0 and BASE + "article/d2/claim/1" in query.stdout, query.stdout + query.stderr
