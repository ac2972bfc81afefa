"""Extract: entities and their mentions from an article's body and captions.

Recall comes from spaCy (NER, sentences, dependency parse); precision and
normalisation from the gazetteer (`gazetteer.py`) and the rules below:

* states are found by the gazetteer matcher over the raw text (names, aliases,
  acronyms, demonyms, historical states), never from spaCy spans;
* capitals and seats of power stand for their state when the parse shows them
  acting (subject, possessive, "X-led", "the X administration", object of
  against/with/towards, conjoined with an actor …) and are places otherwise
  (object of visit/in/at, "trip to X");
* people need a name shape (two or more capitalised name tokens) or must be a
  partial ("Yoon", "President Yoon") of a full name seen in the same document;
  words that are states, demonyms, languages or organisations are never people;
* organisations come from the gazetteer, from "Long Name (ACR)" definitions and
  from spaCy ORG spans that look like institutions;
* posts come from titles in apposition ("Japanese Prime Minister Fumio Kishida",
  "Prime Minister Fumio Kishida of Japan", "the Secretary General of NATO, Jens
  Stoltenberg");
* regions, capitals used as places, other GPE/LOC spans are places; wars and
  summits are events.

The body is parsed with one `nlp()` call, captions with one `nlp.pipe()` batch;
the parsed docs are kept on the result so that claim extraction reuses them.
"""
from __future__ import annotations

import bisect
import dataclasses
import re
from dataclasses import dataclass, field
from typing import Iterable

from spacy.language import Language
from spacy.tokens import Doc, Span, Token

from ..model import Entity, EntityKind, Mention, OrgKind, ParsedPage, Post, TextSource, add_or_merge
from ..resolve import (
    HONORIFICS,
    event_key,
    guess_organization_kind,
    is_leading_title,
    normalise_person_name,
    organization_key,
    organization_name,
    person_key,
    place_key,
    state_key,
)
from .gazetteer import (
    ACTOR_BLOCKED_CAPITALS,
    TITLES,
    Gazetteer,
    Hit,
    HitKind,
    load_gazetteer,
)
from .furniture import furniture_spans
from .nlp import load_nlp

# ------------------------------------------------------------------ vocabulary

# Nouns after a capital/demonym that make it a government actor ("the Seoul administration").
GOVERNMENT_NOUNS = {
    "administration", "government", "regime", "leadership", "authorities", "officials", "policymakers",
    "policy-makers", "elite", "elites", "establishment", "cabinet", "diplomats", "diplomacy", "strategists",
    "planners", "leaders", "rulers", "state", "side", "camp", "delegation", "negotiators", "envoy",
    "ministry", "embassy", "presidency", "junta", "military", "army", "navy", "parliament", "legislature",
    "diplomacy", "spokesman", "spokesperson", "foreign", "defence", "defense",
}
# Hyphenated suffixes: "Washington-led" (actor) vs "Tokyo-based" (place).
_ACTOR_SUFFIX = re.compile(r"^[-–](led|backed|brokered|sponsored|aligned|friendly|centric|dominated|controlled|"
                           r"funded|imposed|supported|run|allied|leaning|skeptic|sceptic)\b", re.I)
_PLACE_SUFFIX = re.compile(r"^[-–](based|born|headquartered)\b", re.I)
# Prepositions whose object is an actor / a place.
ACTOR_PREPS = {"against", "with", "towards", "toward", "by", "between", "on", "over", "versus", "vs", "vs.",
               "for", "than", "like", "among", "alongside", "including", "unlike", "as", "behind", "under",
               "about", "from", "to", "of", "beyond", "despite", "upon"}
PLACE_PREPS = {"in", "at", "inside", "near", "outside", "around", "across", "through", "throughout", "within",
               "into", "onto", "via", "beneath", "above"}
# Heads that make "to/from X" a movement (place) rather than a relation (actor).
MOTION_WORDS = {
    "visit", "travel", "trip", "fly", "go", "come", "return", "move", "arrive", "journey", "head", "relocate",
    "flight", "send", "deploy", "road", "route", "way", "leave", "depart", "evacuate", "transfer", "drive",
    "sail", "march", "walk", "ride", "commute", "tour", "distance", "kilometre", "kilometer", "mile", "train",
    "bus", "evacuation", "migration", "migrate", "flee", "escape", "invite", "invitation", "mission", "embassy",
    "ambassador", "consulate", "deployment", "arrival", "departure", "pilgrimage", "relocation",
}
# Verbs whose direct object is a place.
VISIT_VERBS = {"visit", "tour", "leave", "reach", "enter", "bomb", "occupy", "capture", "besiege", "shell",
               "liberate", "evacuate", "storm", "flood", "attack"}
# Heads of "of X" where X is a place ("the streets of Beijing").
PLACE_NOUNS = {"street", "city", "center", "centre", "outskirt", "suburb", "district", "heart", "mayor", "governor",
               "population", "resident", "skyline", "airport", "university", "downtown", "neighbourhood",
               "neighborhood", "capital", "port", "harbour", "harbor", "outskirts", "inhabitant", "citizen", "bombing",
               "siege", "battle", "liberation", "occupation", "fall"}
# People nouns: "officials in Seoul" -> Seoul is the actor's seat.
PEOPLE_NOUNS = {"official", "policymaker", "leader", "decision-maker", "elite", "diplomat", "strategist",
                "analyst", "observer", "planner", "hawk", "many", "some", "those", "politician", "authority",
                "lawmaker", "negotiator", "commentator", "voice", "junta", "government", "regime", "ruler",
                "leadership", "establishment", "few"}

ORG_WORDS = {
    "University", "Institute", "Institution", "Organization", "Organisation", "Union", "Council", "Ministry",
    "Party", "Agency", "Bank", "Fund", "Association", "Forum", "Center", "Centre", "Foundation", "Commission",
    "Committee", "Court", "Corporation", "Company", "Inc", "Inc.", "Ltd", "Ltd.", "Group", "Times", "Post",
    "News", "Press", "Network", "Alliance", "League", "Front", "Movement", "Coalition", "Assembly", "Parliament",
    "Congress", "Senate", "Department", "Office", "Bureau", "Service", "Academy", "College", "School", "Society",
    "Club", "Consortium", "Federation", "Authority", "Board", "Command", "Forces", "Navy", "Guard", "Corps",
    "Industries", "Holdings", "Media", "Journal", "Magazine", "Herald", "Tribune", "Gazette", "Daily",
    "Endowment", "Trust", "Observatory", "Secretariat", "Directorate", "Army", "Bloc", "Cabinet",
    "Community", "Mission", "Brigade", "Division",
    # hospitals, laboratories and carriers: institutions the model tags ORG (or PERSON: "Youssef Al-Najjar Hospital")
    "Hospital", "Hospitals", "Clinic", "Laboratory", "Laboratories", "Lab", "Labs", "Airlines", "Airways",
}
# ORG spans that name documents, policies or eras, not institutions.
NOT_ORG_WORDS = {
    "Strategy", "Document", "Doctrine", "Initiative", "Plan", "Act", "Agreement", "Treaty", "Declaration",
    "Accord", "Accords", "Report", "Review", "Vision", "Policy", "War", "Summit", "Program", "Programme",
    "Road", "Order", "Era", "Age", "Revolution", "Crisis", "Dream", "Belt", "Charter", "Constitution",
    "Resolution", "Framework", "Statement", "Communique", "Communiqué", "Memorandum", "Law", "Bill",
}
_MONTHS = {"January", "February", "March", "April", "May", "June", "July", "August", "September", "October",
           "November", "December", "Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday"}
# Words that are never part of a person's name.
NOT_NAME_WORDS = _MONTHS | {
    "The", "A", "An", "This", "That", "These", "Those", "His", "Her", "Their", "Its", "Our", "My", "Your",
    "Prime", "Minister", "President", "Secretary", "General", "Chancellor", "King", "Queen", "Emperor",
    "Government", "Administration", "Army", "Navy", "War", "Cold", "Summit", "Strategy", "University",
    "Department", "Ministry", "Party", "Republic", "Kingdom", "Empire", "State", "States", "God", "Allah",
    "Islam", "Islamic", "Christian", "Muslim", "Buddhist", "Jewish", "Catholic", "Orthodox", "Sunni", "Shia",
    "Shiite", "Western", "Eastern", "Northern", "Southern", "Central", "North", "South", "East", "West",
    "Asian", "European", "African", "Arab", "Arabic", "Latin", "Indo", "Pacific", "Atlantic", "Twitter",
    "Facebook", "Instagram", "Telegram", "YouTube", "Congress", "Senate", "Parliament", "Council", "Democrat",
    "Democrats", "Republican", "Republicans", "Communist", "Communists", "Liberal", "Conservative",
    "Conservatives", "Progressives", "Progressive", "Dr", "Dr.", "Mr", "Mr.", "Mrs", "Ms", "Prof", "Prof.",
    "Sir", "Lord", "Lady", "Saint", "St.", "Mount", "Lake", "River", "Sea", "Ocean", "Island", "Islands",
    "Peninsula", "Strait", "Gulf", "Bay", "Street", "Avenue", "Square", "Palace", "House", "Hall", "Office",
    "Times", "Post", "News", "Daily", "Journal", "Review", "Index", "Report", "Act", "Law", "Plan",
}
_NAME_TOKEN = re.compile(r"^(?:[^\W\d_](?:[^\W\d_]|['’])+(?:-[^\W\d_]+)*|(?:[^\W\d_]\.)+|[A-Z]\.[A-Z]|"
                         r"(?:van|von|de|da|del|der|di|la|le|bin|al|ibn|du|(?:al|el|ul)-[^\W\d_]+)|Jr\.?|Sr\.?|II|III)$")
_LOWER_PARTICLES = {"van", "von", "de", "da", "del", "der", "di", "la", "le", "bin", "al", "ibn", "du"}
_PARTICLES = {"van", "von", "de", "da", "del", "der", "den", "di", "la", "le", "bin", "al", "ibn", "du"}
_TITLE_WORDS = sorted({t for t in TITLES} | {"Mr.", "Mr", "Mrs.", "Mrs", "Ms.", "Ms", "Dr.", "Dr", "Prof.",
                                              "Professor", "former", "Former", "late", "then-", "acting",
                                              "Acting", "ex-", "Ex-", "incumbent"}, key=len, reverse=True)
_TITLES_SORTED = sorted(TITLES, key=len, reverse=True)
_TITLE_ALT = "|".join(re.escape(t) for t in _TITLES_SORTED)
_TITLE_RE = re.compile(r"(?:" + _TITLE_ALT + r")", re.I)
# "President Yoon", "Prime Minister Fumio Kishida", "Secretary General Jens Stoltenberg"
_UPPER = "A-ZÀ-ÖØ-ÞĀĂĄĆĈĊČĎĐĒĔĖĘĚĜĞĠĢĤĦĨĪĬĮİĲĴĶĹĻĽĿŁŃŅŇŊŌŎŐŒŔŖŘŚŜŞŠŢŤŦŨŪŬŮŰŲŴŶŸŹŻŽ"
_TITLE_THEN_NAME = re.compile(
    r"\b(?:" + _TITLE_ALT + r")\.?\s+((?:(?:[" + _UPPER + r"][\w'’.-]*|(?:bin|al|van|von|de|der)\b)\s?){1,4})"
)
_ACRONYM_DEF = re.compile(
    r"(?P<long>(?:[A-Z][\w&'’.-]*)(?:\s+(?:[A-Z][\w&'’.-]*|of|the|for|and|on|in|de|du|des|la|le|et|&))*)"
    r"\s*\((?P<acr>[A-Z][A-Za-z&.]{1,9})\)"
)
_POSSESSIVE = re.compile(r"(?:['’]s?|['’])$")
_FOOTNOTE = re.compile(r"\[\d{1,3}\]")


