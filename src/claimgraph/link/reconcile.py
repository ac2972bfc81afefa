"""Reconcile entities with Wikidata: bundled tables first, then a scored search.

Order of evidence
-----------------
1. `bundled_qid`: the bundled, verified tables (`data/countries.csv` for states,
   `data/entities_verified.csv` for the rest) by kind and name or alias, and
   by ISO code for states keyed `state/XXX`. Such a link has score 1.0 and
   method "bundled-table"; it needs no network.
2. `reconcile` for the rest (people, organizations, states, places): candidates
   from `wbsearchentities` on the entity's name, their types, labels,
   descriptions and statements from `wbgetentities`, then

   * a type check against the entity's kind (TYPE TABLE below): a person must
     be an instance of human (Q5); a state an instance of country, sovereign
     state or historical country; an organization an instance of organization
     or one of its subclasses (direct, or through up to three `P279` steps);
     a place anything that is neither a human nor an organization. Candidates
     that fail are rejected, with the reason kept in the decision;
   * a score in [0, 1] for each remaining candidate (SCORING below);
   * a decision: the best candidate is linked (owl:sameAs) when its score is
     at least THRESHOLD; otherwise the candidates with a score of at least
     CANDIDATE_MIN_SCORE are kept as skos:closeMatch for a person to review.

Scoring
-------
For candidate i of the type-checked set C:

    name_i  name similarity: 1.0 exact label, 0.95 exact alias, 0.9 same words
            once initials are dropped, else 0.85 x max(difflib ratio, word Jaccard)
    prior_i 1 / sqrt(1 + search rank): Wikidata's own ordering, gently
    LR_i    8 ^ q_i x 3 ^ n_i x 1.5 ^ k_i: likelihood ratio of the article's
            context, where
            q_i = context QIDs the candidate's statements point to (the article's
                  other linked entities: Russia for Georgia, the employer for a
                  scholar), at most 3;
            n_i = context names, the person's role or country, found in the
                  candidate's description, aliases or the labels of its country /
                  citizenship / position / employer / member-of / capital /
                  location items, at most 3;
            k_i = 1 when an organization's guessed kind (university, think tank...)
                  matches the candidate's class: weak, the guess comes from the
                  name's own words
    w_i     prior_i x name_i^2 x LR_i
    score_i name_i x w_i / (W0 + sum_j w_j),  W0 = 0.5

W0 is the weight of "none of these": the thing the article means may not be
in Wikidata at all (most authors are not), or be a namesake. Because the
shares w_i / (W0 + sum w_j) add up to less than 1, at most one candidate can
score above 0.5, so any threshold above 0.5 links at most one item.

Threshold: 0.8
--------------
The scoring function takes these values at the cases that matter:

    exact label, the only candidate of the right type, no context    0.667  (= 1 / (1 + W0))
      the same, and only its kind (university, ...) agrees           0.75
      the same, and one context name agrees                          0.857
      the same, and one context QID agrees                           0.941
    exact alias (0.95), the only candidate, one context QID          0.888
    two exact candidates of the right type, no context (Georgia)     0.453 and 0.32
      one context name for the first (Tbilisi, its capital's label)  0.713
      one context QID for the first (Russia, which it borders)       0.869

THRESHOLD = 0.8 sits between 0.75 and 0.857: a name alone, even a unique
one of the right type, is never enough (it would link every author to any
namesake on Wikidata); one independent agreement from the article is
needed, and against an equally good rival a name agreement is not enough
(0.71) while a statement that points at another entity of the article is
(0.87). Partial name matches stay below it unless the context is strong.
"""
from __future__ import annotations

import csv
import difflib
import logging
import math
import re
import unicodedata
from dataclasses import dataclass, field
from datetime import datetime, timezone
from functools import lru_cache
from importlib import resources
from urllib.parse import quote

from .. import __version__
from .. import vocab as V
from ..iris import Iris
from ..model import Entity, EntityKind, Extraction, OrgKind
from .wikidata import (
    Candidate,
    WikidataClient,
    WikidataError,
    WikidataOffline,
    aliases,
    claim_values,
    description,
    item_values,
    label,
)

