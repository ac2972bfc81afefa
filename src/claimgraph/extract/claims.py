"""Extract: claims (sentences or clauses the text asserts), who holds them, what
states they are about, and their modality.

* A claim is a declarative sentence of a body paragraph (or of a reader comment),
  or a clause of one when parts of the sentence have different holders
  ("North Korea is an Orwellian tyranny, they believe, and Korea should be
  unified …"). Headings, questions, captions, bios, footnotes, boilerplate and
  fragments are not claims. `text == source_text[start:end]` always holds;
  trailing footnote markers are left out of the span.
* The holder is the article's author unless the text attributes the claim:
  a reporting/belief verb ("say", "think", "believe", "fear", "view … as",
  "perceive", "announce", "emphasize" …) at the top of the clause with a
  subject that resolves to a person, a state (also by metonym: "Seoul thinks",
  "the Biden administration views"), an organisation or a group ("South Korean
  conservatives", "progressives", "they"); "according to X"; a clause-initial
  "to X," ("To them, Japan is …"); a passive reporting verb with "by X".
  "they/them" resolve to the most recent group named as a subject; "he/she" to
  a person named as a subject earlier in the same sentence ("When Lula returned,
  he promised …"; "X's successor, Harry Harris, …: he told …"), else the most
  recent person subject; "it" to the most recent state or organisation subject.
  "according to a report by X" / "X's estimates" -> X. "officials at <org>" -> the
  organisation; "officials in/at <capital or seat>" -> its state. Convention: an
  ORGANIZATION entity of the document holds the claim; a seat of government the
  gazetteer maps to a state (State Department, Foggy Bottom, Kremlin) is that state.
  "<subject> criticised/described X as Y" and "accused X of Y" are the subject's;
  "criticised X for Y" and "X declared that A, and then watched …" (the subject also
  does something else) are the writer's narration.
* Group names are built from the noun phrase (demonym + adjectives + noun:
  "South Korean conservatives"); a bare "conservatives" joins the one qualified
  group with the same noun in the document.
* about_keys: the states the clause names (by name, acronym, demonym or
  metonym), then the states of the leaders and officials it names ("Putin",
  "Trump": a post on the page, else people.csv) and of the national bodies and
  parties it names (organizations.csv country), except the claim's own holder
  ("…, Esper said"), and the state of a bare "the junta" / "the military" /
  "the government" when the text named that body earlier with its state
  ("Myanmar's military" … "the junta"), first; then the other entities, in text order.
* modality: conditional ("if", "unless", "whenever") > normative ("should",
  "must", "need to", "it would be wise") > hedged ("may", "might", "could",
  "likely", "can be said", "it is possible to say", "almost certainly") >
  predicted ("will", "would", "is expected") > asserted. Modal verbs count only
  on the clause's main verbs (not inside relative clauses).
"""
from __future__ import annotations

import bisect
import re
from dataclasses import dataclass
from typing import Iterable

from spacy.language import Language
from spacy.tokens import Doc, Span, Token

from ..model import BlockKind, Claim, Entity, EntityKind, Modality, OrgKind, ParsedPage, TextSource
from ..resolve import group_key, state_key
from .entities import EntityExtraction, GOVERNMENT_NOUNS, scan_mentions
from .gazetteer import DEMONYM_PLURALS, PLACE_STATES, load_gazetteer
from .nlp import load_nlp
from .quotes import QUOTE_VERBS, Quotation, find_quotations, inside_share, speaker_token, speaker_turns, speech_verb

# ------------------------------------------------------------------ vocabulary

REPORT_VERBS = {
    "say", "tell", "argue", "believe", "think", "claim", "contend", "insist", "maintain", "assert", "stress",
    "emphasize", "emphasise", "note", "warn", "suggest", "perceive", "fear", "hope", "expect", "feel",
    "consider", "view", "see", "regard", "announce", "state", "declare", "acknowledge", "admit", "deny",
    "agree", "recognize", "recognise", "conclude", "predict", "estimate", "allege", "reckon", "suspect",
    "doubt", "worry", "complain", "explain", "write", "add", "remark", "observe", "reiterate", "affirm",
    "indicate", "signal", "concede", "hold", "judge", "assess", "realize", "realise", "know", "understand",
    "interpret", "describe", "characterize", "characterise", "portray", "depict", "frame", "accuse", "charge",
    "blame", "assume", "imagine", "calculate", "find", "show", "demonstrate", "promise", "pledge", "vow",
    "threaten", "underline", "underscore", "highlight", "point", "caution", "urge", "demand", "propose",
    "recommend", "speculate", "posit", "counter", "reply", "respond", "answer", "suppose", "trust",
    "call", "remember", "recall", "discover", "learn", "present", "contend", "forecast", "anticipate",
    "urge", "advise", "press", "implore", "exhort",
    # reporting verbs of news copy ("officials reported that", "the ministry confirmed")
    "report", "confirm", "attribute", "assure", "reassure", "testify", "tweet", "disclose", "brief", "inform",
    "comment", "insist", "contend", "rule",
}
# Verbs that take non-agentive subjects ("it explains why", "this shows that"): never attribute to a pronoun.
NON_AGENTIVE = {"explain", "show", "suggest", "indicate", "demonstrate", "prove", "mean", "imply", "reflect",
                "signal", "highlight", "underline", "underscore", "confirm", "illustrate", "reveal", "find"}
# Verbs whose content is a prepositional complement ("accuse X of Y", "blame X for Y").
# ("criticise X for Y" is a report of an act, the writer's: only "criticise X as Y" carries a content.)
PREP_CONTENT = {"accuse": "of", "blame": "for", "credit": "with", "warn": "of", "warn_": "against", "attribute": "to"}
# Verbs whose content is what someone should do ("urge X to …"): normative.
DIRECTIVE_VERBS = {"urge", "advise", "demand", "press", "implore", "exhort", "call"}
# Verbs whose xcomp/oprd is a content ("consider it inevitable", "believe X to be").
XCOMP_VERBS = {"consider", "deem", "find", "believe", "think", "judge", "hold", "see", "regard", "presume", "call",
               "label", "brand", "name", "dub", "urge", "advise", "press", "implore", "exhort", "warn"}
# Verbs whose content complement may be an object + "as" ("view X as Y").
AS_VERBS = {"view", "see", "regard", "perceive", "consider", "describe", "characterize", "characterise",
            "portray", "depict", "frame", "treat", "interpret", "cast", "label", "brand", "present", "paint",
            "dismiss", "criticise", "criticize", "condemn", "denounce", "decry"}
GROUP_NOUNS = {
    "conservative", "progressive", "liberal", "leftist", "rightist", "nationalist", "hawk", "dove", "hardliner",
    "hard-liner", "moderate", "reformist", "reformer", "radical", "populist", "realist", "idealist",
    "internationalist", "isolationist", "neoconservative", "analyst", "expert", "critic", "observer",
    "commentator", "scholar", "academic", "official", "policymaker", "policy-maker", "diplomat", "strategist",
    "planner", "leader", "elite", "voter", "citizen", "public", "activist", "protester", "protestor",
    "politician", "lawmaker", "legislator", "skeptic", "sceptic", "proponent", "opponent", "supporter",
    "advocate", "pundit", "historian", "economist", "general", "officer", "military", "left", "right",
    "opposition", "democrat", "republican", "islamist", "kemalist", "eurasianist", "atlanticist", "power",
    "ally", "establishment", "intelligentsia", "hawks", "camp", "faction", "government", "media", "press",
    "people", "population", "youth", "businesses", "business", "industry", "investor", "strategists",
    "many", "some", "others", "most", "few",
    "senator", "congressman", "congresswoman", "parliamentarian", "negotiator", "insider",
}
# Group nouns that need a qualifier to stand as a holder ("Western great powers", not "powers").
_NEEDS_QUALIFIER = {"power", "ally", "government", "people", "population", "business", "industry", "media",
                    "press", "many", "some", "others", "most", "few", "general", "camp", "faction", "youth"}
# Sentences about the text itself ("Before analyzing …, it will be useful to reveal …").
_META = re.compile(r"\b(this (?:article|paper|analysis|study|piece|essay|brief|commentary|post)|in what follows|"
                   r"as (?:mentioned|noted|discussed|stated) (?:above|earlier|before)|"
                   r"it (?:will|would) be useful to (?:reveal|examine|look|consider|review|discuss|analy[sz]e|recall))\b|"
                   r"^(?:before|after) (?:analy[sz]ing|examining|discussing|turning to|looking at)\b", re.I)
_BOILERPLATE = re.compile(
    r"\b(subscribe|click here|read more|sign up|follow us|all rights reserved|copyright|cookie|newsletter|"
    r"share this|terms of use|privacy policy|your email|required fields|leave a reply|log in|download the)\b", re.I)
# A wire dateline opening a paragraph: "HANOI, Vietnam (AP) — ", "SEOUL, Aug. 20 (Yonhap) -- ", "London, Jun 11 (efe-epa).- ".
_DATELINE = re.compile(r"^(?:[A-Z]{3,}[A-Z .'’-]{0,40}(?:,\s*[A-Z][\w .'’-]{1,30})?\s*(?:\([^)]{1,30}\))?|"
                       r"[A-Z][\w .'’-]{1,40}(?:,\s*[\w .'’-]{1,30})?\s*\([^)]{1,30}\))\s*(?:—|–|--|-|\.-)\s+(?=[A-Z“\"])")
_FOOTNOTES_AT_END = re.compile(r"(?:\s*\[\d{1,3}\])+\s*$")
_FOOTNOTES_AT_START = re.compile(r"^\s*(?:\[\d{1,3}\]\s*)+")
_HEDGE_PHRASES = re.compile(
    r"\b(perhaps|possibly|probably|likely|unlikely|arguably|apparently|seemingly|presumably|almost certainly|"
    r"it seems|seems to|seem to|appears? to|it is possible|it is probable|it is plausible|can be said|"
    r"can be argued|can be interpreted|can be seen as|can be considered|can be described|it is believed|"
    r"to some extent|in all likelihood|may well|not impossible|there is a (?:real |serious |growing )?(?:chance|risk|possibility|danger))\b", re.I)
