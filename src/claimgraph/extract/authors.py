"""Extract the article's authors from byline names and bios: the people, where they
work (role, department, years, current or past), where they studied (degree,
field, year, thesis), expertise, languages and social handles.

Rules are sentence patterns over bios ("working as an X at Y", "is a professor
of … in the Department of … at Y", "graduated from Y, Department of Z in
2014", "completed his PhD … in 2022 with his thesis titled "…"") with a
little state across sentences: "in the same year" takes the last year named,
and a degree started in one sentence is completed in a later one. Studying
somewhere never makes an affiliation; only a role (specialist, fellow,
professor, editor …) at an organization does.
"""
from __future__ import annotations

import re
from dataclasses import dataclass, field

from ..reference import read_table
from ..model import Affiliation, AuthorProfile, Education, Entity, EntityKind, OrgKind, ParsedPage
from ..parse.bylines import agency_name
from ..parse.text_page import bio_parts, normalise_space, same_person, split_sentences
from ..resolve import guess_organization_kind, normalise_person_name, organization_key, organization_name, person_key


@dataclass
class AuthorExtraction:
    """The article's authors and what their bios say about them, keyed for resolution."""

    entities: list[Entity] = field(default_factory=list)
    author_keys: list[str] = field(default_factory=list)
    affiliations: list[Affiliation] = field(default_factory=list)
    educations: list[Education] = field(default_factory=list)
    profiles: list[AuthorProfile] = field(default_factory=list)


# ------------------------------------------------------------------ vocabulary

ROLE_NOUNS = (
    r"research assistant|teaching assistant|editor-at-large|editor-in-chief|vice president|"
    r"specialist|fellow|researcher|professor|lecturer|analyst|director|editor|assistant|associate|"
    r"adviser|advisor|scholar|chair|chairman|chairwoman|president|head|manager|coordinator|expert|"
    r"consultant|correspondent|columnist|contributor|writer|member|dean|officer|economist|ambassador|"
    r"instructor|founder|co-founder|partner|strategist|historian|journalist|reporter|secretary|"
    r"representative|diplomat|commentator|blogger|regular"
)
ROLE_MODIFIERS = (
    r"senior|junior|former|current|visiting|nonresident|non-resident|resident|adjunct|assistant|"
    r"associate|full|distinguished|principal|chief|lead|research|postdoctoral|post-doctoral|doctoral|"
    r"contributing|managing|executive|deputy|founding|regional|policy|program|programme|political|"
    r"security|defen[cs]e|foreign|international|global|military|economic|independent|freelance|staff|"
    r"guest|honorary|emeritus|teaching|graduate|special|general|national|board|advisory|editorial|"
    r"opinion|diplomatic|foreign-affairs|affairs|news|digital|investigative"
)
# "an Asia-Pacific Specialist", "a senior fellow", "and TwentyOne Contributing Editor".
ROLE_RE = re.compile(
    rf"\b(?i:a|an|the|as|and|is|was|are|were|both)\s+(?P<mods>(?:(?:(?i:{ROLE_MODIFIERS})|[A-Z0-9][\w'’&.-]*)\s+){{0,4}})"
    rf"(?P<noun>(?i:{ROLE_NOUNS}))(?:s)?\b"
)
EDITORIAL_NOUN_RE = re.compile(r"^(?:editor|editor-at-large|editor-in-chief|columnist|contributor|correspondent|writer|commentator|blogger|reporter|journalist|regular)$", re.I)
RESEARCH_NOUN_RE = re.compile(r"^(?:specialist|fellow|researcher|research assistant|analyst|scholar|expert)$", re.I)
MODIFIER_RE = re.compile(rf"^(?:{ROLE_MODIFIERS})$", re.I)

ROLE_FIELD_RE = re.compile(r"^\s+(?:of|in|on)\s+(?P<field>[a-z][a-z ,'’&-]*?)(?=\s+(?:in|at|with|for|within)\s|[,.;]|$)")
ROLE_DEPT_RE = re.compile(
    r"^\s*,?\s+(?:in|at|of|with|within|for)\s+the\s+(?P<dept>(?:Department|School|Faculty|Division|Program(?:me)?|"
    r"Centre|Center|Institute|Section|Unit|Chair|Desk)\b.*)$"
)
ROLE_ORG_RE = re.compile(r"^\s*,?\s+(?:at|with|for|of|in|to)\s+(?:the\s+)?(?P<org>[A-Z0-9].*)$")

DEPT_TO_ORG_RE = re.compile(r"^\s*,?\s+(?:at|of)\s+(?:the\s+)?(?P<org>[A-Z0-9].*)$")
ROLE_AT_ORG_RE = re.compile(r"^\s*,?\s+(?:at|with)\s+(?:the\s+)?(?P<org>[A-Z0-9].*)$")

