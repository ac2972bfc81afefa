"""`claimgraph eval`: the whole path on a corpus split, read back with SPARQL and scored.

The in-house split (tests/corpus/inhouse: the seeds and pages written here as unit
fixtures) runs end to end through a real ingest into an in-memory Oxigraph store;
its minimum levels guard against regressions, they are no evidence of how the
path does on pages nobody here wrote (that is the dev/test corpus)."""
from __future__ import annotations

import json
import shutil
import sys
from pathlib import Path

import pytest

from claimgraph.evaluate import (
    EvalReport, GoldPage, Named, Predicted, PredictedClaim, evaluate, load_split, main, norm, score_page, structure_errors,
)
from conftest import CQ_CHECK, PAGES, ROOT, TESTS
from pagehelpers import load_page

CORPUS = TESTS / "corpus"


@pytest.fixture(scope="module")
def inhouse():
    return evaluate("inhouse", CORPUS)


def test_inhouse_split_holds_the_seeds_and_the_fixture_pages():
    ids = {p.id for p in load_split("inhouse", CORPUS)}
    assert {"seed_000_ankasam", "seed_002_19fortyfive"} <= ids
    assert len([i for i in ids if i.startswith(("extract_", "heldout_"))]) >= 14


def test_inhouse_minimum_levels(inhouse):
    print(inhouse.render(details=True))
    assert not inhouse.rejected
    f = inhouse.figures()
    assert f["headline"] >= 0.95 and f["authors_f1"] >= 0.95 and f["date"] >= 0.95 and f["affiliations_f1"] >= 0.9
    assert f["states_f1"] >= 0.97 and f["people_f1"] >= 0.95 and f["organizations_f1"] >= 0.9
    assert f["claim_recall"] >= 0.97 and f["holder"] >= 0.95 and f["about"] >= 0.95
    assert inhouse.total("modality").value >= 0.95


def test_seeds_states_and_people_exactly(inhouse):
    for page in inhouse.pages:
        if page.id.startswith("seed_"):
            assert page.states.f1 == 1.0 and page.people.f1 == 1.0, page.errors


@pytest.mark.parametrize("gold", [g for g in load_split("inhouse", CORPUS) if g.structure], ids=lambda g: g.id)
def test_inhouse_page_structure(gold):
    acc, errors = structure_errors(load_page(gold.page), gold.structure)
    assert acc.total and not errors, errors


def test_json_report_is_machine_readable(capsys):
    assert main(["--split", "inhouse", "--only", "seed_000", "--json"]) == 0
    report = json.loads(capsys.readouterr().out)
    assert report["split"] == "inhouse" and report["pages"] == 1 and report["rejected"] == 0
    doc = report["documents"][0]
    assert doc["id"] == "seed_000_ankasam" and doc["words"] > 500 and doc["seconds"] > 0
    assert set(report["figures"]) >= {"headline", "authors_f1", "affiliations_f1", "claim_recall", "holder"}


def test_nothing_from_the_gold_or_a_manifest_goes_in(tmp_path):
    """The page sits beside a manifest naming a publisher; eval copies the page alone."""
    split = tmp_path / "corpus" / "dev"
    split.mkdir(parents=True)
    page = PAGES / "extract_03_new_delhi.txt"
    shutil.copy(page, split / "delhi.txt")
    (split / "manifest.yaml").write_text("sources:\n  - id: delhi\n    file: delhi.txt\n    publisher: Manifest Press\n")
    (split / "delhi.json").write_text(json.dumps({
        "id": "delhi", "file": "delhi.txt", "kind": "text", "publisher": "Manifest Press", "headline": None,
        "date": None, "authors": [{"name": "Someone Else", "affiliations": []}], "states": [], "people": [],
        "organizations": [], "claims": []}))
    report = evaluate("dev", tmp_path / "corpus")
    (doc,) = report.pages
    assert doc.status == "loaded"
    assert "publisher: None, gold 'Manifest Press'" in doc.errors
    assert "extra author: Priya Raman" in doc.errors and doc.authors.tp == 0


def test_a_missing_split_is_named(capsys):
    assert main(["--split", "test", "--corpus", str(ROOT / "no-such-corpus")]) == 2
    assert "no-such-corpus" in capsys.readouterr().err


# -- scoring rules, on hand-made graphs -----------------------------------------------------


def _gold(**kw) -> GoldPage:
    base = dict(id="p", page=Path("p.txt"), kind="text", headline="A Title", date="2024-05-01", publisher="The Site",
                authors=[{"name": "Jane Doe", "affiliations": [{"organization": "Example Institute", "role": "fellow"}]}],
                states=["United States", "China"], people=["Xi Jinping"], organizations=["NATO"],
                claims=[{"text": "China is rising fast.", "holder": ["Jane Doe"], "about": ["China"]}])
    base.update(kw)
    return GoldPage(**base)


