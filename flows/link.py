"""Prefect flow: enrich the entities linked to Wikidata with a few facts from
Wikidata's SPARQL endpoint, into their own named graph (`{base}graph/wikidata`).

Optional and online: run it with CLAIMGRAPH_WIKIDATA_OFFLINE=false (answers are
cached on disk, so a rerun makes no calls). Offline it reports what it skipped.
"""
from __future__ import annotations

from prefect import flow, get_run_logger, task
from prefect.cache_policies import NO_CACHE

from claimgraph.config import get_settings
from claimgraph.iris import Iris
from claimgraph.link.enrich import enrich_triples, linked_qids, wikidata_graph_iri
from claimgraph.link.wikidata import WikidataClient, WikidataSettings
from claimgraph.search.follow import keep_in_step
from claimgraph.stores import open_store


@task(name="enrich", retries=2, retry_delay_seconds=5, cache_policy=NO_CACHE)
def enrich_task(qids: list[str], graph_iri: str, iris: Iris) -> list:
    with WikidataClient(WikidataSettings.from_env()) as client:
        return enrich_triples(qids, client, graph_iri=graph_iri, iris=iris)


@flow(name="claimgraph-enrich")
def enrich_flow(store_path: str | None = None) -> int:
    """Returns the number of triples now in the Wikidata graph."""
    logger = get_run_logger()
    settings = get_settings()
    iris = Iris(settings.base_iri)
    graph = wikidata_graph_iri(iris)
    store = open_store(settings, store_path)
    try:
        keep_in_step(store, settings)  # the search index reads the Wikidata graph's names too
        qids = linked_qids(store)
        logger.info("enriching %d linked Wikidata items into %s", len(qids), graph)
        return store.replace_graph(graph, enrich_task(qids, graph, iris)).triples_after
    finally:
        store.close()
