"""`claimgraph` command: a thin shell over the library, the flow and the API."""
from __future__ import annotations

import argparse
import json
import os
import sys
import time
from pathlib import Path

from .config import get_settings


def _cmd_ingest(args: argparse.Namespace) -> int:
    settings = get_settings()
    store_path = Path(args.store) if args.store else settings.store
    started = time.perf_counter()
    if args.no_prefect:
        from .pipeline import ingest
        from .store import OxigraphStore

        with OxigraphStore(store_path) as store:
            summary = ingest([Path(p) for p in args.paths], store, settings)
    else:
        # Prefect is imported only here: the library itself never needs it.
        from claimgraph.flows.ingest import ingest_flow

        summary = ingest_flow(paths=[str(p) for p in args.paths], store_path=str(store_path))
    print(summary.render())
    print(f"ingest took {time.perf_counter() - started:.2f} s; store: {store_path}")
    return 1 if summary.failed else 0


def _cmd_serve(args: argparse.Namespace) -> int:
    import uvicorn

    settings = get_settings()
    if args.store:
        os.environ["CLAIMGRAPH_STORE"] = str(args.store)
        get_settings.cache_clear()
    uvicorn.run(
        "claimgraph.api.app:app_factory", factory=True,
        host=args.host or settings.host, port=args.port or settings.port, log_level="info",
    )
    return 0


def _cmd_query(args: argparse.Namespace) -> int:
    from .queryprint import print_result

    text = sys.stdin.read() if args.sparql == "-" else args.sparql
    if args.endpoint:
        import httpx

        response = httpx.post(args.endpoint, data={"query": text},
                              headers={"Accept": "application/sparql-results+json"}, timeout=60)
        if response.status_code != 200:
            print(f"error {response.status_code}: {response.text}", file=sys.stderr)
            return 1
        return print_result(response.json(), args.format)
    from .store import OxigraphStore, StoreError

    settings = get_settings()
    try:
        store = OxigraphStore(Path(args.store) if args.store else settings.store, read_only=True)
    except StoreError as exc:
        print(f"{exc}\n(if the server holds the store, use --endpoint http://127.0.0.1:8000/sparql)", file=sys.stderr)
        return 1
    try:
        result = store.query(text)
    except SyntaxError as exc:
        print(f"malformed query: {exc}", file=sys.stderr)
        return 1
    return print_result(result, args.format)


def _cmd_enrich(args: argparse.Namespace) -> int:
    from claimgraph.flows.link import enrich_flow

    settings = get_settings()
    triples = enrich_flow(store_path=str(args.store or settings.store))
    print(f"Wikidata graph: {triples} triples")
    return 0


def _cmd_eval(args: argparse.Namespace) -> int:
    from . import evaluate

    return evaluate.run(args)


def _cmd_check_ontology(args: argparse.Namespace) -> int:
    from .ontology import check_with_hermit

    report = check_with_hermit()
    print(json.dumps({"consistent": report.consistent, "unsatisfiable": report.unsatisfiable,
                      "seconds": round(report.seconds, 2)}, indent=2))
    return 0 if report.consistent and not report.unsatisfiable else 1


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="claimgraph", description=__doc__)
    sub = parser.add_subparsers(dest="command", required=True)

    p = sub.add_parser("ingest", help="ingest files or folders of saved pages with the Prefect flow")
    p.add_argument("paths", nargs="+", type=Path)
    p.add_argument("--store", help="store folder (default: $CLAIMGRAPH_STORE or ./data/store)")
    p.add_argument("--no-prefect", action="store_true", help="run the same stages in a plain loop")
    p.set_defaults(func=_cmd_ingest)

    p = sub.add_parser("serve", help="serve the SPARQL endpoint and the web UI")
    p.add_argument("--host")
    p.add_argument("--port", type=int)
    p.add_argument("--store")
    p.set_defaults(func=_cmd_serve)

    p = sub.add_parser("query", help="run a SPARQL query and print a table")
    p.add_argument("sparql", help="the query text, or - to read it from standard input")
    p.add_argument("--store")
    p.add_argument("--endpoint", help="query a running server instead of opening the store")
    p.add_argument("--format", choices=["table", "json", "csv"], default="table")
    p.set_defaults(func=_cmd_query)

    p = sub.add_parser("enrich", help="fetch facts about linked entities from Wikidata into their own graph")
    p.add_argument("--store")
    p.set_defaults(func=_cmd_enrich)

    from .evaluate import add_arguments as add_eval_arguments

    p = sub.add_parser("eval", help="run the whole path on a corpus split and score it against its gold")
    add_eval_arguments(p)
    p.set_defaults(func=_cmd_eval)

    from .sources_cli import register

    register(sub)  # sources list|add|remove|run, schedule

    p = sub.add_parser("check-ontology", help="load the ontology with owlready2 and run HermiT")
    p.set_defaults(func=_cmd_check_ontology)
    return parser


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    return args.func(args)


if __name__ == "__main__":
    sys.exit(main())
