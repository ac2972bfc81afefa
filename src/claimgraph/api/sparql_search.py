"""Text search inside SPARQL: a `SERVICE cg:search { … }` block, answered from the text index
and written into the query as a `VALUES` block before the query is evaluated.

    PREFIX cg: <https://w3id.org/claimgraph/ontology#>
    PREFIX schema: <http://schema.org/>
    SELECT ?claim ?text ?score WHERE {
      SERVICE cg:search { ?claim cg:matches "rapprochement" ; cg:type "claim" ; cg:score ?score }
      ?claim schema:about/schema:name "Japan" ; schema:text ?text .
    } ORDER BY DESC(?score)

becomes, before any engine sees it,

    SELECT ?claim ?text ?score WHERE {
      VALUES (?claim ?score) { (<…/claim/40> "5.31"^^xsd:double) (<…/claim/36> "3.79"^^xsd:double) … }
      ?claim schema:about/schema:name "Japan" ; schema:text ?text .
    } ORDER BY DESC(?score)

Inside the block, one subject variable (the hit) and these predicates (`cg:` is the
ontology's namespace; they are query terms, never data, so the ontology does not declare them):

    cg:matches "…"      required, once: the search syntax of /search (search/query.py)
    cg:type "claim"     claim, article or entity (repeatable: any of them)
    cg:state <iri>      about this state; cg:author <iri>, cg:publisher <iri> likewise (repeatable)
    cg:from "YYYY-MM-DD", cg:to "YYYY-MM-DD"   published in this range
    cg:limit 500        how many of the best hits join (default CLAIMGRAPH_SEARCH_SPARQL_HITS, 1000;
                        at most MAX_HITS); the rest are not in the answer
    cg:score ?s         binds the BM25 score (xsd:double); cg:graph ?g the hit's document graph

Why a rewrite, and not a SERVICE endpoint of our own that pyoxigraph would call over HTTP
(measured in benchmarks/search_http_bench.py, figures in the README: about the same speed,
both dominated by fetching the same hits from the index): the rewrite is the search itself
and a VALUES join, evaluated by the same worker process as the rest of the query, on any
backend (a remote SPARQL server too); a SERVICE call is an HTTP round trip from the worker
back to the API, and a second process the worker waits on (a query that holds a worker
while the API answers its search), which a remote store would have to be able to reach. A custom function (pyoxigraph's `custom_functions`) would be called
once per candidate row and exists only in the embedded store.

Safety: the user's search text goes only to the search parser (never into SPARQL); what
the rewrite writes into the query is IRIs from the index (checked by `ox.NamedNode`) and
numbers. Anything in the block outside the grammar above is a 400 with the reason.
"""
from __future__ import annotations

import re
import urllib.parse
from dataclasses import dataclass, field

import pyoxigraph as ox

from ..config import CG
from ..search import InvalidSearch, Kind, SearchIndex, SearchRequest
from .answers import ProtocolError
from .lexer import LOCAL_ESCAPE, TOKEN

SEARCH_SERVICE = CG + "search"
MAX_HITS = 10_000  # hits one block may bring into a query
MAX_BLOCKS = 8  # search blocks in one query
XSD = "http://www.w3.org/2001/XMLSchema#"

INPUTS = {"matches", "type", "state", "author", "publisher", "from", "to", "limit"}
OUTPUTS = {"score", "graph"}
_ESCAPES = {"t": "\t", "n": "\n", "r": "\r", "b": "\b", "f": "\f", '"': '"', "'": "'", "\\": "\\"}
_ABSOLUTE = re.compile(r"^[A-Za-z][A-Za-z0-9+.\-]*:")
_STRING_ESCAPE = re.compile(r"\\(u[0-9A-Fa-f]{4}|U[0-9A-Fa-f]{8}|.)", re.DOTALL)


class SearchBlockError(ProtocolError):
    """A `SERVICE cg:search` block that cannot be answered: 400 with the reason."""

    def __init__(self, message: str):
        super().__init__(400, f"Text search in SPARQL: {message}")


