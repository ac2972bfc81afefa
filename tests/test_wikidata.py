"""Linking to Wikidata, against a real HTTP stand-in for Wikidata on 127.0.0.1.

Every client here caches into the test's own tmp folder: nothing a test
fetches (the stand-in's made-up Q9000000xx items included) reaches a folder
the project ships.
"""
from __future__ import annotations

from datetime import datetime, timezone
from pathlib import Path

import httpx
import pyoxigraph as ox
import pytest

from wikidata_standin import WikidataStandIn, start_standin  # noqa: E402

from claimgraph import vocab as V  # noqa: E402
from claimgraph.iris import Iris  # noqa: E402
from claimgraph.link import (  # noqa: E402
    THRESHOLD,
    LinkContext,
    LinkDecision,
    WikidataClient,
    WikidataHTTPError,
    WikidataOffline,
    WikidataSettings,
    bundled_qid,
    enrich,
    enrichment_query,
    link_decisions_ntriples,
    reconcile,
    reconcile_extraction,
)
from claimgraph.link.reconcile import CANDIDATE_MIN_SCORE, LINK_DECISION  # noqa: E402
from claimgraph.model import (  # noqa: E402
    Affiliation,
    Entity,
    EntityKind,
    Extraction,
    OrgKind,
    ParsedPage,
    SourceDocument,
)

IRIS = Iris("http://127.0.0.1:8000/id/")
WD = "http://www.wikidata.org/entity/"
WDT = "http://www.wikidata.org/prop/direct/"


@pytest.fixture(scope="module")
def standin():
    s = start_standin()
    yield s
    s.stop()


@pytest.fixture
def wd(standin: WikidataStandIn) -> WikidataStandIn:
    standin.reset()
    yield standin
    standin.reset()


def settings(standin: WikidataStandIn, cache: Path, **kw) -> WikidataSettings:
    values = dict(api_url=standin.api_url, sparql_url=standin.sparql_url, offline=False, cache_dir=cache,
                  max_requests_per_second=200, backoff_s=0.01, max_retries=2, timeout_s=5)
    values.update(kw)
    return WikidataSettings(**values)


@pytest.fixture
def client(wd, tmp_path):
    with WikidataClient(settings(wd, tmp_path / "cache")) as c:
        yield c


def place(name: str) -> Entity:
    return Entity(f"place/{name.lower()}", EntityKind.PLACE, name)


def person(name: str) -> Entity:
    return Entity("person/" + name.lower().replace(" ", "-").replace(".", ""), EntityKind.PERSON, name)


# ------------------------------------------------------------------ settings


def test_settings_from_env_default_offline(tmp_path):
    s = WikidataSettings.from_env({})
    assert s.offline is True
    assert s.api_url == "https://www.wikidata.org/w/api.php"
    assert s.sparql_url == "https://query.wikidata.org/sparql"
    s = WikidataSettings.from_env({
        "CLAIMGRAPH_WIKIDATA_API": "http://127.0.0.1:1/w/api.php",
        "CLAIMGRAPH_WIKIDATA_SPARQL": "http://127.0.0.1:1/sparql",
        "CLAIMGRAPH_WIKIDATA_OFFLINE": "false",
        "CLAIMGRAPH_WIKIDATA_CACHE": str(tmp_path),
    })
    assert (s.api_url, s.sparql_url, s.offline, s.cache_dir) == (
        "http://127.0.0.1:1/w/api.php", "http://127.0.0.1:1/sparql", False, tmp_path)
    # Wikimedia's User-Agent policy: name/version (contact) library/version
    assert s.user_agent.startswith("ClaimGraph/0.1.0 (https://")
    assert "python-httpx/" in s.user_agent


# ------------------------------------------------------------ bundled tables


