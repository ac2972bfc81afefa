"""Validate: a document's graph against the SHACL shapes (ontology/shapes.ttl), strictly,
degrading rather than rejecting.

The shapes are compiled once into checks run directly over the document's
pyoxigraph terms (`compile_shapes`, `native_violations`): the SHACL Core
subset shapes.ttl uses (targets by class, subjects-of, objects-of and node;
`sh:path` with an IRI; `sh:minCount`, `sh:maxCount`, `sh:datatype`,
`sh:nodeKind`, `sh:class`, `sh:in`, `sh:or` of such value constraints,
`sh:lessThanOrEquals`; `sh:message`). Values are judged as pySHACL judges
them (a literal's datatype and well-formedness by rdflib, class membership
through the ontology's class hierarchy, as pySHACL sees it with the types
materialised), and tests/test_validate.py runs both side by side on real and
deliberately broken graphs. A check costs about a millisecond where pySHACL
took about a hundred. When shapes.ttl uses anything outside that subset, the
compiler says what and validation goes through pySHACL instead
(`pyshacl_violations`), so the shapes stay strict whatever they say.

pySHACL is fed only what the shapes can look at (`ShapeReach`): triples whose
predicate a shape names (`sh:path`, targets, pair constraints) and the
`rdf:type` triples naming a target or `sh:class` class, with superclasses
from the ontology added there. For SHACL Core shapes without `sh:closed`
that is exact.

When a node breaks a shape (a mention with two `itsrdf:taIdentRef`, a cited
work with two titles), that node is dropped: its own triples and the links
to it. The reason is kept for the run report, and the rest of the document is
checked again and loaded. A document is refused only when what breaks a
shape is the article, its source or its run, without which nothing of it
makes sense.
"""
from __future__ import annotations

import logging
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime, time
from decimal import Decimal
from functools import lru_cache

import pyoxigraph as ox
import rdflib
from rdflib.namespace import OWL, RDF, RDFS

from . import vocab as V
from .model import DocumentGraph, DroppedItem

SH = rdflib.Namespace("http://www.w3.org/ns/shacl#")
RDF_TYPE = V.RDF + "type"
MAX_ROUNDS = 5  # dropping a node can orphan another (rarely): check again, a few times at most
log = logging.getLogger(__name__)


class DocumentRejected(Exception):
    """A document that cannot be loaded; the message says why (parse or validation)."""


class UnsupportedShapes(Exception):
    """The shapes use SHACL the compiled checks do not implement; the message says what."""


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


# ------------------------------------------------------------------ compiled checks

# The SHACL terms the compiled checks implement; a shapes graph using any other sh: term is
# validated with pySHACL instead.
SUPPORTED_TERMS = frozenset({
    "NodeShape", "PropertyShape", "targetClass", "targetNode", "targetSubjectsOf", "targetObjectsOf",
    "property", "path", "message", "name", "description", "order", "group", "minCount", "maxCount",
    "datatype", "nodeKind", "class", "in", "or", "lessThanOrEquals",
    "IRI", "BlankNode", "Literal", "BlankNodeOrIRI", "BlankNodeOrLiteral", "IRIOrLiteral",
})
_VALUE_TERMS = ("datatype", "nodeKind", "class", "in", "or")  # what constrains a value node by itself
_NODE_KINDS = {
    "IRI": (ox.NamedNode,), "BlankNode": (ox.BlankNode,), "Literal": (ox.Literal,),
    "BlankNodeOrIRI": (ox.BlankNode, ox.NamedNode), "BlankNodeOrLiteral": (ox.BlankNode, ox.Literal),
    "IRIOrLiteral": (ox.NamedNode, ox.Literal),
}
_RDF_LANGSTRING = V.RDF + "langString"
_RDFS_LITERAL, _RDFS_DATATYPE = V.RDFS + "Literal", V.RDFS + "Datatype"
# The Python value rdflib must give a well-typed literal of these datatypes (pySHACL's test);
# other datatypes pass once rdflib does not call them ill-typed.
_PYTHON_TYPES = {
    V.XSD + "string": (str, bytes), _RDF_LANGSTRING: (str, bytes), V.XSD + "integer": int,
    V.XSD + "float": float, V.XSD + "decimal": Decimal, V.XSD + "boolean": bool, V.XSD + "date": date,
    V.XSD + "time": time, V.XSD + "dateTime": datetime,
}


_INTEGER_TYPES = frozenset(V.XSD + t for t in (
    "integer", "nonNegativeInteger", "positiveInteger", "nonPositiveInteger", "negativeInteger", "long", "int",
    "short", "byte", "unsignedLong", "unsignedInt", "unsignedShort", "unsignedByte"))


