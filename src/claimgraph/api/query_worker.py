"""One SPARQL query evaluation, and the worker process that runs them.

`evaluate` is the whole of it: run a query on a pyoxigraph store and serialise
the result natively, or say (status + message) why not. The API runs it in a
worker process (`python -m claimgraph.api.query_worker`, supervised by
query_pool.py) for a store on disk, or in a thread for an in-memory store.

Why a process: pyoxigraph cannot cancel a running query, and a deep enough
query overflows the evaluator's stack and kills whatever process runs it
(SIGSEGV; nothing in-process can catch it). In a worker, a query past its
deadline is stopped by killing the worker, and a crash costs that worker only.
The worker evaluates on a thread with a large stack (`STACK_BYTES`), so the
shapes that overflow 8 MB (5,000 nested parentheses, a 20,000-step path)
answer instead.

The worker reads its store with `Store.read_only`, which is a snapshot as of
its opening: each request carries the API's write generation, and the worker
reopens the store when it changed, so a client reads its own writes.

Wire format (a socket pair, one request at a time, each way a frame):

    request   4-byte length + JSON {"generation", "query", "base_iri", "dataset", "formats"},
              or {"generation"} alone: reopen the store now (no answer)
    answer    2-byte status, 2-byte content-type length, 4-byte body length, content type, body
    ready     the same answer frame with status 0, once the store is open

This module imports only the standard library and pyoxigraph, so a worker
starts in about 0.1 s.
"""
from __future__ import annotations

import json
import os
import socket
import struct
import sys
import threading
import time

import pyoxigraph as ox

STACK_BYTES = 256 * 1024 * 1024  # evaluation thread stack: reserved, touched only as deep as a query goes
TEXT = "text/plain; charset=utf-8"
READY = 0
ANSWER_HEADER = struct.Struct("!HHI")
LENGTH = struct.Struct("!I")

RESULT_KINDS = ("solutions", "boolean", "graph")


def result_kind(result: object) -> str:
    if isinstance(result, ox.QueryBoolean):
        return "boolean"
    if isinstance(result, ox.QueryTriples):
        return "graph"
    return "solutions"


def dataset_options(dataset: dict) -> dict:
    """`Store.query` options from the plain dataset description the API sends:
    `{"union": bool}` or `{"default_graph": [iri, ...], "named_graphs": [iri, ...]}`."""
    if "default_graph" in dataset:
        return {"default_graph": [ox.NamedNode(g) for g in dataset["default_graph"]],
                "named_graphs": [ox.NamedNode(g) for g in dataset["named_graphs"]]}
    return {"use_default_graph_as_union": bool(dataset.get("union"))}


def _format(kind: str, extension: str):
    if kind == "graph":
        return ox.RdfFormat.from_extension(extension)
    return ox.QueryResultsFormat.from_extension(extension)


def evaluate(store: ox.Store, request: dict) -> tuple[int, str, bytes]:
    """Evaluate `request` on `store` and serialise the result: (status, content type, body).

    `request["formats"]` maps each result kind the API accepts ("solutions",
    "boolean", "graph") to `[file extension, content type]`, or to `[status,
    message]` when the client accepts no format for that kind (406). A syntax
    error is 400; a failing store or SERVICE call (OSError) is 500.
    """
    try:
        result = store.query(request["query"], base_iri=request.get("base_iri"),
                             **dataset_options(request["dataset"]))
        kind = result_kind(result)
        choice = request["formats"].get(kind)
        if choice is None:
            return 406, TEXT, f"This endpoint cannot serialise {kind} results for the request.\n".encode()
        if isinstance(choice[0], int):
            return choice[0], TEXT, (choice[1].rstrip("\n") + "\n").encode("utf-8")
        body = result.serialize(format=_format(kind, choice[0]))
        return 200, choice[1], body
    except SyntaxError as exc:
        return 400, TEXT, f"SPARQL syntax error: {exc}\n".encode("utf-8")
    except (OSError, RuntimeError) as exc:  # the store (RuntimeError: RocksDB says corruption) or a SERVICE
        return 500, TEXT, f"Query evaluation failed: {type(exc).__name__}: {exc}\n".encode("utf-8")


# ----------------------------------------------------------------------------- framing


