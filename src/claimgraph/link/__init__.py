"""Link: join ClaimGraph's entities with Wikidata.

    bundled_qid(entity)                          verified bundled tables, no network
    reconcile(entity, LinkContext, client)       tables, then scored Wikidata search -> LinkDecision
    reconcile_extraction(extraction, client)     every linkable entity of one document
    link_decision_triples(decisions, iris)       owl:sameAs / skos:closeMatch + PROV of each decision
    enrich_triples(qids, client)                 facts from Wikidata's SPARQL endpoint, own named graph

(`link_decisions_ntriples` and `enrich` give the same as N-Triples text, for reading.)

`WikidataClient` (wikidata.py) does the HTTP: User-Agent, rate limit,
Retry-After, bounded retries, a disk cache, and offline mode (the default).
"""
from .enrich import enrich, enrich_triples, enrichment_query, linked_qids, wikidata_graph_iri
from .reconcile import (
    THRESHOLD,
    LinkContext,
    LinkDecision,
    bundled_qid,
    link_decision_triples,
    link_decisions_ntriples,
    reconcile,
    reconcile_extraction,
)
from .wikidata import (
    Candidate,
    WikidataClient,
    WikidataError,
    WikidataHTTPError,
    WikidataOffline,
    WikidataSettings,
)

__all__ = [
    "THRESHOLD", "Candidate", "LinkContext", "LinkDecision", "WikidataClient", "WikidataError",
    "WikidataHTTPError", "WikidataOffline", "WikidataSettings", "bundled_qid", "enrich", "enrich_triples", "enrichment_query",
    "link_decision_triples", "link_decisions_ntriples", "linked_qids", "reconcile", "reconcile_extraction", "wikidata_graph_iri",
]
