"""`claimgraph` command: a thin shell over the library, the flows and the API.

    claimgraph ingest PATH...        files and folders -> the store (Prefect flow, or --no-prefect)
    claimgraph serve                 the SPARQL endpoint and web UI
    claimgraph query SPARQL          a table of results (from the store, or the server holding it)
    claimgraph reindex               the search index beside the store, brought in step with it
    claimgraph sources ... / schedule   registered sources (cli/sources.py)
    claimgraph enrich | eval | check-ontology

Whichever process holds the store, `ingest` and `sources run` find their way
to it (`stores.open_store`): through the running server, or by waiting for
another ingest; when they cannot, they say what to do in one line.
"""
from __future__ import annotations

import argparse
import json
import os
import sys
import time
from pathlib import Path

from ..config import get_settings


def say(message: str) -> None:
    print(f"claimgraph: {message}", file=sys.stderr, flush=True)


def use_store(path: str | None) -> None:
    """`--store PATH` for this process: the settings (and any flow run in it) see it."""
    if path:
        os.environ["CLAIMGRAPH_STORE"] = str(Path(path).resolve())
        get_settings.cache_clear()


def _cmd_ingest(args: argparse.Namespace) -> int:
    from ..stores import StoreBusy, StoreError

    use_store(args.store)
    settings = get_settings()
    started = time.perf_counter()
    try:
        if args.no_prefect:
            from ..pipeline import ingest
            from ..stores import open_store

            store = open_store(settings, say=say)
            try:
                summary = ingest([Path(p) for p in args.paths], store, settings)
            finally:
                store.close()
        else:
            from ..stores import writer_slot
            from .quiet import quiet_prefect, run_flow

            quiet_prefect()
            # Prefect is imported only here: the library itself never needs it.
            from claimgraph.flows.ingest import ingest_flow

            with writer_slot(settings, say=say):
                summary = run_flow(ingest_flow, paths=[str(Path(p).resolve()) for p in args.paths])
    except (StoreBusy, StoreError) as exc:
        say(str(exc))
        return 2
    print(summary.render())
    print(f"ingest took {time.perf_counter() - started:.2f} s; store: {settings.sparql_url or settings.store_url or settings.store}")
    return 1 if summary.failed else 0


def _cmd_serve(args: argparse.Namespace) -> int:
    import uvicorn

    from ..stores.presence import WriterLock

    use_store(args.store)
    if args.host:
        os.environ["CLAIMGRAPH_HOST"] = args.host
    if args.port:
        os.environ["CLAIMGRAPH_PORT"] = str(args.port)
    get_settings.cache_clear()
    settings = get_settings()
    if settings.store_backend == "sparql":  # a SPARQL server is the store: no folder to hold
        from ..stores import StoreError, served_store

        try:
            served_store(settings).close()  # reachable, and its default graph is the union
        except (StoreError, SyntaxError) as exc:
            say(str(exc))
            return 2
        print(f"serving the store at {settings.sparql_url} at http://{settings.host}:{settings.port}/ "
              "(SPARQL at /sparql); Ctrl+C stops", flush=True)
        uvicorn.run("claimgraph.api.app:app_factory", factory=True, host=settings.host, port=settings.port,
                    log_level="warning")
        return 0
    from ..stores.presence import running_server

    already = running_server(settings.store)
    if already:
        say(f"the server at {already} already serves {settings.store}")
        return 2
    probe = WriterLock(settings.store)
    if not probe.acquire(wait=False):
        say(f"an ingest is writing to {settings.store}; start the server when it has finished "
            "(after that, ingests load through the server)")
        return 2
    probe.release()
    print(f"serving {settings.store} at http://{settings.host}:{settings.port}/ (SPARQL at /sparql); "
          "Ctrl+C stops", flush=True)
    uvicorn.run("claimgraph.api.app:app_factory", factory=True, host=settings.host, port=settings.port,
                log_level="warning")
    return 0


def _cmd_query(args: argparse.Namespace) -> int:
    from ..queryprint import print_result

    text = sys.stdin.read() if args.sparql == "-" else args.sparql
    use_store(args.store)
    settings = get_settings()
    endpoint = args.endpoint
    if not endpoint:
        from ..stores.presence import running_server

        server = running_server(settings.store)
        endpoint = server + "/sparql" if server else None
    if not endpoint and settings.store_backend == "sparql":  # the store's server, with the union default graph
        from ..stores import StoreError, remote_from_settings

        try:
            with remote_from_settings(settings) as remote:
                return print_result(remote.reader.query(text), args.format)
        except (StoreError, SyntaxError) as exc:
            say(str(exc))
            return 1
    if endpoint:
        import httpx

        response = httpx.post(endpoint, data={"query": text},
                              headers={"Accept": "application/sparql-results+json"}, timeout=60)
        if response.status_code != 200:
            print(f"error {response.status_code}: {response.text}", file=sys.stderr)
            return 1
        return print_result(response.json(), args.format)
    from ..stores import OxigraphStore, StoreError

    try:
        store = OxigraphStore(settings.store, read_only=True)
    except StoreError as exc:
        say(f"{exc} (if a server holds the store, use --endpoint http://127.0.0.1:8000/sparql)")
        return 1
    try:
        text = _with_search(text, settings)  # SERVICE cg:search blocks, as the server answers them
        result = store.query(text)
    except SyntaxError as exc:
        print(f"malformed query: {exc}", file=sys.stderr)
        return 1
    except ValueError as exc:  # a search block that cannot run (api.answers.ProtocolError is one)
        print(str(exc), file=sys.stderr)
        return 1
    return print_result(result, args.format)