def pack_answer(status: int, content_type: str, body: bytes) -> list[bytes]:
    ctype = content_type.encode("utf-8")
    return [ANSWER_HEADER.pack(status, len(ctype), len(body)), ctype, body]


def pack_request(request: dict) -> bytes:
    payload = json.dumps(request, ensure_ascii=False, separators=(",", ":")).encode("utf-8")
    return LENGTH.pack(len(payload)) + payload


def _send(sock: socket.socket, parts: list[bytes]) -> None:
    for part in parts:
        if part:
            sock.sendall(part)


def _read_exactly(stream, n: int) -> bytes | None:
    data = stream.read(n)
    return data if data is not None and len(data) == n else None


# ----------------------------------------------------------------------------- the worker process


class Snapshot:
    """The store as of a write generation: reopened (`Store.read_only`) when the generation moves.

    Opening races with the writer: RocksDB reads the list of table files and then the files,
    and a compaction in between deletes some ("No such file", reported as corruption). The
    next attempt reads the new list, so an open is tried a few times; a query that meets a
    file deleted after the open (table files are opened lazily) reopens and runs once more."""

    ATTEMPTS = 6

    def __init__(self, path: str | None, generation: int):
        self.path = path
        self.generation = -1
        self.store: ox.Store | None = None
        self.refresh(generation)

    def refresh(self, generation: int, force: bool = False) -> None:
        if generation == self.generation and self.store is not None and not force:
            return
        self.store = None  # drop the old handle (and its file handles) first
        for attempt in range(self.ATTEMPTS):
            try:
                self.store = ox.Store.read_only(self.path) if self.path else ox.Store()
                break
            except (OSError, RuntimeError):
                if attempt == self.ATTEMPTS - 1:
                    raise
                time.sleep(0.01 * 2 ** attempt)
        self.generation = generation


def stale(body: bytes) -> bool:
    """Does an evaluation error say a table file of the snapshot is gone (compacted away)?"""
    return b"No such file" in body or b"IO error" in body or b"Corruption" in body


def serve(sock: socket.socket, path: str | None, generation: int) -> None:
    """Answer requests until the API closes the socket (or kills this process)."""
    try:
        snapshot = Snapshot(path, generation)
    except (OSError, RuntimeError) as exc:
        _send(sock, pack_answer(500, TEXT, f"cannot open the store at {path}: {exc}\n".encode()))
        return
    _send(sock, pack_answer(READY, TEXT, b""))
    stream = sock.makefile("rb")
    while True:
        head = _read_exactly(stream, LENGTH.size)
        if head is None:
            return  # the API went away
        payload = _read_exactly(stream, LENGTH.unpack(head)[0])
        if payload is None:
            return
        request = json.loads(payload)
        if "query" not in request:  # a refresh while idle: reopen now, so the next query need not (no answer)
            try:
                snapshot.refresh(request["generation"])
            except (OSError, RuntimeError):
                pass  # the next query reopens, or says why it cannot
            continue
        try:
            snapshot.refresh(request["generation"])
            status, content_type, body = evaluate(snapshot.store, request)
            if status == 500 and snapshot.path and stale(body):
                snapshot.refresh(request["generation"], force=True)
                status, content_type, body = evaluate(snapshot.store, request)
        except Exception as exc:  # noqa: BLE001 - whatever it is, the client gets it and the worker goes on
            status, content_type, body = 500, TEXT, f"Query worker error: {type(exc).__name__}: {exc}\n".encode()
        _send(sock, pack_answer(status, content_type, body))


def main(argv: list[str]) -> int:
    """`python -m claimgraph.api.query_worker FD STORE_PATH GENERATION [PARENT_PID]` (STORE_PATH '' =
    in memory). With PARENT_PID the worker dies with the API process, even one killed by SIGKILL
    while this worker is busy with a long query (claimgraph.lifetime)."""
    fd, path, generation = int(argv[0]), argv[1] or None, int(argv[2])
    if len(argv) > 3:
        from ..lifetime import die_with_parent

        die_with_parent(int(argv[3]))
    sock = socket.socket(fileno=fd)
    threading.stack_size(STACK_BYTES)
    thread = threading.Thread(target=serve, args=(sock, path, generation), name="sparql-eval")
    thread.start()
    thread.join()
    return 0


if __name__ == "__main__":
    os.environ.setdefault("PYTHONUNBUFFERED", "1")
    sys.exit(main(sys.argv[1:]))
