"""The FastAPI application: the SPARQL endpoint (query and update), the Graph
Store Protocol, linked-data pages, the VoID description, YASGUI and a health check.

    uvicorn --factory claimgraph.api.app:app_factory --host 127.0.0.1 --port 8000

    /sparql             SPARQL 1.1 query + update (sparql.py, update.py)
    /store              SPARQL 1.1 Graph Store HTTP Protocol (gsp.py)
    /search             full-text search over claims, articles, entities, JSON or HTML (search.py)
    /.well-known/void   VoID description of the dataset (void.py)
    /ontology           the ontology, HTML documentation or RDF (linked_data.py)
    /id/{path}          a page for every IRI minted under settings.base_iri (linked_data.py)
    /                   YASGUI with the competency questions as examples (ui.py)
    /static/            the UI's files (src/claimgraph/static/)
    /docs               the OpenAPI schema (/openapi.json) in Swagger UI, served locally (ui.py)
    /healthz            liveness and store size (pages.py)

Reads are open; writes need the bearer token (auth.py). Request bodies are
capped at `max_body_bytes` (middleware.py); CORS headers are sent only for
the origins in `cors_origins` (none by default: same origin only). Every
answer carries a strict Content-Security-Policy (only this server's own
scripts and styles, no inline code, no framing), `X-Content-Type-Options:
nosniff` and `X-Frame-Options: DENY` (middleware.SecurityHeaders).

The store is a setting (`stores.served_store`). Embedded (the default): the
API process owns it: the lifespan opens `settings.store` read-write (one
process per store folder; others use `Store.read_only` or go through HTTP),
announces itself beside it (`<store>.server.json`, so that `claimgraph ingest`
loads through `/store` while the server runs) and closes it at shutdown; the
text index beside it (`open_search_index`) is repaired then and follows every
write, which the store's own methods report with the graphs they changed. A
SPARQL 1.1 server (`CLAIMGRAPH_SPARQL_URL`): the lifespan checks that its
default graph is the union of the named graphs, queries go to it through
remote_query.py, and the other routes read and write it through the same
store methods (`/search` is unavailable then: nothing here sees the server's
writes). Routes get the settings, the store and the query evaluator by
dependency injection (deps.py), so tests can swap them with
`app.dependency_overrides`.
"""
from __future__ import annotations

import sys
from contextlib import asynccontextmanager

from fastapi import FastAPI

from ..config import Settings, get_settings
from ..stores import OxigraphStore, RemoteGraphStore, ServedStore, served_store
from ..stores.presence import announce, withdraw
from . import gsp, linked_data, pages, search, sparql, ui, void
from .deps import get_app_settings, get_query_evaluator, get_query_runner, get_store, route  # noqa: F401 - re-exported
from .middleware import BodyLimit, SecurityHeaders
from .search import open_search_index


SWITCH_INTERVAL_S = 0.0005


