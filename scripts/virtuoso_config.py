"""A throw-away Virtuoso database's configuration, shared by the tests (tests/servers.py)
and the sizing benchmark (benchmarks/backends_bench.py), so the two cannot drift apart:
the ini template (scripts/virtuoso.ini.in) and the setup SQL the API needs
(scripts/virtuoso-init.sql) as `isql-vt exec=` takes it.
"""
from __future__ import annotations

from pathlib import Path

HERE = Path(__file__).resolve().parent
INI_TEMPLATE = HERE / "virtuoso.ini.in"
INIT_SQL = HERE / "virtuoso-init.sql"

# Small buffers and bounded queries: what a test database needs.
TEST_SIZING = dict(checkpoint_remap=2000, threads=10, buffers=10000, dirty=6000, query_mem="256M",
                   http_threads=4, keep_alives=10, max_rows=100000, max_seconds=120, max_cost_seconds=400)


def virtuoso_ini(folder: Path, sql_port: int, http_port: int, **sizing) -> str:
    """The ini for a database in `folder` listening on 127.0.0.1 only; `sizing` overrides TEST_SIZING."""
    values = {**TEST_SIZING, "dirs_allowed": folder, **sizing}
    return INI_TEMPLATE.read_text(encoding="utf-8").format(d=folder, sql_port=sql_port, http_port=http_port, **values)


def sql_statements(path: Path = INIT_SQL) -> str:
    """A SQL script without its comment lines (`isql-vt exec=` does not take them)."""
    return "\n".join(line for line in path.read_text(encoding="utf-8").splitlines()
                     if line.strip() and not line.lstrip().startswith("--"))