log = logging.getLogger(__name__)

THRESHOLD = 0.8
CANDIDATE_MIN_SCORE = 0.1  # below this a candidate is not worth a reviewer's time
MAX_CANDIDATES = 5  # kept in a decision (and written as skos:closeMatch when not linked)
W0 = 0.5  # weight of "none of these candidates"
LR_QID = 8.0
LR_NAME = 3.0
LR_KIND = 1.5
MAX_HITS = 3
SEARCH_DETAILS = 8  # search hits whose entities are fetched
SUBCLASS_DEPTH = 3
MAX_CLASSES = 60
MAX_RELATED_PER_CANDIDATE = 12

# ------------------------------------------------------------------ type table
HUMAN = "Q5"
STATE_TYPES = {"Q6256": "country", "Q3624078": "sovereign state", "Q3024240": "historical country"}
ORGANIZATION_TYPES = {
    "Q43229": "organization",
    "Q3918": "university",
    "Q5225895": "think tank",
    "Q192283": "news agency",
    "Q7278": "political party",
    "Q11032": "newspaper",
    "Q327333": "government agency",
    "Q484652": "international organization",
}
ORG_KIND_TYPES: dict[OrgKind, set[str]] = {
    OrgKind.UNIVERSITY: {"Q3918"},
    OrgKind.THINK_TANK: {"Q5225895"},
    OrgKind.NEWS_OUTLET: {"Q192283", "Q11032"},
    OrgKind.GOVERNMENT_BODY: {"Q327333"},
    OrgKind.INTERNATIONAL_ORGANIZATION: {"Q484652"},
    OrgKind.POLITICAL_GROUP: {"Q7278"},
}
# Statements whose items' labels are read as context evidence: country (P17),
# citizenship (P27), capital (P36), position held (P39), employer (P108),
# located in (P131), headquarters (P159), member of (P463), head of state (P35),
# head of government (P6).
CONTEXT_PROPERTIES = ("P27", "P39", "P108", "P463", "P17", "P36", "P131", "P159", "P35", "P6")
LINKABLE_KINDS = {EntityKind.PERSON, EntityKind.ORGANIZATION, EntityKind.STATE, EntityKind.PLACE}
_QID = re.compile(r"^Q[1-9][0-9]*$")


# ------------------------------------------------------------------ names


def normalise(text: str) -> str:
    """Case-, accent- and punctuation-free form for comparing names ("The U.S." -> "u s")."""
    text = unicodedata.normalize("NFKD", text)
    text = "".join(ch for ch in text if not unicodedata.combining(ch))
    text = text.casefold().replace("\u2019", "'").replace("'", "")
    text = re.sub(r"[^\w]+", " ", text)
    text = re.sub(r"\s+", " ", text).strip()
    return re.sub(r"^the ", "", text)


def name_similarity(name: str, label_: str, aliases_: list[str] | tuple[str, ...] = ()) -> float:
    a, b = normalise(name), normalise(label_)
    if not a or not b:
        return 0.0
    if a == b:
        return 1.0
    if any(a == normalise(x) for x in aliases_):
        return 0.95
    words_a = [w for w in a.split() if len(w) > 1]
    words_b = [w for w in b.split() if len(w) > 1]
    if words_a and sorted(words_a) == sorted(words_b):
        return 0.9
    ratio = difflib.SequenceMatcher(None, a, b).ratio()
    sa, sb = set(a.split()), set(b.split())
    jaccard = len(sa & sb) / len(sa | sb)
    best_alias = max((difflib.SequenceMatcher(None, a, normalise(x)).ratio() for x in aliases_), default=0.0)
    return round(0.85 * max(ratio, jaccard, best_alias * 0.95), 4)


def _contains_phrase(text: str, phrase: str) -> bool:
    return bool(phrase) and f" {phrase} " in f" {text} "


# ------------------------------------------------------------- bundled tables


