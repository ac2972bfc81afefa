"""The reference tables bundled in `src/claimgraph/data/`, read as rows.

Every table is a CSV file with a header row; `data/SOURCES.md` names where each
table comes from, its licence, and which columns hold identifiers (Wikidata
items only where the source itself gives them). Lines starting with "#" are
comments.
"""
from __future__ import annotations

import csv
from functools import lru_cache
from importlib import resources


@lru_cache(maxsize=None)
def read_table(name: str) -> tuple[dict[str, str], ...]:
    """The rows of `data/<name>` as dicts (column -> text, '' for empty cells)."""
    with resources.files("claimgraph").joinpath("data", name).open(encoding="utf-8", newline="") as f:
        rows = csv.DictReader(line for line in f if not line.startswith("#"))
        return tuple({k: (v or "").strip() for k, v in row.items() if k} for row in rows)
