"""The text index (claimgraph.search) over small documents written in the mapping's terms:
entries from a graph, ranking, phrase/prefix/filters, snippets, bad syntax, replace and
delete, and agreement with a real Oxigraph store on disk."""
from __future__ import annotations

import pytest

from claimgraph import vocab as V
from claimgraph.rdf import literal  # str() of a term is its N-Triples form
from claimgraph.search import (
    IndexUpdater, InvalidSearch, Kind, SearchIndex, SearchRequest, SearchSyntaxError, drifted, graph_entries,
    reindex, repair, suspects, triples_from_ntriples,
)
from claimgraph.stores import OxigraphStore

BASE = "http://127.0.0.1:8000/id/"
CHINA, JAPAN, KOREA = BASE + "state/CHN", BASE + "state/JPN", BASE + "state/KOR"
NAMES = {CHINA: ("China", ["PRC"]), JAPAN: ("Japan", []), KOREA: ("South Korea", ["Republic of Korea"])}


def doc(sid: str, headline: str, body: str, claims: list[tuple[str, list[str]]], *, date: str | None = None,
        author: str = "ann-lee", publisher: str = "review", mentions: tuple[str, ...] = ()) -> tuple[str, str]:
    """(graph IRI, N-Triples) of one document, shaped as mapping.py writes it."""
    article, person, org = BASE + f"article/{sid}", BASE + f"person/{author}", BASE + f"org/{publisher}"
    lines = []

    def t(s, p, o):
        lines.append(f"<{s}> <{p}> {o} .")

    for cls in (V.ANALYSIS_ARTICLE, V.ARTICLE, V.CREATIVE_WORK):
        t(article, V.RDF + "type", f"<{cls}>")
    t(article, V.SCHEMA + "headline", literal(headline))
    t(article, V.SCHEMA + "articleBody", literal(body))
    if date:
        t(article, V.SCHEMA + "datePublished", literal(date, V.XSD + "date"))
    t(article, V.SCHEMA + "author", f"<{person}>")
    t(person, V.RDF + "type", f"<{V.PERSON}>")
    t(person, V.SCHEMA + "name", literal(author.replace("-", " ").title()))
    t(article, V.SCHEMA + "publisher", f"<{org}>")
    t(org, V.RDF + "type", f"<{V.NEWS_OUTLET}>")
    t(org, V.RDF + "type", f"<{V.ORGANIZATION}>")
    t(org, V.SCHEMA + "name", literal(publisher.title()))
    states = set(mentions) | {s for _, about in claims for s in about}
    for s in states:
        name, alts = NAMES[s]
        t(s, V.RDF + "type", f"<{V.COUNTRY}>")
        t(s, V.SCHEMA + "name", literal(name))
        for alt in alts:
            t(s, V.SCHEMA + "alternateName", literal(alt))
    for s in mentions:
        t(article, V.SCHEMA + "mentions", f"<{s}>")
    for n, (text, about) in enumerate(claims, start=1):
        claim = f"{article}/claim/{n}"
        t(claim, V.RDF + "type", f"<{V.CLAIM}>")
        t(claim, V.SCHEMA + "text", literal(text))
        t(claim, V.SCHEMA + "author", f"<{person}>")
        t(claim, V.SCHEMA + "appearance", f"<{article}>")
        for s in about:
            t(claim, V.SCHEMA + "about", f"<{s}>")
    return BASE + f"graph/{sid}", "\n".join(lines) + "\n"


DOCS = [
    doc("d1", "Export controls and the chip war",
        "Washington tightened export controls on chips. Export controls now reach allies too.",
        [("China says export controls will fail.", [CHINA]),
         ("Japan will align its export controls with Washington.", [JAPAN])],
        date="2024-03-10", author="ann-lee", publisher="review", mentions=(CHINA, JAPAN)),
    doc("d2", "Seoul and Tokyo after the summit",
        "The summit in Tokyo eased tension. Controls on exports of chemicals were lifted.",
        [("South Korea and Japan sealed a rapprochement.", [KOREA, JAPAN]),
         ("The export of chemicals resumed after years of controls.", [KOREA])],
        date="2023-03-17", author="bo-kim", publisher="ledger", mentions=(KOREA, JAPAN)),
    doc("d3", "Sanctions fatigue",
        "Sanctioned firms adapt. Sanctions on China rarely bite, and <script>alert('x')</script> & co. profit.",
        [("Sanctions against China are failing & the <b>elites</b> profit.", [CHINA])],
        date="2022-11-02", author="ann-lee", publisher="ledger", mentions=(CHINA,)),
]