# ---------------------------------------------------------------------- result


@dataclass
class EntityExtraction:
    entities: dict[str, Entity] = field(default_factory=dict)
    mentions: list[Mention] = field(default_factory=list)
    posts: list[Post] = field(default_factory=list)
    # Parsed texts kept for claim extraction (not part of the graph).
    doc: Doc | None = None
    caption_docs: list[Doc] = field(default_factory=list)
    actor_spans: set[tuple[int, int]] = field(default_factory=set)  # body spans used as state actors
    author_keys: set[str] = field(default_factory=set)

    def add(self, entity: Entity) -> Entity:
        return add_or_merge(self.entities, entity)

    def body_mentions(self) -> list[Mention]:
        return [m for m in self.mentions if m.source is TextSource.BODY]


# --------------------------------------------------------------- entity makers


def state_entity(g: Gazetteer, code: str, surface: str | None = None) -> Entity:
    info = g.state(code)
    ent = Entity(key=state_key(code), kind=EntityKind.STATE, name=info.name, wikidata=info.wikidata,
                 historical=info.historical)
    if surface and surface != info.name and surface not in g.demonym_surfaces and not surface.startswith("the "):
        ent.alternate_names.add(surface)
    return ent


def place_entity(g: Gazetteer, name: str) -> Entity:
    info = g.places.get(name)
    return Entity(key=place_key(name), kind=EntityKind.PLACE, name=name, wikidata=info.wikidata if info else None)


def org_entity(g: Gazetteer, name: str, surface: str | None = None) -> Entity:
    info = g.orgs.get(name)
    if info is not None:
        kind = OrgKind(info.kind) if info.kind else guess_organization_kind(name)
        ent = Entity(key=organization_key(info.name), kind=EntityKind.ORGANIZATION, name=info.name,
                     org_kind=kind, wikidata=info.wikidata,
                     country_key=state_key(info.country) if info.country and info.country in g.states else None)
        ent.alternate_names |= {a for a in info.aliases if a != info.name}
    else:
        clean = organization_name(name)
        ent = Entity(key=organization_key(clean), kind=EntityKind.ORGANIZATION, name=clean,
                     org_kind=guess_organization_kind(clean))
    if surface and organization_name(surface) != ent.name:
        ent.alternate_names.add(organization_name(surface))
    return ent


def event_entity(name: str) -> Entity:
    return Entity(key=event_key(name), kind=EntityKind.EVENT, name=name)


# ------------------------------------------------------------- actor vs place


def _span_root(doc: Doc, start: int, end: int) -> Token | None:
    span = doc.char_span(start, end, alignment_mode="expand")
    if span is None or len(span) == 0:
        return None
    return span.root


def _role_token(tok: Token) -> Token:
    """Climb compound/flat/conj links to the token whose dependency tells the role."""
    seen = 0
    while seen < 6 and tok.dep_ in ("compound", "flat", "nmod") and tok.head.i != tok.i and tok.head.pos_ == "PROPN":
        tok = tok.head
        seen += 1
    return tok


def is_actor_use(doc: Doc | None, text: str, start: int, end: int, g: Gazetteer, hits_by_start: dict[int, Hit],
                 hits_by_end: dict[int, Hit], surface: str) -> bool:
    """Decide whether a capital or seat of power at text[start:end] acts (stands for its state)."""
    after = text[end:end + 40]
    before = text[max(0, start - 40):start]
    if _PLACE_SUFFIX.match(after):
        return False
    if _ACTOR_SUFFIX.match(after) or re.match(r"^['’]s?\b", after) or re.match(r"^['’](?!\w)", after):
        return True
    # hyphen/slash pairs with another state or capital: "Seoul-Tokyo relations", "USA-Seoul"
    m = re.match(r"^\s?[-–/]\s?", after)
    if m and (end + m.end()) in hits_by_start and hits_by_start[end + m.end()].kind in (
            HitKind.STATE, HitKind.CAPITAL, HitKind.DEMONYM, HitKind.SEAT):
        return True
    m = re.search(r"\s?[-–/]\s?$", before)
    if m and (start - len(m.group(0))) in hits_by_end and hits_by_end[start - len(m.group(0))].kind in (
            HitKind.STATE, HitKind.CAPITAL, HitKind.SEAT):
        return True
    nxt = re.match(r"^\s+([A-Za-z-]+)", after)
    if nxt and nxt.group(1).lower() in GOVERNMENT_NOUNS:
        return True
    if surface in ACTOR_BLOCKED_CAPITALS:
        return False
    if doc is None:
        return True
    root = _span_root(doc, start, end)
    if root is None:
        return True
    return _actor_by_dependency(root, depth=0)


def _actor_by_dependency(root: Token, depth: int) -> bool:
    tok = _role_token(root)
    dep = tok.dep_
    if dep in ("nsubj", "nsubjpass", "csubj", "poss", "agent"):
        return True
    if dep in ("compound", "amod", "nmod"):
        return tok.head.lemma_.lower() in GOVERNMENT_NOUNS
    if dep in ("conj", "appos") and depth < 3 and tok.head.i != tok.i:
        return _actor_by_dependency(tok.head, depth + 1)
    if dep == "pobj":
        prep = tok.head
        p = prep.lower_
        governor = prep.head
        if p in PLACE_PREPS:
            before = prep.doc[prep.i - 1] if prep.i > 0 else None
            return governor.lemma_.lower() in PEOPLE_NOUNS or (
                before is not None and before.lemma_.lower() in PEOPLE_NOUNS)
        if p in ("to", "from", "for", "toward", "towards"):
            if governor.lemma_.lower() in MOTION_WORDS:
                return False
            # "invitation to Seoul", "return from Moscow": climb one noun/verb if the governor is a preposition
            if governor.dep_ == "prep" and governor.head.lemma_.lower() in MOTION_WORDS:
                return False
            return True
        if p == "of":
            return governor.lemma_.lower() not in PLACE_NOUNS
        return True
    if dep in ("dobj", "obj"):
        return tok.head.lemma_.lower() not in VISIT_VERBS
    if dep in ("attr", "npadvmod", "ROOT", "appos", "dative", "oprd"):
        return True
    return True


# ------------------------------------------------------------------- helpers


def _overlaps(spans: list[tuple[int, int]], start: int, end: int) -> bool:
    return any(s < end and start < e for s, e in spans)


def _clean_span_text(text: str, start: int, end: int) -> tuple[int, int]:
    """Trim leading 'the', trailing possessive/punctuation/footnote markers from a span."""
    s = text[start:end]
    m = re.match(r"^(?:the|The)\s+", s)
    if m:
        start += m.end()
        s = s[m.end():]
    m = _FOOTNOTE.search(s)
    if m:
        end = start + m.start()
        s = s[:m.start()]
    m = re.search(r"(?:\s*['’]s?|[\s,.;:!?\"“”()\[\]-]+)$", s)
    while m and m.start() > 0:
        end = start + m.start()
        s = s[:m.start()]
        m = re.search(r"(?:\s*['’]s?|[\s,.;:!?\"“”()\[\]-]+)$", s)
    return start, end


def _strip_titles(text: str, start: int, end: int) -> tuple[int, int, str | None, str | None]:
    """Drop leading titles/honorifics: 'President Yoon' -> 'Yoon' (title 'President')."""
    s = text[start:end]
    title = None
    honorific = None
    changed = True
    while changed:
        changed = False
        for t in _TITLE_WORDS:
            if s.startswith(t + " ") or s.startswith(t + ". "):
                cut = len(t) + (2 if s.startswith(t + ". ") else 1)
                if t in HONORIFICS or t.rstrip(".") in HONORIFICS:
                    honorific = t if t.endswith(".") or len(t) > 4 else t + "."
                elif t not in ("former", "Former", "late", "then-", "acting", "Acting", "ex-", "Ex-", "incumbent"):
                    title = t
                s = s[cut:]
                start += cut
                changed = True
                break
        # titles our list lacks ("Taoiseach Leo Varadkar", "Ayatollah Khamenei"), from nameparser's
        # list of titles
        words = s.split(" ")
        if not changed and len(words) >= 2 and words[0][:1].isupper() and is_leading_title(words[0]):
            cut = len(words[0]) + 1
            title = title or words[0]
            s = s[cut:]
            start += cut
            changed = True
    return start, end, title, honorific


def _name_token(t: str) -> bool:
    """A capitalised name word ("Vučić", "Geun-hye", "O'Neill", "E."), a particle or a suffix."""
    if not _NAME_TOKEN.match(t):
        return False
    return t[0].isupper() or t in _LOWER_PARTICLES or t.startswith(("al-", "el-", "ul-"))


def _name_tokens_ok(name: str, g: Gazetteer, blocked_words: set[str]) -> bool:
    toks = name.split()
    if not toks:
        return False
    for t in toks:
        if not _name_token(t):
            return False
        if t in NOT_NAME_WORDS or t in blocked_words or g.is_state_word(t):
            return False
    if any(t in g.state_surfaces or t in g.demonym_surfaces for t in toks):
        return False
    if toks[0].upper() in SHIP_PREFIXES or any(t.upper() in CORPORATE_SUFFIXES or t in NAMED_THING_WORDS for t in toks[1:]):
        return False  # "USS Gerald R. Ford" is a ship, "Planet Labs PBC" a company
    if toks[-1].lower() in _PLACE_HEADS or any(t in ORG_WORDS for t in toks[1:]):
        return False  # "Sittwe Township", "Alwaleed Bin Talal Center": a place or an organisation
    if name in blocked_words or g.org_by_surface(name) is not None:
        return False
    return True


# Ship prefixes (a navy's vessels are named after people) and company suffixes: never a person's name.
SHIP_PREFIXES = frozenset("USS USNS HMS HMAS HMCS HMNZS INS RFS ROKS PNS TCG BRP KRI".split())
# Things named after people ("the Richard L. Garwin Award", "the Nobel Peace Prize"): no person.
NAMED_THING_WORDS = frozenset("Award Awards Prize Prizes Medal Lecture Lectures Fellowship Fellowships Scholarship "
                              "Professorship Trophy Memorial Doctrine".split())
CORPORATE_SUFFIXES = frozenset("PBC LLC LLP PLC INC INC. LTD LTD. CORP CORP. GMBH".split())


def _initials(name: str) -> list[str]:
    return [t for t in name.split()[1:] if _INITIALS.fullmatch(t) and not t.startswith(("Jr", "Sr", "I"))]


