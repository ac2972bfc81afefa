"""Search blocks inside SPARQL (api/sparql_search.py) as plain functions over a real index,
evaluated by pyoxigraph: how blocks are found and parsed, what the rewrite writes into the
query (only checked IRIs and numbers), and which graphs an update may change (update.py)."""
from __future__ import annotations

import pyoxigraph as ox
import pytest

from claimgraph.api.answers import ProtocolError
from claimgraph.api.sparql_search import find_search_blocks, rewrite_search_blocks
from claimgraph.api.update import graphs_an_update_may_change
from claimgraph.search import IndexUpdater, SearchIndex
from claimgraph.stores import OxigraphStore
from test_search import BASE, DOCS, JAPAN

CG = "https://w3id.org/claimgraph/ontology#"
P = f"PREFIX cg: <{CG}>\nPREFIX schema: <http://schema.org/>\n"


@pytest.fixture(scope="module")
def setup():
    store, index = OxigraphStore(None), SearchIndex(None)
    for g, nt in DOCS:
        store.replace_graph(g, nt)
        IndexUpdater(index).graph_replaced(g, nt)
    yield store, index
    index.close()
    store.close()


def rows(store, query: str, index) -> list[dict[str, str]]:
    solutions = store.query(rewrite_search_blocks(query, index, base_iri=BASE))
    names = [v.value for v in solutions.variables]
    return [{n: s[n].value for n in names if s[n] is not None} for s in solutions]


def test_queries_without_a_block_are_left_as_they_are(setup):
    _, index = setup
    for q in ["SELECT * WHERE { ?s ?p 'search' }",  # the word in a literal
              "# SERVICE cg:search { }\nSELECT * WHERE { ?s ?p ?o }",  # in a comment
              P + "SELECT * WHERE { SERVICE <https://query.wikidata.org/sparql> { ?s ?p ?o } }"]:
        assert rewrite_search_blocks(q, index) is q


def test_a_block_becomes_values_of_ranked_hits(setup):
    store, index = setup
    q = P + """SELECT ?c ?score ?g WHERE {
      SERVICE SILENT cg:search { ?c cg:matches 'export controls' ; cg:type "claim"@en , "claim" ; cg:score ?score ;
                                 cg:graph ?g . }
      ?c schema:about <%s> } ORDER BY DESC(?score)""" % JAPAN
    text = rewrite_search_blocks(q, index)
    assert "SERVICE" not in text and "export" not in text  # the words went to the index, not into the query
    assert text.count("VALUES (?c ?score ?g)") == 1
    found = rows(store, q, index)
    assert [r["c"] for r in found] == [BASE + "article/d1/claim/2"] and found[0]["g"] == BASE + "graph/d1"
    assert float(found[0]["score"]) > 0


def test_full_iris_relative_prefixes_and_two_blocks(setup):
    store, index = setup
    q = f"""BASE <https://w3id.org/claimgraph/>
    PREFIX c: <{CG}>
    SELECT ?a ?b WHERE {{
      SERVICE <ontology#search> {{ ?a <ontology#matches> "rapprochement" ; c:type "claim" }}
      SERVICE <{CG}search> {{ ?b c:matches "sanct*" ; c:type "article" ; c:limit "5"^^<http://www.w3.org/2001/XMLSchema#integer> }}
    }}"""
    blocks = find_search_blocks(q)
    assert [(b.q, b.kinds) for b in blocks] == [("rapprochement", ["claim"]), ("sanct*", ["article"])]
    assert blocks[1].limit == 5
    found = rows(store, q, index)
    assert {(r["a"], r["b"]) for r in found} == {(BASE + "article/d2/claim/1", BASE + "article/d3")}