# Past-tense cues in the words leading to a role ("former" only counts as the role's own modifier).
PAST_RE = re.compile(r"\b(?:formerly|previously|earlier|was|were|worked|served|had been|used to)\b", re.I)
STARTED_RE = re.compile(r"\b(?:started|began|joined|became|was appointed|was named|commenced)\b", re.I)
CURRENT_RE = re.compile(r"\b(?:currently|now|presently|today)\b", re.I)

# Organization names: capitalised words with connectors; heads after which "and" ends the name.
ORG_CONNECTORS = frozenset({"of", "for", "on", "and", "the", "de", "&", "du", "des", "la", "für", "in"})  # "in" only ends a name
ORG_HEAD_WORDS = frozenset({
    "university", "college", "institute", "institution", "council", "foundation", "center", "centre",
    "fund", "agency", "ministry", "academy", "school", "association", "society", "office", "bureau",
    "service", "commission", "forum", "endowment", "program", "programme",
})
UNIVERSITY_HEAD_RE = re.compile(r"^(?:University|College|Institute|Academy|School|Universität|Université|Universidad)$")
PROGRAM_WORD_RE = re.compile(r"^(?:Program|Programme|PhD|Ph\.D\.?|Master'?s|Master’s|Doctoral|Doctorate|Bachelor'?s|Bachelor’s|MA|BA|MSc|BSc|Graduate|Undergraduate|Department|Faculty)$")
ORG_STOP_WORDS = frozenset({"contributing", "editor", "fellow", "professor", "specialist", "columnist", "he", "she", "they", "his", "her"})

DEPARTMENT_AFTER_ORG_RE = re.compile(r"^\s*,\s*(?:the\s+)?(?:Department|Faculty|School|Division|Institute) of\s+(?P<field>.+)$")
FIELD_IN_RE = re.compile(r"\bin\s+(?P<field>[A-Z][\w'’-]*(?:\s+(?:and|of|&|[A-Z][\w'’-]*))*)")

DEGREE_PATTERNS = (
    ("PhD", re.compile(r"\b(?:Ph\.?\s?D\b\.?|(?i:doctorate|doctoral|d\.phil\.?|dphil))")),
    ("master", re.compile(r"\b(?:(?i:master(?:'|’)?s?)\b|M\.A\.|MA\b|M\.?Sc\b\.?|MPhil\b|M\.Phil\.|MBA\b|MPA\b|MPP\b|LL\.?M\b\.?)")),
    ("bachelor", re.compile(r"\b(?:(?i:bachelor(?:'|’)?s?|undergraduate|licen[cs]e degree)\b|B\.A\.|BA\b|B\.?Sc\b\.?|LL\.?B\b\.?)")),
)
GRADUATED_RE = re.compile(r"\bgraduated\b(?P<mid>.*?)\bfrom\s+(?P<rest>.+)$", re.I)
STARTED_STUDY_RE = re.compile(
    r"\b(?:started|began|commenced|enrolled|entered|was accepted|was admitted|pursued|is pursuing|"
    r"is currently pursuing)\b(?P<rest>.+)$", re.I)
COMPLETED_STUDY_RE = re.compile(
    r"\b(?:completed|finished|received|earned|obtained|was awarded|holds|has|got|defended|gained)\b(?P<rest>.+)$", re.I)
ORG_AFTER_PREP_RE = re.compile(r"\b(?:at|from|to|into|in)\s+(?:the\s+)?(?=[A-Z])")
THESIS_RE = re.compile(r"\b(?:thesis|dissertation)\b[^«]{0,30}«Q(?P<q>\d+)»", re.I)
QUOTED_RE = re.compile(r"[\"“]([^\"“”]{3,300})[\"”]")

YEAR_RE = re.compile(r"\b(?:19|20)\d\d\b")
CLAUSE_YEAR_RE = re.compile(r"\b(?:in|since|from|until|by)\s+(?P<y>(?:19|20)\d\d)\b", re.I)
SINCE_YEAR_RE = re.compile(r"\bsince\s+(?P<y>(?:19|20)\d\d)\b", re.I)
SPAN_RE = re.compile(r"\(?\b(?P<a>(?:19|20)\d\d)\s*(?:-|–|—|to|until)\s*(?P<b>(?:19|20)\d\d)\b\)?")
LEADING_YEAR_RE = re.compile(r"^\s*(?:in|by|since)\s+(?P<y>(?:19|20)\d\d)\s*,", re.I)
SAME_YEAR_RE = re.compile(r"\b(?:in\s+)?(?:the\s+same\s+year|that\s+(?:same\s+)?year)\b", re.I)
NEXT_YEAR_RE = re.compile(r"\b(?:in\s+)?the\s+(?:following|next)\s+year\b", re.I)

