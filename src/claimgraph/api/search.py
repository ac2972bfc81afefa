"""Full-text search at `/search`: claims, articles and entities ranked by BM25, as JSON or HTML.

    GET /search?q=export+controls&type=claim&state=Japan&from=2024-01-01&limit=10&offset=0

Everything the route decides is a plain function here, testable without HTTP:

- `parse_search_params`  query parameters -> `SearchParams`, or `InvalidSearch` with the reason
- `resolve_facets`       names in `state`/`author`/`publisher` -> the IRIs the index filters on
- `run_search`           the request against the index -> `SearchPage`
- `search_json`, `search_html`  the page as JSON (for programs) or HTML (templates/search.html)
- `answer_search`        all of the above, returning an `Answer`

The search syntax (`search/query.py`): words, "phrases", prefix*, OR, -exclusions,
(groups). Facets take IRIs, or names looked up among the indexed entities (`state=Japan`).
A request the index cannot run gets 400 with the reason, in the format asked for; without
an index (search off, or it could not be opened) 503.

Each hit's `iri` is the node in the graph; `page` is where it opens on this server
(IRIs minted under the base IRI resolve to their linked-data page, linked_data.py).
The index is its own dependency (deps.get_search_index), apart from the store.
"""
from __future__ import annotations

import json
import urllib.parse
from dataclasses import dataclass, field
from typing import Sequence

from fastapi import APIRouter, Depends, Request
from fastapi.responses import Response

from ..config import Settings
from ..search import InvalidSearch, Kind, SearchIndex, SearchPage, SearchRequest
from ..search.index import MAX_LIMIT, MAX_OFFSET
from ..search.query import MAX_QUERY_CHARS
from .answers import HTML, Answer, ProtocolError, negotiate, with_charset
from .deps import get_app_settings, get_search_index, route
from .html import render
from .linked_data import Links
from .sparql import to_response

JSON = "application/json"
OFFERS = [JSON, HTML]  # a program's */* gets JSON; a browser asks for text/html by name
FORMATS = {"json": JSON, "html": HTML}
FACETS = {"state": ("state",), "author": ("person", "organization", "group"), "publisher": ("organization",)}
MAX_FACET_VALUES = 20


@dataclass(frozen=True)
class SearchParams:
    """One `/search` request, checked; facet values still as written (IRIs or names)."""

    q: str = ""
    types: tuple[str, ...] = ()
    facets: dict[str, tuple[str, ...]] = field(default_factory=dict)  # state/author/publisher -> values
    date_from: str | None = None
    date_to: str | None = None
    limit: int = 10
    offset: int = 0

    def query_string(self, **change) -> str:
        """This request's parameters (with `change` applied) as a URL query, for paging links."""
        values = {"q": self.q, "type": list(self.types), **{k: list(v) for k, v in self.facets.items()},
                  "from": self.date_from, "to": self.date_to, "limit": self.limit, "offset": self.offset, **change}
        pairs = [(k, v) for k, vs in values.items() for v in (vs if isinstance(vs, list) else [vs])
                 if v not in (None, "") and not (k == "offset" and v == 0) and not (k == "limit" and v == 10)]
        return urllib.parse.urlencode(pairs)


def _int(params: dict[str, list[str]], name: str, default: int, low: int, high: int) -> int:
    values = params.get(name) or []
    if not values or values[-1] == "":
        return default
    try:
        n = int(values[-1])
    except ValueError:
        raise InvalidSearch(f"{name} must be a whole number, not {values[-1][:40]!r}") from None
    if not low <= n <= high:
        raise InvalidSearch(f"{name} must be between {low} and {high}")
    return n