_NORMATIVE_PHRASES = re.compile(
    r"\b(it (?:would|will) be (?:\w+ )?(?:wise|right|better|prudent|advisable|sensible|desirable|best|"
    r"appropriate|useful|helpful|beneficial)|it is (?:\w+ )?(?:necessary|essential|imperative|vital|crucial|"
    r"important|incumbent|time) (?:to|that|for|on)|would do well to|ought to|had better|it is high time|"
    r"it is in (?:everyone|everybody|our|their|the) ?(?:[’']s )?(?:\w+ )?interests? (?:—|-|,)?.{0,80}?to|"
    r"would be (?:a |the )?(?:good|wise|sensible|useful|better|right|best) (?:idea|place|way|step|start|course|choice)s? to)\b", re.I)
_PREDICTED_PHRASES = re.compile(
    r"\b((?:is|are|was|were) (?:widely |also )?expected|(?:is|are) set to|(?:is|are) going to|(?:is|are) bound to|"
    r"in the (?:near|foreseeable) future|sooner or later)\b", re.I)
_CONDITIONAL_MARKS = {"if", "unless", "whenever", "provided", "providing"}
_PRONOUN_GROUP = {"they", "them", "these", "those"}
_PRONOUN_PERSON = {"he", "she", "him", "her"}
_PRONOUN_THING = {"it"}
_PRONOUN_AUTHOR = {"i", "we", "me", "us"}


# ---------------------------------------------------------------- data types


@dataclass
class _Unit:
    """A sentence (or clause) candidate: a char span of `text` with its tokens in `doc`."""

    start: int
    end: int


@dataclass
class _Holder:
    key: str
    referent_state: str | None = None  # when a pronoun resolved to a state, it is also what the claim is about


class _Context:
    """Discourse memory while walking the sentences of one text."""

    def __init__(self) -> None:
        self.last_group: str | None = None
        self.last_person: str | None = None
        self.last_thing: str | None = None  # state or organisation subject
        self.prev_sentence_thing: str | None = None
        self.bodies: list[tuple[int, str, str]] = []  # (offset, body noun, state): "<state> junta" named


# ------------------------------------------------------------------- helpers


def _trim(text: str, s: int, e: int) -> tuple[int, int]:
    while s < e and text[s].isspace():
        s += 1
    m = _FOOTNOTES_AT_START.match(text[s:e])
    if m:
        s += m.end()
    m = _DATELINE.match(text[s:e])
    if m:
        s += m.end()  # "HANOI, Vietnam (AP) — U.S. Defense Secretary …": the claim starts after the dateline
    while e > s and text[e - 1].isspace():
        e -= 1
    m = _FOOTNOTES_AT_END.search(text[s:e])
    if m:
        e = s + m.start()
    while e > s and text[e - 1] in " \t\n,;:—–-":
        e -= 1
    return s, e


def _tokens(doc: Doc, s: int, e: int) -> Span | None:
    return doc.char_span(s, e, alignment_mode="expand")


def _is_question(text: str) -> bool:
    return text.rstrip(" ”\"’')").endswith("?")


def _has_clause(span: Span) -> bool:
    has_verb = any(t.pos_ in ("VERB", "AUX") for t in span)
    has_subj = any(t.dep_ in ("nsubj", "nsubjpass", "expl", "csubj", "csubjpass") for t in span) or any(
        t.dep_ == "compound" and t.i < t.head.i and (t.head.pos_ == "VERB" or t.head.tag_.startswith("VB") or (
            t.head.dep_ == "ROOT" and t.head.lemma_.lower() in REPORT_VERBS)) for t in span)  # "state media accuse"
    has_verb = has_verb or any(t.dep_ == "ROOT" and t.lemma_.lower() in REPORT_VERBS for t in span)
    return has_verb and has_subj


def _words(text: str) -> int:
    return len(re.findall(r"[A-Za-zÀ-ÿ0-9’'-]+", text))


# ------------------------------------------------------------------ extractor


def extract_claims(page: ParsedPage, entities: EntityExtraction, *, author_key: str | None,
                   comment_holders: dict[int, str] | None = None,
                   nlp: Language | None = None) -> tuple[list[Claim], list[Entity]]:
    """Claims of the body (held by `author_key` unless attributed) and of the reader
    comments (held by `comment_holders[comment.number]`; comments without a holder are skipped).

    Returns the claims and the entities the claims need that `entities` lacks:
    groups ("South Korean conservatives") and states named only in comments.
    """
    nlp = nlp or load_nlp()
    doc = entities.doc if entities.doc is not None and entities.doc.text == page.body_text else nlp(page.body_text)
    author = author_key or ""
    new_entities: dict[str, Entity] = {}
    claims: list[Claim] = []

    mentions = sorted(entities.body_mentions(), key=lambda m: (m.start, m.end))
    known = dict(entities.entities)
    groups = _GroupNamer(doc, known)
    ctx = _Context()
    ctx.bodies = _named_bodies(doc, mentions, known)
    speaker: str | None = None  # who a paragraph ending in a colon ("Rankin said:") gives the floor to
    quotes = find_quotations(page.body_text, page.blocks)
    block_quotes: dict[int, list[Quotation]] = {}
    for q in quotes:
        block_quotes.setdefault(q.block, []).append(q)
    run_speaker: dict[int, str] = {}  # quotation run -> who speaks it
    floor_given: dict[int, str] = {}  # paragraph -> the speaker the paragraph before gave the floor to
    reported: dict[int, str] = {}  # paragraph -> the last holder other than the writer it reports
    for b, block in enumerate(page.blocks):
        if block.kind is not BlockKind.PARAGRAPH:
            continue
        view_holder: str | None = None  # a paragraph that opens by introducing someone's view
        first_claim = len(claims)
        for s, e in _sentences(doc, block.start, block.end):
            sent = _tokens(doc, s, e)
            for q in block_quotes.get(b, ()):
                if q.run in run_speaker or sent is None or not (s <= q.start <= e or s <= q.end <= e):
                    continue
                verb = speech_verb(doc, q, quotes, REPORT_VERBS | QUOTE_VERBS)
                who = speaker_token(verb, quotes) if verb is not None else None
                h = _resolve_np(who, sent, mentions, known, groups, ctx, author) if who is not None else None
                if h is not None and h.key and h.key != author:
                    run_speaker[q.run] = h.key
            found = _sentence_claims(doc, page.body_text, s, e, mentions, known, groups, ctx, author,
                                     entities.author_keys, TextSource.BODY, 0, default_holder=view_holder)
            claims += found
            span = _tokens(doc, *_trim(page.body_text, s, e))
            intro = _view_introduction(span, mentions, known, groups, ctx, author) if span is not None and len(span) else None
            if intro:
                view_holder = intro
            elif view_holder and any(c.holder_key not in (view_holder, author) for c in found):
                view_holder = None  # someone else's view takes over
        # A paragraph in single quotation marks (not read as quotations) is the words of whoever it
        # names as speaking, else of the speaker the paragraph before gave the floor to ("He said:").
        here = claims[first_claim:]
        if block.text[:1] == "‘" and here:
            quoted_by = next((c.holder_key for c in here if c.holder_key not in (author, "")), None) or speaker
            for c in here:
                if quoted_by and c.holder_key in (author, ""):
                    c.holder_key, c.attributed = quoted_by, True
        last = next((c.holder_key for c in reversed(here) if c.holder_key not in (author, "")), None)
        speaker = last if block.text.rstrip().endswith(":") else (speaker if block.text[:1] in "“\"‘" else None)
        if speaker and block.text.rstrip().endswith(":"):
            floor_given[b + 1] = speaker
        if last:
            reported[b] = last
    _quoted_claims(claims, quotes, run_speaker, floor_given, reported, page.blocks, author)
    _turn_claims(claims, page, known, author)
    _states_of_actors(claims, mentions, known, entities.posts, new_entities)
    _states_of_bare_bodies(claims, doc, mentions, known)
    used = {c.holder_key for c in claims}
    new_entities.update({k: v for k, v in groups.created.items() if k in used})

    # reader comments: held by their commenters
    holders = comment_holders or {}
    todo = [c for c in page.comments if holders.get(c.number)]
    if todo:
        g = load_gazetteer()
        # people the article names, by the names and partial names it uses ("Macron", "Scholz")
        people_by_name = {m.text: known[m.entity_key] for m in mentions if m.entity_key.startswith("person/")
                          and m.entity_key in known and m.text[:1].isupper()}
        owners: dict[str, set[str]] = {}
        for ent in {known[m.entity_key].key: known[m.entity_key] for m in mentions
                    if m.entity_key.startswith("person/") and m.entity_key in known}.values():
            for nm in {ent.name} | ent.alternate_names:
                words = [w for w in nm.split() if len(w) > 2 and w[:1].isupper() and not w.endswith(".")]
                for w in {words[0], words[-1]} if len(words) >= 2 else set():
                    owners.setdefault(w, set()).add(ent.key)
        for w, keys in owners.items():
            if len(keys) == 1 and w not in people_by_name:
                people_by_name[w] = known[next(iter(keys))]
        people_re = re.compile(r"(?<![\w-])(?:" + "|".join(re.escape(n) for n in sorted(people_by_name, key=len, reverse=True))
                               + r")(?![\w-])") if people_by_name else None
        for c, cdoc in zip(todo, nlp.pipe([c.text for c in todo])):
            found = scan_mentions(c.text, cdoc, g) + _people_in(c.text, people_re, people_by_name)
            cm = []
            for ent, s, e, how in found:
                if ent.key not in known and ent.key not in new_entities:
                    new_entities[ent.key] = ent
                cm.append(_LightMention(ent.key, s, e, how, c.text[s:e]))
            cm.sort(key=lambda m: (m.start, m.end))
            cknown = {**known, **new_entities}
            cctx = _Context()
            cgroups = _GroupNamer(cdoc, cknown)
            for s, e in _sentences(cdoc, 0, len(c.text)):
                for cl in _sentence_claims(cdoc, c.text, s, e, cm, cknown, cgroups, cctx, holders[c.number],
                                           set(), TextSource.COMMENT, c.number, attribute=False):
                    cl.attributed = cl.holder_key != author
                    claims.append(cl)
            used = {c.holder_key for c in claims}
            new_entities.update({k: v for k, v in cgroups.created.items() if k not in new_entities and k in used})
    return claims, list(new_entities.values())


