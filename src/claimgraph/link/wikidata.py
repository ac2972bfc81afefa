"""A polite, cached client for the Wikidata API (`/w/api.php`) and its SPARQL endpoint.

Every answer is cached on disk (one JSON file per request, named by the hash of
the request URL and its parameters), so a rerun makes no calls. In offline mode
(the default) the client never opens a connection: it answers from the cache,
and a cache miss raises `WikidataOffline`.

Politeness, as Wikimedia asks of API clients:

- a descriptive User-Agent: `ClaimGraph/<version> (<contact URL>) python-httpx/<version>`;
  set `CLAIMGRAPH_WIKIDATA_CONTACT` to the operator's page or e-mail address;
- requests in series, at most `max_requests_per_second`;
- on 429 and 503 (and MediaWiki's `maxlag` error) the client waits as long as
  `Retry-After` says, then retries; other 5xx and network errors are retried
  with exponential backoff; both are bounded by `max_retries`, and a
  `Retry-After` longer than `max_retry_after_s` is not waited for: the request
  fails with a clear error instead of stalling the run.
"""
from __future__ import annotations

import email.utils
import hashlib
import json
import logging
import os
import random
import threading
import time
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

import httpx

from .. import __version__

log = logging.getLogger(__name__)

DEFAULT_API = "https://www.wikidata.org/w/api.php"
DEFAULT_SPARQL = "https://query.wikidata.org/sparql"
DEFAULT_CONTACT = "https://w3id.org/claimgraph"
MAX_IDS_PER_REQUEST = 50  # wbgetentities' limit for ids=
RETRY_STATUSES = {429, 500, 502, 503, 504}
RETRY_AFTER_STATUSES = {429, 503}


@dataclass(frozen=True)
class WikidataSettings:
    """Where Wikidata is and how to treat it. `from_env()` reads `CLAIMGRAPH_WIKIDATA_*`."""

    api_url: str = DEFAULT_API
    sparql_url: str = DEFAULT_SPARQL
    offline: bool = True  # cache and bundled tables only; no request leaves the machine
    cache_dir: Path = Path("./data/wikidata-cache")
    contact: str = DEFAULT_CONTACT  # who to write to about this client (URL or e-mail)
    max_requests_per_second: float = 2.0
    max_retries: int = 4  # further tries after the first
    backoff_s: float = 1.0  # first backoff without Retry-After; doubles each try
    max_retry_after_s: float = 120.0  # a longer Retry-After fails the request at once
    timeout_s: float = 30.0
    search_limit: int = 10

    @property
    def user_agent(self) -> str:
        return f"ClaimGraph/{__version__} ({self.contact}) python-httpx/{httpx.__version__}"

    @classmethod
    def from_env(cls, env: dict[str, str] | None = None, **overrides: Any) -> "WikidataSettings":
        """From the `CLAIMGRAPH_WIKIDATA_*` fields of `config.Settings` (read from `env` when
        given, else the process environment through the cached settings)."""
        from ..config import get_settings, settings_from

        s = get_settings() if env is None else settings_from(env)
        values: dict[str, Any] = dict(
            api_url=s.wikidata_api, sparql_url=s.wikidata_sparql, offline=s.wikidata_offline,
            cache_dir=Path(s.wikidata_cache), contact=s.wikidata_contact,
            max_requests_per_second=s.wikidata_max_rps)
        values.update(overrides)
        return cls(**values)


# ------------------------------------------------------------------------ errors


class WikidataError(Exception):
    """Wikidata could not answer; the message says which request and why."""


class WikidataOffline(WikidataError):
    """Offline mode and the answer is not in the cache."""


class WikidataHTTPError(WikidataError):
    def __init__(self, message: str, status: int | None = None):
        super().__init__(message)
        self.status = status


class WikidataAPIError(WikidataError):
    """The API answered with an `error` object (bad parameters, unknown entity...)."""

    def __init__(self, message: str, code: str):
        super().__init__(message)
        self.code = code


# -------------------------------------------------------------------- candidates


@dataclass(frozen=True)
class Candidate:
    """One hit of `wbsearchentities`, in the API's order (`rank` 0 is first)."""

    qid: str
    label: str
    description: str | None
    rank: int
    match_type: str | None = None  # "label" | "alias" | ...
    match_text: str | None = None
    aliases: tuple[str, ...] = ()


