"""Sources: where documents come from, up to the fetch stage.

    files.py        saved pages on disk: folders, manifest.yaml, decoding and checks
    http.py         the polite HTTP fetcher (robots.txt via protego, per-host limits, retries)
    feeds.py        RSS/Atom (feedparser) and sitemaps (ultimate-sitemap-parser) -> page URLs
    kinds.py        SOURCE_KINDS: folder, glob, page, feed, sitemap; one function each
    registry.py     sources.yaml: the sources a user follows, and their schedules
    state.py        ETag / Last-Modified per URL, for conditional requests
    incremental.py  one run of a registered source: new, changed, unchanged, failed

Everything after the fetch is `claimgraph.pipeline`.
"""
from .files import (  # noqa: F401 - the file fetch API, as `claimgraph.sources` offered before
    MANIFEST_NAMES,
    PAGE_SUFFIXES,
    ManifestEntry,
    ManifestError,
    decode_source,
    discover_pages,
    fetch_file,
    fetch_files,
    load_manifest,
    manifest_entry_for,
    read_source_file,
)
