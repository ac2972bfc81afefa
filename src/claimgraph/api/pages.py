"""Human-facing pages: a minimal query form (to be replaced by YASGUI) and `/healthz`."""
from __future__ import annotations

from fastapi import APIRouter, Depends
from fastapi.responses import HTMLResponse, JSONResponse

from ..store import OxigraphStore
from .app import get_store

router = APIRouter(tags=["pages"])

EXAMPLE_QUERY = """PREFIX schema: <http://schema.org/>
SELECT ?g (COUNT(*) AS ?triples)
WHERE { GRAPH ?g { ?s ?p ?o } }
GROUP BY ?g
ORDER BY DESC(?triples)
LIMIT 20"""

INDEX_HTML = f"""<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<title>ClaimGraph SPARQL</title>
<style>
 body {{ font-family: system-ui, sans-serif; max-width: 60rem; margin: 2rem auto; padding: 0 1rem; }}
 textarea {{ width: 100%; font-family: ui-monospace, monospace; font-size: 0.95rem; }}
</style>
</head>
<body>
<h1>ClaimGraph SPARQL endpoint</h1>
<p>SPARQL 1.1 queries at <code>/sparql</code>. The default graph is the union of all named graphs
(one per source document). <a href="/sparql">Service description</a> ·
<a href="/docs">API docs</a> · <a href="/healthz">health</a></p>
<form method="post" action="/sparql" enctype="application/x-www-form-urlencoded">
<p><textarea name="query" rows="14" spellcheck="false">{EXAMPLE_QUERY}</textarea></p>
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
</body>
</html>
"""


@router.get("/", response_class=HTMLResponse, include_in_schema=False)
async def index() -> HTMLResponse:
    return HTMLResponse(INDEX_HTML)


@router.get("/healthz", summary="Liveness and store size")
def healthz(store: OxigraphStore = Depends(get_store)) -> JSONResponse:
    # A plain `def`: counting reads the store, which must not block the event loop.
    try:
        return JSONResponse({"status": "ok", "triples": store.triple_count(), "graphs": len(store.named_graphs())})
    except OSError as exc:
        return JSONResponse({"status": "error", "detail": str(exc), "triples": None, "graphs": None},
                            status_code=503)
