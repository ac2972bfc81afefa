"""schemathesis over the real app's OpenAPI schema, on 127.0.0.1: every operation, with
generated parameters and bodies (valid and invalid), with and without the write token.
No answer may be a server error (5xx other than the documented 503 of an exhausted
query deadline, which these small queries never reach) and every answer carries the
security headers.

The example count is bounded (`EXAMPLES` per operation, per kind of data and per token case) so the test
takes a minute or two; `CLAIMGRAPH_FUZZ_EXAMPLES=N` asks for more.
"""
from __future__ import annotations

import os
from collections import Counter

import pytest
import schemathesis
from hypothesis import HealthCheck, settings
from hypothesis.errors import Unsatisfiable
from schemathesis import GenerationMode

from test_api import Server, make_store
from test_linked_data import GRAPH, doc_ntriples

pytestmark = pytest.mark.slow

TOKEN = "fuzz-token-" + "x" * 16
EXAMPLES = int(os.environ.get("CLAIMGRAPH_FUZZ_EXAMPLES", "10"))
COUNTS: dict[str, int] = {"cases": 0, "server_errors": 0, "positive": 0, "negative": 0}
WRITES: Counter = Counter()  # (token case, status) of Graph Store writes and SPARQL updates
UNFUZZABLE: set[str] = set()  # operations with no input that can be made invalid


@pytest.fixture(scope="module")
def fuzz_server(tmp_path_factory):
    root = tmp_path_factory.mktemp("fuzz")
    make_store(root / "store", {GRAPH: doc_ntriples()})
    token_file = root / "token"
    token_file.write_text(TOKEN + "\n")
    token_file.chmod(0o600)
    server = Server(root / "store", root / "uvicorn.log", CLAIMGRAPH_WRITE_TOKEN_FILE=str(token_file),
                    CLAIMGRAPH_QUERY_TIMEOUT_S="20")
    yield server
    server.stop()
    print(f"schemathesis: {COUNTS['cases']} cases ({COUNTS['positive']} valid, {COUNTS['negative']} invalid),"
          f" {COUNTS['server_errors']} server errors; no invalid input for {sorted(UNFUZZABLE)};"
          f" writes (Graph Store, SPARQL update) by (token case, status): {dict(sorted(WRITES.items()))}")


@pytest.fixture(scope="module")
def api_schema(fuzz_server):
    return schemathesis.openapi.from_url(fuzz_server.base + "/openapi.json")


FUZZ = settings(max_examples=EXAMPLES, deadline=None, derandomize=True, suppress_health_check=list(HealthCheck))


def check(case, server, authorization: str | None) -> None:
    headers = {"Authorization": authorization} if authorization else {}
    response = case.call(base_url=server.base, headers=headers, timeout=60)
    COUNTS["cases"] += 1
    if is_write(case):
        who = "token" if authorization == f"Bearer {TOKEN}" else "wrong-token" if authorization else "anonymous"
        WRITES[who, response.status_code] += 1
    if response.status_code >= 500:
        COUNTS["server_errors"] += 1
    assert response.status_code < 500, (case.method, case.path, case.query, response.status_code, response.text[:500])
    headers = {k.lower(): v[0] if isinstance(v, list) else v for k, v in response.headers.items()}
    assert headers.get("x-content-type-options") == "nosniff"
    assert "frame-ancestors 'none'" in headers.get("content-security-policy", "")
    if authorization != f"Bearer {TOKEN}" and is_write(case):
        assert response.status_code in (400, 401, 403, 404, 405, 406, 411, 413, 415, 422), response.status_code


def is_write(case) -> bool:
    """A Graph Store write, or a SPARQL update (as its own body or as the form's `update`)."""
    if case.path == "/store":
        return case.method in ("PUT", "POST", "DELETE")
    return case.path == "/sparql" and case.method == "POST" and (
        case.media_type == "application/sparql-update" or (isinstance(case.body, dict) and "update" in case.body))


def fuzz(schema, server, authorization: str | None) -> int:
    """Every operation of the schema, EXAMPLES generated cases each of data that fits the
    schema (positive) and of data that does not (negative); returns the operations seen.
    (Driven by hypothesis directly: schemathesis's pytest plugin does not load under this pytest.)"""
    operations = 0
    for result in schema.get_all_operations():
        operation = result.ok()
        operations += 1
        for mode in (GenerationMode.POSITIVE, GenerationMode.NEGATIVE):
            fuzz_operation(operation, mode, server, authorization)
    return operations


def fuzz_operation(operation, mode: GenerationMode, server, authorization: str | None) -> None:
    from hypothesis import given

    @FUZZ
    @given(case=operation.as_strategy(generation_mode=mode))
    def run(case):
        check(case, server, authorization)
        COUNTS[mode.value] += 1

    try:
        run()
    except Unsatisfiable:
        # nothing in the operation can be made invalid (/healthz takes no input)
        assert mode is GenerationMode.NEGATIVE, operation.label
        UNFUZZABLE.add(operation.label)


@pytest.mark.parametrize("authorization", [None, f"Bearer {TOKEN}", "Bearer wrong"],
                         ids=["anonymous", "token", "wrong-token"])
def test_no_generated_request_gets_a_server_error(api_schema, fuzz_server, authorization):
    before = COUNTS["cases"]
    assert fuzz(api_schema, fuzz_server, authorization) >= 8  # /sparql, /store, /id, /ontology, VoID, /healthz...
    assert COUNTS["cases"] - before >= 8 * min(EXAMPLES, 5)
    assert COUNTS["negative"] > 0
    assert UNFUZZABLE <= {"GET /healthz"}, UNFUZZABLE
    if authorization is None or authorization == "Bearer wrong":
        assert not any(status < 300 for (who, status) in WRITES if who != "token"), WRITES
