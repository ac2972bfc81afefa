"""Validate: a document's graph against the SHACL shapes (ontology/shapes.ttl), strictly,
degrading rather than rejecting.

pySHACL checks what is loaded. It is fed only what the shapes can look at
(`ShapeReach`): triples whose predicate a shape names (`sh:path`, targets,
pair constraints) and the `rdf:type` triples naming a target or `sh:class`
class, with superclasses from the ontology added there. For SHACL Core
shapes without `sh:closed` that is exact, and it spares pySHACL most of a
document (article bodies, NIF contexts) and the parse of N-Triples text: the
graph goes from pyoxigraph terms straight to an rdflib graph. Shapes that use
anything else (complex paths, `sh:closed`, SPARQL constraints) get the whole
graph.

When a node breaks a shape (a mention with two `itsrdf:taIdentRef`, a cited
work with two titles), that node is dropped: its own triples and the links
to it. The reason is kept for the run report, and the rest of the document is
checked again and loaded. A document is refused only when what breaks a
shape is the article, its source or its run, without which nothing of it
makes sense.
"""
from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache

import pyoxigraph as ox
import rdflib
from rdflib.namespace import RDF

from . import vocab as V
from .model import DocumentGraph, DroppedItem

SH = rdflib.Namespace("http://www.w3.org/ns/shacl#")
RDF_TYPE = V.RDF + "type"
MAX_ROUNDS = 5  # dropping a node can orphan another (rarely): check again, a few times at most


class DocumentRejected(Exception):
    """A document that cannot be loaded; the message says why (parse or validation)."""


@dataclass(frozen=True)
class Violation:
    focus: ox.NamedNode | ox.BlankNode | ox.Literal | None
    path: str | None
    message: str
    value: str | None = None

    def __str__(self) -> str:
        from .ontology import short

        line = f"{short(self.focus)} {short(self.path) if self.path else '-'}: {self.message}"
        return line + (f" (got {self.value})" if self.value else "")


@dataclass(frozen=True)
class ShapeReach:
    """What the shapes can look at: predicates, and the classes typing focus or value nodes."""

    predicates: frozenset[str]
    classes: frozenset[str]
    everything: bool  # the shapes use something this projection cannot follow


@lru_cache(maxsize=1)
def shape_reach() -> ShapeReach:
    from .ontology import shapes_graph

    g = shapes_graph()
    predicates, everything = set(), False
    for prop in ("path", "targetSubjectsOf", "targetObjectsOf", "equals", "disjoint", "lessThan",
                 "lessThanOrEquals"):
        for o in g.objects(None, SH[prop]):
            if isinstance(o, rdflib.URIRef):
                predicates.add(str(o))
            else:
                everything = True  # a property path: follow everything
    for prop in ("closed", "sparql", "js", "expression", "rule"):
        if any(True for _ in g.subject_objects(SH[prop])):
            everything = True
    classes = {str(o) for prop in ("targetClass", "class") for o in g.objects(None, SH[prop])}
    # implicit class targets: a shape that is itself a class targets its instances
    classes |= {str(s) for s in g.subjects(RDF.type, SH.NodeShape) if (s, RDF.type, rdflib.RDFS.Class) in g}
    return ShapeReach(frozenset(predicates), frozenset(classes), everything)


def _rdflib(term):
    if isinstance(term, ox.NamedNode):
        return rdflib.URIRef(term.value)
    if isinstance(term, ox.BlankNode):
        return rdflib.BNode(term.value)
    if term.language:
        return rdflib.Literal(term.value, lang=term.language)
    return rdflib.Literal(term.value, datatype=rdflib.URIRef(term.datatype.value))


