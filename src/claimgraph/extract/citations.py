"""Extract cited works from numbered footnotes.

Footnotes come in many house styles; the rules read the parts most of them share:
a title in quotes (sometimes with only the closing quote left after copy-paste),
the publisher as the next comma-separated part, an access date after a cue such as
"Date of Accession", "Accessed" or "Retrieved", an optional publication date and URL.
A note that is neither quoted nor has a URL, access date or publisher is taken to be
an explanatory note, not a citation. `op. cit.` / `ibid.` notes (Footnote.same_as,
set by the parser) repeat the earlier note's work.
"""
from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date

from ..model import Citation, Entity, EntityKind, OrgKind, ParsedPage
from ..parse.text_page import OPCIT_RE, find_date, find_date_span
from ..resolve import guess_organization_kind, organization_key, organization_name

URL_RE = re.compile(r"(?:https?://|www\.)[^\s<>\")\]]+", re.IGNORECASE)
ACCESS_CUE_RE = re.compile(
    r"\(?\s*\b(?:date\s+of\s+access(?:ion)?|access(?:ed)?\s+(?:on|date)|accessed|retrieved(?:\s+on)?|"
    r"last\s+accessed|last\s+visited|viewed\s+on|consulted\s+on)\b\s*:?",
    re.IGNORECASE,
)
OPEN_QUOTES = "“\"‘«"
CLOSE_QUOTES = "”\"’»"
QUOTED_TITLE_RE = re.compile(r"[“\"«](?P<title>[^”\"»]{2,400})[”\"»]")
APA_RE = re.compile(r"^(?P<authors>.+?)\s*\((?P<year>(?:19|20)\d\d)[^)]*\)\.?\s*(?P<title>[^.]+)\.\s*(?P<rest>.*)$")
NOT_PUBLISHER_RE = re.compile(
    r"^(?:p|pp|vol|no|nr|ed|eds|in|ibid|op|cit|retrieved|accessed|available|online|web|pdf|n\.d)\b\.?|^\d+(?:[-–]\d+)?$",
    re.IGNORECASE,
)
GOVERNMENT_RE = re.compile(
    r"\b(?:government|ministry|department of|office of the|white house|cabinet|embassy|parliament|presidency|"
    r"state department|prime minister'?s office|federal|senate|congress|national assembly)\b",
    re.IGNORECASE,
)
NEWS_RE = re.compile(r"\b(?:news|times|post|journal|press|herald|tribune|gazette|magazine|daily|agency|"
                     r"broadcasting|television|tv|radio|review|monitor|observer|guardian|telegraph)\b", re.IGNORECASE)


@dataclass(frozen=True)
class ReferenceParts:
    """What one footnote says about the work it cites."""

    title: str
    publisher: str | None = None
    access_date: date | None = None
    published: date | None = None
    url: str | None = None


def _strip_title(text: str) -> str:
    return text.strip().strip(OPEN_QUOTES + CLOSE_QUOTES).strip(" ,.;:").strip()


def parse_reference(text: str) -> ReferenceParts | None:
    """Title, publisher, dates and URL of a footnote; None for a note that cites no work."""
    text = re.sub(r"\s+", " ", text).strip()
    url = None
    m = URL_RE.search(text)
    if m:
        url = m.group().rstrip(".,;")
        if url.lower().startswith("www."):
            url = "https://" + url
        text = (text[:m.start()] + text[m.end():]).strip()
    access = None
    for m in reversed(list(ACCESS_CUE_RE.finditer(text))):  # the last cue: a title may contain "Accessed"
        access = find_date(text[m.end():])
        if access is not None:
            text = text[:m.start()].rstrip(" ,.;(")
            break

    quoted = QUOTED_TITLE_RE.search(text)
    closing = next((i for i, ch in enumerate(text) if ch in "”»"), None)
    if quoted:
        title, after = quoted.group("title"), text[quoted.end():]
    elif closing is not None:  # the opening quote was lost: the title runs from the start
        title, after = text[:closing], text[closing + 1:]
    else:
        apa = APA_RE.match(text)
        if apa:
            title, after = apa.group("title"), apa.group("rest")
        else:
            head, _, after = text.partition(", ")
            title = head
    title = _strip_title(title)
    if not title:
        return None

    published = None
    dated = find_date_span(after)
    if dated:  # take the date out first: its own comma ("March 3, 2023") would split it
        published, after = dated[0], after[:dated[1]] + "," + after[dated[2]:]
    publisher = None
    for part in re.split(r"\s*[,;]\s*|\.\s+", after):
        part = part.strip(" .()[]")
        if part and any(ch.isalpha() for ch in part) and not NOT_PUBLISHER_RE.match(part):
            publisher = organization_name(re.sub(r"^(?:in|by|published by)\s+", "", part, flags=re.IGNORECASE))
            break
    if publisher is None and quoted:
        # "Ministry of X, “Title”": an institutional author is the publisher.
        before = organization_name(text[:quoted.start()])
        if before and (GOVERNMENT_RE.search(before) or guess_organization_kind(before) != OrgKind.OTHER):
            publisher = before
    if not (quoted or closing is not None or url or access or publisher):
        return None
    return ReferenceParts(title, publisher or None, access, published, url)


def publisher_kind(name: str) -> OrgKind:
    """Government body for governments and ministries; otherwise the name's own cue; a news outlet by default."""
    if GOVERNMENT_RE.search(name):
        return OrgKind.GOVERNMENT_BODY
    if NEWS_RE.search(name):
        return OrgKind.NEWS_OUTLET
    guess = guess_organization_kind(name)
    return guess if guess not in (OrgKind.OTHER, OrgKind.POLITICAL_GROUP) else OrgKind.NEWS_OUTLET


def extract_citations(page: ParsedPage) -> tuple[list[Citation], list[Entity]]:
    """One Citation per citing footnote (op. cit./ibid. notes share the earlier note's work)
    and the publishers as organization entities."""
    citations: list[Citation] = []
    publishers: dict[str, Entity] = {}
    by_number: dict[int, Citation] = {}
    for note in page.footnotes:
        if note.same_as is not None and note.same_as in by_number:
            base = by_number[note.same_as]
            cite = Citation(note.number, base.title, base.publisher_key, base.access_date, base.published,
                            base.url, same_as=note.same_as)
            citations.append(cite)
            by_number[note.number] = cite
            continue
        if OPCIT_RE.search(note.text) and note.same_as is None:
            continue  # an op. cit. whose earlier note is unknown names no work of its own
        parts = parse_reference(note.text)
        if parts is None:
            continue
        publisher_key = None
        if parts.publisher:
            key = organization_key(parts.publisher)
            publishers.setdefault(key, Entity(key=key, kind=EntityKind.ORGANIZATION, name=parts.publisher,
                                              org_kind=publisher_kind(parts.publisher)))
            publisher_key = key
        cite = Citation(note.number, parts.title, publisher_key, parts.access_date, parts.published, parts.url)
        citations.append(cite)
        by_number[note.number] = cite
    return citations, list(publishers.values())
