"""Fetch, for files: raw bytes of a saved page plus where and when they came from.

Files are read from disk; a folder is expanded to the text and HTML pages
in it. A `manifest.yaml` beside the files describes them (id, publisher,
language, kind); a file without an entry is still read.

A file's key is its path relative to its source root, after the root's own
name (`document_key`): the folder given, or a file's own folder. So
`a/report.txt` and `b/report.txt` are two documents (`a/report.txt`,
`b/report.txt`), whichever way they are named on the command line, and no
absolute path of this machine reaches the graph: the key is what a graph
names a file by (`SourceDocument.location`), and without a manifest id it
also names the document's graph and IRIs (`file_source_id`: `a~report.txt`).
Bad input raises `SourceError` naming the file and the reason, so one bad
file never stops the others.
"""
from __future__ import annotations

import codecs
import hashlib
import re
import time
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path

import yaml

from ..model import SourceDocument, SourceError

MANIFEST_NAMES = ("manifest.yaml", "manifest.yml")
PAGE_SUFFIXES = {".txt": "text/plain", ".text": "text/plain", ".html": "text/html", ".htm": "text/html"}
# Bytes that never occur in text: NUL and most C0 controls (tab, LF, CR, FF are fine).
_CONTROL_BYTES = bytes(b for b in range(32) if b not in (9, 10, 12, 13))


@dataclass(frozen=True)
class ManifestEntry:
    """What the page itself says or shows about a source, written down by a person."""

    id: str
    file: str
    language: str | None = None
    publisher: str | None = None
    publisher_kind: str | None = None  # an OrgKind value: think_tank, news_outlet, ...
    article_kind: str | None = None  # analysis | opinion | news
    section: str | None = None
    url: str | None = None
    encoding: str | None = None  # unset: UTF-8 for text pages, the page's own declaration for HTML
    extra: dict = field(default_factory=dict, hash=False, compare=False)


class ManifestError(Exception):
    """A manifest that cannot be read; `reason` says why without the manifest's full path."""

    def __init__(self, path: Path, reason: str):
        super().__init__(f"{path}: {reason}")
        self.path = path
        self.reason = reason


def document_key(path: Path, root: Path) -> str:
    """`root`'s name, then `path` relative to `root` ("a/report.txt"), in POSIX form."""
    path, root = path.resolve(), root.resolve()
    try:
        relative = path.relative_to(root).as_posix()
    except ValueError:
        relative = path.name
    return f"{root.name or 'files'}/{relative}"


def file_source_id(key: str) -> str:
    """The id that names a file's graph and IRIs when no manifest gives one: the key's parts joined
    by `~` (one IRI path segment: "a~report.txt"; a `~` in a name is written %7E)."""
    return "~".join(part.replace("~", "%7E") for part in key.split("/"))


def page_files(paths: list[Path]) -> list[tuple[Path, Path]]:
    """(page, its source root) for files and folders given: a folder is its pages' root, a file's
    root is its own folder."""
    found: list[tuple[Path, Path]] = []
    for path in paths:
        if path.is_dir():
            found.extend((page, path) for page in discover_pages([path]))
        else:
            found.append((path, path.parent))
    return found


def load_manifest(folder: Path) -> dict[str, ManifestEntry]:
    """Entries of the folder's manifest keyed by file name ({} when there is none)."""
    for name in MANIFEST_NAMES:
        path = folder / name
        if path.is_file():
            break
    else:
        return {}
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    except (yaml.YAMLError, UnicodeDecodeError) as exc:
        raise ManifestError(path, f"not valid YAML: {exc}") from exc
    entries: dict[str, ManifestEntry] = {}
    known = set(ManifestEntry.__dataclass_fields__) - {"extra"}
    for i, raw in enumerate(data.get("sources", []), start=1):
        if not isinstance(raw, dict) or "file" not in raw:
            raise ManifestError(path, f"source #{i} needs at least a 'file'")
        raw = dict(raw)
        raw.setdefault("id", Path(raw["file"]).stem)
        extra = {k: raw.pop(k) for k in list(raw) if k not in known}
        entries[raw["file"]] = ManifestEntry(**{k: (str(v) if v is not None else None) for k, v in raw.items()}, extra=extra)
    return entries


def discover_pages(paths: list[Path]) -> list[Path]:
    """Expand folders to the pages in them (sorted); files are taken as given."""
    found: list[Path] = []
    for path in paths:
        if path.is_dir():
            found.extend(
                p for p in sorted(path.iterdir())
                if p.is_file() and not p.name.startswith(".") and p.name not in MANIFEST_NAMES
                and p.suffix.lower() in PAGE_SUFFIXES
            )
        else:
            found.append(path)
    return found


def manifest_entry_for(path: Path) -> ManifestEntry | None:
    return load_manifest(path.parent).get(path.name)


def fetch_file(path: Path, *, max_bytes: int = 5_000_000, root: Path | None = None):
    """The fetch stage for one file under its source `root` (default: its folder): a
    `pipeline.FetchedDocument` (with the reason when it cannot be read, e.g. a broken manifest
    or a binary file)."""
    from ..pipeline import FetchedDocument

    started = time.perf_counter()
    key = document_key(path, root or path.parent)
    try:
        entry = manifest_entry_for(path)
    except ManifestError as exc:
        manifest = key.rsplit("/", 1)[0] + "/" + exc.path.name
        return FetchedDocument.failed(str(path), file_source_id(key), SourceError(str(path), f"{manifest}: {exc.reason}"),
                                      time.perf_counter() - started)
    source_id = entry.id if entry else file_source_id(key)
    try:
        source = read_source_file(path, entry, max_bytes=max_bytes, key=key)
    except SourceError as exc:
        return FetchedDocument.failed(str(path), source_id, exc, time.perf_counter() - started)
    return FetchedDocument(str(path), source_id, source, entry, seconds=time.perf_counter() - started)


