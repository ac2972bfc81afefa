"""SPARQL 1.1 Update on `/sparql` (the route lives in sparql.py; this is the logic).

- `scan_update`      a light lexer over the update text: its operations, their dataset
                     clauses (USING / USING NAMED / WITH), WHERE positions, LOAD sources
- `apply_dataset`    the protocol's `using-graph-uri` / `using-named-graph-uri` as USING
                     clauses on every operation that has a WHERE (pyoxigraph has no
                     update-dataset option); 400 when the update names its own dataset
- `check_loads`      `LOAD <url>` only from the load allow-list (like SERVICE, which is
                     checked with sparql.check_services: pyoxigraph fetches both itself)
- `execute_update`   one pyoxigraph update = one transaction, under the store's write lock
                     (a remote store: one request to its update endpoint)
- `answer_update`    auth, then all of the above, as an `Answer` (204 on success)

Dataset of an update: without `using-*` parameters (and without USING/WITH),
WHERE patterns match the store's own default graph, where `INSERT DATA`
without GRAPH writes too; queries see that graph as part of their union
default graph. Relative IRIs resolve against `settings.base_iri`.

There is no time limit on an update: writes are authenticated and serialised,
and a write cannot be abandoned halfway (Oxigraph applies it whole or not at all).
"""
from __future__ import annotations

import threading
import time
import urllib.parse
from dataclasses import dataclass, replace
from typing import Sequence

from ..config import Settings
from ..stores import OxigraphStore, ServedStore, StoreError
from .allowlist import allowlist
from .answers import TEXT, Answer, ProtocolError
from .auth import check_write_access
from .lexer import LOCAL_ESCAPE, TOKEN
from .query_limits import QueryLimits, check_query_limits
from .sparql import UpdateRequest, check_services, scan_query

UPDATE_KEYWORDS = {"INSERT", "DELETE", "LOAD", "CLEAR", "DROP", "CREATE", "ADD", "MOVE", "COPY", "WITH"}


def write_lock(store: OxigraphStore) -> threading.Lock:
    """The lock that serialises the store's writes."""
    return store.write_lock


# ----------------------------------------------------------------------------- scanning


@dataclass(frozen=True)
class Token:
    kind: str
    value: str
    start: int
    end: int


def tokens(text: str) -> list[Token]:
    out = []
    for m in TOKEN.finditer(text):
        kind = m.lastgroup
        if kind in ("ws", "comment"):
            continue
        value, end = m.group(), m.end()
        if kind == "pname" and value.endswith(".") and not value.endswith("\\."):
            value = value.rstrip(".")
            end = m.start() + len(value)
        out.append(Token(kind, value, m.start(), end))
    return out


@dataclass
class Operation:
    keyword: str  # first keyword: INSERT, DELETE, LOAD, WITH, ...
    start: int  # text offset of the first token
    has_dataset_clause: bool = False  # USING / USING NAMED / WITH
    where: int | None = None  # offset of the top-level WHERE keyword of a Modify / DELETE WHERE
    delete_where: tuple[int, int, int] | None = None  # DELETE WHERE: (DELETE start, pattern start, pattern end)
    load_source: str | None = None  # the IRI a LOAD reads (resolved), or "" when unresolvable


@dataclass(frozen=True)
class UpdateScan:
    operations: tuple[Operation, ...]

    @property
    def has_dataset_clause(self) -> bool:
        return any(op.has_dataset_clause for op in self.operations)


