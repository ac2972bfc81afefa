"""What routes get by dependency injection: the settings, the store, the query runner, the search index.

Kept apart from app.py so that the routers (sparql.py, gsp.py, ...) import
these and app.py imports the routers, with no import circle. Tests swap them
with `app.dependency_overrides`.
"""
from __future__ import annotations

from fastapi import Request

from ..config import Settings
from ..stores import ServedStore


async def get_app_settings(request: Request) -> Settings:
    """The app's Settings (`async`: trivial dependencies need no threadpool hop)."""
    return request.app.state.settings


async def get_store(request: Request) -> ServedStore:
    return request.app.state.store


async def get_query_runner(request: Request):
    return request.app.state.query_runner


async def get_query_evaluator(request: Request):
    return request.app.state.query_evaluator


async def get_search_index(request: Request):
    """The text index (claimgraph.search.SearchIndex), or None when search is off or its index
    could not be opened (`app.state.search_unavailable` says why). Its own dependency, apart
    from the store: the index lives beside whatever store the API serves."""
    return getattr(request.app.state, "search_index", None)


def route(router, path: str, methods: list[str], **options):
    """`router.api_route` with one route per method, so each gets its own OpenAPI
    operation id (one multi-method route repeats its id, and FastAPI warns); HEAD is
    served but left out of the docs. `openapi_by_method` ({"put": {...}}) adds to one
    method's OpenAPI operation what `openapi_extra` adds to all (parameters, bodies
    the endpoint reads from the request itself)."""
    per_method = options.pop("openapi_by_method", {})
    common = options.pop("openapi_extra", {})

    def decorate(endpoint):
        for method in methods:
            extra = {**common, **per_method.get(method.lower(), {})}
            router.api_route(path, methods=[method], operation_id=f"{endpoint.__name__}_{method.lower()}",
                             include_in_schema=options.get("include_in_schema", True) and method != "HEAD",
                             openapi_extra=extra or None,
                             **{k: v for k, v in options.items() if k != "include_in_schema"})(endpoint)
        return endpoint
    return decorate


def query_parameter(name: str, description: str, **schema) -> dict:
    """An OpenAPI query parameter, for `openapi_extra` (routes that read `request.query_params`)."""
    return {"name": name, "in": "query", "required": False, "description": description,
            "schema": schema or {"type": "string"}}