def fetch_files(paths: list[Path], settings=None):
    """Fetched documents for files and folders of saved pages, one at a time (folders expanded)."""
    from ..config import get_settings

    max_bytes = (settings or get_settings()).max_document_bytes
    for path, root in page_files([Path(p) for p in paths]):
        yield fetch_file(path, max_bytes=max_bytes, root=root)


def read_source_file(path: Path, entry: ManifestEntry | None = None, *, max_bytes: int = 5_000_000,
                     key: str | None = None) -> SourceDocument:
    """Read one page from disk, refusing what is not a readable text page. Its location is its
    `key` (default: its folder's name and its own), never its absolute path."""
    location = key or document_key(path, path.parent)
    try:
        size = path.stat().st_size
    except OSError as exc:
        raise SourceError(str(path), f"cannot read: {exc.strerror or exc}") from exc
    if size == 0:
        raise SourceError(str(path), "empty file")
    if size > max_bytes:
        raise SourceError(
            str(path),
            f"{size:,} bytes is over the {max_bytes:,}-byte limit for one document "
            "(CLAIMGRAPH_MAX_DOCUMENT_BYTES)",
        )
    raw = path.read_bytes()
    return decode_source(raw, location=location, label=str(path), entry=entry,
                         source_id=entry.id if entry else file_source_id(location),
                         media_type=PAGE_SUFFIXES.get(path.suffix.lower(), "text/plain"))


_META_CHARSET_RE = re.compile(rb"""<meta[^>]+charset\s*=\s*["']?\s*([A-Za-z0-9._:-]+)""", re.IGNORECASE)
_BOMS = ((codecs.BOM_UTF8, "utf-8"), (codecs.BOM_UTF16_LE, "utf-16-le"), (codecs.BOM_UTF16_BE, "utf-16-be"))
# WHATWG Encoding: these labels mean windows-1252 in a browser.
_WINDOWS_1252_LABELS = {"iso-8859-1", "iso8859-1", "latin1", "latin-1", "l1", "us-ascii", "ascii", "cp1252",
                        "windows-1252", "x-cp1252", "cp819", "ibm819", "iso-ir-100", "csisolatin1"}


def decode_html(raw: bytes, declared: str | None = None) -> tuple[str, str]:
    """(text, encoding) of an HTML page, decided the way a browser does (WHATWG): a byte-order
    mark, else the charset the server declared, else the page's own <meta charset>, else UTF-8
    when the bytes are valid UTF-8, else windows-1252 (the web's fallback for unlabelled pages).
    A declaration the bytes contradict yields to valid UTF-8, else replacement characters."""
    for bom, name in _BOMS:
        if raw.startswith(bom):
            return raw[len(bom):].decode(name, errors="replace"), name
    label = (declared or "").strip().lower()
    if not label:
        m = _META_CHARSET_RE.search(raw[:4096])
        label = m.group(1).decode("ascii").lower() if m else ""
    if label in _WINDOWS_1252_LABELS:
        label = "cp1252"
    if label:
        try:
            return raw.decode(label), label
        except UnicodeDecodeError:
            pass
        except LookupError:
            label = ""
    try:
        return raw.decode("utf-8"), "utf-8"
    except UnicodeDecodeError:
        if label:
            return raw.decode(label, errors="replace"), label
    try:
        return raw.decode("cp1252"), "cp1252"
    except UnicodeDecodeError:  # the five bytes windows-1252 leaves undefined: Latin-1 maps every byte
        return raw.decode("latin-1"), "latin-1"


def decode_source(
    raw: bytes, *, location: str, label: str, source_id: str, media_type: str,
    entry: ManifestEntry | None = None, declared_charset: str | None = None,
) -> SourceDocument:
    """Bytes -> SourceDocument; shared by files and HTTP fetches. A text page must be UTF-8
    unless its manifest entry names its encoding; an HTML page's encoding is decided as a
    browser decides it (`decode_html`)."""
    if not raw.strip():
        raise SourceError(label, "empty file" if not raw else "no text (only white space)")
    head = raw[:8192]
    if b"\x00" in head or sum(head.count(bytes([b])) for b in _CONTROL_BYTES) > len(head) // 100 + 2:
        raise SourceError(label, "binary content, not a text page")
    encoding = (entry.encoding if entry else None) or "utf-8"
    try:
        if media_type == "text/html" and not (entry and entry.encoding):
            text, encoding = decode_html(raw, declared_charset)
        else:
            text = raw.decode(encoding)
    except UnicodeDecodeError as exc:
        raise SourceError(
            label,
            f"not valid {encoding} (byte 0x{raw[exc.start]:02x} at offset {exc.start}); "
            "if the file uses another encoding, say so with 'encoding:' in its manifest entry",
        ) from exc
    except LookupError as exc:
        raise SourceError(label, f"unknown encoding {encoding!r} in the manifest") from exc
    text = text.lstrip("\ufeff").replace("\r\n", "\n").replace("\r", "\n")
    return SourceDocument(
        source_id=source_id,
        location=location,
        text=text,
        content_hash=hashlib.sha256(raw).hexdigest(),
        media_type=media_type,
        fetched_at=datetime.now(timezone.utc),
        size_bytes=len(raw),
        language=entry.language if entry else None,
        publisher=entry.publisher if entry else None,
        url=entry.url if entry else None,
    )
