"""Linked-data pages: every IRI minted under `settings.base_iri` resolves, and so does the ontology.

    GET /id/{path}    (the path of base_iri; `/id/` by default)
        text/html               a readable page: labels, types, properties with links,
                                mentions with their sentence, claims, incoming links,
                                the Wikidata link, the named graphs it comes from
        text/turtle, application/ld+json, application/n-triples, application/rdf+xml
                                its concise bounded description (outgoing triples,
                                following blank nodes) plus incoming links
        404 when the IRI is in no triple and names no graph
    GET /ontology     the ontology: Turtle as written, JSON-LD / N-Triples / RDF/XML
                      converted, or an HTML page documenting its classes and properties

`?format=turtle|jsonld|ntriples|rdfxml|html` overrides the Accept header (for links).
Collecting an entity's data is a plain function (`describe_entity`) over the
store; rendering is `entity_html` / `entity_rdf`; the routes only negotiate.
"""
from __future__ import annotations

import itertools
import re
import urllib.parse
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path

import pyoxigraph as ox
from fastapi import APIRouter, Depends, Request
from fastapi.responses import Response

from ..config import CG, ONTOLOGY_IRI
from ..vocab import FOAF, ITSRDF, NIF, OWL, PREFIXES, RDF, RDFS, SCHEMA, SKOS, WD
from .answers import HTML, TEXT, Answer, ProtocolError, negotiate, with_charset
from .app import get_query_runner, get_store, query_parameter, route
from .html import curie, esc, link, page
from .sparql import QueryRunner, run_limited, to_response

RDF_OFFERS: dict[str, ox.RdfFormat] = {
    "text/turtle": ox.RdfFormat.TURTLE,
    "application/ld+json": ox.RdfFormat.JSON_LD,
    "application/n-triples": ox.RdfFormat.N_TRIPLES,
    "application/rdf+xml": ox.RdfFormat.RDF_XML,
}
OFFERS = [HTML, *RDF_OFFERS]  # HTML first: a browser's */* gets the page
FORMAT_ALIASES = {"html": HTML, "turtle": "text/turtle", "ttl": "text/turtle", "jsonld": "application/ld+json",
                  "json": "application/ld+json", "ntriples": "application/n-triples", "nt": "application/n-triples",
                  "rdfxml": "application/rdf+xml", "xml": "application/rdf+xml"}
LABEL_PROPERTIES = [RDFS + "label", SCHEMA + "name", SKOS + "prefLabel", SCHEMA + "headline", FOAF + "name",
                    SCHEMA + "alternateName"]
TYPE = RDF + "type"
SAME_AS = OWL + "sameAs"
MENTION_REF = ITSRDF + "taIdentRef"
MAX_OUT = 2000  # triples shown / described per entity, each way
MAX_IN = 500
MAX_BNODES = 500
MAX_MENTIONS = 100
MAX_CLAIMS = 200


def choose(accept: str | None, fmt: str | None, offers: list[str]) -> str:
    wanted = FORMAT_ALIASES.get(fmt.lower(), fmt) if fmt else accept
    chosen = negotiate(wanted, offers)
    if chosen is None:
        raise ProtocolError(406, f"Available as {', '.join(offers)}.")
    return chosen


# ----------------------------------------------------------------------------- collecting


@dataclass
class Mention:
    article: str | None
    headline: str | None
    before: str
    text: str
    after: str


@dataclass
class ClaimRow:
    claim: str
    text: str
    holder: ox.NamedNode | ox.BlankNode | ox.Literal | None
    about: ox.NamedNode | ox.BlankNode | ox.Literal | None = None


