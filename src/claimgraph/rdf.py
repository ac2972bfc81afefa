"""RDF as terms: the writer every graph of ClaimGraph is built with.

Each IRI and literal is a pyoxigraph term, checked when it is made
(`NamedNode` refuses what is not an IRI), so page content can never break
out of its place in a triple; nothing is ever written as N-Triples or SPARQL
text. A URL that a page controls (its canonical address, a footnote's link)
goes through `web_iri`, which accepts only absolute http(s) IRIs; anything
else is left out, and the writer remembers what it left out and why, for the
run report.
"""
from __future__ import annotations

from collections.abc import Callable, Iterable
from datetime import date, datetime
from functools import lru_cache
from urllib.parse import urlsplit

import pyoxigraph as ox

from . import vocab as V
from .model import DroppedItem

XSD_STRING = V.XSD + "string"


@lru_cache(maxsize=4096)
def node(iri: str) -> ox.NamedNode:
    """A NamedNode for an IRI the code itself names or mints (vocabulary, minted IRIs); cached."""
    return ox.NamedNode(iri)


def web_iri(value: str | None) -> tuple[ox.NamedNode | None, str | None]:
    """(the IRI, None) when `value` is an absolute http(s) IRI, else (None, why not)."""
    if not value:
        return None, "empty"
    value = value.strip()
    try:
        parts = urlsplit(value)
    except ValueError as exc:  # "http://[x": brackets that are no IPv6 address
        return None, f"malformed URL ({exc}): {value[:80]!r}"
    if parts.scheme.lower() not in ("http", "https"):
        return None, f"not an http(s) URL ({value[:80]!r})"
    if not parts.netloc:
        return None, f"no host in {value[:80]!r}"
    try:
        return ox.NamedNode(value), None
    except ValueError as exc:
        return None, f"not a valid IRI ({exc}): {value[:80]!r}"


def literal(value: object, datatype: str | None = None, lang: str | None = None) -> ox.Literal:
    """A literal with the XSD datatype its Python type implies, unless `datatype`/`lang` say."""
    if lang:
        return ox.Literal(str(value), language=lang)
    if datatype and datatype != XSD_STRING:
        return ox.Literal(str(value), datatype=node(datatype))
    if datatype == XSD_STRING:
        return ox.Literal(str(value))
    if isinstance(value, bool):
        return ox.Literal("true" if value else "false", datatype=node(V.XSD + "boolean"))
    if isinstance(value, int):
        return ox.Literal(str(value), datatype=node(V.XSD + "integer"))
    if isinstance(value, datetime):
        return ox.Literal(value.isoformat(timespec="seconds"), datatype=node(V.XSD + "dateTime"))
    if isinstance(value, date):
        return ox.Literal(value.isoformat(), datatype=node(V.XSD + "date"))
    return ox.Literal(str(value))


class GraphWriter:
    """Collects the quads of one named graph, without duplicates; `a()` materialises superclasses.

    Subjects and objects are given as IRI strings (minted by `Iris`, or vocabulary);
    `url()` takes a page-controlled URL and drops it, with the reason, when it is not
    an http(s) IRI.
    """

    def __init__(self, graph_iri: str, closure: Callable[[str], Iterable[str]] = lambda c: (c,)):
        self.graph = ox.NamedNode(graph_iri)
        self._quads: dict[ox.Quad, None] = {}
        self._closure = closure
        self.dropped: list[DroppedItem] = []

    def add(self, s: ox.NamedNode, p: ox.NamedNode, o) -> None:
        self._quads[ox.Quad(s, p, o, self.graph)] = None

    def iri(self, s: str, p: str, o: str) -> None:
        self.add(node(s), node(p), node(o))

    def lit(self, s: str, p: str, value: object, datatype: str | None = None, lang: str | None = None) -> None:
        if value is None or value == "":
            return
        self.add(node(s), node(p), literal(value, datatype, lang))

    def url(self, s: str, p: str, value: str | None, what: str) -> bool:
        """Link `s` to a page-controlled URL; False (and a dropped item) when it is no http(s) IRI."""
        if not value:
            return False
        iri, why = web_iri(value)
        if iri is None:
            self.dropped.append(DroppedItem(what, why or "not a URL"))
            return False
        self.add(node(s), node(p), iri)
        return True

    def a(self, s: str, *classes: str) -> None:
        subject, rdf_type = node(s), node(V.RDF + "type")
        for cls in classes:
            for sup in self._closure(cls):
                self.add(subject, rdf_type, node(sup))

    def extend(self, triples: Iterable[ox.Triple]) -> None:
        for t in triples:
            self.add(t.subject, t.predicate, t.object)

    def __len__(self) -> int:
        return len(self._quads)

    def quads(self) -> tuple[ox.Quad, ...]:
        return tuple(self._quads)
