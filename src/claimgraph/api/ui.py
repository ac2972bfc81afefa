"""The query page at `/`: YASGUI pointed at `/sparql`, one example tab per
competency question (ontology/queries/*.rq) and per text-search example
(ontology/queries/search/*.rq), IRIs under the base IRI linked to their
pages on this server.

YASGUI's files (static/yasgui/, from npm by scripts/setup_ui.sh) are served
by the app itself, no CDN. Without them the page is the plain query form
(pages.py), with a note saying how to get the editor. Both are templates
(templates/yasgui.html, templates/fallback.html).

`/docs` shows the OpenAPI schema in Swagger UI, also from npm and served
locally (static/swagger/), started by static/docs.js: the pages' Content-
Security-Policy allows no inline script and nothing from elsewhere, so
FastAPI's own /docs (a CDN and an inline script) is off. Without Swagger UI
the page links to /openapi.json and says how to get it.
"""
from __future__ import annotations

import base64
import hashlib
import re
import urllib.parse
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

from .html import render
from .middleware import policy_allowing_styles

STATIC_DIR = Path(__file__).resolve().parents[1] / "static"
SEARCH_EXAMPLES = "search"  # queries/search/*.rq: text search inside SPARQL (api/sparql_search.py), after the CQs
YASGUI_JS = STATIC_DIR / "yasgui" / "yasgui.min.js"
YASGUI_CSS = STATIC_DIR / "yasgui" / "yasgui.min.css"
SWAGGER_FILES = (STATIC_DIR / "swagger" / "swagger-ui-bundle.js", STATIC_DIR / "swagger" / "swagger-ui.css")


@dataclass(frozen=True)
class Example:
    name: str  # tab name: "CQ01"
    title: str  # the question, from the file's first comment line
    query: str


def load_examples(folder: Path) -> list[Example]:
    """`*.rq` files in name order; a leading `# CQ01 Question?` line gives the tab its name and title."""
    out = []
    for path in sorted(folder.glob("*.rq")) if folder.is_dir() else []:
        text = path.read_text(encoding="utf-8")
        first = text.lstrip().splitlines()[0] if text.strip() else ""
        m = re.match(r"#\s*(\S+)\s*(.*)", first)
        name, title = (m.group(1), m.group(2).strip()) if m else (path.stem, "")
        out.append(Example(name, title or path.stem, text.strip() + "\n"))
    return out


def yasgui_available() -> bool:
    return YASGUI_JS.is_file() and YASGUI_CSS.is_file()


@lru_cache(maxsize=1)
def yasgui_style_hashes() -> tuple[str, ...]:
    """sha256 (base64) of the fixed `<style>` elements YASGUI's table column resizer adds at run time,
    read from its script: the page's policy allows exactly these and no other inline style. Its
    styles: the resizer's layout rules, and the cursor while a column is dragged (`col-resize` by
    default). None found (another YASGUI version): no exception, and the resizer goes unstyled."""
    try:
        script = YASGUI_JS.read_text(encoding="utf-8")
    except OSError:
        return ()
    styles = re.findall(r"createStyle\(a,`([^`$]*)`\)", script)
    drag = re.search(r"dragCursor:`([a-z-]+)`", script)
    if drag:
        styles.append("*{cursor:" + drag.group(1) + "!important}")
    return tuple(base64.b64encode(hashlib.sha256(css.encode()).digest()).decode() for css in styles)


def yasgui_page(examples: list[Example], base_iri: str, endpoint: str = "/sparql") -> str:
    config = {
        "endpoint": endpoint,
        "baseIri": base_iri,
        "basePath": urllib.parse.urlsplit(base_iri).path or "/",
        "examples": [{"name": e.name, "title": e.title, "query": e.query} for e in examples],
        "examplesVersion": hashlib.sha256("".join(e.query for e in examples).encode()).hexdigest()[:12],
    }
    return render("yasgui.html", config=config, examples=examples, endpoint=endpoint)


def index_html(examples: list[Example], base_iri: str) -> str:
    """YASGUI when its files are installed, else the plain form with a note."""
    if yasgui_available():
        return yasgui_page(examples, base_iri)
    from .pages import fallback_page

    return fallback_page(examples)


# ----------------------------------------------------------------------------- routes


def make_router(examples_dir: Path, base_iri: str):
    from fastapi import APIRouter
    from fastapi.responses import HTMLResponse

    router = APIRouter(tags=["pages"])

    @router.get("/docs", response_class=HTMLResponse, include_in_schema=False)
    def docs() -> HTMLResponse:
        return HTMLResponse(render("docs.html", title="API", swagger=all(f.is_file() for f in SWAGGER_FILES)))

    @router.get("/", response_class=HTMLResponse, include_in_schema=False)
    def index() -> HTMLResponse:
        # read on each request (a few small files): edits to the examples show without a restart
        examples = load_examples(examples_dir) + load_examples(examples_dir / SEARCH_EXAMPLES)
        headers = {"Content-Security-Policy": policy_allowing_styles(list(yasgui_style_hashes()))} \
            if yasgui_available() else None
        return HTMLResponse(index_html(examples, base_iri), headers=headers)

    return router
