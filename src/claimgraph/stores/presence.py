"""Who holds a store folder: a running server, or an ingest that is writing.

One process may open an embedded store for writing (RocksDB's lock). So that
`claimgraph ingest` and `claimgraph sources run` work while `claimgraph
serve` is running, the server announces itself in a small file beside the
store (`<store>.server.json`: its address and process id) and writers go
through its Graph Store endpoint instead. Two ingests into one store take
turns: each holds `<store>.ingest.lock` (an advisory `flock`, released by
the kernel when the process ends, even by SIGKILL) while it writes.
"""
from __future__ import annotations

import fcntl
import json
import os
import tempfile
import threading
from collections.abc import Callable
from pathlib import Path

import httpx


def announcement_path(store_path: Path | str) -> Path:
    store_path = Path(store_path).resolve()
    return store_path.parent / f"{store_path.name}.server.json"


def announce(store_path: Path | str, url: str) -> Path:
    """Write `<store>.server.json` naming the server at `url` (this process) as the store's owner."""
    path = announcement_path(store_path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    with os.fdopen(fd, "w", encoding="utf-8") as f:
        json.dump({"url": url, "pid": os.getpid()}, f)
    os.replace(tmp, path)
    return path


def withdraw(store_path: Path | str) -> None:
    """Remove this process's announcement (another server's is left alone)."""
    path = announcement_path(store_path)
    try:
        if json.loads(path.read_text(encoding="utf-8")).get("pid") == os.getpid():
            path.unlink()
    except (OSError, ValueError):
        pass


def running_server(store_path: Path | str, *, timeout: float = 3.0) -> str | None:
    """The address of the server that announced itself for this store and answers now, else None.
    A stale announcement (the server was killed) answers nothing and is ignored."""
    path = announcement_path(store_path)
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
        url = str(data["url"]).rstrip("/")
    except (OSError, ValueError, KeyError, TypeError):
        return None
    try:
        if httpx.get(url + "/healthz", timeout=timeout).status_code == 200:
            return url
    except httpx.HTTPError:
        pass
    return None


_held: dict[Path, list] = {}  # lock path -> [open file, holds]: one process may nest its own holds
_held_lock = threading.Lock()


class WriterLock:
    """`<store>.ingest.lock`: one writing ingest per store folder; the next one waits its turn.

    Re-entrant within a process (the CLI holds it around a flow run that takes it again)."""

    def __init__(self, store_path: Path | str):
        store_path = Path(store_path).resolve()
        self.path = store_path.parent / f"{store_path.name}.ingest.lock"
        self._holding = False

    def acquire(self, *, wait: bool = True, on_wait: Callable[[str], None] | None = None) -> bool:
        """Take the lock; when another process holds it, say so through `on_wait` and wait
        (or return False at once when `wait` is False)."""
        with _held_lock:
            held = _held.get(self.path)
            if held is not None:
                held[1] += 1
                self._holding = True
                return True
        self.path.parent.mkdir(parents=True, exist_ok=True)
        fh = open(self.path, "a+", encoding="utf-8")
        try:
            fcntl.flock(fh, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            fh.seek(0)
            holder = fh.read().strip() or "another process"
            if not wait:
                fh.close()
                return False
            if on_wait:
                on_wait(f"another ingest ({holder}) is writing to this store; waiting for it to finish")
            fcntl.flock(fh, fcntl.LOCK_EX)
        fh.seek(0)
        fh.truncate()
        fh.write(f"pid {os.getpid()}")
        fh.flush()
        with _held_lock:
            _held[self.path] = [fh, 1]
        self._holding = True
        return True

    def release(self) -> None:
        if not self._holding:
            return
        self._holding = False
        with _held_lock:
            held = _held.get(self.path)
            if held is None:
                return
            held[1] -= 1
            if held[1] > 0:
                return
            del _held[self.path]
        fcntl.flock(held[0], fcntl.LOCK_UN)
        held[0].close()