CLAUSE_SPLIT_RE = re.compile(
    r",\s+(?=[a-z])|\s+and\s+(?=(?:was|is|has|had|started|began|completed|received|earned|obtained|joined|"
    r"worked|works|served|serves|graduated|holds|speaks|then|later|currently|now|also)\b)"
)

EXPERTISE_RE = re.compile(
    r"\b(?:areas?\s+of\s+(?:specialization|specialisation|expertise|interest|research|focus)|research\s+interests|"
    r"fields?\s+of\s+(?:study|expertise|research))\s+(?:are|is|include|includes|cover|covers|lie in)\s+"
    r"(?P<list>.+?)(?=,?\s+(?:and\s+)?(?:who|whose|which|he|she|they)\b|[.;]|$)"
    r"|\b(?:speciali[sz]es|focuses|focusses|concentrates)\s+(?:in|on)\s+(?P<list2>.+?)(?=,?\s+(?:and\s+)?(?:who|whose|which|he|she|they)\b|[.;]|$)",
    re.I,
)
LANGUAGE_RE = re.compile(
    r"\b(?:speaks|is fluent in|fluent in|is proficient in|proficient in|native speaker of|working knowledge of|reads)\s+(?P<list>[^.;]+)",
    re.I,
)
# Languages in English, to accept what a bio says someone speaks.
LANGUAGE_NAMES = frozenset(row["name"] for row in read_table("languages.csv") if "spoken" in row["uses"].split("|"))
SOCIAL_RE = re.compile(r"(?<![\w.@/])@(?P<h>[A-Za-z0-9_]{2,30})\b|\b(?:twitter|x)\.com/(?P<h2>[A-Za-z0-9_]{2,30})\b")
GOVERNMENT_RE = re.compile(r"\b(?:government|ministry|department of state|state department|white house|parliament|"
                           r"cabinet|embassy|presidency|armed forces|navy|army|air force)\b", re.I)

_NUMBER_WORDS = {
    "zero": 0, "one": 1, "two": 2, "three": 3, "four": 4, "five": 5, "six": 6, "seven": 7, "eight": 8, "nine": 9,
    "ten": 10, "eleven": 11, "twelve": 12, "thirteen": 13, "fourteen": 14, "fifteen": 15, "sixteen": 16,
    "seventeen": 17, "eighteen": 18, "nineteen": 19, "twenty": 20, "thirty": 30, "forty": 40, "fifty": 50,
    "sixty": 60, "seventy": 70, "eighty": 80, "ninety": 90,
}
_NAME_PIECE_RE = re.compile(r"\d+|[A-Z]?[a-z]+|[A-Z]+(?![a-z])")


# ---------------------------------------------------------------- organizations


def canonical_org_name(name: str) -> str:
    """Spelling-insensitive form for conservative matching: digits for number words,
    no case, articles or punctuation ("TwentyOne Review" and "21 Review" -> "21review")."""
    name = organization_name(name).replace("&", " and ")
    pieces = _NAME_PIECE_RE.findall(name)
    out: list[str] = []
    i = 0
    while i < len(pieces):
        word = pieces[i].lower()
        if word in _NUMBER_WORDS:
            value = _NUMBER_WORDS[word]
            nxt = pieces[i + 1].lower() if i + 1 < len(pieces) else ""
            if 20 <= value <= 90 and nxt in _NUMBER_WORDS and 1 <= _NUMBER_WORDS[nxt] <= 9:
                value += _NUMBER_WORDS[nxt]
                i += 1
            out.append(str(value))
        else:
            out.append(word)
        i += 1
    return "".join(out)


def matches_publisher(name: str, publisher: str | None) -> bool:
    return bool(publisher) and canonical_org_name(name) == canonical_org_name(publisher) != ""


