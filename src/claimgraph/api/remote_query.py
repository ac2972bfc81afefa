"""Queries answered by a SPARQL 1.1 server when the store is remote, with the guards of the worker pool.

Everything before evaluation is what it is over the embedded store (sparql.py: the
protocol, the limits of query_limits.py, the SERVICE allow-list, the result format
chosen or 406), so nothing reaches the server that the embedded store would not have
evaluated. Then `RemoteEvaluator`, in place of query_pool.QueryPool:

- **Request**: POST `query=` with the dataset as `RemoteGraphStore.dataset_params` says
  (the union of the named graphs unless the request or the query names a dataset) and
  `BASE` for relative IRIs; Accept names the client's format first and, at a low q, one
  this module can read (SPARQL JSON results, N-Triples).
- **Answer**: the server's body is passed through when it is in the client's format;
  otherwise (the server lacks that format) it is read with pyoxigraph and serialised in
  the client's format. A 400 from the server is the client's 400 (its message included);
  anything else it answers is a 502 naming it. An answer the server cut short (Virtuoso's
  row cap or anytime limit, `remote.check_complete`) is never sent as a result: 503 for a
  time limit, 400 for the row cap.
- **Deadline**: `timeout_s` from arrival, waiting included. The whole answer is read
  before the first byte goes to the client, so at the deadline the request to the
  server is abandoned (its connection closed) and the client gets 503, never a cut-off
  body. (The server may go on evaluating: Oxigraph's and Virtuoso's own time limits,
  `--timeout-s` and `MaxQueryExecutionTime`, bound that.)
- **Size**: an answer over `max_bytes` is refused (400) as it arrives, not held.
- **Fair share** between clients as in query_pool.py (`FairShare`): at most `workers`
  queries at the server at once, the same per-client limits, reserve for proven
  clients and preemption (a preempted query's request is abandoned: 503).
- **Disconnect**: a query whose client went away is abandoned (sparql.py watches).
"""
from __future__ import annotations

import asyncio

import httpx
import pyoxigraph as ox

from ..stores.remote import FORM, Incomplete, RemoteGraphStore, as_boolean, check_complete, form_body
from .answers import TEXT, Answer, ProtocolError, split_media_type
from .query_pool import FairShare, Job, PoolSettings

JSON_RESULTS = "application/sparql-results+json"
N_TRIPLES = "application/n-triples"
READABLE_RESULTS = {  # media type -> pyoxigraph format, for answers in a format the client did not ask for
    JSON_RESULTS: ox.QueryResultsFormat.JSON, "application/json": ox.QueryResultsFormat.JSON,
    "application/sparql-results+xml": ox.QueryResultsFormat.XML, "application/xml": ox.QueryResultsFormat.XML,
    "text/tab-separated-values": ox.QueryResultsFormat.TSV,
}


class Slot:
    """One of the `workers` places at the server: what FairShare's Job calls its worker."""

    def __init__(self) -> None:
        self.task: asyncio.Task | None = None
        self.stopped: str | None = None
        self.job: Job | None = None

    @property
    def alive(self) -> bool:
        return self.stopped is None

    def kill(self, reason: str) -> None:
        """Abandon the query's request (closing its connection)."""
        self.stopped = self.stopped or reason
        if self.task is not None:
            self.task.cancel()


def media_types(formats: dict) -> dict[str, str]:
    """Result kind -> the canonical media type of the format chosen for it (kinds refused with 406 left out)."""
    out = {}
    for kind, (ext, _ctype) in formats.items():
        if isinstance(ext, int):
            continue
        fmt = ox.RdfFormat.from_extension(ext) if kind == "graph" else ox.QueryResultsFormat.from_extension(ext)
        out[kind] = split_media_type(fmt.media_type)[0]  # "text/csv; charset=utf-8" -> "text/csv"
    return out


def accept_header(formats: dict, passes_through: bool = True) -> str:
    """The client's formats first, then at q=0.1 one this module can read and re-serialise (only
    those when the server's answers are always serialised again)."""
    wanted = list(dict.fromkeys(media_types(formats).values())) if passes_through else []
    fallback = []
    if "solutions" in formats or "boolean" in formats:
        fallback.append(JSON_RESULTS)
    if "graph" in formats:
        fallback.append(N_TRIPLES)
    if not wanted:
        return ", ".join(fallback)
    return ", ".join(wanted + [f"{m};q=0.1" for m in fallback if m not in wanted])


