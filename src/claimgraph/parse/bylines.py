"""Bylines: the people a byline, an author meta tag or a JSON-LD author names — and nothing else.

Sites put more than names where names belong: "By Jane Doe, Senior Fellow",
"Jane Doe. The Daily Planet", "By Reuters", "The Editorial Board",
"JANE DOE AND JOHN ROE", "Jane Doe Reuters Correspondent". One cleaner serves
HTML metadata (`parse/html_page.py`) and text bylines (`parse/text_page.py`):

- the byline is cut at what follows the names (a date, "|", "Published", "Updated")
  and split at commas, "and", "&" and ";";
- each part loses what is glued after the name: a job title (the first role
  word: "Senior Fellow", "Correspondent"), a publisher or agency after a full
  stop or comma ("Jane Doe. The Daily Planet");
- a part that is a credit rather than a person is dropped: wire agencies
  (`data/agencies.csv`), desks, staff, boards ("Reuters Staff", "The
  Editorial Board", "News Desk"), the publisher itself;
- what is left must have a person name's shape: 2-5 capitalised name tokens
  that nameparser reads as a first and a last name;
- capitalisation is fixed by nameparser ("JANE DOE" -> "Jane Doe"); mixed
  case is kept as written.
"""
from __future__ import annotations

import re
from collections.abc import Iterable
from functools import lru_cache

from nameparser import HumanName

from .text_page import (
    HONORIFIC_PREFIX_RE,
    NAME_ROLE_WORDS,
    looks_like_person_name,
    match_datetime,
    normalise_space,
    same_person,
)

BYLINE_PREFIX_RE = re.compile(r"^\s*(?:by|written by|words by|words and pictures by|text by|story by|posted by|"
                              r"(?:research and )?analysis by|research by|reporting by|report by|"
                              r"authors?|contributors?)\s*[:\-–—]?\s+", re.IGNORECASE)
# What follows the names on a byline line: a separator, a date, "Published …", "Updated …".
BYLINE_TAIL_RE = re.compile(r"\s*(?:\||•|·|\s[–—-]\s|\bpublished\b|\bupdated\b|\bposted\b|\bon\s+(?:mon|tue|wed|thu|fri|sat|sun)\w*\b"
                            r"|\bon\s+\d{1,2}\s+[A-Z][a-z]+|\bon\s+[A-Z][a-z]+\.?\s+\d|\bfollow\b|@\w"
                            r"|\s(?:jan|feb|mar|apr|may|jun|jul|aug|sep|sept|oct|nov|dec)[a-z]*\.?\s+\d{1,2}\b"
                            r"|\s\d{1,2}:\d{2}).*$", re.IGNORECASE)
NAME_SPLIT_RE = re.compile(r"\s*(?:,\s*and\s+|,\s*&\s*|,|;|\s+and\s+|\s*&\s*|\s+with\s+)\s*", re.IGNORECASE)
# Words of a credit that is not a person ("Reuters Staff", "The Editorial Board", "Foreign Desk").
CREDIT_WORDS = frozenset("""
staff desk board editors editorial team newsroom service wire wires agency agencies bureau correspondents
reporters writers contributors network media news press publishing publications institute centre center
foundation council university programme program department ministry office
""".split())
# Words that start a job title glued after a name ("Jane Doe Senior Fellow").
ROLE_START_WORDS = NAME_ROLE_WORDS | frozenset("""
assistant deputy head chair chairman chairwoman founder partner lecturer researcher scholar visiting
nonresident non-resident adjunct distinguished principal managing executive contributing special
""".split())


@lru_cache(maxsize=1)
def agency_names() -> frozenset[str]:
    """Lower-cased names of wire agencies and syndication credits (data/agencies.csv)."""
    from ..reference import read_table

    names: set[str] = set()
    for row in read_table("agencies.csv"):
        names.add(row["name"].casefold())
        names.update(a.strip().casefold() for a in row.get("aliases", "").split("|") if a.strip())
    return frozenset(names)


@lru_cache(maxsize=1)
def _agency_by_alias() -> dict[str, str]:
    from ..reference import read_table

    out: dict[str, str] = {}
    for row in read_table("agencies.csv"):
        for alias in [row["name"], *row.get("aliases", "").split("|")]:
            if alias.strip():
                out[alias.strip().casefold()] = row["name"]
    return out


def agency_name(name: str) -> str | None:
    """'AP', 'The Associated Press', 'Ap' -> 'Associated Press'; None for other names."""
    return _agency_by_alias().get(name.strip().casefold())


def _org_key(name: str) -> str:
    return re.sub(r"[^\w]+", "", re.sub(r"^the\s+", "", name.strip(), flags=re.IGNORECASE).casefold())


