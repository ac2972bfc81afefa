"""A light SPARQL lexer: enough to find a query's form, dataset clauses, SERVICE
and LOAD targets (sparql.py, update.py) and to measure it against the limits
(query_limits.py) without parsing it. Comments, strings and IRIs are single
tokens, so nothing inside them counts; every other character that starts no
token is an `other` token of its own (brackets, operators, separators)."""
from __future__ import annotations

import re

TOKEN = re.compile(
    r"""
    (?P<ws>\s+)
  | (?P<comment>\#[^\n\r]*)
  | (?P<str>\"\"\"(?:[^"\\]|\\.|"(?!""))*\"\"\"|'''(?:[^'\\]|\\.|'(?!''))*'''|"(?:[^"\\\n\r]|\\.)*"|'(?:[^'\\\n\r]|\\.)*')
  | (?P<iri><[^<>"{}|^`\\\x00-\x20]*>)
  | (?P<var>[?$][\w\u00B7\u00C0-\uFFFF]+)
  | (?P<pname>(?:[^\W\d_][\w.\-\u00B7\u00C0-\uFFFF]*)?:(?:[\w:.\-\u00B7\u00C0-\uFFFF]|%[0-9A-Fa-f]{2}|\\[_~.\-!$&'()*+,;=/?\#@%])*)
  | (?P<word>[^\W\d][\w\-]*)
  | (?P<num>\d+(?:\.\d+)?(?:[eE][+-]?\d+)?)
  | (?P<other>.)
    """,
    re.VERBOSE | re.DOTALL,
)
LOCAL_ESCAPE = re.compile(r"\\(.)")


def tokens(text: str):
    """(kind, value) of each token but whitespace and comments."""
    for m in TOKEN.finditer(text):
        kind = m.lastgroup
        if kind in ("ws", "comment"):
            continue
        value = m.group()
        if kind == "pname" and value.endswith(".") and not value.endswith("\\."):
            value = value.rstrip(".")  # a local name cannot end with '.': it ends the triple
        yield kind, value