@pytest.fixture
def index(tmp_path):
    with SearchIndex(tmp_path / "search") as ix:
        updater = IndexUpdater(ix)
        for g, nt in DOCS:
            updater.graph_replaced(g, nt)
        yield ix


def iris(page) -> list[str]:
    return [h.iri for h in page.hits]


# -- entries -------------------------------------------------------------------------------

def test_entries_of_a_graph_have_kinds_and_facets():
    g, nt = DOCS[0]
    indexed = graph_entries(g, triples_from_ntriples(nt))
    by_iri = {e.iri: e for e in indexed.entries}
    claim = by_iri[BASE + "article/d1/claim/1"]
    assert claim.kind is Kind.CLAIM and claim.states == (CHINA,) and claim.date == "2024-03-10"
    assert claim.authors == (BASE + "person/ann-lee",) and claim.publishers == (BASE + "org/review",)
    article = by_iri[BASE + "article/d1"]
    assert article.kind is Kind.ARTICLE and set(article.states) == {CHINA, JAPAN}
    china = by_iri[CHINA]
    assert china.kind is Kind.ENTITY and china.category == "state" and "PRC" in china.title
    assert by_iri[BASE + "person/ann-lee"].category == "person"
    # The stamp depends on the entries, not on the order of the triples.
    shuffled = "\n".join(reversed(nt.strip().splitlines())) + "\n"
    assert graph_entries(g, triples_from_ntriples(shuffled)).stamp == indexed.stamp


# -- searching -------------------------------------------------------------------------------

def test_ranking_prefers_more_and_earlier_fields(index):
    page = index.search(SearchRequest("export controls", kinds=(Kind.ARTICLE,)))
    # d1 has both words in its headline and twice in its body; d2 has them only in its body, apart.
    assert iris(page) == [BASE + "article/d1", BASE + "article/d2"]
    assert page.hits[0].score > page.hits[1].score > 0
    claims = index.search(SearchRequest("export controls", kinds=(Kind.CLAIM,)))
    assert iris(claims)[:2] == [BASE + "article/d1/claim/1", BASE + "article/d1/claim/2"]
    assert BASE + "article/d2/claim/2" in iris(claims)  # "export ... controls", not as a phrase


def test_phrase_is_stricter_than_words(index):
    words = set(iris(index.search(SearchRequest("export controls", limit=50))))
    phrase = set(iris(index.search(SearchRequest('"export controls"', limit=50))))
    assert phrase < words
    assert BASE + "article/d2/claim/2" in words - phrase


def test_stemming_and_prefix(index):
    stems = iris(index.search(SearchRequest("sanction", kinds=(Kind.CLAIM, Kind.ARTICLE))))
    assert set(stems) == {BASE + "article/d3", BASE + "article/d3/claim/1"}  # "Sanctions", "Sanctioned"
    prefix = iris(index.search(SearchRequest("rappro*")))
    assert prefix == [BASE + "article/d2/claim/1"]
    assert index.search(SearchRequest("rappro")).total == 0  # no prefix, no match
    # A prefix is matched against the words as written, not their stems ("rapproch").
    assert iris(index.search(SearchRequest("rapprochem*"))) == [BASE + "article/d2/claim/1"]
    assert "<mark>rapprochement</mark>" in index.search(SearchRequest("rapprochem*")).hits[0].snippet_html


def test_boolean_operators(index):
    either = set(iris(index.search(SearchRequest("rapprochement OR sanctions", kinds=(Kind.CLAIM,)))))
    assert either == {BASE + "article/d2/claim/1", BASE + "article/d3/claim/1"}
    without = set(iris(index.search(SearchRequest("controls -chemicals", kinds=(Kind.CLAIM, Kind.ARTICLE)))))
    assert BASE + "article/d1" in without and BASE + "article/d2" not in without


