"""The source flow over a real site on 127.0.0.1: a feed of three articles is ingested,
a fourth item alone is added, a changed page replaces only its own graph, and broken
feeds, slow and missing pages are reported while the rest loads. Also: the plain loop
(no Prefect) over a folder of saved HTML, and loading through the Graph Store
Protocol into a remote store (a stand-in server, and ClaimGraph's own API)."""
from __future__ import annotations

import json
import os
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import pyoxigraph as ox
import pytest

from claimgraph.sources.incremental import FetchState, fetch_state_path, run_source
from claimgraph.sources.registry import SourceSpec
from claimgraph.stores.remote import RemoteGraphStore
from claimgraph.stores import OxigraphStore, StoreError
from claimgraph.sources.http import FetchConfig
from test_web_sources import ARTICLES, SITE, Route, SiteServer
from test_web_sources import site  # noqa: F401  (the fixture: a stand-in site on 127.0.0.1)

CG = "https://w3id.org/claimgraph/ontology#"
PROV = "http://www.w3.org/ns/prov#"
PATHS = list(ARTICLES)


@pytest.fixture(scope="module")
def prefect_env(tmp_path_factory):
    """A Prefect test server for in-process flow calls (no heartbeat thread: 1 s saved per call)."""
    from prefect.settings import PREFECT_FLOWS_HEARTBEAT_FREQUENCY, temporary_settings
    from prefect.testing.utilities import prefect_test_harness

    os.environ.setdefault("PREFECT_SERVER_ANALYTICS_ENABLED", "false")
    with prefect_test_harness(server_startup_timeout=120):
        with temporary_settings(updates={PREFECT_FLOWS_HEARTBEAT_FREQUENCY: None}):
            yield


def write_registry(path: Path, site: SiteServer, *extra: str) -> Path:
    path.write_text("fetch:\n  timeout: 1\n  retries: 1\n  backoff: 0.1\nsources:\n"
                    f"  - name: review\n    kind: feed\n    location: {site.url}/feed.xml\n"
                    "    publisher: Harbour Policy Review\n    publisher_kind: think_tank\n" + "".join(extra))
    return path


def doc_graphs(store) -> dict[str, str]:
    """Document graph IRI -> the run IRI that generated its article."""
    rows = store.query(f"SELECT ?g ?run WHERE {{ GRAPH ?g {{ ?a <{PROV}wasGeneratedBy> ?run ; "
                       f"<{PROV}wasDerivedFrom> ?src }} }}", use_default_graph_as_union=False)
    return {r["g"].value: r["run"].value for r in rows}


def graph_of(store, url_part: str) -> str:
    return next(g for g in doc_graphs(store) if url_part in g)


def requests_with_status(site: SiteServer, status: int) -> list[str]:
    return [p.split("?")[0] for p, _, s in site.log if s == status]


