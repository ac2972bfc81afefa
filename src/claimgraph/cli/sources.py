"""`claimgraph sources list|add|remove|run` and `claimgraph schedule`.

cli/__init__.py calls `register(subparsers)`; nothing here imports Prefect until a
command needs it (`sources run` without `--no-prefect`, `schedule`).
"""
from __future__ import annotations

import argparse
import os
import sys
import time
from pathlib import Path

from ..sources.kinds import SOURCE_KINDS
from ..sources.registry import (
    ARTICLE_KINDS,
    RegistryError,
    SourceSpec,
    add_source,
    default_registry_path,
    load_registry,
    remove_source,
)


def _registry_path(args: argparse.Namespace) -> Path:
    return Path(args.registry) if getattr(args, "registry", None) else default_registry_path()


def _print_issues(registry) -> None:
    for issue in registry.issues:
        print(f"invalid entry skipped: {issue}", file=sys.stderr)


def cmd_list(args: argparse.Namespace) -> int:
    try:
        registry = load_registry(_registry_path(args))
    except RegistryError as exc:
        print(exc, file=sys.stderr)
        return 1
    rows = [("NAME", "KIND", "SCHEDULE", "ENABLED", "LOCATION")]
    for s in registry.sources:
        when = s.cron or (f"every {s.interval_seconds}s" if s.interval_seconds else "-")
        rows.append((s.name, s.kind, when, "yes" if s.enabled else "no", s.location))
    widths = [max(len(r[i]) for r in rows) for i in range(4)]
    for r in rows:
        print("  ".join(c.ljust(w) for c, w in zip(r, widths)) + "  " + r[4])
    _print_issues(registry)
    return 1 if registry.issues else 0


def _schedule(value: str | None):
    if value is None:
        return None
    return int(value) if value.strip().isdigit() else value


def cmd_add(args: argparse.Namespace) -> int:
    path = _registry_path(args)
    spec = SourceSpec(name=args.name, kind=args.kind, location=args.location, publisher=args.publisher,
                      publisher_kind=args.publisher_kind, article_kind=args.article_kind, language=args.language,
                      schedule=_schedule(args.schedule), enabled=not args.disabled, max_documents=args.max_documents)
    try:
        registry = add_source(path, spec)
    except (ValueError, RegistryError) as exc:
        print(f"not added: {exc}", file=sys.stderr)
        return 1
    print(f"added {args.name} to {path} ({len(registry.sources)} sources)")
    return 0


def cmd_remove(args: argparse.Namespace) -> int:
    path = _registry_path(args)
    try:
        registry = remove_source(path, args.name)
    except (KeyError, RegistryError, FileNotFoundError) as exc:
        print(str(exc).strip('"'), file=sys.stderr)
        return 1
    print(f"removed {args.name} from {path} ({len(registry.sources)} sources left)")
    return 0


def cmd_run(args: argparse.Namespace) -> int:
    from ..config import get_settings
    from ..stores import StoreBusy, StoreError
    from . import say, use_store

    path = _registry_path(args)
    try:
        registry = load_registry(path)
    except RegistryError as exc:
        print(exc, file=sys.stderr)
        return 1
    _print_issues(registry)
    names = [s.name for s in registry.enabled] if args.all else args.names
    if not names:
        print("name a source, or use --all", file=sys.stderr)
        return 1
    try:
        specs = [registry.get(n) for n in names]
    except KeyError as exc:
        print(str(exc).strip('"'), file=sys.stderr)
        return 1
    use_store(args.store)
    if args.dask:
        os.environ["CLAIMGRAPH_DASK_ADDRESS"] = args.dask
        get_settings.cache_clear()
    settings = get_settings()
    failed = False
    for spec in specs:
        started = time.perf_counter()
        try:
            if args.no_prefect:
                from ..sources.incremental import FetchState, fetch_state_path, run_source
                from ..stores import open_store

                store = open_store(settings, say=say)
                try:
                    report = run_source(spec, store, settings=settings, fetch_config=registry.fetch,
                                        state=FetchState(fetch_state_path(settings.store)))
                finally:
                    store.close()
            else:
                from ..stores import writer_slot
                from .quiet import quiet_prefect, run_flow

                quiet_prefect()
                from claimgraph.flows.sources import source_flow

                with writer_slot(settings, say=say):
                    report = run_flow(source_flow, source=spec.name, registry=str(path.resolve()))
        except (StoreBusy, StoreError) as exc:
            say(str(exc))
            return 2
        print(report.render())
        print(f"source {spec.name} took {time.perf_counter() - started:.2f} s")
        failed |= bool(report.failed)
    return 1 if failed else 0


def cmd_schedule(args: argparse.Namespace) -> int:
    from claimgraph.flows.deploy import serve_sources

    store = str(Path(args.store).resolve()) if args.store else None
    return serve_sources(args.registry, store, args.limit)


def register(subparsers) -> None:
    """Add `sources` (list, add, remove, run) and `schedule` to the `claimgraph` command."""
    p = subparsers.add_parser("sources", help="list, add, remove and run the registered sources (sources.yaml)")
    p.add_argument("--registry", help="source registry (default: $CLAIMGRAPH_SOURCES or ./sources.yaml)")
    sub = p.add_subparsers(dest="sources_command", required=True)

    q = sub.add_parser("list", help="the registered sources, and entries that are invalid")
    q.set_defaults(func=cmd_list)

    q = sub.add_parser("add", help="register a source")
    q.add_argument("name")
    q.add_argument("--kind", required=True, choices=list(SOURCE_KINDS))
    q.add_argument("--location", required=True, help="URL, folder or glob")
    q.add_argument("--publisher")
    q.add_argument("--publisher-kind")
    q.add_argument("--article-kind", choices=list(ARTICLE_KINDS))
    q.add_argument("--language")
    q.add_argument("--schedule", help="cron expression, or an interval in seconds")
    q.add_argument("--max-documents", type=int)
    q.add_argument("--disabled", action="store_true")
    q.set_defaults(func=cmd_add)

    q = sub.add_parser("remove", help="unregister a source")
    q.add_argument("name")
    q.set_defaults(func=cmd_remove)

    q = sub.add_parser("run", help="run sources now: new and changed documents are loaded, unchanged skipped")
    q.add_argument("names", nargs="*")
    q.add_argument("--all", action="store_true", help="every enabled source")
    q.add_argument("--store", help="embedded store folder (default: $CLAIMGRAPH_STORE or ./data/store)")
    q.add_argument("--no-prefect", action="store_true", help="run the same steps in a plain loop")
    q.add_argument("--dask", metavar="ADDRESS", help="run the stage tasks on Dask: tcp://host:8786, or local:N")
    q.set_defaults(func=cmd_run)

    p = subparsers.add_parser("schedule", help="serve one Prefect deployment per enabled source, on its schedule")
    schedule_arguments(p)
    p.set_defaults(func=cmd_schedule)


def schedule_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument("--registry", help="source registry (default: $CLAIMGRAPH_SOURCES or ./sources.yaml)")
    p.add_argument("--store", help="embedded store folder (ignored when CLAIMGRAPH_STORE_URL names the API)")
    p.add_argument("--limit", type=int, help="flow runs at once (default 1 with the embedded store, else 4)")


def main(argv: list[str] | None = None) -> int:
    """`python -m claimgraph.cli.sources ...`: these commands alone."""
    parser = argparse.ArgumentParser(prog="claimgraph")
    register(parser.add_subparsers(dest="command", required=True))
    args = parser.parse_args(argv)
    return args.func(args)


if __name__ == "__main__":
    sys.exit(main())
