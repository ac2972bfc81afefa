"""Feeds and sitemaps -> the URLs of the pages they list.

Real feeds are often malformed, so they are read by feedparser (RSS 0.9x,
1.0 and 2.0, Atom), which recovers the items of a broken document where it
can; sitemaps (XML, sitemap indexes, plain text) by ultimate-sitemap-parser's
`sitemap_from_str` (its own fetching is not used: every request goes through
the polite fetcher, sources/http.py). Neither fetches anything itself.

A document that yields nothing usable raises `FeedError` naming the feed and
saying what is wrong (with the line of an XML syntax error). Documents that
declare XML entities are refused before any parser sees them
(entity-expansion attacks).
"""
from __future__ import annotations

import gzip
import logging
import re
from dataclasses import dataclass, field
from datetime import datetime
from urllib.parse import urljoin

from ..model import SourceError

_ENTITY_RE = re.compile(rb"<!ENTITY", re.IGNORECASE)
_KINDS = {"rss090": "rdf", "rss10": "rdf", "atom": "atom"}  # feedparser's version -> ours ("rss" otherwise)
logging.getLogger("usp").setLevel(logging.ERROR)  # it warns per skipped line; the run report says what matters


class FeedError(SourceError):
    """A feed or sitemap that cannot be read; the message names it and says why."""


@dataclass(frozen=True)
class FeedItem:
    url: str
    title: str | None = None
    published: str | None = None  # as the feed prints it (RFC 822 or ISO 8601)
    author: str | None = None


@dataclass(frozen=True)
class Feed:
    kind: str  # "rss" | "rdf" | "atom"
    title: str | None
    items: tuple[FeedItem, ...]
    problem: str | None = None  # set when the feed was malformed but its items could be recovered


@dataclass(frozen=True)
class Sitemap:
    urls: tuple[tuple[str, str | None], ...] = ()  # (loc, lastmod)
    sitemaps: tuple[str, ...] = field(default=())  # a sitemap index lists further sitemaps


def _checked(data: bytes, location: str, what: str) -> bytes:
    if data[:2] == b"\x1f\x8b":
        try:
            data = gzip.decompress(data)
        except (OSError, EOFError) as exc:
            raise FeedError(location, f"{what} is gzip-compressed but damaged: {exc}") from exc
    if not data.strip():
        raise FeedError(location, f"empty {what}")
    if _ENTITY_RE.search(data[:65536]):
        raise FeedError(location, f"{what} declares XML entities, which are refused")
    return data


def _absolute(base: str, link: str) -> str:
    """`link` resolved against `base`; a link too malformed to resolve is kept as written, so
    that its fetch fails alone, named, and the other items are still fetched."""
    try:
        return urljoin(base, link)
    except ValueError:
        return link


def _looks_like_html(data: bytes) -> bool:
    return data.lstrip()[:200].lower().startswith((b"<!doctype html", b"<html"))


def parse_feed(data: bytes, location: str) -> Feed:
    """Items of an RSS or Atom feed, links resolved against the feed's URL."""
    import feedparser

    data = _checked(data, location, "feed")
    parsed = feedparser.parse(data, response_headers={"content-location": location,
                                                      "content-type": "application/xml"})
    problem = parsed.get("bozo_exception") if parsed.get("bozo") else None
    items = []
    for entry in parsed.entries:
        link = entry.get("link")
        if not link:
            link = next((x.get("href") for x in entry.get("links", []) if x.get("rel", "alternate") == "alternate"),
                        None)
        if not link and entry.get("guidislink"):
            link = entry.get("id")
        if link:
            items.append(FeedItem(_absolute(location, link), entry.get("title"),
                                  entry.get("published") or entry.get("updated"), entry.get("author")))
    if not parsed.get("version"):
        if problem is not None and not _looks_like_html(data):
            raise FeedError(location, f"malformed feed: {_describe(problem)}")
        hint = " (it looks like an HTML page, not XML)" if _looks_like_html(data) else ""
        raise FeedError(location, f"not an RSS or Atom feed{hint}")
    if problem is not None and not items:
        raise FeedError(location, f"malformed feed: {_describe(problem)}")
    version = parsed.get("version", "")
    kind = next((k for prefix, k in _KINDS.items() if version.startswith(prefix)), "rss")
    return Feed(kind, parsed.feed.get("title"), tuple(items), _describe(problem) if problem is not None else None)


def _describe(exc: BaseException) -> str:
    line = getattr(exc, "getLineNumber", lambda: None)()
    where = f" at line {line}" if line else ""
    return f"{getattr(exc, 'getMessage', lambda: str(exc))()}{where}"


def parse_sitemap(data: bytes, location: str) -> Sitemap:
    """Page URLs of a sitemap (XML, plain text) or the sitemaps of a sitemap index."""
    from usp.objects.sitemap import AbstractIndexSitemap, InvalidSitemap
    from usp.tree import sitemap_from_str

    data = _checked(data, location, "sitemap")
    try:
        parsed = sitemap_from_str(data.decode("utf-8", errors="replace"))
    except Exception as exc:  # the library's own errors, whatever they are: name the sitemap
        raise FeedError(location, f"malformed sitemap: {exc}") from exc
    if isinstance(parsed, InvalidSitemap):
        raise FeedError(location, f"not a sitemap: {parsed.reason}")
    if isinstance(parsed, AbstractIndexSitemap):
        maps = tuple(_absolute(location, s.url) for s in parsed.sub_sitemaps if s.url)
        if maps:
            return Sitemap(sitemaps=maps)
    urls = tuple((_absolute(location, p.url), _lastmod(p.last_modified)) for p in parsed.all_pages())
    if not urls:
        raise FeedError(location, "not a sitemap (no page URLs or sitemaps in it; expected <urlset> or "
                                  "<sitemapindex>)")
    return Sitemap(urls=urls)


def _lastmod(value: datetime | None) -> str | None:
    if value is None:
        return None
    if (value.hour, value.minute, value.second) == (0, 0, 0) and value.tzinfo is None:
        return value.date().isoformat()
    return value.isoformat()
