"""Enrich: a few facts about linked entities from Wikidata's SPARQL endpoint.

For each batch of at most 50 QIDs, one SELECT with a VALUES block fetches
labels in several languages and a handful of direct ("truthy") statements:
ISO 3166 codes (P297, P298), head of state (P35), head of government (P6),
member of (P463), inception (P571), country of citizenship (P27) and
employer (P108), with the English label of each item they point to.

The answer becomes triples (pyoxigraph terms, each checked when made) for a named graph of its own (by default
`{base}graph/wikidata`, `wikidata_graph_iri`) in Wikidata's own terms: items
as `http://www.wikidata.org/entity/Q…`, statements with
`http://www.wikidata.org/prop/direct/P…`, labels as `rdfs:label` with language
tags; the graph carries its provenance (prov:wasDerivedFrom the endpoint,
prov:generatedAtTime). Local entities join it through the owl:sameAs links
written by the mapping and `reconcile.link_decision_triples`.
"""
from __future__ import annotations

import logging
import re
from datetime import datetime, timezone
from typing import Iterable

import pyoxigraph as ox

from .. import vocab as V
from ..iris import Iris
from ..rdf import literal
from .wikidata import WikidataClient, WikidataError

log = logging.getLogger(__name__)

WDT = "http://www.wikidata.org/prop/direct/"
BATCH = 50
PROPERTIES = ("P297", "P298", "P35", "P6", "P463", "P571", "P27", "P108")
LANGUAGES = ("en", "de", "fr", "es", "ru", "zh", "ja", "ko", "tr", "ar")
_QID = re.compile(r"^Q[1-9][0-9]*$")
_LANG = re.compile(r"^[a-zA-Z]{1,8}(-[a-zA-Z0-9]{1,8})*$")
_IRI_BAD = re.compile(r'[\x00-\x20<>"{}|^`\\]')


def wikidata_graph_iri(iris: Iris) -> str:
    return f"{iris.base}graph/wikidata"


def enrichment_query(qids: Iterable[str], languages: Iterable[str] = LANGUAGES,
                     properties: Iterable[str] = PROPERTIES) -> str:
    """One SELECT for up to 50 items: (?item ?prop ?value ?valueLabel) rows."""
    ids = list(dict.fromkeys(qids))
    bad = [q for q in ids if not _QID.match(q)]
    if bad:
        raise ValueError(f"not Wikidata item ids: {bad}")
    if len(ids) > BATCH:
        raise ValueError(f"{len(ids)} items in one query; at most {BATCH}")
    langs = list(dict.fromkeys(languages))
    if any(not _LANG.match(lang) for lang in langs):
        raise ValueError(f"bad language tags: {langs}")
    props = [p for p in properties if re.fullmatch(r"P[1-9][0-9]*", p)]
    values = " ".join(f"wd:{q}" for q in ids)
    prop_values = " ".join(f"wdt:{p}" for p in props)
    lang_list = ", ".join(f'"{lang.lower()}"' for lang in langs)
    return f"""PREFIX wd: <{V.WD}>
PREFIX wdt: <{WDT}>
PREFIX rdfs: <{V.RDFS}>
SELECT ?item ?prop ?value ?valueLabel WHERE {{
  VALUES ?item {{ {values} }}
  {{
    VALUES ?prop {{ {prop_values} }}
    ?item ?prop ?value .
    OPTIONAL {{ ?value rdfs:label ?valueLabel . FILTER(LANG(?valueLabel) = "en") }}
  }} UNION {{
    ?item rdfs:label ?value .
    FILTER(LANG(?value) IN ({lang_list}))
    BIND(rdfs:label AS ?prop)
  }}
}}"""


def _term(binding: dict | None) -> ox.NamedNode | ox.Literal | None:
    """A term from a SPARQL JSON binding (an answer from outside: checked like page content);
    blank nodes (unknown values) and anything malformed are dropped."""
    if not binding:
        return None
    kind, value = binding.get("type"), binding.get("value")
    if not isinstance(value, str):
        return None
    try:
        if kind == "uri":
            return None if _IRI_BAD.search(value) or ":" not in value else ox.NamedNode(value)
        if kind in ("literal", "typed-literal"):
            lang = binding.get("xml:lang")
            if lang:
                return ox.Literal(value, language=lang) if _LANG.match(lang) else None
            dt = binding.get("datatype")
            if dt and dt != V.XSD + "string" and not _IRI_BAD.search(dt):
                return ox.Literal(value, datatype=ox.NamedNode(dt))
            return ox.Literal(value)
    except ValueError:
        return None
    return None