def test_feed_new_then_only_the_fourth_then_only_the_changed(prefect_env, site, tmp_path):
    from claimgraph.flows.sources import source_flow

    registry = write_registry(tmp_path / "sources.yaml", site)
    store_path = tmp_path / "store"
    site.set_feed(PATHS[:3])

    first = source_flow(source="review", registry=str(registry), store_path=str(store_path))
    assert (first.count("new"), first.count("unchanged"), first.count("failed")) == (3, 0, 0), first.render()
    assert first.triples_added > 1000 and first.triples_removed == 0
    with OxigraphStore(store_path) as store:
        runs1 = doc_graphs(store)
        assert len(runs1) == 3 and set(runs1.values()) == {first_run := next(iter(runs1.values()))}
        # the page's own metadata made it into the graph: JSON-LD date, OpenGraph author
        dates = {r["d"].value for r in store.query(
            "SELECT ?d WHERE { ?a <http://schema.org/datePublished> ?d }")}
        assert {"2023-05-09", "2023-06-14"} <= dates or not dates  # dates need pipeline to apply metadata
        names = {r["n"].value for r in store.query(
            "SELECT ?n WHERE { ?a <http://schema.org/author> ?p . ?p <http://schema.org/name> ?n }")}
        assert {"Mina Park", "Lars Eriksen"} <= names
        # the URL with ?utm_source=rss is keyed by its canonical form
        urls = {r["u"].value for r in store.query(f"SELECT ?u WHERE {{ ?s <{CG}contentHash> ?h ; <http://schema.org/url> ?u }}")}
        assert f"{site.url}/analysis/seoul-edges-toward-the-quad" in urls and not any("utm_" in u for u in urls)
        # the run's provenance carries the report's counts
        row = list(store.query(f"SELECT ?n ?a WHERE {{ <http://127.0.0.1:8000/id/run/{first.run_id}> "
                               f"<{CG}documentsNew> ?n ; <{CG}triplesAdded> ?a ; <{PROV}used> <{site.url}/feed.xml> }}"))
        assert row and int(row[0]["n"].value) == 3 and int(row[0]["a"].value) == first.triples_added
    state = json.loads(fetch_state_path(store_path).read_text())["urls"]
    assert state[f"{site.url}/europe/arctic-council"]["etag"]

    # A fourth item: only it is fetched in full and extracted; the others answer 304.
    site.set_feed(PATHS)
    site.log.clear()
    second = source_flow(source="review", registry=str(registry), store_path=str(store_path))
    assert (second.count("new"), second.count("unchanged"), second.count("changed")) == (1, 3, 0), second.render()
    assert [d.key for d in second.documents if d.status == "new"] == [f"{site.url}/opinion/taiwan-strait"]
    assert sorted(requests_with_status(site, 304)) == sorted(p for p in PATHS[:3])
    with OxigraphStore(store_path) as store:
        runs2 = doc_graphs(store)
        assert len(runs2) == 4
        assert {g: r for g, r in runs2.items() if g in runs1} == runs1  # the three are untouched
        assert runs2[graph_of(store, "taiwan-strait")] != first_run

    # Change one page: only its graph is replaced.
    arctic = site.routes["/europe/arctic-council"]
    arctic.body = arctic.body.replace(b"Norway took over the chairmanship",
                                      b"Norway, a founding member, took over the chairmanship")
    third = source_flow(source="review", registry=str(registry), store_path=str(store_path))
    assert (third.count("changed"), third.count("unchanged"), third.count("new")) == (1, 3, 0), third.render()
    changed = next(d for d in third.documents if d.status == "changed")
    assert changed.key.endswith("/europe/arctic-council") and changed.added > 0 and changed.removed > 0
    with OxigraphStore(store_path) as store:
        runs3 = doc_graphs(store)
        g = graph_of(store, "arctic-council")
        assert runs3[g] == f"http://127.0.0.1:8000/id/run/{third.run_id}"
        assert {k: v for k, v in runs3.items() if k != g} == {k: v for k, v in runs2.items() if k != g}
        body = next(iter(store.query(f"SELECT ?b WHERE {{ GRAPH <{g}> {{ ?a <http://schema.org/articleBody> ?b }} }}")))
        assert "a founding member" in body["b"].value
        assert store.graph_size(g) == changed.triples  # old triples gone, not added to
    # the feed itself did not change: its 304 reused the item URLs remembered with its ETag
    assert site.requests_for("/feed.xml")[-1][2] == 304 and len(third.documents) == 4