def _quoted_claims(claims: list[Claim], quotes: list[Quotation], run_speaker: dict[int, str],
                   floor_given: dict[int, str], reported: dict[int, str], blocks, author: str) -> None:
    """Claims in someone's quoted words are theirs. A quotation whose sentences name no speaker
    takes the speaker of the quotation before it in its paragraph, or, when it opens its paragraph,
    the one a "He said:" paragraph gave the floor to, else the last speaker (quoted or reported) of
    the paragraph before."""
    speakers: dict[int, str] = {}
    last_by_block: dict[int, str] = {}
    for q in quotes:
        who = run_speaker.get(q.run) or speakers.get(q.run)
        if who is None:
            prev = [p for p in quotes if p.block == q.block and p.end <= q.start and speakers.get(p.run)]
            if prev:
                who = speakers[prev[-1].run]
            elif q.opens_block:
                who = floor_given.get(q.block) or _previous_paragraph_speaker(q.block, last_by_block, reported, blocks)
        if who:
            speakers[q.run] = who
            last_by_block[q.block] = who
    for c in claims:
        if c.source is not TextSource.BODY:
            continue
        share, q = inside_share(quotes, c.start, c.end)
        who = speakers.get(q.run) if q is not None else None
        if who is None or who == c.holder_key:
            continue
        if share >= 0.8 or (share >= 0.5 and c.holder_key in (author, "")):
            c.holder_key, c.attributed = who, True


def _turn_claims(claims: list[Claim], page: ParsedPage, known: dict[str, Entity], author: str) -> None:
    """In a transcript or interview, what the writer would otherwise hold in a paragraph opened by a
    speaker's label ("Adam: …", "POSTOL: …") is the speaker's."""
    people = {}
    for ent in known.values():
        if ent.kind is EntityKind.PERSON:
            for name in {ent.name} | set(ent.alternate_names):
                people[name] = ent.key
    turns = speaker_turns(page.blocks, people)
    if not turns:
        return
    starts = [page.blocks[b].start for b in sorted(turns)]
    order = sorted(turns)
    for c in claims:
        if c.source is not TextSource.BODY or c.holder_key not in (author, ""):
            continue
        k = bisect.bisect_right(starts, c.start) - 1
        if k >= 0 and c.start < page.blocks[order[k]].end and turns[order[k]] != author:
            c.holder_key, c.attributed = turns[order[k]], True


def _previous_paragraph_speaker(b: int, last_by_block: dict[int, str], reported: dict[int, str],
                                blocks) -> str | None:
    for k in range(b - 1, -1, -1):
        if blocks[k].kind is BlockKind.PARAGRAPH:
            return last_by_block.get(k) or reported.get(k)
    return None


def _people_in(text: str, people_re, people_by_name) -> list[tuple[Entity, int, int, str]]:
    if people_re is None:
        return []
    return [(people_by_name[m.group(0)], m.start(), m.end(), "partial") for m in people_re.finditer(text)]


@dataclass(frozen=True)
class _LightMention:
    entity_key: str
    start: int
    end: int
    how: str = "name"
    text: str = ""


_SENT_CACHE: dict[int, tuple[Doc, str, list[tuple[int, int]]]] = {}


def _sentence_bounds(doc: Doc) -> tuple[str, list[tuple[int, int]]]:
    """The doc's text and (start_char, end_char) of every sentence, computed once per doc
    (spaCy caches neither: `doc.sents` and `doc.text` each walk every token)."""
    hit = _SENT_CACHE.get(id(doc))
    if hit is not None and hit[0] is doc:
        return hit[1], hit[2]
    text = doc.text
    bounds = [(s.start_char, s.end_char) for s in doc.sents]
    if len(_SENT_CACHE) > 64:
        _SENT_CACHE.clear()
    _SENT_CACHE[id(doc)] = (doc, text, bounds)
    return text, bounds


def _sentences(doc: Doc, start: int, end: int) -> list[tuple[int, int]]:
    """Sentence spans inside [start, end), footnote-only pieces glued to the sentence before."""
    out: list[tuple[int, int]] = []
    text, bounds = _sentence_bounds(doc)
    first = max(0, bisect.bisect_right(bounds, (start, -1)) - 1)  # the sentence holding `start`
    for sent_start, sent_end in bounds[first:]:
        if sent_end <= start:
            continue
        if sent_start >= end:
            break
        s, e = max(sent_start, start), min(sent_end, end)
        if e <= s:
            continue
        piece = text[s:e].strip()
        if out and (re.fullmatch(r"(?:\[\d{1,3}\]\s*)+", piece) or not re.search(r"\w", piece)):
            out[-1] = (out[-1][0], e)
            continue
        # spaCy sometimes splits after an abbreviation or before a closing quote: glue lower-case starts
        if out and piece[:1].islower() and not text[out[-1][0]:out[-1][1]].rstrip().endswith((".", "!", "?")):
            out[-1] = (out[-1][0], e)
            continue
        out.append((s, e))
    return out


def _sentence_claims(doc: Doc, text: str, s: int, e: int, mentions, known: dict[str, Entity], groups: "_GroupNamer",
                     ctx: _Context, author: str, author_keys: set[str], source: TextSource, index: int,
                     attribute: bool = True, default_holder: str | None = None) -> list[Claim]:
    s, e = _trim(text, s, e)
    if e <= s:
        return []
    sent_text = text[s:e]
    span = _tokens(doc, s, e)
    claims: list[Claim] = []
    if span is None or len(span) == 0:
        return []
    is_claim = (
        not _is_question(sent_text)
        and (_words(sent_text) >= 4 or (_words(sent_text) == 3 and _has_clause(span) and sent_text.endswith(".")))
        and len(sent_text) >= 15
        and not _BOILERPLATE.search(sent_text)
        and not _META.search(sent_text)
        and (_has_clause(span) or (_words(sent_text) >= 4 and sent_text.rstrip("”\"’')").endswith((".", "!"))))
        and not _is_bio(span, mentions, author_keys)
    )
    if not is_claim:
        _update_context(span, mentions, known, groups, ctx)
        return []
    parts = _split_clauses(doc, text, span) if attribute else [(s, e, None)]
    resolved: list[tuple[int, int, Span, _Holder | None, bool]] = []
    for cs, ce, forced in parts:
        cs, ce = _trim(text, cs, ce)
        cspan = _tokens(doc, cs, ce) if ce > cs else None
        if cspan is None or len(cspan) == 0:
            continue
        if isinstance(forced, _Pending):
            holder = _resolve_np(forced.tok, cspan, mentions, known, groups, ctx, author)
        else:
            holder = _attribution(cspan, mentions, known, groups, ctx, author) if attribute else None
            if holder is None and default_holder:
                holder = _Holder(default_holder)
        _update_context(cspan, mentions, known, groups, ctx)
        resolved.append((cs, ce, cspan, holder, forced is not None))
    if len(resolved) > 1 and not any(r[4] for r in resolved):
        keys = {r[3].key if r[3] else None for r in resolved}
        if len(keys) == 1:  # same holder everywhere: the sentence is one claim
            holder = resolved[0][3]
            resolved = [(s, e, span, holder, False)]
    for cs, ce, cspan, holder, _ in resolved:
        ctext = text[cs:ce]
        if _words(ctext) < 3 or (len(resolved) > 1 and not _has_clause(cspan)):
            continue
        about = _about(cs, ce, mentions, known)
        hkey = author
        if holder is not None and holder.key:
            hkey = holder.key
            if holder.referent_state and holder.referent_state not in about:
                states = [k for k in about if k.startswith("state/")]
                about = states + [holder.referent_state] + [k for k in about if not k.startswith("state/")]
        claims.append(Claim(
            text=ctext, start=cs, end=ce, holder_key=hkey, about_keys=about,
            modality=modality(cspan), source=source, index=index,
            attributed=bool(hkey) and hkey != author,
        ))
    return claims


def _is_bio(span: Span, mentions, author_keys: set[str]) -> bool:
    """'Dr. X is a professor at …' inside the body: the author's bio, not a claim."""
    if not author_keys:
        return False
    head = span.text[:80]
    if re.search(r"\(@\w+|\bis an? (?:professor|fellow|lecturer|researcher|specialist|analyst|editor|"
                 r"journalist|writer|columnist)\b", span.text):
        for m in mentions:
            if m.entity_key in author_keys and span.start_char <= m.start < span.start_char + 80:
                return True
        if re.match(r"^(?:Dr\.?|Prof\.?|Professor)\s", head):
            return True
    return False


# ------------------------------------------------------------------ clauses


