"""Third-party SPARQL servers started for the tests, on 127.0.0.1 and free ports.

`oxigraph_server` and `virtuoso_server` are session fixtures (conftest.py
imports them): each server starts once, in a temporary folder, and is stopped
cleanly at the end. Each yields a `SparqlServer`: where to query, update and
use the Graph Store, and the credentials writes need. Tests load data through
the server's own HTTP interface (`load_graphs`), never through its files.

What each needs, for the store backends that will talk to them:

Oxigraph (`oxigraph serve`, from the `oxigraph` PyPI package, the test extra):
  `/query`, `/update`, `/store` (SPARQL 1.1 Graph Store; `POST /store` with
  `application/n-quads` loads many graphs in one request). Started *without*
  `--union-default-graph`: that flag also applies to updates, and then an
  update with USING (or `using-graph-uri`) is refused ("using-union-graph must
  not be used with a dataset"). A query gets the union default graph by asking
  for it, `union-default-graph` as a parameter (`union_query_url`), as the
  remote store backend does. No authentication: it must only listen where
  nobody else can write.

Virtuoso Open Source 7.2 (Debian `virtuoso-opensource-7-bin`: the server and
  `isql-vt` only; the `virtuoso-opensource` package would also install and
  start a system-wide service on 0.0.0.0). A fresh database takes 10-20 s to
  create; both its SQL port and its HTTP port are bound to 127.0.0.1 by the
  generated virtuoso.ini. Facts measured on 7.2.5 that the remote backend must
  respect:
  - reads: `GET/POST /sparql` is open; with no dataset given, the default
    graph is the union of all graphs (including Virtuoso's own system graphs);
  - writes: the anonymous `/sparql` user may not update (error SR186). The
    fixture creates a user with the `SPARQL_UPDATE` role and write permission
    on graphs (`DB.DBA.RDF_DEFAULT_USER_PERMS_SET(user, 7)`); it writes
    through `/sparql-auth` (SPARQL Update, `update=` form field) and
    `/sparql-graph-crud-auth` (Graph Store) with HTTP *Digest* auth (no bearer
    tokens); a wrong password gets 401;
  - Graph Store: `PUT ?graph=<g>` with N-Triples or Turtle replaces a graph
    (201), `DELETE` drops it (200), `GET` returns N-Triples with `\\uXXXX`
    escapes; N-Quads are refused (500), so graphs go one request each;
  - a `PUT` is *not* all or nothing: a body with a syntax error on line 5,001
    answered 500 and left the graph holding the 5,000 new triples before it
    (the old ones gone). The backend must send only N-Triples it has parsed
    itself, and treat a failed write as "graph unknown" (re-send it);
  - `SELECT ?g WHERE { GRAPH ?g { } }` does not list graphs (one empty row);
    `GRAPH ?g { ?s ?p ?o }` does;
  - its system graphs are part of every query's default graph until
    `scripts/virtuoso-init.sql` makes them private, which the fixture runs;
  - an answer longer than `ResultSetMaxRows` is cut there, with only an
    `X-SPARQL-MaxRows` header to say so.
  The DBA password is replaced by a random one as soon as the server is up.
"""
from __future__ import annotations

import secrets
import shutil
import subprocess
import sys
import textwrap
import time
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest

from conftest import need

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "scripts"))
from virtuoso_config import sql_statements, virtuoso_ini  # noqa: E402  (one config for tests and benchmark)

BIN = Path(sys.executable).parent


def _free_port() -> int:
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@dataclass
class SparqlServer:
    name: str
    query_url: str
    update_url: str
    gsp_url: str
    auth: httpx.Auth | None  # what writes need (None: open)
    process: subprocess.Popen
    log: Path
    user: str | None = None  # the writing user's credentials (Virtuoso: Digest)
    password: str | None = None

    @property
    def union_query_url(self) -> str:
        """The query URL whose default graph is the union of the named graphs."""
        return self.query_url + "?union-default-graph" if self.name == "oxigraph" else self.query_url

    def select(self, query: str) -> list[dict[str, str]]:
        r = httpx.post(self.union_query_url, data={"query": query},
                       headers={"Accept": "application/sparql-results+json"}, timeout=60)
        r.raise_for_status()
        return [{k: v["value"] for k, v in b.items()} for b in r.json()["results"]["bindings"]]

    def update(self, update: str) -> None:
        r = httpx.post(self.update_url, data={"update": update}, auth=self.auth, timeout=120)
        r.raise_for_status()

    def put_graph(self, graph_iri: str, ntriples: str) -> httpx.Response:
        """Replace one named graph through the Graph Store protocol."""
        return httpx.put(self.gsp_url, params={"graph": graph_iri}, content=ntriples.encode("utf-8"),
                         headers={"Content-Type": "application/n-triples"}, auth=self.auth, timeout=120)

    def load_graphs(self, graphs: dict[str, str]) -> None:
        """Put each graph (IRI -> N-Triples) through the Graph Store, one request each
        (the form every SPARQL 1.1 store takes)."""
        for graph_iri, ntriples in graphs.items():
            r = self.put_graph(graph_iri, ntriples)
            assert r.status_code in (200, 201, 204), f"{self.name}: PUT {graph_iri}: {r.status_code} {r.text[:500]}"

    def clear_graphs(self, graph_iris: Iterable[str]) -> None:
        self.update(" ;\n".join(f"DROP SILENT GRAPH <{g}>" for g in graph_iris))