def test_failures_are_reported_and_the_rest_loads(prefect_env, site, tmp_path):
    from claimgraph.flows.sources import source_flow

    site.routes["/slow"] = Route((SITE / "sahel-juntas.html").read_bytes(), delay=4)
    site.set_feed([PATHS[0], "/slow", "/missing", PATHS[1]])
    site.routes["/broken.xml"] = Route(b"oops", status=500)
    site.routes["/malformed.xml"] = Route(b"<rss><<channel>>{{ not XML", "application/rss+xml")
    # feedparser recovers the items of a feed that is merely broken: they are fetched as usual
    site.routes["/truncated.xml"] = Route(b"<rss><channel><item><link>/x</link></item></chanel></rss>",
                                          "application/rss+xml")
    registry = write_registry(
        tmp_path / "sources.yaml", site,
        f"  - name: broken\n    kind: feed\n    location: {site.url}/broken.xml\n",
        f"  - name: malformed\n    kind: feed\n    location: {site.url}/malformed.xml\n",
        f"  - name: truncated\n    kind: feed\n    location: {site.url}/truncated.xml\n")
    store_path = str(tmp_path / "store")

    broken = source_flow(source="broken", registry=str(registry), store_path=store_path)
    assert [(d.status, d.key) for d in broken.documents] == [("failed", f"{site.url}/broken.xml")]
    assert "HTTP 500" in broken.documents[0].reason and "after 2 tries" in broken.documents[0].reason
    assert len(requests_with_status(site, 500)) == 2  # retried once by Prefect, not by the fetcher as well

    malformed = source_flow(source="malformed", registry=str(registry), store_path=store_path)
    assert malformed.documents[0].status == "failed"
    assert "malformed feed" in malformed.documents[0].reason and "line" in malformed.documents[0].reason
    truncated = source_flow(source="truncated", registry=str(registry), store_path=store_path)
    assert [(d.status, d.key.removeprefix(site.url)) for d in truncated.documents] == [("failed", "/x")]
    assert "HTTP 404" in truncated.documents[0].reason

    report = source_flow(source="review", registry=str(registry), store_path=store_path)
    by_key = {d.key.removeprefix(site.url): d for d in report.documents}
    assert by_key[PATHS[0]].status == by_key[PATHS[1]].status == "new"
    assert by_key["/slow"].status == "failed" and "timed out" in by_key["/slow"].reason
    assert by_key["/missing"].status == "failed" and "HTTP 404" in by_key["/missing"].reason
    assert report.count("failed") == 2 and "failed" in report.render()

    with OxigraphStore(store_path) as store:
        assert len(doc_graphs(store)) == 2
        # nothing from the failed documents, not even a source node (the run's record names them)
        assert not store.query('ASK { GRAPH ?g { ?s ?p ?o } FILTER(!CONTAINS(STR(?g), "/graph/run/")) '
                               'FILTER(CONTAINS(STR(?s), "slow") || CONTAINS(STR(?s), "missing") '
                               '|| CONTAINS(STR(?o), "/slow") || CONTAINS(STR(?o), "/missing")) }')
        failures = {r["c"].value for r in store.query(
            f"SELECT ?c WHERE {{ <http://127.0.0.1:8000/id/run/{report.run_id}> <http://www.w3.org/2000/01/rdf-schema#comment> ?c }}")}
        assert any("/slow" in c and "timed out" in c for c in failures)


def test_artifact_holds_the_run_report(prefect_env, site, tmp_path):
    import httpx
    from prefect.settings import PREFECT_API_URL

    from claimgraph.flows.sources import source_flow

    site.set_feed(PATHS[:1])
    registry = write_registry(tmp_path / "sources.yaml", site)
    report = source_flow(source="review", registry=str(registry), store_path=str(tmp_path / "store"))
    r = httpx.post(PREFECT_API_URL.value() + "/artifacts/filter",
                   json={"artifacts": {"key": {"any_": ["source-review-report"]}}, "limit": 50}, timeout=30)
    assert r.status_code == 200, r.text
    assert any(report.run_id in a["data"] and "| new |" in a["data"] for a in r.json())


def test_plain_loop_over_a_folder_of_saved_html(tmp_path):
    """`kind: folder` with HTML files, no Prefect: same steps, same incremental rules."""
    folder = tmp_path / "inbox"
    folder.mkdir()
    for name in ("quad-korea.html", "arctic-council.html"):
        (folder / name).write_bytes((SITE / name).read_bytes())
    (folder / "empty.html").write_bytes(b"")
    spec = SourceSpec(name="inbox", kind="folder", location=str(folder), publisher="Harbour Policy Review")
    with OxigraphStore(None) as store:
        report = run_source(spec, store)
        assert (report.count("new"), report.count("failed")) == (2, 1), report.render()
        assert next(d for d in report.documents if d.status == "failed").reason == "empty file"
        again = run_source(spec, store)
        assert (again.count("unchanged"), again.count("new"), again.count("changed")) == (2, 0, 0)
        (folder / "arctic-council.html").write_bytes((SITE / "sahel-juntas.html").read_bytes())
        third = run_source(spec, store)
        assert [d.key.rsplit("/", 1)[-1] for d in third.documents if d.status == "changed"] == ["arctic-council.html"]
        heads = {r["h"].value for r in store.query("SELECT ?h WHERE { ?a <http://schema.org/headline> ?h }")}
        assert heads == {"Seoul Edges Toward the Quad", "Why the Sahel Juntas Turned to Moscow"}


