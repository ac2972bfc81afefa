"""A hostile page goes through the real ingest and comes out inert.

The page, served by a site on 127.0.0.1 and listed in its feed, says its canonical
URL, `og:url` and JSON-LD `url` are `javascript:alert(1)`; its own URL carries
`> . } } ; DROP ALL ; INSERT DATA { … } #`; its headline and author hold `<script>`.
An incremental source run (the real fetcher, the whole path) loads its safe parts
into a store on disk that already holds another document; nothing else in the
store changes; then `claimgraph serve` over that store renders every page about it
with the script escaped, no `javascript:` link and the Content-Security-Policy.

Also: a footnote whose URL holds `{`, `|`, `^` or a backtick costs only that URL
(the citation keeps its title; the URL is dropped and named), not the document.
"""
from __future__ import annotations

from pathlib import Path
from urllib.parse import quote

import httpx
import pytest

from claimgraph.sources.http import FetchConfig
from claimgraph.sources.incremental import run_source
from claimgraph.sources.registry import SourceSpec
from claimgraph.stores import OxigraphStore
from conftest import start_claimgraph_server
from test_web_sources import ARTICLES, Route, SiteServer
from test_web_sources import site  # noqa: F401  (the fixture: a stand-in site on 127.0.0.1)

pytestmark = pytest.mark.slow

INJECTION = '> . } } ; DROP ALL ; INSERT DATA { GRAPH <http://evil/g> { <http://evil/s> <http://evil/p> "pwned" } } #'
HOSTILE_HTML = """<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8">
<title>&lt;script&gt;alert('title')&lt;/script&gt; Quiet Diplomacy in the Gulf | Harbour Policy Review</title>
<link rel="canonical" href="javascript:alert(1)">
<meta property="og:url" content="javascript:alert(1)">
<meta property="og:title" content="&lt;script&gt;alert('og')&lt;/script&gt; Quiet Diplomacy in the Gulf">
<script type="application/ld+json">
{"@context": "https://schema.org", "@type": "AnalysisNewsArticle", "url": "javascript:alert(1)",
 "mainEntityOfPage": "javascript:alert(1)",
 "headline": "<script>alert('headline')</script> Quiet Diplomacy in the Gulf",
 "author": [{"@type": "Person", "name": "<script>alert('author')</script> Omar Haddad",
             "url": "javascript:alert(2)"}],
 "publisher": {"@type": "Organization", "name": "Harbour Policy Review"}}
</script></head>
<body><main><article>
<h1>&lt;script&gt;alert('headline')&lt;/script&gt; Quiet Diplomacy in the Gulf</h1>
<p class="byline">By &lt;script&gt;alert('author')&lt;/script&gt; Omar Haddad</p>
<p>Saudi Arabia and Iran restored diplomatic relations in March 2023 after talks hosted by China in Beijing.
Officials in Riyadh say the deal lowers the risk of conflict in Yemen, while Washington watches closely.</p>
<p>Qatar and Oman have carried messages between Tehran and Washington for years. The quiet channel matters
more now that the United States has fewer direct contacts with Iran than at any time since 2015.</p>
<p>Critics argue that <a href="javascript:alert(3)">the agreement</a> changes little on the ground, since
Iran still arms the Houthis and Saudi Arabia still depends on American security guarantees.</p>
</article></main></body></html>"""


def all_quads_but(path: Path, skip) -> set[str]:
    with OxigraphStore(path, read_only=True) as store:
        return {str(q) for q in store.native.quads_for_pattern(None, None, None, None)
                if not skip(getattr(q.graph_name, "value", ""))}