def _wait(proc: subprocess.Popen, log: Path, ready, timeout: float, what: str) -> None:
    deadline = time.monotonic() + timeout
    while True:
        if proc.poll() is not None:
            raise RuntimeError(f"{what} exited with {proc.returncode}:\n{log.read_text(errors='replace')[-3000:]}")
        try:
            if ready():
                return
        except httpx.HTTPError:
            pass
        if time.monotonic() > deadline:
            _stop(proc)
            raise RuntimeError(f"{what} was not ready in {timeout:.0f} s:\n{log.read_text(errors='replace')[-3000:]}")
        time.sleep(0.3)


def _stop(proc: subprocess.Popen, grace: float = 30) -> None:
    if proc.poll() is None:
        proc.terminate()  # our own child, by its PID
        try:
            proc.wait(grace)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()


def _ask_ok(url: str) -> bool:
    r = httpx.post(url, data={"query": "ASK {}"}, headers={"Accept": "application/sparql-results+json"}, timeout=5)
    return r.status_code == 200


# -- Oxigraph's server ----------------------------------------------------------------------

def start_oxigraph(folder: Path) -> SparqlServer:
    exe = need("oxigraph-server")  # skips, naming it, when it is missing (in CI: fails)
    port = _free_port()
    base = f"http://127.0.0.1:{port}"
    log = folder / "oxigraph.log"
    with open(log, "wb") as fh:
        proc = subprocess.Popen([exe, "serve", "--location", str(folder / "data"), "--bind", f"127.0.0.1:{port}"],
                                stdout=fh, stderr=subprocess.STDOUT)
    _wait(proc, log, lambda: _ask_ok(base + "/query"), 60, "oxigraph serve")
    return SparqlServer("oxigraph", base + "/query", base + "/update", base + "/store", None, proc, log)


@pytest.fixture(scope="session")
def oxigraph_server(tmp_path_factory):
    server = start_oxigraph(tmp_path_factory.mktemp("oxigraph-server"))
    yield server
    _stop(server.process)


# -- Virtuoso Open Source ----------------------------------------------------------------------

def _isql(exe: str, sql_port: int, password: str, sql: str) -> str:
    r = subprocess.run([exe, f"127.0.0.1:{sql_port}", "dba", password, f"exec={sql}"],
                       capture_output=True, text=True, timeout=60)
    if r.returncode != 0 or "*** Error" in r.stdout + r.stderr:
        raise RuntimeError(f"isql-vt failed on {sql!r}:\n{r.stdout}\n{r.stderr}")
    return r.stdout


def start_virtuoso(folder: Path) -> tuple[SparqlServer, callable]:
    server_exe, isql_exe = need("virtuoso")  # skips, naming it, when it is missing (in CI: fails)
    sql_port, http_port = _free_port(), _free_port()
    (folder / "www").mkdir(parents=True, exist_ok=True)
    ini = folder / "virtuoso.ini"
    ini.write_text(virtuoso_ini(folder, sql_port, http_port))
    log = folder / "virtuoso.out"
    with open(log, "wb") as fh:
        proc = subprocess.Popen([server_exe, "+foreground", "+configfile", str(ini)], cwd=folder,
                                stdout=fh, stderr=subprocess.STDOUT)
    base = f"http://127.0.0.1:{http_port}"
    _wait(proc, log, lambda: _ask_ok(base + "/sparql"), 180, "virtuoso-t")
    dba_password, user, password = "p" + secrets.token_hex(12), "claimgraph", "p" + secrets.token_hex(12)
    try:
        _isql(isql_exe, sql_port, "dba", textwrap.dedent(f"""\
            DB.DBA.USER_CREATE('{user}', '{password}');
            GRANT SPARQL_UPDATE TO "{user}";
            DB.DBA.RDF_DEFAULT_USER_PERMS_SET('{user}', 7);
""") + sql_statements() + f"\nUSER_SET_PASSWORD('dba', '{dba_password}');")
    except BaseException:
        _stop(proc)  # a server whose setup failed must not outlive the test run
        raise
    server = SparqlServer("virtuoso", base + "/sparql", base + "/sparql-auth", base + "/sparql-graph-crud-auth",
                          httpx.DigestAuth(user, password), proc, log, user, password)

    def stop() -> None:
        if proc.poll() is None:
            try:  # a clean shutdown checkpoints the database; SIGTERM is the fallback
                _isql(isql_exe, sql_port, dba_password, "shutdown;")
                proc.wait(60)
            except (RuntimeError, subprocess.TimeoutExpired, subprocess.SubprocessError):
                pass
        _stop(proc)

    return server, stop


@pytest.fixture(scope="session")
def virtuoso_server(tmp_path_factory):
    server, stop = start_virtuoso(tmp_path_factory.mktemp("virtuoso-server"))
    yield server
    stop()
