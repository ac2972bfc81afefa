"""Fetch, over HTTP: a polite client for web pages, feeds and sitemaps.

`Fetcher.fetch(url)` returns the bytes of one URL or raises `FetchError`
(a `SourceError`, so run reports name the URL and the reason). Politeness:

- a User-Agent that names ClaimGraph (configurable);
- robots.txt is read once per host (protego, which follows RFC 9309 and the
  wildcard and Allow rules the standard library's parser does not) and obeyed, for the
  URL and for every redirect hop; its Crawl-delay spaces requests to that host
  (capped at `max_crawl_delay`). As RFC 9309 says: a robots.txt answered
  with 4xx allows everything, one that cannot be fetched (5xx, timeout)
  disallows the host for this run;
- at most `per_host` requests in flight per host (threads share one Fetcher);
- timeouts on every request (connect, each read, and the whole body at
  3x the timeout); retries with exponential backoff (and the
  server's Retry-After, capped) for timeouts, connection errors, 429 and 5xx;
- conditional requests: pass the ETag / Last-Modified remembered for a URL
  (`Validators`) and a 304 comes back as `FetchResult.not_modified`;
- a size limit: bodies over `max_bytes` are refused without reading them whole;
- it stays outside: every connection (each redirect hop and robots.txt too) goes
  only to public addresses, checked after DNS resolution and pinned for the
  connection (sources/addresses.py); the networks in `allowed_networks`
  (default: CLAIMGRAPH_FETCH_ALLOWED_NETWORKS) are let through. A refused
  address is a FetchError naming the URL and why, never retried.

`FetchError.transient` tells a caller (the Prefect task's retry condition)
whether trying again later may help. Nothing here imports Prefect.
"""
from __future__ import annotations

import email.utils
import random
import threading
import time
from contextlib import contextmanager
from dataclasses import dataclass, replace
from datetime import datetime, timezone
from urllib.parse import urljoin, urlsplit, urlunsplit, parse_qsl, urlencode

import httpx
from protego import Protego

from ..model import SourceError
from .addresses import AddressRefused, OutsideOnlyTransport

DEFAULT_USER_AGENT = "ClaimGraph/0.1 (knowledge-graph ETL; +https://w3id.org/claimgraph)"
RETRY_STATUSES = frozenset({408, 425, 429, 500, 502, 503, 504})
MAX_REDIRECTS = 5


class FetchError(SourceError):
    """A URL that could not be fetched; `transient` when a later try may succeed."""

    def __init__(self, location: str, reason: str, *, status: int | None = None, transient: bool = False):
        super().__init__(location, reason)
        self.status = status
        self.transient = transient

    def __reduce__(self):  # picklable across processes (Dask workers)
        return (_rebuild_fetch_error, (self.location, self.reason, self.status, self.transient))


def _rebuild_fetch_error(location, reason, status, transient):
    return FetchError(location, reason, status=status, transient=transient)


@dataclass(frozen=True)
class FetchConfig:
    """How politely to fetch. Hashable, so it can be a Prefect task input and a cache key."""

    user_agent: str = DEFAULT_USER_AGENT
    timeout: float = 20.0  # seconds, per request (connect, read, write, pool)
    retries: int = 2  # extra tries after the first, for transient failures
    backoff: float = 1.0  # first retry delay in seconds; doubles each time
    max_backoff: float = 30.0  # cap for one delay, Retry-After included
    per_host: int = 2  # requests in flight per host
    respect_robots: bool = True
    max_crawl_delay: float = 10.0
    max_bytes: int = 5_000_000
    # CIDR networks the fetcher may reach although they are not public (None: the setting
    # CLAIMGRAPH_FETCH_ALLOWED_NETWORKS; (): none)
    allowed_networks: tuple[str, ...] | None = None