@dataclass(frozen=True)
class _Bundled:
    by_iso3: dict[str, str]
    states: dict[str, set[str]]  # normalised name -> QIDs
    verified: dict[tuple[str, str], set[str]]  # (kind, normalised label) -> QIDs


def _read_csv(name: str) -> list[dict[str, str]]:
    with resources.files("claimgraph").joinpath("data", name).open(encoding="utf-8", newline="") as f:
        return list(csv.DictReader(f))


@lru_cache(maxsize=1)
def _bundled() -> _Bundled:
    by_iso3: dict[str, str] = {}
    states: dict[str, set[str]] = {}
    for row in _read_csv("countries.csv"):
        qid = (row.get("wikidata") or "").strip()
        if not _QID.match(qid):
            continue
        by_iso3[row["iso3"].strip().upper()] = qid
        names = [row.get("name", ""), row.get("wikidata_label", ""), *(row.get("aliases") or "").split("|")]
        for n in names:
            if n.strip():
                states.setdefault(normalise(n), set()).add(qid)
    verified: dict[tuple[str, str], set[str]] = {}
    for row in _read_csv("entities_verified.csv"):
        qid = (row.get("wikidata") or "").strip()
        if _QID.match(qid):
            verified.setdefault((row["kind"].strip(), normalise(row["label"])), set()).add(qid)
    return _Bundled(by_iso3, states, verified)


def _unique(qids: set[str] | None) -> str | None:
    return next(iter(qids)) if qids and len(qids) == 1 else None


def bundled_qid(entity: Entity) -> str | None:
    """The entity's Wikidata item from the bundled verified tables, or None.

    States: entities_verified.csv by name (it holds historical states such as
    West Germany), then countries.csv by the ISO code of a `state/XXX` key,
    then by name or alias. A historical state is never matched by the ISO code
    or by a countries.csv name (those are today's states). Other kinds:
    entities_verified.csv by kind and name or alternate name. A name that
    maps to two items is ambiguous and gives None.
    """
    table = _bundled()
    names = [entity.name, *sorted(entity.alternate_names)]
    kind = entity.kind.value
    for n in names:
        qid = _unique(table.verified.get((kind, normalise(n))))
        if qid:
            return qid
    if entity.kind is not EntityKind.STATE or entity.historical:
        return None
    if entity.key.startswith("state/"):
        qid = table.by_iso3.get(entity.key.split("/", 1)[1].upper())
        if qid:
            return qid
    for n in names:
        qid = _unique(table.states.get(normalise(n)))
        if qid:
            return qid
    return None


# ------------------------------------------------------------ context, decision


@dataclass
class LinkContext:
    """What the article says around an entity, as evidence for choosing among candidates."""

    qids: set[str] = field(default_factory=set)  # Wikidata items of the article's other entities
    names: set[str] = field(default_factory=set)  # names of the article's other entities (without items)
    role: str | None = None  # a person's post or role: "Prime Minister", "Professor"
    country: str | None = None  # the entity's country: a QID ("Q884") or a name
    language: str = "en"

    @classmethod
    def from_extraction(cls, ex: Extraction, entity: Entity) -> "LinkContext":
        """Context from one document: its other entities, the person's posts, roles and country."""
        ctx = cls(language=(ex.language or "en").split("-")[0])
        for other in ex.entities.values():
            if other.key == entity.key or other.kind is EntityKind.GROUP:
                continue
            qid = other.wikidata or bundled_qid(other)
            if qid:
                ctx.qids.add(qid)
            else:
                ctx.names.add(other.name)
        roles = [p.title for p in ex.posts if p.person_key == entity.key]
        roles += [a.role for a in ex.affiliations if a.person_key == entity.key and a.role]
        if roles:
            ctx.role = roles[0]
            ctx.names.update(roles[1:])
        if entity.country_key and entity.country_key in ex.entities:
            country = ex.entities[entity.country_key]
            ctx.country = country.wikidata or bundled_qid(country) or country.name
        return ctx


