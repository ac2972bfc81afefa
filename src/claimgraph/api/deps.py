"""What routes get by dependency injection: the settings, the store, the query runner.

Kept apart from app.py so that the routers (sparql.py, gsp.py, ...) import
these and app.py imports the routers, with no import circle. Tests swap them
with `app.dependency_overrides`.
"""
from __future__ import annotations

from fastapi import Request

from ..config import Settings
from ..stores import OxigraphStore


async def get_app_settings(request: Request) -> Settings:
    """The app's Settings (`async`: trivial dependencies need no threadpool hop)."""
    return request.app.state.settings


async def get_store(request: Request) -> OxigraphStore:
    return request.app.state.store


async def get_query_runner(request: Request):
    return request.app.state.query_runner


def route(router, path: str, methods: list[str], **options):
    """`router.api_route` with one route per method, so each gets its own OpenAPI
    operation id (one multi-method route repeats its id, and FastAPI warns); HEAD is
    served but left out of the docs."""
    def decorate(endpoint):
        for method in methods:
            router.api_route(path, methods=[method], operation_id=f"{endpoint.__name__}_{method.lower()}",
                             include_in_schema=options.get("include_in_schema", True) and method != "HEAD",
                             **{k: v for k, v in options.items() if k != "include_in_schema"})(endpoint)
        return endpoint
    return decorate