def parse_search_params(items: Sequence[tuple[str, str]]) -> SearchParams:
    """The request's query parameters, checked (InvalidSearch names what is wrong)."""
    params: dict[str, list[str]] = {}
    for k, v in items:
        params.setdefault(k, []).append(v)
    q = (params.get("q") or [""])[-1]
    if len(q) > MAX_QUERY_CHARS:
        raise InvalidSearch(f"the query is longer than {MAX_QUERY_CHARS} characters")
    types = tuple(dict.fromkeys(t.strip().lower() for v in params.get("type", []) for t in v.split(",") if t.strip()))
    for t in types:
        if t not in {k.value for k in Kind}:
            raise InvalidSearch(f"type must be one of {', '.join(k.value for k in Kind)}, not {t[:40]!r}")
    facets = {}
    for name in FACETS:
        values = tuple(dict.fromkeys(v.strip() for v in params.get(name, []) if v.strip()))
        if len(values) > MAX_FACET_VALUES:
            raise InvalidSearch(f"at most {MAX_FACET_VALUES} values of {name}")
        if values:
            facets[name] = values
    return SearchParams(
        q=q, types=types, facets=facets,
        date_from=(params.get("from") or [None])[-1] or None, date_to=(params.get("to") or [None])[-1] or None,
        limit=_int(params, "limit", 10, 1, MAX_LIMIT), offset=_int(params, "offset", 0, 0, MAX_OFFSET))


def resolve_facets(index: SearchIndex, params: SearchParams) -> dict[str, tuple[str, ...]]:
    """Facet values as IRIs: an http(s) IRI is taken as it is; a name is looked up among the
    indexed entities of the facet's kind (`state=Japan`; every entity of that exact name)."""
    out = {}
    for name, values in params.facets.items():
        iris: list[str] = []
        for value in values:
            if urllib.parse.urlsplit(value).scheme.lower() in ("http", "https"):
                iris.append(value)
                continue
            found = index.entities_named(value, FACETS[name])
            if not found:
                raise InvalidSearch(f"no {name} named {value[:80]!r} in the index (give its name or its IRI)")
            iris += found
        out[name] = tuple(dict.fromkeys(iris))
    return out


def run_search(index: SearchIndex, params: SearchParams) -> SearchPage:
    facets = resolve_facets(index, params)
    return index.search(SearchRequest(
        params.q, kinds=tuple(Kind(t) for t in params.types), states=facets.get("state", ()),
        authors=facets.get("author", ()), publishers=facets.get("publisher", ()),
        date_from=params.date_from, date_to=params.date_to, limit=params.limit, offset=params.offset))


def _links(params: SearchParams, page: SearchPage | None) -> dict:
    if page is None:
        return {"next": None, "previous": None}
    nxt = page.offset + page.limit
    return {"next": "/search?" + params.query_string(offset=nxt) if nxt < min(page.total, MAX_OFFSET + 1) else None,
            "previous": "/search?" + params.query_string(offset=max(0, page.offset - page.limit))
            if page.offset > 0 else None}


def search_json(params: SearchParams, page: SearchPage, links: Links) -> bytes:
    body = {
        "q": params.q,
        "type": list(params.types),
        **{k: list(v) for k, v in params.facets.items()},
        "from": params.date_from, "to": params.date_to,
        "total": page.total, "limit": page.limit, "offset": page.offset,
        "hits": [{"iri": h.iri, "type": h.kind.value, "category": h.category or None, "label": h.label,
                  "score": h.score, "snippet": h.snippet_html, "graph": h.graph, "date": h.date,
                  "page": links.href(h.iri)} for h in page.hits],
        **_links(params, page),
    }
    return json.dumps(body, ensure_ascii=False).encode("utf-8")


def search_html(params: SearchParams, page: SearchPage | None, links: Links, error: str | None = None) -> bytes:
    from markupsafe import Markup

    hits = [] if page is None else [
        {"href": links.href(h.iri), "iri": h.iri, "label": h.label, "kind": h.kind.value, "category": h.category,
         "score": h.score, "date": h.date, "graph_href": links.href(h.graph) if h.graph else None,
         # escaped by the index (search/index.py highlight_html): text escaped, <mark> the only tag
         "snippet": Markup(h.snippet_html)} for h in page.hits]
    return render("search.html", title=f"Search: {params.q}" if params.q else "Search", params=params,
                  kinds=[k.value for k in Kind], hits=hits, page=page, error=error,
                  form={name: v[0] if len(v := params.facets.get(name, ())) == 1 else "" for name in FACETS},
                  first=(page.offset + 1) if page and page.hits else 0,
                  last=(page.offset + len(page.hits)) if page else 0,
                  **_links(params, page)).encode("utf-8")