@dataclass
class LinkDecision:
    """How one entity was (or was not) linked to Wikidata."""

    entity_key: str
    qid: str | None
    score: float
    method: str  # "bundled-table" | "wikidata-search" | "given" | "not-attempted"
    candidates: list[tuple[str, str, float]] = field(default_factory=list)  # (qid, label, score), best first
    rejected: list[tuple[str, str, str]] = field(default_factory=list)  # (qid, label, why)
    decided_at: datetime = field(default_factory=lambda: datetime.now(timezone.utc))
    threshold: float = THRESHOLD
    entity_name: str | None = None
    error: str | None = None  # why no search could be made (offline cache miss, HTTP error)

    @property
    def linked(self) -> bool:
        return self.qid is not None

    @property
    def review_candidates(self) -> list[tuple[str, str, float]]:
        """Candidates for a person to review: written as skos:closeMatch when not linked."""
        if self.linked:
            return []
        return [c for c in self.candidates if c[2] >= CANDIDATE_MIN_SCORE]


# ----------------------------------------------------------------- reconcile


@dataclass
class _Scored:
    qid: str
    label: str
    name: float
    prior: float
    q_hits: int
    n_hits: int
    kind_hit: bool
    evidence: list[str]
    weight: float = 0.0
    score: float = 0.0


def reconcile(
    entity: Entity,
    context: LinkContext | None,
    client: WikidataClient | None,
    *,
    use_bundled: bool = True,
    threshold: float = THRESHOLD,
) -> LinkDecision:
    """Link one entity: bundled tables first, then Wikidata search (when a client is given).

    Never raises for Wikidata's failures: an offline cache miss or an HTTP error
    gives a decision without a link whose `error` says why, so a batch goes on.
    """
    context = context or LinkContext()
    base = dict(entity_key=entity.key, entity_name=entity.name, threshold=threshold)
    if use_bundled:
        qid = bundled_qid(entity)
        if qid:
            return LinkDecision(qid=qid, score=1.0, method="bundled-table", **base)
    if entity.kind not in LINKABLE_KINDS:
        return LinkDecision(qid=None, score=0.0, method="not-attempted", **base)
    if client is None:
        return LinkDecision(qid=None, score=0.0, method="wikidata-search", error="no Wikidata client", **base)
    try:
        scored, rejected = _search_and_score(entity, context, client)
    except WikidataOffline as exc:
        return LinkDecision(qid=None, score=0.0, method="wikidata-search", error=str(exc), **base)
    except WikidataError as exc:
        log.warning("linking %s: %s", entity.key, exc)
        return LinkDecision(qid=None, score=0.0, method="wikidata-search", error=str(exc), **base)
    candidates = [(s.qid, s.label, s.score) for s in scored[:MAX_CANDIDATES]]
    best = scored[0] if scored else None
    linked = best is not None and best.score >= threshold
    return LinkDecision(
        qid=best.qid if linked else None, score=best.score if best else 0.0, method="wikidata-search",
        candidates=candidates, rejected=rejected, **base,
    )


