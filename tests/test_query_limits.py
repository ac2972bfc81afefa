"""The checks that decide a query before anything evaluates it: the limits on its text,
the normalised allow-lists of SERVICE and LOAD, and who gets a worker (FairShare).
Plain functions and classes; the servers that use them are in test_query_isolation.py."""
from __future__ import annotations

import pytest

from claimgraph.api import sparql, update
from claimgraph.api.allowlist import Allowlist, normalise_iri, remove_dot_segments
from claimgraph.api.answers import ProtocolError
from claimgraph.api.query_limits import QueryLimits, check_query_limits
from claimgraph.api.query_pool import FairShare, Job, PoolSettings
from deep_queries import SHAPES, nested_filter_10kb

LIMITS = QueryLimits()


def refusal(text: str, limits: QueryLimits = LIMITS, operation: str = "query") -> str | None:
    try:
        check_query_limits(text, limits, operation)
    except ProtocolError as exc:
        assert exc.status == 400
        return exc.message
    return None


# ----------------------------------------------------------------------------- limits


def test_the_10kb_nested_filter_is_refused_naming_the_nesting_limit():
    message = refusal(nested_filter_10kb())
    assert message and "CLAIMGRAPH_QUERY_MAX_NESTING" in message and "100" in message


@pytest.mark.parametrize("name", sorted(SHAPES))
def test_every_deep_shape_is_fine_small_and_each_limit_is_named_when_long(name):
    assert refusal(SHAPES[name](10)) is None
    message = refusal(SHAPES[name](20_000))
    flat = {"filter_in_list", "filter_not_in_list", "filter_concat_args", "filter_coalesce_args", "values_rows",
            "order_by_long", "group_by_long"}  # lists, not chains: they evaluate fine
    if name in flat:
        assert message is None
    else:
        assert message and any(s in message for s in (
            "CLAIMGRAPH_QUERY_MAX_NESTING", "CLAIMGRAPH_QUERY_MAX_OPERATORS", "CLAIMGRAPH_QUERY_MAX_PATTERNS"))


def test_size_limit_and_each_setting_applies():
    assert "CLAIMGRAPH_QUERY_MAX_CHARS" in refusal("ASK {}" + " " * 1_000_000)
    small = QueryLimits(max_chars=100, max_nesting=2, max_operators=3, max_patterns=3)
    assert "CLAIMGRAPH_QUERY_MAX_CHARS" in refusal("SELECT * WHERE { ?s ?p ?o }" + " " * 100, small)
    assert "CLAIMGRAPH_QUERY_MAX_NESTING" in refusal("ASK { { { } } }", small)
    assert "CLAIMGRAPH_QUERY_MAX_OPERATORS" in refusal("ASK { FILTER(1 + 2 + 3 + 4 > 0) }", small)
    assert "CLAIMGRAPH_QUERY_MAX_PATTERNS" in refusal("ASK { ?a ?b ?c . ?d ?e ?f . ?g ?h ?i . ?j ?k ?l . }", small)
    assert "update is too complex" in refusal("INSERT DATA { <a:b> <a:c> (((1))) }", small, "update")


def test_strings_comments_and_iris_do_not_count():
    hidden = '"' + "(" * 500 + "+" * 2000 + '" ' + "# " + "{" * 500 + "\n <http://x/" + "." * 2000 + ">"
    assert refusal(f"SELECT * WHERE {{ ?s ?p {hidden} }}") is None


def test_argument_commas_are_not_patterns_but_object_lists_are():
    args = ", ".join(["1"] * 3000)
    assert refusal(f"SELECT * WHERE {{ ?s ?p ?o FILTER(?o IN ({args})) }}") is None
    assert "PATTERNS" in refusal(f"SELECT * WHERE {{ ?s ?p {args} }}")


def test_rows_of_data_are_flat_but_collections_are_patterns():
    rows = " ".join(f'({i} "r{i}"^^<http://www.w3.org/2001/XMLSchema#string> -{i})' for i in range(5000))
    assert refusal(f"SELECT * WHERE {{ VALUES (?a ?b ?c) {{ {rows} }} }}") is None
    triples = " ".join(f'<http://e/s{i}> <http://e/p> "{i}"^^<http://www.w3.org/2001/XMLSchema#integer> .'
                       for i in range(5000))
    assert refusal(f"INSERT DATA {{ GRAPH <http://e/g> {{ {triples} }} }}", operation="update") is None
    assert "PATTERNS" in refusal(f"DELETE WHERE {{ {triples.replace('^^', ' . ?x ?y ')} }}", operation="update")
    assert "PATTERNS" in refusal("SELECT * WHERE { ?s ?p (" + " ".join(["1"] * 1001) + ") }")
    assert "NESTING" in refusal("INSERT DATA { <http://e/s> <http://e/p> " + "(" * 200 + ")" * 200 + " }")