def test_bundled_tables_by_kind_name_alias_and_code():
    assert bundled_qid(Entity("state/KOR", EntityKind.STATE, "South Korea")) == "Q884"
    assert bundled_qid(Entity("state/GEO", EntityKind.STATE, "Georgia")) == "Q230"
    assert bundled_qid(Entity("state/x", EntityKind.STATE, "Cabo Verde")) == "Q1011"  # a countries.csv alias
    assert bundled_qid(Entity("state/DDR", EntityKind.STATE, "West Germany", historical=True)) == "Q713750"
    assert bundled_qid(Entity("state/DEU", EntityKind.STATE, "Germany")) == "Q183"
    assert bundled_qid(Entity("person/joe-biden", EntityKind.PERSON, "Joe Biden")) == "Q6279"
    assert bundled_qid(Entity("org/nato", EntityKind.ORGANIZATION, "North Atlantic Treaty Organization",
                              alternate_names={"NATO"})) == "Q7184"
    assert bundled_qid(Entity("place/washington-d-c", EntityKind.PLACE, "Washington, D.C.")) == "Q61"
    # kind matters: Reuters is an organization, not a person; unknown names give None
    assert bundled_qid(Entity("person/reuters", EntityKind.PERSON, "Reuters")) is None
    assert bundled_qid(Entity("org/ankasam", EntityKind.ORGANIZATION, "ANKASAM")) is None
    assert bundled_qid(place("Georgia")) is None  # countries.csv is for states only


def test_offline_mode_makes_no_requests_and_uses_bundled_tables(wd, tmp_path):
    with WikidataClient(settings(wd, tmp_path / "cache", offline=True)) as c:
        korea = reconcile(Entity("state/KOR", EntityKind.STATE, "South Korea"), None, c)
        kishida = reconcile(person("Fumio Kishida"), None, c)
        georgia = reconcile(place("Georgia"), LinkContext(qids={"Q159"}), c)
        with pytest.raises(WikidataOffline, match="not in the cache"):
            c.search("Georgia")
        facts = enrich(["Q884"], c, graph_iri="http://127.0.0.1:8000/id/graph/wikidata")
    assert wd.count() == 0 and c.stats.requests == 0
    assert (korea.qid, korea.method, korea.score) == ("Q884", "bundled-table", 1.0)
    assert (kishida.qid, kishida.method) == ("Q359480", "bundled-table")
    assert georgia.qid is None and georgia.candidates == [] and "offline" in georgia.error
    assert "P298" not in facts and "prov#wasDerivedFrom" in facts  # only the graph's provenance


# ------------------------------------------------------------ client basics


def test_search_candidates_ranked_and_entities_typed(client, wd):
    hits = client.search("Georgia")
    assert [h.qid for h in hits] == ["Q230", "Q1428"]
    assert hits[0].label == "Georgia" and hits[0].description == "country in the Caucasus" and hits[0].rank == 0
    ents = client.get_entities(["Q230", "Q1428", "Q900000999"])
    assert set(ents) == {"Q230", "Q1428"}  # a missing item is left out
    from claimgraph.link.wikidata import item_values

    assert item_values(ents["Q230"], ["P31"]) == {"Q6256", "Q3624078"}
    assert all(r.user_agent.startswith("ClaimGraph/") for r in wd.requests)
    # the stand-in refuses a generic User-Agent, as Wikimedia does
    assert httpx.get(wd.api_url, params={"action": "wbsearchentities", "search": "x", "format": "json"}).status_code == 403


def test_get_entities_batches_fifty_ids(client, wd):
    ids = [f"Q{900000500 + i}" for i in range(120)] + ["Q230"]
    got = client.get_entities(ids, props="labels")
    assert set(got) == {"Q230"}
    assert wd.count(action="wbgetentities") == 3
    assert all(len(r.params["ids"].split("|")) <= 50 for r in wd.requests)


def test_rate_limit_spaces_requests(wd, tmp_path):
    with WikidataClient(settings(wd, tmp_path / "c", max_requests_per_second=5)) as c:
        for name in ["Georgia", "Russia", "Japan", "Washington", "Kelly"]:
            c.search(name)
    # The gaps the stand-in saw between arrivals: 0.2 s apart as sent, a few ms without the limit.
    # Half of it leaves room for one request reaching a busy machine's server late.
    times = [r.at for r in wd.requests]
    gaps = [b - a for a, b in zip(times, times[1:])]
    assert len(gaps) == 4 and min(gaps) >= 0.1, gaps


