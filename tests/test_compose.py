"""docker-compose.yml is valid (`docker-compose config`, Debian's docker-compose package)
and wires the services of the scheduling design: a Prefect server with its database on a
volume, the API as the one writer, and a scheduler that serves the source deployments and
writes through the API. No Docker engine is needed: `config` only parses and checks.

Skipped when docker-compose is missing (`apt-get install docker-compose`); in CI that
skip fails (conftest.py)."""
from __future__ import annotations

import os
import subprocess
from pathlib import Path

import pytest
import yaml

from conftest import ROOT, need

COMPOSE_FILE = Path(os.environ.get("CLAIMGRAPH_COMPOSE_FILE", ROOT / "docker-compose.yml"))


@pytest.fixture(scope="module")
def config() -> dict:
    exe = need("docker-compose")
    result = subprocess.run([exe, "-f", str(COMPOSE_FILE), "config"], capture_output=True, text=True, timeout=60,
                            cwd=COMPOSE_FILE.parent, env={**os.environ, "COMPOSE_PROJECT_NAME": "claimgraph"})
    assert result.returncode == 0, f"docker-compose config failed:\n{result.stderr}"
    return yaml.safe_load(result.stdout)


def _env(service: dict) -> dict:
    env = service.get("environment") or {}
    return env if isinstance(env, dict) else dict(e.split("=", 1) for e in env)


def test_the_three_services_are_there(config):
    assert {"api", "prefect-server", "scheduler"} <= set(config["services"])


def test_prefect_server_keeps_its_database_on_a_volume(config):
    server = config["services"]["prefect-server"]
    assert "prefect" in " ".join(server["command"]) and "server" in server["command"]
    home = _env(server).get("PREFECT_HOME", "/root/.prefect")
    mounts = [v["target"] if isinstance(v, dict) else v.split(":")[1] for v in server.get("volumes", [])]
    assert home in mounts


def test_scheduler_serves_deployments_against_the_server_and_writes_through_the_api(config):
    scheduler = config["services"]["scheduler"]
    env = _env(scheduler)
    assert "schedule" in scheduler["command"]
    assert env["PREFECT_API_URL"].startswith("http://prefect-server:")
    assert env.get("CLAIMGRAPH_STORE_URL", "").startswith("http://api:") or env.get("CLAIMGRAPH_GSP_URL")
    assert env.get("CLAIMGRAPH_WRITE_TOKEN_FILE") or env.get("CLAIMGRAPH_WRITE_TOKEN")
    assert {"api", "prefect-server"} <= set(scheduler.get("depends_on", {}))
    # one writer: only the API mounts the store's volume
    store_mounts = [name for name, svc in config["services"].items()
                    for v in svc.get("volumes", []) if (v.get("source") if isinstance(v, dict) else v.split(":")[0]) == "store"]
    assert store_mounts == ["api"]


def test_api_accepts_writes_with_a_token(config):
    env = _env(config["services"]["api"])
    assert env.get("CLAIMGRAPH_WRITE_TOKEN_FILE") or env.get("CLAIMGRAPH_WRITE_TOKEN")


@pytest.fixture(scope="module")
def virtuoso_config() -> dict:
    """`docker-compose --profile virtuoso config`: the profile with Virtuoso as the store."""
    exe = need("docker-compose")
    result = subprocess.run([exe, "-f", str(COMPOSE_FILE), "--profile", "virtuoso", "config"], capture_output=True,
                            text=True, timeout=60, cwd=COMPOSE_FILE.parent,
                            env={**os.environ, "COMPOSE_PROJECT_NAME": "claimgraph"})
    assert result.returncode == 0, f"docker-compose --profile virtuoso config failed:\n{result.stderr}"
    return yaml.safe_load(result.stdout)


def test_virtuoso_profile_makes_virtuoso_the_store(virtuoso_config):
    services = virtuoso_config["services"]
    assert {"virtuoso", "virtuoso-init", "api-virtuoso", "scheduler-virtuoso"} <= set(services)
    for name in ("api-virtuoso", "scheduler-virtuoso"):
        env = _env(services[name])
        assert env["CLAIMGRAPH_SPARQL_URL"] == "http://virtuoso:8890/sparql"
        assert env["CLAIMGRAPH_GSP_URL"].startswith("http://virtuoso:8890/")  # Virtuoso's Graph Store
        assert env["CLAIMGRAPH_STORE_AUTH"] == "digest" and env["CLAIMGRAPH_STORE_PASSWORD_FILE"].startswith("/run/secrets/")
        assert services[name]["depends_on"]["virtuoso-init"]["condition"] == "service_completed_successfully"
    # the init runs the project's own setup (system graphs private, the writing user)
    init = services["virtuoso-init"]
    assert "virtuoso-setup.sh" in " ".join(init["entrypoint"])
    assert (ROOT / "scripts" / "virtuoso-setup.sh").exists() and (ROOT / "scripts" / "virtuoso-init.sql").exists()
    # Virtuoso is reached by the services only, and only the embedded API mounts the Oxigraph store
    assert not services["virtuoso"].get("ports")

    def published(svc: dict) -> str:  # "127.0.0.1:8001:8000/tcp" (compose 1.x) or {"published": ...}
        port = svc["ports"][0]
        return str(port["published"]) if isinstance(port, dict) else port.split(":")[-2]
    assert published(services["api-virtuoso"]) != published(services["api"])


def test_default_services_are_not_in_the_virtuoso_profile(config):
    """`docker compose up` without the profile starts the embedded store's services only."""
    assert not {"virtuoso", "virtuoso-init", "api-virtuoso", "scheduler-virtuoso"} & {
        name for name, svc in config["services"].items() if not svc.get("profiles")}
