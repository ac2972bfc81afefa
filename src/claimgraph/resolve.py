"""Resolve: one key per real-world thing across documents.

Keys are normalised so that spelling variants meet ("Yoon Suk Yeol" and
"Yoon Suk-yeol" -> person/yoon-suk-yeol); IRIs are minted from keys
(`iris.Iris.entity`). States are keyed by ISO 3166 alpha-3 code
(state/KOR), which the gazetteer supplies.
"""
from __future__ import annotations

import re

from .iris import slugify
from .model import OrgKind

HONORIFICS = (
    "Dr", "Prof", "Professor", "Mr", "Mrs", "Ms", "Miss", "Sir", "Dame", "Rev", "Amb",
    "Ambassador", "Gen", "General", "Col", "Colonel", "Capt", "Captain", "Lt", "Hon", "Assoc. Prof", "Asst. Prof",
    # military and police ranks printed before a name ("Rear Admiral Daniel Hagari")
    "Rear Admiral", "Vice Admiral", "Admiral", "Adm", "Major General", "Maj. Gen", "Lieutenant General",
    "Lt. Gen", "Brigadier General", "Brig. Gen", "Lieutenant Colonel", "Lt. Col", "Commander", "Cmdr",
    "Sergeant", "Sgt", "Field Marshal", "Air Marshal", "The Honourable", "Honourable", "Honorable", "Rt Hon",
)
# Offices printed before a name, with what names the office before them ("BVI Premier Andrew Fahie").
_OFFICE_PREFIX_RE = re.compile(
    r"^(?:[A-Z][\w.'’-]*\s+){0,3}?(?:Premier|President|Prime Minister|Minister|Governor|Senator|Secretary|"
    r"Chancellor|Chairman|Chairwoman|Mayor|Judge|Justice|Speaker|Ambassador|Spokesman|Spokeswoman|Spokesperson)"
    r"\s+(?=\S+\s+\S+)")
_HONORIFIC_RE = re.compile(
    r"^(?P<h>(?:(?:" + "|".join(re.escape(h) for h in sorted(HONORIFICS, key=len, reverse=True)) + r")\.?\s+)+)",
    re.IGNORECASE,
)
_PARTICLES = {"van", "von", "de", "da", "del", "der", "di", "la", "le", "bin", "al", "ibn", "du"}


def _fix_case(word: str) -> str:
    """'TAMER' -> 'Tamer', "O'BRIEN" -> "O'Brien"; mixed-case words are kept as written."""
    if len(word) > 1 and (word.isupper() or word.islower()):
        if word.lower() in _PARTICLES:
            return word.lower()
        return re.sub(r"[^\W\d_]+", lambda m: m.group()[:1].upper() + m.group()[1:].lower(), word)
    return word


# Academic letters after a name ("Jane Doe, PhD"); generational suffixes (Jr.) stay.
_POSTNOMINALS_RE = re.compile(
    r"(?:,\s*(?:Ph\.?\s?D|D\.?Phil|M\.?A|M\.?Sc|MBA|MPA|MPP|J\.?D|LL\.?M|Esq|OBE|CBE|KBE)\.?)+$", re.IGNORECASE)


def normalise_person_name(raw: str) -> tuple[str, str | None]:
    """Split an honorific off a printed name and fix its capitalisation.

    "Dr. Cenk TAMER" -> ("Cenk Tamer", "Dr."); "Robert E. Kelly" -> ("Robert E. Kelly", None).
    """
    text = re.sub(r"\s+", " ", raw).strip(" ,;:")
    text = _POSTNOMINALS_RE.sub("", text).strip(" ,;:")
    honorific = None
    office = _OFFICE_PREFIX_RE.match(text)
    if office:
        text = text[office.end():]
    m = _HONORIFIC_RE.match(text)
    if m:
        honorific = m.group("h").strip()
        if not honorific.endswith(".") and len(honorific) <= 4:
            honorific += "."
        text = text[m.end():]
    words = [_fix_case(w) for w in text.split(" ") if w]
    return " ".join(words), honorific


# Words nameparser counts as titles that are also common given names: kept as names.
_GIVEN_NAME_TITLES = {"dean", "major", "prince", "princess", "king", "bishop", "master", "judge", "count", "baron",
                      "sister", "brother", "mother", "father", "baba", "guru", "rock", "pro", "her", "his", "me",
                      "do", "se", "st", "ra", "mag", "us", "uk", "english", "british"}
# Titles nameparser's list lacks.
_EXTRA_TITLES = {"taoiseach", "tánaiste", "tanaiste", "emir", "ayatollah", "grand"}


def is_leading_title(word: str) -> bool:
    """A word printed before a name that is a title, not a name ("Taoiseach", "Ayatollah", "Cardinal"),
    by nameparser's list of titles (less the ones that are also given names)."""
    from nameparser.config import CONSTANTS

    w = word.lower().rstrip(".")
    if w in _GIVEN_NAME_TITLES or (len(w) <= 3 and not word.endswith(".")):
        return False  # "Gen Nakatani": a short abbreviation without its period may be a given name
    return w in _EXTRA_TITLES or w in CONSTANTS.titles


def person_key(name: str) -> str:
    return "person/" + slugify(name)


_LEADING_ARTICLE = re.compile(r"^(the)\s+", re.IGNORECASE)


def organization_name(raw: str) -> str:
    """'The Government of Republic of Korea' -> 'Government of Republic of Korea'."""
    text = re.sub(r"\s+", " ", raw).strip(" ,;:.\u201c\u201d\"'")
    return _LEADING_ARTICLE.sub("", text)


def organization_key(name: str) -> str:
    return "org/" + slugify(organization_name(name))


def group_key(name: str) -> str:
    return "group/" + slugify(name)


def place_key(name: str) -> str:
    return "place/" + slugify(name)


def event_key(name: str) -> str:
    return "event/" + slugify(name)


def state_key(iso3: str) -> str:
    return "state/" + iso3.upper()


_ORG_KIND_WORDS: list[tuple[re.Pattern[str], OrgKind]] = [
    (re.compile(r"\b(universit\w*|college|institute of technology|school of)\b", re.I), OrgKind.UNIVERSITY),
    (re.compile(r"\b(think[- ]tank|center for|centre for|institute|foundation|council on|research|studies)\b", re.I), OrgKind.THINK_TANK),
    (re.compile(r"\b(government|ministry|department of state|white house|parliament|administration|cabinet|embassy)\b", re.I), OrgKind.GOVERNMENT_BODY),
    (re.compile(r"\b(nato|united nations|organization|organisation|union|alliance|association of)\b", re.I), OrgKind.INTERNATIONAL_ORGANIZATION),
    (re.compile(r"\b(party|movement|coalition)\b", re.I), OrgKind.POLITICAL_GROUP),
    (re.compile(r"\b(news|times|post|journal|press|reuters|jazeera|nikkei|bbc|cnn|herald|tribune|gazette|magazine|daily|agency)\b", re.I), OrgKind.NEWS_OUTLET),
]


def guess_organization_kind(name: str) -> OrgKind:
    """A first guess from the name's words; callers with better context (a bio, a
    citation's publisher slot) pass their own kind instead."""
    for pattern, kind in _ORG_KIND_WORDS:
        if pattern.search(name):
            return kind
    return OrgKind.OTHER