def _name_key_tokens(name: str) -> list[str]:
    return [t for t in name.split() if not _INITIALS.fullmatch(t) and t.lower() not in _PARTICLES]


# Initials and generational suffixes: "W.", "H.W.", "P.J.", "A.K", "Jr." (never a name's key words).
_INITIALS = re.compile(r"(?:[A-Z]\.?)|(?:[A-Z]\.){2,3}|[A-Z]\.[A-Z]|Jr\.?|Sr\.?|II|III")


@dataclass
class _PersonCand:
    name: str  # normalised display name
    honorific: str | None = None
    title: str | None = None


# ------------------------------------------------------------------ extractor


class _TextPass:
    """Gazetteer hits and classification for one text (the body or one caption)."""

    def __init__(self, text: str, doc: Doc | None, source: TextSource, index: int, g: Gazetteer,
                 languages: set[str]):
        self.text = text
        self.doc = doc
        self.source = source
        self.index = index
        # credits, share buttons, copyright and bare-name lines: no person or organization comes from
        # them (states keep their own rules)
        self.furniture = furniture_spans(text)
        self.hits = [h for h in g.match(text, extra_languages=languages)
                     if not (h.kind in (HitKind.ORG, HitKind.EVENT) and _overlaps(self.furniture, h.start, h.end))]
        self.by_start = {h.start: h for h in self.hits}
        self.by_end = {h.end: h for h in self.hits}
        self.taken: list[tuple[int, int]] = []  # spans already assigned to an entity
        self.blocked: list[tuple[int, int]] = [(h.start, h.end) for h in self.hits
                                               if h.kind in (HitKind.IGNORE, HitKind.LANGUAGE)] + self.furniture
        self.sent_starts: list[int] | None = None


def extract_entities(page: ParsedPage, nlp: Language | None = None, *, author_keys: Iterable[str] = (),
                     doc: Doc | None = None) -> EntityExtraction:
    """Entities with mentions (body and captions), and posts from apposition.

    `author_keys`: the article's authors, who are never "mentions" of their own article.
    `doc`: an already parsed body (nlp(page.body_text)), to avoid parsing twice.
    """
    g = load_gazetteer()
    nlp = nlp or load_nlp()
    out = EntityExtraction(author_keys=set(author_keys))
    languages = {t.strip() for t in page.translations if t.strip()}
    if doc is None or doc.text != page.body_text:
        doc = nlp(page.body_text)
    out.doc = doc
    out.caption_docs = list(nlp.pipe(page.captions)) if page.captions else []
    passes = [_TextPass(page.body_text, doc, TextSource.BODY, 0, g, languages)]
    passes += [_TextPass(c, d, TextSource.CAPTION, i, g, languages)
               for i, (c, d) in enumerate(zip(page.captions, out.caption_docs))]

    def mention(p: _TextPass, ent: Entity, start: int, end: int, how: str) -> None:
        ent = out.add(ent)
        out.mentions.append(Mention(ent.key, start, end, p.text[start:end], p.source, p.index, how))
        p.taken.append((start, end))

    # 0. an acronym the article defines for a name the gazetteer does not know ("National
    # Intelligence Organisation (MIT)") means that organisation here, not the gazetteer's one
    # (Massachusetts Institute of Technology): its gazetteer hits are dropped everywhere.
    local_acronyms: set[str] = set()
    for p in passes:
        for m in _ACRONYM_DEF.finditer(p.text):
            known_before = any(h.kind in (HitKind.STATE, HitKind.ORG) and m.start("acr") - 4 <= h.end <= m.start("acr")
                               and h.text != m.group("acr") for h in p.hits)
            if not known_before and any(h.kind is HitKind.ORG and h.text == m.group("acr") for q in passes for h in q.hits):
                local_acronyms.add(m.group("acr"))
    if local_acronyms:
        for p in passes:
            p.hits = [h for h in p.hits if not (h.kind is HitKind.ORG and h.text in local_acronyms)]

    # 1. gazetteer hits: states, demonyms, capitals/seats, regions, orgs, events
    for p in passes:
        for ent, s, e, how in _gazetteer_mentions(p, g):
            mention(p, ent, s, e, how)
            if how == "metonym" and p.source is TextSource.BODY:
                out.actor_spans.add((s, e))

    # 1b. a state's own bodies named through the state ("the US military", "Russia's Defense Ministry")
    for p in passes:
        for ent, s, e in _state_bodies(p, g):
            mention(p, ent, s, e, "name")

    # 2. organisations defined as "Long Name (ACR)" and their later acronyms
    acronyms: dict[str, Entity] = {}
    for p in passes:
        for m in _ACRONYM_DEF.finditer(p.text):
            long_s, long_e = _clean_span_text(p.text, m.start("long"), m.end("long"))
            long = p.text[long_s:long_e]
            acr = m.group("acr")
            if _overlaps(p.furniture, m.start(), m.end()):
                continue
            if not _acronym_fits(long, acr):
                # the long form may start later ("... the North Atlantic Treaty Organization (NATO)")
                words = long.split()
                for k in range(1, len(words)):
                    cand = " ".join(words[k:])
                    if _acronym_fits(cand, acr):
                        long_s = long_e - len(cand)
                        long = cand
                        break
                else:
                    # an acronym of the name in another language ("National Intelligence Organisation
                    # (MIT)", "Federal Security Service (FSB)"): accepted when the long form names an institution
                    caps = [w for w in words if w[:1].isupper()]
                    if not (acr.isupper() and 2 <= len(acr) <= 6 and len(caps) >= 2
                            and any(w.strip(",.") in ORG_WORDS for w in words[1:])):
                        continue
                    first_cap = next(k for k, w in enumerate(words) if w[:1].isupper() and w.lower() != "the")
                    long = " ".join(words[first_cap:])
                    long_s = long_e - len(long)
            if _overlaps([(h.start, h.end) for h in p.hits if h.kind in (HitKind.STATE, HitKind.ORG)], long_s, long_e):
                continue  # a state ("United States of America (USA)") or a known organisation
            head_word = long.split()[-1].strip(",.")
            if (head_word in NOT_ORG_WORDS or head_word in _SCHEME_WORDS) and not any(
                    w.strip(",.") in ORG_WORDS for w in long.split()):
                # a treaty, scheme or law and its acronym ("Traffic Separation Scheme (TSS)"): no organisation,
                # here or where the acronym recurs
                p.blocked.append((long_s, long_e))
                for q in passes:
                    q.blocked.extend((a.start(), a.end()) for a in re.finditer(r"(?<![\w-])" + re.escape(acr) + r"(?![\w-])", q.text))
                continue
            ent = org_entity(g, long)
            ent.alternate_names.add(acr)
            mention(p, ent, long_s, long_e, "name")
            p.blocked.append((m.start("acr"), m.end("acr")))  # "(MIT)" is the definition, not another organisation
            acronyms[acr] = ent
    if acronyms:
        acr_re = re.compile(r"(?<![\w(])(" + "|".join(re.escape(a) for a in acronyms) + r")(?![\w)])")
        for p in passes:
            for m in acr_re.finditer(p.text):
                if not _overlaps(p.taken, m.start(), m.end()) and not _overlaps(p.furniture, m.start(), m.end()):
                    mention(p, acronyms[m.group(1)], m.start(), m.end(), "acronym")

    # 3. people
    _extract_people(out, passes, g, mention, headings=[page.title or "", page.standfirst or ""])

    # 4. "the Biden administration" -> the state of the person's post
    _government_of_person(out, passes, g, mention)

    # 5. other organisations, places and events from spaCy spans
    _extract_spacy_spans(out, passes, g, mention)

    # 6. visits: "<person> visited <place>"
    _extract_visits(out, passes[0], g, mention)

    # 7. one organisation named with and without a state's or an organisation's name before it
    _qualified_org_names(out, passes, g)

    out.mentions.sort(key=lambda m: (m.source != TextSource.BODY, m.index, m.start, m.end))
    return out


_QUALIFIER_KINDS = (HitKind.STATE, HitKind.DEMONYM, HitKind.ORG)


def _qualified_org_names(out: EntityExtraction, passes: list[_TextPass], g: Gazetteer) -> None:
    """An organisation printed with a state, demonym or parent organisation before its name ("the British
    Foreign Office", "the UN Security Council") and without it ("the Foreign Office", "the Security
    Council") is one organisation: the qualified form is one of its names, and a short form that only one
    qualified organisation of the page ends with is merged into it; so is an acronym that fits the name of
    only one organisation of the page, and a name's first word used alone."""
    orgs = {k: e for k, e in out.entities.items() if e.kind is EntityKind.ORGANIZATION}
    if not orgs:
        return
    by_pass = {(p.source, p.index): p for p in passes}
    # (a) the qualified form as printed: "British" + "Foreign Office"
    for m in out.mentions:
        ent = orgs.get(m.entity_key)
        p = by_pass.get((m.source, m.index))
        if ent is None or p is None:
            continue
        h = p.by_end.get(m.start - 1)
        if h is not None and h.kind in _QUALIFIER_KINDS and p.text[m.start - 1] == " " and h.text != m.text:
            ent.alternate_names.add(f"{h.text} {organization_name(m.text)}")
    # (b) "Security Council" -> the page's one "UN Security Council"
    names = {k: {e.name} | e.alternate_names for k, e in orgs.items()}
    merged: dict[str, str] = {}
    for k, ent in orgs.items():
        short = ent.name
        if len(short.split()) < 2:
            continue  # "Army", "Council": too common to tell whose
        owners, longer = set(), set()
        for k2, nms in names.items():
            if k2 == k:
                continue
            for nm in nms:
                if nm.endswith(" " + short):
                    longer.add(k2)  # "National Security Council" also ends so: then it is not clear whose
                    qualifier = nm[: -len(short) - 1]
                    hits = g.match(qualifier)
                    if any(h.kind in _QUALIFIER_KINDS and h.start == 0 and h.end == len(qualifier) for h in hits):
                        owners.add(k2)
        if len(owners) == 1 and longer == owners:
            merged[k] = owners.pop()
    # (c) an acronym the page uses for a name it also prints in full, without a "(PPP)" to pair them
    # ("Pakistan People's Party" … "the PPP"): the one organisation of the page whose name it fits
    for k, ent in orgs.items():
        if k in merged or not re.fullmatch(r"[A-Z][A-Z0-9&.]{1,7}", ent.name) \
                or any(len(a.split()) > 1 for a in ent.alternate_names):
            continue  # not an acronym, or the gazetteer's own acronym with its long form
        owners = {k2 for k2, nms in names.items() if k2 != k and not re.fullmatch(r"[A-Z][A-Z0-9&.]{1,7}", orgs[k2].name)
                  and any(len(nm.split()) > 1 and _acronym_fits(nm, ent.name) for nm in nms)}
        if len(owners) == 1:
            merged[k] = owners.pop()
    # (d) a name's first word used alone ("Amnesty" after "Amnesty International", "Brookings" after
    # "the Brookings Institution"): the one organisation of the page whose name opens with it
    for k, ent in orgs.items():
        if k in merged or len(ent.name.split()) != 1 or ent.name.isupper() \
                or any(len(a.split()) > 1 for a in ent.alternate_names):
            continue
        owners = {k2 for k2, nms in names.items() if k2 != k and k2 not in merged
                  and any(len(nm.split()) > 1 and nm.split()[0] == ent.name for nm in nms)}
        if len(owners) == 1:
            merged[k] = owners.pop()
    for k, k2 in merged.items():
        while k2 in merged:
            k2 = merged[k2]
        if k2 == k:
            continue
        target = out.entities[k2]
        target.alternate_names |= {out.entities[k].name} | out.entities[k].alternate_names
        del out.entities[k]
    if merged:
        def final(key: str) -> str:
            while key in merged:
                key = merged[key]
            return key
        out.mentions = [dataclasses.replace(m, entity_key=final(m.entity_key)) if m.entity_key in merged else m
                        for m in out.mentions]
        for post in out.posts:
            if post.organization_key in merged:
                post.organization_key = final(post.organization_key)


