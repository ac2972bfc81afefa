"""Queries evaluated in supervised worker processes, shared fairly between clients.

`QueryPool` keeps `workers` worker processes (query_worker.py) busy with the
queries of anonymous clients, and `spares` more started and ready, so that a
worker it has to kill is replaced at once:

- **Deadline**: a query gets `timeout_s` from its arrival, waiting included.
  At the deadline a running query's worker is killed (pyoxigraph cannot cancel
  a query; killing the process can) and the client gets 503 before any byte of
  a result was sent.
- **Crash**: a query that kills its worker (a stack overflow, SIGSEGV, that
  slipped through the limits of query_limits.py) gets 400 saying so; one past
  `memory_mb` of resident memory is killed and gets 400 too. The pool replaces
  the worker and goes on.
- **Fair share** (`FairShare`): each client (connection address) may run at
  most `per_client` queries at once and have `per_client_waiting` more
  waiting (429 beyond). A client is *heavy* once it used `heavy_after_s`
  worker-seconds recently (decaying, half-life `usage_half_life_s`), *proven*
  if it had queries answered before and is not heavy, *unknown* otherwise.
  Unknown and heavy clients together may hold at most `workers - reserve`
  workers: the reserve stays for proven clients, so the people already using
  the endpoint go on being answered while runaway queries arrive, from one
  address or from many new ones. If heavy queries hold more than that (they
  turned long in the reserve), the longest one is stopped (503) when someone
  else waits. Waiting queries are served proven clients first, then unknown,
  then heavy, each by least recent use, then arrival.
- **Disconnect**: a query whose client went away is stopped (sparql.py watches).

Workers are started with `asyncio.create_subprocess_exec` (fork + exec: no
RocksDB state is inherited) and talk over a socket pair. Everything here runs
on the event loop; no thread waits on a worker.
"""
from __future__ import annotations

import asyncio
import math
import os
import signal
import socket
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Callable

from .answers import TEXT, Answer, ProtocolError
from .query_worker import ANSWER_HEADER, READY, pack_request

PACKAGE_PARENT = str(Path(__file__).resolve().parents[2])  # so `python -m claimgraph...` finds this checkout
READ_LIMIT = 1 << 20  # stream buffer: large results arrive in big reads
PAGE_SIZE = os.sysconf("SC_PAGE_SIZE") if hasattr(os, "sysconf") else 4096