def is_credit(text: str, publishers: Iterable[str] = ()) -> bool:
    """'Reuters', 'AFP staff', 'The Editorial Board', the publisher itself: a credit, not a person."""
    clean = normalise_space(text).strip(" .,;:()")
    if not clean:
        return True
    key = clean.casefold()
    if key in agency_names() or _org_key(clean) in {_org_key(p) for p in publishers if p}:
        return True
    words = re.findall(r"[\w'-]+", key)
    if any(w in CREDIT_WORDS for w in words):
        return True
    return bool(words) and all(w in agency_names() or w in {"the", "our", "and", "from", "by", "staff", "wire"} for w in words)


def _is_place_word(word: str) -> bool:
    from ..extract.gazetteer import load_gazetteer

    g = load_gazetteer()
    return g.is_state_word(word) or word in g.places or word in g.capital_places


def fix_name_case(name: str) -> str:
    """'JANE DOE' -> 'Jane Doe', "mary o'brien" -> "Mary O'Brien"; mixed case is kept."""
    letters = [ch for ch in name if ch.isalpha()]
    if letters and (all(ch.isupper() for ch in letters) or all(ch.islower() for ch in letters)):
        parsed = HumanName(name)
        parsed.capitalize(force=True)
        fixed = str(parsed)
        return fixed if fixed.replace(" ", "").casefold() == name.replace(" ", "").casefold() else name.title()
    return name


GLUED_INITIALS_RE = re.compile(r"(?:[A-Z]\.){1,3}[A-Z][a-z]{2,}(?:-[A-Z][a-z]+)?")
FURNITURE_AFTER_NAME_RE = re.compile(r"(?:\s+(?:follow|subscribe|email|e-mail|twitter|x|linkedin|bio|profile|more)\b\.?)+$",
                                     re.IGNORECASE)


def _cut_glued(part: str, publishers: Iterable[str]) -> str:
    """Drop what is glued after the name: '. Publisher', ', Role', ' Senior Fellow', ' (Reuters)', ' Follow'."""
    part = re.sub(r"\s*\([^()]*\)\s*$", "", part)  # "Jane Doe (Reuters)", "Jane Doe (@jdoe)"
    part = FURNITURE_AFTER_NAME_RE.sub("", part)
    part = part.strip(" ,;:|-–—")
    # "Jane Doe. The Daily Planet": a full stop after a word of 2+ letters ends the name.
    m = re.search(r"(?<=[^\W\d_]{2})\.\s+(?=\S)", part)
    if m:
        part = part[:m.start()]
    tokens = part.split()
    kept: list[str] = []
    for i, token in enumerate(tokens):
        following = tokens[i + 1].strip(".,").casefold() if i + 1 < len(tokens) else ""
        if len(kept) >= 2 and following in ROLE_START_WORDS and _is_place_word(token.strip(".,")):
            break  # "Jane Doe China Correspondent": the place belongs to the role
        bare = token.strip(".,").casefold()
        rest = " ".join(tokens[i:])
        if kept and len(kept) >= 2 and (bare in ROLE_START_WORDS or bare in agency_names() or agency_name(rest)
                                        or any(_org_key(rest) == _org_key(p) for p in publishers if p)):
            break
        kept.append(token)
    return " ".join(kept).strip(" ,.;:")


def clean_person_name(part: str, publishers: Iterable[str] = ()) -> str | None:
    """One printed name -> the person's name as written (honorific kept), or None if it is no person."""
    publishers = [p for p in publishers if p]
    part = BYLINE_PREFIX_RE.sub("", normalise_space(part)).strip(" ,.;:")
    if not part or part.casefold() in agency_names():
        return None
    honorific = HONORIFIC_PREFIX_RE.match(part)
    prefix = part[:honorific.end()] if honorific else ""
    bare = _cut_glued(part[len(prefix):], publishers)
    if bare and GLUED_INITIALS_RE.fullmatch(bare):
        return prefix + bare  # "M.A.Qudoos": initials glued to the surname, as the page prints them
    if not bare or is_credit(bare, publishers) or not looks_like_person_name(bare):
        return None
    parsed = HumanName(bare)
    if not parsed.first or not parsed.last:
        return None
    return prefix + fix_name_case(bare)


def split_byline(text: str) -> list[str]:
    """'By JANE DOE AND John Roe | March 3, 2024' -> ['JANE DOE', 'John Roe'] (parts, not yet cleaned)."""
    text = normalise_space(text)
    text = BYLINE_PREFIX_RE.sub("", text)
    text = BYLINE_TAIL_RE.sub("", text)
    # a date glued to the end: "Jane Doe MAR 3, 2024"
    words = text.split()
    for k in range(1, min(len(words), 7)):
        if match_datetime(" ".join(words[-k:])):
            text = " ".join(words[:-k])
            break
    return [p for p in NAME_SPLIT_RE.split(text) if p and p.strip()]