def take_org_name(text: str) -> str | None:
    """The organization name a text starts with: 'Eastvale National University and 21Review …'
    -> 'Eastvale National University'; stops at commas, years, lower-case words and role words."""
    tokens: list[str] = []
    text = re.sub(r"^\s*(?:the|The|THE)\s+(?=[A-Z0-9])", "", text)  # "The Daily X" -> "Daily X" (as organization_name does)
    for m in re.finditer(r"\S+", text):
        raw = m.group()
        token = raw.rstrip(",.;:)")
        ends = raw != token and not re.fullmatch(r"(?:[A-Z]\.)+", raw)  # "U.S." keeps its dot
        if re.fullmatch(r"(?:[A-Z]\.)+", raw):
            token = raw
        lower = token.lower()
        if not token:
            break
        if lower in ORG_CONNECTORS:
            if not tokens or ends:
                break
            if lower == "and" and tokens[-1].lower() in ORG_HEAD_WORDS:
                break  # "… University and 21Review Contributing Editor"
            if raw == "in":
                break  # "… at CENTRUM in 2017", "… Studies in Washington"; "Policy In Focus" goes on
            tokens.append(token)
            continue
        if YEAR_RE.fullmatch(token) or lower in ORG_STOP_WORDS:
            break
        if not (token[0].isupper() or token[0].isdigit()) or token.startswith("«"):
            break
        if tokens and tokens[-1].lower() == "and" and token[0].isdigit():
            break
        tokens.append(token)
        if ends:
            break
    while tokens and tokens[-1].lower() in ORG_CONNECTORS:
        tokens.pop()
    name = " ".join(tokens).strip("'’\"")
    return name or None


def split_program(org: str) -> tuple[str, str | None]:
    """'Gazi University International Relations PhD Program' -> ('Gazi University', 'International Relations')."""
    tokens = org.split()
    for k, token in enumerate(tokens):
        if k > 0 and UNIVERSITY_HEAD_RE.match(token) and k + 1 < len(tokens) and tokens[k + 1].lower() not in ORG_CONNECTORS:
            rest = [t for t in tokens[k + 1:] if not PROGRAM_WORD_RE.match(t)]
            return " ".join(tokens[:k + 1]), (" ".join(rest) or None)
    return org, None


def organization_entity(name: str, kind: OrgKind) -> Entity:
    clean = organization_name(name)
    return Entity(key=organization_key(clean), kind=EntityKind.ORGANIZATION, name=clean, org_kind=kind)


def employer_kind(name: str, role_noun: str, role: str = "") -> OrgKind:
    """University by name; otherwise a news outlet for editors, a think tank for researchers."""
    guess = guess_organization_kind(name)
    if guess in (OrgKind.UNIVERSITY, OrgKind.GOVERNMENT_BODY, OrgKind.INTERNATIONAL_ORGANIZATION) or GOVERNMENT_RE.search(name):
        return guess if guess != OrgKind.OTHER else OrgKind.GOVERNMENT_BODY
    if EDITORIAL_NOUN_RE.match(role_noun):
        return OrgKind.NEWS_OUTLET
    if RESEARCH_NOUN_RE.match(role_noun) or re.search(r"\bresearch\b", role, re.I):
        return OrgKind.THINK_TANK
    return guess


# ------------------------------------------------------------------------ bios


def resolve_relative_years(text: str) -> str:
    """'… in 2014. In the same year, he started …' -> '… In 2014, he started …'."""
    out, last, pos = [], None, 0
    pattern = re.compile(rf"{YEAR_RE.pattern}|{SAME_YEAR_RE.pattern}|{NEXT_YEAR_RE.pattern}", re.I)
    for m in pattern.finditer(text):
        out.append(text[pos:m.start()])
        token = m.group()
        if YEAR_RE.fullmatch(token):
            last = int(token)
            out.append(token)
        elif last is None:
            out.append(token)
        else:
            year = last + 1 if NEXT_YEAR_RE.fullmatch(token) else last
            out.append(f"{'In' if token[0].isupper() else 'in'} {year}")
            last = year
        pos = m.end()
    out.append(text[pos:])
    return "".join(out)


def protect_quotes(text: str) -> tuple[str, list[str]]:
    """Quoted titles become «Qn» so their commas and periods do not split sentences."""
    quotes: list[str] = []

    def keep(m: re.Match) -> str:
        quotes.append(m.group(1).strip())
        return f"«Q{len(quotes) - 1}»"

    return QUOTED_RE.sub(keep, text), quotes


def degree_in(text: str) -> str | None:
    for name, pattern in DEGREE_PATTERNS:
        if pattern.search(text):
            return name
    return None


def clause_year(clause: str, sentence_year: int | None, first: bool) -> int | None:
    m = CLAUSE_YEAR_RE.search(clause)
    if m:
        return int(m.group("y"))
    return sentence_year if first else None


def split_clauses(sentence: str) -> list[str]:
    return [c for c in CLAUSE_SPLIT_RE.split(sentence) if c.strip()]


@dataclass
class _Role:
    org_name: str
    role: str | None
    noun: str
    department: str | None = None
    start_year: int | None = None
    end_year: int | None = None
    status: str = "present"  # present | started | current | past


