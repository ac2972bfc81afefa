"""The real flow over seeds/ plus bad input: the summary names each bad file with
its reason, the seeds load, nothing from a failed file is in the store, and a
second run leaves the same triple count."""
from __future__ import annotations

from claimgraph.stores import OxigraphStore


def test_bad_files_are_reported_by_name_with_a_reason(seed_store):
    out = seed_store.first.stdout
    lines = {line.split()[1].rsplit("/", 1)[-1]: line for line in out.splitlines()[1:] if line.startswith("  ")}
    assert "empty" in lines["empty.txt"] and lines["empty.txt"].split()[0] == "failed"
    assert "binary" in lines["binary.txt"]
    assert "not valid utf-8" in lines["latin1.txt"] and "encoding" in lines["latin1.txt"]
    assert "limit" in lines["huge.txt"] and "CLAIMGRAPH_MAX_DOCUMENT_BYTES" in lines["huge.txt"]
    assert lines["000_b9eaa696b2f0318b.txt"].split()[0] == "loaded"
    assert lines["002_acf13e44b744af8d.txt"].split()[0] == "loaded"
    assert seed_store.first.returncode == 1  # some documents failed


def test_store_holds_only_the_seed_documents(seed_store):
    with OxigraphStore(seed_store.path, read_only=True) as store:
        graphs = store.named_graphs()
        doc_graphs = [g for g in graphs if "/graph/" in g and "/graph/run/" not in g]
        assert sorted(g.rsplit("/", 1)[-1] for g in doc_graphs) == ["000_b9eaa696b2f0318b", "002_acf13e44b744af8d"]
        assert "https://w3id.org/claimgraph/ontology" in graphs
        # nothing from the failed files anywhere, not even a source node
        hits = store.query('ASK { ?s ?p ?o FILTER(CONTAINS(STR(?s), "latin1") || CONTAINS(STR(?s), "huge") '
                           '|| CONTAINS(STR(?s), "empty") || CONTAINS(STR(?s), "binary")) }')
        assert not bool(hits)
        # the store's own default graph stays empty: everything is in named graphs
        assert not bool(store.query("ASK { ?s ?p ?o }", use_default_graph_as_union=False))


def test_second_ingest_leaves_the_same_triple_count(seed_store):
    assert seed_store.count_after_first > 1000
    assert seed_store.count_after_second == seed_store.count_after_first


def test_each_article_points_to_a_finished_run(seed_store):
    with OxigraphStore(seed_store.path, read_only=True) as store:
        rows = list(store.query(
            "PREFIX prov: <http://www.w3.org/ns/prov#> PREFIX cg: <https://w3id.org/claimgraph/ontology#> "
            "SELECT DISTINCT ?a ?run WHERE { ?a prov:wasGeneratedBy ?run . ?run prov:endedAtTime ?end ; cg:flowRunId ?id }"))
        assert len(rows) == 2
        assert len({r["run"].value for r in rows}) == 1  # both from the last run


def test_saved_html_pages_ingest_with_their_own_metadata(tmp_path):
    """`claimgraph ingest` of a folder of saved HTML: main text via trafilatura, the
    page's JSON-LD for headline, author and date (plain loop: the flow is covered above)."""
    import shutil

    from conftest import ROOT

    shutil.copy(ROOT / "tests" / "site" / "quad-korea.html", tmp_path / "quad-korea.html")
    from claimgraph.config import get_settings
    from claimgraph.pipeline import ingest

    with OxigraphStore(tmp_path / "store") as store:
        summary = ingest([tmp_path], store, get_settings())
        assert [o.status for o in summary.outcomes] == ["loaded"]
        rows = list(store.query(
            "PREFIX schema: <http://schema.org/> SELECT ?h ?d ?who WHERE { ?a a schema:Article ; "
            "schema:headline ?h ; schema:datePublished ?d ; schema:author/schema:name ?who }"))
        assert [(r["h"].value, r["d"].value, r["who"].value) for r in rows] == [
            ("Seoul Edges Toward the Quad", "2023-05-09", "Mina Park")]
        body = next(iter(store.query("PREFIX schema: <http://schema.org/> SELECT ?b WHERE { ?a schema:articleBody ?b }")))
        assert "<" not in body["b"].value  # text, not markup


def test_python_dash_m_claimgraph_is_the_command(tmp_path):
    """`python -m claimgraph` runs the same command line as the `claimgraph` script."""
    import subprocess
    import sys

    run = subprocess.run([sys.executable, "-m", "claimgraph", "eval", "--split", "inhouse", "--only", "seed_000",
                          "--json"], capture_output=True, text=True, timeout=600, cwd=tmp_path)
    assert run.returncode == 0, run.stderr
    assert '"split": "inhouse"' in run.stdout