@dataclass(frozen=True)
class Validators:
    """What a server said about a URL's last version, for a conditional request."""

    etag: str | None = None
    last_modified: str | None = None

    def headers(self) -> dict[str, str]:
        h = {}
        if self.etag:
            h["If-None-Match"] = self.etag
        if self.last_modified:
            h["If-Modified-Since"] = self.last_modified
        return h

    def __bool__(self) -> bool:
        return bool(self.etag or self.last_modified)


@dataclass(frozen=True)
class FetchResult:
    url: str  # the URL asked for
    final_url: str  # after redirects
    status: int
    content: bytes
    media_type: str  # Content-Type without parameters, lower case ("" when absent)
    charset: str | None
    validators: Validators
    fetched_at: datetime
    seconds: float
    attempts: int = 1

    @property
    def not_modified(self) -> bool:
        return self.status == 304


def canonical_url(url: str) -> str:
    """The key of a URL: scheme and host lower-cased, default port, fragment and
    tracking parameters (utm_*, fbclid, gclid) dropped, path '/' when empty."""
    parts = urlsplit(url.strip())
    scheme = parts.scheme.lower()
    host = (parts.hostname or "").lower()
    if ":" in host:
        host = f"[{host}]"  # an IPv6 literal keeps its brackets
    port = parts.port
    netloc = host if port is None or (scheme, port) in (("http", 80), ("https", 443)) else f"{host}:{port}"
    if parts.username:
        netloc = f"{parts.username}@{netloc}"
    query = urlencode([(k, v) for k, v in parse_qsl(parts.query, keep_blank_values=True)
                       if not (k.lower().startswith("utm_") or k.lower() in ("fbclid", "gclid", "mc_cid", "mc_eid"))])
    return urlunsplit((scheme, netloc, parts.path or "/", query, ""))


def url_problem(url: str) -> str | None:
    """Why `url` cannot be fetched as it is written (None: an http(s) URL with a host)."""
    try:
        parts = urlsplit(url)
        parts.port  # noqa: B018 - raises ValueError for a port that is no number or out of range
    except ValueError as exc:
        return f"malformed URL ({exc})"
    if parts.scheme.lower() not in ("http", "https"):
        return "not an http(s) URL"
    if not parts.hostname:
        return "no host in the URL"
    return None


def host_key(url: str) -> str:
    parts = urlsplit(url)
    return f"{parts.scheme.lower()}://{parts.netloc.lower()}"


def _media_type(content_type: str | None) -> tuple[str, str | None]:
    if not content_type:
        return "", None
    main, *params = content_type.split(";")
    charset = None
    for p in params:
        k, _, v = p.strip().partition("=")
        if k.lower() == "charset" and v:
            charset = v.strip().strip('"').lower()
    return main.strip().lower(), charset


def _retry_after(response: httpx.Response) -> float | None:
    value = response.headers.get("retry-after")
    if not value:
        return None
    if value.strip().isdigit():
        return float(value)
    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    return max(0.0, (when - datetime.now(timezone.utc)).total_seconds())


class _Host:
    """Per-host state: a semaphore for concurrency, the time of the last request, robots rules."""

    def __init__(self, per_host: int):
        self.slots = threading.BoundedSemaphore(per_host)
        self.lock = threading.Lock()
        self.next_allowed = 0.0
        self.robots: Protego | None = None
        self.robots_error: str | None = None
        self.robots_loaded = False