def rows_to_triples(results: dict) -> list[ox.Triple]:
    """Triples from the enrichment query's SPARQL JSON results."""
    out: list[ox.Triple] = []
    allowed = {V.RDFS + "label"} | {WDT + p for p in PROPERTIES}
    label = ox.NamedNode(V.RDFS + "label")
    for row in (results.get("results") or {}).get("bindings") or []:
        item, prop, value = _term(row.get("item")), row.get("prop"), _term(row.get("value"))
        if not isinstance(item, ox.NamedNode) or value is None or not prop or prop.get("value") not in allowed:
            continue
        if not item.value.startswith(f"{V.WD}Q"):
            continue
        out.append(ox.Triple(item, ox.NamedNode(prop["value"]), value))
        value_label = _term(row.get("valueLabel"))
        if isinstance(value, ox.NamedNode) and isinstance(value_label, ox.Literal):
            out.append(ox.Triple(value, label, value_label))
    return out


def enrich_triples(
    qids: Iterable[str],
    client: WikidataClient,
    *,
    graph_iri: str | None = None,
    iris: Iris | None = None,
    languages: Iterable[str] = LANGUAGES,
    strict: bool = False,
) -> list[ox.Triple]:
    """The Wikidata graph: facts about `qids` plus the graph's provenance.

    A batch Wikidata cannot answer (offline cache miss, HTTP error) is left out
    and logged, unless `strict`, when the error is raised.
    """
    ids = sorted({q for q in qids if q and _QID.match(q)}, key=lambda q: (len(q), q))
    triples: list[ox.Triple] = []
    failures: list[str] = []
    for i in range(0, len(ids), BATCH):
        batch = ids[i:i + BATCH]
        try:
            results = client.sparql(enrichment_query(batch, languages))
        except WikidataError as exc:
            if strict:
                raise
            log.warning("Wikidata enrichment of %d items skipped: %s", len(batch), exc)
            failures.append(str(exc))
            continue
        triples.extend(rows_to_triples(results))
    if graph_iri is None:
        if iris is None:
            from ..config import get_settings

            iris = Iris(get_settings().base_iri)
        graph_iri = wikidata_graph_iri(iris)
    g, N = ox.NamedNode(graph_iri), ox.NamedNode
    now = datetime.now(timezone.utc)
    triples += [
        ox.Triple(g, N(V.RDF + "type"), N(V.PROV_ENTITY)),
        ox.Triple(g, N(V.PROV + "wasDerivedFrom"), N(client.settings.sparql_url)),
        ox.Triple(g, N(V.PROV + "generatedAtTime"), literal(now)),
        ox.Triple(g, N(V.RDFS + "label"), ox.Literal(f"Facts from Wikidata about {len(ids)} linked items")),
    ]
    for failure in failures:
        triples.append(ox.Triple(g, N(V.RDFS + "comment"), ox.Literal("not fetched: " + failure)))
    return list(dict.fromkeys(triples))


def enrich(qids: Iterable[str], client: WikidataClient, **options) -> str:
    """`enrich_triples` as N-Triples text, written by Oxigraph's serializer (for people and tests)."""
    return ox.serialize(enrich_triples(qids, client, **options), format=ox.RdfFormat.N_TRIPLES).decode("utf-8")


def linked_qids(store) -> list[str]:
    """The Wikidata items the store's entities are owl:sameAs (a `store.GraphStore`), for `enrich`."""
    rows = store.query(
        f"""SELECT DISTINCT ?wd WHERE {{ ?e <{V.OWL}sameAs> ?wd
              FILTER(STRSTARTS(STR(?wd), "{V.WD}Q")) }}"""
    )
    out = {row["wd"].value.rsplit("/", 1)[-1] for row in rows}
    return sorted((q for q in out if _QID.match(q)), key=lambda q: (len(q), q))
