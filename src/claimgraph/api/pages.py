"""Human-facing pages that need no editor: the plain query form (the fallback
for `/` when YASGUI's files are not installed, see ui.py; templates/fallback.html)
and `/healthz`."""
from __future__ import annotations

from fastapi import APIRouter, Depends
from fastapi.responses import JSONResponse

from ..stores import ServedStore, StoreError
from .deps import get_store
from .html import render

router = APIRouter(tags=["pages"])

EXAMPLE_QUERY = """PREFIX schema: <http://schema.org/>
SELECT ?g (COUNT(*) AS ?triples)
WHERE { GRAPH ?g { ?s ?p ?o } }
GROUP BY ?g
ORDER BY DESC(?triples)
LIMIT 20"""

def fallback_page(examples=()) -> str:
    """The plain query form; `examples` (ui.Example) become links that fill it."""
    return render("fallback.html", title="SPARQL", examples=list(examples),
                  first=examples[0].query if examples else EXAMPLE_QUERY)


@router.get("/healthz", summary="Liveness and store size")
def healthz(store: ServedStore = Depends(get_store)) -> JSONResponse:
    # A plain `def`: counting reads the store, which must not block the event loop.
    try:
        return JSONResponse({"status": "ok", "triples": store.triple_count(), "graphs": len(store.named_graphs())})
    except (OSError, StoreError) as exc:
        return JSONResponse({"status": "error", "detail": str(exc), "triples": None, "graphs": None},
                            status_code=503)