def _split_clauses(doc: Doc, text: str, span: Span) -> list[tuple[int, int, _Holder | None]]:
    """Split a sentence into clauses when a parenthetical attribution or a coordination
    gives its parts different holders. Returns (start, end, forced_holder) triples; the
    forced holder is None when it is to be decided by `_attribution`."""
    s, e = span.start_char, span.end_char
    # 1. parenthetical attribution: "A, they believe, and B." / "A, they believe, and not C."
    for tok in span:
        if tok.lemma_.lower() not in REPORT_VERBS or tok.pos_ not in ("VERB", "AUX"):
            continue
        subj = [c for c in tok.children if c.dep_ in ("nsubj",)]
        if not subj:
            continue
        sj = subj[0]
        left_comma = doc[sj.left_edge.i - 1] if sj.left_edge.i - 1 >= span.start else None
        right = doc[tok.i + 1] if tok.i + 1 < span.end else None
        if left_comma is None or left_comma.text != ",":
            continue
        content_before = tok.dep_ == "parataxis" or any(
            c.dep_ == "ccomp" and c.i < tok.i for c in tok.children)
        if not content_before:
            continue
        # "…, one German lawmaker wrote last year." : skip adverbials that belong to the verb
        j = tok.i + 1
        while j < span.end and doc[j].text not in (",", ".", "!", ";") and doc[j].dep_ in (
                "npadvmod", "advmod", "prep", "pobj", "det", "amod", "nummod", "compound", "prt", "dative"):
            j += 1
        right = doc[j] if j < span.end else None
        if right is None or right.text not in (",", ".", "!", ";"):
            continue
        holder_tok = sj
        first = (s, left_comma.idx)
        if right.text == ",":
            # what follows: an independent clause ("and Korea should be unified …") or a continuation
            rest_start = right.i + 1
            if rest_start < span.end and doc[rest_start].dep_ == "cc":
                rest_start += 1
            rest = doc[rest_start:span.end]
            rest_roots = [t for t in rest if t.head.i < rest_start or t.head.i >= span.end]
            if len(rest) and _is_full_clause(rest) and any(
                    r.pos_ in ("VERB", "AUX") and _has_subject(r) for r in rest_roots):
                return [(first[0], first[1], _Pending(holder_tok)),
                        (rest.start_char, e, _Pending(holder_tok))]
            return [(s, e, _Pending(holder_tok))]
        return [(s, e, _Pending(holder_tok))]
    # 2. coordination / dash / semicolon between independent clauses
    cuts: list[tuple[int, int]] = []  # (end of left part, start of right part)
    root = span.root
    for child in root.children:
        if child.dep_ != "conj" or child.pos_ not in ("VERB", "AUX") or child.i <= root.i:
            continue
        if not _has_subject(child):
            continue
        ccs = [c for c in root.children if c.dep_ == "cc" and root.i < c.i < child.left_edge.i + 1]
        ccs += [c for c in child.children if c.dep_ == "cc" and c.i < child.i]
        ccs = [c for c in ccs if c.i > 0 and doc[c.i - 1].text in (",", ";")]
        if not ccs:
            continue
        cc = max(ccs, key=lambda c: c.i)
        comma = doc[cc.i - 1]
        before = doc[comma.i - 1] if comma.i - 1 >= span.start else None
        if before is not None and before.dep_ == "conj" and before.head.pos_ in ("NOUN", "PROPN") and not any(
                c.dep_ == "cc" and c.i < before.i for c in before.head.children):
            continue  # "India, Japan, and Australia": the last item of a list, whatever the parse says
        left = doc[span.start:comma.i]
        right = doc[cc.i + 1:span.end]
        if len(left) and len(right) and _is_full_clause(left) and _is_full_clause(right):
            cuts.append((comma.idx, right.start_char))
    # ", and <subject> <verb>" that the parser hung elsewhere (ccomp/parataxis of the root)
    for v in span:
        if v.head.i != root.i or v.i <= root.i or v.dep_ not in ("ccomp", "parataxis") or v.pos_ not in ("VERB", "AUX"):
            continue
        if not _has_subject(v) or any(c.dep_ == "mark" for c in v.children):
            continue
        le = v.left_edge.i
        if le - 2 >= span.start and doc[le - 1].dep_ == "cc" and doc[le - 2].text == ",":
            left = doc[span.start:le - 2]
            right = doc[le:span.end]
            if _is_full_clause(left) and _is_full_clause(right):
                cuts.append((doc[le - 2].idx, right.start_char))
    # "A, and <subject> <root>": the parser made the first clause an adverbial of the second
    subj = [c for c in root.children if c.dep_ in _SUBJ]
    if subj:
        le = subj[0].left_edge.i
        if le - 2 > span.start and doc[le - 1].dep_ == "cc" and doc[le - 2].text == ",":
            left = doc[span.start:le - 2]
            right = doc[le:span.end]
            lroots = [t for t in left if t.head.i >= left.end or t.head.i < left.start]
            if _is_full_clause(left) and _is_full_clause(right) and all(
                    not any(c.dep_ == "mark" for c in r.children) for r in lroots if r.pos_ in ("VERB", "AUX")):
                cuts.append((doc[le - 2].idx, right.start_char))
    # "X argues that A, and B": B (own subject, no "that") is the writer's, not X's
    if root.lemma_.lower() in REPORT_VERBS | AS_VERBS:
        for comp in root.children:
            if comp.dep_ != "ccomp" or comp.i < root.i:
                continue
            for v2 in comp.children:
                if v2.dep_ != "conj" or v2.pos_ not in ("VERB", "AUX") or not _has_subject(v2):
                    continue
                if any(c.dep_ == "mark" for c in v2.children):
                    continue
                if any(c.dep_ in _SUBJ and c.lower_ in _ANAPHORIC_SUBJECTS for c in v2.children):
                    continue  # "…, and many still blame …": the same holder goes on
                ccs = [c for c in comp.children if c.dep_ == "cc" and comp.i < c.i < v2.i and c.i > 0
                       and doc[c.i - 1].text == ","]
                if ccs:
                    cc = ccs[-1]
                    left = doc[span.start:cc.i - 1]
                    right = doc[cc.i + 1:span.end]
                    if _is_full_clause(left) and _is_full_clause(right):
                        cuts.append((doc[cc.i - 1].idx, right.start_char))
    for tok in span:
        if tok.text in (";",) or (tok.text in ("—", "–") and _single_dash(span, tok)):
            left = doc[span.start:tok.i]
            right = doc[tok.i + 1:span.end]
            if len(left) and len(right) and _is_full_clause(left) and _is_full_clause(right):
                cuts.append((tok.idx, right.start_char))
    if not cuts:
        return [(s, e, None)]
    cuts.sort()
    parts: list[tuple[int, int]] = []
    cur = s
    for left_end, right_start in cuts:
        if left_end <= cur or right_start <= left_end:
            continue
        parts.append((cur, left_end))
        cur = right_start
    parts.append((cur, e))
    return [(a, b, None) for a, b in parts] if len(parts) > 1 else [(s, e, None)]


_SUBJ = ("nsubj", "nsubjpass", "expl", "csubj", "csubjpass")
_ANAPHORIC_SUBJECTS = {"many", "some", "most", "they", "he", "she", "others", "few", "several", "all", "both",
                       "we", "i"}


def _has_subject(v: Token) -> bool:
    """v has its own subject (spaCy sometimes hangs it on the auxiliary)."""
    return any(c.dep_ in _SUBJ or (c.dep_ in ("aux", "auxpass") and any(x.dep_ in _SUBJ for x in c.children))
               for c in v.children)


def _is_full_clause(span: Span) -> bool:
    """An independent clause that can stand as a claim: subject, verb, four words, no dangling end."""
    if not _has_clause(span) or _words(span.text) < 4:
        return False
    last = [t for t in span if not t.is_punct]
    if not last or last[-1].lower_ in {"why", "is", "are", "was", "that", "because", "here", "how", "what"}:
        return False
    # a subordinate clause ("just as they view …", "because …") does not stand alone
    roots = [t for t in span if t.head.i < span.start or t.head.i >= span.end or t.head.i == t.i]
    for r in roots:
        if any(c.dep_ == "mark" and c.i < r.i for c in r.children) and r.dep_ in ("advcl", "ccomp", "acl"):
            return False
    return True


def _single_dash(span: Span, tok: Token) -> bool:
    dashes = [t for t in span if t.text in ("—", "–") and t.whitespace_ and t.i > span.start
              and span.doc[t.i - 1].whitespace_]
    return len(dashes) == 1 and tok in dashes


class _Pending(_Holder):
    """A holder to resolve from a token once the clause's context is known."""

    def __init__(self, tok: Token):
        super().__init__(key="")
        self.tok = tok


# --------------------------------------------------------------- attribution


def _attribution(span: Span, mentions, known, groups: "_GroupNamer", ctx: _Context, author: str) -> _Holder | None:
    # 0. a holder fixed by clause splitting
    # 1. "according to X"
    for tok in span:
        if tok.lower_ == "according":
            for to in tok.children:
                if to.lower_ == "to":
                    for obj in to.children:
                        if obj.dep_ == "pobj":
                            h = _resolve_np(_report_source(obj), span, mentions, known, groups, ctx, author)
                            if h:
                                return h
    # 2. clause-initial "To X," (To them, …)
    first = span[0]
    k = 0
    while k < len(span) and span[k].dep_ in ("cc", "advmod", "punct") and span[k].lower_ != "to":
        k += 1
    if k < len(span) - 2 and span[k].lower_ in ("to", "for"):
        objs = [c for c in span[k].children if c.dep_ == "pobj"]
        if span[k].lower_ == "for":  # "For them, …" (not "For Japan, the days are numbered")
            objs = [o for o in objs if o.lower_ in ("them", "him", "her", "us", "me")]
        if objs and objs[0].right_edge.i + 1 < span.end and span.doc[objs[0].right_edge.i + 1].text == ",":
            h = _resolve_np(objs[0], span, mentions, known, groups, ctx, author)
            if h:
                return h
    del first
    # 3. a reporting verb at the top of the clause with a subject and a content complement
    tops = _top_verbs(span)
    for v in list(tops):
        # "X likes to say that …", "X went on to argue that …": the reporting verb is an xcomp
        if v.lemma_.lower() in _XCOMP_HEADS:
            tops += [c for c in v.children if c.dep_ == "xcomp" and c.lemma_.lower() in REPORT_VERBS
                     and not any(x.dep_ == "nsubj" for x in c.children)]
        # "The junta denied …, saying its forces …", "X issued a statement saying …": a reporting
        # participle speaks for the subject of the verb it hangs on
        tops += [c for c in v.children if c.dep_ in ("advcl", "xcomp") and c.tag_ == "VBG"
                 and c.lemma_.lower() in REPORT_VERBS and span.start <= c.i < span.end and not _has_subject(c)]
    # "The Pentagon insisted that, with no …, Kobane could not be saved": a subject, a reporting
    # verb and "that" open the clause, however the parser hung the rest
    opening = _opening_report_verb(span)
    if opening is not None and opening not in tops:
        tops.insert(0, opening)
    for v in tops:
        lemma = v.lemma_.lower()
        if lemma not in REPORT_VERBS | AS_VERBS | ACT_VERBS:
            continue
        subj = _subject_of(v)
        if subj and (any(c.dep_ == "conj" for c in subj[0].children)
                     or (lemma in NON_AGENTIVE and subj[0].lower_ in ("it", "this", "that", "which"))):
            continue  # "Saudi Arabia and Iran announced …": no single holder; "it explains why …"
        if lemma in ACT_VERBS and lemma not in REPORT_VERBS | AS_VERBS:
            if subj and _public_act(v) and not _narrated_act(v) and not _does_more(v) and not any(
                    c.tag_ == "MD" for c in v.children):
                h = _resolve_np(subj[0], span, mentions, known, groups, ctx, author)
                if h and h.key != author:
                    return h
            continue
        passive = any(c.dep_ in ("nsubjpass", "auxpass") for c in v.children)
        inside = [c for c in v.children if span.start <= c.i < span.end]
        has_content = any(c.dep_ == "ccomp" or (c.dep_ in ("xcomp", "oprd") and lemma in XCOMP_VERBS)
                          for c in inside) or any(
            c.dep_ == "prep" and c.lower_ == PREP_CONTENT.get(lemma) and any(x.dep_ in ("pcomp", "pobj") for x in c.children)
            for c in list(v.children) + [g for o in v.children if o.dep_ == "dobj" for g in o.children]) or (
            v.lemma_.lower() in AS_VERBS and any(c.dep_ == "prep" and c.lower_ == "as" for c in v.children)) or (
            any(c.dep_ == "punct" and c.text in (":",) for c in v.children)) or (
            re.search(r"^[^:]{0,40}:\s+that\b", _sentence_bounds(span.doc)[0][v.idx:span.end_char]) is not None) or (
            v is opening) or (lemma in ACT_VERBS and _public_act(v)) or _says_clause(v)
        hypothetical = any(c.tag_ == "MD" and c.lower_ in ("would", "could", "might", "may", "will", "should", "must")
                           for c in v.children)
        if subj and has_content and not hypothetical and (_narrated_act(v) or (lemma not in REPORT_VERBS and _does_more(v))):
            continue  # "X declared that A, and then watched as B": the writer narrates what X did
        if subj and has_content and not hypothetical:
            h = _resolve_np(subj[0], span, mentions, known, groups, ctx, author)
            if h:
                return h
        if passive:
            by = _by_agent(v)
            if by is not None:
                h = _resolve_np(by, span, mentions, known, groups, ctx, author)
                if h:
                    return h
    # 4. parenthetical reporting verb ("X, the official said, …") resolved inside this clause
    for tok in span:
        if tok.dep_ == "parataxis" and tok.lemma_.lower() in REPORT_VERBS:
            subj = [c for c in tok.children if c.dep_ == "nsubj"]
            if subj:
                h = _resolve_np(subj[0], span, mentions, known, groups, ctx, author)
                if h:
                    return h
    # 5. a stance adjective with a content clause: "Beijing is confident that …", "X is convinced that …"
    for v in _top_verbs(span):
        if v.lemma_ != "be":
            continue
        for a in v.children:
            if a.dep_ == "acomp" and a.lemma_.lower() in STANCE_ADJECTIVES and any(
                    c.dep_ == "ccomp" for c in list(a.children) + list(v.children)):
                subj = _subject_of(v)
                if subj and not any(c.dep_ == "conj" for c in subj[0].children):
                    h = _resolve_np(subj[0], span, mentions, known, groups, ctx, author)
                    if h:
                        return h
    return None