def _gazetteer_mentions(p: _TextPass, g: Gazetteer) -> list[tuple[Entity, int, int, str]]:
    """Entities named by gazetteer hits in one text (capitals and seats classified as actor or place)."""
    found: list[tuple[Entity, int, int, str]] = []
    for h in p.hits:
        if h.kind in (HitKind.IGNORE, HitKind.LANGUAGE):
            continue
        if h.kind is HitKind.STATE:
            info = g.state(h.target)
            how = "name" if h.text in (info.name, "the " + info.name) else (
                "acronym" if re.fullmatch(r"[A-Z.]{2,}", h.text) else "alias")
            found.append((state_entity(g, h.target, h.text), h.start, h.end, how))
        elif h.kind is HitKind.DEMONYM:
            found.append((state_entity(g, h.target), h.start, h.end, "demonym"))
        elif h.kind in (HitKind.CAPITAL, HitKind.SEAT):
            if h.kind is HitKind.SEAT:
                actor = not _seat_is_place(p.doc, h.start, h.end)
            else:
                actor = is_actor_use(p.doc, p.text, h.start, h.end, g, p.by_start, p.by_end, h.text)
            if actor:
                found.append((state_entity(g, h.target), h.start, h.end, "metonym"))
            body = g.seat_orgs.get(h.text) if h.kind is HitKind.SEAT else None
            if body is not None:  # the government body sitting there, actor or place
                found.append((org_entity(g, body, h.text), h.start, h.end, "alias" if h.text != body else "name"))
            elif not actor:
                name = g.capital_places.get(h.text, h.text)
                found.append((place_entity(g, name), h.start, h.end, "name"))
        elif h.kind in (HitKind.REGION, HitKind.PLACE):
            found.append((place_entity(g, h.target), h.start, h.end, "name"))
        elif h.kind is HitKind.ORG:
            info = g.orgs[h.target]
            how = "acronym" if re.fullmatch(r"[A-Z.&+0-9-]{2,}", h.text) and h.text != info.name else (
                "name" if h.text == info.name else "alias")
            found.append((org_entity(g, h.target, h.text), h.start, h.end, how))
        elif h.kind is HitKind.EVENT:
            found.append((event_entity(h.target), h.start, h.end, "name"))
    return found


# Bodies of a state that the articles name through the state: "the US military", "Russia's Defense
# Ministry", "Ukraine's state emergency service", "Argentine Air Force", "UK Ministry of Defense".
# (Government, administration, regime and authorities stand for the state itself; see GOVERNMENT_NOUNS.)
_STATE_BODY = re.compile(
    r"^(?P<gap>['’]s?\s+|\s+)(?P<body>(?:(?:state|national|federal|central|special|naval|[Ff]irst|[Ss]econd|[Tt]hird|"
    r"[Ff]ourth|[Ff]ifth|[Ss]ixth|[Ss]eventh)\s+)?"
    r"(?:[Aa]ir [Ff]orce|[Cc]oast [Gg]uard|[Cc]oastguard|[Bb]order [Gg]uards?|[Nn]ational [Gg]uard|[Aa]rmed [Ff]orces|"
    r"[Ss]pecial [Ff]orces|[Dd]efen[cs]e [Ff]orces|(?:[Dd]efen[cs]e|[Ff]oreign|[Ii]nterior|[Jj]ustice|[Ff]inance|[Hh]ealth|"
    r"[Ee]nergy|[Tt]rade|[Ee]conomy) [Mm]inistry|Ministry of (?:[A-Z][\w-]+)(?:(?: and| of| for)? [A-Z][\w-]+){0,3}|"
    r"[Mm]ilitary|[Aa]rmy|[Nn]avy|[Pp]olice|[Ff]leet|[Mm]arines|[Pp]arliament|[Ll]egislative [Cc]ouncil|[Ll]egislature|"
    r"[Nn]ational [Aa]ssembly|[Ss]upreme [Cc]ourt|[Cc]onstitutional [Cc]ourt|[Cc]entral [Bb]ank|"
    r"(?:[Ii]ntelligence|[Ss]ecurity|[Ee]mergency) [Ss]ervices?|[Ff]oreign [Oo]ffice|[Ss]pace [Ff]orce))(?![\w-])")


def _state_bodies(p: _TextPass, g: Gazetteer) -> list[tuple[Entity, int, int]]:
    """Organisations a text names as a state's body: a state, acronym or demonym (possessive or not)
    before an institution ("the US military said", "Russia's Defense Ministry"); not a modifier
    ("US military aid") and not inside a name the gazetteer knows."""
    found = []
    org_spans = [(h.start, h.end) for h in p.hits if h.kind in (HitKind.ORG, HitKind.EVENT)]
    for h in p.hits:
        if h.kind not in (HitKind.STATE, HitKind.DEMONYM) or _overlaps(org_spans, h.start, h.end) \
                or _overlaps(p.furniture, h.start, h.end):
            continue
        m = _STATE_BODY.match(p.text[h.end:h.end + 80])
        if m is None or (h.kind is HitKind.DEMONYM and m.group("gap").startswith(("'", "’"))):
            continue
        if not m.group("body")[:1].isupper():
            continue  # "the Israeli military", "Russia's foreign ministry": the state described, not a body's name
        end = h.end + m.end("body")
        if _overlaps(org_spans, h.start, end):
            continue
        if p.doc is not None:
            span = p.doc.char_span(h.end + m.start("body"), end, alignment_mode="expand")
            last = span[-1] if span is not None and len(span) else None
            if last is not None and last.dep_ in ("compound", "amod", "nmod") and last.head.i > last.i:
                continue  # "US military aid", "Russian army bases": a modifier
        surface = p.text[h.start:end]
        body = re.sub(r"\s+", " ", m.group("body")).lower().replace("defence", "defense")
        ent = Entity(key=organization_key(f"{g.state(h.target).name} {body}"), kind=EntityKind.ORGANIZATION,
                     name=surface, org_kind=OrgKind.GOVERNMENT_BODY, country_key=state_key(h.target))
        found.append((ent, h.start, end))
    return found


def scan_mentions(text: str, doc: Doc | None, g: Gazetteer | None = None,
                  languages: Iterable[str] = ()) -> list[tuple[Entity, int, int, str]]:
    """Gazetteer entities (states, places, organisations, events) named in a text outside the
    body, e.g. a reader comment: (entity, start, end, how) with offsets into `text`."""
    g = g or load_gazetteer()
    return _gazetteer_mentions(_TextPass(text, doc, TextSource.COMMENT, 0, g, set(languages)), g)


def _seat_is_place(doc: Doc | None, start: int, end: int) -> bool:
    """A seat of power is an actor unless the parse makes it a visited/located place."""
    if doc is None:
        return False
    root = _span_root(doc, start, end)
    if root is None:
        return False
    tok = _role_token(root)
    if tok.dep_ == "pobj" and tok.head.lower_ in ("in", "at", "inside", "outside", "near", "into"):
        return tok.head.head.lemma_.lower() not in PEOPLE_NOUNS
    if tok.dep_ == "pobj" and tok.head.lower_ in ("to", "from") and tok.head.head.lemma_.lower() in MOTION_WORDS:
        return True
    if tok.dep_ in ("dobj", "obj") and tok.head.lemma_.lower() in VISIT_VERBS:
        return True
    return False


def _acronym_fits(long: str, acr: str) -> bool:
    letters = acr.replace(".", "").replace("&", "")
    words = [w for w in re.split(r"[\s-]+", long) if w]
    caps = [w for w in words if w[:1].isupper()]
    if not caps or not letters:
        return False
    initials = "".join(w[0] for w in caps).upper()
    all_initials = "".join(w[0] for w in words).upper()
    if letters.upper() in (initials, all_initials):
        return True
    # loose: same first letter and the acronym's letters appear in order in the long form
    if caps[0][0].upper() != letters[0].upper() or len(letters) > len(words) + 2:
        return False
    it = iter(long.upper())
    return all(ch in it for ch in letters.upper()) and len(letters) >= 2 and len(caps) >= 2


# -------------------------------------------------------------------- people