def _with_search(text: str, settings) -> str:
    """The query with its text search blocks answered from the index beside the store (read-only)."""
    from ..api.answers import ProtocolError
    from ..api.sparql_search import find_search_blocks, rewrite_search_blocks
    from ..search import SearchIndex, SearchIndexError

    try:
        if not find_search_blocks(text, settings.base_iri):
            return text
        try:
            index = SearchIndex(settings.search_index_path(settings.store), read_only=True)
        except SearchIndexError as exc:
            raise ValueError(f"text search needs the search index: {exc} (build it with `claimgraph reindex`)")
        with index:
            return rewrite_search_blocks(text, index, base_iri=settings.base_iri,
                                         default_hits=settings.search_sparql_hits)
    except ProtocolError as exc:
        raise ValueError(exc.message) from None


def _cmd_reindex(args: argparse.Namespace) -> int:
    import shutil

    from ..search import SearchIndex, SearchIndexError, reindex
    from ..search.sync import ALL_GRAPHS
    from ..stores import OxigraphStore, StoreError
    from ..stores.presence import WriterLock, running_server

    use_store(args.store)
    settings = get_settings()
    server = running_server(settings.store)
    if server:
        say(f"the server at {server} holds {settings.store} and keeps its search index in step (it repairs "
            "drift when it starts); stop it to rebuild the index")
        return 2
    path = settings.search_index_path(settings.store)
    lock = WriterLock(settings.store)  # no ingest writes the store (or the index) meanwhile
    lock.acquire(wait=True, on_wait=say)
    started = time.perf_counter()
    try:
        with OxigraphStore(settings.store, read_only=True) as store:
            if args.fresh and path.exists():
                shutil.rmtree(path)
            with SearchIndex(path) as index:
                report = reindex(store, index)
                if not report.failed:  # every graph agrees now: marks of writers that died can go
                    index.clear_pending([m for m in index.pending() if m.startswith(ALL_GRAPHS)])
                entries = index.entry_count()
    except (StoreError, SearchIndexError) as exc:
        say(str(exc))
        return 2
    finally:
        lock.release()
    print(report.render())
    print(f"reindex took {time.perf_counter() - started:.2f} s; index: {path} ({entries} entries)")
    return 1 if report.failed else 0


def _cmd_enrich(args: argparse.Namespace) -> int:
    from ..stores import StoreBusy, StoreError, writer_slot
    from .quiet import quiet_prefect, run_flow

    use_store(args.store)
    quiet_prefect()
    from claimgraph.flows.link import enrich_flow

    try:
        with writer_slot(get_settings(), say=say):
            triples = run_flow(enrich_flow)
    except (StoreBusy, StoreError) as exc:
        say(str(exc))
        return 2
    print(f"Wikidata graph: {triples} triples")
    return 0


def _cmd_eval(args: argparse.Namespace) -> int:
    from .. import evaluate

    return evaluate.run(args)


def _cmd_check_ontology(args: argparse.Namespace) -> int:
    from ..ontology import check_with_hermit

    report = check_with_hermit()
    print(json.dumps({"consistent": report.consistent, "unsatisfiable": report.unsatisfiable,
                      "seconds": round(report.seconds, 2)}, indent=2))
    return 0 if report.consistent and not report.unsatisfiable else 1


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="claimgraph", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
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
    p.add_argument("--endpoint", help="query this endpoint (default: the server holding the store, if any)")
    p.add_argument("--format", choices=["table", "json", "csv"], default="table")
    p.set_defaults(func=_cmd_query)

    p = sub.add_parser("reindex", help="bring the search index beside the store in step with it (rewrites what differs)")
    p.add_argument("--store")
    p.add_argument("--fresh", action="store_true", help="delete the index first and build it from scratch")
    p.set_defaults(func=_cmd_reindex)

    p = sub.add_parser("enrich", help="fetch facts about linked entities from Wikidata into their own graph")
    p.add_argument("--store")
    p.set_defaults(func=_cmd_enrich)

    from ..evaluate import add_arguments as add_eval_arguments

    p = sub.add_parser("eval", help="run the whole path on a corpus split and score it against its gold")
    add_eval_arguments(p)
    p.set_defaults(func=_cmd_eval)

    from .sources import register

    register(sub)  # sources list|add|remove|run, schedule

    p = sub.add_parser("check-ontology", help="load the ontology with owlready2 and run HermiT")
    p.set_defaults(func=_cmd_check_ontology)
    return parser


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    return args.func(args)


if __name__ == "__main__":
    sys.exit(main())