@dataclass
class EntityView:
    iri: str
    outgoing: list[ox.Triple] = field(default_factory=list)  # the entity's own triples, then its blank nodes'
    incoming: list[ox.Triple] = field(default_factory=list)
    mention_count: int = 0  # incoming itsrdf:taIdentRef links (shown as mentions, not in `incoming`)
    graphs: list[str] = field(default_factory=list)
    graph_size: int | None = None  # when the IRI names a graph
    labels: dict[str, str] = field(default_factory=dict)
    mentions: list[Mention] = field(default_factory=list)
    claims_about: list[ClaimRow] = field(default_factory=list)
    claims_held: list[ClaimRow] = field(default_factory=list)

    @property
    def exists(self) -> bool:
        return bool(self.outgoing or self.incoming or self.mention_count or self.graph_size is not None)

    def values(self, predicate: str) -> list:
        node = ox.NamedNode(self.iri)
        return [t.object for t in self.outgoing if t.subject == node and t.predicate.value == predicate]

    def label(self, iri: str | None = None) -> str:
        iri = iri or self.iri
        return self.labels.get(iri) or curie(iri)


def _sentence_bounds(text: str, begin: int, end: int, limit: int = 320) -> tuple[int, int]:
    """The sentence around text[begin:end]: from after the previous . ! ? or line break to the next."""
    start = 0
    for m in re.finditer(r"[.!?][\"'”’)\]]*\s+|\n+", text[:begin]):
        start = m.end()
    stop = len(text)
    m = re.compile(r"[.!?][\"'”’)\]]*(?=\s)|\n").search(text, end)
    if m:
        stop = m.end()
    start = max(start, begin - limit)
    stop = min(stop, end + limit)
    return start, stop


def sentence_around(text: str, begin: int, end: int) -> tuple[str, str, str]:
    """(before, mention, after) within the mention's sentence; '…' marks a cut."""
    begin, end = max(0, min(begin, len(text))), max(0, min(end, len(text)))
    start, stop = _sentence_bounds(text, begin, end)
    before = ("…" if start > 0 and text[start - 1] not in ".!?\n \t" else "") + text[start:begin].lstrip()
    after = text[end:stop].rstrip() + ("…" if stop < len(text) and text[stop - 1] not in ".!?\n" else "")
    return before, text[begin:end], after


def _label_map(store, iris: set[str]) -> dict[str, str]:
    """Best label per IRI: English or untagged first, then in LABEL_PROPERTIES order."""
    out: dict[str, tuple[int, str]] = {}
    iris = {i for i in iris if i}
    rank = {p: i for i, p in enumerate(LABEL_PROPERTIES)}
    props = " ".join(f"<{p}>" for p in LABEL_PROPERTIES)
    ordered = sorted(iris)
    for k in range(0, len(ordered), 200):
        values = " ".join(f"<{i}>" for i in ordered[k:k + 200] if ">" not in i)
        if not values:
            continue
        q = f"SELECT ?x ?p ?l WHERE {{ VALUES ?x {{ {values} }} VALUES ?p {{ {props} }} ?x ?p ?l FILTER(isLiteral(?l)) }}"
        for row in store.query(q, use_default_graph_as_union=True):
            lit = row["l"]
            score = rank.get(row["p"].value, 99) + (0 if lit.language in (None, "en") else 50)
            x = row["x"].value
            if x not in out or score < out[x][0]:
                out[x] = (score, lit.value)
    return {k: v for k, (_, v) in out.items()}