@dataclass(frozen=True)
class PoolSettings:
    workers: int = 4
    spares: int = 1
    timeout_s: float | None = 30.0
    queue: int = 16  # queries waiting for a worker, all clients together
    per_client: int = 3  # queries one client may run at once
    per_client_waiting: int = 8  # queries one client may have waiting
    reserve: int = 1  # workers heavy clients may not take
    heavy_after_s: float = 1.0
    usage_half_life_s: float = 30.0
    memory_mb: int = 2048  # resident memory a worker may reach while it evaluates (0: no cap)
    start_timeout_s: float = 60.0

    @classmethod
    def for_cores(cls, cores: int | None = None, **overrides) -> "PoolSettings":
        """Defaults for this machine: 2 workers per core (at least 4), a quarter kept for proven
        clients, one client up to the rest, a queue of 4 per worker."""
        workers = overrides.pop("workers", None) or max(4, 2 * (cores or os.cpu_count() or 2))
        reserve = overrides.pop("reserve", None) or max(1, workers // 4)
        base = cls(workers=workers, reserve=reserve, per_client=max(1, workers - reserve),
                   queue=4 * workers, per_client_waiting=2 * workers)
        return cls(**{**base.__dict__, **{k: v for k, v in overrides.items() if v is not None}})


# ----------------------------------------------------------------------------- fair share


class Usage:
    """Worker-seconds used per client, decaying exponentially (half-life `half_life_s`)."""

    def __init__(self, half_life_s: float):
        self.rate = math.log(2) / half_life_s
        self._used: dict[str, tuple[float, float]] = {}  # client -> (seconds, as of)

    def of(self, client: str, now: float) -> float:
        seconds, at = self._used.get(client, (0.0, now))
        return seconds * math.exp(-self.rate * (now - at))

    def known(self, client: str) -> bool:
        """Has `client` had a query answered (recently enough to be remembered)?"""
        return client in self._used

    def add(self, client: str, seconds: float, now: float) -> None:
        self._used[client] = (self.of(client, now) + seconds, now)
        if len(self._used) > 10_000:  # forget clients whose use has decayed to nothing
            self._used = {c: v for c, v in self._used.items() if self.of(c, now) > 0.001}


@dataclass(eq=False)
class Job:
    """One query admitted to the pool."""

    client: str
    payload: bytes
    arrived: float
    deadline: float | None
    assigned: asyncio.Future | None = None
    started: float | None = None
    worker: "Worker | None" = None


@dataclass
class _ClientLoad:
    running: int = 0
    waiting: int = 0


class FairShare:
    """Which waiting query runs next, which is refused, which is stopped (no I/O: the pool acts)."""

    def __init__(self, settings: PoolSettings):
        self.s = settings
        self.usage = Usage(settings.usage_half_life_s)
        self.waiting: list[Job] = []
        self.running: set[Job] = set()
        self.load: dict[str, _ClientLoad] = {}

    def used(self, client: str, now: float) -> float:
        """Recent worker-seconds of `client`, its running queries included."""
        return self.usage.of(client, now) + sum(now - j.started for j in self.running
                                                if j.client == client and j.started is not None)

    def heavy(self, client: str, now: float) -> bool:
        return self.used(client, now) >= self.s.heavy_after_s

    def refusal(self, client: str) -> ProtocolError | None:
        """Why a new query from `client` cannot even wait (or None)."""
        load = self.load.get(client, _ClientLoad())
        if load.running >= self.s.per_client and load.waiting >= self.s.per_client_waiting:
            return ProtocolError(
                429, f"Too many queries from your address at once ({load.running} running, {load.waiting} "
                     f"waiting; the limit is {self.s.per_client} running and {self.s.per_client_waiting} "
                     "waiting). Wait for an answer before sending more.", {"Retry-After": "5"})
        if len(self.waiting) >= self.s.queue:
            return ProtocolError(503, "The SPARQL endpoint is busy: every worker is taken and the queue is "
                                      "full. Try again shortly.", {"Retry-After": "5"})
        return None

    def enqueue(self, job: Job) -> None:
        self.waiting.append(job)
        self.load.setdefault(job.client, _ClientLoad()).waiting += 1

    def withdraw(self, job: Job) -> None:
        """A waiting job leaves without running (deadline, disconnect)."""
        if job in self.waiting:
            self.waiting.remove(job)
            self._dec(job.client, waiting=1)

    def start(self, job: Job, now: float) -> None:
        self.waiting.remove(job)
        load = self.load[job.client]
        load.waiting -= 1
        load.running += 1
        job.started = now
        self.running.add(job)

    def finish(self, job: Job, now: float) -> None:
        if job in self.running:
            self.running.discard(job)
            self._dec(job.client, running=1)
            self.usage.add(job.client, now - job.started, now)

    def _dec(self, client: str, running: int = 0, waiting: int = 0) -> None:
        load = self.load[client]
        load.running -= running
        load.waiting -= waiting
        if not load.running and not load.waiting:
            del self.load[client]

    PROVEN, UNKNOWN, HEAVY = 0, 1, 2

    def standing(self, client: str, now: float) -> int:
        """PROVEN (answered before, light), UNKNOWN (never answered: maybe one of many new
        addresses sending runaway queries) or HEAVY (used `heavy_after_s` worker-seconds recently)."""
        if self.heavy(client, now):
            return self.HEAVY
        return self.PROVEN if self.usage.known(client) else self.UNKNOWN

    def _running_at_least(self, standing: int, now: float) -> int:
        """Running jobs whose client's standing is `standing` or worse."""
        worse = {c for c in {j.client for j in self.running} if self.standing(c, now) >= standing}
        return sum(1 for j in self.running if j.client in worse)

    def _eligible(self, job: Job, now: float, unproven_running: int) -> bool:
        if self.load[job.client].running >= self.s.per_client:
            return False
        return (self.standing(job.client, now) == self.PROVEN
                or unproven_running < self.s.workers - self.s.reserve)

    def next_job(self, now: float) -> Job | None:
        """The waiting job a free worker should take: proven clients first, then unknown ones, then heavy
        ones, each by least recent use, then arrival. None if every waiting job must wait: its client's
        share is taken, or only the reserve is free and it is for proven clients."""
        unproven_running = self._running_at_least(self.UNKNOWN, now)
        eligible = [j for j in self.waiting if self._eligible(j, now, unproven_running)]
        if not eligible:
            return None
        return min(eligible, key=lambda j: (self.standing(j.client, now), self.usage.of(j.client, now), j.arrived))

    def hand_out(self, now: float, free: int) -> list[Job]:
        """Up to `free` waiting jobs to start now, in fair order (`next_job`), each marked started: the pool
        gives each one a worker. A job whose client went away a moment ago is withdrawn on the way."""
        started: list[Job] = []
        while len(started) < free and self.waiting:
            job = self.next_job(now)
            if job is None:
                break
            if job.assigned.done():  # being withdrawn by its own coroutine
                self.withdraw(job)
                continue
            self.start(job, now)
            started.append(job)
        return started

    def to_preempt(self, now: float, free: int) -> Job | None:
        """The running job the pool should stop now (`victim`), when jobs wait and no worker is free."""
        if not self.waiting or free:
            return None
        victim = self.victim(now)
        return victim if victim is not None and victim.worker is not None and victim.worker.alive else None

    def victim(self, now: float) -> Job | None:
        """The running job to stop, or None: when every worker is busy, heavy clients hold more than
        `workers - reserve` of them (queries that turned long after they started), and a client that
        is not heavy waits and could take the freed worker, the heavy client's query that has run
        longest is stopped."""
        if len(self.running) < self.s.workers:
            return None
        heavy = [j for j in self.running if self.standing(j.client, now) == self.HEAVY]
        if len(heavy) <= self.s.workers - self.s.reserve:
            return None
        unproven_after = self._running_at_least(self.UNKNOWN, now) - 1
        if not any(self.load[j.client].running < self.s.per_client
                   and (self.standing(j.client, now) == self.PROVEN
                        or (self.standing(j.client, now) == self.UNKNOWN
                            and unproven_after < self.s.workers - self.s.reserve))
                   for j in self.waiting):
            return None
        return min(heavy, key=lambda j: j.started)


# ----------------------------------------------------------------------------- workers


class WorkerDied(Exception):
    pass


class Worker:
    """One worker process and its end of the socket pair."""

    def __init__(self, process: asyncio.subprocess.Process, reader: asyncio.StreamReader,
                 writer: asyncio.StreamWriter, generation: int):
        self.process = process
        self.reader = reader
        self.writer = writer
        self.generation = generation
        self.stopped: str | None = None  # why we killed it: "deadline", "preempted", "disconnected", "memory", ...
        self.job: Job | None = None

    @property
    def alive(self) -> bool:
        return self.stopped is None and self.process.returncode is None

    async def read_answer(self) -> tuple[int, str, bytes]:
        status, ctype_len, body_len = ANSWER_HEADER.unpack(await self.reader.readexactly(ANSWER_HEADER.size))
        content_type = (await self.reader.readexactly(ctype_len)).decode("utf-8") if ctype_len else ""
        body = await self.reader.readexactly(body_len) if body_len else b""
        return status, content_type, body

    async def call(self, payload: bytes) -> tuple[int, str, bytes]:
        try:
            self.writer.write(payload)
            await self.writer.drain()
            return await self.read_answer()
        except (asyncio.IncompleteReadError, ConnectionError) as exc:
            raise WorkerDied() from exc

    def kill(self, reason: str) -> None:
        if self.stopped is None:
            self.stopped = reason
        if self.process.returncode is None:
            try:
                self.process.kill()
            except ProcessLookupError:
                pass
        self.writer.close()

    def resident_mb(self) -> float | None:
        """Resident memory of the worker process (Linux /proc), or None when unknown."""
        try:
            with open(f"/proc/{self.process.pid}/statm", "rb") as fh:
                return int(fh.read().split()[1]) * PAGE_SIZE / 2**20
        except (OSError, ValueError, IndexError):
            return None

    async def exit_status(self, wait_s: float = 5.0) -> int | None:
        try:
            return await asyncio.wait_for(self.process.wait(), wait_s)
        except TimeoutError:
            return None


async def start_worker(store_path: Path | None, generation: int, timeout_s: float = 60.0) -> Worker:
    """Start one worker process and wait until it has opened the store."""
    parent, child = socket.socketpair()
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(filter(None, [PACKAGE_PARENT, os.environ.get("PYTHONPATH")]))}
    try:
        process = await asyncio.create_subprocess_exec(
            sys.executable, "-m", "claimgraph.api.query_worker", str(child.fileno()),
            str(store_path) if store_path else "", str(generation), str(os.getpid()),
            pass_fds=(child.fileno(),), stdin=asyncio.subprocess.DEVNULL, stdout=asyncio.subprocess.DEVNULL,
            env=env)
    finally:
        child.close()
    reader, writer = await asyncio.open_unix_connection(sock=parent, limit=READ_LIMIT)
    worker = Worker(process, reader, writer, generation)
    try:
        status, _ctype, body = await asyncio.wait_for(worker.read_answer(), timeout_s)
    except (TimeoutError, asyncio.IncompleteReadError, ConnectionError) as exc:
        worker.kill("start failed")
        raise RuntimeError(f"a query worker did not start (store {store_path}): {exc!r}") from None
    if status != READY:
        worker.kill("start failed")
        raise RuntimeError(body.decode("utf-8", "replace").strip())
    return worker