# Speech acts and public stances whose subject holds what they carry even without a content clause
# ("Singapore has condemned the idea of …", "the Taliban claimed responsibility for …", "the government
# has ruled out Taliban involvement", "Moscow has cited technical reasons", "X called for calm"). Acts of
# approval ("welcomed", "praised") and criticism "for" an act stay the writer's narration.
ACT_VERBS = {"condemn", "reject", "deny", "dismiss", "denounce", "decry", "refute", "dispute", "cite", "claim", "voice",
             "rule", "call", "blast", "slam"}
STANCE_ADJECTIVES = {"confident", "convinced", "certain", "sure", "adamant", "optimistic", "pessimistic", "hopeful",
                     "concerned", "worried", "skeptical", "sceptical", "aware", "afraid", "fearful"}


def _does_more(v: Token) -> bool:
    """'Ankara condemned the invasion, closed the Straits and sold drones': a speech act listed with
    the subject's other deeds is the writer's narration of what the subject did."""
    return any(c.dep_ == "conj" and c.pos_ == "VERB" and not _has_subject(c)
               and c.lemma_.lower() not in REPORT_VERBS | AS_VERBS | ACT_VERBS for c in v.children)


def _public_act(v: Token) -> bool:
    """v is a speech act with its object: "ruled out X", "called for/on X", "claimed responsibility", "voiced support"."""
    lemma = v.lemma_.lower()
    kids = list(v.children)
    if lemma == "rule":
        return any(c.dep_ == "prt" and c.lower_ == "out" for c in kids)
    if lemma == "call":
        return any(c.dep_ in ("prep", "prt") and c.lower_ in ("for", "on") for c in kids)
    if lemma == "claim":
        return any(c.dep_ in ("dobj", "ccomp") for c in kids)
    return any(c.dep_ in ("dobj", "ccomp", "xcomp") or (c.dep_ == "prep" and c.lower_ in ("as", "for", "of"))
               for c in kids)


def _subject_of(v: Token) -> list[Token]:
    """The subject of v: its own, a compound the parser hung on it ("state media accuse"), or for a
    coordinated or dependent verb without one, the subject of the verb it hangs on ("Israel did not
    appear …, but … rejected the claims"; "X likes to say"; "…, saying")."""
    subj = [c for c in v.children if c.dep_ == "nsubj"]
    if len(subj) > 1 and all(c.i < v.i for c in subj):
        # "Managing Director of X, Rita Hilton says …": the parser gives the verb two subjects, the
        # title and the name after it; the one next to the verb is the speaker
        subj = sorted(subj, key=lambda c: -c.i)
    if not subj:
        subj = [c for c in v.children if c.dep_ == "compound" and c.i < v.i and c.pos_ in ("NOUN", "PROPN")]
    if not subj and v.dep_ in ("xcomp", "conj", "advcl") and v.head.i != v.i and (
            v.dep_ != "advcl" or v.tag_ == "VBG") and (v.dep_ != "conj" or _continues_speech(v)):
        subj = [c for c in v.head.children if c.dep_ == "nsubj" and c.lower_ not in ("it", "this", "that")]
    return subj


def _continues_speech(v: Token) -> bool:
    """A coordinated verb goes on with its subject's speech ("X said A and warned B") or turns
    against what the subject did ("X did not appear, but … rejected …"); after another kind of act
    ("Turkey joined NATO and never considered …") it is the writer's narration."""
    head = v.head.lemma_.lower()
    return head in REPORT_VERBS | AS_VERBS | ACT_VERBS or any(
        t.lower_ == "but" for t in v.doc[v.head.i + 1:v.i] if t.dep_ == "cc")


def _says_clause(v: Token) -> bool:
    """ "He says data from X show that …": a content clause without "that" that the parser split into
    an object of "say" and a verb hung after it."""
    if v.lemma_.lower() != "say":
        return False
    objs = [c for c in v.children if c.dep_ == "dobj" and c.pos_ in ("NOUN", "PROPN")]
    return bool(objs) and any(c.dep_ in ("advcl", "ccomp") and c.pos_ in ("VERB", "AUX") and c.i > objs[0].i
                              and any(x.dep_ in ("ccomp", "acomp", "attr", "dobj", "xcomp") for x in c.children)
                              for c in v.children)


def _opening_report_verb(span: Span) -> Token | None:
    """A reporting verb right after the clause's opening subject and before "that" (the parser
    sometimes makes it a dependent of the content clause)."""
    for tok in span[:12]:
        if tok.lemma_.lower() in REPORT_VERBS and tok.pos_ in ("VERB", "AUX"):
            subj = [c for c in tok.children if c.dep_ == "nsubj" and c.i < tok.i]
            nxt = [t for t in span.doc[tok.i + 1:min(span.end, tok.i + 4)] if t.dep_ not in ("advmod", "punct")]
            if subj and subj[0].left_edge.i == span.start and nxt and nxt[0].lower_ == "that":
                return tok
            return None
    return None


# "according to a report by X", "according to X's estimates": the source is X.
REPORT_NOUNS = {"report", "study", "survey", "estimate", "analysis", "assessment", "paper", "poll", "figure",
                "data", "statement", "review", "investigation", "calculation", "count", "tally", "research",
                "briefing", "account", "document", "memo", "note", "readout", "communique", "communiqué",
                "transcript", "index", "ranking", "database", "audit"}


def _report_source(obj: Token) -> Token:
    """'a report by the Kyiv School of Economics' -> 'School'; 'X's estimates' -> 'X'; otherwise obj."""
    if obj.lemma_.lower() not in REPORT_NOUNS:
        return obj
    for c in obj.children:
        if c.dep_ == "poss":
            return c
    for c in obj.children:
        if c.dep_ == "prep" and c.lower_ in ("by", "from", "of", "in"):  # "a report in the Post"
            for o in c.children:
                if o.dep_ == "pobj":
                    return o
    for c in obj.children:
        if c.dep_ in ("compound", "nmod") and c.pos_ == "PROPN":
            return c  # "according to Pentagon estimates"
    return obj


# Verbs whose xcomp reporting verb is the subject's own statement ("likes to say", "went on to argue").
_XCOMP_HEADS = {"like", "love", "continue", "tend", "keep", "go", "begin", "start", "use", "repeat", "hasten"}
STANCE_VERBS = {"disagree", "agree", "differ", "dissent", "object", "demur"}
STANCE_NOUNS = {"view", "position", "stance", "line", "approach", "perspective", "attitude", "outlook", "reading"}


def _view_introduction(span: Span, mentions, known, groups: "_GroupNamer", ctx: _Context, author: str) -> str | None:
    """'South Korean progressives sharply disagree.' / 'Conservatives take a fairly traditional view of …':
    a sentence that announces someone's view without stating it; the rest of its paragraph states it."""
    root = span.root
    lemma = root.lemma_.lower()
    if any(c.dep_ in ("ccomp", "xcomp") for c in root.children):
        return None
    stance = lemma in STANCE_VERBS or (
        lemma in ("take", "hold", "have", "share", "adopt", "see") and any(
            c.dep_ == "dobj" and c.lemma_.lower() in STANCE_NOUNS | {"thing", "world", "matter"} for c in root.children))
    if not stance:
        return None
    subj = [c for c in root.children if c.dep_ == "nsubj"]
    if not subj:
        return None
    h = _resolve_np(subj[0], span, mentions, known, groups, ctx, author)
    if h is None or not h.key or h.key == author:
        return None
    return h.key