def _search_and_score(entity: Entity, ctx: LinkContext, client: WikidataClient) -> tuple[list[_Scored], list]:
    lang = ctx.language or "en"
    languages = list(dict.fromkeys([lang, "en"]))
    queries = [entity.name, *sorted(entity.alternate_names - {entity.name}, key=len, reverse=True)[:2]]
    hits: dict[str, Candidate] = {}
    accepted: dict[str, dict] = {}
    rejected: dict[str, tuple[str, str, str]] = {}
    types: dict[str, set[str]] = {}
    for n, query in enumerate(queries):
        found = client.search(query, lang)
        fresh = [c for c in found if c.qid not in hits][:SEARCH_DETAILS]
        for c in fresh:
            hits[c.qid] = c
        entities = client.get_entities([c.qid for c in fresh], languages=languages)
        types.update(_types(client, {c.qid: entities[c.qid] for c in fresh if c.qid in entities}))
        for c in fresh:
            data = entities.get(c.qid)
            if data is None:
                rejected[c.qid] = (c.qid, c.label, "missing from wbgetentities")
                continue
            why = _type_mismatch(entity, types.get(c.qid, set()), data)
            if why:
                rejected[c.qid] = (c.qid, c.label, why)
            else:
                accepted[c.qid] = data
        if accepted:
            break  # alternate names are searched only when the name found nothing fitting
    related = _related_labels(client, accepted, languages)
    scored: list[_Scored] = []
    ctx_qids = {q for q in ctx.qids if _QID.match(q)}
    ctx_names = {normalise(x) for x in ctx.names if x}
    if ctx.country:
        if _QID.match(ctx.country):
            ctx_qids.add(ctx.country)
        else:
            ctx_names.add(normalise(ctx.country))
    own = {normalise(x) for x in [entity.name, *entity.alternate_names]}
    ctx_names = {x for x in ctx_names if len(x) >= 3 and not any(_contains_phrase(o, x) or _contains_phrase(x, o) for o in own)}
    role = normalise(ctx.role) if ctx.role else None
    preferred = ORG_KIND_TYPES.get(entity.org_kind) if entity.kind is EntityKind.ORGANIZATION and entity.org_kind else None
    for qid, data in accepted.items():
        c = hits[qid]
        lab = label(data, lang) or c.label
        als = aliases(data, lang) + list(c.aliases)
        # an alternate name ("NATO" for "North Atlantic Treaty Organization") counts a little less
        name = max([name_similarity(entity.name, lab, als),
                    *(0.95 * name_similarity(a, lab, als) for a in entity.alternate_names)])
        evidence: list[str] = []
        q_found = sorted((ctx_qids & item_values(data)) - {qid})
        evidence += [f"statement points to {q}" for q in q_found]
        text = " | ".join(normalise(x) for x in [description(data, lang) or c.description or "", *als,
                                                  *related.get(qid, [])] if x)
        n_found = sorted(x for x in ctx_names if _contains_phrase(text, x))
        evidence += [f"mentions {x!r}" for x in n_found]
        n_hits = len(n_found)
        if role and _contains_phrase(text, role):
            n_hits += 1
            evidence.append(f"role {ctx.role!r}")
        kind_hit = bool(preferred and preferred & types.get(qid, set()))
        if kind_hit:
            evidence.append(f"is a {entity.org_kind.value}")
        scored.append(_Scored(qid=qid, label=lab, name=name, prior=1 / math.sqrt(1 + c.rank),
                              q_hits=min(len(q_found), MAX_HITS), n_hits=min(n_hits, MAX_HITS),
                              kind_hit=kind_hit, evidence=evidence))
    for s in scored:
        s.weight = (s.prior * s.name ** 2 * (LR_QID ** s.q_hits) * (LR_NAME ** s.n_hits)
                    * (LR_KIND if s.kind_hit else 1.0))
    total = W0 + sum(s.weight for s in scored)
    for s in scored:
        s.score = round(s.name * s.weight / total, 3)
    scored.sort(key=lambda s: (-s.score, hits[s.qid].rank))
    return scored, sorted(rejected.values())


def _types(client: WikidataClient, entities: dict[str, dict]) -> dict[str, set[str]]:
    """Each entity's classes: its P31 values and their P279 ancestors up to SUBCLASS_DEPTH steps."""
    direct = {qid: set(item_values(data, ["P31"])) for qid, data in entities.items()}
    known = set(STATE_TYPES) | set(ORGANIZATION_TYPES) | {HUMAN}
    parents: dict[str, set[str]] = {}
    frontier = {c for cs in direct.values() for c in cs if c not in known}
    fetched: set[str] = set()
    for _ in range(SUBCLASS_DEPTH):
        frontier -= fetched
        if not frontier or len(fetched) >= MAX_CLASSES:
            break
        batch = sorted(frontier)[: MAX_CLASSES - len(fetched)]
        fetched.update(batch)
        classes = client.get_entities(batch, props="claims")
        nxt: set[str] = set()
        for cls in batch:
            ups = item_values(classes.get(cls, {}), ["P279"])
            parents[cls] = ups
            nxt |= {u for u in ups if u not in known}
        frontier = nxt
    out: dict[str, set[str]] = {}
    for qid, classes in direct.items():
        seen = set(classes)
        todo = list(classes)
        while todo:
            cls = todo.pop()
            for up in parents.get(cls, ()):
                if up not in seen:
                    seen.add(up)
                    todo.append(up)
        out[qid] = seen
    return out


