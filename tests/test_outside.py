"""The fetcher stays outside (sources/addresses.py): feed items, sitemap entries, pages,
robots.txt and every redirect hop that resolve to loopback, private, link-local,
multicast, unspecified or reserved addresses are refused with a reason naming the URL,
unless the operator allow-lists the network; the other items are still fetched.

The tests' own site listens on 127.0.0.1, which conftest.py allow-lists. The "private"
site listens on 127.0.0.2, another loopback address that is *not* allow-listed: it is a
real server with a secret page, and its request log proves nothing reached it. Every
other address named here (10.0.0.1, 169.254.169.254, ...) is refused before any
connection is tried, so no traffic leaves 127.0.0.1.
"""
from __future__ import annotations

import ipaddress

import pytest

from claimgraph.sources.addresses import address_problem, parse_networks
from claimgraph.sources.http import FetchConfig, Fetcher, FetchError
from claimgraph.sources.incremental import run_source
from claimgraph.sources.registry import SourceSpec
from claimgraph.stores import OxigraphStore
from test_web_sources import ARTICLES, Route, SiteServer

SECRET = "PRIVATE-LEDGER-7431"
REFUSED_ADDRESSES = ["http://10.0.0.1/report", "http://169.254.169.254/latest/meta-data/",
                     "http://[::1]:1/x", "http://0.0.0.0:9/x", "http://[::ffff:127.0.0.1]:9/x",
                     "http://192.168.1.1/x", "http://[fe80::1]/x", "http://224.0.0.1/x"]
CONFIG = FetchConfig(timeout=2.0, retries=0, backoff=0.05)


@pytest.fixture
def sites():
    public = SiteServer().start()  # 127.0.0.1: allow-listed by conftest.py
    public.add_articles()
    private = SiteServer("127.0.0.2").start()  # loopback too, but not allow-listed
    private.routes["/secret"] = Route(f"<html><body><h1>Ledger</h1><p>{SECRET} " .encode() + b"x" * 400
                                      + b"</p></body></html>")
    private.routes["/robots.txt"] = Route(b"User-agent: *\nAllow: /\n", "text/plain")
    yield public, private
    public.stop()
    private.stop()


def test_a_feed_pointing_inside_fetches_none_of_it_and_says_why(sites):
    public, private = sites
    good = list(ARTICLES)[0]
    public.routes["/to-metadata"] = Route(b"", status=302, headers={"Location": "http://169.254.169.254/latest/"})
    public.routes["/to-private"] = Route(b"", status=302, headers={"Location": private.url + "/secret"})
    public.routes["/to-ten"] = Route(b"", status=301, headers={"Location": "http://10.0.0.1/x"})
    inside = [private.url + "/secret", *REFUSED_ADDRESSES]
    redirects = [public.url + p for p in ("/to-metadata", "/to-private", "/to-ten")]
    items = [public.url + good, *inside, *redirects]
    public.routes["/feed.xml"] = Route(
        ('<?xml version="1.0"?><rss version="2.0"><channel><title>t</title>'
         + "".join(f"<item><title>i</title><link>{u}</link></item>" for u in items)
         + "</channel></rss>").encode(), "application/rss+xml")

    with OxigraphStore(None) as store:
        report = run_source(SourceSpec(name="feed", kind="feed", location=public.url + "/feed.xml"), store,
                            fetch_config=CONFIG)
        by_key = {d.key: d for d in report.documents}
        loaded = [d for d in report.documents if d.status == "new"]
        assert [d.key for d in loaded] == [public.url + good], report.render()
        failed = {d.key: d.reason for d in report.failed}
        assert len(failed) == len(items) - 1, report.render()
        for url in inside:
            reason = next(r for k, r in failed.items() if k.startswith(url.split("/x")[0].split("/report")[0][:18]))
            assert "refused" in reason or "address" in reason, (url, reason)
        assert "127.0.0.2" in failed[private.url + "/secret"] and "loopback" in failed[private.url + "/secret"]
        assert "link-local" in by_key[public.url + "/to-metadata"].reason
        assert "redirected to http://169.254.169.254/latest/" in by_key[public.url + "/to-metadata"].reason
        assert "redirected to " + private.url + "/secret" in by_key[public.url + "/to-private"].reason
        assert "private address" in by_key[public.url + "/to-ten"].reason
        assert not store.query(f'ASK {{ GRAPH ?g {{ ?s ?p ?o FILTER(CONTAINS(STR(?o), "{SECRET}")) }} }}')
    assert private.log == []  # not even robots.txt: the private site saw no request at all