def reachable_graph(quads) -> rdflib.Graph:
    """The part of a document graph the shapes can see, as an rdflib graph (types materialised)."""
    from .ontology import superclass_closure_map

    reach, closure = shape_reach(), superclass_closure_map()
    g = rdflib.Graph()
    add, type_node = g.add, rdflib.URIRef(RDF_TYPE)
    for q in quads:
        p = q.predicate.value
        if p == RDF_TYPE:
            if isinstance(q.object, ox.NamedNode):
                subject = _rdflib(q.subject)
                for cls in closure.get(q.object.value, (q.object.value,)):
                    if reach.everything or cls in reach.classes:
                        add((subject, type_node, rdflib.URIRef(cls)))
        elif reach.everything or p in reach.predicates:
            add((_rdflib(q.subject), rdflib.URIRef(p), _rdflib(q.object)))
    return g


def _ox(term) -> ox.NamedNode | ox.BlankNode | ox.Literal | None:
    if isinstance(term, rdflib.URIRef):
        return ox.NamedNode(str(term))
    if isinstance(term, rdflib.BNode):
        return ox.BlankNode(str(term))
    if isinstance(term, rdflib.Literal):
        return ox.Literal(str(term), language=term.language) if term.language else ox.Literal(
            str(term), datatype=ox.NamedNode(str(term.datatype)) if term.datatype else None)
    return None


def shacl_violations(quads) -> list[Violation]:
    """Every SHACL result for these quads (or triples), sorted; [] when they conform."""
    import pyshacl  # imported here: slow to import, only validation needs it

    from .ontology import shapes_graph

    conforms, results, _text = pyshacl.validate(
        reachable_graph(quads), shacl_graph=shapes_graph(), inference="none", advanced=False,
        abort_on_first=False, inplace=True)
    if conforms:
        return []
    out = []
    for result in results.subjects(RDF.type, SH.ValidationResult):
        path = results.value(result, SH.resultPath)
        message = results.value(result, SH.resultMessage)
        value = results.value(result, SH.value)
        from .ontology import short

        out.append(Violation(_ox(results.value(result, SH.focusNode)),
                             str(path) if isinstance(path, rdflib.URIRef) else None,
                             str(message) if message else "constraint violated",
                             short(value) if value is not None and not isinstance(value, rdflib.BNode) else None))
    return sorted(set(out), key=str)


def _kind(quads, focus) -> str:
    """The most specific-looking type of a node, as a CURIE, to name it in the report."""
    from .ontology import short

    types = [q.object for q in quads if q.subject == focus and q.predicate.value == RDF_TYPE]
    named = [t for t in types if isinstance(t, ox.NamedNode) and t.value.startswith(V.CG)] or types
    return short(named[0]) if named else "node"


def validate_graph(graph: DocumentGraph, protected: set[str] | None = None) -> tuple[DocumentGraph, list[DroppedItem]]:
    """The graph that passes the shapes, and what had to be dropped from it (with reasons).

    Raises DocumentRejected when a protected node (the article, its source, its run) or the
    document as a whole breaks a shape, or when dropping does not make it conform."""
    protected = set(protected or ()) | {graph.article_iri}
    quads = list(graph.quads)
    dropped: list[DroppedItem] = []
    for _round in range(MAX_ROUNDS):
        violations = shacl_violations(quads)
        if not violations:
            return (graph if not dropped else DocumentGraph(graph.source_id, graph.graph_iri, tuple(quads),
                                                            graph.article_iri)), dropped
        fatal = [v for v in violations if not isinstance(v.focus, (ox.NamedNode, ox.BlankNode))
                 or v.focus.value in protected]
        if fatal:
            shown = "; ".join(map(str, fatal[:5]))
            more = f" (+{len(fatal) - 5} more)" if len(fatal) > 5 else ""
            raise DocumentRejected(f"SHACL validation failed: {shown}{more}")
        reasons: dict = {}
        for v in violations:
            reasons.setdefault(v.focus, []).append(v)
        for focus, vs in reasons.items():
            what = f"{_kind(quads, focus)} <{focus.value}>"
            dropped.append(DroppedItem(what, "; ".join(f"{v.message}" + (f" (got {v.value})" if v.value else "")
                                                        for v in vs)))
        gone = set(reasons)
        quads = [q for q in quads if q.subject not in gone and q.object not in gone]
    raise DocumentRejected("SHACL validation failed: dropping the items that broke the shapes did not make "
                           f"the document conform after {MAX_ROUNDS} rounds")