# A role printed after a name: it names a job ("Senior Fellow …") or an institution ("… Institute").
_ROLE_PART_RE = re.compile(r"\b(?:" + "|".join(sorted(ROLE_START_WORDS, key=len, reverse=True)) + r")s?\b", re.IGNORECASE)
_INSTITUTION_RE = re.compile(r"\b(?:university|institute|institution|centre|center|council|foundation|school|college|"
                             r"academy|endowment|forum|programme|program|ministry|agency|review|journal|times|post)\b",
                             re.IGNORECASE)


# "By Jane Doe and John Roe / Planet Staff Writers", "Jane Doe / PNN / Updated …", "By Jane Doe | AFP | March 3":
# what the names' separator leads to, up to the next separator.
_OUTLET_AFTER_SEPARATOR_RE = re.compile(r"^(?P<names>[^/|]+?)\s+(?P<sep>/|\|)\s+(?P<org>[^/|]+?)\s*(?:[/|].*)?$")


def outlet_after_separator(text: str, publishers: Iterable[str] = ()) -> tuple[str, str] | None:
    """('By Jane Doe', 'Planet Staff Writers') for a byline whose names are followed, across a
    slash or a bar, by the outlet or agency they write for; None otherwise. After a slash the
    outlet is any short capitalised name that is neither a person nor a date; after a bar (which
    also leads to dates and sections) only a wire agency or a staff role ("… Staff Writer")."""
    m = _OUTLET_AFTER_SEPARATOR_RE.match(normalise_space(text))
    if not m:
        return None
    org = m.group("org").strip(" ,.;:")
    if not org or not org[0].isupper() or len(org.split()) > 6 or match_datetime(org) or re.search(r"\d", org) \
            or BYLINE_TAIL_RE.match(" " + org) and BYLINE_TAIL_RE.match(" " + org).group().strip() \
            or clean_person_name(org, publishers) == org or not byline_names(m.group("names"), publishers):
        return None
    staff = re.search(r"\bstaff\b|\b(?:writer|reporter|correspondent)s?$", org, re.IGNORECASE)
    if m.group("sep") == "|" and not (agency_name(org) or staff):
        return None
    return m.group("names"), org


def byline_details(text: str, publishers: Iterable[str] = ()) -> list[tuple[str, str | None]]:
    """(name, role) for each person a byline names; the role is what the byline prints after the
    name ('Senior Fellow at the Example Institute', 'Reuters correspondent'), or None."""
    outlet = outlet_after_separator(text, publishers)
    if outlet:
        names, org = outlet
        return [(name, org) for name in byline_names(names, publishers)]
    out: list[tuple[str, str | None]] = []
    for part in split_byline(text):
        name = clean_person_name(part, publishers)
        if name is not None:
            bare = BYLINE_PREFIX_RE.sub("", normalise_space(part)).strip(" ,.;:")
            glued = bare[len(_cut_glued(bare[len(HONORIFIC_PREFIX_RE.match(bare).group()) if HONORIFIC_PREFIX_RE.match(bare)
                                              else 0:], publishers)) + (len(HONORIFIC_PREFIX_RE.match(bare).group())
                                                                        if HONORIFIC_PREFIX_RE.match(bare) else 0):]
            glued = glued.strip(" ,.;:()")
            role = glued if glued and (_ROLE_PART_RE.search(glued) or _INSTITUTION_RE.search(glued)
                                       or agency_name(glued)) else None
            if not any(same_person(name, n) for n, _ in out):
                out.append((name, role))
        elif out and out[-1][1] is None and (_ROLE_PART_RE.search(part) or _INSTITUTION_RE.search(part)
                                             or agency_name(part.strip(" ,.;:"))):
            out[-1] = (out[-1][0], part.strip(" ,.;:"))
        elif out and out[-1][1] is not None and _INSTITUTION_RE.search(part):
            out[-1] = (out[-1][0], f"{out[-1][1]}, {part.strip(' ,.;:')}")  # "Senior Fellow, Example Institute"
    # "By Jane Doe and John Roe, The Associated Press" / "(Our staff reporters)": an outlet, or a role
    # in the plural, after the last name is everyone's.
    if len(out) > 1 and out[-1][1] and all(r is None for _, r in out[:-1]) and (
            not _ROLE_PART_RE.search(out[-1][1]) or re.search(r"\b(?:our|\w+(?:ers|ors|ents|ists|ows))\b\W*$", out[-1][1], re.I)):
        out = [(name, out[-1][1]) for name, _ in out]
    return out


def byline_names(text: str, publishers: Iterable[str] = ()) -> list[str]:
    """The people a byline (or an author field) names, in order, each once.

    A part that is not a person after the first person ends the list when it
    reads like a role ("By Jane Doe, Senior Fellow, Example Institute")."""
    outlet = outlet_after_separator(text, publishers)
    if outlet:
        text = outlet[0]
    names: list[str] = []
    for part in split_byline(text):
        name = clean_person_name(part, publishers)
        if name is None:
            continue
        if not any(same_person(name, n) for n in names):
            names.append(name)
    return names