@dataclass
class _Token:
    kind: str
    value: str
    start: int
    end: int


def _tokens(text: str) -> list[_Token]:
    """The lexer's tokens with their positions (whitespace and comments dropped; a
    prefixed name's final '.' is the end of a triple, as in lexer.tokens)."""
    out = []
    for m in TOKEN.finditer(text):
        kind, value = m.lastgroup, m.group()
        if kind in ("ws", "comment"):
            continue
        if kind == "pname" and value.endswith(".") and not value.endswith("\\."):
            stripped = value.rstrip(".")
            out.append(_Token(kind, stripped, m.start(), m.start() + len(stripped)))
            out.extend(_Token("other", ".", m.start() + i, m.start() + i + 1) for i in range(len(stripped), len(value)))
            continue
        out.append(_Token(kind, value, m.start(), m.end()))
    return out


@dataclass
class SearchBlock:
    """One parsed `SERVICE cg:search { … }` block and where it is in the query text."""

    start: int
    end: int
    hit: str  # the subject variable, without ? or $
    q: str = ""
    kinds: list[str] = field(default_factory=list)
    states: list[str] = field(default_factory=list)
    authors: list[str] = field(default_factory=list)
    publishers: list[str] = field(default_factory=list)
    date_from: str | None = None
    date_to: str | None = None
    limit: int | None = None
    outputs: dict[str, str] = field(default_factory=dict)  # "score"/"graph" -> variable name


def _string(token: _Token) -> str:
    v = token.value
    body = v[3:-3] if v[:3] in ('"""', "'''") else v[1:-1]

    def unescape(m: re.Match) -> str:
        e = m.group(1)
        if e[0] in "uU" and len(e) > 1:
            return chr(int(e[1:], 16))
        if e not in _ESCAPES:
            raise SearchBlockError(f"the string {v[:40]} has an unknown escape \\{e}")
        return _ESCAPES[e]

    return _STRING_ESCAPE.sub(unescape, body)