def test_a_pname_keeping_the_triples_dot_still_counts_it():
    bgp = " ".join(f"?s ex:p ex:o{i}." for i in range(1500))
    assert "PATTERNS" in refusal(f"PREFIX ex: <http://e/> SELECT * WHERE {{ {bgp} }}")


def test_limits_come_from_settings():
    from claimgraph.config import Settings

    limits = QueryLimits.from_settings(Settings(query_max_nesting=7, query_max_chars=50))
    assert (limits.max_nesting, limits.max_chars, limits.max_operators) == (7, 50, 1000)


# ----------------------------------------------------------------------------- allow-lists


def test_normalise_iri():
    assert normalise_iri("HTTPS://Query.WikiData.org:443/sparql") == "https://query.wikidata.org/sparql"
    assert normalise_iri("http://h.example.:80/a/./b/../c?x=%7e%2f#frag") == "http://h.example/a/c?x=~%2F"
    assert normalise_iri("http://h.example") == "http://h.example/"
    assert normalise_iri("http://h.example:8080/%61%62") == "http://h.example:8080/ab"
    assert normalise_iri("http://[::1]:80/x") == "http://[::1]/x"
    assert normalise_iri("http://bücher.example/") == "http://xn--bcher-kva.example/"
    for bad in ["ftp://h/x", "file:///etc/passwd", "http://user@h/x", "http:///x", "http://h:99999/",
                "http://h/a%2F..%2Fb", "http://h\\@evil/", "relative/path"]:
        with pytest.raises(ValueError):
            normalise_iri(bad)
    assert remove_dot_segments("/a/b/c/./../../g") == "/a/g"
    assert remove_dot_segments("mid/content=5/../6") == "mid/6"


def test_allowlist_compares_normal_forms_never_raw_prefixes():
    gate = Allowlist(["http://good.example/data/", "https://query.wikidata.org/sparql"])
    for allowed in ["http://good.example/data/x.ttl", "HTTP://GOOD.example:80/data/sub/x.ttl",
                    "http://good.example/other/../data/x", "http://good.example/data/%78.ttl",
                    "https://QUERY.wikidata.org:443/sparql", "https://query.wikidata.org/./sparql",
                    "http://good.example./data/x"]:
        assert gate.allows(allowed), allowed
    for refused in ["http://good.example/data/../admin", "http://good.example/data/%2e%2e/admin",
                    "http://good.example/data", "http://good.example/database", "http://good.example.evil/data/x",
                    "http://good.example:8080/data/x", "https://good.example/data/x",
                    "http://good.example@evil.example/data/x", "http://evil.example/?http://good.example/data/",
                    "https://query.wikidata.org/sparql/", "https://query.wikidata.org/sparql/../admin",
                    "http://good.example/data%2F..%2F..%2Fadmin", "not an iri"]:
        assert not gate.allows(refused), refused
    with pytest.raises(ValueError):
        Allowlist(["query.wikidata.org/sparql"])  # an operator's typo is not silently ignored


def test_service_and_load_gates_use_the_normal_forms():
    allow = ["https://query.wikidata.org/sparql"]
    sparql.check_services(sparql.scan_query("SELECT * { SERVICE <HTTPS://query.wikidata.org:443/sparql> {} }"), allow)
    sparql.check_services(sparql.scan_query(
        "BASE <https://query.wikidata.org/x/> SELECT * { SERVICE <../sparql> {} }"), allow)
    with pytest.raises(ProtocolError) as info:
        sparql.check_services(sparql.scan_query(
            "SELECT * { SERVICE <https://query.wikidata.org/sparql/../../admin> {} }"), allow)
    assert info.value.status == 400 and "refused" in info.value.message
    update.check_loads(update.scan_update("LOAD <http://GOOD.example/d/./x.ttl>"), ["http://good.example/d/"])
    with pytest.raises(ProtocolError):
        update.check_loads(update.scan_update("LOAD <http://good.example/d/../secret.ttl>"), ["http://good.example/d/"])


# ----------------------------------------------------------------------------- fair share


def job(client: str, arrived: float) -> Job:
    return Job(client, b"", arrived, deadline=None)


