"""Human-facing pages that need no editor: the plain query form (the fallback
for `/` when YASGUI's files are not installed, see ui.py) and `/healthz`."""
from __future__ import annotations

from fastapi import APIRouter, Depends
from fastapi.responses import JSONResponse

from ..store import OxigraphStore
from .app import get_store
from .html import esc, page

router = APIRouter(tags=["pages"])

EXAMPLE_QUERY = """PREFIX schema: <http://schema.org/>
SELECT ?g (COUNT(*) AS ?triples)
WHERE { GRAPH ?g { ?s ?p ?o } }
GROUP BY ?g
ORDER BY DESC(?triples)
LIMIT 20"""

NO_YASGUI = ("The SPARQL editor (YASGUI) is not installed on this server, so this is the plain form. "
             "To get the editor, install Node.js and run <code>bash scripts/setup_ui.sh</code>.")


def fallback_page(examples=()) -> str:
    """The plain query form; `examples` (ui.Example) become links that fill it."""
    first = examples[0].query if examples else EXAMPLE_QUERY
    listed = "".join(
        f'<li><a href="#" data-query="{esc(e.query)}" onclick="document.querySelector(\'textarea\').value='
        f'this.dataset.query;return false">{esc(e.name)}</a> {esc(e.title)}</li>' for e in examples)
    body = f"""<h1>ClaimGraph SPARQL endpoint</h1>
<p class="muted">{NO_YASGUI}</p>
<p>SPARQL 1.1 queries at <code>/sparql</code>. The default graph is the union of all named graphs
(one per source document). <a href="/sparql">Service description</a> ·
<a href="/docs">API docs</a> · <a href="/healthz">health</a></p>
<form method="post" action="/sparql" enctype="application/x-www-form-urlencoded">
<p><textarea name="query" rows="16" spellcheck="false" style="width:100%;font-family:ui-monospace,monospace">{esc(first)}</textarea></p>
<p><label>Results as
<select name="format">
 <option value="json">SPARQL JSON (SELECT/ASK) · JSON-LD (CONSTRUCT)</option>
 <option value="xml">SPARQL XML · RDF/XML</option>
 <option value="csv">CSV (SELECT)</option>
 <option value="tsv">TSV (SELECT)</option>
 <option value="turtle">Turtle (CONSTRUCT/DESCRIBE)</option>
 <option value="ntriples">N-Triples (CONSTRUCT/DESCRIBE)</option>
</select></label>
<button type="submit">Run query</button></p>
</form>
{"<h2>Example questions</h2><ul>" + listed + "</ul>" if listed else ""}"""
    return page("SPARQL", body)


@router.get("/healthz", summary="Liveness and store size")
def healthz(store: OxigraphStore = Depends(get_store)) -> JSONResponse:
    # A plain `def`: counting reads the store, which must not block the event loop.
    try:
        return JSONResponse({"status": "ok", "triples": store.triple_count(), "graphs": len(store.named_graphs())})
    except OSError as exc:
        return JSONResponse({"status": "error", "detail": str(exc), "triples": None, "graphs": None},
                            status_code=503)