# ------------------------------------------------------------ disambiguation


def test_ambiguous_name_resolved_by_context(client):
    d = reconcile(place("Georgia"), LinkContext(qids={"Q159"}, names={"Tbilisi"}), client)
    assert d.qid == "Q230" and d.score >= THRESHOLD and d.method == "wikidata-search"
    assert [c[0] for c in d.candidates] == ["Q230", "Q1428"]
    assert d.candidates[0][2] > d.candidates[1][2]
    # Russia's item alone (Georgia borders it) is enough; a name alone is not, against a rival
    assert reconcile(place("Georgia"), LinkContext(qids={"Q159"}), client).qid == "Q230"
    by_name = reconcile(place("Georgia"), LinkContext(names={"Tbilisi"}), client)
    assert by_name.qid is None and by_name.candidates[0][0] == "Q230"


def test_ambiguous_name_without_context_left_as_candidates(client):
    d = reconcile(place("Georgia"), LinkContext(), client)
    assert d.qid is None
    assert {c[0] for c in d.candidates} == {"Q230", "Q1428"}
    assert all(c[2] < THRESHOLD for c in d.candidates)
    w = reconcile(place("Washington"), None, client)
    assert w.qid is None
    assert {c[0] for c in w.candidates} == {"Q1223", "Q61"}  # the state and the city: for a person to review
    assert ("Q23", "George Washington", "a human, not a place") in w.rejected
    nt = link_decisions_ntriples([w], IRIS)
    node = IRIS.entity("place/washington")
    assert f"<{node}> <{V.SKOS}closeMatch> <{WD}Q1223> ." in nt
    assert f"<{node}> <{V.SKOS}closeMatch> <{WD}Q61> ." in nt
    assert "sameAs" not in nt


def test_type_mismatch_rejected(client):
    as_person = reconcile(person("Washington"), None, client)
    assert [c[0] for c in as_person.candidates] == ["Q23"]
    assert {r[0] for r in as_person.rejected} == {"Q1223", "Q61"}
    assert all("not a human" in r[2] for r in as_person.rejected)
    as_org = reconcile(Entity("org/georgia", EntityKind.ORGANIZATION, "Georgia"), None, client)
    assert as_org.qid is None and as_org.candidates == [] and len(as_org.rejected) == 2
    as_state = reconcile(Entity("state/GEO", EntityKind.STATE, "Georgia"), None, client, use_bundled=False)
    assert [c[0] for c in as_state.candidates] == ["Q230"]
    assert as_state.rejected[0][0] == "Q1428" and "not a country" in as_state.rejected[0][2]
    # a type that is only a deprecated statement does not count
    dep = reconcile(Entity("org/x", EntityKind.ORGANIZATION, "Example Deprecated Party"), None, client)
    assert dep.candidates == [] and "no instance-of" in dep.rejected[0][2]


def test_many_namesakes_and_context_for_people(client):
    kelly = reconcile(person("Kelly"), None, client)
    assert kelly.qid is None
    humans = [c for c in kelly.candidates if c[2] >= CANDIDATE_MIN_SCORE]
    assert len(humans) >= 2  # two people called just "Kelly": not ours to choose
    assert any("family name" in c[1] or c[0] == "Q900000013" for c in kelly.rejected)
    plain = reconcile(person("Robert E. Kelly"), None, client)
    assert plain.qid is None and plain.candidates[0][0] == "Q900000011"  # a unique name alone is not enough
    assert plain.candidates[0][2] == pytest.approx(1 / 1.5, abs=0.001)
    employer = reconcile(person("Robert E. Kelly"), LinkContext(qids={"Q53122"}), client)  # Pusan National University
    assert employer.qid == "Q900000011" and employer.score >= THRESHOLD
    role = reconcile(person("Robert E. Kelly"), LinkContext(role="Professor"), client)
    assert role.qid == "Q900000011"