@lru_cache(maxsize=65536)
def _well_typed(lexical: str, datatype: str) -> bool:
    """Is this typed literal well formed, as rdflib (and so pySHACL) reads it?"""
    lit = rdflib.Literal(lexical, datatype=rdflib.URIRef(datatype))
    if getattr(lit, "ill_typed", None) is True:
        return False
    expected = _PYTHON_TYPES.get(datatype)
    return expected is None or isinstance(lit.value, expected)


def datatype_matches(value, datatype: str) -> bool:
    """sh:datatype on one value node: a literal of that datatype, well formed."""
    if not isinstance(value, ox.Literal):
        return False
    if datatype == _RDFS_LITERAL:
        return True
    if value.language:
        return datatype == _RDF_LANGSTRING
    if value.datatype.value == datatype:
        return _well_typed(value.value, datatype)
    return datatype == _RDFS_DATATYPE  # every literal without a language has a datatype


@lru_cache(maxsize=65536)
def _comparable(term) -> tuple[bool, object]:
    """A term as pySHACL's sh:lessThanOrEquals compares it: (True, str) for IRIs and string
    literals, else (False, the rdflib literal), which compares by value."""
    if isinstance(term, ox.NamedNode):
        return True, term.value
    lit = _rdflib(term)
    return (True, lit.value) if isinstance(lit.value, str) else (False, lit)


def not_after(value, other) -> bool:
    """sh:lessThanOrEquals for one pair of values: `value` <= `other`, both of one kind."""
    if isinstance(value, ox.BlankNode) or isinstance(other, ox.BlankNode):
        return False  # blank nodes have no order (pySHACL stops with an error)
    if (isinstance(value, ox.Literal) and isinstance(other, ox.Literal)
            and value.datatype.value in _INTEGER_TYPES and other.datatype.value in _INTEGER_TYPES):
        try:  # the common case (NIF offsets), without rdflib: rdflib compares these by int() too
            return int(value.value) <= int(other.value)
        except ValueError:
            pass
    (a_is_text, a), (b_is_text, b) = _comparable(value), _comparable(other)
    if a_is_text != b_is_text:
        return False
    try:
        return bool(a <= b)
    except TypeError:
        return False  # values rdflib cannot order (pySHACL stops with an error)


@dataclass(frozen=True)
class ValueTest:
    """What one value node must be by itself: sh:datatype, sh:nodeKind, sh:class (each one),
    sh:in, and sh:or (any one of the member tests)."""

    datatype: str | None = None
    node_kinds: tuple[type, ...] | None = None
    classes: tuple[str, ...] = ()
    one_of: frozenset | None = None
    any_of: tuple["ValueTest", ...] | None = None

    def passes(self, value, types: dict) -> bool:
        if self.datatype is not None and not datatype_matches(value, self.datatype):
            return False
        if self.node_kinds is not None and not isinstance(value, self.node_kinds):
            return False
        if self.classes:
            if isinstance(value, ox.Literal):
                return False
            have = types.get(_key(value), ())
            if not all(c in have for c in self.classes):
                return False
        if self.one_of is not None and value not in self.one_of:
            return False
        if self.any_of is not None and not any(t.passes(value, types) for t in self.any_of):
            return False
        return True

    @property
    def empty(self) -> bool:
        return self == ValueTest()


@dataclass(frozen=True)
class PropertyCheck:
    """One property shape: the values of `path` on a focus node (or, with `path` None, the focus
    node itself: a node shape's own constraints)."""

    path: str | None
    message: str
    min_count: int | None = None
    max_count: int | None = None
    value: ValueTest = ValueTest()
    not_after: tuple[str, ...] = ()  # sh:lessThanOrEquals: each value <= every value of these


@dataclass(frozen=True)
class NodeShapeCheck:
    """One node shape: which nodes it targets, and the checks each of them must pass."""

    name: str
    target_classes: tuple[str, ...]
    target_nodes: tuple
    target_subjects_of: tuple[str, ...]
    target_objects_of: tuple[str, ...]
    checks: tuple[PropertyCheck, ...]


@dataclass(frozen=True)
class CompiledShapes:
    shapes: tuple[NodeShapeCheck, ...]
    predicates: frozenset[str]  # the predicates the checks read (paths, pair constraints, targets)