def describe_entity(store, iri: str) -> EntityView:
    """Collect what the pages show about `iri` (`store` is a pyoxigraph Store; union of all graphs)."""
    node = ox.NamedNode(iri)
    view = EntityView(iri)
    graphs: dict[str, None] = {}
    seen: set[ox.Triple] = set()
    for quad in itertools.islice(store.quads_for_pattern(node, None, None, None), MAX_OUT):
        if isinstance(quad.graph_name, ox.NamedNode):
            graphs[quad.graph_name.value] = None
        if quad.triple not in seen:
            seen.add(quad.triple)
            view.outgoing.append(quad.triple)
    # follow blank nodes (the concise bounded description)
    queue = [t.object for t in view.outgoing if isinstance(t.object, ox.BlankNode)]
    visited: set[ox.BlankNode] = set()
    while queue and len(visited) < MAX_BNODES:
        b = queue.pop(0)
        if b in visited:
            continue
        visited.add(b)
        for quad in itertools.islice(store.quads_for_pattern(b, None, None, None), MAX_OUT):
            if quad.triple not in seen:
                seen.add(quad.triple)
                view.outgoing.append(quad.triple)
                if isinstance(quad.object, ox.BlankNode):
                    queue.append(quad.object)
    for quad in store.quads_for_pattern(None, None, node, None):
        if quad.predicate.value == MENTION_REF:
            view.mention_count += 1
            continue
        if isinstance(quad.graph_name, ox.NamedNode):
            graphs[quad.graph_name.value] = None
        if quad.triple not in seen and len(view.incoming) < MAX_IN:
            seen.add(quad.triple)
            view.incoming.append(quad.triple)
    if store.contains_named_graph(node):
        view.graph_size = int(next(iter(store.query(
            f"SELECT (COUNT(*) AS ?n) WHERE {{ GRAPH <{iri}> {{ ?s ?p ?o }} }}")))["n"].value)
    view.graphs = sorted(graphs)
    if view.mention_count:
        view.mentions = _mentions(store, iri)
    view.claims_about = _claims(store, f"?c <{SCHEMA}about> <{iri}>", "?c")
    view.claims_held = _claims(store, f"?c a <{SCHEMA}Claim> ; <{SCHEMA}author> <{iri}>", "?c")
    names = {iri} | {t.predicate.value for t in view.outgoing + view.incoming}
    names |= {t.object.value for t in view.outgoing if isinstance(t.object, ox.NamedNode)}
    names |= {t.subject.value for t in view.incoming if isinstance(t.subject, ox.NamedNode)}
    names |= {m.article for m in view.mentions if m.article}
    names |= {c.holder.value for c in view.claims_about if isinstance(c.holder, ox.NamedNode)}
    names |= {c.about.value for c in view.claims_held if isinstance(c.about, ox.NamedNode)}
    view.labels = _label_map(store, names)
    return view


def _mentions(store, iri: str) -> list[Mention]:
    q = f"""PREFIX nif: <{NIF}> PREFIX itsrdf: <{ITSRDF}> PREFIX schema: <{SCHEMA}>
SELECT ?span ?ctx ?b ?e ?article ?headline WHERE {{
  ?span itsrdf:taIdentRef <{iri}> ; nif:referenceContext ?ctx ; nif:beginIndex ?b ; nif:endIndex ?e .
  OPTIONAL {{ ?ctx nif:sourceUrl ?article OPTIONAL {{ ?article schema:headline ?headline }} }}
}} ORDER BY ?article ?ctx ?b LIMIT {MAX_MENTIONS}"""
    rows = list(store.query(q, use_default_graph_as_union=True))
    texts: dict[str, str] = {}
    for ctx in {r["ctx"] for r in rows if isinstance(r["ctx"], ox.NamedNode)}:
        for t in store.query(f"SELECT ?t WHERE {{ <{ctx.value}> <{NIF}isString> ?t }} LIMIT 1",
                             use_default_graph_as_union=True):
            texts[ctx.value] = t["t"].value
    out, seen = [], set()
    for r in rows:
        text = texts.get(r["ctx"].value) if isinstance(r["ctx"], ox.NamedNode) else None
        try:
            b, e = int(r["b"].value), int(r["e"].value)
        except ValueError:
            continue
        key = (r["ctx"], b, e)
        if text is None or key in seen:
            continue
        seen.add(key)
        before, mention, after = sentence_around(text, b, e)
        article = r["article"].value if r["article"] is not None else None
        headline = r["headline"].value if r["headline"] is not None else None
        out.append(Mention(article, headline, before, mention, after))
    return out


def _claims(store, pattern: str, var: str) -> list[ClaimRow]:
    q = (f"SELECT DISTINCT ?c ?t ?h ?a WHERE {{ {pattern} ; <{SCHEMA}text> ?t "
         f"OPTIONAL {{ ?c <{SCHEMA}author> ?h }} OPTIONAL {{ ?c <{SCHEMA}about> ?a }} }} "
         f"ORDER BY ?c LIMIT {MAX_CLAIMS}")
    rows: dict[str, ClaimRow] = {}
    for r in store.query(q, use_default_graph_as_union=True):
        c = r["c"].value
        if c not in rows:
            rows[c] = ClaimRow(c, r["t"].value, r["h"], r["a"])
    return list(rows.values())


# ----------------------------------------------------------------------------- RDF