def _type_mismatch(entity: Entity, types: set[str], data: dict) -> str | None:
    """Why a candidate's classes do not fit the entity's kind, or None when they do."""
    p31 = item_values(data, ["P31"])
    if not p31:
        return "no instance-of (P31) statement"
    shown = ", ".join(sorted(p31))
    if entity.kind is EntityKind.PERSON:
        return None if HUMAN in p31 else f"not a human (Q5): instance of {shown}"
    if entity.kind is EntityKind.STATE:
        return None if types & set(STATE_TYPES) else f"not a country or state: instance of {shown}"
    if entity.kind is EntityKind.ORGANIZATION:
        if HUMAN in types:
            return "a human, not an organization"
        return None if types & set(ORGANIZATION_TYPES) else f"not an organization: instance of {shown}"
    if entity.kind is EntityKind.PLACE:
        if HUMAN in types:
            return "a human, not a place"
        if types & set(ORGANIZATION_TYPES) and not types & set(STATE_TYPES):
            return f"an organization, not a place: instance of {shown}"
        return None
    return f"kind {entity.kind.value} is not linked"


def _related_labels(client: WikidataClient, accepted: dict[str, dict], languages: list[str]) -> dict[str, list[str]]:
    """Labels of the items each candidate's context statements point to (one request for all)."""
    wanted: dict[str, list[str]] = {}
    for qid, data in accepted.items():
        values: list[str] = []
        for pid in CONTEXT_PROPERTIES:
            values += [v for v in claim_values(data, pid) if isinstance(v, str) and _QID.match(v)]
        wanted[qid] = list(dict.fromkeys(values))[:MAX_RELATED_PER_CANDIDATE]
    ids = sorted({v for vs in wanted.values() for v in vs})
    if not ids:
        return {}
    found = client.get_entities(ids, props="labels", languages=languages)
    return {qid: [label(found[v], languages[0]) or "" for v in vs if v in found] for qid, vs in wanted.items()}


# ------------------------------------------------------------ a whole document


def reconcile_extraction(
    ex: Extraction,
    client: WikidataClient | None,
    *,
    apply: bool = True,
    threshold: float = THRESHOLD,
) -> list[LinkDecision]:
    """A decision for every linkable entity of one document.

    Entities that already carry `wikidata` (set by the gazetteer from the
    bundled tables) are recorded, not searched. With `apply`, an entity
    linked here gets `Entity.wikidata`, so the mapping writes its owl:sameAs.
    """
    decisions: list[LinkDecision] = []
    for entity in list(ex.entities.values()):
        if entity.kind not in LINKABLE_KINDS or entity.key.startswith("commenter/"):
            continue
        if entity.wikidata:
            method = "bundled-table" if bundled_qid(entity) == entity.wikidata else "given"
            decisions.append(LinkDecision(entity.key, entity.wikidata, 1.0, method, entity_name=entity.name,
                                          threshold=threshold))
            continue
        decision = reconcile(entity, LinkContext.from_extraction(ex, entity), client, threshold=threshold)
        if apply and decision.qid:
            entity.wikidata = decision.qid
        decisions.append(decision)
    return decisions


# ------------------------------------------------------------------ RDF


LINK_DECISION = V.CG + "LinkDecision"
LINK_CANDIDATE = V.CG + "LinkCandidate"
LINK_METHOD = V.CG + "linkMethod"
LINK_SCORE = V.CG + "linkScore"
LINK_THRESHOLD = V.CG + "linkThreshold"
LINK_TARGET = V.CG + "linkTarget"
LINK_CANDIDATE_PROP = V.CG + "linkCandidate"
CANDIDATE_ITEM = V.CG + "candidateItem"
LINK_AGENT_KEY = "agent/claimgraph-wikidata-linker"