def compile_shapes(g: rdflib.Graph) -> CompiledShapes:
    """The shapes of `g` as checks over terms; UnsupportedShapes names what they cannot follow."""
    ns = str(SH)
    used = {str(t)[len(ns):] for t in set(g.predicates()) | set(g.objects()) if isinstance(t, rdflib.URIRef)
            and str(t).startswith(ns)}
    if used - SUPPORTED_TERMS:
        raise UnsupportedShapes("they use sh:" + ", sh:".join(sorted(used - SUPPORTED_TERMS)))

    def one(node, term: str):
        values = list(g.objects(node, SH[term]))
        if len(values) > 1:
            raise UnsupportedShapes(f"{node} has {len(values)} values of sh:{term}")
        return values[0] if values else None

    def iri(term, what: str) -> str:
        if not isinstance(term, rdflib.URIRef):
            raise UnsupportedShapes(f"{what} is {term!r}, not an IRI (property paths are not compiled)")
        if str(term) == RDF_TYPE:
            raise UnsupportedShapes(f"{what} is rdf:type (types are read through the class hierarchy)")
        return str(term)

    def value_test(node) -> ValueTest:
        datatype, kind = one(node, "datatype"), one(node, "nodeKind")
        in_list = one(node, "in")
        one_of = None
        if in_list is not None:
            items = list(g.items(in_list))
            if any(isinstance(i, rdflib.Literal) for i in items):
                raise UnsupportedShapes(f"{node} lists literals in sh:in")
            one_of = frozenset(_ox(i) for i in items)
        any_of = None
        or_list = one(node, "or")
        if or_list is not None:
            members = []
            for member in g.items(or_list):
                extra = {str(p)[len(ns):] for p in g.predicates(member) if str(p).startswith(ns)} - set(_VALUE_TERMS)
                if extra:
                    raise UnsupportedShapes(f"a member of sh:or uses sh:{', sh:'.join(sorted(extra))}")
                members.append(value_test(member))
            any_of = tuple(members)
        if kind is not None and str(kind)[len(ns):] not in _NODE_KINDS:
            raise UnsupportedShapes(f"unknown sh:nodeKind {kind}")
        return ValueTest(
            datatype=str(datatype) if datatype is not None else None,
            node_kinds=_NODE_KINDS[str(kind)[len(ns):]] if kind is not None else None,
            classes=tuple(sorted(str(c) for c in g.objects(node, SH["class"]))),
            one_of=one_of, any_of=any_of)

    def message(node) -> str:
        text = one(node, "message")
        if text is None:
            # pySHACL's generic messages are not reproduced: every shape here says its own
            raise UnsupportedShapes(f"{node} has constraints but no sh:message")
        return str(text)

    targets = ("targetClass", "targetNode", "targetSubjectsOf", "targetObjectsOf")
    nodes = set(g.subjects(RDF.type, SH.NodeShape)) | {s for t in targets for s in g.subjects(SH[t], None)}
    shapes, predicates = [], set()
    for node in sorted(nodes, key=str):
        if (node, SH.path, None) in g:
            raise UnsupportedShapes(f"property shape {node} has its own targets")
        if (node, RDF.type, OWL.Class) in g:
            raise UnsupportedShapes(f"{node} is an owl:Class (implicit targets are read for rdfs:Class only)")
        for term in ("minCount", "maxCount", "lessThanOrEquals"):
            if (node, SH[term], None) in g:
                raise UnsupportedShapes(f"node shape {node} uses sh:{term}")
        classes = {str(c) for c in g.objects(node, SH.targetClass)}
        if (node, RDF.type, RDFS.Class) in g:
            classes.add(str(node))  # a shape that is a class targets its instances
        subjects_of = tuple(sorted(iri(p, "sh:targetSubjectsOf") for p in g.objects(node, SH.targetSubjectsOf)))
        objects_of = tuple(sorted(iri(p, "sh:targetObjectsOf") for p in g.objects(node, SH.targetObjectsOf)))
        predicates.update(subjects_of + objects_of)
        checks = []
        own = value_test(node)
        if not own.empty:
            checks.append(PropertyCheck(None, message(node), value=own))
        for prop in g.objects(node, SH.property):
            if any((prop, SH[t], None) in g for t in (*targets, "property")):
                raise UnsupportedShapes(f"property shape {prop} has targets or nested sh:property")
            path = iri(one(prop, "path"), f"the sh:path of {prop}")
            low, high = one(prop, "minCount"), one(prop, "maxCount")
            pairs = tuple(sorted(iri(p, "sh:lessThanOrEquals") for p in g.objects(prop, SH.lessThanOrEquals)))
            predicates.add(path)
            predicates.update(pairs)
            checks.append(PropertyCheck(path, message(prop), int(low) if low is not None else None,
                                        int(high) if high is not None else None, value_test(prop), pairs))
        shapes.append(NodeShapeCheck(str(node), tuple(sorted(classes)),
                                     tuple(_ox(t) for t in g.objects(node, SH.targetNode)),
                                     subjects_of, objects_of, tuple(checks)))
    return CompiledShapes(tuple(shapes), frozenset(predicates))


