"""The kinds of source a registry entry can name, each one function that lists its documents.

    folder    the text and HTML pages in a folder (with its manifest.yaml)
    glob      the pages a glob pattern matches
    page      one web page
    feed      the items of an RSS or Atom feed
    sitemap   the pages of a sitemap (following sitemap indexes)

A new kind is one decorated function here: `@source_kind("name", web=...,
location="...")` over `discover(spec, fetcher, state) -> list[Candidate]`.
The registry's validation, `claimgraph sources add --kind`, the incremental
runs and the flows all read SOURCE_KINDS; nothing else needs to change.
"""
from __future__ import annotations

import glob as globlib
import hashlib
import os
import re
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlsplit

from ..iris import slugify
from ..model import SourceError
from .feeds import parse_feed, parse_sitemap
from .files import MANIFEST_NAMES, PAGE_SUFFIXES, discover_pages, document_key, file_source_id, manifest_entry_for
from .http import Fetcher, canonical_url

MAX_SITEMAP_URLS = 10_000
MAX_SITEMAPS = 100
FEED_ACCEPT = "application/rss+xml, application/atom+xml, application/xml;q=0.9, text/xml;q=0.9, */*;q=0.5"
SITEMAP_ACCEPT = "application/xml, text/xml;q=0.9, */*;q=0.5"


@dataclass(frozen=True)
class Candidate:
    """One document a source lists, before it is fetched."""

    key: str  # canonical URL, or the file's key (its path under the source root: files.document_key)
    source_id: str  # names the document's graph and IRIs
    url: str | None = None  # what to GET (web documents)
    path: str | None = None  # what to read (files)

    @property
    def location(self) -> str:
        return self.url or self.path or self.key


Discover = Callable[..., list[Candidate]]  # (spec, fetcher, state) -> candidates


@dataclass(frozen=True)
class SourceKind:
    name: str
    web: bool  # its location is a URL and its documents are fetched over HTTP
    location: str  # what `location:` holds, for error messages and --help
    discover: Discover

    def check_location(self, location: str, base: Path) -> tuple[str, str | None]:
        """(the location as stored, a problem or None): URLs must be http(s); paths are made
        absolute against the registry file's folder."""
        if self.web:
            if not re.match(r"^https?://[^/\s]+", location):
                return location, f"location of a {self.name} source must be an http(s) URL, not {location!r}"
            return location, None
        location = os.path.expanduser(location)
        if not os.path.isabs(location):
            location = str(base / location)
        if self.name == "folder" and not Path(location).is_dir():
            return location, f"folder {location} does not exist"
        return location, None


SOURCE_KINDS: dict[str, SourceKind] = {}


def source_kind(name: str, *, web: bool, location: str) -> Callable[[Discover], Discover]:
    """Register `discover` as the source kind `name`."""
    def register(discover: Discover) -> Discover:
        SOURCE_KINDS[name] = SourceKind(name, web, location, discover)
        return discover
    return register


def discover(spec, fetcher: Fetcher | None, state=None) -> list[Candidate]:
    """The documents a source lists now, without duplicates, at most `spec.max_documents`;
    raises SourceError when the source itself (folder, feed, sitemap) cannot be read."""
    kind = SOURCE_KINDS.get(spec.kind)
    if kind is None:
        raise SourceError(spec.location, f"unknown source kind {spec.kind!r}")
    if kind.web and fetcher is None:
        raise SourceError(spec.location, "a web source needs a fetcher")
    found = kind.discover(spec, fetcher, state)
    unique = list({c.key: c for c in reversed(found)}.values())[::-1]  # first occurrence wins
    return unique[: spec.max_documents] if spec.max_documents else unique


# ------------------------------------------------------------------------- candidates


def web_source_id(url: str) -> str:
    """A readable, stable id for a URL: host and path slugs plus a short digest of the canonical URL
    (of the URL as written when it is too malformed to have a canonical form)."""
    try:
        key = canonical_url(url)
    except ValueError:
        key = url.strip()
    try:
        parts = urlsplit(key)
        slug = slugify(f"{parts.hostname or ''} {parts.path} {parts.query}")[:80].strip("-")
    except ValueError:
        slug = slugify(key)[:80].strip("-")
    return f"{slug}-{hashlib.sha256(key.encode()).hexdigest()[:10]}"