class Fetcher:
    """A thread-safe polite HTTP client; one per process is enough (see `shared_fetcher`)."""

    def __init__(self, config: FetchConfig | None = None, *, transport: httpx.BaseTransport | None = None):
        """`transport` replaces the checked one (sources/addresses.py): only for tests of other things."""
        self.config = config or FetchConfig()
        limits = httpx.Limits(max_connections=max(10, self.config.per_host * 4))
        if transport is None:
            allowed = self.config.allowed_networks
            if allowed is None:
                from ..config import get_settings

                allowed = tuple(get_settings().fetch_allowed_networks)
            transport = OutsideOnlyTransport(allowed, limits=limits)
        self._client = httpx.Client(
            headers={"User-Agent": self.config.user_agent, "Accept-Encoding": "gzip, deflate"},
            timeout=httpx.Timeout(self.config.timeout),
            follow_redirects=False,
            transport=transport,
            limits=limits,
        )
        self._hosts: dict[str, _Host] = {}
        self._hosts_lock = threading.Lock()

    # ------------------------------------------------------------------ public

    def fetch(self, url: str, validators: Validators | None = None, *, accept: str | None = None) -> FetchResult:
        """GET `url` politely; 304 when `validators` still match. Raises FetchError."""
        problem = url_problem(url)
        if problem:
            raise FetchError(url, problem)
        started = time.perf_counter()
        attempts = 0
        delay = self.config.backoff
        while True:
            attempts += 1
            try:
                result = self._fetch_once(url, validators, accept)
                return replace(result, seconds=time.perf_counter() - started, attempts=attempts)
            except FetchError as exc:
                if not exc.transient or attempts > self.config.retries:
                    if attempts > 1:
                        exc.reason += f" (after {attempts} tries)"
                        exc.args = (f"{exc.location}: {exc.reason}",)
                    raise
                wait = getattr(exc, "retry_after", None)
                wait = min(self.config.max_backoff, wait if wait is not None else delay * (1 + random.random() * 0.25))
                time.sleep(wait)
                delay *= 2

    def allowed(self, url: str) -> bool:
        """Whether robots.txt lets this client fetch `url`."""
        return self._robots_verdict(url) is None

    def close(self) -> None:
        self._client.close()

    def __enter__(self) -> "Fetcher":
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    # ---------------------------------------------------------------- internal

    def _host(self, url: str) -> _Host:
        key = host_key(url)
        with self._hosts_lock:
            host = self._hosts.get(key)
            if host is None:
                host = self._hosts[key] = _Host(self.config.per_host)
            return host

    @contextmanager
    def _slot(self, url: str):
        """Hold one of the host's slots and keep its Crawl-delay between requests."""
        host = self._host(url)
        with host.slots:
            with host.lock:
                now = time.monotonic()
                wait = host.next_allowed - now
                delay = self._crawl_delay(host)
                host.next_allowed = max(now, host.next_allowed) + delay
            if wait > 0:
                time.sleep(wait)
            yield

    def _crawl_delay(self, host: _Host) -> float:
        if host.robots is None:
            return 0.0
        try:
            d = host.robots.crawl_delay(self.config.user_agent)
        except (TypeError, ValueError, AttributeError):
            d = None
        return min(float(d), self.config.max_crawl_delay) if d else 0.0

    def _load_robots(self, url: str, host: _Host) -> None:
        robots_url = host_key(url) + "/robots.txt"
        try:
            r = self._client.get(robots_url, follow_redirects=True)
        except AddressRefused as exc:
            host.robots_error = str(exc)
            return
        except httpx.HTTPError as exc:
            host.robots_error = f"robots.txt could not be fetched ({exc or type(exc).__name__}); the host is not crawled"
            return
        if r.status_code >= 500:
            host.robots_error = f"robots.txt answered {r.status_code}; the host is not crawled"
            return
        # 4xx: no robots.txt, everything is allowed
        host.robots = Protego.parse("" if r.status_code >= 400 else r.text)

    def _robots_verdict(self, url: str) -> str | None:
        """None when allowed, else the reason."""
        if not self.config.respect_robots:
            return None
        host = self._host(url)
        with host.lock:
            if not host.robots_loaded:
                self._load_robots(url, host)
                host.robots_loaded = True
        if host.robots_error:
            return host.robots_error
        if host.robots is not None and not host.robots.can_fetch(url, self.config.user_agent):
            return "disallowed by robots.txt"
        return None

    def _fetch_once(self, url: str, validators: Validators | None, accept: str | None) -> FetchResult:
        current = url
        for _hop in range(MAX_REDIRECTS + 1):
            verdict = self._robots_verdict(current)
            if verdict:
                raise FetchError(url, verdict if current == url else f"redirected to {current}: {verdict}")
            headers = dict(validators.headers()) if validators and current == url else {}
            if accept:
                headers["Accept"] = accept
            with self._slot(current):
                try:
                    with self._client.stream("GET", current, headers=headers) as r:
                        if r.status_code == 304:
                            return self._result(url, current, r, b"")
                        if r.status_code in (301, 302, 303, 307, 308):
                            location = r.headers.get("location")
                            if not location:
                                raise FetchError(url, f"HTTP {r.status_code} redirect without a Location", status=r.status_code)
                            try:
                                current = urljoin(current, location)
                            except ValueError as exc:
                                raise FetchError(url, f"redirected to a malformed URL ({exc})", status=r.status_code) from None
                            problem = url_problem(current)
                            if problem:
                                raise FetchError(url, f"redirected to {current[:200]}: {problem}", status=r.status_code)
                            continue
                        if r.status_code >= 400:
                            exc = FetchError(url, f"HTTP {r.status_code} {r.reason_phrase}".rstrip(),
                                             status=r.status_code, transient=r.status_code in RETRY_STATUSES)
                            exc.retry_after = _retry_after(r)  # type: ignore[attr-defined]
                            raise exc
                        declared = r.headers.get("content-length")
                        if declared and declared.isdigit() and int(declared) > self.config.max_bytes:
                            raise FetchError(url, f"{int(declared):,} bytes is over the {self.config.max_bytes:,}-byte "
                                                  "limit for one document (CLAIMGRAPH_MAX_DOCUMENT_BYTES)")
                        chunks, size = [], 0
                        deadline = time.monotonic() + self.config.timeout * 3
                        for chunk in r.iter_bytes():
                            if time.monotonic() > deadline:  # a server dripping bytes under the read timeout
                                raise FetchError(url, f"body took over {self.config.timeout * 3:g} s", transient=True)
                            size += len(chunk)
                            if size > self.config.max_bytes:
                                raise FetchError(url, f"over the {self.config.max_bytes:,}-byte limit for one "
                                                      "document (CLAIMGRAPH_MAX_DOCUMENT_BYTES)")
                            chunks.append(chunk)
                        return self._result(url, current, r, b"".join(chunks))
                except AddressRefused as exc:
                    where = "" if current == url else f"redirected to {current}: "
                    raise FetchError(url, f"{where}refused: {exc}") from None
                except (httpx.InvalidURL, httpx.UnsupportedProtocol, UnicodeError) as exc:
                    where = "" if current == url else f"redirected to {current[:200]}: "
                    raise FetchError(url, f"{where}malformed URL ({exc})") from None
                except httpx.TimeoutException as exc:
                    raise FetchError(url, f"timed out after {self.config.timeout:g} s ({type(exc).__name__})",
                                     transient=True) from exc
                except httpx.TransportError as exc:
                    raise FetchError(url, f"connection failed: {exc or type(exc).__name__}", transient=True) from exc
        raise FetchError(url, f"more than {MAX_REDIRECTS} redirects")

    @staticmethod
    def _result(url: str, final: str, r: httpx.Response, content: bytes) -> FetchResult:
        media_type, charset = _media_type(r.headers.get("content-type"))
        return FetchResult(
            url=url, final_url=final, status=r.status_code, content=content, media_type=media_type,
            charset=charset,
            validators=Validators(r.headers.get("etag"), r.headers.get("last-modified")),
            fetched_at=datetime.now(timezone.utc), seconds=0.0,
        )


_shared: dict[FetchConfig, Fetcher] = {}
_shared_lock = threading.Lock()


def shared_fetcher(config: FetchConfig) -> Fetcher:
    """One Fetcher per config per process, so per-host limits and robots.txt are shared by
    the threads (or the tasks of one Dask worker) of a run."""
    with _shared_lock:
        fetcher = _shared.get(config)
        if fetcher is None:
            fetcher = _shared[config] = Fetcher(config)
        return fetcher