def test_organization_subclass_and_kind(client):
    org = Entity("org/example-national-university", EntityKind.ORGANIZATION, "Example National University",
                 org_kind=OrgKind.UNIVERSITY)
    alone = reconcile(org, None, client)  # its class is a subclass of university (Q3918) via P279
    assert alone.qid is None and alone.candidates[0][0] == "Q900000022"
    assert alone.candidates[0][2] == pytest.approx(0.75, abs=0.001)
    in_korea = reconcile(org, LinkContext(country="Q884"), client)
    assert in_korea.qid == "Q900000022"


# ------------------------------------------------------------ errors, retries


def test_429_with_retry_after_waits_and_retries(wd, tmp_path):
    with WikidataClient(settings(wd, tmp_path / "c")) as c:
        wd.fail_next(429, retry_after="1")
        hits = c.search("Georgia")
    assert [h.qid for h in hits][:1] == ["Q230"]
    assert [r.status for r in wd.requests] == [429, 200]
    assert c.stats.retries == 1
    # Retry-After honoured, as the stand-in saw it: 1 s between the tries against backoff_s's
    # 0.01 s without it (half the second, for a busy machine's late arrival of the first)
    assert wd.requests[1].at - wd.requests[0].at >= 0.5


def test_503_retry_after_and_sparql(wd, tmp_path):
    with WikidataClient(settings(wd, tmp_path / "c")) as c:
        wd.fail_next(503, times=2, retry_after="0.2", path="/sparql")
        facts = enrich(["Q884"], c, graph_iri="http://127.0.0.1:8000/id/graph/wikidata", strict=True)
    assert [r.status for r in wd.requests] == [503, 503, 200]
    assert '"KOR"' in facts


def test_retry_after_too_long_is_a_clear_error(wd, tmp_path):
    with WikidataClient(settings(wd, tmp_path / "c", max_retry_after_s=5)) as c:
        wd.fail_next(429, retry_after="3600")
        with pytest.raises(WikidataHTTPError, match="Retry-After 3600s"):
            c.search("Georgia")
    assert wd.count() == 1
    assert c.stats.retries == 0 and c.stats.waited_s == 0  # refused at once, no wait scheduled


def test_retries_are_bounded(wd, tmp_path):
    with WikidataClient(settings(wd, tmp_path / "c", max_retries=3)) as c:
        wd.fail_always(429, retry_after="0")
        with pytest.raises(WikidataHTTPError, match="after 4 tries: HTTP 429"):
            c.search("Georgia")
    assert wd.count() == 4


def test_500_is_a_clear_error_and_the_batch_goes_on(wd, tmp_path):
    entities = [Entity("state/KOR", EntityKind.STATE, "South Korea"), place("Georgia"), person("Kelly")]
    wd.fail_always(500)
    with WikidataClient(settings(wd, tmp_path / "c", max_retries=2)) as c:
        decisions = [reconcile(e, LinkContext(qids={"Q159"}), c) for e in entities]
    assert decisions[0].qid == "Q884"
    for d in decisions[1:]:
        assert d.qid is None and d.candidates == []
        assert "HTTP 500" in d.error and "after 3 tries" in d.error and "wbsearchentities" in d.error
    assert wd.count() == 6  # 2 entities x (1 try + 2 retries)
    nt = link_decisions_ntriples(decisions, IRIS)
    assert "HTTP 500" in nt  # the reason is recorded on the decision (rdfs:comment)
    # errors are not cached: once Wikidata is back, the same run works
    wd.reset()
    with WikidataClient(settings(wd, tmp_path / "c")) as c:
        assert reconcile(place("Georgia"), LinkContext(qids={"Q159"}), c).qid == "Q230"


# ------------------------------------------------------------------- cache