def _extract_people(out: EntityExtraction, passes: list[_TextPass], g: Gazetteer, mention,
                    headings: list[str] = ()) -> None:
    # (a) candidate full names from spaCy PERSON spans and "Title Name" patterns, in all texts
    fulls: dict[str, _PersonCand] = {}  # slug key -> candidate
    blocked_words = set(LANG for LANG in (h.text for p in passes for h in p.hits if h.kind is HitKind.LANGUAGE))
    raw_spans: list[tuple[_TextPass, int, int, str | None, str | None]] = []
    # one-word names spaCy tags as people somewhere in the document ("Maduro")
    person_surnames = {e.text for p in passes if p.doc is not None for e in p.doc.ents
                       if e.label_ == "PERSON" and len(e.text.split()) == 1 and _name_token(e.text)}

    for p in passes:
        spans: list[tuple[int, int]] = []
        if p.doc is not None:
            spans += [(e.start_char, _person_tail(p, e, g)) for e in p.doc.ents if e.label_ == "PERSON"]
        spans += [(m.start(), m.end()) for m in _TITLE_THEN_NAME.finditer(p.text)]
        spans += _name_shaped_spans(p, person_surnames)
        for s, e in spans:
            if _overlaps(p.blocked, s, e):
                continue
            mh = re.match(r"^-[a-z]+\b|^ (?:al|el|ul)-[^\W\d_]+", p.text[e:e + 30])  # spaCy cut "Yoon Suk|-yeol", "Abdel Fattah| el-Sissi"
            if mh:
                e += mh.end()
            s, e = _clean_span_text(p.text, s, e)
            s, e, title, hon = _strip_titles(p.text, s, e)
            s, e = _clean_span_text(p.text, s, e)
            # strip trailing words that are not names ("Kishida of Japan" -> "Kishida")
            s, e = _cut_at_non_name(p.text, s, e, g, blocked_words)
            s = _skip_sentence_opener(p, s, e)
            if e <= s:
                continue
            raw = p.text[s:e]
            name, honorific = normalise_person_name(raw)
            if honorific and not honorific.rstrip(".") + "." in raw and len(name.split()) == 1 and len(raw.split()) >= 2:
                name, honorific = normalise_person_name("x " + raw)[0][2:], None  # "Gen Nakatani" is a name
            hon = hon or honorific
            if not _name_tokens_ok(name, g, blocked_words) or _starts_with_verb(p, s):
                continue
            raw_spans.append((p, s, e, title, hon))
            if len(_name_key_tokens(name)) >= 2 or (len(name.split()) >= 2 and _INITIALS.fullmatch(name.split()[0])):
                fulls.setdefault(person_key(name), _PersonCand(name, hon, title))
        # well-known people written in full (spaCy may miss or mislabel them)
        for m in _known_full_names_re(g).finditer(p.text):
            if _overlaps(p.blocked, m.start(), m.end()):
                continue
            name = m.group(0)
            raw_spans.append((p, m.start(), m.end(), None, None))
            fulls.setdefault(person_key(name), _PersonCand(name))
    # a name used only as a place ("a rally in Khan Younis", "Thein Dan villages", "the city of
    # Bila Tserkva") is a place the model took for a person
    for k in [k for k, cand in fulls.items() if g.known_person(cand.name) is None]:
        name = fulls[k].name
        found = [(p, m.start(), m.end()) for p in passes for m in re.finditer(r"(?<![\w-])" + re.escape(name) + r"(?![\w-])", p.text)]
        if found and all(_place_context(p.text, s, e) for p, s, e in found):
            del fulls[k]
    # (b) merge variants: "Robert Kelly" ~ "Robert E. Kelly" -> the longer one
    keys = sorted(fulls, key=lambda k: -len(fulls[k].name))
    alias_of: dict[str, str] = {}
    for i, k in enumerate(keys):
        if k in alias_of:
            continue
        toks = _name_key_tokens(fulls[k].name)
        for k2 in keys[i + 1:]:
            if k2 in alias_of:
                continue
            t2 = _name_key_tokens(fulls[k2].name)
            same_ends = t2 and toks and t2[0] == toks[0] and t2[-1] == toks[-1] and set(t2) <= set(toks) and (
                not _initials(fulls[k2].name) or _initials(fulls[k2].name) == _initials(fulls[k].name))  # George W. ≠ George H.W.
            prefix = k.startswith(k2 + "-") and len(t2) >= 2  # "Yoon Suk" of "Yoon Suk-yeol"
            first2 = fulls[k2].name.split()[0]
            initial = (bool(_INITIALS.fullmatch(first2)) and len(first2.rstrip(".")) == 1 and t2 and toks
                       and t2 == toks[-len(t2):] and toks[0].startswith(first2[0]))  # "T. Postol" of "Theodore Postol"
            suffix = k.endswith("-" + k2) and len(t2) >= 2  # "Broz Tito" of "Josip Broz Tito"
            if same_ends or prefix or suffix or initial:
                alias_of[k2] = k
    # canonical names: verified label, else known person, else the longest variant
    canon: dict[str, Entity] = {}
    for k, cand in fulls.items():
        if k in alias_of:
            continue
        name = cand.name
        qid = None
        v = g.verified_person(name)
        if v:
            name, qid = v
        else:
            kp = g.known_person(name)
            if kp:
                name, qid = kp.name, kp.wikidata
        ent = Entity(key=person_key(name), kind=EntityKind.PERSON, name=name, wikidata=qid,
                     honorific_prefix=cand.honorific)
        if cand.name != name:
            ent.alternate_names.add(cand.name)
        canon[k] = ent
    for k2, k in alias_of.items():
        canon[k2] = canon[k]
        canon[k].alternate_names.add(fulls[k2].name)

    # (c) partial names -> full names (unique within the document)
    partial_owner: dict[str, set[str]] = {}
    for k, ent in canon.items():
        for nm in {ent.name, fulls[k].name} | ent.alternate_names:
            toks = _name_key_tokens(nm)
            ends = (toks[0], toks[-1]) if len(toks) >= 2 else tuple(toks) if len(nm.split()) >= 2 else ()
            for t in ends:
                if len(t) > 1:
                    partial_owner.setdefault(t, set()).add(ent.key)
        kp = g.known_person(ent.name)
        if kp:
            for alias in kp.aliases:
                if " " not in alias:
                    partial_owner.setdefault(alias, set()).add(ent.key)
    by_key = {e.key: e for e in canon.values()}
    partials = {t: by_key[next(iter(ks))] for t, ks in partial_owner.items() if len(ks) == 1}

    # (d) mentions: every occurrence of a full-name variant, then of partials
    variants: dict[str, Entity] = {}
    for k, ent in canon.items():
        for nm in {ent.name, fulls[k].name} | ent.alternate_names:
            variants[nm] = ent
            variants[nm.upper()] = ent
    for p, s, e, title, hon in raw_spans:  # spaCy spans as printed (e.g. "Cenk TAMER")
        raw = p.text[s:e]
        name, _ = normalise_person_name(raw)
        if person_key(name) in canon:
            variants.setdefault(raw, canon[person_key(name)])
    full_re = _alternation(variants)
    for p in passes:
        if full_re is not None:
            for m in full_re.finditer(p.text):
                ent = variants[m.group(0)]
                if _overlaps(p.taken, m.start(), m.end()) or ent.key in out.author_keys \
                        or _overlaps(p.furniture, m.start(), m.end()):
                    continue
                mention(p, ent, m.start(), m.end(), "name")
        for t_re, ent in _partial_patterns(partials):
            for m in t_re.finditer(p.text):
                s, e = m.start(1), m.end(1)
                if _overlaps(p.taken, s, e) or _overlaps(p.blocked, s, e) or ent.key in out.author_keys:
                    continue
                if not _partial_ok(p, s, e):
                    continue
                mention(p, ent, s, e, "partial")
        # (e) single names of well-known people (with a title or a PERSON label), when no full name claims them
        if p.doc is not None:
            for s, e, title in _single_name_candidates(p):
                if _overlaps(p.taken, s, e) or _overlaps(p.furniture, s, e):
                    continue
                word = p.text[s:e]
                kp = g.known_person(word)
                if kp is None or word in partials:
                    continue
                v = g.verified_person(kp.name)
                ent = Entity(key=person_key(kp.name), kind=EntityKind.PERSON, name=kp.name,
                             wikidata=v[1] if v else kp.wikidata)
                # the article names them only so ("Putin"): that name is theirs here too
                ent.alternate_names.add(word)
                if ent.key in out.author_keys:
                    continue
                mention(p, ent, s, e, "partial")
            # (e2) a person the article names only by a title and one name ("President Abbas", "Mr Bush",
            # "King Abdullah"): that name is the fullest the article gives
            for s, e in _titled_single_names(p, g, blocked_words):
                if _overlaps(p.taken, s, e) or _overlaps(p.furniture, s, e) or _overlaps(p.blocked, s, e):
                    continue
                word = p.text[s:e]
                if word in partials or person_key(word) in out.author_keys or any(
                        word in re.split(r"[\s-]+", nm) for ent in canon.values() for nm in {ent.name} | ent.alternate_names):
                    continue
                kp = g.known_person(word)
                name = kp.name if kp else _fullest_name([q.text for q in passes] + list(headings), word, g, blocked_words)
                ent = out.entities.get(person_key(name)) or Entity(key=person_key(name), kind=EntityKind.PERSON,
                                                                  name=name, wikidata=kp.wikidata if kp else None)
                ent.alternate_names.add(word)
                mention(p, ent, s, e, "partial")

    # (f) posts from apposition
    _extract_posts(out, passes, g)


# Personal roles that set a name off in apposition ("María Corina Machado" after "the opposition
# candidate,"; "Moussa Faki Mahamat, the AU's top official,").
_PERSON_ROLES = (r"(?:official|candidate|leader|minister|president|premier|chancellor|adviser|advisor|spokesman|"
                 r"spokeswoman|spokesperson|envoy|ambassador|chairperson|chairman|chairwoman|chair|chief|secretary|"
                 r"commander|general|head|director|diplomat|negotiator|mediator|governor|mayor|senator|lawmaker|"
                 r"MP|deputy|foreign minister|general secretary|secretary-general|founder|ruler|king|queen|emir|"
                 r"prince|sheikh|activist|dissident|journalist|economist|analyst|scholar|historian|colonel|opponent|"
                 r"rival|successor|predecessor|counterpart|sister|brother|wife|husband|son|daughter)s?")
_ROLE_AFTER = re.compile(r"^,\s+(?:the|a|an|his|her|its|their)\s+(?:[\w'’-]+\s+){0,4}" + _PERSON_ROLES + r"\b")
_ROLE_BEFORE = re.compile(r"\b" + _PERSON_ROLES + r",\s*$")
_CAP_WORD = r"[" + _UPPER + r"][^\W\d_]+(?:[-'’][^\W\d_]+)*"
_CAP_SEQ = re.compile(r"(?<![\w'’.-])" + _CAP_WORD + r"(?:\s(?:(?:da|de|do|dos|das|del|della|di|van|von|der|bin|ibn|al|la|le|du)\s)?"
                      + _CAP_WORD + r"){1,4}(?![\w'’-])")
# Capitalised function words that open a sentence before a name ("When Luiz …", "Yet Zelensky …").
_LEADING_NON_NAME = {"when", "yet", "but", "and", "or", "if", "as", "while", "after", "before", "since", "so", "then",
                     "though", "although", "because", "once", "unless", "until", "whereas", "meanwhile", "still",
                     "indeed", "however", "moreover", "also", "even", "only", "now", "today", "later", "in", "on",
                     "at", "for", "from", "with", "by", "to", "of", "under", "over", "like", "unlike", "for",
                     "according", "that", "this", "these", "those", "the", "a", "an", "his", "her", "their", "its",
                     "our", "my", "we", "they", "he", "she", "it", "i", "you", "there", "here", "what", "who",
                     "why", "how", "where", "which", "both", "neither", "either", "not", "no", "nor", "mr", "ms",
                     "mrs", "dr", "prof", "sir", "president", "minister", "former", "late"}


def _person_tail(p: "_TextPass", ent: Span, g: Gazetteer) -> int:
    """Where a PERSON span of two or more words ends when the model cut the name short ("Min Aung|
    Hlaing assumes"): the next word is a proper noun outside any entity, capitalised, and a name word."""
    end = ent.end_char
    if len(ent) < 2:
        return end  # a one-word span is no name cut short
    doc = ent.doc
    i = ent.end
    while i < len(doc) and i < ent.end + 2:
        tok = doc[i]
        prev = doc[i - 1]
        if tok.pos_ != "PROPN" or tok.ent_type_ or prev.whitespace_ != " " or not tok.text[:1].isupper() \
                or not _name_token(tok.text) or tok.text in NOT_NAME_WORDS or tok.text in ORG_WORDS \
                or g.is_state_word(tok.text) or tok.text in g.demonym_surfaces:
            break
        end = tok.idx + len(tok.text)
        i += 1
    return end