def _kind_of(result) -> str:
    if isinstance(result, ox.QueryBoolean):
        return "boolean"
    return "solutions"


def _chosen(formats: dict, kind: str) -> Answer | tuple[str, str]:
    choice = formats.get(kind)
    if choice is None:
        return Answer(406, f"This endpoint cannot serialise {kind} results for the request.\n".encode(), TEXT)
    if isinstance(choice[0], int):
        return Answer(choice[0], (choice[1].rstrip("\n") + "\n").encode("utf-8"), TEXT)
    return choice[0], choice[1]


def convert_answer(formats: dict, content_type: str | None, body: bytes, passes_through: bool = True) -> Answer:
    """The server's 200 answer as the client asked for it: passed through when it is in the
    chosen format (and the server's answers may be), else read and serialised again."""
    mtype, _ = split_media_type(content_type)
    wanted = media_types(formats)
    for kind, media in wanted.items():
        if passes_through and mtype == media and (len(formats) == 1 or kind == "graph"):
            return Answer(200, body, formats[kind][1])
    try:
        if mtype in READABLE_RESULTS:
            result = ox.parse_query_results(body, format=READABLE_RESULTS[mtype])
            if list(formats) == ["boolean"]:
                result = as_boolean(result)  # Virtuoso's ASK
            chosen = _chosen(formats, _kind_of(result))
            if isinstance(chosen, Answer):
                return chosen
            fmt = ox.QueryResultsFormat.from_extension(chosen[0])
            return Answer(200, result.serialize(format=fmt), chosen[1])
        rdf_format = ox.RdfFormat.from_media_type(mtype) if mtype else None
        if rdf_format is not None:
            chosen = _chosen(formats, "graph")
            if isinstance(chosen, Answer):
                return chosen
            triples = [q.triple for q in ox.parse(body, format=rdf_format)]
            return Answer(200, ox.serialize(triples, format=ox.RdfFormat.from_extension(chosen[0])), chosen[1])
    except (SyntaxError, ValueError) as exc:
        return Answer(502, f"The store's answer ({mtype}) does not parse: {exc}\n".encode("utf-8"), TEXT)
    return Answer(502, f"The store answered in {mtype or 'no declared format'}, which this endpoint cannot "
                       "read.\n".encode("utf-8"), TEXT)


def _brief(body: bytes) -> str:
    return " ".join(body.decode("utf-8", "replace").split())[:1000]