def test_filters(index):
    def hits(**kw):
        return set(iris(index.search(SearchRequest("export OR sanctions OR rapprochement", limit=50, **kw))))

    assert hits(kinds=(Kind.CLAIM,), states=(CHINA,)) == {BASE + "article/d1/claim/1", BASE + "article/d3/claim/1"}
    assert hits(kinds=(Kind.CLAIM,), states=(CHINA, KOREA)) == {
        BASE + "article/d1/claim/1", BASE + "article/d3/claim/1", BASE + "article/d2/claim/1",
        BASE + "article/d2/claim/2"}
    assert hits(kinds=(Kind.ARTICLE,), authors=(BASE + "person/bo-kim",)) == {BASE + "article/d2"}
    assert hits(kinds=(Kind.ARTICLE,), publishers=(BASE + "org/ledger",)) == {BASE + "article/d2", BASE + "article/d3"}
    assert hits(kinds=(Kind.ARTICLE,), date_from="2023-01-01") == {BASE + "article/d1", BASE + "article/d2"}
    assert hits(kinds=(Kind.ARTICLE,), date_from="2023-01-01", date_to="2023-12-31") == {BASE + "article/d2"}
    assert hits(kinds=(Kind.CLAIM,), states=(CHINA,), date_to="2023-01-01") == {BASE + "article/d3/claim/1"}


def test_entities_are_one_hit_across_documents(index):
    page = index.search(SearchRequest("Japan", kinds=(Kind.ENTITY,)))
    assert iris(page) == [JAPAN] and page.total == 1 and page.hits[0].graph is None
    assert page.hits[0].category == "state" and page.hits[0].label == "Japan"
    assert iris(index.search(SearchRequest("PRC", kinds=(Kind.ENTITY,)))) == [CHINA]  # alternate name
    claim = index.search(SearchRequest("rapprochement", kinds=(Kind.CLAIM,))).hits[0]
    assert claim.graph == BASE + "graph/d2" and claim.date == "2023-03-17"


def test_an_entity_goes_when_no_document_names_it(index):
    updater = IndexUpdater(index)
    updater.graph_dropped(DOCS[0][0])
    assert iris(index.search(SearchRequest("Japan", kinds=(Kind.ENTITY,)))) == [JAPAN]  # d2 still names it
    updater.graph_dropped(DOCS[1][0])
    assert index.search(SearchRequest("Japan", kinds=(Kind.ENTITY,))).total == 0
    # An alternate name only one document gave goes with that document.
    g, nt = doc("k1", "Korea", "Korea.", [], mentions=(KOREA,))
    updater.graph_replaced(g, nt)
    assert iris(index.search(SearchRequest('"Republic of Korea"', kinds=(Kind.ENTITY,)))) == [KOREA]
    renamed = nt.replace('"Republic of Korea"', '"ROK"')
    updater.graph_replaced(g, renamed)
    assert index.search(SearchRequest('"Republic of Korea"', kinds=(Kind.ENTITY,))).total == 0
    assert iris(index.search(SearchRequest("ROK", kinds=(Kind.ENTITY,)))) == [KOREA]
    index.integrity_check()


def test_paging(index):
    everything = iris(index.search(SearchRequest("export OR controls OR sanctions OR japan", limit=100)))
    assert len(everything) > 4
    pages = [iris(index.search(SearchRequest("export OR controls OR sanctions OR japan", limit=2, offset=o)))
             for o in range(0, len(everything), 2)]
    assert [i for p in pages for i in p] == everything
    past = index.search(SearchRequest("export", limit=5, offset=500))
    assert past.hits == () and past.total == index.search(SearchRequest("export")).total


def test_snippets_are_escaped_with_marks_only(index):
    [claim] = index.search(SearchRequest("elites", kinds=(Kind.CLAIM,))).hits
    assert "<mark>elites</mark>" in claim.snippet_html
    assert "&lt;b&gt;" in claim.snippet_html and "&amp;" in claim.snippet_html and "<b>" not in claim.snippet_html
    [article] = index.search(SearchRequest("profit", kinds=(Kind.ARTICLE,))).hits
    html = article.snippet_html
    assert "<mark>profit</mark>" in html and "<script>" not in html and "&lt;script&gt;" in html
    assert html.replace("<mark>", "").replace("</mark>", "").count("<") == 0


def test_markers_in_a_page_cannot_forge_highlights(tmp_path):
    g, nt = doc("m1", "Markers", "plain \ue000forged\ue001 text about tariffs", [])
    with SearchIndex(tmp_path / "m") as ix:
        IndexUpdater(ix).graph_replaced(g, nt)
        [hit] = ix.search(SearchRequest("tariffs")).hits
        assert hit.snippet_html.count("<mark>") == 1 and "<mark>tariffs</mark>" in hit.snippet_html