def _names_an_organization(name: str) -> bool:
    """'Asia Centre', 'Brookings Institution', a known organization; not a field ('International Economics')."""
    from .gazetteer import load_gazetteer

    words = {w.lower().strip(",.") for w in name.split()}
    return bool(words & ORG_HEAD_WORDS) or load_gazetteer().org_by_surface(name) is not None


def find_roles(clause: str, publisher: str | None) -> list[_Role]:
    """Roles at organizations named in one clause."""
    roles: list[_Role] = []
    for m in ROLE_RE.finditer(clause):
        mods = m.group("mods").split()
        noun = m.group("noun")
        tail = clause[m.end():]
        department = None
        fm = ROLE_FIELD_RE.match(tail)
        if fm:
            tail = tail[fm.end():]
        org = None
        dm = ROLE_DEPT_RE.match(tail)
        if dm:
            dept = take_org_name(dm.group("dept"))
            after = dm.group("dept")[len(dept or ""):]
            om = DEPT_TO_ORG_RE.match(after)  # "… in Istanbul" after a centre is its city, not its parent
            if om and dept:
                department = re.sub(r"^(?:Department|School|Faculty|Division) of\s+", "", dept)
                org = take_org_name(om.group("org"))
            else:
                org = dept
        else:
            om = ROLE_ORG_RE.match(tail)
            if om:
                org = take_org_name(om.group("org"))
                # "Professor of International Economics at the University of Vienna": the first
                # name is the field or unit, the employer follows "at".
                later = ROLE_AT_ORG_RE.match(om.group("org")[len(org or ""):]) if org else None
                if later and take_org_name(later.group("org")):
                    if re.match(r"(?:Department|School|Faculty|Division)\b", org) or re.search(r"\bProgram(?:me)?$", org):
                        department = re.sub(r"^(?:Department|School|Faculty|Division) of\s+", "", org)
                    elif _names_an_organization(org):
                        # "director of the Asia Centre at the Example Institute": the unit is an
                        # organization of its own, and so is its host (a field of study is not)
                        roles.append(_Role(org, " ".join([w for w in mods if w.lower() not in {"former", "current"}]
                                                         + [noun]), noun))
                    org = take_org_name(later.group("org"))
        if org is None and EDITORIAL_NOUN_RE.match(noun):
            # "a 1945 Contributing Editor": the outlet is printed before the role.
            lead = []
            for word in mods:
                if MODIFIER_RE.match(word):
                    break
                lead.append(word)
            if lead:
                candidate = " ".join(lead)
                if lead[0].lower() in {"our", "the", "a", "an"} or _is_place(candidate):
                    # "Our staff reporter", "China Correspondent": a desk or a beat at the publisher
                    org = publisher
                elif matches_publisher(candidate, publisher) or not candidate.isdigit():
                    org = candidate
                    mods = mods[len(lead):]
        if not org:
            continue
        if matches_publisher(org, publisher):
            org = publisher
        org, _ = split_program(org)
        status = "present"
        before = clause[:m.start()]
        if any(w.lower() == "former" for w in mods):
            status = "past"
        elif STARTED_RE.search(before):
            status = "started"
        elif PAST_RE.search(before):
            status = "past"
        elif CURRENT_RE.search(before) or CURRENT_RE.search(clause[m.end():]):
            status = "current"
        role_words = [w for w in mods if w.lower() not in {"former", "current"}] + [noun]
        start_year = end_year = None
        span = SPAN_RE.search(clause[m.start():])
        if span:
            start_year, end_year = int(span.group("a")), int(span.group("b"))
        else:
            since = SINCE_YEAR_RE.search(clause)
            year = CLAUSE_YEAR_RE.search(clause[m.end():])
            if since:
                start_year = int(since.group("y"))
            elif year and status in ("started", "present", "current"):
                start_year = int(year.group("y"))
        roles.append(_Role(org, " ".join(role_words), noun, department, start_year, end_year, status))
    return roles


@dataclass
class _Study:
    degree: str | None
    org_name: str | None
    field: str | None = None
    year: int | None = None
    start_year: int | None = None
    thesis: str | None = None


def _org_after_preposition(text: str) -> tuple[str | None, str | None, str]:
    """(organization, field, text after it) for the first '(at|from|to) <Name>' in text."""
    m = ORG_AFTER_PREP_RE.search(text)
    if not m:
        return None, None, text
    org = take_org_name(text[m.end():])
    if not org:
        return None, None, text
    after = text[m.end() + len(org):]
    org, program_field = split_program(org)
    field_ = program_field
    dm = DEPARTMENT_AFTER_ORG_RE.match(after)
    if dm and not field_:
        field_ = take_org_name(dm.group("field"))
    return org, field_, after