def test_the_allow_list_lets_a_network_through_and_nothing_else(sites):
    _public, private = sites
    with Fetcher(FetchConfig(timeout=2.0, retries=0, allowed_networks=("127.0.0.2/32",))) as fetcher:
        assert SECRET.encode() in fetcher.fetch(private.url + "/secret").content
        with pytest.raises(FetchError, match="127.0.0.3 is a loopback address"):
            fetcher.fetch("http://127.0.0.3:9/x")
    with Fetcher(FetchConfig(timeout=2.0, retries=0, allowed_networks=())) as fetcher:  # nothing allowed
        with pytest.raises(FetchError, match=r"127\.0\.0\.1 is a loopback address") as refused:
            fetcher.fetch(_public.url + list(ARTICLES)[0])
        assert not refused.value.transient  # a verdict, never retried
        assert refused.value.location == _public.url + list(ARTICLES)[0]
        with pytest.raises(FetchError, match=r"2130706433 \(127\.0\.0\.1\) is a loopback"):  # as it resolves
            fetcher.fetch(f"http://2130706433:{_public.port}/x")


def test_a_malformed_item_fails_alone_with_its_reason():
    from claimgraph.sources.kinds import url_candidate

    with Fetcher(CONFIG) as fetcher:
        for url, why in [("http://[::1", "malformed URL"), ("http://x.org:99999/", "malformed URL"),
                         ("ftp://x.org/a", r"not an http\(s\) URL"), ("http:///a", "no host")]:
            candidate = url_candidate(url)  # never raises: the run reports the item
            with pytest.raises(FetchError, match=why) as failed:
                fetcher.fetch(candidate.url)
            assert failed.value.location == url


def test_the_allow_list_setting_is_checked_when_read(monkeypatch):
    from claimgraph.config import Settings

    monkeypatch.setenv("CLAIMGRAPH_FETCH_ALLOWED_NETWORKS", '["10.1.0.0/16", "::1"]')
    assert Settings().fetch_allowed_networks == ["10.1.0.0/16", "::1"]
    monkeypatch.setenv("CLAIMGRAPH_FETCH_ALLOWED_NETWORKS", '["intranet"]')
    with pytest.raises(ValueError, match="not an IP network or address: 'intranet'"):
        Settings()
    assert len(parse_networks(["127.0.0.1", "fd00::/8"])) == 2


@pytest.mark.parametrize("address, why", [
    ("127.0.0.1", "loopback"), ("10.1.2.3", "private"), ("172.16.0.1", "private"), ("192.168.0.1", "private"),
    ("169.254.169.254", "link-local"), ("0.0.0.0", "unspecified"), ("224.0.0.251", "multicast"),
    ("100.64.0.1", "shared"), ("240.0.0.1", "reserved"), ("255.255.255.255", "reserved"),
    ("::1", "loopback"), ("::", "unspecified"), ("fe80::1", "link-local"), ("fc00::1", "private"),
    ("ff02::1", "multicast"), ("::ffff:10.0.0.1", "private"), ("::ffff:169.254.169.254", "link-local"),
    ("64:ff9b::7f00:1", "loopback"), ("::127.0.0.1", "loopback"), ("192.0.2.1", "private"),
])
def test_addresses_that_are_not_public_are_named(address, why):
    problem = address_problem(ipaddress.ip_address(address))
    assert problem is not None and why in problem


@pytest.mark.parametrize("address", ["93.184.215.14", "8.8.8.8", "2606:4700:4700::1111", "::ffff:8.8.8.8"])
def test_public_addresses_pass(address):
    assert address_problem(ipaddress.ip_address(address)) is None
