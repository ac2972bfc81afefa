"""Allow-lists of the addresses the engine may call itself (`SERVICE`, `LOAD`),
compared as normalised IRIs, never as raw strings.

pyoxigraph fetches a `SERVICE` endpoint or a `LOAD` source over HTTP on its
own, so the API decides beforehand whether the address is allowed. A raw
string prefix would let `http://allowed.example/data/../admin` through under
`http://allowed.example/data/`, and refuse `HTTPS://Allowed.Example:443/data/x`
that is the same address. `normalise_iri` applies RFC 3986's syntax-based
normalisation (section 6.2.2) to http(s) IRIs: scheme and host case-folded
(a trailing dot and IDNA too), default port dropped, percent-escapes of
unreserved characters decoded and the others upper-cased, dot segments
resolved, the fragment dropped. What it cannot normalise safely is refused:
other schemes, user info (`http://allowed.example@evil.example/`), encoded
slashes or backslashes in the path.
"""
from __future__ import annotations

import re
import urllib.parse
from functools import lru_cache
from typing import Iterable

DEFAULT_PORTS = {"http": 80, "https": 443}
_ESCAPE = re.compile(r"%([0-9A-Fa-f]{2})")
_UNRESERVED = frozenset("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-._~")


def _escapes(text: str) -> str:
    """Decode percent-escapes of unreserved characters, upper-case the others."""
    def one(m: re.Match) -> str:
        char = chr(int(m.group(1), 16))
        return char if char in _UNRESERVED else "%" + m.group(1).upper()
    return _ESCAPE.sub(one, text)


def remove_dot_segments(path: str) -> str:
    """RFC 3986, section 5.2.4."""
    out: list[str] = []
    while path:
        if path.startswith("../"):
            path = path[3:]
        elif path.startswith("./"):
            path = path[2:]
        elif path.startswith("/./"):
            path = path[2:]
        elif path == "/.":
            path = "/"
        elif path.startswith("/../"):
            path = path[3:]
            if out:
                out.pop()
        elif path == "/..":
            path = "/"
            if out:
                out.pop()
        elif path in (".", ".."):
            path = ""
        else:
            start = 1 if path.startswith("/") else 0
            end = path.find("/", start)
            end = len(path) if end < 0 else end
            out.append(path[:end])
            path = path[end:]
    return "".join(out)


def normalise_iri(iri: str) -> str:
    """The normal form of an absolute http(s) IRI; ValueError (saying why) for anything else."""
    parts = urllib.parse.urlsplit(iri.strip())
    scheme = parts.scheme.lower()
    if scheme not in DEFAULT_PORTS:
        raise ValueError(f"{iri!r} is not an http(s) IRI")
    if "@" in parts.netloc:
        raise ValueError(f"{iri!r} carries user information")
    if "\\" in iri:
        raise ValueError(f"{iri!r} contains a backslash")
    host = parts.hostname or ""
    if not host:
        raise ValueError(f"{iri!r} has no host")
    try:
        port = parts.port
    except ValueError:
        raise ValueError(f"{iri!r} has an invalid port") from None
    if ":" in host:  # IPv6
        host = f"[{host}]"
    else:
        host = host.rstrip(".")
        try:
            host.encode("ascii")
        except UnicodeEncodeError:
            try:
                host = host.encode("idna").decode("ascii")
            except UnicodeError:
                raise ValueError(f"{iri!r} has a host that is not a valid domain name") from None
    netloc = host if port in (None, DEFAULT_PORTS[scheme]) else f"{host}:{port}"
    path = _escapes(parts.path)
    if "%2F" in path or "%5C" in path:
        raise ValueError(f"{iri!r} has an encoded slash or backslash in its path")
    path = remove_dot_segments(path) or "/"
    query = "?" + _escapes(parts.query) if parts.query or iri.split("#", 1)[0].endswith("?") else ""
    return f"{scheme}://{netloc}{path}{query}"


class Allowlist:
    """Entries are exact IRIs, or prefixes ending in '/' that allow everything under them;
    both sides are compared in normal form."""

    def __init__(self, entries: Iterable[str]):
        self.entries = tuple(entries)
        self._exact: set[str] = set()
        self._prefixes: list[str] = []
        for entry in self.entries:
            normal = normalise_iri(entry)  # an operator's typo fails loudly, at the first check
            if entry.rstrip().endswith("/"):
                self._prefixes.append(normal if normal.endswith("/") else normal + "/")
            else:
                self._exact.add(normal)

    def allows(self, iri: str) -> bool:
        try:
            normal = normalise_iri(iri)
        except ValueError:
            return False
        return normal in self._exact or any(normal.startswith(p) for p in self._prefixes)

    def __bool__(self) -> bool:
        return bool(self.entries)

    def __str__(self) -> str:
        return ", ".join(self.entries)


@lru_cache(maxsize=64)
def allowlist(entries: tuple[str, ...]) -> Allowlist:
    """The Allowlist of `entries` (settings), normalised once."""
    return Allowlist(entries)
