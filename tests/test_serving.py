"""Ingest while serving: with `claimgraph serve` holding the store, `claimgraph ingest`
loads through the server (its Graph Store endpoint, with the operator's token) and
the new articles answer at /sparql at once; without the token it says what to do in
one line. Two ingests into one store take turns. All through the real commands."""
from __future__ import annotations

import shutil
import subprocess
import time

import httpx
import pytest

from conftest import BIN, ROOT, SEEDS, cli_env, run_cli, select, start_claimgraph_server

pytestmark = pytest.mark.slow

PAGES = ROOT / "tests" / "pages"
TOKEN = "serving-test-token"
HEADLINES = 'PREFIX schema: <http://schema.org/> SELECT DISTINCT ?a WHERE { ?a a schema:Article }'


class Endpoint:
    def __init__(self, url: str):
        self.sparql = url + "/sparql"


@pytest.fixture(scope="module")
def served(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("serving")
    store = tmp / "store"
    url, process = start_claimgraph_server(tmp, store=store, CLAIMGRAPH_WRITE_TOKEN=TOKEN)
    yield tmp, store, url
    process.stop()


def test_ingest_without_the_token_says_what_to_do_in_one_line(served):
    tmp, store, url = served
    env = cli_env(tmp)
    env.pop("CLAIMGRAPH_WRITE_TOKEN", None)
    result = run_cli(["ingest", str(SEEDS), "--store", str(store), "--no-prefect"], env)
    assert result.returncode == 2
    assert "Traceback" not in result.stderr + result.stdout
    lines = [line for line in result.stderr.splitlines() if line.strip()]
    assert len(lines) == 1 and url in lines[0] and "CLAIMGRAPH_WRITE_TOKEN" in lines[0], result.stderr
    assert select(Endpoint(url), HEADLINES) == []  # nothing was written


def test_ingest_loads_through_the_running_server_and_answers_at_once(served):
    tmp, store, url = served
    result = run_cli(["ingest", str(PAGES), "--store", str(store)], cli_env(tmp, CLAIMGRAPH_WRITE_TOKEN=TOKEN))
    assert "Traceback" not in result.stderr + result.stdout, result.stderr
    loaded = [line for line in result.stdout.splitlines() if line.startswith("  loaded")]
    assert len(loaded) >= 10, result.stdout + result.stderr
    assert "through its Graph Store endpoint" in result.stderr
    articles = select(Endpoint(url), HEADLINES)  # the server that was running all along
    assert len(articles) == len(loaded)
    titles = {r["h"] for r in select(Endpoint(url), 'PREFIX schema: <http://schema.org/> '
                                                    'SELECT ?h WHERE { ?a schema:headline ?h }')}
    assert len(titles) >= len(loaded) - 1  # two pages may share a headline, none is missing
    assert httpx.get(url + "/healthz", timeout=10).json()["graphs"] >= len(loaded)


def test_two_ingests_into_one_store_take_turns(tmp_path):
    store = tmp_path / "store"
    other = tmp_path / "other"
    other.mkdir()
    for name in ("no_byline.txt", "thinktank_brief.txt", "column_with_comments.txt"):
        shutil.copy(PAGES / name, other / name)
    env = cli_env(tmp_path)
    first = subprocess.Popen([str(BIN / "claimgraph"), "ingest", str(SEEDS), "--store", str(store), "--no-prefect"],
                             env=env, cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    lock = tmp_path / "store.ingest.lock"
    deadline = time.monotonic() + 120
    while not (lock.exists() and "pid" in lock.read_text()) and first.poll() is None:
        assert time.monotonic() < deadline, "the first ingest never took the store"
        time.sleep(0.05)
    second = run_cli(["ingest", str(other), "--store", str(store), "--no-prefect"], env)
    out, err = first.communicate(timeout=600)
    assert first.returncode == 0, out + err
    assert second.returncode == 0, second.stdout + second.stderr
    assert "Traceback" not in err + second.stderr
    assert "waiting for it to finish" in second.stderr  # the first holds the store for seconds
    result = run_cli(["query", "--store", str(store), "--format", "csv", HEADLINES], env)
    assert len(result.stdout.strip().splitlines()) - 1 == 5  # both runs' documents are there
