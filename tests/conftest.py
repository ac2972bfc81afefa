"""Shared fixtures: a store built from seeds/ by the real Prefect flow, and the
real server over it on 127.0.0.1. Both are session-scoped: built once."""
from __future__ import annotations

import os
import shutil
import socket
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest

ROOT = Path(__file__).resolve().parents[1]
SEEDS = ROOT / "seeds"
SHARED = ROOT.parent / "shared"
BIN = Path(sys.executable).parent


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def cli_env(tmp: Path, **extra: str) -> dict[str, str]:
    env = dict(os.environ)
    env.update(
        PREFECT_HOME=str(tmp / "prefect"),
        PREFECT_SERVER_ANALYTICS_ENABLED="false",
        PREFECT_LOGGING_LEVEL="WARNING",
        **extra,
    )
    env.pop("PREFECT_API_URL", None)  # ephemeral mode, like the README's first command
    return env


def run_cli(args: list[str], env: dict[str, str], timeout: float = 600) -> subprocess.CompletedProcess:
    return subprocess.run([str(BIN / "claimgraph"), *args], env=env, cwd=ROOT,
                          capture_output=True, text=True, timeout=timeout)


@dataclass
class IngestedStore:
    path: Path
    inbox: Path
    first: subprocess.CompletedProcess
    second: subprocess.CompletedProcess
    count_after_first: int
    count_after_second: int


def _count(path: Path) -> int:
    from claimgraph.store import OxigraphStore

    with OxigraphStore(path, read_only=True) as store:
        return store.triple_count()


def write_bad_inputs(folder: Path) -> dict[str, str]:
    """The bad files of the foundation issue; returns name -> what the summary must say."""
    (folder / "empty.txt").write_bytes(b"")
    (folder / "binary.txt").write_bytes(bytes(range(256)) * 64)
    (folder / "latin1.txt").write_bytes("Caf\xe9 diplomacy in Ankara\n\nThe minister said\xa0so.".encode("latin-1"))
    big = ("Lorem ipsum analysis paragraph about states and alliances. " * 20 + "\n\n").encode()
    with open(folder / "huge.txt", "wb") as f:
        for _ in range(20 * 1024 * 1024 // len(big) + 1):
            f.write(big)
    return {"empty.txt": "empty", "binary.txt": "binary", "latin1.txt": "not valid utf-8", "huge.txt": "limit"}


@pytest.fixture(scope="session")
def seed_store(tmp_path_factory) -> IngestedStore:
    """seeds/ plus four bad files, ingested twice through the real flow (`claimgraph ingest`)."""
    tmp = tmp_path_factory.mktemp("seedstore")
    inbox = tmp / "inbox"
    shutil.copytree(SEEDS, inbox)
    write_bad_inputs(inbox)
    store = tmp / "store"
    env = cli_env(tmp)
    first = run_cli(["ingest", str(inbox), "--store", str(store)], env)
    assert "loaded" in first.stdout, first.stdout + first.stderr
    count1 = _count(store)
    second = run_cli(["ingest", str(inbox), "--store", str(store)], env)
    count2 = _count(store)
    return IngestedStore(store, inbox, first, second, count1, count2)


@dataclass
class Server:
    url: str
    process: subprocess.Popen

    @property
    def sparql(self) -> str:
        return self.url + "/sparql"


@pytest.fixture(scope="session")
def server(seed_store, tmp_path_factory) -> Server:
    """`claimgraph serve` over the seed store, on a free port of 127.0.0.1."""
    tmp = tmp_path_factory.mktemp("server")
    port = free_port()
    log = open(tmp / "server.log", "w")
    proc = subprocess.Popen(
        [str(BIN / "claimgraph"), "serve", "--host", "127.0.0.1", "--port", str(port), "--store", str(seed_store.path)],
        env=cli_env(tmp), cwd=ROOT, stdout=log, stderr=subprocess.STDOUT,
    )
    url = f"http://127.0.0.1:{port}"
    deadline = time.time() + 60
    while time.time() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"server exited: {(tmp / 'server.log').read_text()}")
        try:
            if httpx.get(url + "/healthz", timeout=2).status_code == 200:
                break
        except httpx.HTTPError:
            time.sleep(0.3)
    else:
        proc.kill()
        raise RuntimeError(f"server did not start: {(tmp / 'server.log').read_text()}")
    yield Server(url, proc)
    proc.terminate()
    try:
        proc.wait(timeout=10)
    except subprocess.TimeoutExpired:
        proc.kill()
    log.close()


def select(server: Server, query: str) -> list[dict[str, str]]:
    """Rows of a SELECT as dicts of plain values, through the real endpoint."""
    r = httpx.post(server.sparql, data={"query": query}, headers={"Accept": "application/sparql-results+json"}, timeout=30)
    assert r.status_code == 200, r.text
    body = r.json()
    return [{k: v["value"] for k, v in b.items()} for b in body["results"]["bindings"]]