def used_prefixes(triples: list[ox.Triple]) -> dict[str, str]:
    """The known prefixes whose namespace some IRI in `triples` starts with."""
    iris = {term.value for t in triples for term in (t.subject, t.predicate, t.object, getattr(t.object, "datatype",
                                                                                                None))
            if isinstance(term, ox.NamedNode)}
    return {p: ns for p, ns in PREFIXES.items() if any(i.startswith(ns) for i in iris)}


def entity_rdf(view: EntityView, media_type: str) -> bytes:
    """The entity's concise bounded description and incoming links, its own triples first."""
    fmt = RDF_OFFERS[media_type]
    triples = view.outgoing + view.incoming
    prefixes = used_prefixes(triples) if fmt in (ox.RdfFormat.TURTLE, ox.RdfFormat.RDF_XML) else None
    return ox.serialize(triples, format=fmt, prefixes=prefixes)


# ----------------------------------------------------------------------------- HTML


@dataclass(frozen=True)
class Links:
    """Where IRIs point on this server: our own entities and the ontology get local links."""

    base_iri: str

    @property
    def base_path(self) -> str:
        return urllib.parse.urlsplit(self.base_iri).path or "/"

    def href(self, iri: str) -> str:
        if iri.startswith(self.base_iri):
            return self.base_path + iri[len(self.base_iri):]
        if iri == ONTOLOGY_IRI or iri.startswith(CG):
            return "/ontology" + iri[len(ONTOLOGY_IRI):]
        return iri


def _term_html(term, view: EntityView, links: Links, depth: int = 0) -> str:
    if isinstance(term, ox.NamedNode):
        label = view.labels.get(term.value)
        text = label or curie(term.value)
        extra = f' <span class="iri">{esc(curie(term.value))}</span>' if label else ""
        return link(links.href(term.value), text) + extra
    if isinstance(term, ox.Literal):
        value = term.value
        if len(value) > 600:
            body = f"<details><summary>{esc(value[:300])}…</summary><div class='lit'>{esc(value)}</div></details>"
        else:
            body = f'<span class="lit">{esc(value)}</span>'
        if term.language:
            return body + f' <span class="lang">@{esc(term.language)}</span>'
        if term.datatype.value != "http://www.w3.org/2001/XMLSchema#string":
            return body + f' <span class="dt">{esc(curie(term.datatype.value))}</span>'
        return body
    if isinstance(term, ox.BlankNode):
        if depth >= 4:
            return "[…]"
        rows = [t for t in view.outgoing if t.subject == term]
        inner = "".join(f"<div>{_term_html(t.predicate, view, links)}: {_term_html(t.object, view, links, depth + 1)}"
                        f"</div>" for t in rows)
        return f'<div class="bnode">{inner or "[ ]"}</div>'
    return esc(str(term))


def _property_rows(view: EntityView, links: Links) -> str:
    node = ox.NamedNode(view.iri)
    grouped: dict[str, list] = {}
    for t in view.outgoing:
        if t.subject == node and t.predicate.value != TYPE:
            grouped.setdefault(t.predicate.value, []).append(t.object)
    rows = []
    for p in sorted(grouped, key=lambda p: view.label(p).lower()):
        values = "<br>".join(_term_html(o, view, links) for o in grouped[p])
        rows.append(f"<tr><th>{link(links.href(p), view.label(p))}</th><td>{values}</td></tr>")
    return "".join(rows)


def _claim_html(c: ClaimRow, view: EntityView, links: Links, show: str) -> str:
    other = c.holder if show == "holder" else c.about
    who = f" — {_term_html(other, view, links)}" if other is not None else ""
    return f"<li>“{esc(c.text)}”{who} <span class='muted'>({link(links.href(c.claim), 'claim')})</span></li>"


