"""The write token stays secret: a SecretStr in the settings, refused from a file others
may read, never a task input, never logged, never in Prefect's database or home.

The end-to-end check runs the real `claimgraph ingest` (the Prefect flow, its temporary
server) while `claimgraph serve` holds the store, so the flow loads every document
through the server's Graph Store endpoint with the token; then Prefect's whole home
folder (its SQLite database included), the command's output and the server's log are
searched for the token's bytes.
"""
from __future__ import annotations

import os
import pickle
import secrets
import shutil
from pathlib import Path

import httpx
import pytest

from claimgraph.api import auth
from claimgraph.api.answers import ProtocolError
from claimgraph.config import Settings, load_write_token
from claimgraph.stores.base import StoreError
from claimgraph.stores.remote import RemoteGraphStore, store_auth
from conftest import SEEDS, cli_env, run_cli, start_claimgraph_server


def test_the_token_is_a_secret_in_the_settings():
    token = "tok-" + secrets.token_hex(8)
    settings = Settings(write_token=token)
    for shown in (repr(settings), str(settings), settings.model_dump_json(), repr(settings.model_dump())):
        assert token not in shown, shown
    assert auth.configured_token(settings).get_secret_value() == token
    store = RemoteGraphStore("http://127.0.0.1:9/sparql", "http://127.0.0.1:9/store", settings.write_token)
    try:
        assert token not in repr(store._client.headers) and token not in repr(store._client.auth)
    finally:
        store.close()


def test_a_token_file_open_to_others_is_refused_and_says_why(tmp_path):
    path = tmp_path / "token.txt"
    path.write_text("file-token\n")
    for mode in (0o644, 0o640, 0o604, 0o660, 0o666):
        path.chmod(mode)
        token, why = load_write_token(Settings(write_token_file=path))
        assert token is None and f"mode {mode:o}" in why and "chmod 600" in why and str(path) in why
        with pytest.raises(ProtocolError) as refused:
            auth.check_write_access("Bearer file-token", Settings(write_token_file=path))
        assert refused.value.status == 403 and "chmod 600" in refused.value.message
    path.chmod(0o600)
    auth.check_write_access("Bearer file-token", Settings(write_token_file=path))
    path.chmod(0o400)
    assert load_write_token(Settings(write_token_file=path))[0].get_secret_value() == "file-token"



def test_a_store_password_file_open_to_others_is_refused_naming_it(tmp_path):
    """The store's password file is held to the token file's rule: readable by its owner only."""
    path = tmp_path / "store-password"
    path.write_text("s3cret-pass\n", encoding="utf-8")
    settings = Settings(sparql_url="http://127.0.0.1:9/sparql", store_auth="basic", store_user="cg",
                        store_password_file=path)
    path.chmod(0o644)
    with pytest.raises(StoreError) as refused:
        store_auth(settings)
    assert str(path) in str(refused.value) and "chmod 600" in str(refused.value)
    assert "s3cret-pass" not in str(refused.value)
    path.chmod(0o600)
    _, make_auth = store_auth(settings)
    assert isinstance(make_auth(), httpx.BasicAuth)

def test_what_the_flows_hand_to_a_task_runner_holds_no_token(monkeypatch):
    """Dask pickles a submitted task's inputs (cloudpickle): the run, the batch, the source's spec and
    fetch settings. None of them carries the token; the load task takes no store."""
    import cloudpickle

    from claimgraph import pipeline
    from claimgraph.flows import ingest as ingest_flow
    from claimgraph.config import get_settings
    from claimgraph.sources.http import FetchConfig
    from claimgraph.sources.registry import SourceSpec

    token = "tok-" + secrets.token_hex(8)
    monkeypatch.setenv("CLAIMGRAPH_WRITE_TOKEN", token)
    get_settings.cache_clear()
    try:
        run = pipeline.new_run(get_settings())
        shipped = cloudpickle.dumps((ingest_flow.process_files_task, ["/a/b.txt"], run, FetchConfig(),
                                     SourceSpec(name="s", kind="page", location="https://example.org/")))
        assert token.encode() not in shipped
        assert "store" not in ingest_flow.load_task.fn.__code__.co_varnames[:ingest_flow.load_task.fn.__code__.co_argcount]
        from claimgraph.stores.remote import remote_from_settings

        monkeypatch.setenv("CLAIMGRAPH_STORE_URL", "http://127.0.0.1:9")
        get_settings.cache_clear()
        remote = remote_from_settings(get_settings())
        try:  # made from the process's settings, the store holds no token: it reads it at each request
            assert token.encode() not in pickle.dumps(remote._client.auth._token)
            assert remote._client.auth.current().get_secret_value() == token
        finally:
            remote.close()
    finally:
        get_settings.cache_clear()


def grep_tree(root: Path, needle: bytes) -> list[Path]:
    return [p for p in root.rglob("*") if p.is_file() and needle in p.read_bytes()]


@pytest.mark.slow
def test_a_real_flow_run_with_a_token_leaves_it_nowhere(tmp_path):
    token = "tok-" + secrets.token_hex(16)
    token_file = tmp_path / "write_token.txt"
    token_file.write_text(token + "\n")
    token_file.chmod(0o600)
    store = tmp_path / "store"
    url, server = start_claimgraph_server(tmp_path, store=store, CLAIMGRAPH_WRITE_TOKEN_FILE=str(token_file))
    try:
        inbox = tmp_path / "inbox"
        shutil.copytree(SEEDS, inbox)
        env = {**cli_env(tmp_path, CLAIMGRAPH_WRITE_TOKEN=token), "PREFECT_LOGGING_LEVEL": "DEBUG"}  # log all it would
        result = run_cli(["ingest", str(inbox), "--store", str(store)], env)
        assert result.returncode == 0, result.stdout + result.stderr
        assert "loading through its Graph Store endpoint" in result.stderr  # the token was used
        count = httpx.post(url + "/sparql", data={"query": "SELECT (COUNT(*) AS ?n) WHERE { ?a a <http://schema.org/Article> }"},
                           headers={"Accept": "application/sparql-results+json"}, timeout=30)
        assert int(count.json()["results"]["bindings"][0]["n"]["value"]) >= 2
    finally:
        server.stop()
    needle = token.encode()
    prefect_home = Path(env["PREFECT_HOME"])
    assert any(prefect_home.rglob("*.db")), list(prefect_home.rglob("*"))  # Prefect's database is there
    assert grep_tree(prefect_home, needle) == []
    assert needle not in (result.stdout + result.stderr).encode()
    assert needle not in server.log.read_bytes()
    assert os.environ.get("CLAIMGRAPH_WRITE_TOKEN") != token