def test_second_run_is_served_from_cache(wd, tmp_path):
    cache = tmp_path / "cache"
    cases = [(place("Georgia"), LinkContext(qids={"Q159"})), (person("Kelly"), None),
             (person("Robert E. Kelly"), LinkContext(qids={"Q53122"})), (place("Washington"), None)]

    def run(**kw):
        with WikidataClient(settings(wd, cache, **kw)) as c:
            decisions = [reconcile(e, ctx, c) for e, ctx in cases]
            facts = enrich(["Q230", "Q884"], c, graph_iri="http://127.0.0.1:8000/id/graph/wikidata")
        return [(d.qid, d.candidates, d.rejected) for d in decisions], sorted(
            line for line in facts.splitlines() if "generatedAtTime" not in line)

    first = run()
    assert wd.count() > 0
    assert list(cache.rglob("*.json"))
    wd.reset()
    assert run() == first
    assert wd.count() == 0  # a rerun makes no calls
    assert run(offline=True) == first  # and the cache serves offline mode too
    assert wd.count() == 0


# -------------------------------------------------------------- enrichment


def test_enrichment_query_is_one_values_query_per_batch(wd, client):
    q = enrichment_query(["Q884", "Q17"])
    assert "VALUES ?item { wd:Q884 wd:Q17 }" in q and "wdt:P297" in q and "rdfs:label" in q
    with pytest.raises(ValueError):
        enrichment_query(["Q1 } DROP ALL {"])
    with pytest.raises(ValueError):
        enrichment_query([f"Q{i}" for i in range(1, 52)])
    enrich([f"Q{i}" for i in range(1, 121)], client, graph_iri="http://127.0.0.1:8000/id/graph/wikidata")
    sparql = [r for r in wd.requests if r.path == "/sparql"]
    assert len(sparql) == 3
    assert all("application/sparql-results+json" in r.accept for r in sparql)


def test_enrichment_parses_and_joins_local_entities(client, wd):
    graph = "http://127.0.0.1:8000/id/graph/wikidata"
    facts = enrich(["Q884", "Q7184", "Q30"], client, graph_iri=graph)
    store = ox.Store()
    store.load(facts.encode(), format=ox.RdfFormat.N_TRIPLES, to_graph=ox.NamedNode(graph))
    # a document graph: local entities linked by the bundled tables
    korea = Entity("state/KOR", EntityKind.STATE, "South Korea")
    nato = Entity("org/nato", EntityKind.ORGANIZATION, "NATO")
    decisions = [reconcile(korea, None, client), reconcile(nato, None, client)]
    doc = link_decisions_ntriples(decisions, IRIS, source_id="doc1")
    doc += f'<{IRIS.entity("state/KOR")}> <{V.SCHEMA}name> "South Korea" .\n'
    store.load(doc.encode(), format=ox.RdfFormat.N_TRIPLES, to_graph=ox.NamedNode(IRIS.graph("doc1")))
    rows = list(store.query(f"""
        PREFIX owl: <{V.OWL}> PREFIX wdt: <{WDT}> PREFIX rdfs: <{V.RDFS}> PREFIX schema: <{V.SCHEMA}>
        SELECT ?name ?iso ?ko WHERE {{
          GRAPH <{IRIS.graph("doc1")}> {{ ?e schema:name ?name ; owl:sameAs ?item }}
          GRAPH <{graph}> {{ ?item wdt:P298 ?iso ; rdfs:label ?ko FILTER(LANG(?ko) = "ko") }}
        }}"""))
    assert [(r["name"].value, r["iso"].value, r["ko"].value) for r in rows] == [("South Korea", "KOR", "대한민국")]
    inception = list(store.query(f"""SELECT ?d WHERE {{ GRAPH <{graph}> {{ <{WD}Q7184> <{WDT}P571> ?d }} }}"""))
    assert inception[0]["d"].datatype.value == V.XSD + "dateTime"
    members = list(store.query(f"""SELECT ?l WHERE {{ GRAPH <{graph}> {{
        <{WD}Q30> <{WDT}P463> ?org . ?org <{V.RDFS}label> ?l FILTER(LANG(?l) = "en") }} }}"""))
    assert members[0]["l"].value == "NATO"
    prov = {(str(q.predicate.value), q.object.value) for q in store.quads_for_pattern(ox.NamedNode(graph), None, None)}
    assert (V.PROV + "wasDerivedFrom", wd.sparql_url) in prov
    assert any(p == V.PROV + "generatedAtTime" for p, _ in prov)


# ------------------------------------------------------------ decisions as RDF