def find_studies(clause: str, year: int | None, quotes: list[str]) -> list[_Study]:
    studies: list[_Study] = []
    thesis = None
    tm = THESIS_RE.search(clause)
    if tm:
        thesis = quotes[int(tm.group("q"))]
    m = GRADUATED_RE.search(clause)
    if m:
        degree = degree_in(m.group("mid")) or "bachelor"
        org, field_, _ = _org_after_preposition("from " + m.group("rest"))
        fm = FIELD_IN_RE.search(m.group("mid"))
        if fm and not field_:
            field_ = fm.group("field")
        if org:
            studies.append(_Study(degree, org, field_, year=year, thesis=thesis))
        return studies
    m = STARTED_STUDY_RE.search(clause)
    if m and degree_in(m.group("rest")):
        org, field_, _ = _org_after_preposition(m.group("rest"))
        studies.append(_Study(degree_in(m.group("rest")), org, field_, start_year=year, thesis=thesis))
        return studies
    m = COMPLETED_STUDY_RE.search(clause)
    if m and degree_in(m.group("rest")):
        rest = m.group("rest")
        org, field_ = None, None
        om = re.search(r"\b(?:at|from)\s+(?:the\s+)?(?=[A-Z])", rest)
        if om:
            org = take_org_name(rest[om.end():])
            if org:
                org, program_field = split_program(org)
                field_ = program_field
        fm = FIELD_IN_RE.search(rest[:om.start()] if om else rest)
        if fm and not field_:
            field_ = fm.group("field")
        studies.append(_Study(degree_in(rest), org, field_, year=year, thesis=thesis))
    return studies


def _merge_study(records: list[_Study], study: _Study) -> None:
    """A degree named again (completed after started) adds to the record of the same degree."""
    for rec in records:
        if rec.degree == study.degree and (rec.org_name is None or study.org_name is None
                                           or organization_key(rec.org_name) == organization_key(study.org_name)):
            for attr in ("org_name", "field", "year", "start_year", "thesis"):
                if getattr(rec, attr) is None and getattr(study, attr) is not None:
                    setattr(rec, attr, getattr(study, attr))
            return
    records.append(study)


def split_list(text: str) -> list[str]:
    """'Iran, Sects and Asia-Pacific' -> ['Iran', 'Sects', 'Asia-Pacific']."""
    parts = [p.strip() for p in text.split(",")]
    if parts and " and " in parts[-1]:
        parts[-1:] = [p.strip() for p in parts[-1].rsplit(" and ", 1)]
    items = []
    for p in parts:
        p = re.sub(r"^(?:and|or)\s+", "", p).strip(" .;:")
        if p:
            items.append(p)
    return items


@dataclass
class BioFacts:
    roles: list[_Role] = field(default_factory=list)
    studies: list[_Study] = field(default_factory=list)
    expertise: list[str] = field(default_factory=list)
    languages: list[str] = field(default_factory=list)
    social: list[str] = field(default_factory=list)


def parse_bio(bio: str, publisher: str | None = None) -> BioFacts:
    """Facts a bio paragraph states about its subject."""
    facts = BioFacts()
    for m in SOCIAL_RE.finditer(bio):
        handle = "@" + (m.group("h") or m.group("h2"))
        if handle not in facts.social:
            facts.social.append(handle)
    text, quotes = protect_quotes(resolve_relative_years(normalise_space(bio)))
    for sentence in split_sentences(text):
        for m in EXPERTISE_RE.finditer(sentence):
            for item in split_list(m.group("list") or m.group("list2")):
                if "«" not in item and item not in facts.expertise:
                    facts.expertise.append(item)
        for m in LANGUAGE_RE.finditer(sentence):
            for item in split_list(m.group("list")):
                word = item.split()[0] if item.split() else ""
                if word in LANGUAGE_NAMES and word not in facts.languages:
                    facts.languages.append(word)
        # "In 2016, Doe completed …, started …": the leading year dates the first clause.
        lead = LEADING_YEAR_RE.match(sentence)
        sentence_year = int(lead.group("y")) if lead else None
        body = sentence[lead.end():] if lead else sentence
        for k, clause in enumerate(split_clauses(body)):
            year = clause_year(clause, sentence_year, k == 0)
            for study in find_studies(clause, year, quotes):
                _merge_study(facts.studies, study)
            facts.roles.extend(find_roles(clause, publisher))
    return facts


# ---------------------------------------------------------------------- authors