def test_names_match_by_name_or_alternate_name_one_to_one():
    jane = Named("urn:jane", "Jane Doe")
    pred = Predicted(
        headlines=["A title."], dates=["2024-05-01"], publishers=[Named("urn:site", "Site", ("The Site",))],
        authors=[jane], affiliations=[("urn:jane", Named("urn:ei", "EI", ("Example Institute",)))],
        states=[Named("urn:usa", "United States", ("USA",)), Named("urn:usa2", "United States"), Named("urn:chn", "China")],
        people=[Named("urn:xi", "Xi")], organizations=[Named("urn:nato", "North Atlantic Treaty Organization", ("NATO",))],
        claims=[PredictedClaim("urn:c1", "China is rising fast [3].", [jane], [Named("urn:chn", "China")])])
    s = score_page(_gold(), pred)
    assert s.headline.value == 1 and s.date.value == 1 and s.publisher.value == 1
    assert (s.authors.tp, s.authors.fp, s.authors.fn) == (1, 0, 0)
    assert s.affiliations.f1 == 1.0
    assert (s.states.tp, s.states.fp, s.states.fn) == (2, 1, 0)  # the second node for one state is an extra
    assert "extra state: United States (a second node for one gold name)" in s.errors
    assert (s.people.tp, s.people.fp, s.people.fn) == (0, 1, 1)  # "Xi" is not "Xi Jinping"
    assert s.organizations.f1 == 1.0
    assert s.claim_recall.value == 1 and s.holder.value == 1 and s.about.value == 1


def test_null_gold_is_right_only_when_the_graph_says_nothing():
    gold = _gold(headline=None, date=None, publisher=None)
    assert score_page(gold, Predicted()).headline.value == 1
    s = score_page(gold, Predicted(headlines=["Next"], dates=["2024-01-01"], publishers=[Named("u", "X")]))
    assert s.headline.value == 0 and s.date.value == 0 and s.publisher.value == 0


def test_two_dates_or_a_wrong_holder_are_wrong():
    pred = Predicted(dates=["2024-05-01", "2024-05-02"],
                     claims=[PredictedClaim("c", "China is rising fast.", [Named("u", "The Site")], [])])
    s = score_page(_gold(), pred)
    assert s.date.value == 0 and s.claim_recall.value == 1 and s.holder.value == 0 and s.about.value == 0


def test_a_rejected_page_scores_as_an_empty_graph():
    s = score_page(_gold(), None, status="rejected", reason="SHACL validation failed")
    assert s.status == "rejected" and s.authors.fn == 1 and s.claim_recall.value == 0
    assert s.errors[0] == "rejected: SHACL validation failed"


def test_the_breakdown_by_page_kind_names_no_page():
    right = score_page(_gold(id="text-page-one"), Predicted(headlines=["A Title"], dates=["2024-05-01"]))
    wrong = score_page(_gold(id="html-page-two", kind="html"), Predicted(headlines=["Menu"]))
    report = EvalReport("val", [right, wrong])
    assert set(report.by_kind()) == {"text", "html"}
    lines = "\n".join(report.render_by_kind())
    assert "text   1 pages: headline 1/1, publisher 0/1, date 1/1" in lines
    assert "html   1 pages: headline 0/1" in lines
    assert "page-one" not in report.render() and "page-two" not in report.render()


def test_misses_are_counted_by_kind_without_the_page():
    pred = Predicted(headlines=["A Title | The Site"], dates=["2024-05-03"],
                     authors=[Named("urn:jd", "Jane Doe Senior"), Named("urn:x", "Max Roe")])
    s = score_page(_gold(publisher="The Site"), pred)
    assert s.misses["headline: close"] == 1 and s.misses["date: close"] == 1
    assert s.misses["publisher: none found"] == 1
    assert s.misses["authors: extra, a gold author's name with words after it"] == 1
    assert s.misses["authors: extra, another person"] == 1
    assert s.misses["affiliations: missed, its author missed too"] == 1
    unsigned = score_page(_gold(authors=[]), Predicted(authors=[Named("urn:d", "News Desk")]))
    assert unsigned.misses["authors: extra on an unsigned page (credit or desk taken for a person)"] == 1
    lines = "\n".join(EvalReport("val", [s, unsigned]).render_by_kind())
    assert "2 x publisher: none found" in lines and "1 x headline: close" in lines


@pytest.mark.needs("cq-check")
def test_normalisation_is_the_contract_checkers():
    sys.path.insert(0, str(CQ_CHECK.parent))
    try:
        import cq_check
    finally:
        sys.path.pop(0)
    for text in ["  “Seoul’s” — Move [12].", "Yoon Suk-yeol", "ＮＡＴＯ!", "Côte d’Ivoire"]:
        assert norm(text) == cq_check.norm(text)
