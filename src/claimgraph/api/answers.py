"""What every endpoint of the API shares: the error and answer types, media
types, and content negotiation (Accept with q-values). Plain functions, no HTTP."""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Sequence

TEXT = "text/plain; charset=utf-8"
HTML = "text/html"


def with_charset(media_type: str) -> str:
    """Content-Type header for a UTF-8 body."""
    return media_type if "charset=" in media_type else f"{media_type}; charset=utf-8"


# ----------------------------------------------------------------------------- errors and answers


class ProtocolError(Exception):
    """A request the protocol refuses: `status` and a plain-text `message` for the client."""

    def __init__(self, status: int, message: str, headers: dict[str, str] | None = None):
        super().__init__(message)
        self.status = status
        self.message = message
        self.headers = headers or {}


@dataclass
class Answer:
    """What the HTTP layer sends: status, body bytes, full Content-Type, extra headers."""

    status: int
    body: bytes
    content_type: str
    headers: dict[str, str] = field(default_factory=dict)

    @classmethod
    def error(cls, exc: ProtocolError) -> "Answer":
        return cls(exc.status, (exc.message.rstrip("\n") + "\n").encode("utf-8"), TEXT, dict(exc.headers))


def split_media_type(content_type: str | None) -> tuple[str, dict[str, str]]:
    """`'Application/SPARQL-Query; charset=UTF-8'` -> `('application/sparql-query', {'charset': 'UTF-8'})`."""
    if not content_type:
        return "", {}
    main, *params = content_type.split(";")
    out = {}
    for p in params:
        k, _, v = p.partition("=")
        if k.strip():
            out[k.strip().lower()] = v.strip().strip('"')
    return main.strip().lower(), out


# ----------------------------------------------------------------------------- content negotiation


@dataclass(frozen=True)
class MediaRange:
    type: str
    subtype: str
    q: float
    index: int  # position in the Accept header

    def specificity(self, media_type: str) -> int:
        """2 exact, 1 type/*, 0 */*, -1 no match."""
        t, _, s = media_type.partition("/")
        if self.type == "*" and self.subtype == "*":
            return 0
        if self.type != t:
            return -1
        if self.subtype == "*":
            return 1
        return 2 if self.subtype == s else -1


def parse_accept(header: str | None) -> list[MediaRange]:
    """Media ranges of an Accept header with their q-values; malformed entries are ignored."""
    ranges = []
    for i, part in enumerate((header or "").split(",")):
        mtype, params = split_media_type(part)
        if "/" not in mtype:
            continue
        t, _, s = mtype.partition("/")
        try:
            q = float(params.get("q", "1"))
        except ValueError:
            continue
        if not (0 <= q <= 1) or not t or not s:
            continue
        ranges.append(MediaRange(t, s, q, i))
    return ranges


def negotiate(accept: str | None, offers: Sequence[str]) -> str | None:
    """The offer the client prefers, or None when it accepts none of them.

    The highest q wins; among equal q, the more specific matching range
    (exact over `type/*` over `*/*`), then the earlier range in the header,
    then the earlier offer (the server's preference). No Accept header, or one
    with no usable range, means anything: the first offer.
    """
    ranges = parse_accept(accept)
    if not ranges:
        return offers[0] if offers else None
    best, best_key = None, None
    for pos, offer in enumerate(offers):
        matches = [(r.specificity(offer), -r.index, r) for r in ranges if r.specificity(offer) >= 0]
        if not matches:
            continue
        spec, neg_index, rng = max(matches, key=lambda m: (m[0], m[1]))  # most specific range decides q
        if rng.q <= 0:
            continue
        key = (rng.q, spec, neg_index, -pos)
        if best_key is None or key > best_key:
            best, best_key = offer, key
    return best
