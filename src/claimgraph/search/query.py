"""The search syntax users type, parsed into a small tree and checked before any engine sees it.

    export controls          both words (any order, any field)
    "export controls"        the phrase
    sanction*                a word starting with "sanction" (at least 2 letters before *)
    tariffs OR sanctions     either
    china -taiwan            china, not taiwan (also: NOT taiwan)
    (tariffs OR sanctions) "South Korea"

Words match after case folding, accent folding and English stemming
("sanctions" finds "sanctioned"). The parser accepts nothing else: there are
no field names, no NEAR, no engine syntax, so a query string cannot reach the
engine's own query language. Everything it rejects raises `SearchSyntaxError`
with the reason and the position, which the API returns as a 400.

Limits keep a query cheap to plan and safe to recurse over: at most
`MAX_QUERY_CHARS` characters, `MAX_TERMS` words, `MAX_DEPTH` nested groups.
"""
from __future__ import annotations

import re
from dataclasses import dataclass

MAX_QUERY_CHARS = 500
MAX_TERMS = 32
MAX_DEPTH = 8
MIN_PREFIX_CHARS = 2


class InvalidSearch(ValueError):
    """A search request that cannot run: the message says what is wrong, for the user."""


class SearchSyntaxError(InvalidSearch):
    """The query string does not follow the search syntax."""

    def __init__(self, reason: str, position: int | None = None):
        self.reason = reason
        self.position = position
        super().__init__(reason if position is None else f"{reason} (at character {position + 1})")


# -- the tree -----------------------------------------------------------------------------

@dataclass(frozen=True)
class Word:
    text: str
    prefix: bool = False


@dataclass(frozen=True)
class Phrase:
    words: tuple[str, ...]


@dataclass(frozen=True)
class Not:
    node: "Node"


@dataclass(frozen=True)
class And:
    nodes: tuple["Node", ...]


@dataclass(frozen=True)
class Or:
    nodes: tuple["Node", ...]


Node = Word | Phrase | Not | And | Or

_TOKEN_RE = re.compile(r'\s*(?:(?P<quote>")|(?P<open>\()|(?P<close>\))|(?P<word>[^\s"()]+))')
_WORDCHAR_RE = re.compile(r"\w")


@dataclass
class _Token:
    kind: str  # word, phrase, open, close, or, and, not
    text: str
    pos: int


def _tokens(q: str) -> list[_Token]:
    out: list[_Token] = []
    i = 0
    while i < len(q):
        m = _TOKEN_RE.match(q, i)
        if m is None or m.end() == i:  # only trailing whitespace is left
            break
        start = m.start(m.lastgroup)
        if m.lastgroup == "quote":
            end = q.find('"', start + 1)
            if end < 0:
                raise SearchSyntaxError("a quotation mark is not closed", start)
            out.append(_Token("phrase", q[start + 1:end], start))
            i = end + 1
            continue
        text = m.group(m.lastgroup)
        if m.lastgroup == "word" and text in ("OR", "AND", "NOT"):
            out.append(_Token(text.lower(), text, start))
        else:
            out.append(_Token(m.lastgroup, text, start))
        i = m.end()
    return out


def parse_query(q: str) -> Node:
    """Parse a user's query string; raise `SearchSyntaxError` with the reason."""
    if not isinstance(q, str) or not q.strip():
        raise SearchSyntaxError("the query is empty")
    if len(q) > MAX_QUERY_CHARS:
        raise SearchSyntaxError(f"the query is longer than {MAX_QUERY_CHARS} characters")
    parser = _Parser(_tokens(q))
    node = parser.expression(depth=0)
    if parser.peek() is not None:
        tok = parser.peek()
        raise SearchSyntaxError("a closing parenthesis has no opening one" if tok.kind == "close"
                                else f"unexpected {tok.text!r}", tok.pos)
    if parser.terms > MAX_TERMS:
        raise SearchSyntaxError(f"the query has more than {MAX_TERMS} words")
    _require_positive(node)
    return node


