"""Shared fixtures, and the rules every test here follows (new tests too).

Paths. Every file or tool a test needs is named below, relative to the checkout
(`ROOT`) or found on PATH; tests import them (`from conftest import ROOT, PAGES`)
and never spell out an absolute path. Two settings point the suite elsewhere:
`CLAIMGRAPH_TEST_SHARED` (default `../shared`, beside the checkout: the
protocol checker and the data-contract check) and `CLAIMGRAPH_TEST_CHROMIUM`
(default `chromium` on PATH).

Requirements. What a test needs beyond the venv has a name in `REQUIREMENTS`
(`protocol-checker`, `cq-check`, `java`, `chromium`, `playwright`, `yasgui`,
`docker-compose`, `virtuoso`, `oxigraph-server`). A test declares it with
`@pytest.mark.needs("java")` (or `pytestmark = pytest.mark.needs(...)`); a
fixture or helper calls `need("virtuoso")`, which returns what it found. When
it is missing the test is skipped with a reason naming it and how to get it.
No other way of skipping: a bare `pytest.skip`, `skipif` or an
`if …exists():` that quietly leaves a check out hides a failure. A new
requirement goes into `REQUIREMENTS`, into `scripts/setup.sh --test` (so CI has
it) and into the README's table.

Assertions. Every test asserts something that could fail when the thing it
guards breaks: no `or True`, no assert on a constant, no try/except that
swallows a failure, no test that only runs code.

CI. When `CI=true` (CI's own) or `CLAIMGRAPH_CI=1` (set by `.ci/run`), every
skip is a failure unless the test's id is on the allow-list `.ci/run` passes in
`CLAIMGRAPH_CI_ALLOWED_SKIPS` (one line per test id or id prefix, then the
reason); the run ends with a summary of the skips (tests/ci_skips.py). A test
that cannot run in CI goes on that list with its reason, or it fails.

Time. No test asserts how long something took: speed is measured by the
scripts in benchmarks/, which print figures. A wait that guards against a hang
uses a timeout only a hang could exceed (`HANG_S`). That something waited
(a Retry-After, a rate limit) is checked on what the stand-in server recorded
(the times requests reached it, the number of tries), not on the client's
clock. pytest-timeout (`timeout` in pyproject.toml) stops a test after 30
minutes, so a hang fails with a traceback instead of stalling the run.

Fixtures. A store built from seeds/ by the real Prefect flow, and the real
server over it on 127.0.0.1; both session-scoped: built once."""
from __future__ import annotations

import os
import shutil
import socket
import subprocess
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest

# -- paths ---------------------------------------------------------------------------------

ROOT = Path(__file__).resolve().parents[1]
TESTS = ROOT / "tests"
SEEDS = ROOT / "seeds"
PAGES = TESTS / "pages"
SITE = TESTS / "site"
ONTOLOGY = ROOT / "ontology"
BIN = Path(sys.executable).parent
SHARED = Path(os.environ.get("CLAIMGRAPH_TEST_SHARED") or ROOT.parent / "shared").resolve()
PROTOCOL_CHECKER = SHARED / "tools" / "sparql_protocol_check.py"
CQ_CHECK = SHARED / "tools" / "cq_check.py"
CONTRACT_EXPECTED = SHARED / "contract" / "expected" / "seeds.json"
CHROMIUM = Path(os.environ.get("CLAIMGRAPH_TEST_CHROMIUM") or shutil.which("chromium") or "chromium")

HANG_S = 120  # a wait no working server or client comes near; only a hang exceeds it