def _skip_sentence_opener(p: "_TextPass", s: int, e: int) -> int:
    """Where a name starts when the model took the sentence's capitalised opener into it ("Once Salman",
    "Suddenly Asiri", "Channelling Churchill"): a conjunction, an adverb or a gerund opening the sentence."""
    if p.doc is None:
        return s
    while True:
        words = p.text[s:e].split()
        if len(words) < 2:
            return s
        span = p.doc.char_span(s, s + len(words[0]), alignment_mode="expand")
        if span is None or len(span) != 1:
            return s
        t = span[0]
        if not (words[0].lower() in _LEADING_NON_NAME or (t.is_sent_start and (t.pos_ == "ADV" or t.tag_ == "VBG"))):
            return s
        s = t.idx + len(t)
        while s < e and p.text[s].isspace():
            s += 1


def _name_shaped_spans(p: "_TextPass", surnames: set[str]) -> list[tuple[int, int]]:
    """Two to four capitalised words that are a person by their context: set off by a personal role
    in apposition, or ending in a surname the parser tags as a person elsewhere in the document."""
    out = []
    for m in _CAP_SEQ.finditer(p.text):
        toks = m.group(0).split()
        start = m.start()
        while toks and toks[0].lower() in _LEADING_NON_NAME:
            start += len(toks[0]) + 1
            toks = toks[1:]
        if len(toks) < 2 or any(t in NOT_NAME_WORDS or t in ORG_WORDS for t in toks):
            continue
        if (toks[-1] in surnames or _ROLE_AFTER.match(p.text[m.end():m.end() + 80])
                or _ROLE_BEFORE.search(p.text[max(0, m.start() - 60):m.start()])):
            out.append((start, m.end()))
    return out


_KNOWN_RE: list[re.Pattern[str]] = []


def _known_full_names_re(g: Gazetteer) -> re.Pattern[str]:
    """One pattern for the multi-word names and aliases of the gazetteer's well-known people."""
    if not _KNOWN_RE:
        names = {kp.name for kp in g.known_people.values()} | {
            a for kp in g.known_people.values() for a in kp.aliases if " " in a}
        names |= {label for label, _ in g.verified_people.values()}
        names = sorted((n for n in names if " " in n), key=len, reverse=True)
        _KNOWN_RE.append(re.compile(r"(?<![\w-])(?:" + "|".join(re.escape(n) for n in names) + r")(?![\w-])"))
    return _KNOWN_RE[0]


def _alternation(variants: dict[str, Entity]) -> re.Pattern[str] | None:
    names = sorted((v for v in variants if v), key=len, reverse=True)
    if not names:
        return None
    return re.compile(r"(?<![\w-])(?:" + "|".join(re.escape(n) for n in names) + r")(?![\w-])")


def _partial_patterns(partials: dict[str, Entity]) -> list[tuple[re.Pattern[str], Entity]]:
    # a surname keeps its particles ("Van Den Hoek", "de Gaulle")
    return [(re.compile(r"(?<![\w-])((?:(?:[Vv]an|[Vv]on|[Dd]e|[Dd]en|[Dd]er|[Dd]a|[Dd]i|[Ll]a|[Ll]e|[Dd]u)\s+){0,2}"
                        + re.escape(t) + r")(?:['’]s?)?(?![\w-])"), ent) for t, ent in partials.items()]


def _partial_ok(p: _TextPass, s: int, e: int) -> bool:
    """A partial name must be a proper noun not glued to other proper nouns (titles excepted)."""
    span = p.doc.char_span(s, e, alignment_mode="expand") if p.doc is not None else None
    if span is not None and len(span):
        first, last = span[0], span[-1]
        if first.pos_ not in ("PROPN", "NOUN", "X") and first.tag_ != "NNP":
            return False
        prev = p.doc[first.i - 1] if first.i > 0 else None
        nxt = p.doc[last.i + 1] if last.i + 1 < len(p.doc) else None
        if nxt is not None and nxt.text in ("’s", "'s", "’", "'") and last.i + 2 < len(p.doc):
            nxt = None
        if prev is not None and prev.pos_ == "PROPN" and prev.text[:1].isupper() and prev.text not in _TITLE_WORDS \
                and not is_leading_title(prev.text) \
                and prev.text.rstrip(".") not in HONORIFICS and not _ends_with_title(p.text, prev.idx + len(prev)):
            return False
        if nxt is not None and nxt.pos_ == "PROPN" and nxt.text[:1].isupper() and nxt.text not in _MONTHS:
            return False
        return True
    before = re.search(r"([A-Z][\w.]*)\s+$", p.text[max(0, s - 30):s])
    if before and not _ends_with_title(p.text, s):
        return False
    after = re.match(r"^\s+([A-Z][a-z]+)", p.text[e:e + 30])
    return not (after and after.group(1) not in _MONTHS)


def _ends_with_title(text: str, pos: int) -> bool:
    tail = text[max(0, pos - 40):pos].rstrip()
    return any(tail.endswith(t) for t in _TITLES_SORTED) or any(tail.endswith(h) for h in HONORIFICS)


def _single_name_candidates(p: _TextPass) -> list[tuple[int, int, str | None]]:
    found = []
    for e in p.doc.ents:
        if e.label_ == "PERSON":
            s, t = _clean_span_text(p.text, e.start_char, e.end_char)
            s, t, title, _ = _strip_titles(p.text, s, t)
            if t > s and " " not in p.text[s:t]:
                found.append((s, t, title))
    for m in _TITLE_THEN_NAME.finditer(p.text):
        s, t = _clean_span_text(p.text, m.start(1), m.end(1))
        word = p.text[s:t].split(" ")[0] if t > s else ""
        if word:
            found.append((s, s + len(word), None))
    return found


# Titles that, printed before one capitalised word, make it a person's name ("President Abbas",
# "Mr Bush", "King Abdullah", "Minister Milling"); ranks and roles that also open names of things
# ("General Motors", "Director General", "Speaker's Corner") are left out.
_SINGLE_NAME_TITLES = sorted({t for t in TITLES if t not in {
    "General", "Leader", "Opposition Leader", "Director", "Chair", "Speaker", "Dictator", "Commissioner",
    "Spokesperson", "Spokesman", "Spokeswoman", "Marshal", "Admiral", "Envoy", "Special Envoy", "Chief of Staff",
    "High Representative", "Foreign Ministry Spokesperson", "Chairman", "Chairwoman", "Ambassador",
    "Secretary General", "Secretary-General", "General Secretary", "Mayor"}} | {
    "Mr", "Mrs", "Ms", "Mr.", "Mrs.", "Ms.", "PM", "Ayatollah"}, key=len, reverse=True)
_TITLED_SINGLE = re.compile(
    r"(?<![\w-])(?:" + "|".join(re.escape(t) for t in _SINGLE_NAME_TITLES) + r")\.?[ \t]+"
    r"(?P<name>[" + _UPPER + r"][^\W\d_]+(?:-[" + _UPPER + r"]?[^\W\d_]+)?)(?:['’]s?)?(?![\w'’\xad\]-]|\s+[" + _UPPER + r"])")
_NOT_PERSON_LABELS = {"ORG", "GPE", "LOC", "FAC", "NORP", "PRODUCT", "EVENT", "WORK_OF_ART", "LAW"}


def _titled_single_names(p: "_TextPass", g: Gazetteer, blocked_words: set[str]) -> list[tuple[int, int]]:
    """Spans of single names right after a personal title, that no gazetteer or spaCy label calls
    something else."""
    found = []
    for m in _TITLED_SINGLE.finditer(p.text):
        s, e = m.span("name")
        word = m.group("name")
        if word in NOT_NAME_WORDS or word in TITLES or is_leading_title(word) or not _name_tokens_ok(word, g, blocked_words):
            continue
        if any(h.start < e and s < h.end for h in p.hits):
            continue
        # the model reads the name itself as a place or an organisation ("President Hotel"); a label over
        # title and name together ("King Haakon's" as ORG) is the model's slip, not evidence
        if p.doc is not None and any(ent.label_ in _NOT_PERSON_LABELS and s <= ent.start_char < e for ent in p.doc.ents):
            continue
        found.append((s, e))
    return found


def _fullest_name(texts: list[str], word: str, g: Gazetteer, blocked_words: set[str]) -> str:
    """The fullest name the article gives a person it also calls by title and surname: "Robert Mugabe"
    for "Mr Mugabe" when the texts (body, captions, headline, standfirst) print one given name before
    "Mugabe" (and only one), else the surname."""
    firsts = set()
    for text in texts:
        for m in re.finditer(r"(?<![\w'’-])([" + _UPPER + r"][^\W\d_]+)\s+" + re.escape(word) + r"(?![\w-])", text):
            first = m.group(1)
            if first in NOT_NAME_WORDS or first in TITLES or first in HONORIFICS or is_leading_title(first) \
                    or not _name_tokens_ok(first, g, blocked_words):
                continue
            firsts.add(first)
    return f"{next(iter(firsts))} {word}" if len(firsts) == 1 else word


# Nouns after a name that make it a place ("Thein Dan villages", "Sittwe Township", "Abraham Villiers Bay").
_PLACE_HEADS = {"village", "villages", "town", "towns", "township", "townships", "city", "district", "province",
                "region", "county", "camp", "creek", "river", "bay", "port", "island", "islands", "valley",
                "mountains", "hills", "airport", "airbase", "base", "refinery", "strait", "governorate", "oblast",
                "prefecture", "municipality", "neighbourhood", "neighborhood", "square", "street", "road", "bridge"}
_PLACE_BEFORE = re.compile(
    r"(?:\b(?:city|town|village|port|district|province|region|township|area|suburb|outskirts|streets|camp|"
    r"governorate|island|ship|vessel|carrier|tanker)\s+(?:of\s+)?|"
    r"\b(?:in|near|outside|around|across|into|via|over|toward|towards|inside|at)\s+(?:the\s+)?(?:old\s+)?)$", re.I)
_PLACE_APPOSITION = re.compile(r"^,\s+(?:a|an|the)\s+(?:[\w-]+\s+){0,2}(?:" + "|".join(sorted(_PLACE_HEADS)) + r")\b", re.I)


def _place_context(text: str, s: int, e: int) -> bool:
    """A name at text[s:e] used as a place: after a locative preposition or a place noun, before a
    place noun, or set off by a place appositive (", a creek that …")."""
    after = text[e:e + 40]
    if re.match(r"^['’]s?\b", after):
        return False  # "Khan's government": a possessive names an actor
    nxt = re.match(r"^\s+([A-Za-z]+)", after)
    if nxt and nxt.group(1).lower() in _PLACE_HEADS:
        return True
    if _PLACE_APPOSITION.match(after):
        return True
    return bool(_PLACE_BEFORE.search(text[max(0, s - 40):s]))


def _starts_with_verb(p: "_TextPass", s: int) -> bool:
    """'Ousting Maduro militarily …': a capitalised gerund opening a sentence is no first name."""
    if p.doc is None:
        return False
    span = p.doc.char_span(s, s + 1, alignment_mode="expand")
    return span is not None and len(span) > 0 and span[0].tag_ == "VBG" and span[0].text.endswith("ing")