def _narrated_act(v: Token) -> bool:
    """The reporting subject also does something else after ', and (then)': a subjectless
    non-reporting predicate coordinated after a comma (spaCy often hangs it on the content clause)."""
    doc = v.doc
    for comp in [v] + [c for c in v.children if c.dep_ == "ccomp" and c.i > v.i]:
        for x in comp.children:
            if x.dep_ != "conj" or x.pos_ != "VERB" or x.i <= comp.i or _has_subject(x):
                continue
            if x.lemma_.lower() in REPORT_VERBS | AS_VERBS or any(c.dep_ in ("ccomp", "aux", "auxpass") for c in x.children):
                continue
            ccs = [c for c in comp.children if c.dep_ == "cc" and comp.i < c.i < x.i and c.i > 0 and doc[c.i - 1].text == ","]
            if ccs:
                return True
    return False


def _by_agent(v: Token) -> Token | None:
    for c in v.subtree:
        if c.lower_ == "by" and c.dep_ in ("agent", "prep"):
            objs = [o for o in c.children if o.dep_ == "pobj"]
            if objs and c.head.i - v.i < 6:
                return objs[0]
    return None


def _top_verbs(span: Span) -> list[Token]:
    """The clause's root(s) and their verb conjuncts, in order."""
    roots = [t for t in span if t.head.i < span.start or t.head.i >= span.end or t.head.i == t.i]
    out: list[Token] = []
    for r in roots:
        if r.pos_ in ("VERB", "AUX") or r.dep_ in ("ROOT", "conj", "ccomp"):
            out.append(r)
            out += [c for c in r.children if c.dep_ == "conj" and c.pos_ in ("VERB", "AUX") and span.start <= c.i < span.end]
    return out


def _resolve_np(tok: Token, span: Span, mentions, known: dict[str, Entity], groups: "_GroupNamer", ctx: _Context,
                author: str) -> _Holder | None:
    low = tok.lower_
    if low in _PRONOUN_GROUP:
        return _Holder(ctx.last_group) if ctx.last_group else None
    if low in _PRONOUN_PERSON:
        same = _person_subject_before(tok, mentions, known, groups)
        if same:
            return _Holder(same)
        return _Holder(ctx.last_person) if ctx.last_person else None
    if low in _PRONOUN_THING:
        if ctx.last_thing:
            return _Holder(ctx.last_thing, referent_state=ctx.last_thing if ctx.last_thing.startswith("state/") else None)
        return None
    if low in _PRONOUN_AUTHOR:
        return _Holder(author) if author else None
    key = _np_entity(tok, mentions, known, groups)
    definite = any(c.lower_ in ("the", "this") for c in tok.children if c.dep_ == "det")
    if key is None and low in _PERSON_ROLE_NOUNS and ctx.last_person and definite:
        # "the diplomat said", "the minister added": the person last named as a subject
        return _Holder(ctx.last_person)
    if key is None and definite and tok.lemma_.lower() in _ORG_ROLE_NOUNS:
        # "the ministry added", "the paper also blamed …", "the group has said": the organisation
        # of that kind the text named last
        key = _recent_organization(tok, mentions, known)
    if key is None and definite:
        key = _bare_body_state(tok, ctx)  # "the junta denied …" after "Myanmar's junta"
    return _Holder(key) if key else None


# Nouns that, with "the", refer back to an organisation of their kind: noun -> words of its name
# (or its kind) that make an organisation that kind.
_ORG_ROLE_NOUNS = {
    "ministry": {"ministry", "department"}, "department": {"department", "ministry"},
    "paper": {"news", "times", "post", "daily", "journal", "herald", "tribune", "gazette", "paper"},
    "newspaper": {"news", "times", "post", "daily", "journal", "herald", "tribune", "gazette", "paper"},
    "agency": {"agency"}, "broadcaster": {"news", "tv", "radio", "broadcasting"},
    "group": {"group", "army", "front", "movement", "brigade", "militia", "forces", "party", "organisation",
              "organization", "network", "coalition", "hamas", "hezbollah", "taliban"},
    "militia": {"army", "front", "movement", "brigade", "militia", "forces"},
    "junta": {"military", "army", "junta", "council"}, "military": {"military", "army", "forces"},
    "army": {"army", "military", "forces"}, "party": {"party"}, "movement": {"movement"},
    "committee": {"committee"}, "council": {"council"}, "commission": {"commission"}, "court": {"court"},
    "company": {"company", "corporation", "inc", "group"}, "firm": {"company", "corporation", "inc", "group", "bank"},
    "bank": {"bank", "fund"}, "organisation": set(), "organization": set(), "alliance": {"alliance", "nato"},
    "bloc": {"union", "bloc"}, "body": set(), "institute": {"institute", "institution"},
    "watchdog": {"agency", "organisation", "organization", "commission"},
}
_STATE_BODY_NOUNS = {"junta", "military", "ministry", "department"}
_ORG_KIND_OF_NOUN = {"paper": "news_outlet", "newspaper": "news_outlet", "broadcaster": "news_outlet",
                     "group": "political_group", "party": "political_group", "militia": "political_group"}


def _recent_organization(tok: Token, mentions, known: dict[str, Entity]) -> str | None:
    """The organisation of the noun's kind that the text named last before tok (within 2,000 characters)."""
    noun = tok.lemma_.lower()
    words = _ORG_ROLE_NOUNS[noun]
    kind = _ORG_KIND_OF_NOUN.get(noun)
    for m in reversed(mentions):
        if m.end > tok.idx:
            continue
        if tok.idx - m.end > 2000:
            break
        ent = known.get(m.entity_key)
        if ent is None or ent.kind is not EntityKind.ORGANIZATION:
            continue
        if noun in _STATE_BODY_NOUNS and ent.org_kind is not OrgKind.GOVERNMENT_BODY:
            continue  # "the junta" is a state's body, not an armed group named "… Army"
        name_words = {w.lower() for w in re.findall(r"[\w]+", ent.name)}
        if not words or name_words & words or (kind and ent.org_kind is not None and ent.org_kind.value == kind):
            return ent.key
    return None


# Nouns for a person's office or trade that, with "the", refer back to the person last named.
_PERSON_ROLE_NOUNS = {
    "diplomat", "ambassador", "envoy", "minister", "president", "premier", "chancellor", "official", "spokesman",
    "spokeswoman", "spokesperson", "secretary", "senator", "general", "commander", "lawyer", "analyst", "expert",
    "professor", "economist", "researcher", "director", "chairman", "chairwoman", "chief", "leader", "governor",
    "mayor", "admiral", "author", "scholar", "journalist", "reporter", "activist", "adviser", "advisor",
}


def _person_subject_before(tok: Token, mentions, known: dict[str, Entity], groups: "_GroupNamer") -> str | None:
    """'When Lula returned …, he promised …' / 'X's successor, Harry Harris, has been blunter: he told …':
    the last person named as a subject earlier in the pronoun's sentence."""
    found = None
    for t in tok.sent:
        if t.i >= tok.i:
            break
        if t.dep_ in ("nsubj", "nsubjpass") and t.lower_ not in _PRONOUN_PERSON | _PRONOUN_GROUP | _PRONOUN_THING:
            key = _np_entity(t, mentions, known, groups)
            if key and key.startswith("person/"):
                found = key
    return found


def _np_entity(tok: Token, mentions, known: dict[str, Entity], groups: "_GroupNamer") -> str | None:
    """The entity a subject noun phrase names: person, state (also by metonym), organisation or group."""
    left, right = tok.left_edge.idx, tok.right_edge.idx + len(tok.right_edge)
    head_s, head_e = tok.idx, tok.idx + len(tok)
    inside = [m for m in mentions if left <= m.start and m.end <= right]
    # the head itself is (inside) a mention
    for m in inside:
        if m.start <= head_s and head_e <= m.end:
            ent = known.get(m.entity_key)
            if ent is None:
                continue
            if ent.kind is EntityKind.STATE and _is_plural_demonym(m, tok):
                return groups.group_for(tok, inside)
            if ent.kind in (EntityKind.PERSON, EntityKind.STATE, EntityKind.ORGANIZATION, EntityKind.GROUP):
                return ent.key
            return None
    # a title with the person in apposition: "the Secretary General of NATO, Jens Stoltenberg"
    for c in tok.children:
        if c.dep_ == "appos":
            for m in inside:
                if m.start <= c.idx < m.end and m.entity_key.startswith("person/"):
                    return m.entity_key
    if tok.text in _TITLE_HEADS or tok.lemma_.lower() in _TITLE_HEADS:
        people = [m for m in inside if m.entity_key.startswith("person/")]
        if people:
            return people[0].entity_key
    lemma = tok.lemma_.lower()
    before_head = [m for m in inside if m.end <= head_s and known.get(m.entity_key) is not None]
    # "the Daily Express newspaper", "the Xinhua news agency": the organisation named before the
    # noun of its kind
    if lemma in _ORG_ROLE_NOUNS and lemma not in _STATE_BODY_NOUNS:
        for m in before_head:
            if known[m.entity_key].kind is EntityKind.ORGANIZATION and _modifies(tok, m):
                return m.entity_key
    # "State Department officials", "Biden administration officials", "Kremlin sources": people
    # speaking for the body or state named before them (a demonym makes a group: "Turkish officials")
    if lemma in _SOURCE_NOUNS and tok.tag_ in ("NNS", "NNPS"):
        named = [m for m in before_head if getattr(m, "how", "") != "demonym"
                 and known[m.entity_key].kind in (EntityKind.STATE, EntityKind.ORGANIZATION)
                 and _modifies(tok, m)]
        if named:
            return named[0].entity_key
    # "Zimbabwean intelligence reports suggest …", "a US estimate revealed …": the state or body the
    # report comes from (else the writer's summary of a document)
    if lemma in REPORT_NOUNS:
        for m in before_head:
            if known[m.entity_key].kind in (EntityKind.STATE, EntityKind.ORGANIZATION) and _modifies(tok, m):
                return m.entity_key
        return None
    # "the UN's legal counsel", "Nadia Cruz's office": an office speaking for its holder
    if lemma in _OFFICE_NOUNS | _PERSON_ROLE_NOUNS:
        for c in tok.children:
            if c.dep_ == "poss":
                for m in inside:
                    if m.start <= c.idx < m.end and known.get(m.entity_key) is not None and known[m.entity_key].kind in (
                            EntityKind.PERSON, EntityKind.STATE, EntityKind.ORGANIZATION):
                        return m.entity_key
    # "many in Paris", "officials in Washington": people located at a seat of power
    unmodified = not any(c.dep_ in ("amod", "compound") for c in tok.children)
    if (lemma in GROUP_NOUNS or lemma in ("many", "some", "those")) and unmodified:
        for c in tok.children:
            if c.dep_ == "prep" and c.lower_ in ("in", "at"):
                for m in inside:
                    if m.start >= c.idx and m.entity_key.startswith("state/") and getattr(m, "how", "metonym") == "metonym":
                        return m.entity_key
    # "officials at the European Commission", "diplomats at the Foreign Office": the organisation
    if lemma in GROUP_NOUNS and lemma not in _NEEDS_QUALIFIER and tok.tag_ in ("NNS", "NNPS"):
        for c in tok.children:
            if c.dep_ == "prep" and c.lower_ in ("at", "in", "from", "of", "inside", "within"):
                for o in c.children:
                    if o.dep_ != "pobj":
                        continue
                    for m in inside:
                        ent = known.get(m.entity_key)
                        if ent is not None and ent.kind is EntityKind.ORGANIZATION and m.start <= o.idx < m.end:
                            return ent.key
    # "the Seoul administration", "the South Korean government"
    if lemma in GOVERNMENT_NOUNS:
        for m in inside:
            ent = known.get(m.entity_key)
            if ent is not None and ent.kind is EntityKind.STATE and m.end <= head_s:
                return ent.key
    if lemma in GROUP_NOUNS and (tok.tag_ in ("NNS", "NNPS") or lemma in _COLLECTIVE or tok.lower_.endswith("s")):
        return groups.group_for(tok, inside)
    if lemma in GROUP_NOUNS and lemma not in _NEEDS_QUALIFIER and any(
            m.end <= head_s and getattr(m, "how", "") == "demonym" for m in inside):
        return groups.group_for(tok, inside)  # an unnamed source: "one German lawmaker", "a Saudi official"
    plural = tok.tag_ in ("NNS", "NNPS") or (tok.lower_.endswith("s") and tok.pos_ in ("NOUN", "PROPN"))
    if plural and (re.search(r"(?:ists|ites|ians|ans)$", tok.lower_) or any(
            m.end <= head_s and known.get(m.entity_key) is not None and known[m.entity_key].kind is EntityKind.STATE
            and getattr(m, "how", "") == "demonym" for m in inside)):
        return groups.group_for(tok, inside)  # "Eurasianists", "German Atlanticists", "Iranian hardliners"
    return None