def wait_until(condition: Callable[[], object], what: str, timeout: float = HANG_S):
    """Poll `condition` until it is truthy and return its value; fail naming `what` after
    `timeout` seconds, which only a hang reaches (never a sleep that hopes it is long enough)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = condition()
        if value:
            return value
        time.sleep(0.02)
    raise AssertionError(f"still waiting after {timeout:.0f} s: {what}")


# -- requirements --------------------------------------------------------------------------

@dataclass(frozen=True)
class Requirement:
    """Something a test needs beyond the venv: `find` returns it (truthy) or None; `missing`
    names it and how to get it."""

    find: Callable[[], object]
    missing: str


def _files(*paths: Path) -> tuple[Path, ...] | None:
    return paths if all(p.is_file() for p in paths) else None


def _executable(path: Path) -> Path | None:
    return path if path.is_file() and os.access(path, os.X_OK) else None


def _playwright() -> object | None:
    try:
        import playwright.sync_api
    except ImportError:
        return None
    return playwright.sync_api


def _yasgui() -> bool | None:
    from claimgraph.api import ui

    return ui.yasgui_available() or None


def _virtuoso() -> tuple[str, str] | None:
    server, isql = shutil.which("virtuoso-t"), shutil.which("isql-vt")
    return (server, isql) if server and isql else None


REQUIREMENTS: dict[str, Requirement] = {
    "protocol-checker": Requirement(lambda: _files(PROTOCOL_CHECKER),
                                    f"the SPARQL protocol checker {PROTOCOL_CHECKER} is not there "
                                    "(../shared beside the checkout, or CLAIMGRAPH_TEST_SHARED)"),
    "cq-check": Requirement(lambda: _files(CQ_CHECK, CONTRACT_EXPECTED),
                            f"the data-contract check {CQ_CHECK} or {CONTRACT_EXPECTED} is not there "
                            "(../shared beside the checkout, or CLAIMGRAPH_TEST_SHARED)"),
    "java": Requirement(lambda: shutil.which("java"),
                        "no Java runtime for HermiT (`java` on PATH): apt-get install default-jre-headless"),
    "chromium": Requirement(lambda: _executable(CHROMIUM),
                            f"Chromium not found at {CHROMIUM} (apt-get install chromium, "
                            "or CLAIMGRAPH_TEST_CHROMIUM=/path/to/chromium)"),
    "playwright": Requirement(_playwright, "Playwright for Python is not installed (pip install -e '.[test]')"),
    "yasgui": Requirement(_yasgui, "YASGUI's files are not installed (bash scripts/setup_ui.sh, needs npm)"),
    "docker-compose": Requirement(lambda: shutil.which("docker-compose"),
                                  "docker-compose is not installed (apt-get install docker-compose)"),
    "virtuoso": Requirement(_virtuoso, "Virtuoso is not installed (virtuoso-t and isql-vt: Debian "
                                       "virtuoso-opensource-7-bin; scripts/setup.sh --test installs it as root)"),
    "oxigraph-server": Requirement(lambda: shutil.which("oxigraph", path=str(BIN)) or shutil.which("oxigraph"),
                                   "Oxigraph's server (`oxigraph`, PyPI package `oxigraph`) is not installed: "
                                   "pip install -e '.[test]'"),
}


def need(name: str):
    """What requirement `name` found; skips the calling test, naming what is missing, if nothing."""
    requirement = REQUIREMENTS[name]
    found = requirement.find()
    if not found:
        pytest.skip(f"needs {name}: {requirement.missing}")
    return found


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line("markers", "needs(*names): requirements from conftest.REQUIREMENTS; "
                                       "missing ones skip the test (in CI: fail it)")


def pytest_runtest_setup(item: pytest.Item) -> None:
    for mark in item.iter_markers("needs"):
        for name in mark.args:
            need(name)


# -- CI: a skip is a failure unless allow-listed (tests/ci_skips.py; these names make the hooks)

from ci_skips import (  # noqa: E402,F401
    CI,
    pytest_make_collect_report,
    pytest_runtest_makereport,
    pytest_terminal_summary,
)


# The fetcher refuses loopback and private addresses (sources/addresses.py); the tests' own
# sites listen on 127.0.0.1 only, so that one address is allowed, for this process and every
# command it starts. test_outside.py proves that another loopback address is still refused.
TEST_SITE_NETWORKS = '["127.0.0.1/32"]'
os.environ["CLAIMGRAPH_FETCH_ALLOWED_NETWORKS"] = TEST_SITE_NETWORKS


# -- servers -------------------------------------------------------------------------------

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
