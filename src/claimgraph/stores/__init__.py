"""Stores: where the graphs live, behind one interface.

    base.py       GraphStore (the interface), ServedStore (what the API serves), StoreError
    embedded.py   OxigraphStore: pyoxigraph on disk or in memory (the default)
    remote.py     RemoteGraphStore: a running ClaimGraph API or any SPARQL 1.1 server
    presence.py   who holds a store folder (a running server, a writing ingest)

`open_store(settings)` is what the CLI and the flows use to get a store to
write to: the remote store the settings name (a SPARQL 1.1 server as the
store, `CLAIMGRAPH_SPARQL_URL`, or a ClaimGraph API, `CLAIMGRAPH_STORE_URL`);
else, when `claimgraph serve` holds the store folder, that server (through its
Graph Store endpoint, with the operator's write token); else the embedded
store, opened read-write after waiting for any other ingest into the same folder.
`served_store(settings)` is the store the API serves: the SPARQL server, or the
embedded folder.
"""
from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

from ..config import Settings, get_settings
from .base import GraphStore, ServedStore, StoreError
from .embedded import OxigraphStore, StoreChange
from .presence import WriterLock, running_server
from .remote import RemoteGraphStore, remote_from_settings, write_token

__all__ = ["GraphStore", "OxigraphStore", "RemoteGraphStore", "ServedStore", "StoreChange", "StoreError",
           "StoreBusy", "open_store", "open_writer", "remote_from_settings", "served_store", "writer_slot"]


class StoreBusy(StoreError):
    """The store cannot be written now; the message says in one line what to do."""


def open_writer(store_path: Path | str, settings: Settings | None = None, *, wait: bool = True,
                say: Callable[[str], None] | None = None) -> GraphStore:
    """A store to write `store_path` through: the server that holds it, else the folder itself.

    Raises StoreBusy (one line, no traceback needed) when neither can be written now.
    """
    settings = settings or get_settings()
    store_path = Path(store_path)
    url = running_server(store_path)
    if url is not None:
        token = write_token(settings)
        if token is None:
            from ..config import load_write_token

            why = load_write_token(settings)[1] if settings.write_token_file else None
            raise StoreBusy(
                f"the server at {url} holds the store {store_path}: set CLAIMGRAPH_WRITE_TOKEN (or "
                "CLAIMGRAPH_WRITE_TOKEN_FILE) to the server's write token to load through it, or stop the server"
                + (f" ({why})" if why else ""))
        if say:
            say(f"the server at {url} holds {store_path}: loading through its Graph Store endpoint")
        from .remote import token_from_settings

        # the process's own settings: the store reads the token at each request and holds none itself
        return RemoteGraphStore(url + "/sparql", url + "/store", token_from_settings if settings is get_settings()
                                else token)
    lock = WriterLock(store_path)
    lock.acquire(wait=wait, on_wait=say)
    try:
        store = OxigraphStore(store_path)
    except StoreError as exc:
        lock.release()
        if exc.held:
            raise StoreBusy(
                f"the store {store_path} is open in another process (a server that did not announce itself, or "
                "a reader); stop it, or start `claimgraph serve` on it and run this again") from None
        raise
    store.on_close(lock.release)
    return store


def open_store(settings: Settings | None = None, store_path: Path | str | None = None, **options) -> GraphStore:
    """Where a run writes: the remote store the settings name (CLAIMGRAPH_STORE_URL, or
    CLAIMGRAPH_SPARQL_URL + CLAIMGRAPH_GSP_URL), else `open_writer(store_path or settings.store)`."""
    settings = settings or get_settings()
    remote = remote_from_settings(settings)
    if remote is not None:
        return remote
    return open_writer(store_path or settings.store, settings, **options)


def served_store(settings: Settings) -> ServedStore:
    """The store the API serves: the SPARQL 1.1 server `CLAIMGRAPH_SPARQL_URL` names (checked
    first: StoreError when its default graph would not be the union of the named graphs), else
    the embedded store at `settings.store`, opened read-write (this process becomes its writer)."""
    if settings.store_backend == "sparql":
        remote = remote_from_settings(settings)
        try:
            remote.check_dataset()
        except BaseException:
            remote.close()
            raise
        return remote
    return OxigraphStore(settings.store)


@contextmanager
def writer_slot(settings: Settings | None = None, *, say: Callable[[str], None] | None = None) -> Iterator[None]:
    """Make sure a run started inside this block can write (for shells that start a flow, which
    opens the store itself): StoreBusy now, in one line, rather than a failed flow run later.
    Holds the ingest lock for the block when the store is the embedded folder."""
    settings = settings or get_settings()
    remote = remote_from_settings(settings)  # raises StoreError when its credentials are incomplete
    if remote is not None:
        remote.close()
        yield
        return
    store = open_writer(settings.store, settings, say=say)  # checks, waits its turn, takes the lock
    lock = WriterLock(settings.store)
    lock.acquire()  # a second hold, kept for the block (the store's own is released by close)
    try:
        store.close()
        yield
    finally:
        lock.release()