_TITLE_HEADS = {"President", "Minister", "Secretary", "General", "Chancellor", "Premier", "Leader", "Chairman",
                "president", "minister", "secretary", "chancellor", "premier", "spokesperson", "spokesman",
                "ambassador", "envoy", "adviser", "advisor", "king", "queen", "emperor", "director", "chief"}
# Nouns for the people or papers that speak for a body ("Pentagon sources", "Kremlin aides").
_SOURCE_NOUNS = {"official", "source", "aide", "spokesman", "spokesperson", "spokeswoman", "staffer", "representative",
                 "envoy"}
# Offices that speak for whoever holds them ("Nadia Cruz's office said", "the UN's legal counsel said").
_OFFICE_NOUNS = {"office", "counsel", "spokesman", "spokesperson", "spokeswoman", "representative", "mission",
                 "delegation", "statement", "team", "campaign", "lawyer", "lawyers", "attorney"}


def _modifies(head: Token, m) -> bool:
    """The mention m sits in the words before head that modify it (compounds, adjectives, a
    possessive: "Biden administration officials", "Zimbabwean intelligence reports"), not in a
    clause or phrase of its own."""
    if m.end > head.idx or m.start < head.left_edge.idx:
        return False
    for t in head.doc[head.left_edge.i:head.i]:
        if t.idx >= m.start and t.dep_ not in ("compound", "amod", "nmod", "poss", "case", "det", "punct", "nummod"):
            return False
    return True


# Party names that keep their capital as modifiers ("Republican senators", not "republican senators").
_PARTY_MODIFIERS = {"republican", "democratic", "democrat", "labour", "tory"}
_COLLECTIVE = {"left", "right", "public", "military", "opposition", "establishment", "intelligentsia", "media",
               "press", "government", "camp", "faction", "youth", "industry", "business"}


def _is_plural_demonym(m, tok: Token) -> bool:
    text = getattr(m, "text", None) or tok.text
    g = load_gazetteer()
    if text not in g.demonym_surfaces:
        return False
    if any(text in v for v in DEMONYM_PLURALS.values()):
        return True
    if text.endswith("s") and text[:-1] in g.demonym_surfaces:
        return True
    # "the Japanese" as a noun
    return tok.pos_ in ("NOUN", "PROPN") and any(c.dep_ == "det" for c in tok.children) and tok.dep_.startswith("nsubj")


def _update_context(span: Span, mentions, known: dict[str, Entity], groups: "_GroupNamer", ctx: _Context) -> None:
    """Remember the latest group, person and state/organisation subjects (for they/he/it)."""
    for tok in span:
        if not tok.dep_.startswith("nsubj"):
            continue
        low = tok.lower_
        if low in _PRONOUN_GROUP | _PRONOUN_PERSON | _PRONOUN_THING | _PRONOUN_AUTHOR:
            continue
        key = _np_entity(tok, mentions, known, groups)
        if key is None:
            continue
        if key.startswith("group/"):
            ctx.last_group = key
        elif key.startswith("person/"):
            ctx.last_person = key
        elif key.startswith(("state/", "org/")):
            ctx.last_thing = key
    for m in mentions:
        if span.start_char <= m.start < span.end_char and m.entity_key.startswith("person/"):
            ctx.last_person = ctx.last_person if ctx.last_person else m.entity_key


# --------------------------------------------------------------------- groups


class _GroupNamer:
    """Builds group entities from noun phrases and merges bare nouns into their qualified form."""

    def __init__(self, doc: Doc, known: dict[str, Entity]):
        self.doc = doc
        self.known = known
        self.g = load_gazetteer()
        self.created: dict[str, Entity] = {}
        # noun lemma -> [(position, name, country)] of the qualified forms ("South Korean conservatives")
        self.qualified: dict[str, list[tuple[int, str, str | None]]] = {}
        for chunk in doc.noun_chunks:
            root = chunk.root
            if root.lemma_.lower() in GROUP_NOUNS and root.tag_ in ("NNS", "NNPS", "NN"):
                name, country = self._name(root)
                if country:
                    self.qualified.setdefault(root.lemma_.lower(), []).append((root.idx, name, country))

    def _name(self, head: Token) -> tuple[str, str | None]:
        mods = [c for c in head.lefts if c.dep_ in ("amod", "compound", "nmod", "npadvmod", "poss")
                and c.lower_ not in ("many", "some", "most", "few", "several", "other", "all")]
        start = min((c.left_edge.i for c in mods), default=head.i)
        toks = [t for t in self.doc[start:head.i + 1] if t.dep_ not in ("det", "predet", "case", "punct")
                and t.lower_ not in ("many", "some", "most", "few", "several", "all")]
        if not toks:
            toks = [head]
        words = [t.text for t in toks]
        if toks[0].lemma_.lower() in GROUP_NOUNS and words[0] not in self.g.demonym_surfaces and not (
                len(toks) > 1 and toks[0].lower_ in _PARTY_MODIFIERS):
            words[0] = words[0][:1].lower() + words[0][1:]  # "Conservatives take …" -> "conservatives"
        name = " ".join(words)
        country = None
        for h in self.g.match(name):
            if h.kind.value in ("demonym", "state"):
                country = state_key(h.target)
                break
        return name, country

    def group_for(self, head: Token, mentions=()) -> str | None:
        name, country = self._name(head)
        if country is None:  # "progressive politicians in Seoul"
            left, right = head.left_edge.idx, head.right_edge.idx + len(head.right_edge)
            for m in mentions:
                if left <= m.start and m.end <= right and m.entity_key.startswith("state/"):
                    country = m.entity_key
                    break
        lemma = head.lemma_.lower()
        bare = len(name.split()) == 1 or (country is None and name.lower() == head.text.lower())
        if lemma in _NEEDS_QUALIFIER and bare and not (head.text in self.g.demonym_surfaces):
            return None
        if bare and country is None:
            options = self.qualified.get(lemma, [])
            if options:  # the nearest qualified form of the same noun
                _, name, country = min(options, key=lambda o: abs(o[0] - head.idx))
        if name in self.g.demonym_surfaces and country is None:
            for h in self.g.match(name):
                country = state_key(h.target)
        key = group_key(name)
        if key not in self.created and key not in self.known:
            self.created[key] = Entity(key=key, kind=EntityKind.GROUP, name=name, country_key=country)
        elif key in self.created and self.created[key].country_key is None and country:
            self.created[key].country_key = country
        return key


# ---------------------------------------------------------------------- about


def _about(s: int, e: int, mentions, known: dict[str, Entity]) -> list[str]:
    states: list[str] = []
    others: list[str] = []
    inside = [m for m in mentions if s <= m.start and m.end <= e]
    for m in inside:
        if getattr(m, "how", "") == "metonym" and any(
                o is not m and o.start <= m.start and m.end <= o.end and (o.end - o.start) > (m.end - m.start)
                and known.get(o.entity_key) is not None and known[o.entity_key].kind is EntityKind.ORGANIZATION
                for o in inside):
            continue  # "Kyiv" inside "Kyiv School of Economics" is not the state
        ent = known.get(m.entity_key)
        kind = ent.kind if ent else None
        target = states if (kind is EntityKind.STATE or m.entity_key.startswith("state/")) else others
        if m.entity_key not in target:
            target.append(m.entity_key)
    return states + others


