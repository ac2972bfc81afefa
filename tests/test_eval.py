"""The extractor against the hand-made gold annotations in tests/gold (both seeds and
the own test pages in tests/pages). Figures are printed; minimum levels are asserted."""
from __future__ import annotations

from pathlib import Path

import pytest

from claimgraph.evaluate import evaluate, main

GOLD = Path(__file__).resolve().parent / "gold"


@pytest.fixture(scope="module")
def report():
    return evaluate(GOLD)


def test_gold_covers_seeds_and_own_pages():
    names = {p.stem for p in GOLD.glob("*.json")}
    assert {"seed_000_ankasam", "seed_002_19fortyfive"} <= names
    assert len([n for n in names if n.startswith("extract_")]) >= 4


def test_minimum_levels(report, capsys):
    print(report.render(details=True))
    states, people, orgs = report.total("states"), report.total("people"), report.total("organizations")
    claims, attributed = report.total("claims"), report.total("attributed")
    assert states.f1 >= 0.9
    assert people.f1 >= 0.85
    assert orgs.f1 >= 0.8
    assert claims.f1 >= 0.9
    assert attributed.f1 >= 0.75
    assert report.total("holders").value >= 0.85
    assert report.total("about").value >= 0.85
    assert report.total("modality").value >= 0.8


def test_seeds_exactly(report):
    for doc in report.docs:
        if doc.name.startswith("seed_"):
            assert doc.states.f1 == 1.0 and doc.people.f1 == 1.0, doc.errors


def test_main_prints_a_table(capsys):
    assert main([str(GOLD), "--only", "seed_000"]) == 0
    out = capsys.readouterr().out
    assert "states" in out and "claim detection" in out and "F1=" in out
