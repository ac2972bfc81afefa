"""Scheduling on a real Prefect server (`prefect server start` on 127.0.0.1, temp PREFECT_HOME):
`claimgraph schedule` serves one deployment per enabled source with its schedule, and a
scheduled run happens by itself. Also: the same flow with its stage tasks on a local
Dask cluster of two workers (prefect-dask), against that server."""
from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest

from claimgraph.stores import OxigraphStore
from conftest import ServerProcess, free_port
from test_web_sources import ARTICLES, SiteServer
from test_web_sources import site  # noqa: F401  (the fixture: a stand-in site on 127.0.0.1)

pytestmark = pytest.mark.slow
PATHS = list(ARTICLES)
BIN = Path(sys.executable).parent


def _wait(predicate, timeout: float, what: str, interval: float = 1.0):
    deadline = time.time() + timeout
    while time.time() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(interval)
    pytest.fail(f"timed out after {timeout:.0f} s waiting for {what}")


@pytest.fixture(scope="module")
def prefect_server(tmp_path_factory):
    """A real Prefect server; its scheduler loop is shortened so a test need not wait a minute."""
    tmp = tmp_path_factory.mktemp("prefect-server")
    port = free_port()
    env = dict(os.environ, PREFECT_HOME=str(tmp / "home"), PREFECT_SERVER_ANALYTICS_ENABLED="false",
               PREFECT_SERVER_SERVICES_SCHEDULER_LOOP_SECONDS="2", PREFECT_LOGGING_LEVEL="WARNING",
               PREFECT_UI_ENABLED="false")
    env.pop("PREFECT_API_URL", None)
    api = f"http://127.0.0.1:{port}/api"
    server = ServerProcess([str(BIN / "prefect"), "server", "start", "--host", "127.0.0.1", "--port", str(port)],
                           env, tmp / "server.log", api + "/health", timeout=120, cwd=tmp)
    yield api, env, tmp
    server.stop()


def _api(api: str, path: str, body: dict) -> list[dict]:
    r = httpx.post(api + path, json=body, timeout=30)
    assert r.status_code == 200, r.text
    return r.json()


def test_a_scheduled_run_happens_by_itself(prefect_server, site, tmp_path):
    api, server_env, _ = prefect_server
    site.set_feed(PATHS[:2])
    registry = tmp_path / "sources.yaml"
    registry.write_text(
        "sources:\n"
        f"  - name: review-feed\n    kind: feed\n    location: {site.url}/feed.xml\n    schedule: 5\n"
        f"  - name: nightly\n    kind: page\n    location: {site.url}{PATHS[2]}\n    schedule: '30 2 * * *'\n"
        f"  - name: paused\n    kind: page\n    location: {site.url}{PATHS[3]}\n    schedule: 5\n    enabled: false\n")
    store = tmp_path / "store"
    env = dict(server_env, PREFECT_API_URL=api, PREFECT_RUNNER_POLL_FREQUENCY="1", PREFECT_LOGGING_LEVEL="INFO",
               PREFECT_HOME=str(tmp_path / "client-home"))
    log = open(tmp_path / "schedule.log", "w")
    proc = subprocess.Popen([str(BIN / "claimgraph"), "schedule", "--registry", str(registry), "--store", str(store)]
                            if (BIN / "claimgraph").exists() and _cli_has_schedule() else
                            [sys.executable, "-m", "claimgraph.cli.sources", "schedule", "--registry", str(registry),
                             "--store", str(store)],
                            env=env, stdout=log, stderr=subprocess.STDOUT, cwd=tmp_path)
    try:
        deployments = _wait(lambda: len(d := _api(api, "/deployments/filter", {})) >= 2 and d, 90, "the deployments")
        by_name = {d["name"]: d for d in deployments}
        assert set(by_name) == {"review-feed", "nightly"}  # the disabled source is not deployed
        feed = by_name["review-feed"]
        assert feed["schedules"][0]["schedule"]["interval"] == 5.0
        assert by_name["nightly"]["schedules"][0]["schedule"]["cron"] == "30 2 * * *"
        assert feed["parameters"]["source"] == "review-feed" and "source:review-feed" in feed["tags"]
        flows = _api(api, "/flows/filter", {})
        assert [f["name"] for f in flows] == ["claimgraph-source"]

        def completed_scheduled_run():
            runs = _api(api, "/flow_runs/filter", {"flow_runs": {"deployment_id": {"any_": [feed["id"]]},
                                                                 "state": {"type": {"any_": ["COMPLETED", "FAILED", "CRASHED"]}}}})
            bad = [r for r in runs if r["state_type"] != "COMPLETED"]
            assert not bad, f"a scheduled run failed: {bad[0]['state']}\n" + (tmp_path / "schedule.log").read_text()[-3000:]
            return [r for r in runs if r["auto_scheduled"]]

        runs = _wait(completed_scheduled_run, 150, "a completed scheduled run")
        assert runs[0]["name"] == "source-review-feed" and runs[0]["created_by"]["type"] == "SCHEDULE"
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=30)
        except subprocess.TimeoutExpired:
            proc.kill()
        log.close()
    with OxigraphStore(store, read_only=True) as s:
        graphs = [g for g in s.named_graphs() if "/graph/" in g and "/graph/run/" not in g]
        assert len(graphs) == 2, (tmp_path / "schedule.log").read_text()[-3000:]


def _cli_has_schedule() -> bool:
    """`claimgraph schedule` once cli.py registers sources_cli; until then the module's own entry point."""
    from claimgraph.cli import build_parser

    try:
        build_parser().parse_args(["schedule", "--help"])
    except SystemExit as exc:
        return exc.code == 0
    return True


def test_stage_tasks_run_on_a_local_dask_cluster(prefect_server, site, tmp_path):
    api, server_env, _ = prefect_server
    site.set_feed(PATHS)
    registry = tmp_path / "sources.yaml"
    registry.write_text(f"sources:\n  - name: review\n    kind: feed\n    location: {site.url}/feed.xml\n")
    env = dict(server_env, PREFECT_API_URL=api, PREFECT_LOGGING_LEVEL="INFO", PREFECT_HOME=str(tmp_path / "home"),
               CLAIMGRAPH_FLOW_TASK_DOCUMENTS="1")  # one process task per document: four tasks for two workers
    result = subprocess.run(
        [sys.executable, "-m", "claimgraph.cli.sources", "sources", "--registry", str(registry), "run", "review",
         "--store", str(tmp_path / "store"), "--dask", "local:2"],
        env=env, capture_output=True, text=True, timeout=600, cwd=tmp_path)
    out = result.stdout + result.stderr
    assert result.returncode == 0, out[-4000:]
    assert "4 new, 0 changed, 0 unchanged, 0 failed" in out
    assert "PrefectDaskClient" in out  # the stage tasks went through Dask ...
    assert out.count("distributed.scheduler - Register worker addr") == 2  # ... on a cluster of two workers
    runs = _api(api, "/task_runs/filter", {"task_runs": {"name": {"like_": "process"}}})
    assert len(runs) >= 4
    with OxigraphStore(tmp_path / "store", read_only=True) as s:
        assert len([g for g in s.named_graphs() if "/graph/" in g and "/graph/run/" not in g]) == 4
