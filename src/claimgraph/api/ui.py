"""The query page at `/`: YASGUI pointed at `/sparql`, one example tab per
competency question (ontology/queries/*.rq), IRIs under the base IRI linked
to their pages on this server.

YASGUI's files (static/yasgui/, from npm by scripts/setup_ui.sh) are served
by the app itself, no CDN. Without them the page is the plain query form
(pages.py), with a note saying how to get the editor.
"""
from __future__ import annotations

import hashlib
import json
import re
import urllib.parse
from dataclasses import dataclass
from pathlib import Path

from .html import esc

STATIC_DIR = Path(__file__).resolve().parents[1] / "static"
YASGUI_JS = STATIC_DIR / "yasgui" / "yasgui.min.js"
YASGUI_CSS = STATIC_DIR / "yasgui" / "yasgui.min.css"


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


def _json_for_script(value: object) -> str:
    """JSON safe inside <script>: no '</script>' or '<!--' can close or confuse it."""
    return json.dumps(value, ensure_ascii=False).replace("<", "\\u003c").replace(">", "\\u003e").replace(
        "&", "\\u0026")


def yasgui_page(examples: list[Example], base_iri: str, endpoint: str = "/sparql") -> str:
    config = {
        "endpoint": endpoint,
        "baseIri": base_iri,
        "basePath": urllib.parse.urlsplit(base_iri).path or "/",
        "examples": [{"name": e.name, "title": e.title, "query": e.query} for e in examples],
        "examplesVersion": hashlib.sha256("".join(e.query for e in examples).encode()).hexdigest()[:12],
    }
    listed = "".join(f"<li><b>{esc(e.name)}</b> {esc(e.title)}</li>" for e in examples)
    return f"""<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>ClaimGraph SPARQL</title>
<link rel="stylesheet" href="/static/yasgui/yasgui.min.css">
<link rel="stylesheet" href="/static/claimgraph.css">
</head>
<body>
<header class="site"><b><a href="/">ClaimGraph</a></b> <a href="/ontology">Ontology</a>
<a href="/.well-known/void">Dataset (VoID)</a> <a href="/sparql">Service description</a> <a href="/docs">API</a></header>
<p class="intro">SPARQL 1.1 over the ClaimGraph knowledge graph at <code>{esc(endpoint)}</code>. The default graph
is the union of all named graphs (one per source document). Each tab named CQ… is a competency question
of the ontology, ready to run (Ctrl+Enter). Entity IRIs in the results open their pages.</p>
<div id="yasgui"></div>
<details class="examples"><summary>The example questions</summary><ul>{listed}</ul></details>
<script id="claimgraph-config" type="application/json">{_json_for_script(config)}</script>
<script src="/static/yasgui/yasgui.min.js"></script>
<script src="/static/claimgraph.js"></script>
</body>
</html>
"""


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

    @router.get("/", response_class=HTMLResponse, include_in_schema=False)
    def index() -> HTMLResponse:
        # read on each request (a few small files): edits to the examples show without a restart
        return HTMLResponse(index_html(load_examples(examples_dir), base_iri))

    return router