class RemoteEvaluator:
    """Queries evaluated by the remote store's server (see the module docstring)."""

    TICK_S = 0.05  # while queries wait: how often the fair share is looked at again

    def __init__(self, store: RemoteGraphStore, settings: PoolSettings, max_bytes: int,
                 transport: httpx.AsyncBaseTransport | None = None):
        self.store = store
        self.s = settings
        self.max_bytes = max_bytes
        self.share = FairShare(settings)
        self.free = settings.workers
        self._client = httpx.AsyncClient(
            headers=store.headers, auth=store.new_auth(), timeout=httpx.Timeout(None, connect=10.0),
            limits=httpx.Limits(max_connections=settings.workers, max_keepalive_connections=settings.workers),
            transport=transport)
        self._ticker: asyncio.Task | None = None
        self._closed = False

    async def close(self) -> None:
        self._closed = True
        if self._ticker is not None:
            self._ticker.cancel()
        await self._client.aclose()

    def stats(self) -> dict:
        return {"workers": self.s.workers, "busy": self.s.workers - self.free, "waiting": len(self.share.waiting)}

    # -- scheduling ---------------------------------------------------------

    def _dispatch(self) -> None:
        loop = asyncio.get_running_loop()
        now = loop.time()
        for job in self.share.hand_out(now, self.free):
            self.free -= 1
            slot = Slot()
            job.worker, slot.job = slot, job
            job.assigned.set_result(slot)
        victim = self.share.to_preempt(now, self.free)
        if victim is not None:
            victim.worker.kill("preempted")
        if self.share.waiting and self._ticker is None and not self._closed:
            self._ticker = loop.create_task(self._tick())

    async def _tick(self) -> None:
        try:
            while self.share.waiting and not self._closed:
                await asyncio.sleep(self.TICK_S)
                self._dispatch()
        finally:
            self._ticker = None

    def _finish(self, job: Job, now: float) -> None:
        if job not in self.share.running:
            return
        self.share.finish(job, now)
        self.free += 1
        self._dispatch()

    # -- one query ----------------------------------------------------------

    async def evaluate(self, request: dict, client: str) -> Answer:
        """Answer one query (sparql.evaluation_request's plain data) for `client`."""
        loop = asyncio.get_running_loop()
        now = loop.time()
        refusal = self.share.refusal(client)
        if refusal is not None:
            return Answer.error(refusal)
        deadline = now + self.s.timeout_s if self.s.timeout_s else None
        job = Job(client, b"", now, deadline, loop.create_future())
        self.share.enqueue(job)
        self._dispatch()
        try:
            async with asyncio.timeout_at(deadline):
                slot = await job.assigned
        except (TimeoutError, asyncio.CancelledError) as exc:
            if job.worker is not None:  # a slot was handed over in the same instant: give it back
                self._finish(job, loop.time())
            else:
                self.share.withdraw(job)
            if isinstance(exc, TimeoutError):
                return self._timed_out(job, loop.time(), waited=True)
            raise
        slot.task = loop.create_task(self._ask(request))
        try:
            async with asyncio.timeout_at(deadline):
                return await slot.task
        except TimeoutError:
            return self._timed_out(job, loop.time(), waited=False)
        except asyncio.CancelledError:
            me = asyncio.current_task()
            if slot.stopped == "preempted" and me is not None and not me.cancelling():
                return Answer.error(ProtocolError(
                    503, f"The query was stopped after {loop.time() - (job.started or now):.1f} s to let other "
                         f"clients' queries run: every place at the store was busy, and queries from your address "
                         f"had used {self.share.used(client, loop.time()):.1f} s recently. Try again later or "
                         "narrow the query.", {"Retry-After": "10"}))
            raise
        finally:
            slot.task.cancel()  # no-op when done; abandons the request otherwise
            self._finish(job, loop.time())

    def _timed_out(self, job: Job, now: float, waited: bool) -> Answer:
        where = "waiting for a free place at the store (the endpoint is busy)" if waited else "and was abandoned"
        return Answer.error(ProtocolError(
            503, f"The query did not finish within the {self.s.timeout_s:g} s limit ({now - job.arrived:.1f} s "
                 f"elapsed, {where}). Narrow the query (LIMIT, more selective patterns) and try again.",
            {"Retry-After": "10"}))

    async def _ask(self, request: dict) -> Answer:
        store = self.store
        body = form_body(store.query_data(request["query"], request["dataset"], request.get("base_iri")))
        headers = {"Accept": accept_header(request["formats"], store.passes_through), "Content-Type": FORM}
        try:
            async with self._client.stream("POST", store.query_url, content=body, headers=headers) as r:
                chunks, size = [], 0
                async for chunk in r.aiter_bytes():
                    size += len(chunk)
                    if size > self.max_bytes:
                        return Answer.error(ProtocolError(
                            400, f"The answer is larger than {self.max_bytes // 2**20} MB, more than one query may "
                                 "return here (CLAIMGRAPH_QUERY_WORKER_MEMORY_MB). Narrow the query (LIMIT, fewer "
                                 "variables)."))
                    chunks.append(chunk)
        except httpx.HTTPError as exc:
            return Answer(502, f"The store at {store.query_url} could not be reached or broke off: "
                               f"{type(exc).__name__}: {exc}\n".encode("utf-8"), TEXT)
        body = b"".join(chunks)
        if r.status_code == 400:
            return Answer(400, f"The store refused the query: {_brief(body)}\n".encode("utf-8"), TEXT)
        if r.status_code != 200:
            return Answer(502, f"The store at {store.query_url} answered {r.status_code}: "
                               f"{_brief(body)}\n".encode("utf-8"), TEXT)
        try:
            check_complete(r)
        except Incomplete as exc:
            status = 503 if r.headers.get("x-sql-state") else 400
            return Answer.error(ProtocolError(status, f"The store did not give the whole answer: {exc}."))
        return convert_answer(request["formats"], r.headers.get("content-type"), body, store.passes_through)
