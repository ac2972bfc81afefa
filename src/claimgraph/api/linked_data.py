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
store; rendering is `entity_html` (templates/entity.html, autoescaped) / `entity_rdf`;
the routes only negotiate.
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
from ..stores import StoreError
from ..vocab import FOAF, ITSRDF, NIF, OWL, PREFIXES, RDF, RDFS, SCHEMA, SKOS, WD
from .answers import HTML, TEXT, Answer, ProtocolError, negotiate, with_charset
from .deps import get_query_runner, get_store, query_parameter, route
from .html import curie, render
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
XSD_STRING = "http://www.w3.org/2001/XMLSchema#string"
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
    """Collect what the pages show about `iri` (`store` is a pyoxigraph Store, or a remote store's
    `reader` with the same read methods; union of all graphs)."""
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


@dataclass
class TermView:
    """One term as templates/macros.html `term` shows it."""

    kind: str  # "iri" | "literal" | "bnode" | "other"
    value: str = ""
    href: str | None = None
    label: str | None = None
    language: str | None = None
    datatype: str | None = None  # None for xsd:string
    children: list = field(default_factory=list)  # (TermView, TermView) of a blank node
    cut: bool = False  # a blank node too deep to show


def term_view(term, view: EntityView, links: Links, depth: int = 0) -> TermView:
    if isinstance(term, ox.NamedNode):
        return TermView("iri", term.value, links.href(term.value), view.labels.get(term.value))
    if isinstance(term, ox.Literal):
        dt = term.datatype.value if term.datatype is not None else None
        return TermView("literal", term.value, language=term.language,
                        datatype=None if term.language or dt == XSD_STRING else dt)
    if isinstance(term, ox.BlankNode):
        if depth >= 4:
            return TermView("bnode", cut=True)
        return TermView("bnode", children=[(term_view(t.predicate, view, links), term_view(t.object, view, links, depth + 1))
                                           for t in view.outgoing if t.subject == term])
    return TermView("other", str(term))


def entity_html(view: EntityView, links: Links) -> str:
    title = view.label()
    node = ox.NamedNode(view.iri)
    grouped: dict[str, list] = {}
    for t in view.outgoing:
        if t.subject == node and t.predicate.value != TYPE:
            grouped.setdefault(t.predicate.value, []).append(t.object)
    properties = [(TermView("iri", p, links.href(p), view.label(p)), [term_view(o, view, links) for o in grouped[p]])
                  for p in sorted(grouped, key=lambda p: view.label(p).lower())]

    def claims(rows: list[ClaimRow], show: str) -> list[dict]:
        return [{"text": c.text, "href": links.href(c.claim),
                 "other": term_view(c.holder if show == "holder" else c.about, view, links)
                 if (c.holder if show == "holder" else c.about) is not None else None} for c in rows]

    return render(
        "entity.html", title=title, iri=view.iri,
        types=[(links.href(t.value), view.label(t.value)) for t in view.values(TYPE) if isinstance(t, ox.NamedNode)],
        wikidata=[t.value for t in view.values(SAME_AS) if isinstance(t, ox.NamedNode) and t.value.startswith(WD)],
        here=links.href(view.iri).split("#")[0], graph_size=view.graph_size,
        store_href="/store?" + urllib.parse.urlencode({"graph": view.iri}),
        properties=properties,
        mentions=[{"article": m.article, "href": links.href(m.article) if m.article else None,
                   "headline": m.headline, "before": m.before, "text": m.text, "after": m.after}
                  for m in view.mentions],
        mention_count=view.mention_count,
        claim_lists=[(f"Claims about {title}", claims(view.claims_about, "holder")),
                     (f"Claims by {title}", claims(view.claims_held, "about"))],
        incoming=[(term_view(t.subject, view, links), TermView("iri", t.predicate.value, links.href(t.predicate.value),
                                                               view.label(t.predicate.value)))
                  for t in view.incoming],
        graphs=[(links.href(g), g) for g in view.graphs],
    )


def not_found_html(iri: str) -> str:
    return render("not_found.html", title="Not found", iri=iri)


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
    listed: list = field(default_factory=list)  # (heading, IRIs) for the page

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

    def order(t: Term) -> tuple:
        return (not t.iri.startswith(CG), curie(t.iri).lower())

    for t in terms.values():
        kind = "classes" if t.kind == "class" else "properties"
        t.listed = [("Super-" + kind, t.supers), ("Sub-" + kind, sorted(t.subs)), ("Domain", t.domains),
                    ("Range", t.ranges)]
    classes = sorted((t for t in terms.values() if t.kind == "class"), key=order)
    props = sorted((t for t in terms.values() if t.kind != "class"), key=order)
    return render("ontology.html", title="Ontology", terms=terms, classes=classes, properties=props,
                  own=[t for t in classes + props if t.iri.startswith(CG)],
                  label=first(RDFS + "label") or "ClaimGraph ontology", ontology_iri=ONTOLOGY_IRI,
                  version=first(OWL + "versionInfo") or "?", comment=first(RDFS + "comment"))


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
            view = run_limited(runner, lambda: describe_entity(store.reader, iri), "page")
            answer = answer_entity(view, accept=chosen, fmt=None, links=links)
        except StoreError as exc:  # a remote store failed to answer
            answer = Answer(502, f"The store failed: {exc}\n".encode("utf-8"), TEXT)
        except ValueError:
            answer = Answer.error(ProtocolError(400, f"{iri!r} is not a valid IRI."))
        except ProtocolError as exc:
            answer = Answer.error(exc)
        return to_response(answer)

    return router