def file_candidate(path: Path, root: Path | None = None) -> Candidate:
    """A saved page under its source `root` (default: its folder), keyed by its path there."""
    entry = manifest_entry_for(path)
    key = document_key(path, root or path.parent)
    return Candidate(key=key, source_id=entry.id if entry else file_source_id(key), path=str(path))


def glob_root(pattern: str) -> Path:
    """The folder a glob pattern starts from: its leading parts without wildcards."""
    parts = Path(pattern).parts
    fixed = [p for p in parts[:next((i for i, p in enumerate(parts) if globlib.has_magic(p)), len(parts))]]
    return Path(*fixed) if fixed else Path(".")


def url_candidate(url: str) -> Candidate:
    """A page to fetch; a malformed URL still becomes a candidate (keyed as written), whose fetch
    fails with the reason: one bad feed item never costs the others."""
    try:
        key = canonical_url(url)
    except ValueError:
        key = url.strip()
    return Candidate(key=key, source_id=web_source_id(key), url=url)


def listing(url: str, fetcher: Fetcher, state, accept: str, parse: Callable[[bytes, str], dict]) -> dict:
    """The URLs a feed or sitemap lists. A 304 reuses the URLs remembered with its validators."""
    remembered = state.listing(url) if state else None
    result = fetcher.fetch(url, remembered[0] if remembered else None, accept=accept)
    if result.not_modified and remembered:
        return remembered[1]
    found = parse(result.content, url)
    if state is not None:
        state.remember_listing(url, result.validators, found)
    return found


# ------------------------------------------------------------------------- the kinds


@source_kind("folder", web=False, location="a folder of saved pages")
def discover_folder(spec, fetcher, state) -> list[Candidate]:
    folder = Path(spec.location)
    if not folder.is_dir():
        raise SourceError(spec.location, "folder does not exist")
    return [file_candidate(p) for p in discover_pages([folder])]


@source_kind("glob", web=False, location="a glob pattern of saved pages (** for subfolders)")
def discover_glob(spec, fetcher, state) -> list[Candidate]:
    paths = sorted(Path(p) for p in globlib.glob(spec.location, recursive=True))
    root = glob_root(spec.location)
    return [file_candidate(p, root) for p in paths if p.is_file() and p.suffix.lower() in PAGE_SUFFIXES
            and p.name not in MANIFEST_NAMES]


@source_kind("page", web=True, location="the URL of one web page")
def discover_page(spec, fetcher, state) -> list[Candidate]:
    return [url_candidate(spec.location)]


@source_kind("feed", web=True, location="the URL of an RSS or Atom feed")
def discover_feed(spec, fetcher, state) -> list[Candidate]:
    found = listing(spec.location, fetcher, state, FEED_ACCEPT,
                    lambda data, url: {"urls": [item.url for item in parse_feed(data, url).items]})
    return [url_candidate(u) for u in found["urls"]]


@source_kind("sitemap", web=True, location="the URL of a sitemap or sitemap index")
def discover_sitemap(spec, fetcher, state) -> list[Candidate]:
    def parse(data: bytes, url: str) -> dict:
        sitemap = parse_sitemap(data, url)
        return {"urls": [loc for loc, _lastmod in sitemap.urls], "sitemaps": list(sitemap.sitemaps)}

    found: list[Candidate] = []
    queue, seen = [spec.location], set()
    while queue and len(found) < MAX_SITEMAP_URLS and len(seen) < MAX_SITEMAPS:
        url = queue.pop(0)
        if url in seen:
            continue
        seen.add(url)
        page = listing(url, fetcher, state, SITEMAP_ACCEPT, parse)
        found.extend(url_candidate(u) for u in page["urls"])
        queue.extend(page["sitemaps"])
    return found
