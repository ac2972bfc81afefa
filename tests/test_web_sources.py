"""Web sources over a real HTTP server on 127.0.0.1: the polite fetcher (robots.txt,
User-Agent, conditional requests, retries with backoff, timeouts, per-host limit),
feed and sitemap parsing, and HTML pages turned into text pages with their metadata.

`SiteServer` (also used by test_incremental.py and test_schedule.py) serves
tests/site/ and whatever a test puts in `routes`."""
from __future__ import annotations

import hashlib
import threading
import time
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from claimgraph.sources.feeds import FeedError, parse_feed, parse_sitemap
from claimgraph.model import SourceError
from claimgraph.parse.html_page import extract_page_metadata, html_to_text_page
from claimgraph.parse.text_page import parse_text_page
from claimgraph.sources.http import FetchConfig, Fetcher, FetchError, canonical_url

from conftest import SITE

# URL path on the test server -> file in tests/site
ARTICLES = {
    "/analysis/seoul-edges-toward-the-quad": "quad-korea.html",
    "/europe/arctic-council": "arctic-council.html",
    "/africa/sahel-juntas": "sahel-juntas.html",
    "/opinion/taiwan-strait": "taiwan-strait.html",
}


@dataclass
class Route:
    body: bytes
    content_type: str = "text/html; charset=utf-8"
    status: int = 200
    delay: float = 0.0  # seconds before answering (timeouts)
    validators: bool = True  # send ETag and Last-Modified, honour conditional requests
    fail_times: int = 0  # answer 503 this many times first (retries)
    headers: dict = field(default_factory=dict)


class SiteServer:
    """A small threaded HTTP server on 127.0.0.1 (or another loopback `host`) with per-path
    routes and a request log."""

    def __init__(self, host: str = "127.0.0.1"):
        self.routes: dict[str, Route] = {}
        self.log: list[tuple[str, dict, int]] = []  # (path, request headers, status)
        self.in_flight = 0
        self.max_in_flight = 0
        self._lock = threading.Lock()
        server = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, *args):
                pass

            def do_GET(self):
                with server._lock:
                    server.in_flight += 1
                    server.max_in_flight = max(server.max_in_flight, server.in_flight)
                try:
                    self._answer()
                finally:
                    with server._lock:
                        server.in_flight -= 1

            def _answer(self):
                path = self.path.split("?", 1)[0]
                route = server.routes.get(path)
                status = 404 if route is None else route.status
                headers = {}
                body = b"not found"
                if route is not None:
                    if route.delay:
                        time.sleep(route.delay)
                    body = route.body
                    if route.fail_times > 0:
                        route.fail_times -= 1
                        status, body = 503, b"busy"
                        headers["Retry-After"] = "0"
                    elif route.validators and status == 200:
                        etag = '"' + hashlib.sha1(body).hexdigest()[:16] + '"'
                        headers["ETag"] = etag
                        headers["Last-Modified"] = "Tue, 09 May 2023 08:30:00 GMT"
                        if self.headers.get("If-None-Match") == etag:
                            status, body = 304, b""
                    headers.update(route.headers)
                server.log.append((self.path, dict(self.headers), status))
                self.send_response(status)
                if route is not None and status not in (304,):
                    self.send_header("Content-Type", route.content_type if status < 400 else "text/plain")
                for k, v in headers.items():
                    self.send_header(k, v)
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                try:
                    self.wfile.write(body)
                except (BrokenPipeError, ConnectionResetError):
                    pass

        self.httpd = ThreadingHTTPServer((host, 0), Handler)
        self.httpd.daemon_threads = True
        self.httpd.handle_error = lambda request, client_address: None  # clients that time out hang up
        self.port = self.httpd.server_address[1]
        self.url = f"http://{host}:{self.port}"
        self.thread = threading.Thread(target=self.httpd.serve_forever, daemon=True)

    def start(self) -> "SiteServer":
        self.thread.start()
        return self

    def stop(self) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()

    def requests_for(self, path: str) -> list[tuple[str, dict, int]]:
        return [r for r in self.log if r[0].split("?", 1)[0] == path]

    # -- the article site of tests/site ---------------------------------------------

    def add_articles(self, paths=None) -> None:
        for path, name in ARTICLES.items():
            if paths is None or path in paths:
                self.routes[path] = Route((SITE / name).read_bytes())
        self.routes.setdefault("/robots.txt", Route(b"User-agent: *\nDisallow: /private/\n", "text/plain"))

    def set_feed(self, paths: list[str], feed_path: str = "/feed.xml") -> None:
        """An RSS feed listing `paths` (links relative, one with a tracking parameter)."""
        items = "".join(
            f"<item><title>{ARTICLES.get(p, p)}</title><link>{p}{'?utm_source=rss' if i == 0 else ''}</link></item>"
            for i, p in enumerate(paths))
        self.routes[feed_path] = Route(
            f'<?xml version="1.0"?><rss version="2.0"><channel><title>Test feed</title>{items}</channel></rss>'.encode(),
            "application/rss+xml")