def create_app(settings: Settings | None = None, store: ServedStore | None = None) -> FastAPI:
    """Build the app. With `store` given the caller owns it (it is not closed at
    shutdown); otherwise the lifespan opens the store the settings name (`served_store`).

    Queries on a store on disk run in worker processes (query_pool.py; sizes from
    `settings.query_workers` etc., see `start_query_evaluator`), on a store in memory
    in threads, on a remote store at its server (remote_query.py); linked-data pages
    and VoID statistics run in threads (4 per core).
    """
    from fastapi.middleware.cors import CORSMiddleware
    from fastapi.staticfiles import StaticFiles

    from .allowlist import allowlist

    settings = settings or get_settings()
    for entries in (settings.service_allowlist, settings.load_allowlist):
        allowlist(tuple(entries))  # a malformed entry stops the start with its reason, not a query later

    @asynccontextmanager
    async def lifespan(app: FastAPI):
        owned = store is None
        app.state.settings = settings
        app.state.store = served_store(settings) if owned else store
        threads = sparql.default_workers()  # linked-data pages and VoID statistics
        app.state.query_runner = sparql.QueryRunner(threads, 2 * threads, settings.query_timeout_s)
        app.state.query_evaluator = await start_query_evaluator(app.state.store, settings, app.state.query_runner)
        owned = owned and isinstance(app.state.store, OxigraphStore)  # a folder this process holds
        # the text index: repaired now, then kept in step with every write (api/search.py, search/follow.py)
        app.state.search_index, search_owned, app.state.search_unavailable = open_search_index(app.state.store, settings)
        if owned:  # say where this store can be written while we hold it (stores/presence.py)
            host = "127.0.0.1" if settings.host in ("", "0.0.0.0", "::") else settings.host
            announce(settings.store, f"http://{host}:{settings.port}")
        try:
            yield
        finally:
            await app.state.query_evaluator.close()
            app.state.query_runner.shutdown()
            if search_owned:
                app.state.search_index.close()
            if owned:
                withdraw(settings.store)
            if store is None:
                app.state.store.close()

    app = FastAPI(
        title="ClaimGraph",
        summary="Claims, authors and states from international-affairs analysis, as a knowledge graph",
        lifespan=lifespan,
        docs_url=None, redoc_url=None,  # FastAPI's pages load Swagger UI from a CDN with inline script: ui.py serves /docs
    )
    # the query hot path first, as a bare Starlette route (see sparql.sparql_fast_path)
    app.add_route("/sparql", sparql.sparql_fast_path, methods=["GET", "POST"], include_in_schema=False)
    app.include_router(sparql.router)
    app.include_router(gsp.router)
    app.include_router(search.router)
    app.include_router(void.router)
    app.include_router(ui.make_router(settings.ontology_dir / "queries", settings.base_iri))
    app.include_router(pages.router)
    app.mount("/static", StaticFiles(directory=ui.STATIC_DIR, check_dir=False), name="static")
    # last: its path is base_iri's (`/id/` by default), which could be as wide as `/`
    app.include_router(linked_data.make_router(settings.base_iri, settings.ontology_dir / "claimgraph.ttl"))

    app.add_middleware(BodyLimit, max_bytes=settings.max_body_bytes)
    origins = list(settings.cors_origins)
    if origins:
        app.add_middleware(
            CORSMiddleware, allow_origins=origins, allow_methods=["GET", "HEAD", "POST", "PUT", "DELETE"],
            allow_headers=["Authorization", "Content-Type", "Accept"], max_age=600,
            allow_credentials=False)
    app.add_middleware(SecurityHeaders)  # last added, outermost: refusals (413) carry the headers too
    return app


async def start_query_evaluator(store: ServedStore, settings: Settings, runner):
    """Worker processes over the store's folder (`QueryPool`), threads for a store in memory,
    the server itself for a remote store (`RemoteEvaluator`, with the pool's fair share)."""
    from . import sparql
    from .query_pool import PoolSettings, QueryPool

    if isinstance(store, RemoteGraphStore):
        from .remote_query import RemoteEvaluator

        return RemoteEvaluator(store, PoolSettings.for_cores(
            workers=settings.query_workers, queue=settings.query_queue, per_client=settings.query_per_client,
            timeout_s=settings.query_timeout_s), max_bytes=max(1, settings.query_worker_memory_mb or 2048) * 2**20)
    if store.path is None:
        return sparql.ThreadEvaluator(store, runner)
    pool = QueryPool(store.path, PoolSettings.for_cores(
        workers=settings.query_workers, queue=settings.query_queue, per_client=settings.query_per_client,
        timeout_s=settings.query_timeout_s, memory_mb=settings.query_worker_memory_mb),
        generation=lambda: store.generation, flush=None if store.read_only else store.flush)
    await pool.start()
    return pool


def app_factory() -> FastAPI:
    """For `uvicorn --factory claimgraph.api.app:app_factory` (settings from CLAIMGRAPH_* variables).

    Also shortens the interpreter's thread switch interval (5 ms -> 0.5 ms): query workers
    that come back from pyoxigraph (which releases the GIL while it evaluates and
    serialises) get the GIL back sooner while the event loop is busy; about +10% queries/s
    with 8 clients on 2 cores (benchmarks/endpoint_bench.py).
    """
    sys.setswitchinterval(SWITCH_INTERVAL_S)
    return create_app()