class _Scanner:
    """Finds the search blocks of a query, following PREFIX and BASE like sparql.scan_query."""

    def __init__(self, text: str, base_iri: str | None):
        self.text = text
        self.toks = _tokens(text)
        self.prefixes: dict[str, str] = {}
        self.base = base_iri

    def resolve(self, tok: _Token) -> str | None:
        if tok.kind == "iri":
            iri = tok.value[1:-1]
            # an absolute IRI stays as written (urljoin would drop an empty fragment: `ontology#`)
            return urllib.parse.urljoin(self.base, iri) if self.base and not _ABSOLUTE.match(iri) else iri
        if tok.kind == "pname":
            pfx, _, local = tok.value.partition(":")
            if pfx in self.prefixes:
                return self.prefixes[pfx] + LOCAL_ESCAPE.sub(r"\1", local)
        return None

    def blocks(self) -> list[SearchBlock]:
        toks, out, i = self.toks, [], 0
        while i < len(toks):
            tok = toks[i]
            upper = tok.value.upper() if tok.kind == "word" else ""
            nxt = toks[i + 1] if i + 1 < len(toks) else None
            if upper == "PREFIX" and nxt is not None and nxt.kind == "pname" and i + 2 < len(toks) \
                    and toks[i + 2].kind == "iri":
                self.prefixes[nxt.value.split(":", 1)[0]] = self.resolve(toks[i + 2]) or ""
                i += 3
                continue
            if upper == "BASE" and nxt is not None and nxt.kind == "iri":
                self.base = self.resolve(nxt)
                i += 2
                continue
            if upper == "SERVICE":
                j = i + 1
                if j < len(toks) and toks[j].kind == "word" and toks[j].value.upper() == "SILENT":
                    j += 1
                if j < len(toks) and self.resolve(toks[j]) == SEARCH_SERVICE:
                    block, i = self.block(tok.start, j + 1)
                    out.append(block)
                    if len(out) > MAX_BLOCKS:
                        raise SearchBlockError(f"at most {MAX_BLOCKS} search blocks in one query")
                    continue
            i += 1
        return out

    def block(self, start: int, i: int) -> tuple[SearchBlock, int]:
        """Parse `{ ?hit cg:p o ; cg:p o . … }` from token i; returns the block and the index after it."""
        toks = self.toks
        if i >= len(toks) or toks[i].value != "{":
            raise SearchBlockError("SERVICE cg:search must be followed by { … }")
        i += 1
        block: SearchBlock | None = None
        expect_subject = True
        while True:
            if i >= len(toks):
                raise SearchBlockError("the search block is not closed with }")
            tok = toks[i]
            if tok.value == "}":
                if block is None:
                    raise SearchBlockError('the search block is empty: write { ?hit cg:matches "…" }')
                block.end = tok.end
                break
            if tok.value == "{":
                raise SearchBlockError("a search block holds only ?hit cg:… triples, no groups")
            if expect_subject:
                if tok.kind != "var":
                    raise SearchBlockError(f"the search block's subject must be a variable, not {tok.value[:40]}")
                name = tok.value[1:]
                if block is None:
                    block = SearchBlock(start, -1, name)
                elif name != block.hit:
                    raise SearchBlockError(f"one search block has one subject: ?{block.hit}, not also ?{name}")
                expect_subject = False
                i += 1
            i = self.predicate_objects(block, i)
            if i < len(toks) and toks[i].value == ".":
                expect_subject = True
                i += 1
        self.check(block)
        return block, i + 1

    def predicate_objects(self, block: SearchBlock, i: int) -> int:
        toks = self.toks
        while True:
            if i >= len(toks):
                return i
            tok = toks[i]
            if tok.value in ("}", "."):
                return i
            iri = self.resolve(tok) if tok.kind in ("iri", "pname") else None
            if iri is None or not iri.startswith(CG) or iri[len(CG):] not in INPUTS | OUTPUTS:
                raise SearchBlockError(f"unknown predicate {tok.value[:60]} in a search block (it takes cg:"
                                       f"{', cg:'.join(sorted(INPUTS | OUTPUTS))})")
            name = iri[len(CG):]
            i += 1
            while True:  # the object list
                i = self.object(block, name, i)
                if i < len(toks) and toks[i].value == ",":
                    i += 1
                    continue
                break
            if i < len(toks) and toks[i].value == ";":
                while i < len(toks) and toks[i].value == ";":
                    i += 1
                continue
            return i

    def object(self, block: SearchBlock, name: str, i: int) -> int:
        toks = self.toks
        if i >= len(toks):
            raise SearchBlockError(f"cg:{name} needs a value")
        tok = toks[i]
        if name in OUTPUTS:
            if tok.kind != "var":
                raise SearchBlockError(f"cg:{name} binds a variable (cg:{name} ?{name}), not {tok.value[:40]}")
            if name in block.outputs:
                raise SearchBlockError(f"cg:{name} is given twice")
            block.outputs[name] = tok.value[1:]
            return i + 1
        if tok.kind == "var":
            raise SearchBlockError(f"cg:{name} takes a constant, not the variable {tok.value}: the search runs "
                                   "before the query, once")
        if name in ("state", "author", "publisher"):
            iri = self.resolve(tok) if tok.kind in ("iri", "pname") else None
            if iri is None:
                raise SearchBlockError(f"cg:{name} takes an IRI, not {tok.value[:40]}")
            {"state": block.states, "author": block.authors, "publisher": block.publishers}[name].append(iri)
            return i + 1
        if name == "limit":
            value, i = self.literal(i, name)
            try:
                block.limit = int(value)
            except ValueError:
                raise SearchBlockError(f"cg:limit takes a whole number, not {value[:40]!r}") from None
            return i
        value, i = self.literal(i, name)
        if name == "matches":
            if block.q:
                raise SearchBlockError("cg:matches is given twice; combine the words in one search (OR, phrases)")
            block.q = value
        elif name == "type":
            block.kinds.append(value)
        elif name == "from":
            block.date_from = value
        elif name == "to":
            block.date_to = value
        return i

    def literal(self, i: int, name: str) -> tuple[str, int]:
        """A string (with an optional @lang or ^^datatype) or a number; returns its text."""
        toks = self.toks
        tok = toks[i]
        if tok.kind == "num":
            return tok.value, i + 1
        if tok.kind != "str":
            raise SearchBlockError(f"cg:{name} takes a literal, not {tok.value[:40]}")
        value = _string(tok)
        i += 1
        if i < len(toks) and toks[i].value == "@":  # a language tag: @ then a word (with -subtags)
            i += 2
        elif i + 2 < len(toks) and toks[i].value == "^" and toks[i + 1].value == "^":
            datatype = self.resolve(toks[i + 2])
            if datatype not in (XSD + "string", XSD + "date", XSD + "integer"):
                raise SearchBlockError(f"cg:{name} takes a string, a date or an integer, not ^^{toks[i + 2].value[:40]}")
            i += 3
        return value, i

    def check(self, block: SearchBlock) -> None:
        if not block.q:
            raise SearchBlockError(f'the search block needs ?{block.hit} cg:matches "words to search for"')
        clash = {v for v in block.outputs.values() if v == block.hit}
        if clash:
            raise SearchBlockError(f"?{block.hit} is the hit; bind the score or graph to another variable")
        if block.limit is not None and not 1 <= block.limit <= MAX_HITS:
            raise SearchBlockError(f"cg:limit must be between 1 and {MAX_HITS}")