def _actor_state(ent: Entity, posts_state: dict[str, str], g) -> str | None:
    """The state a person serves (a post the page gives, else people.csv) or a national
    organization belongs to (its country)."""
    if ent.kind is EntityKind.PERSON:
        if ent.key in posts_state:
            return posts_state[ent.key]
        for nm in [ent.name, *sorted(ent.alternate_names)]:
            kp = g.known_person(nm)
            if kp is not None and kp.state in g.states:
                return state_key(kp.state)
        return None
    if ent.kind is EntityKind.PLACE:
        code = PLACE_STATES.get(ent.name)
        return state_key(code) if code in g.states else None
    if ent.kind is EntityKind.ORGANIZATION and ent.country_key and ent.org_kind in (
            OrgKind.GOVERNMENT_BODY, OrgKind.POLITICAL_GROUP):
        return ent.country_key
    if ent.kind is EntityKind.ORGANIZATION and ent.country_key is None and (
            ent.org_kind in (OrgKind.GOVERNMENT_BODY, OrgKind.POLITICAL_GROUP)
            or _FORCE_WORDS & set(ent.name.split())):
        return _state_named_first(ent.name, g)
    return None


# A national force named by its state: "Iranian Revolutionary Guards Corps", "Myanmar Army".
_FORCE_WORDS = {"Army", "Forces", "Force", "Guard", "Guards", "Corps", "Navy", "Police", "Military"}


def _state_named_first(name: str, g) -> str | None:
    """The state whose name or demonym opens an organization's name ("Pakistan Peoples Party")."""
    first = name.split(" ", 1)[0]
    best = None
    for cand, kind, target in g._index.get(first, []):
        if kind.value in ("state", "demonym") and (name == cand or name.startswith(cand + " ")) \
                and target in g.states and (best is None or len(cand) > len(best[0])):
            best = (cand, target)
    return state_key(best[1]) if best else None


def _states_of_actors(claims: list[Claim], mentions, known: dict[str, Entity], posts,
                      new_entities: dict[str, Entity]) -> None:
    """A claim naming a state's leader or official ("Putin", "Trump") or a national body
    ("the Pentagon", "the PPP") is also about that state."""
    from .entities import state_entity
    g = load_gazetteer()
    posts_state = {}
    for post in posts:
        if post.organization_key and post.organization_key.startswith("state/"):
            posts_state.setdefault(post.person_key, post.organization_key)
    for post in posts:  # a post in a national body: "President Bush" of the White House, a party's leader
        org = known.get(post.organization_key or "")
        st = _actor_state(org, {}, g) if org is not None and org.kind is EntityKind.ORGANIZATION else None
        if st:
            posts_state.setdefault(post.person_key, st)
    starts = [m.start for m in mentions]
    for c in claims:
        if c.source is not TextSource.BODY:
            continue
        added: list[str] = []
        for m in mentions[bisect.bisect_left(starts, c.start):]:
            if m.start >= c.end:
                break
            if m.end > c.end or (m.entity_key == c.holder_key and m.entity_key.startswith("person/")):
                continue  # the speaker of "…, Esper said" is who holds the claim, not what it is about
            ent = known.get(m.entity_key)
            st = _actor_state(ent, posts_state, g) if ent is not None else None
            if st and st not in c.about_keys and st not in added:
                added.append(st)
        if not added:
            continue
        for st in added:
            if st not in known and st not in new_entities:
                new_entities[st] = state_entity(g, st.split("/", 1)[1])
        states = [k for k in c.about_keys if k.startswith("state/")]
        c.about_keys = states + added + [k for k in c.about_keys if not k.startswith("state/")]


# A state's own bodies, named bare ("the junta", "the military", "the regime"): the state is
# the one the text named last before the claim.
_STATE_BODIES = {"junta", "military", "army", "regime", "government", "ministry", "parliament",
                 "police", "cabinet", "legislature", "presidency"}
_SAME_BODY = {"junta": "military", "army": "military", "legislature": "parliament"}


def _named_bodies(doc: Doc, mentions, known: dict[str, Entity]) -> list[tuple[int, str, str]]:
    """(offset, body noun, state) of each state body named with its state ("Myanmar's junta")."""
    state_mentions = [m for m in mentions if m.entity_key.startswith("state/")
                      or (known.get(m.entity_key) is not None and known[m.entity_key].kind is EntityKind.STATE)]
    starts = [m.start for m in state_mentions]
    named: list[tuple[int, str, str]] = []
    for t in doc:
        if t.lower_ not in _STATE_BODIES or t.tag_ not in ("NN", "NNS"):
            continue
        left = min([t.idx] + [k.left_edge.idx for k in t.children if k.i < t.i])
        for m in state_mentions[bisect.bisect_left(starts, left):]:
            if m.start >= t.idx:
                break
            named.append((t.idx, _SAME_BODY.get(t.lower_, t.lower_), m.entity_key))
    return named


def _bare_body_state(tok: Token, ctx: "_Context") -> str | None:
    """ "the junta said …": the state of the last "<state> junta" named before it."""
    if tok.lower_ not in _STATE_BODIES or tok.tag_ not in ("NN", "NNS"):
        return None
    if any(k.dep_ in ("amod", "compound", "poss", "nmod", "prep") for k in tok.children):
        return None
    body = _SAME_BODY.get(tok.lower_, tok.lower_)
    return next((n[2] for n in reversed(ctx.bodies) if n[0] < tok.idx and n[1] == body), None)


def _states_of_bare_bodies(claims: list[Claim], doc: Doc, mentions, known: dict[str, Entity]) -> None:
    """ "the junta" refers back to the last "<state> junta" / "<state>'s junta" of the text."""
    named = _named_bodies(doc, mentions, known)
    for c in claims:
        if c.source is not TextSource.BODY:
            continue
        span = _tokens(doc, c.start, c.end)
        if span is None:
            continue
        for t in span:
            if t.lower_ not in _STATE_BODIES or t.tag_ not in ("NN", "NNS"):
                continue
            kids = list(t.children)
            if not any(k.dep_ == "det" and k.lower_ == "the" for k in kids):
                continue
            if any(k.dep_ in ("amod", "compound", "poss", "nmod", "prep") for k in kids):
                continue  # "the Israeli military", "the government of Pakistan"
            if t.dep_ in ("compound", "amod", "nmod"):
                continue  # "the military regime", "the government spokesman"
            st = next((n[2] for n in reversed(named) if n[0] < t.idx and n[1] == _SAME_BODY.get(t.lower_, t.lower_)), None)
            if st and st not in c.about_keys:
                states = [k for k in c.about_keys if k.startswith("state/")]
                c.about_keys = states + [st] + [k for k in c.about_keys if not k.startswith("state/")]


# ------------------------------------------------------------------- modality


def _main_verbs(span: Span) -> list[Token]:
    tops = _top_verbs(span)
    out = list(tops)
    for v in tops:
        descend = v.lemma_.lower() in REPORT_VERBS | AS_VERBS | {"be", "seem", "appear"}
        for c in v.children:
            if c.dep_ in ("ccomp", "xcomp", "parataxis") and span.start <= c.i < span.end and (
                    descend or c.dep_ in ("xcomp", "parataxis") or c.i < v.i):
                out.append(c)
                out += [x for x in c.children if x.dep_ == "conj" and x.pos_ in ("VERB", "AUX")]
            if c.dep_ in ("attr", "dobj", "nsubj") and span.start <= c.i < span.end:
                # content clauses of nouns: "a danger that proxy wars will spread"
                out += [x for x in c.children if x.dep_ in ("acl", "ccomp") and any(
                    m.lower_ == "that" and m.dep_ == "mark" for m in x.children)]
    return out


def modality(span: Span) -> Modality:
    """Modality of a claim clause (see the module docstring for the order of precedence)."""
    text = span.text
    low = text.lower()
    main = _main_verbs(span)
    main_ids = {t.i for t in main}
    # conditional: an if/unless/whenever clause attached to the main clause
    for t in span:
        if t.lower_ in _CONDITIONAL_MARKS and t.dep_ in ("mark", "advmod", "prep", "cc", "advcl"):
            nxt = span.doc[t.i + 1] if t.i + 1 < len(span.doc) else None
            if t.lower_ == "if" and nxt is not None and nxt.lower_ in ("not", "any", "anything"):
                continue
            prev = span.doc[t.i - 1] if t.i > 0 else None
            if t.lower_ == "if" and prev is not None and prev.lower_ in ("as", "what", "whether", "ask", "asked"):
                continue
            head = t.head
            if head.i in main_ids or head.head.i in main_ids or head.dep_ == "advcl":
                return Modality.CONDITIONAL
    if re.match(r"^\s*(?:(?:and|but|so|yet|even|only)\s+)?(?:if|unless|whenever)\b", low):
        return Modality.CONDITIONAL
    if re.search(r"\b(?:as long as|provided that|on condition that|in the event that|only if)\b", low):
        return Modality.CONDITIONAL
    for v in _top_verbs(span):
        if v.lemma_.lower() in DIRECTIVE_VERBS and any(c.dep_ == "xcomp" for c in v.children) and any(
                c.dep_ == "nsubj" for c in v.children):
            return Modality.NORMATIVE  # "X urged Tokyo to carry more of the burden"
    modals = [c for v in main for c in v.children if c.tag_ == "MD" or c.lower_ in ("need", "ought")]
    modals += [m for v in main for c in v.children if c.dep_ in ("aux", "auxpass")
               for m in c.children if m.tag_ == "MD"]  # "should" hung on "be"
    words = {m.lower_ for m in modals}
    if words & {"should", "must", "ought", "shall"} and not (words & {"shall"} and not words & {"should", "must", "ought"}):
        return Modality.NORMATIVE
    for v in main:
        if v.lemma_.lower() in ("need", "have") and any(c.dep_ == "xcomp" and any(
                a.lower_ == "to" for a in c.children) for c in v.children) and v.tag_ != "VBN":
            if v.lemma_.lower() == "need" or v.lower_ in ("has", "have", "had"):
                return Modality.NORMATIVE
    if _NORMATIVE_PHRASES.search(low):
        return Modality.NORMATIVE
    if words & {"may", "might", "could"} or _HEDGE_PHRASES.search(low):
        return Modality.HEDGED
    if words & {"will", "would", "'ll", "’ll", "shall", "wo"} or _PREDICTED_PHRASES.search(low):
        return Modality.PREDICTED
    for v in main:
        if v.lemma_.lower() in ("expect", "predict", "forecast") and any(c.dep_ == "auxpass" for c in v.children):
            return Modality.PREDICTED
    return Modality.ASSERTED