def entity_html(view: EntityView, links: Links) -> str:
    title = view.label()
    types = " ".join(link(links.href(t.value), view.label(t.value)) for t in view.values(TYPE)
                     if isinstance(t, ox.NamedNode))
    wikidata = [t.value for t in view.values(SAME_AS) if isinstance(t, ox.NamedNode) and t.value.startswith(WD)]
    here = links.href(view.iri).split("#")[0]
    parts = [f"<h1>{esc(title)}</h1>", f'<p class="iri">{esc(view.iri)}</p>']
    if types:
        parts.append(f'<p class="types">{types}</p>')
    if wikidata:
        parts.append("<p>Wikidata: " + ", ".join(
            link(w, w[len(WD):]) for w in wikidata) + "</p>")
    parts.append(f"<p class='muted'>As {link(here + '?format=turtle', 'Turtle')} · "
                 f"{link(here + '?format=jsonld', 'JSON-LD')} · {link(here + '?format=ntriples', 'N-Triples')}</p>")
    if view.graph_size is not None:
        store_href = "/store?" + urllib.parse.urlencode({"graph": view.iri})
        parts.append(f"<p>A named graph of {view.graph_size:,} triples: {link(store_href, 'download (Turtle)')}.</p>")
    rows = _property_rows(view, links)
    if rows:
        parts.append(f"<h2>Properties</h2><table>{rows}</table>")
    if view.mentions:
        items = []
        for m in view.mentions:
            where = link(links.href(m.article), m.headline or curie(m.article)) if m.article else ""
            items.append(f"<li>{where}<blockquote>{esc(m.before)}<mark>{esc(m.text)}</mark>{esc(m.after)}"
                         f"</blockquote></li>")
        more = (f"<p class='muted'>{view.mention_count - len(view.mentions)} more not shown.</p>"
                if view.mention_count > len(view.mentions) else "")
        parts.append(f"<h2>Mentions ({view.mention_count})</h2><ul>{''.join(items)}</ul>{more}")
    if view.claims_about:
        parts.append(f"<h2>Claims about {esc(title)}</h2><ul>"
                     + "".join(_claim_html(c, view, links, "holder") for c in view.claims_about) + "</ul>")
    if view.claims_held:
        parts.append(f"<h2>Claims by {esc(title)}</h2><ul>"
                     + "".join(_claim_html(c, view, links, "about") for c in view.claims_held) + "</ul>")
    if view.incoming:
        rows = "".join(f"<tr><td>{_term_html(t.subject, view, links)}</td>"
                       f"<td>{link(links.href(t.predicate.value), view.label(t.predicate.value))}</td></tr>"
                       for t in view.incoming)
        parts.append(f"<h2>Referenced by</h2><table>{rows}</table>")
    if view.graphs:
        parts.append("<h2>Named graphs</h2><ul>" + "".join(
            f"<li>{link(links.href(g), g)}</li>" for g in view.graphs) + "</ul>")
    return page(title, "\n".join(parts))


def not_found_html(iri: str) -> str:
    return page("Not found", f"<h1>Nothing known about this IRI</h1><p class='iri'>{esc(iri)}</p>"
                             "<p>No triple in the graph names it. Try the <a href='/'>SPARQL editor</a>.</p>")


def answer_entity(view: EntityView, *, accept: str | None, fmt: str | None, links: Links) -> Answer:
    chosen = choose(accept, fmt, OFFERS)
    headers: dict[str, str] = {}  # to_response adds Vary: Accept
    if not view.exists:
        if chosen == HTML:
            return Answer(404, not_found_html(view.iri).encode("utf-8"), with_charset(HTML), headers)
        return Answer(404, f"Nothing is known about <{view.iri}>.\n".encode("utf-8"), TEXT, headers)
    if chosen == HTML:
        return Answer(200, entity_html(view, links).encode("utf-8"), with_charset(HTML), headers)
    return Answer(200, entity_rdf(view, chosen), with_charset(chosen), headers)


# ----------------------------------------------------------------------------- the ontology


@lru_cache(maxsize=8)
def _ontology_store(path: str, mtime: float) -> ox.Store:
    store = ox.Store()
    store.load(path=path, format=ox.RdfFormat.TURTLE)
    return store


@lru_cache(maxsize=16)
def _ontology_serialised(path: str, mtime: float, media_type: str) -> bytes:
    if media_type == "text/turtle":
        return Path(path).read_bytes()
    store = _ontology_store(path, mtime)
    fmt = RDF_OFFERS[media_type]
    return store.dump(format=fmt, from_graph=ox.DefaultGraph(),
                      **({"prefixes": PREFIXES} if fmt is ox.RdfFormat.RDF_XML else {}))


