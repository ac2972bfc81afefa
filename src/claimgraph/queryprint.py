"""Print SPARQL results as a table, JSON or CSV (for `claimgraph query`)."""
from __future__ import annotations

import csv
import json
import sys

import pyoxigraph as ox


def _term(term) -> str:
    if term is None:
        return ""
    if isinstance(term, dict):  # SPARQL JSON binding
        return term.get("value", "")
    return term.value if hasattr(term, "value") else str(term)


def rows_of(result) -> tuple[list[str], list[list[str]]]:
    """Columns and rows from a pyoxigraph result or a SPARQL JSON document."""
    if isinstance(result, dict):
        if "boolean" in result:
            return ["boolean"], [[str(result["boolean"]).lower()]]
        columns = result["head"]["vars"]
        return columns, [[_term(b.get(c)) for c in columns] for b in result["results"]["bindings"]]
    if isinstance(result, ox.QueryBoolean):
        return ["boolean"], [[str(bool(result)).lower()]]
    if isinstance(result, ox.QuerySolutions):
        columns = [v.value for v in result.variables]
        return columns, [[_term(s[c]) for c in columns] for s in result]
    return ["subject", "predicate", "object"], [[_term(t.subject), _term(t.predicate), _term(t.object)] for t in result]


def print_result(result, fmt: str = "table", out=sys.stdout) -> int:
    columns, rows = rows_of(result)
    if fmt == "json":
        json.dump([dict(zip(columns, r)) for r in rows], out, ensure_ascii=False, indent=2)
        out.write("\n")
    elif fmt == "csv":
        writer = csv.writer(out)
        writer.writerow(columns)
        writer.writerows(rows)
    else:
        widths = [min(60, max([len(c)] + [len(r[i]) for r in rows])) for i, c in enumerate(columns)]
        cut = lambda s, w: s if len(s) <= w else s[: w - 1] + "…"
        out.write(" | ".join(c.ljust(w) for c, w in zip(columns, widths)) + "\n")
        out.write("-+-".join("-" * w for w in widths) + "\n")
        for r in rows:
            out.write(" | ".join(cut(v, w).ljust(w) for v, w in zip(r, widths)) + "\n")
        out.write(f"({len(rows)} rows)\n")
    return 0
