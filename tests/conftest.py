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

# The fetcher refuses loopback and private addresses (sources/addresses.py); the tests' own
# sites listen on 127.0.0.1 only, so that one address is allowed, for this process and every
# command it starts. test_outside.py proves that another loopback address is still refused.
TEST_SITE_NETWORKS = '["127.0.0.1/32"]'
os.environ["CLAIMGRAPH_FETCH_ALLOWED_NETWORKS"] = TEST_SITE_NETWORKS


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class ServerProcess:
    """A server started as its own process on 127.0.0.1, ready when `health_url` answers 200.

    Used for `claimgraph serve`, uvicorn and `prefect server start`; logs go to `log`."""

    def __init__(self, cmd: list[str], env: dict[str, str], log: Path, health_url: str,
                 *, timeout: float = 60, cwd: Path = ROOT):
        self.log = log
        self._log_fh = open(log, "wb")
        self.proc = subprocess.Popen(cmd, env=env, cwd=cwd, stdout=self._log_fh, stderr=subprocess.STDOUT)
        deadline = time.monotonic() + timeout
        while True:
            if self.proc.poll() is not None:
                self._log_fh.close()
                raise RuntimeError(f"{cmd[0]} exited with {self.proc.returncode}:\n{log.read_text()[-3000:]}")
            try:
                if httpx.get(health_url, timeout=2).status_code == 200:
                    return
            except httpx.HTTPError:
                pass
            if time.monotonic() > deadline:
                self.stop()
                raise RuntimeError(f"{cmd[0]} did not answer {health_url} in {timeout:.0f} s:\n{log.read_text()[-3000:]}")
            time.sleep(0.2)

    def stop(self) -> None:
        self.proc.terminate()
        try:
            self.proc.wait(20)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()
        self._log_fh.close()


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
    from claimgraph.stores import OxigraphStore

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
    process: ServerProcess

    @property
    def sparql(self) -> str:
        return self.url + "/sparql"


def start_claimgraph_server(tmp: Path, *, store: Path | None = None, **env: str) -> tuple[str, ServerProcess]:
    """`claimgraph serve` (the real command) on a free port of 127.0.0.1."""
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    args = [str(BIN / "claimgraph"), "serve", "--host", "127.0.0.1", "--port", str(port)]
    if store is not None:
        args += ["--store", str(store)]
    return url, ServerProcess(args, cli_env(tmp, **env), tmp / "server.log", url + "/healthz")


@pytest.fixture(scope="session")
def server(seed_store, tmp_path_factory) -> Server:
    """`claimgraph serve` over the seed store."""
    url, process = start_claimgraph_server(tmp_path_factory.mktemp("server"), store=seed_store.path)
    yield Server(url, process)
    process.stop()


def select(server: Server, query: str) -> list[dict[str, str]]:
    """Rows of a SELECT as dicts of plain values, through the real endpoint."""
    r = httpx.post(server.sparql, data={"query": query}, headers={"Accept": "application/sparql-results+json"}, timeout=30)
    assert r.status_code == 200, r.text
    body = r.json()
    return [{k: v["value"] for k, v in b.items()} for b in body["results"]["bindings"]]


# Third-party SPARQL servers (Oxigraph's, Virtuoso), session-scoped: tests/servers.py.
from servers import oxigraph_server, virtuoso_server  # noqa: E402,F401
