"""The ontology (ontology/claimgraph.ttl) and shapes (ontology/shapes.ttl) as
plain functions: load them, materialise the class hierarchy, check the
ontology with HermiT and validate a document graph with SHACL.

HermiT is a check for the ontology only (LIBRARY-NOTES.md); the hierarchy is
materialised into the data by the mapping through `materialise_types`.
"""
from __future__ import annotations

import io
import shutil
import time
from collections.abc import Iterable
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path

import rdflib
from rdflib.namespace import OWL, RDF, RDFS

from .config import ONTOLOGY_IRI, project_root
from .vocab import PREFIXES

JAVA_HINT = "Java runtime not found: install default-jre-headless"


class JavaNotFoundError(RuntimeError):
    """HermiT runs on the JVM; raised when no `java` executable is on PATH."""


@dataclass(frozen=True)
class HermitReport:
    consistent: bool
    unsatisfiable: list[str] = field(default_factory=list)  # class IRIs equivalent to owl:Nothing
    seconds: float = 0.0


@dataclass(frozen=True)
class ShaclReport:
    conforms: bool
    messages: list[str] = field(default_factory=list)  # "<focus> <path>: <message>", sorted


# ------------------------------------------------------------------ files


def ontology_dir() -> Path:
    return project_root() / "ontology"


def ontology_path() -> Path:
    """ontology/claimgraph.ttl, the OWL source of truth."""
    return ontology_dir() / "claimgraph.ttl"


def shapes_path() -> Path:
    return ontology_dir() / "shapes.ttl"


# Cached graphs are shared: callers must not add to or remove from them.
@lru_cache(maxsize=1)
def load_ontology_graph() -> rdflib.Graph:
    return rdflib.Graph().parse(ontology_path(), format="turtle")


@lru_cache(maxsize=1)
def shapes_graph() -> rdflib.Graph:
    return rdflib.Graph().parse(shapes_path(), format="turtle")


@lru_cache(maxsize=1)
def ontology_ntriples() -> str:
    """The ontology as N-Triples, lines sorted so the output is stable for caching and diffs.

    Blank-node labels differ between processes; only the ontology's own axioms use them.
    """
    text = load_ontology_graph().serialize(format="nt")
    return "".join(sorted(line + "\n" for line in text.splitlines() if line.strip()))


# ------------------------------------------------------ class hierarchy


@lru_cache(maxsize=1)
def _closure() -> dict[str, frozenset[str]]:
    g = load_ontology_graph()
    parents: dict[str, set[str]] = {}

    def edge(sub: str, sup: str) -> None:
        parents.setdefault(sub, set()).add(sup)
        parents.setdefault(sup, set())

    for cls in set(g.subjects(RDF.type, OWL.Class)) | set(g.subjects(RDF.type, RDFS.Class)):
        if isinstance(cls, rdflib.URIRef):
            parents.setdefault(str(cls), set())
    # Only named classes: restrictions and enumerations (blank nodes) are not types to assert.
    for s, o in g.subject_objects(RDFS.subClassOf):
        if isinstance(s, rdflib.URIRef) and isinstance(o, rdflib.URIRef):
            edge(str(s), str(o))
    for s, o in g.subject_objects(OWL.equivalentClass):
        if isinstance(s, rdflib.URIRef) and isinstance(o, rdflib.URIRef):
            edge(str(s), str(o))
            edge(str(o), str(s))

    closure: dict[str, frozenset[str]] = {}
    for cls in parents:
        seen = {cls}
        stack = [cls]
        while stack:
            for sup in parents[stack.pop()]:
                if sup not in seen:
                    seen.add(sup)
                    stack.append(sup)
        closure[cls] = frozenset(seen)
    return closure


def superclass_closure_map() -> dict[str, frozenset[str]]:
    """The cached closure itself (read-only: callers must not change it)."""
    return _closure()


def superclass_closure() -> dict[str, frozenset[str]]:
    """Class IRI -> itself and all its superclasses (rdfs:subClassOf and
    owl:equivalentClass, transitively). owl:Thing is left out."""
    return dict(_closure())


def materialise_types(types: Iterable[str]) -> set[str]:
    """The given class IRIs plus all their superclasses; unknown classes are kept as they are."""
    closure = _closure()
    out: set[str] = set()
    for t in types:
        out |= closure.get(t, {t})
    return out


# ---------------------------------------------------------------- HermiT


def check_with_hermit() -> HermitReport:
    """Run HermiT over the ontology: is it consistent, and which classes are unsatisfiable?

    Raises JavaNotFoundError when no Java runtime is installed.
    """
    import owlready2  # imported here: slow to import and only this check needs it

    if shutil.which(owlready2.JAVA_EXE) is None:
        raise JavaNotFoundError(f"{JAVA_HINT} (looked for {owlready2.JAVA_EXE!r} on PATH)")

    t0 = time.perf_counter()
    # A fresh World per check: the default one is process-global and would keep
    # earlier loads and inferences (LIBRARY-NOTES.md). owlready2 cannot read
    # Turtle, so it gets N-Triples bytes.
    world = owlready2.World()
    try:
        onto = world.get_ontology(ONTOLOGY_IRI).load(
            fileobj=io.BytesIO(ontology_ntriples().encode("utf-8")), format="ntriples")
        try:
            with onto:
                owlready2.sync_reasoner_hermit(world, debug=0)
        except owlready2.OwlReadyInconsistentOntologyError:
            return HermitReport(False, [], time.perf_counter() - t0)
        nothing = "http://www.w3.org/2002/07/owl#Nothing"
        unsat = sorted(c.iri for c in world.inconsistent_classes() if c.iri != nothing)
        return HermitReport(True, unsat, time.perf_counter() - t0)
    finally:
        world.close()


# ------------------------------------------------------------------ SHACL


def short(term) -> str:
    """A term (rdflib, pyoxigraph or an IRI string) as people read it: a CURIE when a
    known prefix fits, a literal quoted and cut at 60 characters."""
    import pyoxigraph as ox

    if term is None:
        return "-"
    if isinstance(term, (rdflib.Literal, ox.Literal)):  # before str: an rdflib Literal is a str
        text = term.value if isinstance(term, ox.Literal) else str(term)
        return repr(text if len(text) <= 60 else text[:57] + "...")
    if isinstance(term, (str, rdflib.URIRef, ox.NamedNode)):
        iri = term.value if isinstance(term, ox.NamedNode) else str(term)
        for prefix, ns in PREFIXES.items():
            if iri.startswith(ns) and len(iri) > len(ns):
                return f"{prefix}:{iri[len(ns):]}"
        return f"<{iri}>"
    return "[]" if isinstance(term, (rdflib.BNode, ox.BlankNode)) else str(term)


def validate_document(ntriples: str) -> ShaclReport:
    """Check one document's graph (N-Triples text) against shapes.ttl; see validate.py."""
    import pyoxigraph as ox

    from .validate import shacl_violations

    violations = shacl_violations([q.triple for q in ox.parse(ntriples, format=ox.RdfFormat.N_TRIPLES)])
    return ShaclReport(not violations, sorted({str(v) for v in violations}))