def _author_names(page: ParsedPage) -> list[tuple[str, list[str]]]:
    """Authors as printed, each with the bio text about them. A bio about a person no byline
    names adds an author; a bio about two people ("A and B are fellows at …", or "A is … B is …")
    gives each their own part (a shared sentence goes to both)."""
    authors: list[tuple[str, list[str]]] = [(name, []) for name in page.byline_names]
    for bio in page.bios:
        parts = bio_parts(bio)
        if not parts:
            if len(authors) == 1:  # a bio under a single byline
                authors[0][1].append(bio)
            continue
        for subjects, text in parts:
            for subject in subjects:
                for name, bios in authors:
                    if same_person(name, subject):
                        bios.append(text)
                        break
                else:
                    authors.append((subject, [text]))
    return authors


# Verbs and nouns of study: an organization under them is where someone studied, not an employer.
_STUDY_LEMMAS = frozenset({"study", "graduate", "earn", "receive", "complete", "obtain", "attend", "hold", "award",
                           "degree", "phd", "doctorate", "master", "bachelor", "ba", "ma", "ms", "msc", "alumnus", "alumna"})
_ROLE_NOUN_RE = re.compile(rf"^(?:{ROLE_NOUNS})s?$", re.IGNORECASE)
_WORK_VERBS = frozenset({"work", "serve", "lead", "direct", "head", "join", "teach", "chair", "run", "found", "co-found",
                         "manage", "coordinate", "edit"})
_UNIT_RE = re.compile(r"^(?:the\s+)?(?:department|school|faculty|division|office|program(?:me)?)\b", re.IGNORECASE)


def parsed_bio_roles(bio: str, nlp, publisher: str | None = None) -> list[_Role]:
    """Jobs a bio states, read from spaCy's parse rather than sentence patterns: an organization
    (ORG entity) whose chain of heads reaches a role noun ("a fellow at X", "director of the Y
    Centre at X") or a work verb ("works for X", "joined X") before any word of study
    ("graduated from X", "a PhD from X"); "former"/"formerly"/"previously" make it past."""
    from ..parse.text_page import split_sentences

    roles: list[_Role] = []
    sentences = [s for s in split_sentences(normalise_space(bio)) if len(s) <= 600][:8]
    for doc in nlp.pipe(sentences):
        for ent in doc.ents:
            if ent.label_ != "ORG" or len(ent.text) < 3 or _UNIT_RE.match(ent.text):
                continue  # a unit ("Department of …") belongs to the organization the patterns find
            head, role_token, verb, studied = ent.root, None, None, False
            for _ in range(8):  # up the tree: prep -> noun/verb -> …
                if head.head is head:
                    break
                head = head.head
                lemma = head.lemma_.lower()
                if lemma in _STUDY_LEMMAS or head.text.lower() in _STUDY_LEMMAS:
                    studied = True
                    break
                if head.pos_ in ("NOUN", "PROPN") and _ROLE_NOUN_RE.match(head.text) and head.i < ent.start:
                    role_token = head
                    break
                if head.pos_ == "VERB":
                    verb = head if lemma in _WORK_VERBS else None
                    break
            if studied or (role_token is None and verb is None):
                continue
            anchor = role_token or verb
            words = {t.lower_ for t in doc[max(0, anchor.i - 4):anchor.i + 1]}
            past = bool(words & {"former", "formerly", "previously", "ex"}) or (verb is not None and verb.tag_ == "VBD")
            role = None
            if role_token is not None:
                mods = [t for t in role_token.lefts if t.dep_ in ("amod", "compound") and t.i >= role_token.i - 4
                        and t.lower_ not in {"former"}]
                role = " ".join([t.text for t in mods] + [role_token.text])
            org = re.sub(r"^the\s+", "", ent.text, flags=re.IGNORECASE)
            if matches_publisher(org, publisher) or (publisher and " " not in org
                                                     and re.search(rf"\b{re.escape(org)}$", publisher)):
                org = publisher  # "the Post" on The Washington Post's page
            roles.append(_Role(org, role, role_token.lower_ if role_token is not None else verb.lemma_,
                               status="past" if past else "present"))
    return roles


