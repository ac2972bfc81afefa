"""Fetch: files become SourceDocuments; bad files raise SourceError naming the file."""
from __future__ import annotations

from pathlib import Path

import pytest

from claimgraph.model import SourceError
from claimgraph.sources import ManifestError, discover_pages, load_manifest, read_source_file

from conftest import SEEDS, write_bad_inputs


def test_seed_manifest_describes_both_seeds():
    entries = load_manifest(SEEDS)
    assert set(entries) == {"000_b9eaa696b2f0318b.txt", "002_acf13e44b744af8d.txt"}
    assert entries["002_acf13e44b744af8d.txt"].publisher == "19FortyFive"
    assert entries["000_b9eaa696b2f0318b.txt"].language == "en"


def test_a_seed_reads_with_its_manifest_entry():
    path = SEEDS / "000_b9eaa696b2f0318b.txt"
    doc = read_source_file(path, load_manifest(SEEDS)[path.name])
    assert doc.source_id == "000_b9eaa696b2f0318b"
    assert doc.publisher == "ANKASAM"
    assert doc.location == "seeds/" + path.name  # its key: no absolute path of this machine
    assert len(doc.content_hash) == 64 and doc.size_bytes == path.stat().st_size


def test_a_file_without_manifest_entry_is_keyed_by_its_folder_and_name(tmp_path):
    (tmp_path / "inbox").mkdir()
    page = tmp_path / "inbox" / "my-page.txt"
    page.write_text("A title\n\nSome body text.", encoding="utf-8")
    doc = read_source_file(page)
    assert doc.source_id == "inbox~my-page.txt" and doc.location == "inbox/my-page.txt" and doc.publisher is None


def test_two_files_of_one_name_in_two_folders_are_two_documents(tmp_path):
    """a/report.txt and b/report.txt: two keys and two graphs, whether the folders or the files are
    given, and each ingested twice changes nothing (re-ingest idempotence)."""
    from claimgraph.pipeline import ingest
    from claimgraph.stores import OxigraphStore

    for folder, state in (("a", "Turkey"), ("b", "Japan")):
        (tmp_path / folder).mkdir()
        (tmp_path / folder / "report.txt").write_text(
            f"{state} and its neighbours\n\nBy Jane Doe\n\n{state} signed a new agreement with China in May. "
            f"Officials in {state} say the deal will last.\n", encoding="utf-8")
    with OxigraphStore(None) as store:
        first = ingest([tmp_path / "a", tmp_path / "b" / "report.txt"], store)
        assert sorted(o.source_id for o in first.loaded) == ["a~report.txt", "b~report.txt"], first.render()
        documents = lambda: {g: store.graph_size(g) for g in store.named_graphs()  # noqa: E731
                             if "/graph/" in g and "/graph/run/" not in g}
        before = documents()
        assert len(before) == 2, before
        again = ingest([tmp_path / "a" / "report.txt", tmp_path / "b"], store)
        assert sorted(o.source_id for o in again.loaded) == ["a~report.txt", "b~report.txt"]
        assert documents() == before  # the same two graphs, the same size: nothing duplicated
        keys = {r["k"].value for r in store.query("SELECT ?k WHERE { ?s <http://schema.org/identifier> ?k }")}
        assert keys == {"a/report.txt", "b/report.txt"}
        # no absolute path of this machine anywhere in the graph, run records included
        assert not store.query(f'ASK {{ GRAPH ?g {{ ?s ?p ?o FILTER(CONTAINS(STR(?o), "{tmp_path}") || '
                               f'CONTAINS(STR(?s), "{tmp_path}") || STRSTARTS(STR(?o), "file:")) }} }}')


@pytest.mark.parametrize("name,reason", [("empty.txt", "empty file"), ("binary.txt", "binary"),
                                          ("latin1.txt", "not valid utf-8"), ("huge.txt", "limit")])
def test_bad_files_raise_an_error_naming_the_file(tmp_path, name, reason):
    write_bad_inputs(tmp_path)
    with pytest.raises(SourceError) as err:
        read_source_file(tmp_path / name, max_bytes=5_000_000)
    assert reason in str(err.value) and name in str(err.value)


def test_latin1_reads_when_the_manifest_says_so(tmp_path):
    write_bad_inputs(tmp_path)
    (tmp_path / "manifest.yaml").write_text("sources:\n  - file: latin1.txt\n    encoding: latin-1\n")
    doc = read_source_file(tmp_path / "latin1.txt", load_manifest(tmp_path)["latin1.txt"])
    assert "Café" in doc.text


def test_broken_manifest_is_reported(tmp_path):
    (tmp_path / "manifest.yaml").write_text("sources: [ {file: a.txt\n")
    with pytest.raises(ManifestError, match="manifest.yaml"):
        load_manifest(tmp_path)


def test_discover_skips_the_manifest_and_hidden_files(tmp_path):
    for name in ["b.txt", "a.html", ".hidden.txt", "manifest.yaml", "notes.pdf"]:
        (tmp_path / name).write_text("x")
    assert [p.name for p in discover_pages([tmp_path])] == ["a.html", "b.txt"]


def test_an_html_page_is_decoded_as_a_browser_decodes_it(tmp_path):
    """An HTML file's encoding comes from the page (or the web's windows-1252 fallback for an
    unlabelled page that is not UTF-8); a text page stays strict UTF-8 unless its manifest says."""
    from claimgraph.sources.files import decode_html, read_source_file

    unlabelled = "<html><body><p>It\u2019s the \u201cend\u201d of caf\u00e9 diplomacy</p></body></html>".encode("cp1252")
    assert decode_html(unlabelled) == ("<html><body><p>It\u2019s the \u201cend\u201d of caf\u00e9 diplomacy</p></body></html>", "cp1252")
    labelled = '<meta charset="iso-8859-1"><p>na\u00efve</p>'.encode("latin-1")
    assert decode_html(labelled)[0].endswith("na\u00efve</p>")
    assert decode_html("<p>\u00fcber</p>".encode("utf-8"), "utf-8")[0] == "<p>\u00fcber</p>"
    assert decode_html(b"\xef\xbb\xbf<p>x</p>")[0] == "<p>x</p>"

    page = tmp_path / "page.html"
    page.write_bytes(unlabelled)
    assert "caf\u00e9" in read_source_file(page).text
    text = tmp_path / "page.txt"
    text.write_bytes("caf\u00e9".encode("cp1252"))
    with pytest.raises(SourceError, match="not valid utf-8"):
        read_source_file(text)
