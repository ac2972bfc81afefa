"""The FastAPI application: SPARQL endpoint, query page, health check.

    uvicorn --factory claimgraph.api.app:app_factory --host 127.0.0.1 --port 8000

The API process owns the store: the lifespan opens `settings.store`
read-write (one process per store folder; others use `Store.read_only` or go
through HTTP) and closes it at shutdown. Routes get the settings, the store
and the query worker pool by dependency injection (`Depends(get_store)`), so
tests can swap them with `app.dependency_overrides`.
"""
from __future__ import annotations

from contextlib import asynccontextmanager

from fastapi import FastAPI, Request

from ..config import Settings, get_settings
from ..store import OxigraphStore


async def get_app_settings(request: Request) -> Settings:
    """The app's Settings (`async`: trivial dependencies need no threadpool hop)."""
    return request.app.state.settings


async def get_store(request: Request) -> OxigraphStore:
    return request.app.state.store


async def get_query_runner(request: Request):
    return request.app.state.query_runner


def create_app(settings: Settings | None = None, store: OxigraphStore | None = None) -> FastAPI:
    """Build the app. With `store` given the caller owns it (it is not closed at
    shutdown); otherwise the lifespan opens `settings.store` read-write.

    Pool size: `settings.query_workers` / `settings.query_queue` when Settings
    has them, else 4 workers per core (at most 32) and a queue of twice that.
    """
    from . import pages, sparql  # the routers import the dependencies above

    settings = settings or get_settings()

    @asynccontextmanager
    async def lifespan(app: FastAPI):
        owned = store is None
        app.state.settings = settings
        app.state.store = OxigraphStore(settings.store) if owned else store
        workers = settings.query_workers or sparql.default_workers()
        queued = settings.query_queue or 2 * workers
        app.state.query_runner = sparql.QueryRunner(workers, queued, settings.query_timeout_s)
        try:
            yield
        finally:
            app.state.query_runner.shutdown()
            if owned:
                app.state.store.close()

    app = FastAPI(
        title="ClaimGraph",
        summary="Claims, authors and states from international-affairs analysis, as a knowledge graph",
        lifespan=lifespan,
    )
    app.include_router(sparql.router)
    app.include_router(pages.router)
    return app


def app_factory() -> FastAPI:
    """For `uvicorn --factory claimgraph.api.app:app_factory` (settings from CLAIMGRAPH_* variables)."""
    return create_app()