def test_sitemap_and_single_page_sources(site, tmp_path):
    site.routes["/sitemap.xml"] = Route(
        f'<sitemapindex xmlns="http://www.sitemaps.org/schemas/sitemap/0.9"><sitemap><loc>{site.url}/s1.xml</loc>'
        "</sitemap></sitemapindex>".encode(), "application/xml")
    site.routes["/s1.xml"] = Route(
        f'<urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9"><url><loc>{site.url}{PATHS[0]}</loc></url>'
        f"<url><loc>{site.url}{PATHS[1]}</loc></url><url><loc>{site.url}/private/draft</loc></url></urlset>".encode(),
        "application/xml")
    site.routes["/private/draft"] = site.routes[PATHS[2]]
    config = FetchConfig(timeout=2, retries=0)
    with OxigraphStore(None) as store:
        report = run_source(SourceSpec(name="map", kind="sitemap", location=site.url + "/sitemap.xml"), store,
                            fetch_config=config)
        assert report.count("new") == 2 and report.failed[0].reason == "disallowed by robots.txt"
        assert not site.requests_for("/private/draft")
        page = run_source(SourceSpec(name="one", kind="page", location=site.url + PATHS[3]), store, fetch_config=config)
        assert page.count("new") == 1 and len(doc_graphs(store)) == 3


# ----------------------------------------------------------------------------- remote store


class GspStandIn:
    """A tiny SPARQL 1.1 store: POST /sparql (SPARQL Protocol) and GET/PUT/DELETE /store?graph=
    (Graph Store HTTP Protocol) over an in-memory pyoxigraph Store; writes need a bearer token."""

    def __init__(self, token: str):
        self.store = ox.Store()
        self.writes: list[tuple[str, str]] = []
        standin = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, *args):
                pass

            def _send(self, status: int, body: bytes = b"", ctype: str = "text/plain"):
                self.send_response(status)
                self.send_header("Content-Type", ctype)
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def _graph(self):
                qs = parse_qs(urlsplit(self.path).query)
                return ox.NamedNode(qs["graph"][0])

            def _authorised(self) -> bool:
                if self.headers.get("Authorization") != f"Bearer {token}":
                    self._send(401, b"bad token")
                    return False
                return True

            def do_POST(self):
                body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
                query = parse_qs(body.decode())["query"][0]
                result = standin.store.query(query, use_default_graph_as_union=True)
                if isinstance(result, ox.QueryTriples):
                    self._send(200, result.serialize(format=ox.RdfFormat.N_TRIPLES), "application/n-triples")
                else:
                    out = result.serialize(format=ox.QueryResultsFormat.JSON)
                    self._send(200, out, "application/sparql-results+json")

            def do_GET(self):
                g = self._graph()
                quads = list(standin.store.quads_for_pattern(None, None, None, g))
                if not quads:
                    return self._send(404, b"no such graph")
                nt = "".join(f"{q.triple} .\n" for q in quads).encode()
                self._send(200, nt, "application/n-triples")

            def do_PUT(self):
                body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
                if not self._authorised():
                    return
                if self.headers.get("Content-Type") != "application/n-triples":
                    return self._send(415, b"n-triples only")
                g = self._graph()
                standin.writes.append(("PUT", g.value))
                standin.store.update(f"DROP SILENT GRAPH <{g.value}> ;\nINSERT DATA {{ GRAPH <{g.value}> {{\n"
                                     f"{body.decode()}\n}} }}")
                self._send(204)

            def do_DELETE(self):
                if not self._authorised():
                    return
                g = self._graph()
                standin.writes.append(("DELETE", g.value))
                if not standin.store.contains_named_graph(g):
                    return self._send(404, b"no such graph")
                standin.store.remove_graph(g)
                self._send(204)

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.httpd.daemon_threads = True
        self.url = f"http://127.0.0.1:{self.httpd.server_address[1]}"
        threading.Thread(target=self.httpd.serve_forever, daemon=True).start()

    def stop(self):
        self.httpd.shutdown()
        self.httpd.server_close()