def _cut_at_non_name(text: str, s: int, e: int, g: Gazetteer, blocked: set[str]) -> tuple[int, int]:
    """Keep the leading run of name-like tokens: 'Fumio Kishida of Japan' -> 'Fumio Kishida'."""
    out_e = s
    for m in re.finditer(r"\S+", text[s:e]):
        tok = m.group(0)
        clean = _POSSESSIVE.sub("", tok).rstrip(",;:")
        if not _INITIALS.fullmatch(clean):  # "W." keeps its full stop; "Bush." does not
            clean = clean.rstrip(".")
        if not clean or not _name_token(clean) or clean in NOT_NAME_WORDS or g.is_state_word(clean) or clean in blocked:
            break
        out_e = s + m.start() + len(clean)
        if clean != tok:
            break
    return s, out_e


# --------------------------------------------------------------------- posts

_TITLE_AT_END = re.compile(r"(?P<title>" + _TITLE_ALT + r")\.?\s*,?\s*$", re.I)
_TITLE_OF_ORG_AT_END = re.compile(r"(?P<title>" + _TITLE_ALT + r")\s+of\s+(?:the\s+)?(?P<org>[^,;]{2,90}?)"
                                  r"(?:\s*\([A-Z][A-Za-z.&]{1,9}\))?\s*,\s*$", re.I)
_OF_ORG_AFTER = re.compile(r"^\s+of\s+(?:the\s+)?(?P<org>[A-Z][^,;.]{1,60})")
_APPOS_AFTER = re.compile(r"^,\s+(?:the\s+|a\s+)?(?:(?:former|then-?|current|previous|new)\s+)?(?P<pre>[^,;]{0,40}?)\s*"
                          r"(?P<title>" + _TITLE_ALT + r")(?:\s+of\s+(?:the\s+)?(?P<org>[^,;.]{2,60}))?\s*[,.;]", re.I)


def _norm_title(t: str) -> str:
    """'secretary-general' -> 'Secretary-General', 'prime minister' -> 'Prime Minister' ('of' stays lower)."""
    t = re.sub(r"\s+", " ", t.strip())

    def cap(w: str) -> str:
        if w.isupper() or w in ("of", "for", "and", "the"):
            return w
        return "-".join(p[:1].upper() + p[1:].lower() for p in w.split("-"))

    return " ".join(cap(w) for w in t.split(" "))


def _org_key_in(p: _TextPass, s: int, e: int, out: EntityExtraction, g: Gazetteer) -> str | None:
    """The state or organisation named in text[s:e] (by the mentions already found there)."""
    best = None
    for m in out.mentions:
        if m.source is p.source and m.index == p.index and s <= m.start and m.end <= e:
            ent = out.entities.get(m.entity_key)
            if ent and ent.kind in (EntityKind.STATE, EntityKind.ORGANIZATION):
                if best is None or m.start < best[0]:
                    best = (m.start, ent.key)
    if best:
        return best[1]
    return None


def _sentence_start(p: _TextPass, pos: int) -> int:
    if p.doc is not None:
        if p.sent_starts is None:
            p.sent_starts = [s.start_char for s in p.doc.sents]
        i = bisect.bisect_right(p.sent_starts, pos) - 1
        if i >= 0:
            return max(p.sent_starts[i], pos - 160)
    return max(p.text.rfind("\n", 0, pos) + 1, pos - 160, 0)


def _extract_posts(out: EntityExtraction, passes: list[_TextPass], g: Gazetteer) -> None:
    seen: set[tuple[str, str, str | None]] = set()
    for p in passes:
        person_mentions = [m for m in out.mentions if m.source is p.source and m.index == p.index
                           and m.entity_key.startswith("person/")]
        for m in person_mentions:
            sent_start = _sentence_start(p, m.start)
            before = p.text[sent_start:m.start]
            after = p.text[m.end:m.end + 120]
            title = org = None
            mm = _TITLE_OF_ORG_AT_END.search(before)
            if mm:
                title = mm.group("title")
                org = _org_key_in(p, sent_start + mm.start("org"), sent_start + mm.end("org"), out, g)
            else:
                mm = _TITLE_AT_END.search(before)
                if mm:
                    title = mm.group("title")
                    # a state/demonym/org right before the title, with at most two lower-case words between
                    head = before[:mm.start()]
                    pre = re.search(r"(\S+(?:\s+\S+){0,3}?)((?:\s+[a-z][\w-]*){0,2})\s*$", head)
                    if pre is not None:
                        lo = sent_start + max(0, len(head) - 40)
                        cands = [x for x in out.mentions if x.source is p.source and x.index == p.index
                                 and lo <= x.start and x.end <= sent_start + mm.start()
                                 and re.fullmatch(r"(?:['’]s)?(?:\s+[a-z][\w-]*){0,2}\s*",
                                                  p.text[x.end:sent_start + mm.start()])]
                        cands = [x for x in cands if out.entities[x.entity_key].kind in (EntityKind.STATE, EntityKind.ORGANIZATION)]
                        if cands:
                            org = cands[-1].entity_key
                    if org is None:
                        ma = _OF_ORG_AFTER.match(after)
                        if ma:
                            org = _org_key_in(p, m.end + ma.start("org"), m.end + ma.end("org"), out, g)
                else:
                    ma = _APPOS_AFTER.match(after)
                    if ma:
                        title = ma.group("title")
                        if ma.group("org"):
                            org = _org_key_in(p, m.end + ma.start("org"), m.end + ma.end("org"), out, g)
                        if org is None and ma.group("pre"):
                            org = _org_key_in(p, m.end + ma.start("pre"), m.end + ma.end("pre"), out, g)
            if not title:
                continue
            t = _norm_title(title)
            if t.lower() in ("leader", "general", "director", "chair", "prince", "princess", "king", "queen"):
                if org is None:
                    continue
            key = (m.entity_key, t, org)
            if key in seen:
                continue
            seen.add(key)
    # keep one post per (person, title): the one with an organisation wins
    best: dict[tuple[str, str], str | None] = {}
    for pk, t, org in sorted(seen, key=lambda x: (x[0], x[1], x[2] is None)):
        if (pk, t) not in best:
            best[(pk, t)] = org
    out.posts = [Post(pk, t, org) for (pk, t), org in best.items()]


# ------------------------------------------------- "the Biden administration"

_PERSON_GOV = re.compile(r"\b(?P<name>[A-Z][\w'’-]+)\s+(?P<noun>administration|Administration|government|Government|"
                         r"cabinet|Cabinet|regime|White House|Kremlin|team)\b")


_GOV_OF_BEFORE = re.compile(r"\b(?P<noun>administration|government|cabinet|regime|presidency)\s+of\s+"
                            r"(?:[\w.’'-]+\s+){0,4}$", re.I)


def _government_of_person(out: EntityExtraction, passes: list[_TextPass], g: Gazetteer, mention) -> None:
    post_state = {}
    for post in out.posts:
        if post.organization_key and post.organization_key.startswith("state/"):
            post_state.setdefault(post.person_key, post.organization_key)
    for p in passes:
        # "the government of Fumio Kishida", "the administration of U.S. President Joe Biden"
        for pm in [x for x in out.mentions if x.source is p.source and x.index == p.index
                   and x.entity_key.startswith("person/")]:
            mg = _GOV_OF_BEFORE.search(p.text[max(0, pm.start - 80):pm.start])
            if not mg:
                continue
            state = post_state.get(pm.entity_key)
            if state is None:
                kp = g.known_person(out.entities[pm.entity_key].name)
                if kp and kp.state in g.states:
                    state = state_key(kp.state)
            if state is None:
                continue
            gs = pm.start - (len(p.text[max(0, pm.start - 80):pm.start]) - mg.start("noun"))
            mention(p, state_entity(g, state.split("/", 1)[1]), gs, pm.end, "metonym")
            if p.source is TextSource.BODY:
                out.actor_spans.add((gs, pm.end))
        for m in _PERSON_GOV.finditer(p.text):
            s, e = m.start("name"), m.end("name")
            pm = [x for x in out.mentions if x.source is p.source and x.index == p.index and x.start <= s and e <= x.end
                  and x.entity_key.startswith("person/")]
            state = None
            if pm:
                state = post_state.get(pm[0].entity_key)
                if state is None:
                    kp = g.known_person(out.entities[pm[0].entity_key].name)
                    if kp and kp.state in g.states:
                        state = state_key(kp.state)
            else:
                kp = g.known_person(m.group("name"))
                if kp and kp.state in g.states and not _overlaps(p.taken, s, e):
                    state = state_key(kp.state)
                    v = g.verified_person(kp.name)
                    mention(p, Entity(person_key(kp.name), EntityKind.PERSON, kp.name,
                                      wikidata=v[1] if v else kp.wikidata), s, e, "partial")
            if state is None:
                continue
            code = state.split("/", 1)[1]
            mention(p, state_entity(g, code), s, m.end("noun"), "metonym")
            if p.source is TextSource.BODY:
                out.actor_spans.add((s, m.end("noun")))


# ------------------------------------------------------ spaCy orgs/places/events

_SUMMIT = re.compile(r"\b(?P<name>(?:[A-Z][\w'’]*(?:[-–][A-Z][\w'’]*)?[ \t]+){1,4}(?:Summit|summit))\b")