def _describe(params: dict[str, Any]) -> str:
    if "action" in params:
        what = params.get("search") or params.get("ids") or ""
        return f"{params['action']} {what!r}"
    return "SPARQL query"


def _retry_after_seconds(value: str | None) -> float | None:
    """Retry-After is delay-seconds or an HTTP-date (RFC 9110 §10.2.3); decimals are accepted."""
    if not value:
        return None
    value = value.strip()
    try:
        return max(0.0, float(value))
    except ValueError:
        pass
    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=timezone.utc)
    return max(0.0, (when - datetime.now(timezone.utc)).total_seconds())


@dataclass
class _Stats:
    requests: int = 0  # HTTP requests sent (retries included)
    cache_hits: int = 0
    retries: int = 0
    waited_s: float = 0.0
    errors: list[str] = field(default_factory=list)


class WikidataClient:
    """`search`, `get_entities` and `sparql` over a disk cache, a rate limit and bounded retries.

    Use as a context manager, or call `close()`. `transport` lets tests plug in an
    `httpx` transport; the tests in this repository use a real server instead.
    """

    def __init__(self, settings: WikidataSettings | None = None, *, transport: httpx.BaseTransport | None = None):
        self.settings = settings or WikidataSettings.from_env()
        self.stats = _Stats()
        self._lock = threading.Lock()
        self._next_slot = 0.0  # monotonic time before which no request may start
        self._http: httpx.Client | None = None
        self._transport = transport

    # ----------------------------------------------------------- public calls

    def search(self, name: str, language: str = "en", *, limit: int | None = None) -> list[Candidate]:
        """Items whose label or alias matches `name`, best first (`action=wbsearchentities`)."""
        params = {
            "action": "wbsearchentities", "search": name, "language": language, "uselang": language,
            "type": "item", "limit": str(limit or self.settings.search_limit), "format": "json",
        }
        body = self._get(self.settings.api_url, params, api=True)
        out: list[Candidate] = []
        for rank, hit in enumerate(body.get("search", [])):
            qid = hit.get("id")
            if not isinstance(qid, str):
                continue
            display = hit.get("display") or {}
            label = hit.get("label") or (display.get("label") or {}).get("value") or qid
            description = hit.get("description") or (display.get("description") or {}).get("value")
            match = hit.get("match") or {}
            out.append(Candidate(qid=qid, label=label, description=description, rank=rank,
                                 match_type=match.get("type"), match_text=match.get("text"),
                                 aliases=tuple(hit.get("aliases") or ())))
        return out

    def get_entities(
        self,
        qids: list[str] | tuple[str, ...] | set[str],
        *,
        props: str = "labels|descriptions|aliases|claims",
        languages: str | list[str] | tuple[str, ...] = "en",
    ) -> dict[str, dict]:
        """Entity JSON by QID (`action=wbgetentities`), batched 50 ids a request.

        Missing items are left out; a redirected id maps to its target's JSON
        (whose "id" is the target QID).
        """
        ids = sorted({q for q in qids if q}, key=lambda q: (len(q), q))
        if isinstance(languages, (list, tuple)):
            languages = "|".join(dict.fromkeys(languages))
        result: dict[str, dict] = {}
        for i in range(0, len(ids), MAX_IDS_PER_REQUEST):
            batch = ids[i:i + MAX_IDS_PER_REQUEST]
            params = {"action": "wbgetentities", "ids": "|".join(batch), "props": props,
                      "languages": languages, "format": "json"}
            body = self._get(self.settings.api_url, params, api=True)
            entities = body.get("entities") or {}
            redirects = {r.get("from"): r.get("to") for r in _as_list(body.get("redirects"))}
            for qid in batch:
                data = entities.get(qid) or entities.get(redirects.get(qid, ""))
                if data is None:
                    data = next((e for e in entities.values() if isinstance(e, dict)
                                 and (e.get("redirects") or {}).get("from") == qid), None)
                if not data or "missing" in data:
                    continue
                result[qid] = data
        return result

    def sparql(self, query: str) -> dict:
        """SPARQL 1.1 JSON results of a SELECT, by `GET ?query=` on the configured endpoint."""
        return self._get(self.settings.sparql_url, {"query": query}, api=False,
                         accept="application/sparql-results+json")

    def close(self) -> None:
        if self._http is not None:
            self._http.close()
            self._http = None

    def __enter__(self) -> "WikidataClient":
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    # ------------------------------------------------------------------ cache

    def cache_path(self, url: str, params: dict[str, Any]) -> Path:
        key = json.dumps({"url": url, "params": sorted((k, str(v)) for k, v in params.items())},
                         ensure_ascii=False, separators=(",", ":"))
        digest = hashlib.sha256(key.encode("utf-8")).hexdigest()
        return Path(self.settings.cache_dir) / digest[:2] / f"{digest}.json"

    def _cache_read(self, path: Path) -> dict | None:
        try:
            with open(path, encoding="utf-8") as f:
                return json.load(f)["body"]
        except FileNotFoundError:
            return None
        except (OSError, ValueError, KeyError) as exc:  # a torn or foreign file: fetch again
            log.warning("ignoring unreadable Wikidata cache file %s: %s", path, exc)
            return None

    def _cache_write(self, path: Path, url: str, params: dict[str, Any], body: dict) -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        record = {"url": url, "params": params, "fetched_at": datetime.now(timezone.utc).isoformat(timespec="seconds"),
                  "body": body}
        tmp = path.with_suffix(f".{os.getpid()}.{threading.get_ident()}.tmp")
        with open(tmp, "w", encoding="utf-8") as f:
            json.dump(record, f, ensure_ascii=False)
        os.replace(tmp, path)

    # ------------------------------------------------------------------- HTTP

    def _client(self) -> httpx.Client:
        if self._http is None:
            self._http = httpx.Client(
                headers={"User-Agent": self.settings.user_agent, "Accept-Encoding": "gzip"},
                timeout=self.settings.timeout_s, transport=self._transport, follow_redirects=True,
            )
        return self._http

    def _wait_for_slot(self) -> None:
        rps = self.settings.max_requests_per_second
        interval = 1.0 / rps if rps and rps > 0 else 0.0
        with self._lock:
            now = time.monotonic()
            start = max(now, self._next_slot)
            self._next_slot = start + interval
        if start > now:
            self.stats.waited_s += start - now
            time.sleep(start - now)

    def _defer(self, seconds: float) -> None:
        """No request of this client starts within `seconds` (a server asked us to wait)."""
        with self._lock:
            self._next_slot = max(self._next_slot, time.monotonic() + seconds)

    def _get(self, url: str, params: dict[str, Any], *, api: bool, accept: str = "application/json") -> dict:
        path = self.cache_path(url, params)
        cached = self._cache_read(path)
        if cached is not None:
            self.stats.cache_hits += 1
            return cached
        what = _describe(params)
        if self.settings.offline:
            raise WikidataOffline(f"Wikidata offline mode: {what} is not in the cache "
                                  f"({self.settings.cache_dir}); set CLAIMGRAPH_WIKIDATA_OFFLINE=false to fetch it")
        attempts = self.settings.max_retries + 1
        last, last_status = "", None
        http = self._client()  # built before the slot: creating it takes a while (TLS context)
        for attempt in range(attempts):
            self._wait_for_slot()
            self.stats.requests += 1
            wait: float | None = None
            try:
                response = http.get(url, params=params, headers={"Accept": accept})
            except httpx.TransportError as exc:
                last, last_status = f"network error: {exc.__class__.__name__}: {exc}", None
            else:
                status = last_status = response.status_code
                retry_after = _retry_after_seconds(response.headers.get("Retry-After"))
                if status == 200:
                    try:
                        body = response.json()
                    except ValueError:
                        raise WikidataHTTPError(f"Wikidata answered {what} with a body that is not JSON "
                                                f"({response.headers.get('content-type')})", status) from None
                    error = body.get("error") if api and isinstance(body, dict) else None
                    if error is None:
                        self._cache_write(path, url, params, body)
                        return body
                    code = str(error.get("code", "unknown"))
                    if code != "maxlag":
                        raise WikidataAPIError(f"Wikidata API error for {what}: {code}: {error.get('info', '')}", code)
                    last = f"maxlag: {error.get('info', '')}"
                    wait = retry_after if retry_after is not None else self._backoff(attempt)
                elif status in RETRY_STATUSES:
                    last = f"HTTP {status}"
                    if retry_after is not None:
                        wait = retry_after
                    elif status in RETRY_AFTER_STATUSES or status >= 500:
                        wait = self._backoff(attempt)
                else:
                    raise WikidataHTTPError(f"Wikidata answered {what} with HTTP {status}: "
                                            f"{response.text[:200]!r}", status)
                if wait is not None and wait > self.settings.max_retry_after_s:
                    raise WikidataHTTPError(
                        f"Wikidata answered {what} with {last} and Retry-After {wait:g}s, longer than "
                        f"max_retry_after_s={self.settings.max_retry_after_s:g}; not waiting", status)
            if attempt + 1 >= attempts:
                break
            wait = self._backoff(attempt) if wait is None else wait
            self.stats.retries += 1
            log.info("Wikidata %s: %s; retrying in %.2fs (try %d of %d)", what, last, wait, attempt + 2, attempts)
            self._defer(wait)
        message = f"Wikidata gave up on {what} after {attempts} tries: {last}"
        self.stats.errors.append(message)
        raise WikidataHTTPError(message, last_status)

    def _backoff(self, attempt: int) -> float:
        base = self.settings.backoff_s * (2 ** attempt)
        return base * (1 + 0.1 * random.random())