def extract_authors(page: ParsedPage, *, publisher: str | None = None, nlp=None) -> AuthorExtraction:
    """The article's authors (byline and bio people, never commenters) and what their bios say.
    With a spaCy pipeline (`nlp`), the parse of each bio sentence adds the organizations the
    sentence patterns missed (`parsed_bio_roles`)."""
    out = AuthorExtraction()
    entities: dict[str, Entity] = {}

    def add(entity: Entity) -> None:
        known = entities.get(entity.key)
        if known is None:
            entities[entity.key] = entity
        elif known.org_kind in (None, OrgKind.OTHER) and entity.org_kind not in (None, OrgKind.OTHER):
            known.org_kind = entity.org_kind

    for printed, bios in _author_names(page):
        name, honorific = normalise_person_name(printed)
        if not name:
            continue
        key = person_key(name)
        if key in out.author_keys:
            continue
        out.author_keys.append(key)
        add(Entity(key=key, kind=EntityKind.PERSON, name=name, honorific_prefix=honorific))
        profile = AuthorProfile(person_key=key, bio=bios[0] if bios else None)
        roles: list[_Role] = []
        studies: list[_Study] = []
        for bio in bios:  # most complete first; later bios only add what is new
            facts = parse_bio(bio, publisher)
            roles.extend(facts.roles)
            if nlp is not None:
                known = {organization_key(r.org_name) for r in roles}
                roles.extend(r for r in parsed_bio_roles(bio, nlp, publisher) if organization_key(r.org_name) not in known)
            for study in facts.studies:
                _merge_study(studies, study)
            for attr in ("expertise", "languages", "social"):
                target = getattr(profile, attr)
                target.extend(v for v in getattr(facts, attr) if v not in target)
        for byline_name, role in getattr(page, "byline_roles", []):
            if same_person(byline_name, printed):
                roles.extend(byline_roles(role, publisher))
        out.profiles.append(profile)
        out.affiliations.extend(_affiliations(key, roles, add))
        for study in studies:
            if not study.org_name:
                continue
            org = organization_entity(study.org_name, OrgKind.UNIVERSITY if guess_organization_kind(study.org_name)
                                      in (OrgKind.UNIVERSITY, OrgKind.OTHER) else guess_organization_kind(study.org_name))
            add(org)
            out.educations.append(Education(key, org.key, study.degree, study.field, study.year,
                                            study.start_year, study.thesis))
    out.entities = list(entities.values())
    return out


def _is_place(text: str) -> bool:
    """A state, a capital or a known place ("China", "Moscow"): a beat, not an employer."""
    from .gazetteer import load_gazetteer

    g = load_gazetteer()
    return g.is_state_word(text) or text in g.places or text in g.capital_places


def byline_roles(role: str, publisher: str | None) -> list[_Role]:
    """The roles a byline prints after a name: 'Senior Fellow at X', 'AP National Security
    Writer' (the agency by its name), or an outlet alone ('The Daily Planet': staff, no role)."""
    found = find_roles(byline_role_clause(role), publisher)
    for r in found:
        r.org_name = agency_name(r.org_name) or r.org_name
    if found:
        return found
    org = role.strip(" ,.;:")
    if org and org[0].isupper() and len(org.split()) <= 6 and not re.search(rf"\b(?:{ROLE_NOUNS})\b", org, re.I):
        return [_Role(agency_name(org) or org, None, "")]
    noun = re.search(rf"\b(?:{ROLE_NOUNS})\b", org, re.I)
    if noun and publisher and len(org.split()) <= 6 and not re.search(r"\b(?:former|ex-)\b", org, re.I):
        # "By Jane Doe, International Editor" on the site's own page: a job at the publisher
        return [_Role(publisher, org, noun.group().lower())]
    return []


def byline_role_clause(role: str) -> str:
    """A role as a byline prints it, as the clause a bio would use: 'Senior Fellow, Example
    Institute' -> 'is a Senior Fellow at Example Institute'; 'Reuters correspondent' ->
    'is a Reuters correspondent'."""
    role = re.sub(r"^(?:a|an|the)\s+", "", role.strip(), flags=re.I)
    head, sep, tail = role.partition(", ")
    if sep and tail[:1].isupper() and not re.match(r"(?:at|of|for|with|in)\b", tail):
        role = f"{head} at {tail}"
    return f"is a {role}"


def _affiliations(key: str, roles: list[_Role], add) -> list[Affiliation]:
    """Deduplicated roles; a started or present job is past once a later one is said to be current
    or a later role is held at the same organization."""
    found: dict[tuple[str, str], tuple[Affiliation, _Role, int]] = {}
    for index, role in enumerate(roles):
        org = organization_entity(role.org_name, employer_kind(role.org_name, role.noun, role.role or ""))
        add(org)
        ident = (org.key, (role.role or "").lower())
        if ident in found:
            aff, _, _ = found[ident]
            aff.department = aff.department or role.department
            aff.start_year = aff.start_year or role.start_year
            aff.end_year = aff.end_year or role.end_year
            continue
        aff = Affiliation(key, org.key, role.role, role.department, role.start_year, role.end_year,
                          current=role.status != "past" and role.end_year is None)
        found[ident] = (aff, role, index)
    items = list(found.values())
    for aff, role, index in items:
        if role.status != "started" or not aff.current:
            continue
        for other, other_role, other_index in items:
            if other_index > index and other is not aff and (
                    other_role.status == "current" or other.org_key == aff.org_key):
                aff.current = False
                break
    return [aff for aff, _, _ in items]