def answer_search(items: Sequence[tuple[str, str]], accept: str | None, index: SearchIndex | None,
                  settings: Settings, unavailable: str | None = None) -> Answer:
    """One `/search` request from its query parameters to an `Answer`."""
    fmt = next((v for k, v in items if k == "format" and v), None)
    wanted = FORMATS.get(fmt.lower(), fmt) if fmt else accept
    media = negotiate(wanted, OFFERS)
    if media is None:
        return Answer.error(ProtocolError(406, f"/search answers {' or '.join(OFFERS)}."))
    links = Links(settings.base_iri)

    def fail(status: int, reason: str, params: SearchParams | None = None) -> Answer:
        if media == HTML:
            return Answer(status, search_html(params or SearchParams(), None, links, reason), with_charset(HTML))
        return Answer(status, json.dumps({"error": reason}).encode("utf-8"), JSON)

    params = None
    try:
        params = parse_search_params(items)
        if index is None:
            return fail(503, unavailable or "search is off on this server (CLAIMGRAPH_SEARCH=false)", params)
        if not params.q.strip():
            if media == HTML:  # the empty form
                return Answer(200, search_html(params, None, links), with_charset(HTML))
            raise InvalidSearch("q is required: the words to search for")
        page = run_search(index, params)
    except InvalidSearch as exc:
        return fail(400, str(exc), params)
    if media == HTML:
        return Answer(200, search_html(params, page, links), with_charset(HTML))
    return Answer(200, search_json(params, page, links), JSON)


# ----------------------------------------------------------------------------- the index the API searches


def open_search_index(store, settings: Settings) -> tuple[SearchIndex | None, bool, str | None]:
    """(index, owned, why not) for the API. For a store this process writes, the index that
    follows it (search/follow.py: repaired at start, in step with every write; closed with the
    store); for another store, the index beside `settings.store` opened read-only (owned: the
    caller closes it); None with the reason when search is off or the index cannot be opened."""
    import logging

    from ..search import SearchIndexError
    from ..search.follow import follow_store

    if not settings.search:
        return None, False, "search is off on this server (CLAIMGRAPH_SEARCH=false)"
    from ..stores.embedded import OxigraphStore

    if not isinstance(store, OxigraphStore):  # a SPARQL server as the store: nothing here sees its writes
        return None, False, ("search is unavailable: the store is a SPARQL server (CLAIMGRAPH_SPARQL_URL), "
                             "and the text index follows only the embedded store's writes")
    try:
        follower = follow_store(store, settings)
        if follower is not None:
            return follower.index, False, None
        return SearchIndex(settings.search_index_path(settings.store), read_only=True), True, None
    except (SearchIndexError, OSError) as exc:
        logging.getLogger("claimgraph.search").warning("search is unavailable: %s", exc)
        return None, False, f"the search index could not be opened: {exc}"


# ----------------------------------------------------------------------------- route

router = APIRouter(tags=["search"])


def _param(name: str, description: str, schema: dict, *, repeat: bool = False, required: bool = False) -> dict:
    if repeat:
        schema = {"type": "array", "items": schema}
    return {"name": name, "in": "query", "required": required, "description": description, "schema": schema,
            **({"style": "form", "explode": True} if repeat else {})}