# ----------------------------------------------------------------------------- the pool


class QueryPool:
    """Supervised worker processes over the store at `store_path`; `generation()` is the store's
    write generation (a query carries it, and a worker reopens its snapshot when it moved)."""

    TICK_S = 0.05  # while queries wait: how often waiting, heavy and preemption are looked at again
    WATCH_S = 0.2  # how often busy workers' run time and memory are looked at
    REFRESH_AFTER_S = 0.5  # quiet time after writes before idle workers reopen their snapshot

    def __init__(self, store_path: Path | None, settings: PoolSettings, generation: Callable[[], int] = lambda: 0,
                 flush: Callable[[], None] | None = None):
        self.store_path = store_path
        self.s = settings
        self.generation = generation
        self.flush = flush
        self._flushed = generation()  # the generation whose writes are on disk, past the write-ahead log
        self._flushing: asyncio.Task | None = None
        self.share = FairShare(settings)
        self.idle: list[Worker] = []
        self.busy: set[Worker] = set()
        self.spares: list[Worker] = []
        self._starting = 0
        self._tasks: set[asyncio.Task] = set()
        self._ticker: asyncio.Task | None = None
        self._closed = False
        self.replaced = 0  # workers killed or crashed, and replaced

    # -- life cycle ---------------------------------------------------------

    async def start(self) -> None:
        """Start every worker and spare; raises RuntimeError if the first cannot open the store."""
        first = await start_worker(self.store_path, self.generation(), self.s.start_timeout_s)
        others = await asyncio.gather(*(start_worker(self.store_path, self.generation(), self.s.start_timeout_s)
                                        for _ in range(self.s.workers + self.s.spares - 1)))
        workers = [first, *others]
        self.idle = workers[:self.s.workers]
        self.spares = workers[self.s.workers:]
        self._background(self._watch())

    async def _watch(self) -> None:
        """Every WATCH_S, kill a busy worker whose query takes more than `memory_mb` of resident
        memory (400 to its client): an address-space limit would not do, since a worker reserves
        about 1 GB (its stack) it never touches.

        And once the store has not been written for `REFRESH_AFTER_S`, idle workers with an older
        snapshot reopen it, so that the first query after a burst of writes does not wait for that
        (reopening costs tens of milliseconds; during the burst each reopens only when it has a query).
        """
        loop = asyncio.get_running_loop()
        generation, changed = self.generation(), loop.time()
        while not self._closed:
            await asyncio.sleep(self.WATCH_S)
            try:
                generation, changed = await self._look(generation, changed, loop.time())
            except Exception as exc:  # noqa: BLE001 - the watch must go on
                print(f"claimgraph: the query pool's watch failed once: {exc!r}", file=sys.stderr)

    async def _look(self, generation: int, changed: float, now: float) -> tuple[int, float]:
        """One round of `_watch`: returns the generation seen and when it last changed."""
        if self.generation() != generation:
            generation, changed = self.generation(), now
        elif now - changed >= self.REFRESH_AFTER_S and any(w.generation != generation for w in self.idle):
            generation = await self.snapshot_generation()
            for worker in self.idle:
                if worker.generation != generation and worker.alive:
                    worker.writer.write(pack_request({"generation": generation}))
                    worker.generation = generation
        for worker in list(self.busy):
            job = worker.job
            if not worker.alive or job is None or job.started is None:
                continue
            if self.s.memory_mb > 0 and now - job.started >= self.WATCH_S:
                resident = worker.resident_mb()
                if resident is not None and resident > self.s.memory_mb:
                    worker.kill("memory")
        return generation, changed

    async def close(self) -> None:
        self._closed = True
        for task in list(self._tasks) + ([self._ticker] if self._ticker else []):
            task.cancel()
        everyone = [*self.idle, *self.busy, *self.spares]
        for worker in everyone:
            worker.kill("shutdown")
        await asyncio.gather(*(w.exit_status() for w in everyone), return_exceptions=True)
        self.idle, self.busy, self.spares = [], set(), []

    @property
    def size(self) -> int:
        return len(self.idle) + len(self.busy) + self._starting

    def _background(self, coro) -> None:
        task = asyncio.get_running_loop().create_task(coro)
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    def _replace(self, worker: Worker) -> None:
        """`worker` is gone: a spare takes its place at once; a new spare (or worker) starts."""
        self.busy.discard(worker)
        if worker in self.idle:
            self.idle.remove(worker)
        if self._closed:
            return
        self.replaced += 1
        self._background(worker.exit_status())  # reap it
        if self.spares:
            self.idle.append(self.spares.pop())
        self._background(self._start_one())
        self._dispatch()

    async def snapshot_generation(self) -> int:
        """The store's write generation, once its writes are flushed out of the write-ahead log.

        A read-only open replays the writer's log, and the writer's memory tables are large:
        after a few big writes, reopening took seconds (queries timed out behind it). So the
        first query or worker to need a newer snapshot has the writer flush first, in a thread;
        queries arriving meanwhile wait for the same flush."""
        generation = self.generation()
        if self.flush is None or generation == self._flushed:
            return generation
        if self._flushing is None:
            async def flush() -> None:
                try:
                    await asyncio.to_thread(self.flush)
                    self._flushed = generation
                except OSError as exc:  # the snapshot then replays the log: slower, still right
                    print(f"claimgraph: flushing the store for the query workers failed: {exc}", file=sys.stderr)
                finally:
                    self._flushing = None
            self._flushing = asyncio.get_running_loop().create_task(flush())
        await asyncio.shield(self._flushing)
        return generation

    async def _start_one(self) -> None:
        self._starting += 1
        try:
            worker = await start_worker(self.store_path, await self.snapshot_generation(), self.s.start_timeout_s)
        except RuntimeError as exc:
            print(f"claimgraph: {exc}", file=sys.stderr)
            await asyncio.sleep(1.0)  # the store is unreadable right now; try again, gently
            self._starting -= 1
            if not self._closed:
                self._background(self._start_one())
            return
        self._starting -= 1
        if self._closed:
            worker.kill("shutdown")
        elif len(self.idle) + len(self.busy) < self.s.workers:
            self.idle.append(worker)
            self._dispatch()
        else:
            self.spares.append(worker)

    # -- scheduling ---------------------------------------------------------

    def _dispatch(self) -> None:
        loop = asyncio.get_running_loop()
        now = loop.time()
        for job in self.share.hand_out(now, len(self.idle)):
            worker = self.idle.pop()
            self.busy.add(worker)
            job.worker, worker.job = worker, job
            job.assigned.set_result(worker)
        victim = self.share.to_preempt(now, len(self.idle))
        if victim is not None:
            victim.worker.kill("preempted")
        if self.share.waiting and self._ticker is None:
            self._ticker = loop.create_task(self._tick())

    async def _tick(self) -> None:
        try:
            while self.share.waiting and not self._closed:
                await asyncio.sleep(self.TICK_S)
                self._dispatch()
        finally:
            self._ticker = None

    # -- one query ----------------------------------------------------------

    async def evaluate(self, request: dict, client: str) -> Answer:
        """Evaluate one query (see query_worker.evaluate for `request`) for `client`."""
        loop = asyncio.get_running_loop()
        now = loop.time()
        refusal = self.share.refusal(client)
        if refusal is not None:
            return Answer.error(refusal)
        request = {**request, "generation": await self.snapshot_generation()}
        deadline = now + self.s.timeout_s if self.s.timeout_s else None
        job = Job(client, pack_request(request), now, deadline, loop.create_future())
        self.share.enqueue(job)
        self._dispatch()
        try:
            async with asyncio.timeout_at(deadline):
                worker = await job.assigned
        except (TimeoutError, asyncio.CancelledError) as exc:
            if job.worker is not None:  # a worker was handed over in the same instant: give it back unused
                self._finish(job, job.worker, loop.time())
            else:
                self.share.withdraw(job)
            if isinstance(exc, TimeoutError):
                return self._timed_out(job, loop.time(), waited=True)
            raise
        worker.generation = request["generation"]  # it reopens for this query if it had an older snapshot
        try:
            async with asyncio.timeout_at(deadline):
                status, content_type, body = await worker.call(job.payload)
            return Answer(status, body, content_type)
        except TimeoutError:
            worker.kill("deadline")
            return self._timed_out(job, loop.time(), waited=False)
        except WorkerDied:
            return await self._died(job, worker, loop.time())
        except asyncio.CancelledError:
            worker.kill("disconnected")
            raise
        finally:
            self._finish(job, worker, loop.time())

    def _finish(self, job: Job, worker: Worker, now: float) -> None:
        if job not in self.share.running:
            return
        self.share.finish(job, now)
        worker.job = None
        if worker.alive:
            self.busy.discard(worker)
            self.idle.append(worker)
            self._dispatch()
        else:
            self._replace(worker)

    def _timed_out(self, job: Job, now: float, waited: bool) -> Answer:
        where = ("waiting for a free worker (the endpoint is busy)" if waited
                 else "and was stopped")
        return Answer.error(ProtocolError(
            503, f"The query did not finish within the {self.s.timeout_s:g} s limit ({now - job.arrived:.1f} s "
                 f"elapsed, {where}). Narrow the query (LIMIT, more selective patterns) and try again.",
            {"Retry-After": "10"}))

    async def _died(self, job: Job, worker: Worker, now: float) -> Answer:
        if worker.stopped == "preempted":
            ran = now - (job.started or now)
            return Answer.error(ProtocolError(
                503, f"The query was stopped after {ran:.1f} s to let other clients' queries run: every worker "
                     f"was busy, and queries from your address had used {self.share.used(job.client, now):.1f} "
                     "worker-seconds recently. Try again later or narrow the query.", {"Retry-After": "10"}))
        if worker.stopped == "memory":
            return Answer.error(ProtocolError(
                400, f"The query needed more memory than a query may use here ({self.s.memory_mb} MB, "
                     "CLAIMGRAPH_QUERY_WORKER_MEMORY_MB) and was stopped. Narrow the query (LIMIT, more "
                     "selective patterns, fewer rows to sort or group)."))
        code = await worker.exit_status()
        worker.stopped = worker.stopped or "crashed"
        if code is not None and code < 0 and -code in (signal.SIGSEGV, signal.SIGBUS):
            return Answer.error(ProtocolError(
                400, "The query is too deeply nested or too long to evaluate: it overflowed the evaluator's "
                     f"stack (its worker process died with {signal.Signals(-code).name}). Flatten it: fewer "
                     "nested groups or parentheses, shorter operator chains and property paths."))
        how = (signal.Signals(-code).name if code is not None and code < 0 and -code in signal.valid_signals()
               else f"exit status {code}")
        return Answer(500, f"The worker process evaluating this query died ({how}); the query was not answered. "
                           "The endpoint goes on.\n".encode("utf-8"), TEXT)

    def stats(self) -> dict:
        return {"workers": len(self.idle) + len(self.busy), "busy": len(self.busy), "spares": len(self.spares),
                "waiting": len(self.share.waiting), "replaced": self.replaced}