@lru_cache(maxsize=1)
def compiled_shapes() -> CompiledShapes | None:
    """ontology/shapes.ttl compiled, or None (with a warning) when pySHACL must run them."""
    from .ontology import shapes_graph

    try:
        return compile_shapes(shapes_graph())
    except UnsupportedShapes as exc:
        log.warning("ontology/shapes.ttl is validated with pySHACL (slower): %s", exc)
        return None


_NONE: dict = {}


def _key(term) -> str:
    """A node's key in the checks' indexes: hashing strings is much cheaper than hashing
    pyoxigraph terms, and an IRI, a blank node and a literal never share one."""
    if isinstance(term, ox.NamedNode):
        return term.value
    return "_:" + term.value if isinstance(term, ox.BlankNode) else str(term)


def _distinct(found: list) -> int:
    return len(found) if len(found) < 2 else len({str(t) for t in found})  # N-Triples: one string per term


def native_violations(quads, shapes: CompiledShapes) -> list[Violation]:
    """Every result of the compiled shapes for these quads (or triples), sorted; [] when they conform."""
    from .ontology import short, superclass_closure_map

    closure, wanted = superclass_closure_map(), shapes.predicates
    values: dict = {}    # subject key -> predicate -> its values (terms, in order)
    nodes: dict = {}     # subject key -> the subject term
    declared: dict = {}  # subject key -> the classes its rdf:type triples name
    for q in quads:
        p = q.predicate.value
        if p == RDF_TYPE:
            o = q.object
            if isinstance(o, ox.NamedNode):
                subject = q.subject
                key = _key(subject)
                nodes[key] = subject
                declared.setdefault(key, set()).add(o.value)
        elif p in wanted:
            subject = q.subject
            key = _key(subject)
            by_predicate = values.get(key)
            if by_predicate is None:
                by_predicate = values[key] = {}
                nodes[key] = subject
            found = by_predicate.get(p)
            if found is None:
                by_predicate[p] = [q.object]
            else:
                found.append(q.object)
    types: dict = {}      # node key -> its classes with their superclasses
    instances: dict = {}  # class -> the keys of its instances
    for key, classes in declared.items():
        have = set()
        for cls in classes:
            have.update(closure.get(cls, (cls,)))
        types[key] = have
        for cls in have:
            instances.setdefault(cls, []).append(key)

    out: set[Violation] = set()

    def violation(focus, check: PropertyCheck, value=None) -> None:
        shown = short(value) if value is not None and not isinstance(value, ox.BlankNode) else None
        out.add(Violation(focus, check.path, check.message, shown))

    for shape in shapes.shapes:
        focus_nodes = {_key(t): t for t in shape.target_nodes}
        for cls in shape.target_classes:
            focus_nodes.update((key, nodes[key]) for key in instances.get(cls, ()))
        for p in shape.target_subjects_of:
            focus_nodes.update((key, nodes[key]) for key, by_predicate in values.items() if p in by_predicate)
        for p in shape.target_objects_of:
            for by_predicate in values.values():
                focus_nodes.update((_key(o), o) for o in by_predicate.get(p, ()))
        for key, focus in focus_nodes.items():
            own = values.get(key, _NONE)
            for check in shape.checks:
                found = own.get(check.path, ()) if check.path is not None else (focus,)
                if check.min_count is not None or check.max_count is not None:
                    n = _distinct(found)
                    if (check.min_count is not None and n < check.min_count) or (
                            check.max_count is not None and n > check.max_count):
                        violation(focus, check)
                for value in found:
                    if not check.value.passes(value, types):
                        violation(focus, check, value)
                    for other in check.not_after:
                        if not all(not_after(value, bound) for bound in own.get(other, ())):
                            violation(focus, check, value)
    return sorted(out, key=str)


# ------------------------------------------------------------------ pySHACL


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


def pyshacl_violations(quads) -> list[Violation]:
    """Every SHACL result pySHACL gives for these quads (or triples), sorted; [] when they conform."""
    import pyshacl  # imported here: slow to import, only this path needs it

    from .ontology import shapes_graph, short

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
        out.append(Violation(_ox(results.value(result, SH.focusNode)),
                             str(path) if isinstance(path, rdflib.URIRef) else None,
                             str(message) if message else "constraint violated",
                             short(value) if value is not None and not isinstance(value, rdflib.BNode) else None))
    return sorted(set(out), key=str)


def shacl_violations(quads: Iterable) -> list[Violation]:
    """Every SHACL result for these quads (or triples), sorted; [] when they conform: the
    compiled checks, or pySHACL when the shapes use what they do not implement."""
    shapes = compiled_shapes()
    return native_violations(quads, shapes) if shapes is not None else pyshacl_violations(quads)


# ------------------------------------------------------------------ degrade, don't reject


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