SEARCH_PARAMETERS = [
    _param("q", 'What to search for: words (all must match, stemmed: "sanctions" finds "sanctioned"), '
                '"a phrase", a prefix* (2+ letters), OR between alternatives, -word or NOT word to exclude, '
                '(groups). Required, except for the HTML form.',
           {"type": "string", "maxLength": MAX_QUERY_CHARS}),
    _param("type", "What to find: claim, article, entity (repeatable, or comma-separated; default all).",
           {"type": "string", "enum": [k.value for k in Kind]}, repeat=True),
    _param("state", "Only hits about this state: its IRI, or its name as the graph gives it (repeatable: any of them).",
           {"type": "string"}, repeat=True),
    _param("author", "Only claims held by / articles written by this person or organization: IRI or name "
                     "(repeatable).", {"type": "string"}, repeat=True),
    _param("publisher", "Only claims and articles of this publisher: IRI or name (repeatable).",
           {"type": "string"}, repeat=True),
    _param("from", "Published on or after this date (YYYY-MM-DD).", {"type": "string", "format": "date"}),
    _param("to", "Published on or before this date (YYYY-MM-DD).", {"type": "string", "format": "date"}),
    _param("limit", f"Hits per page (1-{MAX_LIMIT}).", {"type": "integer", "minimum": 1, "maximum": MAX_LIMIT,
                                                        "default": 10}),
    _param("offset", f"Hits to skip, for paging (0-{MAX_OFFSET}).",
           {"type": "integer", "minimum": 0, "maximum": MAX_OFFSET, "default": 0}),
    _param("format", "json or html, instead of the Accept header.", {"type": "string", "enum": list(FORMATS)}),
]
HIT_SCHEMA = {"type": "object", "properties": {
    "iri": {"type": "string", "description": "The node in the graph"},
    "type": {"type": "string", "enum": [k.value for k in Kind]},
    "category": {"type": ["string", "null"], "description": "Entities: person, organization, state, place, event, group"},
    "label": {"type": "string"},
    "score": {"type": "number", "description": "BM25 (headlines and names count 4x); higher is better"},
    "snippet": {"type": "string", "description": "HTML: the text escaped, the matched words in <mark>"},
    "graph": {"type": ["string", "null"], "description": "The document's named graph (claims, articles)"},
    "date": {"type": ["string", "null"], "format": "date"},
    "page": {"type": "string", "description": "Where the IRI opens on this server"}}}
SEARCH_RESPONSES = {
    "200": {"description": "Ranked hits", "content": {
        JSON: {"schema": {"type": "object", "properties": {
            "q": {"type": "string"}, "total": {"type": "integer"}, "limit": {"type": "integer"},
            "offset": {"type": "integer"}, "hits": {"type": "array", "items": HIT_SCHEMA},
            "next": {"type": ["string", "null"]}, "previous": {"type": ["string", "null"]}}}},
        HTML: {}}},
    "400": {"description": "Bad search syntax or parameter; `error` says why",
            "content": {JSON: {"schema": {"type": "object", "properties": {"error": {"type": "string"}}}}, HTML: {}}},
    "406": {"description": "Neither JSON nor HTML is acceptable"},
    "503": {"description": "Search is off, or its index could not be opened"},
}


@route(router, "/search", ["GET"], response_class=Response, summary="Full-text search",
       description="Claims, articles and entities ranked by BM25, with snippets; JSON for programs, an HTML page "
                   "for browsers (by Accept, or `format=`). Inside SPARQL the same search joins graph patterns: "
                   "`SERVICE cg:search { ?hit cg:matches \"export controls\" ; cg:score ?score }` "
                   "(see the README, 'Searching text').",
       openapi_extra={"parameters": SEARCH_PARAMETERS}, responses=SEARCH_RESPONSES)
def search(request: Request, index: SearchIndex | None = Depends(get_search_index),
           settings: Settings = Depends(get_app_settings)) -> Response:
    # A plain `def`: the index is searched in the threadpool, off the event loop.
    return to_response(answer_search(request.query_params.multi_items(), request.headers.get("accept"), index,
                                     settings, getattr(request.app.state, "search_unavailable", None)))
