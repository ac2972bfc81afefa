"""Search entries: what the text index holds, built from one named graph's RDF.

`graph_entries(graph_iri, triples)` is a pure function over the triples of one
document graph. It reads only the terms the mapping writes (vocab.py), so the
same function serves both ways in:

- the load step, which has the document's N-Triples (`triples_from_ntriples`);
- `reindex`, which reads any store through its `query` method
  (`read_graph_triples`), embedded or remote.

Three kinds of entry, each with the IRI a user opens and the facets filters use:

| kind    | from                                    | title                   | text                 |
| ------- | --------------------------------------- | ----------------------- | -------------------- |
| claim   | `schema:Claim` with `schema:text`       | (none)                  | the claim            |
| article | `schema:Article` with a headline or body | headline              | abstract + body      |
| entity  | people, organizations, states, places, events, opinion groups with a name or label | name + alternate names and labels | description |

Facets: `state` (claim: the states it is about; article: the states it
mentions or its claims are about; entity: itself if a state, else the state
of an opinion group), `author` (claim: who holds it; article: its authors;
entity: the authors of the document it appears in), `publisher` and `date`
(the document's article). An entity appears in every document graph that
names it, so it has one entry per graph; search collapses them by IRI.

The graph's *stamp* is a hash of its entries: equal stamps mean the index
holds exactly what the store's graph would give, so a check or a reindex can
skip a graph whose stamp agrees, and a change of these rules changes every
stamp (a reindex then rewrites everything).
"""
from __future__ import annotations

import hashlib
import json
import re
from collections import defaultdict
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field, fields
from datetime import date
from enum import Enum

import pyoxigraph as ox

from .. import vocab as V

# Bump when the rules above change in a way the stamp cannot see (it sees entries).
ENTRY_RULES_VERSION = 1


class Kind(str, Enum):
    CLAIM = "claim"
    ARTICLE = "article"
    ENTITY = "entity"


@dataclass(frozen=True)
class Triple:
    """One triple as plain strings: an IRI (or `_:` blank node), or a literal's lexical form."""

    subject: str
    predicate: str
    object: str
    literal: bool = False


@dataclass(frozen=True)
class SearchEntry:
    iri: str
    kind: Kind
    label: str  # what a result list shows: headline, name, or the claim's text
    title: str = ""  # ranked above `text`: headline, names
    text: str = ""
    category: str = ""  # entity: person, organization, state, place, event, group
    states: tuple[str, ...] = ()
    authors: tuple[str, ...] = ()
    publishers: tuple[str, ...] = ()
    date: str | None = None  # YYYY-MM-DD


@dataclass(frozen=True)
class IndexedGraph:
    """The entries of one named graph and their stamp."""

    graph: str
    entries: tuple[SearchEntry, ...]
    stamp: str = field(default="")

    def __post_init__(self) -> None:
        if not self.stamp:
            object.__setattr__(self, "stamp", stamp_of(self.entries))


# -- what the index reads from a graph -------------------------------------------------

RDF_TYPE = V.RDF + "type"
STATE_CLASSES = frozenset({V.COUNTRY, V.HISTORICAL_STATE})
ENTITY_CATEGORIES = (  # most specific first: the first class an entity has names its category
    (V.HISTORICAL_STATE, "state"), (V.COUNTRY, "state"), (V.PERSON, "person"), (V.OPINION_GROUP, "group"),
    (V.ORGANIZATION, "organization"), (V.EVENT, "event"), (V.PLACE, "place"),
)
ENTITY_CLASSES = frozenset(c for c, _ in ENTITY_CATEGORIES)
NAME_PREDICATES = (V.SCHEMA + "name", V.SCHEMA + "alternateName", V.RDFS + "label",
                   V.SKOS + "prefLabel", V.SKOS + "altLabel")
INPUT_PREDICATES = frozenset({
    V.SCHEMA + "headline", V.SCHEMA + "abstract", V.SCHEMA + "articleBody", V.SCHEMA + "datePublished",
    V.SCHEMA + "author", V.SCHEMA + "publisher", V.SCHEMA + "mentions", V.SCHEMA + "about",
    V.SCHEMA + "text", V.SCHEMA + "appearance", V.SCHEMA + "comment", V.SCHEMA + "description",
    V.GROUP_COUNTRY, *NAME_PREDICATES,
})
INPUT_CLASSES = frozenset({V.ARTICLE, V.CLAIM, *ENTITY_CLASSES})