def test_link_decisions_ntriples_parse_and_record_provenance(client):
    decisions = [
        reconcile(Entity("state/KOR", EntityKind.STATE, "South Korea"), None, client),
        reconcile(place("Georgia"), LinkContext(qids={"Q159"}), client),
        reconcile(person("Kelly"), None, client),
    ]
    nt = link_decisions_ntriples(decisions, IRIS, source_id="doc1")
    store = ox.Store()
    store.load(nt.encode(), format=ox.RdfFormat.N_TRIPLES, to_graph=ox.NamedNode(IRIS.graph("doc1")))
    rows = {r["e"].value: (r["method"].value, float(r["score"].value), r["t"].value if r["t"] else None)
            for r in store.query(f"""
        PREFIX prov: <{V.PROV}> PREFIX cg: <{V.CG}>
        SELECT ?e ?method ?score ?t WHERE {{
          ?d a prov:Activity , <{LINK_DECISION}> ; prov:used ?e ; cg:linkMethod ?method ; cg:linkScore ?score ;
             prov:endedAtTime ?when ; prov:wasAssociatedWith ?agent .
          ?agent a prov:SoftwareAgent .
          OPTIONAL {{ ?d cg:linkTarget ?t }}
        }}""", use_default_graph_as_union=True)}
    assert rows[IRIS.entity("state/KOR")] == ("bundled-table", 1.0, WD + "Q884")
    method, score, target = rows[IRIS.entity("place/georgia")]
    assert (method, target) == ("wikidata-search", WD + "Q230") and score >= THRESHOLD
    assert rows[IRIS.entity("person/kelly")][2] is None
    assert f"<{IRIS.entity('place/georgia')}> <{V.OWL}sameAs> <{WD}Q230> ." in nt
    assert f"<{IRIS.entity('person/kelly')}> <{V.SKOS}closeMatch> <{WD}Q900000014> ." in nt
    cands = list(store.query(f"""PREFIX cg: <{V.CG}> SELECT ?item ?s WHERE {{
        ?d <{V.PROV}used> <{IRIS.entity('person/kelly')}> ; cg:linkCandidate ?c . ?c cg:candidateItem ?item ; cg:linkScore ?s
        }} ORDER BY DESC(?s)""", use_default_graph_as_union=True))
    assert cands[0]["item"].value == WD + "Q900000014" and len(cands) >= 2
    with pytest.raises(ValueError):
        link_decisions_ntriples([LinkDecision("x/y", "not-a-qid", 1.0, "given")], IRIS)


def test_reconcile_extraction_uses_the_documents_context(client):
    now = datetime.now(timezone.utc)
    source = SourceDocument("doc1", "file:///doc1.txt", "text", "0" * 64, "text/plain", now, 4)
    page = ParsedPage("t", None, None, [], "", [], [], [], [], [], [])
    ex = Extraction(source=source, page=page, headline="t", author_keys=["person/robert-e-kelly"], publisher_key=None)
    ex.add_entity(Entity("state/RUS", EntityKind.STATE, "Russia", wikidata="Q159"))
    ex.add_entity(place("Georgia"))
    ex.add_entity(person("Robert E. Kelly"))
    ex.add_entity(Entity("org/pusan-national-university", EntityKind.ORGANIZATION, "Pusan National University",
                         org_kind=OrgKind.UNIVERSITY))
    ex.add_entity(Entity("group/progressives", EntityKind.GROUP, "South Korean progressives"))
    ex.affiliations.append(Affiliation("person/robert-e-kelly", "org/pusan-national-university", role="Professor"))
    decisions = {d.entity_key: d for d in reconcile_extraction(ex, client)}
    assert decisions["state/RUS"].method == "bundled-table"
    assert decisions["org/pusan-national-university"].qid == "Q53122"
    assert decisions["place/georgia"].qid == "Q230"  # Russia in the same article
    assert decisions["person/robert-e-kelly"].qid == "Q900000011"  # his employer's item
    assert "group/progressives" not in decisions
    assert ex.entities["place/georgia"].wikidata == "Q230"  # applied: the mapping writes owl:sameAs