def test_a_hostile_page_loads_its_safe_parts_changes_nothing_else_and_renders_inert(site, tmp_path):
    hostile_url = site.url + "/gulf" + INJECTION
    site.routes[httpx.URL(hostile_url).raw_path.decode().split("?")[0]] = Route(HOSTILE_HTML.encode())
    good = site.url + list(ARTICLES)[0]
    store_path = tmp_path / "store"
    config = FetchConfig(timeout=3.0, retries=0)

    def feed(*links: str) -> Route:
        items = "".join(f"<item><title>x</title><link>{link.replace('&', '&amp;').replace('<', '&lt;')}</link></item>"
                        for link in links)
        return Route(f'<?xml version="1.0"?><rss version="2.0"><channel><title>t</title>{items}</channel></rss>'
                     .encode(), "application/rss+xml")

    site.routes["/feed.xml"] = feed(good)
    spec = SourceSpec(name="review", kind="feed", location=site.url + "/feed.xml")
    with OxigraphStore(store_path) as store:
        first = run_source(spec, store, fetch_config=config)
        assert first.count("new") == 1, first.render()
    before = all_quads_but(store_path, lambda g: "/graph/run/" in g)

    site.routes["/feed.xml"] = feed(good, hostile_url)
    with OxigraphStore(store_path) as store:
        report = run_source(spec, store, fetch_config=config)
        hostile = next(d for d in report.documents if d.status == "new")
        assert report.count("failed") == 0, report.render()
        dropped = "\n".join(map(str, hostile.dropped))
        assert "javascript:alert(1)" in dropped  # the page's own URL, left out and named
        assert "DROP ALL" in dropped or "not a valid IRI" in dropped  # the URL it was fetched from, too
        assert not store.query("ASK { { GRAPH <http://evil/g> { ?s ?p ?o } } UNION { GRAPH ?g { <http://evil/s> ?p ?o } } "
                               "UNION { GRAPH ?g { ?s ?p 'pwned' } } }")
        assert not store.query("ASK { GRAPH ?g { ?s ?p ?o } FILTER(isIRI(?o) && STRSTARTS(STR(?o), 'javascript:')) }")
        headline = [r["h"].value for r in store.query(
            "SELECT ?h WHERE { GRAPH ?g { ?a <http://schema.org/headline> ?h } } ")]
        assert any("<script>" in h and "Quiet Diplomacy" in h for h in headline), headline  # kept as text
        hostile_graph = next(g for g in store.named_graphs() if hostile.source_id in g)
        article = next(r["a"].value for r in store.query(
            f"SELECT ?a WHERE {{ GRAPH <{hostile_graph}> {{ ?a a <http://schema.org/Article> }} }}"))
        people = [r["p"].value for r in store.query(
            f"SELECT ?p WHERE {{ GRAPH <{hostile_graph}> {{ ?p a <http://schema.org/Person> }} }}")]
        source = next(r["s"].value for r in store.query(
            f"SELECT ?s WHERE {{ GRAPH <{hostile_graph}> {{ <{article}> <http://www.w3.org/ns/prov#wasDerivedFrom> ?s }} }}"))
    after = all_quads_but(store_path, lambda g: "/graph/run/" in g or g == hostile_graph)
    assert after == before  # the document that was there is untouched, and nothing else appeared

    url, server = start_claimgraph_server(tmp_path, store=store_path)
    try:
        base = "http://127.0.0.1:8000/id/"
        pages = ["/", "/docs", "/ontology", "/.well-known/void"]
        pages += ["/id/" + iri[len(base):] for iri in [article, source, hostile_graph, *people]]
        seen_script_text = False
        for page in pages:
            r = httpx.get(url + page, headers={"Accept": "text/html"}, timeout=30)
            assert r.status_code == 200, (page, r.status_code, r.text[:300])
            csp = r.headers.get("content-security-policy", "")
            assert "script-src 'self'" in csp and "unsafe-inline" not in csp and "frame-ancestors 'none'" in csp, page
            assert r.headers.get("x-content-type-options") == "nosniff"
            assert r.headers.get("x-frame-options") == "DENY"
            body = r.text.lower()
            assert 'href="javascript:' not in body and "href='javascript:" not in body, page
            assert "<script>alert" not in body, page  # never as markup
            if r.headers["content-type"].startswith("text/html"):
                inline = [chunk for chunk in body.split("<script")[1:] if not chunk.startswith((" src=", ' id="claimgraph-config" type="application/json"'))]
                assert not inline, (page, inline[:1])  # no inline script of ours either
            seen_script_text |= "&lt;script&gt;alert(" in body
        assert seen_script_text  # the headline and the author's name are there, escaped
        answer = httpx.get(url + "/sparql?query=" + quote("ASK {}"), timeout=30)  # not HTML: the headers all the same
        assert answer.status_code == 200 and answer.headers["x-content-type-options"] == "nosniff"
        assert "default-src 'none'" in answer.headers["content-security-policy"]
    finally:
        server.stop()


FOOTNOTED = """Quiet Diplomacy in the Gulf

By Omar Haddad

Saudi Arabia and Iran restored diplomatic relations in March 2023 after talks hosted by China in Beijing.[1] Officials in Riyadh say the deal lowers the risk of conflict in Yemen.[2]

Qatar and Oman have carried messages between Tehran and Washington for years.[3] The quiet channel matters more now.[4]

Notes

1. "Beijing Brokers a Deal", Reuters, accessed 5 May 2024, https://www.reuters.com/world/{deal}

2. "The Yemen Channel", Gulf Review, accessed 5 May 2024, https://gulf.example.org/a|b

3. "Messages Between Capitals", Policy Notes, accessed 6 May 2024, https://notes.example.org/x^y

4. "After the Thaw", Harbour Review, accessed 6 May 2024, https://harbour.example.org/`tick`
"""


def test_a_footnote_url_that_is_no_iri_costs_the_url_not_the_document(tmp_path):
    from claimgraph.pipeline import ingest

    folder = tmp_path / "inbox"
    folder.mkdir()
    (folder / "gulf.txt").write_text(FOOTNOTED, encoding="utf-8")
    with OxigraphStore(None) as store:
        summary = ingest([folder], store)
        assert [o.status for o in summary.outcomes] == ["loaded"], summary.render()
        dropped = "\n".join(map(str, summary.outcomes[0].dropped))
        for bad in ("{deal}", "a|b", "x^y", "`tick`"):
            assert bad in dropped, dropped  # named, with the reason
        titles = {r["t"].value for r in store.query(
            "SELECT ?t WHERE { ?a <http://schema.org/citation> ?w . ?w <http://schema.org/name> ?t }")}
        assert {"Beijing Brokers a Deal", "The Yemen Channel", "Messages Between Capitals", "After the Thaw"} <= titles
        assert not store.query("ASK { ?a <http://schema.org/citation> ?w . ?w <http://schema.org/url> ?u }")