def find_search_blocks(query: str, base_iri: str | None = None) -> list[SearchBlock]:
    """The search blocks of a query, parsed and checked (SearchBlockError: 400 with the reason)."""
    if "search" not in query:  # cheap: most queries have none (the service's IRI ends with it either way)
        return []
    return _Scanner(query, base_iri).blocks()


def values_block(block: SearchBlock, rows: list[tuple[str, float, str | None]]) -> str:
    """The block's hits as `VALUES (?hit ?score ?graph) { … }`: IRIs checked by ox.NamedNode, scores as xsd:double."""
    variables = [block.hit] + [block.outputs[o] for o in ("score", "graph") if o in block.outputs]
    lines = []
    for iri, score, graph in rows:
        cells = [str(ox.NamedNode(iri))]
        if "score" in block.outputs:
            cells.append(str(ox.Literal(float(score))))
        if "graph" in block.outputs:
            cells.append(str(ox.NamedNode(graph)) if graph else "UNDEF")
        lines.append("(" + " ".join(cells) + ")")
    return f"VALUES ({' '.join('?' + v for v in variables)}) {{ {' '.join(lines)} }}"


def rewrite_search_blocks(query: str, index: SearchIndex | None, *, base_iri: str | None = None,
                          default_hits: int = 1000) -> str:
    """The query with each `SERVICE cg:search { … }` replaced by the VALUES of its hits;
    unchanged when it has none. ProtocolError 400 for a block that cannot run (with the
    reason), 503 when there is no index to search."""
    blocks = find_search_blocks(query, base_iri)
    if not blocks:
        return query
    if index is None:
        raise ProtocolError(503, "Text search in SPARQL: search is unavailable on this server.")
    parts, pos = [], 0
    for block in blocks:
        try:
            request = SearchRequest(block.q, kinds=tuple(Kind(k) for k in block.kinds), states=tuple(block.states),
                                    authors=tuple(block.authors), publishers=tuple(block.publishers),
                                    date_from=block.date_from, date_to=block.date_to)
        except ValueError:
            raise SearchBlockError(f"cg:type must be one of {', '.join(k.value for k in Kind)}") from None
        try:
            rows = index.ranked(request, block.limit or default_hits)
        except InvalidSearch as exc:
            raise SearchBlockError(str(exc)) from None
        parts += [query[pos:block.start], values_block(block, rows)]
        pos = block.end
    parts.append(query[pos:])
    return "".join(parts)
