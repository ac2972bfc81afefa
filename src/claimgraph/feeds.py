"""RSS 2.0, RSS 1.0 (RDF), Atom and sitemaps -> the URLs of the pages they list.

Stdlib `xml.etree` only. Malformed input raises `FeedError` naming the feed
and saying what is wrong (with line and column for XML syntax errors), so a
run report can print it. Documents that declare entities are refused
(entity-expansion attacks); expat never fetches external entities.
"""
from __future__ import annotations

import gzip
import re
import xml.etree.ElementTree as ET
from dataclasses import dataclass, field
from urllib.parse import urljoin

from .model import SourceError

ATOM = "{http://www.w3.org/2005/Atom}"
RSS1 = "{http://purl.org/rss/1.0/}"
RDF = "{http://www.w3.org/1999/02/22-rdf-syntax-ns#}"
DC = "{http://purl.org/dc/elements/1.1/}"
SITEMAP = "{http://www.sitemaps.org/schemas/sitemap/0.9}"
_ENTITY_RE = re.compile(rb"<!ENTITY", re.IGNORECASE)


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


@dataclass(frozen=True)
class Sitemap:
    urls: tuple[tuple[str, str | None], ...] = ()  # (loc, lastmod)
    sitemaps: tuple[str, ...] = field(default=())  # a sitemap index lists further sitemaps


def _parse_xml(data: bytes, location: str, what: str) -> ET.Element:
    if data[:2] == b"\x1f\x8b":
        try:
            data = gzip.decompress(data)
        except (OSError, EOFError) as exc:
            raise FeedError(location, f"{what} is gzip-compressed but damaged: {exc}") from exc
    if not data.strip():
        raise FeedError(location, f"empty {what}")
    if _ENTITY_RE.search(data[:65536]):
        raise FeedError(location, f"{what} declares XML entities, which are refused")
    try:
        return ET.fromstring(data)
    except ET.ParseError as exc:
        line, col = exc.position
        head = data.lstrip()[:200].lower()
        hint = " (it looks like an HTML page, not XML)" if head.startswith((b"<!doctype html", b"<html")) else ""
        raise FeedError(location, f"malformed {what}: {str(exc).split(': line')[0]} "
                                  f"at line {line}, column {col + 1}{hint}") from exc


def _text(el: ET.Element | None) -> str | None:
    if el is None or el.text is None:
        return None
    t = " ".join(el.text.split())
    return t or None


def parse_feed(data: bytes, location: str) -> Feed:
    """Items of an RSS or Atom feed, links resolved against the feed's URL."""
    root = _parse_xml(data, location, "feed")
    tag = root.tag.lower() if isinstance(root.tag, str) else ""
    items: list[FeedItem] = []
    if tag == "rss" or tag.endswith("}rss"):
        channel = root.find("channel")
        if channel is None:
            raise FeedError(location, "RSS feed without a <channel>")
        for item in channel.findall("item"):
            link = _text(item.find("link"))
            guid = item.find("guid")
            if not link and guid is not None and (guid.get("isPermaLink", "true").lower() == "true"):
                link = _text(guid)
            if link:
                items.append(FeedItem(urljoin(location, link), _text(item.find("title")),
                                      _text(item.find("pubDate")) or _text(item.find(DC + "date")),
                                      _text(item.find("author")) or _text(item.find(DC + "creator"))))
        return Feed("rss", _text(channel.find("title")), tuple(items))
    if root.tag == ATOM + "feed":
        for entry in root.findall(ATOM + "entry"):
            href = None
            for link in entry.findall(ATOM + "link"):
                if link.get("rel", "alternate") == "alternate" and link.get("href"):
                    href = link.get("href")
                    break
            if href:
                author = entry.find(f"{ATOM}author/{ATOM}name")
                items.append(FeedItem(urljoin(location, href), _text(entry.find(ATOM + "title")),
                                      _text(entry.find(ATOM + "published")) or _text(entry.find(ATOM + "updated")),
                                      _text(author)))
        return Feed("atom", _text(root.find(ATOM + "title")), tuple(items))
    if root.tag == RDF + "RDF":
        for item in root.findall(RSS1 + "item"):
            link = _text(item.find(RSS1 + "link")) or item.get(RDF + "about")
            if link:
                items.append(FeedItem(urljoin(location, link), _text(item.find(RSS1 + "title")),
                                      _text(item.find(DC + "date")), _text(item.find(DC + "creator"))))
        channel = root.find(RSS1 + "channel")
        return Feed("rdf", _text(channel.find(RSS1 + "title")) if channel is not None else None, tuple(items))
    name = root.tag.split("}")[-1]
    raise FeedError(location, f"not an RSS or Atom feed (the document's root element is <{name}>)")


def parse_sitemap(data: bytes, location: str) -> Sitemap:
    """Page URLs of a sitemap (<urlset>) or the sitemaps of a sitemap index."""
    root = _parse_xml(data, location, "sitemap")
    ns = SITEMAP if root.tag.startswith(SITEMAP) else ""
    if root.tag == ns + "urlset":
        urls = []
        for u in root.findall(ns + "url"):
            loc = _text(u.find(ns + "loc"))
            if loc:
                urls.append((urljoin(location, loc), _text(u.find(ns + "lastmod"))))
        return Sitemap(urls=tuple(urls))
    if root.tag == ns + "sitemapindex":
        maps = [urljoin(location, loc) for s in root.findall(ns + "sitemap") if (loc := _text(s.find(ns + "loc")))]
        return Sitemap(sitemaps=tuple(maps))
    name = root.tag.split("}")[-1]
    raise FeedError(location, f"not a sitemap (the document's root element is <{name}>, "
                              "expected <urlset> or <sitemapindex>)")