def _as_list(value: Any) -> list[dict]:
    if isinstance(value, dict):
        return [value]
    if isinstance(value, list):
        return [v for v in value if isinstance(v, dict)]
    return []


# ------------------------------------------------------------- entity JSON helpers


def claim_values(entity: dict, pid: str) -> list[Any]:
    """Values of `pid`'s statements (deprecated ones left out, preferred ones first).

    Item values come back as QID strings, strings as str, times as the
    API's `time` string, quantities as their `amount`.
    """
    statements = (entity.get("claims") or {}).get(pid) or []
    ranked = sorted(statements, key=lambda s: 0 if s.get("rank") == "preferred" else 1)
    out: list[Any] = []
    for st in ranked:
        if st.get("rank") == "deprecated":
            continue
        value = _snak_value(st.get("mainsnak") or {})
        if value is not None:
            out.append(value)
    return out


def item_values(entity: dict, pids: list[str] | tuple[str, ...] | None = None) -> set[str]:
    """Every QID that `entity`'s statements point to (of `pids`, or of all properties)."""
    claims = entity.get("claims") or {}
    out: set[str] = set()
    for pid in (pids if pids is not None else claims.keys()):
        for value in claim_values(entity, pid):
            if isinstance(value, str) and value.startswith("Q") and value[1:].isdigit():
                out.add(value)
    return out