def _extract_spacy_spans(out: EntityExtraction, passes: list[_TextPass], g: Gazetteer, mention) -> None:
    org_counts: dict[str, int] = {}
    for p in passes:
        if p.doc is None:
            continue
        for e in p.doc.ents:
            if e.label_ == "ORG":
                s, t = _clean_span_text(p.text, e.start_char, e.end_char)
                org_counts[p.text[s:t]] = org_counts.get(p.text[s:t], 0) + 1
    person_words: set[str] = set()
    for ent in out.entities.values():
        if ent.kind is EntityKind.PERSON:
            for nm in {ent.name} | ent.alternate_names:
                person_words |= set(nm.split()) | {nm}
    for p in passes:
        # summits named by their participants or place
        for m in _SUMMIT.finditer(p.text):
            s, t = _clean_span_text(p.text, m.start("name"), m.end("name"))
            name = p.text[s:t]
            first = name.split()[0]
            if first in ("The", "This", "That", "A", "An", "Before", "After", "At", "In", "During", "Since"):
                continue
            if _overlaps(p.blocked, s, t):
                continue
            mention(p, event_entity(re.sub(r"\s+summit$", " Summit", name)), s, t, "name")
        if p.doc is None:
            continue
        for e in p.doc.ents:
            if e.label_ not in ("ORG", "GPE", "LOC", "FAC", "EVENT", "NORP"):
                continue
            s, t = _clean_span_text(p.text, e.start_char, e.end_char)
            if t - s < 2 or _overlaps(p.blocked, s, t):
                continue
            if e.label_ in ("ORG", "FAC"):
                t2 = _long_name_end(p, s, t)
                label = "ORG" if t2 > t else e.label_  # "Emirates Centre for …" is an institution
                t = t2
            else:
                label = e.label_
            surface = p.text[s:t]
            mp = re.search(r"['’]s\s+(?=[A-Z])", surface) if label == "ORG" else None
            if mp:
                # "Tufts University’s Feinstein International Center", "the UN’s Economic and Social
                # Commission for Western Asia": an institution's possessive, then a name of its own
                # (not "Pakistan People's Party", nor a state's "Vietnam’s Communist Party")
                poss_e = s + mp.start()
                poss = p.text[s:poss_e].split()
                org_before = any(x.start == s and x.end == poss_e and x.entity_key.startswith("org/")
                                 for x in out.mentions if x.source is p.source and x.index == p.index)
                shaped = bool(poss) and poss[0][:1].isupper() and any(w in ORG_WORDS for w in poss)
                if org_before or shaped:
                    if shaped and not org_before and not _overlaps(p.taken, s, poss_e) \
                            and not _overlaps(p.blocked, s, poss_e):
                        mention(p, org_entity(g, p.text[s:poss_e]), s, poss_e, "name")
                    s = s + mp.end()
                    surface = p.text[s:t]
            words = surface.split()
            if not words or not words[0][:1].isupper():
                continue
            if _overlaps(p.taken, s, t):
                # an organisation's name may contain a state or region ("US Forces Japan", "Africa Corps"),
                # or a shorter organisation's name that it extends with an institution word ("United
                # Nations Institute for Disarmament Research"), never a person, and must be longer than
                # what it contains
                inner = [x for x in out.mentions if x.source is p.source and x.index == p.index and x.start < t and s < x.end]
                if label != "ORG" or any(
                        not x.entity_key.startswith(("state/", "place/", "org/")) or x.end > t
                        or (x.start < s and p.text[x.start:s].strip().lower() != "the")
                        or (x.start, x.end) == (s, t) for x in inner):
                    continue
                inner_orgs = [x for x in inner if x.entity_key.startswith("org/")]
                if inner_orgs:
                    # an institution word after the inner name ("United Nations Institute for …"), or
                    # before it with "of" ("Department of Foreign Affairs", "Ministry of Foreign Affairs")
                    head = p.text[s:min(x.start for x in inner_orgs)].split()
                    if not any(w.strip(",.") in ORG_WORDS for w in p.text[max(x.end for x in inner_orgs):t].split()) \
                            and not (len(head) >= 2 and head[-1] in ("of", "for") and head[-2] in ORG_WORDS):
                        continue
                    for x in inner_orgs:  # the longer name wins
                        out.mentions.remove(x)
                        p.taken.remove((x.start, x.end))
            if label == "ORG":
                if any(w in NOT_ORG_WORDS for w in words) or surface in g.state_surfaces:
                    continue
                rest = " ".join(w for w in words if not g.is_state_word(w.strip(",.’'s")) and w not in ("South", "North"))
                if rest in _STATE_INSTITUTIONS and rest != surface:
                    continue  # "the Chinese Army", "the Japanese Government": the state itself
                is_acronym = bool(re.fullmatch(r"[A-Z][A-Z0-9&-]{1,7}", surface))
                if is_acronym and (surface in NOT_ORG_ACRONYMS or (
                        org_counts.get(surface, 0) < 2 and not _org_apposition(p.doc, e))):
                    continue  # "GMT", "LNG", a heading word in capitals: an unknown acronym must recur
                if len(words) == 1 and surface in GENERIC_ORG_NOUNS:
                    continue  # "the Council", "the Commission", "the Cabinet": a reference back, not a name
                if words[-1][:1].islower() and any(w in ("of", "on", "for", "in", "at", "to", "the") for w in words[1:-1]):
                    continue  # "Council on the mission": a name runs into the sentence
                shaped = any(w.strip(",.") in ORG_WORDS for w in words)
                if not (shaped or is_acronym or (len(words) == 1 and (
                        org_counts.get(surface, 0) >= 2 or _org_apposition(p.doc, e)))):
                    continue
                if len(words) > 8:
                    continue
                if len(words) == 1 and not shaped and not is_acronym:
                    # a one-word name spaCy calls an organization: not a person's surname ("Connolly"),
                    # not a faith, not a place wherever the text names it ("the port of Fujairah")
                    if surface in person_words or surface in _FAITHS:
                        continue
                    found = [m.start() for m in re.finditer(r"(?<![\w-])" + re.escape(surface) + r"(?![\w-])", p.text)]
                    if found and all(_place_context(p.text, x, x + len(surface)) for x in found) \
                            and not _org_apposition(p.doc, e) and not any(
                                _ORG_APPOS_AFTER.match(p.text[x + len(surface):x + len(surface) + 80]) for x in found):
                        continue
                mention(p, org_entity(g, surface), s, t, "name")
            elif label in ("GPE", "LOC", "FAC"):
                if surface in person_words:
                    continue
                if surface in g.demonym_surfaces or surface in {"West", "East", "North", "South"}:
                    continue
                if not all(w[:1].isupper() or w in ("of", "the", "and", "de", "la") for w in words):
                    continue
                if re.search(r"[\d@#/]", surface) or len(words) > 5:
                    continue
                mention(p, place_entity(g, surface), s, t, "name")
            elif label == "EVENT":
                if not any(w[:1].isupper() for w in words[1:] + words[:1]) or len(words) > 6:
                    continue
                mention(p, event_entity(surface), s, t, "name")


_NAME_TAIL_AND = re.compile(r"^\s+(?:and|&)\s+((?:[A-Z][\w’'-]*)(?:\s+(?:[A-Z][\w’'-]*|of|for|the)){0,3})")
_NAME_TAIL_FOR = re.compile(r"^\s+(?:for|on)\s+((?:[A-Z][\w’'-]*)(?:\s+[A-Z][\w’'-]*){0,3})")
_NAME_TAIL_OF = re.compile(r"^\s+of\s+((?:the\s+)?[A-Z][\w’'-]*(?:\s+[A-Z][\w’'-]*){0,2})(?!['’\w])")


def _long_name_end(p: _TextPass, s: int, t: int) -> int:
    """Where an institution's long name ends when spaCy cut it at "for"/"and"/"of": "Emirates Centre
    for Strategic Studies and Research", "Center for Arms Control and Non-Proliferation", "American
    Business Group of Abu Dhabi"."""
    words = p.text[s:t].split()
    if words and words[-1] in ORG_WORDS:
        m = _NAME_TAIL_FOR.match(p.text[t:t + 80])
        if m:
            t += m.end(1)
    name = p.text[s:t]
    m = _NAME_TAIL_AND.match(p.text[t:t + 80])
    if m and re.search(r"\s(?:for|of|on)\s", name) and not any(w in ORG_WORDS for w in m.group(1).split()):
        return t + m.end(1)
    m = _NAME_TAIL_OF.match(p.text[t:t + 60])
    if m and words and words[-1] in ORG_WORDS and not re.search(r"\s(?:of|for)\s", name):
        return t + m.end(1)
    return t


# Abbreviations spaCy's small model labels ORG that name no organization: time zones, currencies,
# units, commodities, diseases, titles.
NOT_ORG_ACRONYMS = frozenset("""
GMT UTC BST CET CEST EST EDT CST CDT PST PDT MST MDT IST JST KST AEST AEDT WAT EAT SAST
USD EUR GBP JPY CNY RMB INR BDT PKR RUB UAH TRY ZAR NGN KES BRL MXN
GDP GNP CPI LNG LPG CO2 COVID COVID-19 HIV AIDS SARS MERS PPE
CEO CFO COO CTO MP MPs MEP PM AM TV PR IT AI VIP UK-US LGBT LGBTQ ID PDF FAQ
""".split())

# One-word institution nouns that a text uses for a body it has named or will name in full
# ("the Council", "the Commission", "the Government", "the Territory"): never a name on their own.
GENERIC_ORG_NOUNS = frozenset("""
Army Navy Cabinet Commission Council Government Media State Territory Administration Ministry Committee Court
Agency Department Office Authority Board Assembly Party Police Military Forces Embassy Secretariat Directorate
Bureau Service Mission Community Group Company Corporation Institute University Foundation Centre Center
Association Organization Organisation Coalition Alliance Movement Front League Federation Union Bank Fund
Corps Command Division Brigade Guard Legislature Presidency Regime Junta Opposition
""".split())

_SCHEME_WORDS = frozenset("Scheme Charge Tax Levy Tariff Tariffs Sanctions Regime Convention Protocol".split())
_FAITHS = frozenset("Islam Christianity Judaism Buddhism Hinduism Sikhism Catholicism Protestantism".split())

_STATE_INSTITUTIONS = {"Army", "Navy", "Air Force", "Military", "Government", "Administration", "Armed Forces",
                       "Forces", "Coast Guard", "Embassy", "Ministry", "Foreign Ministry", "Defence Ministry",
                       "Defense Ministry", "Cabinet", "Regime", "Presidency", "Army Forces", "Marines", "Military Forces"}
_ORG_HEAD_NOUNS = {"party", "partner", "group", "organisation", "organization", "company", "movement", "agency",
                   "firm", "coalition", "alliance", "bloc", "militia", "network", "outlet", "newspaper", "broadcaster",
                   "institute", "think-tank", "bank", "union", "faction", "force", "corporation", "conglomerate"}


_ORG_APPOS_AFTER = re.compile(r"^,\s+(?:the|a|an)\s+(?:[\w-]+\s+){0,4}(?:" + "|".join(sorted(_ORG_HEAD_NOUNS)) + r")s?\b")


def _org_apposition(doc: Doc, ent: Span) -> bool:
    """'Komeito, the junior partner in the governing coalition, …': an organisational appositive."""
    root = ent.root
    for c in root.children:
        if c.dep_ == "appos" and c.lemma_.lower() in _ORG_HEAD_NOUNS:
            return True
    return root.dep_ == "appos" and root.head.lemma_.lower() in _ORG_HEAD_NOUNS


_VISIT_VERBS = {"visit", "tour"}


def _extract_visits(out: EntityExtraction, p: _TextPass, g: Gazetteer, mention) -> None:
    """'<person> visited <place or state>' -> an event "<person>'s visit to <place>"."""
    if p.doc is None:
        return
    ments = [m for m in out.mentions if m.source is TextSource.BODY]
    for tok in p.doc:
        if tok.lemma_.lower() not in _VISIT_VERBS or tok.pos_ != "VERB":
            continue
        subj = [c for c in tok.children if c.dep_ == "nsubj"]
        obj = [c for c in tok.children if c.dep_ == "dobj"]
        if not subj or not obj:
            continue
        sub = subj[0]
        s_span = (sub.left_edge.idx, sub.right_edge.idx + len(sub.right_edge))
        o_span = (obj[0].left_edge.idx, obj[0].right_edge.idx + len(obj[0].right_edge))
        persons = [m for m in ments if s_span[0] <= m.start and m.end <= s_span[1] and m.entity_key.startswith("person/")]
        places = [m for m in ments if o_span[0] <= m.start and m.end <= o_span[1]
                  and out.entities[m.entity_key].kind in (EntityKind.PLACE, EntityKind.STATE)]
        if not persons or not places:
            continue
        who = out.entities[persons[-1].entity_key].name
        where = out.entities[places[0].entity_key].name
        name = f"{who} visit to {where}"
        ent = event_entity(name)
        ent.description = "visit"
        out.add(ent)
        out.mentions.append(Mention(ent.key, tok.idx, places[0].end, p.text[tok.idx:places[0].end],
                                    TextSource.BODY, 0, "name"))