_DATE_RE = re.compile(r"^\s*(\d{4}-\d{2}-\d{2})")
# Private-use code points the index uses as highlight markers; never let a page supply them.
MARK_START, MARK_END = "\ue000", "\ue001"
_MARKERS = str.maketrans({MARK_START: None, MARK_END: None})


def relevant(t: Triple) -> bool:
    """Whether the entries of a graph can depend on this triple."""
    if t.predicate == RDF_TYPE:
        return t.object in INPUT_CLASSES
    return t.predicate in INPUT_PREDICATES


def graph_entries(graph_iri: str, triples: Iterable[Triple]) -> IndexedGraph:
    """The search entries of one named graph (pure; order of `triples` does not matter)."""
    types: dict[str, set[str]] = defaultdict(set)
    values: dict[tuple[str, str], list[str]] = defaultdict(list)
    for t in triples:
        if not relevant(t):
            continue
        if t.predicate == RDF_TYPE:
            types[t.subject].add(t.object)
        else:
            values[(t.subject, t.predicate)].append(t.object)

    def one(s: str, p: str) -> str:
        vs = values.get((s, p))
        return _clean(min(vs)) if vs else ""  # min: deterministic when a page repeats a property

    def many(s: str, p: str) -> list[str]:
        return sorted(set(values.get((s, p), ())))

    states = {s for s, ts in types.items() if ts & STATE_CLASSES}

    def state_of(iri: str) -> set[str]:
        """The states an `about`/`mentions` target stands for: itself, or an opinion group's state."""
        if iri in states:
            return {iri}
        return {c for c in many(iri, V.GROUP_COUNTRY) if c in states}

    articles = sorted(s for s, ts in types.items() if V.ARTICLE in ts and (
        (s, V.SCHEMA + "headline") in values or (s, V.SCHEMA + "articleBody") in values))
    comment_article = {c: a for a in articles for c in many(a, V.SCHEMA + "comment")}
    claims = sorted(s for s, ts in types.items() if V.CLAIM in ts and (s, V.SCHEMA + "text") in values)

    def article_of(claim: str) -> str | None:
        for place in many(claim, V.SCHEMA + "appearance"):
            if place in articles:
                return place
            if place in comment_article:
                return comment_article[place]
        return articles[0] if len(articles) == 1 else None

    def doc_facets(article: str | None) -> dict:
        if article is None:
            return {"publishers": (), "date": None}
        return {"publishers": tuple(many(article, V.SCHEMA + "publisher")),
                "date": _date(one(article, V.SCHEMA + "datePublished"))}

    entries: list[SearchEntry] = []
    claim_states: dict[str, set[str]] = defaultdict(set)
    for c in claims:
        article = article_of(c)
        about = set().union(*(state_of(x) for x in many(c, V.SCHEMA + "about")))
        if article:
            claim_states[article] |= about
        text = one(c, V.SCHEMA + "text")
        entries.append(SearchEntry(
            iri=c, kind=Kind.CLAIM, label=text, text=text, states=tuple(sorted(about)),
            authors=tuple(many(c, V.SCHEMA + "author")), **doc_facets(article)))
    for a in articles:
        mentioned = set().union(*(state_of(x) for x in many(a, V.SCHEMA + "mentions")))
        headline = one(a, V.SCHEMA + "headline")
        body = "\n\n".join(x for x in (one(a, V.SCHEMA + "abstract"), one(a, V.SCHEMA + "articleBody")) if x)
        entries.append(SearchEntry(
            iri=a, kind=Kind.ARTICLE, label=headline or _shorten(body), title=headline, text=body,
            states=tuple(sorted(mentioned | claim_states[a])),
            authors=tuple(many(a, V.SCHEMA + "author")), **doc_facets(a)))
    doc = articles[0] if len(articles) == 1 else None
    doc_authors = tuple(many(doc, V.SCHEMA + "author")) if doc else ()
    for e in sorted(s for s, ts in types.items() if ts & ENTITY_CLASSES):
        names = list(dict.fromkeys(_clean(n) for p in NAME_PREDICATES for n in many(e, p) if _clean(n)))
        if not names:
            continue
        category = next(cat for cls, cat in ENTITY_CATEGORIES if cls in types[e])
        entries.append(SearchEntry(
            iri=e, kind=Kind.ENTITY, label=one(e, V.SCHEMA + "name") or names[0], title=" · ".join(names),
            text=one(e, V.SCHEMA + "description"), category=category, states=tuple(sorted(state_of(e))),
            authors=doc_authors, **doc_facets(doc)))
    return IndexedGraph(graph_iri, tuple(entries))


_ENTRY_FIELDS = tuple(f.name for f in fields(SearchEntry))