def test_filters_in_the_block(setup):
    store, index = setup
    q = P + f"""SELECT ?c WHERE {{ SERVICE cg:search {{ ?c cg:matches "export OR chemicals OR sanctions" ;
        cg:type "claim" ; cg:from "2023-01-01" ; cg:to "2023-12-31"^^<http://www.w3.org/2001/XMLSchema#date> }} }}"""
    assert {r["c"] for r in rows(store, q, index)} == {BASE + "article/d2/claim/2"}
    q = P + f"""SELECT ?c WHERE {{ SERVICE cg:search {{ ?c cg:matches "export" ; cg:author <{BASE}person/bo-kim> ;
        cg:type "claim" }} }}"""
    assert {r["c"] for r in rows(store, q, index)} == {BASE + "article/d2/claim/2"}


def test_string_escapes_are_read_as_sparql_reads_them(setup):
    _, index = setup
    [block] = find_search_blocks(P + r'SELECT * { SERVICE cg:search { ?c cg:matches "\"export controls\"\u0020chips" } }')
    assert block.q == '"export controls" chips'


@pytest.mark.parametrize("body, reason", [
    ("?c cg:matches ?q", "takes a constant"),
    ('?c cg:matches "a" . ?d cg:matches "b"', "one subject"),
    ('?c cg:matches "a" ; cg:matches "b"', "given twice"),
    ('?c a schema:Claim ; cg:matches "a"', "unknown predicate"),
    ('?c cg:matches "a" ; cg:score "x"', "binds a variable"),
    ('?c cg:matches "a" ; cg:score ?c', "bind the score or graph to another variable"),
    ('?c cg:matches "a" ; cg:state "Japan"', "takes an IRI"),
    ('?c cg:matches "a" ; cg:limit "many"', "whole number"),
    ('?c cg:matches "a" ; cg:limit 10001', "between 1 and 10000"),
    ('?c cg:matches "a" ; cg:type "tweet"', "cg:type must be one of"),
    ('?c cg:matches 5', ""),  # a number is text too: found nothing, no error
    ('{ ?c cg:matches "a" }', "no groups"),
    ('', "is empty"),
    ('?c cg:matches "a" ; cg:from "soon"', "YYYY-MM-DD"),
])
def test_bad_blocks_are_400_with_the_reason(setup, body, reason):
    _, index = setup
    q = P + f"SELECT * WHERE {{ SERVICE cg:search {{ {body} }} }}"
    if not reason:
        assert "VALUES" in rewrite_search_blocks(q, index)
        return
    with pytest.raises(ProtocolError) as err:
        rewrite_search_blocks(q, index)
    assert err.value.status == 400 and reason in err.value.message


def test_unclosed_block_and_no_index(setup):
    _, index = setup
    with pytest.raises(ProtocolError, match="not closed"):
        rewrite_search_blocks(P + 'SELECT * { SERVICE cg:search { ?c cg:matches "a" ', index)
    with pytest.raises(ProtocolError) as err:
        rewrite_search_blocks(P + 'SELECT * { SERVICE cg:search { ?c cg:matches "a" } }', None)
    assert err.value.status == 503


def test_graphs_an_update_may_change():
    g = BASE + "graph/d1"
    assert graphs_an_update_may_change(f"INSERT DATA {{ GRAPH <{g}> {{ <{BASE}x> <{BASE}p> 'v' }} }}") == \
        (g, BASE + "x", BASE + "p")
    assert graphs_an_update_may_change("PREFIX g: <http://127.0.0.1:8000/id/graph/>\nDROP GRAPH g:d1") == \
        ("http://127.0.0.1:8000/id/graph/", g)
    assert graphs_an_update_may_change("WITH <d1> DELETE { ?s ?p ?o } WHERE { ?s ?p ?o }", BASE + "graph/") == (g,)
    for any_graph in ["DELETE WHERE { GRAPH ?g { ?s ?p ?o } }", "DROP ALL", "CLEAR NAMED",
                      "LOAD <http://example.org/x.trig>", "INSERT { GRAPH $g { ?s ?p ?o } } WHERE { ?s ?p ?o }"]:
        assert graphs_an_update_may_change(any_graph) is None, any_graph
    assert graphs_an_update_may_change("INSERT DATA { <http://a> <http://b> 'c' }") == ("http://a", "http://b")