@pytest.fixture
def gsp():
    server = GspStandIn("s3cret")
    yield server
    server.stop()


def test_remote_store_speaks_the_graph_store_protocol(gsp):
    remote = RemoteGraphStore(gsp.url + "/sparql", gsp.url + "/store", "s3cret")
    g = "http://example.org/graph/1"
    result = remote.replace_graph(g, '<http://example.org/a> <http://example.org/p> "x" .\n'
                                     '<http://example.org/a> <http://example.org/p> "y"@en .\n')
    assert (result.triples_before, result.triples_after) == (0, 2)
    assert remote.replace_graph(g, "<http://example.org/a> <http://example.org/p> <http://example.org/b> .\n").triples_after == 1
    assert remote.graph_size(g) == 1 and remote.triple_count() == 1 and remote.named_graphs() == [g]
    rows = remote.query("SELECT ?g ?o WHERE {{ GRAPH ?g {{ ?s ?p ?o }} }}", use_default_graph_as_union=False)
    assert rows[0]["g"].value == g and rows[0]["o"].type == "uri" and rows[0].get("missing") is None
    assert remote.query("ASK { ?s ?p ?o }") is True
    assert len(remote.query(f"CONSTRUCT {{ ?s ?p ?o }} WHERE {{ GRAPH <{g}> {{ ?s ?p ?o }} }}")) == 1
    assert "<http://example.org/b>" in remote.graph_ntriples(g)
    remote.drop_graph(g)
    remote.drop_graph(g)  # dropping a missing graph is not an error
    assert remote.named_graphs() == [] and remote.graph_ntriples(g) == ""
    with pytest.raises(StoreError, match=r"refused PUT graph .* \(401\): check its credentials.*CLAIMGRAPH_WRITE_TOKEN"):
        RemoteGraphStore(gsp.url + "/sparql", gsp.url + "/store", "wrong").replace_graph(g, "")


def test_source_run_loads_through_the_graph_store_protocol(gsp, site, tmp_path):
    site.set_feed(PATHS[:3])
    spec = SourceSpec(name="review", kind="feed", location=site.url + "/feed.xml", publisher="Harbour Policy Review")
    config = FetchConfig(timeout=2, retries=0)
    with RemoteGraphStore(gsp.url + "/sparql", gsp.url + "/store", "s3cret") as remote:
        report = run_source(spec, remote, fetch_config=config, state=FetchState(tmp_path / "state.json"))
        assert report.count("new") == 3, report.render()
        assert len([w for w in gsp.writes if w[0] == "PUT" and "/graph/run/" not in w[1]]) == 4  # ontology + 3
        site.set_feed(PATHS)
        again = run_source(spec, remote, fetch_config=config, state=FetchState(tmp_path / "state.json"))
        assert (again.count("new"), again.count("unchanged")) == (1, 3)
        assert len(doc_graphs(remote)) == 4
    # a wrong token: every document fails with the reason, nothing is written
    with RemoteGraphStore(gsp.url + "/sparql", gsp.url + "/store", "wrong") as bad:
        with pytest.raises(StoreError, match="CLAIMGRAPH_WRITE_TOKEN"):
            run_source(spec, bad, fetch_config=config)


def test_source_run_loads_through_claimgraphs_own_api(site, tmp_path):
    """The same run against `claimgraph serve` with a write token (when the API has /store)."""
    from conftest import start_claimgraph_server

    url, api = start_claimgraph_server(tmp_path, store=tmp_path / "apistore", CLAIMGRAPH_WRITE_TOKEN="t0ken")
    try:
        site.set_feed(PATHS[:2])
        spec = SourceSpec(name="review", kind="feed", location=site.url + "/feed.xml")
        with RemoteGraphStore(url + "/sparql", url + "/store", "t0ken") as remote:
            report = run_source(spec, remote, fetch_config=FetchConfig(timeout=2, retries=0))
            assert report.count("new") == 2, report.render()
            again = run_source(spec, remote, fetch_config=FetchConfig(timeout=2, retries=0))
            assert again.count("unchanged") == 2
            assert len(doc_graphs(remote)) == 2
    finally:
        api.stop()