def _snak_value(snak: dict) -> Any:
    if snak.get("snaktype") != "value":
        return None
    dv = snak.get("datavalue") or {}
    value = dv.get("value")
    kind = dv.get("type")
    if kind == "wikibase-entityid" and isinstance(value, dict):
        if value.get("id"):
            return value["id"]
        if value.get("entity-type") == "item" and "numeric-id" in value:
            return f"Q{value['numeric-id']}"
        return None
    if kind == "string":
        return value
    if kind == "time" and isinstance(value, dict):
        return value.get("time")
    if kind == "quantity" and isinstance(value, dict):
        return value.get("amount")
    if kind == "monolingualtext" and isinstance(value, dict):
        return value.get("text")
    return None


def label(entity: dict, language: str = "en") -> str | None:
    labels = entity.get("labels") or {}
    for lang in (language, "en", "mul"):
        if lang in labels:
            return labels[lang].get("value")
    return next((v.get("value") for v in labels.values()), None)


def description(entity: dict, language: str = "en") -> str | None:
    descriptions = entity.get("descriptions") or {}
    for lang in (language, "en"):
        if lang in descriptions:
            return descriptions[lang].get("value")
    return None


def aliases(entity: dict, language: str = "en") -> list[str]:
    found = (entity.get("aliases") or {})
    out: list[str] = []
    for lang in dict.fromkeys((language, "en")):
        out.extend(a.get("value") for a in found.get(lang, []) if a.get("value"))
    return out


__all__ = [
    "Candidate", "WikidataAPIError", "WikidataClient", "WikidataError", "WikidataHTTPError",
    "WikidataOffline", "WikidataSettings", "aliases", "claim_values", "description", "item_values", "label",
]