def scan_update(text: str, base_iri: str | None = None) -> UpdateScan:
    """Find the operations of an update and what the protocol needs to know about them.

    Follows PREFIX and BASE like `sparql.scan_query`; counts braces so that a
    WHERE inside a subquery is not taken for the operation's own. Does not
    validate the update (pyoxigraph does).
    """
    toks = tokens(text)
    prefixes: dict[str, str] = {}
    base = base_iri
    ops: list[Operation] = []
    op: Operation | None = None
    depth = 0

    def resolve(tok: Token) -> str | None:
        if tok.kind == "iri":
            iri = tok.value[1:-1]
            return urllib.parse.urljoin(base, iri) if base else iri
        if tok.kind == "pname":
            pfx, _, local = tok.value.partition(":")
            if pfx in prefixes:
                return prefixes[pfx] + LOCAL_ESCAPE.sub(r"\1", local)
        return None

    i = 0
    while i < len(toks):
        tok = toks[i]
        upper = tok.value.upper() if tok.kind == "word" else ""
        nxt = toks[i + 1] if i + 1 < len(toks) else None
        if tok.kind == "other" and tok.value == "{":
            depth += 1
        elif tok.kind == "other" and tok.value == "}":
            depth -= 1
        elif depth == 0 and tok.kind == "other" and tok.value == ";":
            op = None
        elif depth == 0 and upper == "PREFIX" and nxt is not None and nxt.kind == "pname" \
                and i + 2 < len(toks) and toks[i + 2].kind == "iri":
            prefixes[nxt.value.split(":", 1)[0]] = resolve(toks[i + 2]) or ""
            i += 3
            continue
        elif depth == 0 and upper == "BASE" and nxt is not None and nxt.kind == "iri":
            base = resolve(nxt)
            i += 2
            continue
        elif depth == 0 and op is None and upper in UPDATE_KEYWORDS:
            op = Operation(upper, tok.start)
            ops.append(op)
            if upper == "WITH":
                op.has_dataset_clause = True
            elif upper == "DELETE" and nxt is not None and nxt.kind == "word" and nxt.value.upper() == "WHERE":
                # DELETE WHERE { pattern }: remember where the pattern is, to rewrite it if need be
                j, d = i + 2, 0
                open_at = toks[j].start if j < len(toks) else len(text)
                while j < len(toks):
                    if toks[j].value == "{" and toks[j].kind == "other":
                        d += 1
                    elif toks[j].value == "}" and toks[j].kind == "other":
                        d -= 1
                        if d == 0:
                            break
                    j += 1
                close_at = toks[j].end if j < len(toks) else len(text)
                op.where = nxt.start
                op.delete_where = (tok.start, open_at, close_at)
                i = j + 1
                continue
            elif upper == "LOAD":
                j = i + 1
                if j < len(toks) and toks[j].kind == "word" and toks[j].value.upper() == "SILENT":
                    j += 1
                op.load_source = (resolve(toks[j]) if j < len(toks) else None) or ""
        elif depth == 0 and op is not None:
            if upper == "USING":
                op.has_dataset_clause = True
            elif upper == "WITH":
                op.has_dataset_clause = True
            elif upper == "WHERE" and op.where is None and op.keyword in ("INSERT", "DELETE", "WITH"):
                op.where = tok.start
        i += 1
    return UpdateScan(tuple(ops))


def graphs_an_update_may_change(text: str, base_iri: str | None = None) -> tuple[str, ...] | None:
    """The named graphs an update may write, over-approximated from its text for listeners that
    follow graph content (the search index): every constant IRI it names (most are not graphs;
    the listener keeps those that are), or None, any graph, when it has `GRAPH ?var`, ALL or NAMED,
    or LOAD (a loaded document may carry graphs of its own)."""
    toks = tokens(text)
    prefixes: dict[str, str] = {}
    base = base_iri

    def resolve(tok: Token) -> str | None:
        if tok.kind == "iri":
            iri = tok.value[1:-1]
            return urllib.parse.urljoin(base, iri) if base and ":" not in iri.split("/", 1)[0] else iri
        pfx, _, local = tok.value.partition(":")
        return prefixes[pfx] + LOCAL_ESCAPE.sub(r"\1", local) if pfx in prefixes else None

    named: list[str] = []
    for i, tok in enumerate(toks):
        upper = tok.value.upper() if tok.kind == "word" else ""
        nxt = toks[i + 1] if i + 1 < len(toks) else None
        if upper in ("ALL", "NAMED", "LOAD") or (upper == "GRAPH" and nxt is not None and nxt.kind == "var"):
            return None
        if upper == "PREFIX" and nxt is not None and nxt.kind == "pname" and i + 2 < len(toks) \
                and toks[i + 2].kind == "iri":
            prefixes[nxt.value.split(":", 1)[0]] = resolve(toks[i + 2]) or ""
        elif upper == "BASE" and nxt is not None and nxt.kind == "iri":
            base = resolve(nxt)
        elif tok.kind in ("iri", "pname") and (iri := resolve(tok)) is not None:
            named.append(iri)
    return tuple(dict.fromkeys(named))


# ----------------------------------------------------------------------------- dataset and gates


def _iri(iri: str) -> str:
    return "<" + iri + ">"