@dataclass
class Term:
    iri: str
    kind: str
    labels: list[str] = field(default_factory=list)
    comments: list[str] = field(default_factory=list)
    supers: list[str] = field(default_factory=list)
    subs: list[str] = field(default_factory=list)
    domains: list[str] = field(default_factory=list)
    ranges: list[str] = field(default_factory=list)

    @property
    def anchor(self) -> str:
        if self.iri.startswith(CG):
            return self.iri[len(CG):]
        return re.sub(r"[^A-Za-z0-9_-]", "-", curie(self.iri))


def ontology_terms(store: ox.Store) -> dict[str, Term]:
    kinds = {OWL + "Class": "class", RDFS + "Class": "class", OWL + "ObjectProperty": "object property",
             OWL + "DatatypeProperty": "datatype property", OWL + "AnnotationProperty": "annotation property",
             RDF + "Property": "property"}
    terms: dict[str, Term] = {}
    for kind_iri, kind in kinds.items():
        for quad in store.quads_for_pattern(None, ox.NamedNode(TYPE), ox.NamedNode(kind_iri), None):
            if isinstance(quad.subject, ox.NamedNode):
                terms.setdefault(quad.subject.value, Term(quad.subject.value, kind))

    def objects(iri: str, prop: str) -> list:
        return [q.object for q in store.quads_for_pattern(ox.NamedNode(iri), ox.NamedNode(prop), None, None)]

    for iri, term in terms.items():
        term.labels = [o.value for o in objects(iri, RDFS + "label") if isinstance(o, ox.Literal)]
        term.comments = [o.value for o in objects(iri, RDFS + "comment") if isinstance(o, ox.Literal)]
        sup = RDFS + ("subClassOf" if term.kind == "class" else "subPropertyOf")
        term.supers = sorted(o.value for o in objects(iri, sup) if isinstance(o, ox.NamedNode))
        term.domains = sorted(o.value for o in objects(iri, RDFS + "domain") if isinstance(o, ox.NamedNode))
        term.ranges = sorted(o.value for o in objects(iri, RDFS + "range") if isinstance(o, ox.NamedNode))
    for iri, term in terms.items():
        for s in term.supers:
            if s in terms:
                terms[s].subs.append(iri)
    return terms


def ontology_html(store: ox.Store) -> str:
    terms = ontology_terms(store)
    onto = ox.NamedNode(ONTOLOGY_IRI)

    def first(prop: str) -> str:
        for q in store.quads_for_pattern(onto, ox.NamedNode(prop), None, None):
            return q.object.value
        return ""

    def ref(iri: str) -> str:
        if iri in terms:
            return link("#" + terms[iri].anchor, curie(iri))
        return link(iri, curie(iri))

    def section(title: str, selected: list[Term]) -> str:
        out = [f"<h2>{esc(title)} ({len(selected)})</h2>"]
        for t in selected:
            dl = [f"<dt>IRI</dt><dd class='iri'>{esc(t.iri)}</dd>"]
            if t.comments:
                dl.append("<dt>Comment</dt>" + "".join(f"<dd>{esc(c)}</dd>" for c in t.comments))
            for name, values in (("Super-" + ("classes" if t.kind == "class" else "properties"), t.supers),
                                 ("Sub-" + ("classes" if t.kind == "class" else "properties"), sorted(t.subs)),
                                 ("Domain", t.domains), ("Range", t.ranges)):
                if values:
                    dl.append(f"<dt>{name}</dt><dd>{', '.join(ref(v) for v in values)}</dd>")
            label = t.labels[0] if t.labels else ""
            out.append(f"<section class='term' id='{esc(t.anchor)}'><h3>{esc(curie(t.iri))}"
                       f"{' — ' + esc(label) if label else ''} <span class='tag'>{esc(t.kind)}</span></h3>"
                       f"<dl class='term'>{''.join(dl)}</dl></section>")
        return "".join(out)

    def order(t: Term) -> tuple:
        return (not t.iri.startswith(CG), curie(t.iri).lower())

    classes = sorted((t for t in terms.values() if t.kind == "class"), key=order)
    props = sorted((t for t in terms.values() if t.kind != "class"), key=order)
    toc = " · ".join(link("#" + t.anchor, curie(t.iri)) for t in classes + props if t.iri.startswith(CG))
    body = f"""<h1>{esc(first(RDFS + 'label') or 'ClaimGraph ontology')}</h1>
<p class="iri">{esc(ONTOLOGY_IRI)} · version {esc(first(OWL + 'versionInfo') or '?')}</p>
<p>{esc(first(RDFS + 'comment'))}</p>
<p class="muted">Also as {link('/ontology?format=turtle', 'Turtle')} · {link('/ontology?format=jsonld', 'JSON-LD')}
· {link('/ontology?format=ntriples', 'N-Triples')} · {link('/ontology?format=rdfxml', 'RDF/XML')}.
cg: terms come first in each list; the reused standard terms follow, with the hierarchy ClaimGraph relies on.</p>
<p><b>cg: terms</b>: {toc}</p>
{section('Classes', classes)}
{section('Properties', props)}"""
    return page("Ontology", body)


