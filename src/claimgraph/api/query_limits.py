"""Limits on a SPARQL text, checked before anything parses or evaluates it.

Oxigraph's parser and evaluator recurse once per nesting level and once per
link of a left-deep chain (`1 + 1 + …`, `A . B . …`, `{…} UNION {…} UNION …`,
a path `p/p/…`), so a long or deep enough query overflows the stack of the
thread evaluating it, and the whole process dies (SIGSEGV; no exception to
catch). Measured with pyoxigraph 0.5.13 on an 8 MB thread stack
(tests/deep_queries.py, 46 shapes): function calls or `FILTER EXISTS` nested
1,000 deep crash (500 answer); `(`, `{ }`, `OPTIONAL`, `UNION`, sub-SELECT
or `GRAPH` nested 4,000 deep crash (1,000 answer); chains of 10,000 `+`,
`&&`, `||`, triple patterns, `UNION`s or `FILTER`s crash (4,000 answer), 4,000
`BIND`s or `MINUS`es crash (1,000 answer); 20,000 path steps crash. Query
workers evaluate on a 256 MB stack (32x), where none of these crash at
20,000, so the defaults below leave a wide margin there and a few-fold one on
an 8 MB thread (the in-memory store's evaluator):

    CLAIMGRAPH_QUERY_MAX_CHARS       1,000,000  characters of query text
    CLAIMGRAPH_QUERY_MAX_NESTING           100  brackets ( { [ open at once
    CLAIMGRAPH_QUERY_MAX_OPERATORS       1,000  expression and property-path operators
    CLAIMGRAPH_QUERY_MAX_PATTERNS        1,000  triple patterns and group elements

A query over a limit gets a 400 that names the limit and its setting. The
measures are lexical (comments, strings and IRIs are single tokens), so they
cost one pass over the text, which stops at the first limit passed. Rows of
data (VALUES, INSERT DATA, DELETE DATA) count only for nesting: they are flat
tables, not chains; an RDF collection `( … )` in a pattern counts one pattern
per element, since the engine joins two triple patterns for each. An update
gets the same limits, except its size, which only the body limit bounds.

The limits are about what crashes, not what is slow: a long basic graph pattern
is slow to plan well before any limit (on a one-triple store 100 triple
patterns took 3 s and 200 took 25 s): that is the time limit's job.
"""
from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache

from .answers import ProtocolError
from .lexer import TOKEN

OPENING = {"(": ")", "{": "}", "[": "]"}
CLOSING = {")", "}", "]"}
# single-character operators of expressions and property paths (`&&` counts as 2, `!=` as 2, ...)
OPERATOR_CHARS = frozenset("|&=!<>+-*/^?")
OPERATOR_WORDS = frozenset({"IN"})
# what makes a group pattern longer: separators of triple patterns (in braces or brackets) and group keywords
PATTERN_CHARS = frozenset(".;,")
PATTERN_WORDS = frozenset({"FILTER", "BIND", "OPTIONAL", "MINUS", "UNION", "GRAPH", "SERVICE", "VALUES",
                           "SELECT", "EXISTS"})


@dataclass(frozen=True)
class QueryLimits:
    max_chars: int = 1_000_000
    max_nesting: int = 100
    max_operators: int = 1_000
    max_patterns: int = 1_000

    @classmethod
    def from_settings(cls, settings) -> "QueryLimits":
        return _limits(*(getattr(settings, "query_" + name, None)
                         for name in ("max_chars", "max_nesting", "max_operators", "max_patterns")))


@lru_cache(maxsize=16)
def _limits(*values: int | None) -> QueryLimits:
    names = ("max_chars", "max_nesting", "max_operators", "max_patterns")
    return QueryLimits(**{n: v for n, v in zip(names, values) if v is not None})


def _over(found: str, limit: int, setting: str, advice: str, operation: str) -> ProtocolError:
    return ProtocolError(
        400, f"The {operation} is too complex for this endpoint: it has {found}; the limit is "
             f"{limit:,} ({setting}). {advice}")


