"""Serve one Prefect deployment per enabled source of the registry, on its schedule.

    claimgraph schedule [--registry sources.yaml] [--store data/store] [--limit N]
    python -m claimgraph.flows.deploy [same options]

Each deployment is `claimgraph-source/<source name>` with the source's cron
or interval schedule (a source without a schedule is deployed too, to be run
by hand from the UI or `prefect deployment run claimgraph-source/<name>`).
Schedules fire only against a real Prefect server: set PREFECT_API_URL (as
docker-compose does); without it Prefect starts a temporary server in which
deployments register but never run, so this command refuses to start.

This process runs the flow runs (Prefect's `serve`). With the embedded store
only one process may write, so runs go one at a time (`--limit 1`, the
default). When flows write through the API (CLAIMGRAPH_STORE_URL, see
claimgraph.stores.remote), several may run at once.
"""
from __future__ import annotations

import argparse
import sys
from pathlib import Path

from prefect.deployments.runner import EntrypointType

from claimgraph.cli.sources import schedule_arguments
from claimgraph.config import get_settings
from claimgraph.sources.registry import Registry, SourceSpec, load_registry
from claimgraph.stores.remote import remote_from_settings


def deployment_for(spec: SourceSpec, registry_path: Path, store_path: str | None = None):
    """The RunnerDeployment of one source: its schedule, parameters and tags."""
    from claimgraph.flows.sources import source_flow

    schedule = {"cron": spec.cron} if spec.cron else {"interval": spec.interval_seconds} if spec.interval_seconds else {}
    return source_flow.to_deployment(
        name=spec.name,
        parameters={"source": spec.name, "registry": str(registry_path.resolve()), "store_path": store_path},
        description=f"{spec.kind} source {spec.location}" + (f" ({spec.publisher})" if spec.publisher else ""),
        tags=["claimgraph", f"source:{spec.name}", f"kind:{spec.kind}"],
        entrypoint_type=EntrypointType.MODULE_PATH,  # claimgraph.flows.sources.source_flow, from any folder
        **schedule,
    )


def build_deployments(registry: Registry, store_path: str | None = None) -> list:
    return [deployment_for(spec, registry.path, store_path) for spec in registry.enabled]


def serve_sources(registry_path: str | Path | None = None, store_path: str | None = None, limit: int | None = None,
                  *, out=sys.stdout) -> int:
    """Serve the deployments until interrupted; returns an exit code when it cannot start."""
    from prefect import serve
    from prefect.settings import PREFECT_API_URL

    if not PREFECT_API_URL.value():
        print("schedule: PREFECT_API_URL is not set. Schedules only fire against a Prefect server: start one "
              "(`prefect server start`) and set PREFECT_API_URL=http://127.0.0.1:4200/api", file=sys.stderr)
        return 2
    registry = load_registry(registry_path)
    for issue in registry.issues:
        print(f"schedule: skipped: {issue}", file=sys.stderr)
    deployments = build_deployments(registry, store_path)
    if not deployments:
        print(f"schedule: no enabled source in {registry.path}", file=sys.stderr)
        return 1
    if limit is None:
        limit = 4 if remote_from_settings(get_settings()) is not None else 1  # the embedded store has one writer
    for spec in registry.enabled:
        when = f"cron {spec.cron}" if spec.cron else f"every {spec.interval_seconds} s" if spec.interval_seconds else "by hand"
        print(f"schedule: claimgraph-source/{spec.name}: {when}", file=out)
    out.flush()
    serve(*deployments, limit=limit, print_starting_message=False)
    return 0


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(prog="python -m claimgraph.flows.deploy", description=__doc__,
                                formatter_class=argparse.RawDescriptionHelpFormatter)
    schedule_arguments(p)
    args = p.parse_args(argv)
    return serve_sources(args.registry, str(Path(args.store).resolve()) if args.store else None, args.limit)


if __name__ == "__main__":
    sys.exit(main())