def answer_ontology(path: Path, *, accept: str | None, fmt: str | None) -> Answer:
    chosen = choose(accept, fmt, OFFERS)
    headers: dict[str, str] = {}  # to_response adds Vary: Accept
    if not path.is_file():
        return Answer(404, f"The ontology file {path} is missing.\n".encode("utf-8"), TEXT, headers)
    mtime = path.stat().st_mtime
    if chosen == HTML:
        return Answer(200, _ontology_page(str(path), mtime).encode("utf-8"), with_charset(HTML), headers)
    return Answer(200, _ontology_serialised(str(path), mtime, chosen), with_charset(chosen), headers)


@lru_cache(maxsize=4)
def _ontology_page(path: str, mtime: float) -> str:
    return ontology_html(_ontology_store(path, mtime))


# ----------------------------------------------------------------------------- routes


def make_router(base_iri: str, ontology_file: Path) -> APIRouter:
    """The routes; the entity route's path is base_iri's path (`/id/` by default), so it
    must be included after every other route in case that path is `/`."""
    links = Links(base_iri)
    router = APIRouter(tags=["linked data"])

    format_parameter = query_parameter("format", "Instead of Accept: html, turtle, jsonld, ntriples or rdfxml.")

    @route(router, "/ontology", ["GET", "HEAD"], response_class=Response,
                      summary="The ClaimGraph ontology (HTML documentation, Turtle, JSON-LD, N-Triples, RDF/XML)",
                      openapi_extra={"parameters": [format_parameter]})
    def ontology(request: Request) -> Response:
        try:
            answer = answer_ontology(ontology_file, accept=request.headers.get("accept"),
                                     fmt=request.query_params.get("format"))
        except ProtocolError as exc:
            answer = Answer.error(exc)
        return to_response(answer)

    @route(router, links.base_path + "{path:path}", ["GET", "HEAD"], response_class=Response,
                      summary="A linked-data page for an IRI minted under the base IRI",
                      openapi_extra={"parameters": [
                          {"name": "path", "in": "path", "required": True, "schema": {"type": "string"},
                           "description": "The IRI's path under the base IRI (slashes included)."},
                          format_parameter]})
    def entity(request: Request, store=Depends(get_store), runner: QueryRunner = Depends(get_query_runner)) -> Response:
        # the IRI as minted: percent-encoding kept (raw_path), query string left out
        raw = request.scope.get("raw_path") or request.url.path.encode("utf-8")
        iri = base_iri + raw.decode("latin-1").split("?", 1)[0][len(links.base_path):]
        try:
            ox.NamedNode(iri)
            chosen = choose(request.headers.get("accept"), request.query_params.get("format"), OFFERS)
            view = run_limited(runner, lambda: describe_entity(store.native, iri), "page")
            answer = answer_entity(view, accept=chosen, fmt=None, links=links)
        except ValueError:
            answer = Answer.error(ProtocolError(400, f"{iri!r} is not a valid IRI."))
        except ProtocolError as exc:
            answer = Answer.error(exc)
        return to_response(answer)

    return router