def check_query_limits(text: str, limits: QueryLimits, operation: str = "query") -> None:
    """Raise ProtocolError(400) naming the first limit `text` passes; `operation` is
    "query" or "update" (for the message)."""
    if len(text) > limits.max_chars:
        raise _over(f"{len(text):,} characters", limits.max_chars, "CLAIMGRAPH_QUERY_MAX_CHARS",
                    "Send a shorter one (a long VALUES list can be split over several queries).", operation)
    if (len(text) <= limits.max_patterns  # each counted pattern takes at least one character
            and sum(text.count(c) for c in OPENING) <= limits.max_nesting
            and sum(text.count(c) for c in OPERATOR_CHARS) + text.lower().count("in") <= limits.max_operators):
        return  # within every limit even if each bracket, operator sign and "in" counted: no scan needed
    # open brackets, each tagged: "expr" ( (arguments, expressions, VALUES variables), "list" ( (an RDF
    # collection or path group in a pattern: each term in it is a triple pattern), "group" {, "values" {
    # (VALUES, INSERT DATA, DELETE DATA: rows of data, nothing in them counts), "bnode" [
    stack: list[str] = []
    operators = patterns = 0
    prev_kind, prev = "", ""
    values_next = datatype_caret = False
    for m in TOKEN.finditer(text):
        kind = m.lastgroup
        if kind in ("ws", "comment"):
            continue
        value = m.group()
        inside = stack[-1] if stack else ""
        if kind == "other" and value in OPENING:
            if inside == "values":
                tag = "values"
            elif value == "(":
                tag = "expr" if (inside == "expr" or prev_kind == "word"
                                 or (prev_kind == "other" and prev in OPERATOR_CHARS)) else "list"
            elif value == "{":
                tag = "values" if values_next else "group"
                values_next = False
            else:
                tag = "bnode"
            stack.append(tag)
            if tag in ("group", "bnode"):
                patterns += 1
            if len(stack) > limits.max_nesting:
                raise _over(f"more than {limits.max_nesting:,} brackets nested", limits.max_nesting,
                            "CLAIMGRAPH_QUERY_MAX_NESTING",
                            "Flatten it: fewer nested groups, parentheses or function calls.", operation)
        elif kind == "other" and value in CLOSING:
            if stack:
                stack.pop()
        elif inside == "values":
            pass  # VALUES data is a flat table
        elif kind == "other" and value in OPERATOR_CHARS:
            if value != "^" or not (prev_kind == "str" or (prev == "^" and datatype_caret)):
                operators += 1
            datatype_caret = value == "^" and prev_kind == "str"  # "1"^^xsd:int is no path
        elif kind == "other" and value in PATTERN_CHARS:
            if value != "," or inside != "expr":  # a comma between arguments separates no patterns
                patterns += 1
        elif kind == "word" and value.upper() in OPERATOR_WORDS:
            operators += 1
        elif kind == "word" and value.upper() in PATTERN_WORDS:
            patterns += 1
            values_next = value.upper() == "VALUES"
        elif kind == "word" and value.upper() == "DATA" and prev.upper() in ("INSERT", "DELETE"):
            values_next = True  # INSERT DATA / DELETE DATA: a block of data, like VALUES
        elif inside == "list" and kind in ("var", "iri", "pname", "str", "num", "word"):
            patterns += 1  # a collection's element: rdf:first and rdf:rest patterns
        elif kind == "pname" and value.endswith(".") and not value.endswith("\\."):
            patterns += 1  # `ex:o.`: the lexer keeps a triple's final dot in the name
        prev_kind, prev = kind, value
        if operators <= limits.max_operators and patterns <= limits.max_patterns:
            continue
        if operators > limits.max_operators:
            raise _over(f"more than {limits.max_operators:,} expression or property-path operators",
                        limits.max_operators, "CLAIMGRAPH_QUERY_MAX_OPERATORS",
                        "Shorten its operator chains and property paths (a long IN list or a path "
                        "alternative can often be a VALUES block).", operation)
        if patterns > limits.max_patterns:
            raise _over(f"more than {limits.max_patterns:,} triple patterns and group elements",
                        limits.max_patterns, "CLAIMGRAPH_QUERY_MAX_PATTERNS",
                        "Split it into several queries.", operation)