class _Parser:
    """expression := conjunction ('OR' conjunction)* ; conjunction := unary+ ;
    unary := ('-' | 'NOT') primary | primary ; primary := word | phrase | '(' expression ')'"""

    def __init__(self, tokens: list[_Token]):
        self.tokens = tokens
        self.i = 0
        self.terms = 0

    def peek(self) -> _Token | None:
        return self.tokens[self.i] if self.i < len(self.tokens) else None

    def take(self) -> _Token:
        tok = self.tokens[self.i]
        self.i += 1
        return tok

    def expression(self, depth: int) -> Node:
        if depth > MAX_DEPTH:
            raise SearchSyntaxError(f"parentheses are nested more than {MAX_DEPTH} deep", self.peek().pos)
        parts = [self.conjunction(depth)]
        while (tok := self.peek()) is not None and tok.kind == "or":
            self.take()
            if self.peek() is None or self.peek().kind in ("or", "close"):
                raise SearchSyntaxError("OR needs something to search on both sides", tok.pos)
            parts.append(self.conjunction(depth))
        return parts[0] if len(parts) == 1 else Or(tuple(parts))

    def conjunction(self, depth: int) -> Node:
        parts: list[Node] = []
        while (tok := self.peek()) is not None and tok.kind not in ("or", "close"):
            if tok.kind == "and":
                self.take()
                if not parts or self.peek() is None or self.peek().kind in ("or", "and", "close"):
                    raise SearchSyntaxError("AND needs something to search on both sides", tok.pos)
                continue
            parts.append(self.unary(depth))
        if not parts:
            tok = self.peek()
            pos = tok.pos if tok else (self.tokens[-1].pos if self.tokens else 0)
            raise SearchSyntaxError("OR needs something to search on both sides" if tok and tok.kind == "or"
                                    else "expected a word, a phrase or a group", pos)
        return parts[0] if len(parts) == 1 else And(tuple(parts))

    def unary(self, depth: int) -> Node:
        tok = self.peek()
        if tok.kind == "not":
            self.take()
            if self.peek() is None or self.peek().kind in ("or", "and", "not", "close"):
                raise SearchSyntaxError("NOT needs a word, a phrase or a group after it", tok.pos)
            return Not(self.primary(depth))
        if tok.kind == "word" and tok.text.startswith("-"):
            if len(tok.text) > 1:  # -word
                self.tokens[self.i] = _Token("word", tok.text[1:], tok.pos + 1)
                return Not(self.primary(depth))
            self.take()  # -"a phrase" or -(a group), written without a space
            after = self.peek()
            if after is None or after.kind not in ("phrase", "open") or after.pos != tok.pos + 1:
                raise SearchSyntaxError("'-' needs a word, a phrase or a group right after it", tok.pos)
            return Not(self.primary(depth))
        return self.primary(depth)

    def primary(self, depth: int) -> Node:
        tok = self.take()
        if tok.kind == "open":
            if self.peek() is None:
                raise SearchSyntaxError("a parenthesis is not closed", tok.pos)
            if self.peek().kind == "close":
                raise SearchSyntaxError("empty parentheses", tok.pos)
            node = self.expression(depth + 1)
            if self.peek() is None or self.peek().kind != "close":
                raise SearchSyntaxError("a parenthesis is not closed", tok.pos)
            self.take()
            return node
        if tok.kind == "phrase":
            words = tuple(tok.text.split())
            if not words or not any(_WORDCHAR_RE.search(w) for w in words):
                raise SearchSyntaxError("the quoted phrase has no words in it", tok.pos)
            if any("*" in w for w in words):
                raise SearchSyntaxError("'*' cannot be used inside a quoted phrase", tok.pos)
            self.terms += len(words)
            return Phrase(words) if len(words) > 1 else Word(words[0])
        if tok.kind == "word":
            return self.word(tok)
        if tok.kind == "close":
            raise SearchSyntaxError("a closing parenthesis has no opening one", tok.pos)
        raise SearchSyntaxError(f"{tok.text} needs a word, a phrase or a group after it", tok.pos)

    def word(self, tok: _Token) -> Word:
        text = tok.text
        prefix = text.endswith("*")
        stem = text[:-1] if prefix else text
        if "*" in stem:
            raise SearchSyntaxError("'*' may only end a word (as in sanction*)", tok.pos + stem.index("*"))
        if not _WORDCHAR_RE.search(stem):
            raise SearchSyntaxError(f"{text!r} has no letters or digits to search for", tok.pos)
        if prefix and len(_WORDCHAR_RE.findall(stem)) < MIN_PREFIX_CHARS:
            raise SearchSyntaxError(f"a prefix search needs at least {MIN_PREFIX_CHARS} letters before '*'", tok.pos)
        self.terms += 1
        return Word(stem, prefix)


def _require_positive(node: Node) -> None:
    """Every part of a query must keep a word that must match: exclusions alone would
    mean 'everything except', which is a scan, not a search."""
    if isinstance(node, Not) or (isinstance(node, And) and all(isinstance(n, Not) for n in node.nodes)):
        raise SearchSyntaxError("a part of the query only excludes words; add a word to search for")
    if isinstance(node, And):  # here an exclusion is fine beside a positive part; what it excludes is checked
        for n in node.nodes:
            _require_positive(n.node if isinstance(n, Not) else n)
    if isinstance(node, Or):  # each alternative must itself find something
        for n in node.nodes:
            _require_positive(n)


def words_of(node: Node) -> list[Word | Phrase]:
    """The positive words and phrases of a query (what a snippet should show)."""
    if isinstance(node, (Word, Phrase)):
        return [node]
    if isinstance(node, Not):
        return []
    return [w for n in node.nodes for w in words_of(n)]
