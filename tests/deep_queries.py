"""Deep and long SPARQL queries: one generator per shape, `SHAPES[name](n)` -> query text.

Each shape grows one dimension of a query (nesting depth, chain length, number
of operands, patterns or path steps) with `n`. They are the shapes that
overflow Oxigraph's evaluator stack, or might: at n = 10,000 a nested FILTER is
about 20 KB of text and kills a process evaluating it in-process (SIGSEGV).
Every query is valid SPARQL, so a server must answer it or refuse it with a
400 that names a limit; none may stop the server.
"""
from __future__ import annotations

from typing import Callable

P = "<http://example.org/p>"


def _filter(expr: str) -> str:
    return f"SELECT * WHERE {{ ?s ?p ?o FILTER({expr}) }}"


def _where(pattern: str) -> str:
    return f"SELECT * WHERE {{ {pattern} }}"


def _path(path: str) -> str:
    return f"SELECT * WHERE {{ ?s {path} ?o }} LIMIT 1"


def _nest(open_: str, inner: str, close: str, n: int) -> str:
    return open_ * n + inner + close * n


SHAPES: dict[str, Callable[[int], str]] = {
    # expressions (in a FILTER, or projected)
    "filter_parens": lambda n: _filter(_nest("(", "true", ")", n)),
    "filter_plus_chain": lambda n: _filter("1" + " + 1" * (n - 1) + " > 0"),
    "filter_minus_chain": lambda n: _filter("1" + " - 1" * (n - 1) + " < 1"),
    "filter_times_chain": lambda n: _filter("1" + " * 1" * (n - 1) + " = 1"),
    "filter_and_chain": lambda n: _filter(" && ".join(["true"] * n)),
    "filter_or_chain": lambda n: _filter(" || ".join(["false"] * n)),
    "filter_not_nesting": lambda n: _filter(_nest("!(", "false", ")", n)),
    "filter_negation_nesting": lambda n: _filter(_nest("-(", "1", ")", n) + " != 0"),
    "filter_function_nesting": lambda n: _filter("STRLEN(" + _nest("STR(", "?o", ")", n) + ") >= 0"),
    "filter_if_nesting": lambda n: _filter(_nest("IF(true, ", "true", ", false)", n)),
    "filter_in_list": lambda n: _filter("?o IN (" + ", ".join(str(i) for i in range(n)) + ")"),
    "filter_not_in_list": lambda n: _filter("?o NOT IN (" + ", ".join(str(i) for i in range(n)) + ")"),
    "filter_concat_args": lambda n: _filter("STRLEN(CONCAT(" + ", ".join(['"a"'] * n) + ")) > 0"),
    "filter_coalesce_args": lambda n: _filter("COALESCE(" + ", ".join(["?unbound"] * n) + ", true)"),
    "filter_exists_nesting": lambda n: _where("?s ?p ?o " + _nest("FILTER EXISTS { ", "?s ?p ?o", " }", n)),
    "filter_not_exists_nesting": lambda n: _where("?s ?p ?o " + _nest("FILTER NOT EXISTS { ", "?s ?p ?o", " }", n)),
    "filter_sequence": lambda n: _where("?s ?p ?o " + "FILTER(true) " * n),
    "select_plus_chain": lambda n: "SELECT (1" + " + 1" * (n - 1) + " AS ?x) WHERE {}",
    "select_parens": lambda n: "SELECT (" + _nest("(", "1", ")", n) + " AS ?x) WHERE {}",
    "bind_sequence": lambda n: _where("BIND(0 AS ?x0) " + " ".join(f"BIND(?x{i} + 1 AS ?x{i + 1})" for i in range(n))),
    # graph patterns
    "group_nesting": lambda n: _where(_nest("{ ", "?s ?p ?o", " }", n)),
    "group_sequence": lambda n: _where("{ ?s ?p ?o } " * n),
    "empty_group_sequence": lambda n: _where("{} " * n),
    "union_chain": lambda n: _where(" UNION ".join(["{ ?s ?p ?o }"] * n)),
    "union_nesting": lambda n: _where(_nest("{ ?s ?p ?o } UNION { ", "?s ?p ?o", " }", n)),
    "optional_nesting": lambda n: _where("?s ?p ?o " + _nest("OPTIONAL { ?s ?p ?o ", "", "}", n)),
    "optional_sequence": lambda n: _where("?s ?p ?o " + "OPTIONAL { ?s ?p ?o } " * n),
    "minus_nesting": lambda n: _where("?s ?p ?o " + _nest("MINUS { ?s ?p ?o ", "", "}", n)),
    "minus_sequence": lambda n: _where("?s ?p ?o " + "MINUS { ?s <http://example.org/none> ?o } " * n),
    "graph_nesting": lambda n: _where(_nest("GRAPH ?g { ", "?s ?p ?o", " }", n)),
    "subselect_nesting": lambda n: _where(_nest("{ SELECT * WHERE ", "{ ?s ?p ?o }", " }", n)),
    "triple_pattern_sequence": lambda n: _where("?s ?p ?o . " * n),
    "triple_pattern_chain": lambda n: _where(" ".join(f"?x{i} ?p ?x{i + 1} ." for i in range(n))),
    "values_rows": lambda n: _where("VALUES ?x { " + " ".join(str(i) for i in range(n)) + " }"),
    "blank_node_nesting": lambda n: _where("?s ?p " + _nest(f"[ {P} ", "?o", " ]", n)),
    "collection_long": lambda n: _where("?s ?p (" + " ".join(str(i) for i in range(n)) + ")"),
    "collection_nesting": lambda n: _where("?s ?p " + _nest("(", "1", ")", n)),
    # property paths
    "path_sequence": lambda n: _path("/".join([P] * n)),
    "path_alternative": lambda n: _path("|".join([P] * n)),
    "path_parens": lambda n: _path(_nest("(", P, ")", n)),
    "path_inverse_nesting": lambda n: _path(_nest("^(", P, ")", n)),
    "path_star_nesting": lambda n: _path(_nest("(", P, ")*", n)),
    "path_negated_set": lambda n: _path("!(" + "|".join([P] * n) + ")"),
    # solution modifiers and templates
    "order_by_long": lambda n: "SELECT * WHERE { ?s ?p ?o } ORDER BY " + " ".join(["?s"] * n),
    "group_by_long": lambda n: "SELECT ?s WHERE { ?s ?p ?o } GROUP BY " + " ".join(["?s"] * n),
    "construct_template_long": lambda n: "CONSTRUCT { " + "?s ?p ?o . " * n + "} WHERE { ?s ?p ?o }",
}


def nested_filter_10kb() -> str:
    """The query of issue 10: about 10 KB, 5,000 nested parentheses in a FILTER."""
    return "SELECT * WHERE { ?s ?p ?o FILTER(" + "(" * 5000 + "true" + ")" * 5000 + ") }"