def decision_iri(iris: Iris, entity_key: str, source_id: str | None = None) -> str:
    """Per document when `source_id` is given (each document's graph has its own decisions)."""
    if source_id is not None:
        return iris.local(source_id, "link", entity_key.replace("/", "-"))
    return iris.entity("link/" + entity_key)


def link_decision_triples(decisions: list[LinkDecision], iris: Iris, *, source_id: str | None = None) -> list:
    """The decisions as pyoxigraph triples: owl:sameAs or skos:closeMatch on the entity, and the
    decision itself as a prov:Activity / cg:LinkDecision (method, score, threshold, candidates
    with their scores, time, the software agent)."""
    from ..rdf import GraphWriter

    w = GraphWriter("urn:claimgraph:link-decisions")
    agent = iris.entity(LINK_AGENT_KEY)
    dec, dt = V.XSD + "decimal", V.XSD + "dateTime"
    if decisions:
        w.iri(agent, V.RDF + "type", V.SOFTWARE_AGENT)
        w.iri(agent, V.RDF + "type", V.PROV + "Agent")
        w.lit(agent, V.RDFS + "label", f"ClaimGraph Wikidata linker {__version__}")
    for d in decisions:
        if d.method == "not-attempted":
            continue
        node = iris.entity(d.entity_key)
        act = decision_iri(iris, d.entity_key, source_id)
        if d.qid:
            if not _QID.match(d.qid):
                raise ValueError(f"not a Wikidata item id: {d.qid!r}")
            w.iri(node, V.OWL + "sameAs", V.WD + d.qid)
        for qid, _, _ in d.review_candidates:
            w.iri(node, V.SKOS + "closeMatch", V.WD + qid)
        w.iri(act, V.RDF + "type", LINK_DECISION)
        w.iri(act, V.RDF + "type", V.PROV_ACTIVITY)
        w.iri(act, V.PROV + "used", node)
        w.iri(act, V.PROV + "wasAssociatedWith", agent)
        w.lit(act, V.PROV + "endedAtTime", d.decided_at.isoformat(timespec="seconds"), dt)
        w.lit(act, LINK_METHOD, d.method, V.XSD + "string")
        w.lit(act, LINK_SCORE, f"{d.score:.3f}", dec)
        w.lit(act, LINK_THRESHOLD, f"{d.threshold:.3f}", dec)
        outcome = (f"owl:sameAs wd:{d.qid}" if d.qid else
                   f"{len(d.review_candidates)} candidate(s) to review" if d.review_candidates else "no link")
        w.lit(act, V.RDFS + "label", f"{d.entity_name or d.entity_key}: {outcome} ({d.method}, score {d.score:.3f})")
        if d.qid:
            w.iri(act, LINK_TARGET, V.WD + d.qid)
        if d.error:
            w.lit(act, V.RDFS + "comment", d.error, V.XSD + "string")
        for qid, cand_label, score in d.candidates:
            if not _QID.match(qid):
                continue
            cand = f"{act}/candidate/{quote(qid)}"
            w.iri(act, LINK_CANDIDATE_PROP, cand)
            w.iri(cand, V.RDF + "type", LINK_CANDIDATE)
            w.iri(cand, CANDIDATE_ITEM, V.WD + qid)
            w.lit(cand, LINK_SCORE, f"{score:.3f}", dec)
            w.lit(cand, V.RDFS + "label", cand_label, V.XSD + "string")
    return [q.triple for q in w.quads()]


def link_decisions_ntriples(decisions: list[LinkDecision], iris: Iris, *, source_id: str | None = None) -> str:
    """`link_decision_triples` as N-Triples text, written by Oxigraph's serializer (for people and tests)."""
    import pyoxigraph as ox

    return ox.serialize(link_decision_triples(decisions, iris, source_id=source_id),
                        format=ox.RdfFormat.N_TRIPLES).decode("utf-8")