def stamp_of(entries: Iterable[SearchEntry]) -> str:
    """A hash of the entries, independent of their order. (Each entry's fields as a JSON list:
    `dataclasses.asdict` deep-copies, and was 70% of building a graph's entries.)"""
    rows = sorted(json.dumps([getattr(e, name) for name in _ENTRY_FIELDS], ensure_ascii=False) for e in entries)
    h = hashlib.sha256(f"rules:{ENTRY_RULES_VERSION}\n".encode())
    for row in rows:
        h.update(row.encode())
        h.update(b"\n")
    return "sha256:" + h.hexdigest()


def _date(lexical: str) -> str | None:
    """YYYY-MM-DD of an xsd:date or xsd:dateTime; None for anything that is not a real date."""
    m = _DATE_RE.match(lexical)
    try:
        return date.fromisoformat(m.group(1)).isoformat() if m else None
    except ValueError:
        return None


def _shorten(text: str, chars: int = 120) -> str:
    return text if len(text) <= chars else text[:chars].rsplit(" ", 1)[0] + "…"


def _clean(text: str) -> str:
    return text.translate(_MARKERS).strip()


# -- ways in: N-Triples, pyoxigraph terms, SPARQL results --------------------------------

def triple_from_terms(s, p, o) -> Triple:
    """A Triple from pyoxigraph terms or SPARQL-result terms (anything with `.value`;
    literals are `ox.Literal` or have `type == "literal"`, as `remote_store.RemoteTerm`)."""
    literal = isinstance(o, ox.Literal) or getattr(o, "type", None) == "literal"
    subject = f"_:{s.value}" if isinstance(s, ox.BlankNode) or getattr(s, "type", None) == "bnode" else s.value
    return Triple(subject, p.value, o.value, literal)


def triples_from_ntriples(ntriples: str) -> Iterator[Triple]:
    """The triples of an N-Triples document (Oxigraph's parser; no rdflib on this path)."""
    for t in ox.parse(ntriples, format=ox.RdfFormat.N_TRIPLES):
        yield triple_from_terms(t.subject, t.predicate, t.object)


def _iri_list(iris: Iterable[str]) -> str:
    return " ".join(f"<{i}>" for i in sorted(iris))


# One query reads what the entries need from a batch of graphs: the input
# predicates, and rdf:type only for the classes that matter (a document graph
# has hundreds of NIF type triples the index never reads).
_READ_QUERY = """SELECT ?g ?s ?p ?o WHERE {{
  VALUES ?g {{ {graphs} }}
  {{ VALUES ?p {{ {predicates} }} GRAPH ?g {{ ?s ?p ?o }} }}
  UNION
  {{ VALUES ?o {{ {classes} }} GRAPH ?g {{ ?s a ?o }} BIND(<{rdf_type}> AS ?p) }}
}}"""


def read_graph_triples(store, graph_iris: list[str]) -> dict[str, list[Triple]]:
    """The index-relevant triples of some named graphs, read through `store.query`
    (the `GraphStore` interface: embedded Oxigraph or a remote SPARQL server).
    Every graph asked for is in the answer, empty if the store does not have it."""
    out: dict[str, list[Triple]] = {g: [] for g in graph_iris}
    if not graph_iris:
        return out
    query = _READ_QUERY.format(graphs=_iri_list(graph_iris), predicates=_iri_list(INPUT_PREDICATES),
                               classes=_iri_list(INPUT_CLASSES), rdf_type=RDF_TYPE)
    for row in store.query(query):
        out[row["g"].value].append(triple_from_terms(row["s"], row["p"], row["o"]))
    return out


def _bound(row, name: str):
    """A row's value for `name`, or None when unbound (pyoxigraph rows give None,
    `remote_store.RemoteRow` has no key)."""
    try:
        return row[name]
    except (KeyError, IndexError):
        return None


def list_graphs(store) -> list[str]:
    """The store's named graphs, through `store.query`. `GRAPH ?g { }` names them without
    reading any triple on Oxigraph; Virtuoso answers it with one unbound row, so then
    the graphs are read off their triples."""
    terms = [_bound(r, "g") for r in store.query("SELECT DISTINCT ?g WHERE { GRAPH ?g { } }")]
    if not terms or any(t is None for t in terms):
        terms = [_bound(r, "g") for r in store.query("SELECT DISTINCT ?g WHERE { GRAPH ?g { ?s ?p ?o } }")]
    return sorted({t.value for t in terms if t is not None and not isinstance(t, ox.BlankNode)
                   and getattr(t, "type", "uri") == "uri"})