@pytest.fixture
def site():
    server = SiteServer().start()
    server.add_articles()
    yield server
    server.stop()


def fast_config(**kw) -> FetchConfig:
    return FetchConfig(**{"timeout": 2.0, "retries": 0, "backoff": 0.05, **kw})


# --------------------------------------------------------------------------- fetcher


def test_fetch_sends_user_agent_and_reads_robots_once(site):
    with Fetcher(fast_config(user_agent="ClaimGraphTest/1.0 (+mailto:test@example.org)")) as f:
        r1 = f.fetch(site.url + "/europe/arctic-council")
        r2 = f.fetch(site.url + "/africa/sahel-juntas")
    assert r1.status == 200 and b"Arctic Council" in r1.content and r1.media_type == "text/html"
    assert r2.charset == "utf-8"
    assert len(site.requests_for("/robots.txt")) == 1
    assert all(h.get("User-Agent") == "ClaimGraphTest/1.0 (+mailto:test@example.org)" for _, h, _ in site.log)


def test_robots_txt_disallow_is_obeyed_and_named(site):
    site.routes["/private/memo"] = site.routes["/europe/arctic-council"]
    with Fetcher(fast_config()) as f:
        with pytest.raises(FetchError, match="robots.txt") as err:
            f.fetch(site.url + "/private/memo")
        assert not f.allowed(site.url + "/private/x") and f.allowed(site.url + "/europe/arctic-council")
    assert err.value.location.endswith("/private/memo") and not err.value.transient
    assert not site.requests_for("/private/memo")  # never asked for


def test_robots_txt_that_fails_keeps_the_host_out(site):
    site.routes["/robots.txt"] = Route(b"oops", "text/plain", status=500)
    with Fetcher(fast_config()) as f, pytest.raises(FetchError, match="robots.txt answered 500"):
        f.fetch(site.url + "/europe/arctic-council")
    site.routes["/robots.txt"] = Route(b"gone", "text/plain", status=404)
    with Fetcher(fast_config()) as f:  # no robots.txt at all: everything allowed
        assert f.fetch(site.url + "/europe/arctic-council").status == 200


def test_conditional_request_gives_304(site):
    with Fetcher(fast_config()) as f:
        first = f.fetch(site.url + "/europe/arctic-council")
        assert first.validators.etag and first.validators.last_modified
        again = f.fetch(site.url + "/europe/arctic-council", first.validators)
    assert again.not_modified and again.content == b""
    sent = site.requests_for("/europe/arctic-council")[-1][1]
    assert sent["If-None-Match"] == first.validators.etag and sent["If-Modified-Since"]


def test_transient_failures_are_retried_with_backoff(site):
    site.routes["/africa/sahel-juntas"].fail_times = 2
    with Fetcher(fast_config(retries=2)) as f:
        r = f.fetch(site.url + "/africa/sahel-juntas")
    assert r.status == 200 and r.attempts == 3
    assert [s for _, _, s in site.requests_for("/africa/sahel-juntas")] == [503, 503, 200]