def test_fair_share_keeps_a_reserve_for_proven_clients():
    share = FairShare(PoolSettings(workers=4, reserve=1, per_client=3, per_client_waiting=2, queue=8,
                                   heavy_after_s=1.0, usage_half_life_s=30))
    share.usage.add("proven", 0.01, now=0.0)  # answered quickly before
    # a heavy client (10 worker-seconds recently) fills what it may: 3 of 4 workers
    share.usage.add("heavy", 10.0, now=0.0)
    runaways = [job("heavy", 0.0) for _ in range(5)]
    for j in runaways:
        share.enqueue(j)
    for _ in range(3):
        share.start(share.next_job(1.0), 1.0)
    assert share.next_job(1.0) is None  # the fourth worker stays free: its client's share is taken
    # ... and its waiting room is full now: a sixth query is refused with 429 at once
    assert share.refusal("heavy").status == 429
    # a new address waits too: the last worker is kept for clients answered before
    newcomer = job("new", 1.5)
    share.enqueue(newcomer)
    assert share.standing("new", 1.5) == share.UNKNOWN and share.next_job(1.5) is None
    # the proven client is served by the free worker, before anyone else
    cheap = job("proven", 2.0)
    share.enqueue(cheap)
    assert share.next_job(2.0) is cheap
    share.start(cheap, 2.0)
    share.finish(cheap, 2.01)
    assert share.standing("proven", 2.01) == share.PROVEN
    assert share.standing("heavy", 2.01) == share.HEAVY and share.used("heavy", 2.01) > 10
    assert share.victim(2.01) is None  # heavy within its share: nobody is stopped


def test_fair_share_stops_the_longest_heavy_query_when_a_proven_client_waits():
    share = FairShare(PoolSettings(workers=2, reserve=1, per_client=2, per_client_waiting=4, queue=8,
                                   heavy_after_s=1.0, usage_half_life_s=30))
    share.usage.add("c", 0.01, now=0.0)
    first, second = job("a", 0.0), job("b", 0.5)
    for j in (first, second):  # two new addresses: their queries start while nothing else waits
        share.enqueue(j)
        share.start(j, j.arrived)
    newcomer, cheap = job("d", 0.6), job("c", 0.6)
    share.enqueue(newcomer)
    assert share.victim(5.0) is None  # a new address could not take the freed worker (the reserve): no kill
    share.enqueue(cheap)
    assert share.victim(0.7) is None  # nobody has run long yet: wait for a worker
    assert share.victim(5.0) is first  # both ran long (heavy, over their share): the longest one goes
    share.finish(first, 5.0)
    assert share.next_job(5.0) is cheap


def test_fair_share_usage_decays():
    share = FairShare(PoolSettings(heavy_after_s=1.0, usage_half_life_s=10))
    share.usage.add("x", 4.0, now=0.0)
    assert share.heavy("x", 0.0) and abs(share.used("x", 10.0) - 2.0) < 1e-9 and not share.heavy("x", 30.0)


def test_a_store_in_memory_gets_the_limits_too(tmp_path):
    """An in-memory store evaluates in threads (no worker can open it): the limits are its guard."""
    import warnings

    from claimgraph.api.app import create_app
    from claimgraph.config import Settings
    from claimgraph.stores import OxigraphStore

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        from fastapi.testclient import TestClient
    store = OxigraphStore(None)
    store.update('INSERT DATA { GRAPH <http://e/g> { <http://e/s> <http://e/p> "o" } }')
    with TestClient(create_app(Settings(store=tmp_path / "unused"), store)) as client:
        r = client.post("/sparql", content=nested_filter_10kb().encode(),
                        headers={"Content-Type": "application/sparql-query"})
        assert r.status_code == 400 and "CLAIMGRAPH_QUERY_MAX_NESTING" in r.text
        r = client.get("/sparql", params={"query": "SELECT ?o WHERE { ?s ?p ?o }"},
                       headers={"Accept": "text/csv"})
        assert r.status_code == 200 and r.text.split() == ["o", "o"]


def test_hand_out_starts_at_most_the_free_workers_and_drops_jobs_already_gone():
    """Both pools (local workers, remote slots) dispatch through FairShare.hand_out."""
    import asyncio

    loop = asyncio.new_event_loop()
    try:
        share = FairShare(PoolSettings(workers=4, reserve=0, per_client=4, per_client_waiting=4, queue=8,
                                       heavy_after_s=100.0, usage_half_life_s=30))
        jobs = [job(c, float(i)) for i, c in enumerate(["a", "b", "c", "d"])]
        for j in jobs:
            j.assigned = loop.create_future()
            share.enqueue(j)
        jobs[0].assigned.cancel()  # its client went away while it waited
        started = share.hand_out(5.0, free=2)
        assert started == jobs[1:3] and all(j.started == 5.0 for j in started)
        assert share.waiting == [jobs[3]] and jobs[0] not in share.running
        assert share.to_preempt(5.0, free=0) is None  # nobody heavy: nothing to stop
        assert share.hand_out(6.0, free=0) == [] and share.waiting == [jobs[3]]
    finally:
        loop.close()