@pytest.mark.parametrize("q, reason", [
    ("", "empty"), ('"export controls', "quotation mark"), ("(export", "not closed"), ("export)", "no opening"),
    ("*", "no letters"), ("x*", "at least 2"), ("ex*port", "may only end"), ("export OR", "both sides"),
    ("-export", "only excludes"), ("export OR -controls", "only excludes"), ("NOT", "after it"),
    ("(" * 12 + "a" + ")" * 12, "nested"), (" ".join(["w"] * 40), "more than 32"), ("x" * 600, "longer than"),
])
def test_bad_syntax_gets_a_reason(index, q, reason):
    with pytest.raises(SearchSyntaxError) as err:
        index.search(SearchRequest(q))
    assert reason in str(err.value)


@pytest.mark.parametrize("request_kw, reason", [
    ({"limit": 0}, "limit"), ({"limit": 1000}, "limit"), ({"offset": -1}, "offset"),
    ({"date_from": "March 2024"}, "YYYY-MM-DD"), ({"date_from": "2024-05-01", "date_to": "2024-01-01"}, "empty"),
    ({"kinds": ("thing",)}, "type must be"),
])
def test_bad_requests_get_a_reason(index, request_kw, reason):
    with pytest.raises(InvalidSearch) as err:
        index.search(SearchRequest("export", **request_kw))
    assert reason in str(err.value)


def test_engine_syntax_in_words_is_just_text(index):
    # Field names, boosts and ranges typed by a user are searched as words, never run.
    assert index.search(SearchRequest("title:export")).total == index.search(SearchRequest('"title export"')).total
    assert index.search(SearchRequest("kind:claim")).total == 0
    assert index.search(SearchRequest("export^2")).total == index.search(SearchRequest('"export 2"')).total
    assert index.search(SearchRequest("date:[2020 TO 2030]")).total == 0


# -- replace and delete ------------------------------------------------------------------------

def test_replace_leaves_no_stale_hits(index):
    g, _ = DOCS[1]
    _, new = doc("d2", "Seoul and Tokyo drift apart", "A quarrel over fisheries.",
                 [("Fisheries talks collapsed.", [KOREA])], date="2025-01-05", author="bo-kim", publisher="ledger",
                 mentions=(KOREA,))
    IndexUpdater(index).graph_replaced(g, new)
    assert index.search(SearchRequest("rapprochement")).total == 0
    assert index.search(SearchRequest("chemicals")).total == 0
    assert iris(index.search(SearchRequest("fisheries", kinds=(Kind.CLAIM,)))) == [BASE + "article/d2/claim/1"]
    assert iris(index.search(SearchRequest("Japan", kinds=(Kind.ENTITY,)))) == [JAPAN]  # d1 still names it
    index.integrity_check()


def test_delete_removes_a_graph(index):
    g, _ = DOCS[2]
    IndexUpdater(index).graph_dropped(g)
    assert index.search(SearchRequest("sanctions")).total == 0
    assert g not in index.stamps()
    assert index.search(SearchRequest("export")).total > 0  # the others stay


def test_a_reader_in_read_only_mode_sees_committed_writes(index, tmp_path):
    reader = SearchIndex(tmp_path / "search", read_only=True)
    try:
        before = reader.search(SearchRequest("fisheries")).total
        g, nt = doc("d9", "Fisheries", "Fisheries again.", [])
        IndexUpdater(index).graph_replaced(g, nt)
        assert before == 0 and reader.search(SearchRequest("fisheries")).total == 1
        with pytest.raises(Exception, match="read-only"):
            reader.delete_graph(g)
    finally:
        reader.close()


# -- agreement with a real store ----------------------------------------------------------------

