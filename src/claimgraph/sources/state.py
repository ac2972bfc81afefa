"""Incremental state: ETag / Last-Modified (and content hash) per URL, in a small JSON file.

The store is the source of truth for what is loaded (its source nodes carry
`cg:contentHash`); this file only lets a run send conditional requests. Its
entries are used only when the store still holds the version they describe,
so deleting the store never makes a 304 hide a document. For a feed or
sitemap the file also keeps the URLs it listed, for its 304s.
"""
from __future__ import annotations

import contextlib
import fcntl
import json
import os
import tempfile
from datetime import datetime, timezone
from pathlib import Path

from .http import Validators


class FetchState:
    """ETag / Last-Modified (and content hash) per URL, in a small JSON file next to the store.

    Several runs may share the file: `save` merges this run's entries into what
    is on disk under an exclusive lock, so concurrent sources do not lose each
    other's updates.
    """

    def __init__(self, path: Path | str | None):
        self.path = Path(path) if path else None
        self._entries: dict[str, dict] = {}
        self._dirty: dict[str, dict | None] = {}
        if self.path and self.path.is_file():
            try:
                self._entries = json.loads(self.path.read_text(encoding="utf-8")).get("urls", {})
            except (OSError, ValueError):
                self._entries = {}  # a damaged state file only costs unconditional requests

    def validators_for(self, key: str, held_hash: str | None) -> Validators | None:
        """Validators for a URL, only when the store holds the version they describe."""
        e = self._entries.get(key)
        if not e or not held_hash or e.get("hash") != held_hash:
            return None
        v = Validators(e.get("etag"), e.get("last_modified"))
        return v or None

    def remember(self, key: str, validators: Validators | None, content_hash: str | None) -> None:
        entry = {"etag": validators.etag if validators else None,
                 "last_modified": validators.last_modified if validators else None,
                 "hash": content_hash, "seen": datetime.now(timezone.utc).isoformat(timespec="seconds")}
        if not (entry["etag"] or entry["last_modified"]):
            self.forget(key)
            return
        self._entries[key] = self._dirty[key] = entry

    def forget(self, key: str) -> None:
        if key in self._entries:
            del self._entries[key]
            self._dirty[key] = None

    def listing(self, url: str) -> tuple[Validators, dict] | None:
        """Validators and the URLs a feed or sitemap listed when they were given."""
        e = self._entries.get("listing:" + url)
        if not e or "listing" not in e:
            return None
        return Validators(e.get("etag"), e.get("last_modified")), e["listing"]

    def remember_listing(self, url: str, validators: Validators, listing: dict) -> None:
        key = "listing:" + url
        if not validators:
            self.forget(key)
            return
        self._entries[key] = self._dirty[key] = {
            "etag": validators.etag, "last_modified": validators.last_modified, "listing": listing}

    def save(self) -> None:
        if not self.path or not self._dirty:
            return
        self.path.parent.mkdir(parents=True, exist_ok=True)
        with open(self.path.with_suffix(self.path.suffix + ".lock"), "w") as lock:
            fcntl.flock(lock, fcntl.LOCK_EX)
            current: dict = {}
            with contextlib.suppress(OSError, ValueError):
                current = json.loads(self.path.read_text(encoding="utf-8")).get("urls", {})
            for key, entry in self._dirty.items():
                if entry is None:
                    current.pop(key, None)
                else:
                    current[key] = entry
            fd, tmp = tempfile.mkstemp(dir=self.path.parent, prefix=f".{self.path.name}.", suffix=".tmp")
            with os.fdopen(fd, "w", encoding="utf-8") as f:
                json.dump({"version": 1, "urls": current}, f, indent=1, sort_keys=True)
            os.replace(tmp, self.path)
        self._dirty.clear()


def fetch_state_path(store_path: Path | str | None) -> Path | None:
    """`CLAIMGRAPH_FETCH_STATE`, else `<store>.fetch-state.json` beside the store folder."""
    from ..config import get_settings

    return get_settings().fetch_state_path(store_path)