def test_errors_name_the_url_and_say_if_a_retry_may_help(site):
    site.routes["/broken"] = Route(b"boom", status=500)
    site.routes["/slow"] = Route(b"<p>late</p>", delay=3)
    with Fetcher(fast_config(timeout=0.5, retries=1)) as f:
        with pytest.raises(FetchError) as e500:
            f.fetch(site.url + "/broken")
        with pytest.raises(FetchError) as e404:
            f.fetch(site.url + "/missing")
        with pytest.raises(FetchError) as slow:  # the server answers after 3 s: only the 0.5 s timeout raises
            f.fetch(site.url + "/slow")
    assert "HTTP 500" in str(e500.value) and e500.value.transient and "after 2 tries" in str(e500.value)
    assert "HTTP 404" in str(e404.value) and not e404.value.transient
    assert "timed out" in slow.value.reason and slow.value.transient and "after 2 tries" in slow.value.reason
    assert isinstance(slow.value, SourceError) and str(slow.value).startswith(site.url + "/slow")


def test_per_host_limit_caps_requests_in_flight(site):
    from concurrent.futures import ThreadPoolExecutor

    for i in range(8):
        site.routes[f"/p{i}"] = Route(b"<p>x</p>", delay=0.2)
    with Fetcher(fast_config(per_host=2)) as f, ThreadPoolExecutor(8) as pool:
        list(pool.map(lambda i: f.fetch(f"{site.url}/p{i}"), range(8)))
    assert site.max_in_flight == 2


def test_size_limit_refuses_large_bodies(site):
    site.routes["/big"] = Route(b"<p>" + b"x" * 50_000 + b"</p>")
    with Fetcher(fast_config(max_bytes=10_000)) as f, pytest.raises(FetchError, match="limit"):
        f.fetch(site.url + "/big")


def test_canonical_url_drops_tracking_and_fragments():
    assert canonical_url("HTTP://Example.ORG:80/a?utm_source=rss&id=3#top") == "http://example.org/a?id=3"
    assert canonical_url("https://example.org") == "https://example.org/"


# --------------------------------------------------------------------------- feeds and sitemaps


def test_rss_feed_links_resolve_against_the_feed_url():
    feed = parse_feed((SITE / "feed.xml").read_bytes(), "http://127.0.0.1:9/feed.xml")
    assert feed.kind == "rss" and len(feed.items) == 3
    assert feed.items[0].url == "http://127.0.0.1:9/analysis/seoul-edges-toward-the-quad?utm_source=rss"
    assert feed.items[0].author == "Mina Park"
    assert feed.items[2].url == "http://127.0.0.1:9/africa/sahel-juntas"  # from a permalink guid


def test_atom_and_rss1_feeds():
    atom = b"""<?xml version="1.0"?><feed xmlns="http://www.w3.org/2005/Atom"><title>A</title>
      <entry><title>One</title><link rel="alternate" href="https://example.org/1"/><link rel="edit" href="/e"/>
      <author><name>Ann</name></author><published>2023-01-02T00:00:00Z</published></entry>
      <entry><title>Two</title><link href="/2"/></entry></feed>"""
    feed = parse_feed(atom, "https://example.org/atom.xml")
    assert feed.kind == "atom" and [i.url for i in feed.items] == ["https://example.org/1", "https://example.org/2"]
    rdf = b"""<rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#" xmlns="http://purl.org/rss/1.0/">
      <channel rdf:about="https://example.org/"><title>R</title></channel>
      <item rdf:about="https://example.org/x"><title>X</title><link>https://example.org/x</link></item></rdf:RDF>"""
    assert [i.url for i in parse_feed(rdf, "https://example.org/rss").items] == ["https://example.org/x"]


def test_a_truncated_feed_still_gives_the_items_it_has():
    feed = parse_feed(b"<rss><channel><item><link>/a</link></item>", "https://example.org/feed.xml")
    assert [i.url for i in feed.items] == ["https://example.org/a"] and "line" in feed.problem