def test_reindex_repair_and_drift_against_an_oxigraph_store(tmp_path):
    with OxigraphStore(tmp_path / "store") as store, SearchIndex(tmp_path / "search") as ix:
        for g, nt in DOCS:
            store.replace_graph(g, nt)
        report = reindex(store, ix)
        assert set(report.rewritten) == {g for g, _ in DOCS} and not report.failed
        assert drifted(store, ix) == [] and suspects(store, ix) == []
        assert reindex(store, ix).rewritten == []  # stamps agree: nothing to write
        # Entries built from the store equal those built from the N-Triples the load step had.
        fresh = SearchIndex(tmp_path / "fresh")
        for g, nt in DOCS:
            IndexUpdater(fresh).graph_replaced(g, nt)
        assert fresh.stamps() == ix.stamps()
        fresh.close()

        # The store changes behind the index's back (a crash between the two writes):
        g1, _ = DOCS[0]
        _, changed = doc("d1", "Export controls revisited", "New text about tariffs.", [("Tariffs rise.", [CHINA])])
        updater = IndexUpdater(ix)
        updater.graphs_replacing([g1])
        store.replace_graph(g1, changed)
        g4, nt4 = doc("d4", "A new piece", "About quotas.", [])
        store.replace_graph(g4, nt4)
        store.drop_graph(DOCS[2][0])
        assert set(suspects(store, ix)) == {g1, g4, DOCS[2][0]}
        assert set(drifted(store, ix)) == {g1, g4, DOCS[2][0]}
        report = repair(store, ix)
        assert set(report.rewritten) == {g1, g4} and report.deleted == [DOCS[2][0]]
        assert drifted(store, ix) == [] and ix.pending() == []
        assert iris(ix.search(SearchRequest("tariffs", kinds=(Kind.CLAIM,)))) == [BASE + "article/d1/claim/1"]
        assert ix.search(SearchRequest("sanctions")).total == 0


def test_a_failed_write_leaves_the_index_as_it_was(index):
    from claimgraph.search import IndexedGraph, SearchEntry

    g, _ = DOCS[0]
    before = index.search(SearchRequest("export", limit=50))
    bad = IndexedGraph(g, (SearchEntry(BASE + "article/d1", Kind.ARTICLE, "x", "x", "x", states=(object(),)),),
                       stamp="sha256:bad")
    with pytest.raises(Exception):
        index.replace_graph(bad)
    assert index.search(SearchRequest("export", limit=50)) == before  # the queued delete of d1 was rolled back
    g5, nt5 = doc("d5", "Quotas", "Import quotas.", [])
    IndexUpdater(index).graph_replaced(g5, nt5)  # the writer still works
    assert index.search(SearchRequest("quotas")).total == 1
    assert iris(index.search(SearchRequest("export", limit=50))) == iris(before)  # (scores move with the corpus)
    index.integrity_check()


@pytest.mark.slow
def test_search_over_the_seeds(seed_store, tmp_path):
    """The seeds, indexed from the store the real flow built: ranked answers to a few questions."""
    with OxigraphStore(seed_store.path, read_only=True) as store, SearchIndex(tmp_path / "seeds") as ix:
        report = reindex(store, ix)
        assert not report.failed and drifted(store, ix) == []
        person = ix.search(SearchRequest("Yoon", kinds=(Kind.ENTITY,))).hits[0]
        assert person.category == "person" and "Yoon Suk" in person.label
        claims = ix.search(SearchRequest("rapprochement", kinds=(Kind.CLAIM,), limit=5)).hits
        assert len(claims) >= 3 and all("rapprochement" in h.label.lower() for h in claims)
        assert [h.score for h in claims] == sorted((h.score for h in claims), reverse=True)
        korea = ix.search(SearchRequest("South Korea", kinds=(Kind.ENTITY,))).hits[0]
        assert korea.category == "state"
        about_china = ix.search(SearchRequest("China", kinds=(Kind.CLAIM,), states=(BASE + "state/CHN",), limit=50))
        assert about_china.total > 0 and all("china" in h.label.lower() or "chinese" in h.label.lower()
                                             or "beijing" in h.label.lower() for h in about_china.hits)
        articles = ix.search(SearchRequest('"South Korea" Japan', kinds=(Kind.ARTICLE,))).hits
        assert {h.graph for h in articles} == {g for g in store.named_graphs() if "/graph/0" in g}


def test_one_writer_at_a_time_and_clear_errors(index, tmp_path):
    from claimgraph.search import SearchIndexError

    second = SearchIndex(tmp_path / "search")
    try:
        with pytest.raises(SearchIndexError, match="cannot write"):
            second.delete_graph(DOCS[0][0])
        assert second.search(SearchRequest("export")).total > 0  # reading is fine
    finally:
        second.close()
    with pytest.raises(SearchIndexError, match="no search index"):
        SearchIndex(tmp_path / "missing", read_only=True)


def test_an_article_without_a_headline_is_still_found(tmp_path):
    g, nt = doc("h1", "", "A long body about maritime patrols in the strait, and more words after it.", [])
    with SearchIndex(tmp_path / "h") as ix:
        IndexUpdater(ix).graph_replaced(g, nt)
        [hit] = ix.search(SearchRequest("patrols", kinds=(Kind.ARTICLE,))).hits
        assert hit.label.startswith("A long body about maritime patrols")