def apply_dataset(text: str, scan: UpdateScan, request: UpdateRequest) -> str:
    """The update with the protocol's dataset written in as USING / USING NAMED clauses.

    SPARQL 1.1 Protocol 2.2.3: giving `using-graph-uri`/`using-named-graph-uri`
    for an update that has USING, USING NAMED or WITH itself is an error.
    """
    if not request.has_protocol_dataset:
        return text
    if scan.has_dataset_clause:
        raise ProtocolError(400, "The update names its own dataset (USING, USING NAMED or WITH), so the request "
                                 "may not also carry 'using-graph-uri' / 'using-named-graph-uri'.")
    clause = " ".join([f"USING {_iri(g)}" for g in request.using_graph_uris]
                      + [f"USING NAMED {_iri(g)}" for g in request.using_named_graph_uris])
    out, pos = [], 0
    for op in scan.operations:
        if op.delete_where:  # DELETE WHERE {P}  ->  DELETE {P} USING ... WHERE {P}
            start, p_open, p_close = op.delete_where
            pattern = text[p_open:p_close]
            out.append(text[pos:start])
            out.append(f"DELETE {pattern} {clause} WHERE {pattern}")
            pos = p_close
        elif op.where is not None:
            out.append(text[pos:op.where])
            out.append(clause + " ")
            pos = op.where
    out.append(text[pos:])
    return "".join(out)


def allowed_source(iri: str, allowed: Sequence[str]) -> bool:
    """An allow-list entry matches its exact IRI; an entry ending in '/' also matches everything under
    it; both compared in normal form (allowlist.py: dot segments, case, default ports)."""
    return allowlist(tuple(allowed)).allows(iri)


def check_loads(scan: UpdateScan, allowed: Sequence[str]) -> None:
    """Refuse (400) LOAD from any address not on the allow-list: pyoxigraph would fetch whatever URL it names."""
    for op in scan.operations:
        if op.keyword != "LOAD":
            continue
        src = op.load_source
        shown = ", ".join(allowed) or "nothing (the load allow-list is empty)"
        if not src:
            raise ProtocolError(400, f"LOAD refused: its source is not a constant IRI this endpoint can check; "
                                     f"it only loads from {shown}.")
        if not allowed_source(src, allowed):
            raise ProtocolError(400, f"LOAD <{src}> refused: this endpoint only loads from {shown}.")


# ----------------------------------------------------------------------------- execution


def execute_update(store: ServedStore, text: str, base_iri: str | None) -> None:
    """Apply the update: on the embedded store one transaction under its write lock (readers and
    the query workers then see a new generation, the search index rereads the graphs it names:
    `graphs_an_update_may_change`); on a remote store one request to its server."""
    store.update(text, base_iri=base_iri, graphs=graphs_an_update_may_change(text, base_iri))


def answer_update(
    request: UpdateRequest,
    *,
    authorization: str | None,
    store: ServedStore,
    settings: Settings,
) -> Answer:
    """Auth, gates, dataset, execution: 204 when applied, 4xx/5xx with a plain-text reason."""
    from .void import invalidate_void

    scan = UpdateScan(())
    try:
        check_write_access(authorization, settings, "SPARQL updates")
        # an update's size is bounded by the body limit alone: INSERT DATA may carry megabytes of triples
        limits = QueryLimits.from_settings(settings)
        check_query_limits(request.update, replace(limits, max_chars=max(limits.max_chars, settings.max_body_bytes)),
                           "update")
        scan = scan_update(request.update, settings.base_iri)
        check_services(scan_query(request.update, settings.base_iri), settings.service_allowlist)
        check_loads(scan, settings.load_allowlist)
        text = apply_dataset(request.update, scan, request)
        started = time.perf_counter()
        try:
            execute_update(store, text, settings.base_iri)
        except SyntaxError as exc:
            raise ProtocolError(400, f"SPARQL update syntax error: {exc}")
        finally:
            invalidate_void(store)  # cheap; also right when a failing LOAD left nothing changed
        elapsed = (time.perf_counter() - started) * 1000
        return Answer(204, b"", TEXT, {"X-Update-Time-Ms": f"{elapsed:.1f}"})
    except ProtocolError as exc:
        return Answer.error(exc)
    except StoreError as exc:  # a remote store refused or failed
        return Answer(502, f"Update failed: {exc}\n".encode("utf-8"), TEXT)
    except OSError as exc:  # an allowed LOAD / SERVICE call failed (502), or the store did (500)
        remote = any(op.keyword == "LOAD" for op in scan.operations) or "SERVICE" in request.update.upper()
        return Answer(502 if remote else 500,
                      f"Update failed, nothing was changed: {exc}\n".encode("utf-8"), TEXT)
    except Exception as exc:  # noqa: BLE001
        return Answer(500, f"Update failed: {type(exc).__name__}: {exc}\n".encode("utf-8"), TEXT)