@pytest.mark.parametrize("body, message", [
    (b"this is not XML at all {{", "malformed feed: .* at line"),
    (b"<!DOCTYPE html><html><body><p>Not a feed</p></body></html>", "not an RSS or Atom feed|looks like an HTML page"),
    (b"", "empty feed"),
    (b'<?xml version="1.0"?><!DOCTYPE x [<!ENTITY a "aaaa">]><rss><channel/></rss>', "entities"),
])
def test_malformed_feeds_get_a_clear_error(body, message):
    with pytest.raises(FeedError, match=message) as err:
        parse_feed(body, "https://example.org/feed.xml")
    assert str(err.value).startswith("https://example.org/feed.xml: ")


def test_sitemap_and_sitemap_index():
    urlset = b"""<urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">
      <url><loc>https://example.org/a</loc><lastmod>2023-05-01</lastmod></url><url><loc>https://example.org/b</loc></url></urlset>"""
    assert parse_sitemap(urlset, "https://example.org/sitemap.xml").urls == (
        ("https://example.org/a", "2023-05-01"), ("https://example.org/b", None))
    index = b"""<sitemapindex xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">
      <sitemap><loc>https://example.org/s1.xml</loc></sitemap></sitemapindex>"""
    assert parse_sitemap(index, "https://example.org/sitemap.xml").sitemaps == ("https://example.org/s1.xml",)
    with pytest.raises(FeedError, match="not a sitemap"):
        parse_sitemap(b"<rss/>", "https://example.org/sitemap.xml")


# --------------------------------------------------------------------------- HTML pages


def test_json_ld_metadata_beats_everything_else():
    meta = extract_page_metadata((SITE / "quad-korea.html").read_bytes(), "http://127.0.0.1:9/x")
    assert meta.headline == "Seoul Edges Toward the Quad"  # not the <title> with the site name
    assert meta.authors == ("Mina Park",) and meta.publisher == "Harbour Policy Review"
    assert meta.published.isoformat() == "2023-05-09" and meta.language == "en"
    assert meta.article_kind == "analysis" and meta.sources[0] == "json-ld"
    assert meta.canonical_url == "http://127.0.0.1:9/analysis/seoul-edges-toward-the-quad"
    assert meta.author_bios[0].startswith("Mina Park is a senior fellow")


def test_json_ld_graph_with_referenced_author():
    meta = extract_page_metadata((SITE / "taiwan-strait.html").read_bytes())
    assert meta.authors == ("Daniel Okafor",) and meta.publisher == "Harbour Policy Review"
    assert meta.article_type == "OpinionNewsArticle" and meta.published.isoformat() == "2023-08-02"


def test_opengraph_and_meta_author_without_json_ld():
    meta = extract_page_metadata((SITE / "arctic-council.html").read_bytes())
    assert meta.sources == ("opengraph", "meta")
    assert meta.headline == "The Arctic Council after 2022" and meta.publisher == "Northern Affairs Monitor"
    assert meta.authors == ("Lars Eriksen",) and meta.published.isoformat() == "2023-06-14"
    assert meta.language == "en-GB" and meta.section == "Europe"
    assert meta.author_bios and "Nordic Institute" in meta.author_bios[0]  # from the author box


def test_no_metadata_means_no_guessing():
    meta = extract_page_metadata((SITE / "sahel-juntas.html").read_bytes())
    assert meta.authors == () and meta.date_published is None and meta.publisher is None


def test_html_becomes_a_text_page_the_parser_reads():
    text, meta = html_to_text_page((SITE / "quad-korea.html").read_bytes(), "http://127.0.0.1:9/x")
    page = parse_text_page(text)
    assert page.title == "Seoul Edges Toward the Quad"
    assert page.byline_names == ["Mina Park"]
    assert page.bios and page.bios[0].startswith("Mina Park is a senior fellow")
    assert "Quadrilateral Security Dialogue" in page.body_text and "Limits of alignment" in page.body_text
    for chrome in ("Related Posts", "Copyright", "Subscribe", "Japan's new defence budget", "Privacy"):
        assert chrome not in text
