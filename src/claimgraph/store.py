"""Moved to `claimgraph.stores` (kept so that code written against the old path still imports)."""
from .stores import GraphStore, OxigraphStore, StoreError  # noqa: F401
