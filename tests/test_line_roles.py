"""The line-role labeller (parse/line_roles.py): labels derived from gold, the shipped model,
the three modes, and the byline patterns that came with it. Pages here are written for the
test (a browser dump with menus above and a list of other pieces below), never corpus pages."""
from __future__ import annotations

import json
from pathlib import Path

import pycrfsuite
import pytest

from claimgraph.extract.authors import extract_authors
from claimgraph.parse import line_roles
from claimgraph.parse.bylines import byline_details, clean_person_name
from claimgraph.parse.text_page import copyright_holder, page_units, parse_text_page, rules_title

ROOT = Path(__file__).resolve().parents[1]

DUMP = """Skip to Main Content
Menu
Search
Sign In
World
Politics
Business
The Harbour Ledger
Opinion
Harbour Ports Brace for a Long Winter of Strikes
Unions and shipping lines dig in as talks collapse for the third time this month.
Marta Quinlan · The Harbour Ledger · Posted: Mar 03, 2024 4:00 AM EDT
Share
Dock workers walked off the job again on Monday, leaving dozens of container ships idling outside the harbour while negotiators for the unions and the shipping lines traded blame for the collapse of talks over pay and automation.
The strike is the longest the ports have seen in a decade, and shipping lines warn that winter cargo of grain and fuel may be diverted to rival harbours if it drags on into next month.
Negotiators say the gap between the two sides is narrower than the rhetoric suggests, but neither wants to be the first to concede on automation, which unions see as a threat to thousands of jobs.
Related
Fishing Quotas Leave Coastal Towns Divided
Hal Brenner
Why the New Bridge Is Already Late
Ona Petrak
Lighthouse Keepers Remember the Storm of 1987
Ona Petrak
Newsletter
About The Harbour Ledger
Contact us
© 2024 Harbour Ledger Media Group. All rights reserved.
"""

GOLD = {"headline": "Harbour Ports Brace for a Long Winter of Strikes", "date": "2024-03-03",
        "authors": [{"name": "Marta Quinlan", "affiliations": [{"organization": "The Harbour Ledger"}]}],
        "claims": [{"text": "The strike is the longest the ports have seen in a decade"}]}


def test_roles_derived_from_gold_name_the_header_lines():
    _, units = page_units(DUMP)
    labels = line_roles.derive_roles(units, GOLD)
    by_text = {u.text: lab for u, lab in zip(units, labels)}
    assert by_text["Harbour Ports Brace for a Long Winter of Strikes"] == "headline"
    assert by_text["Marta Quinlan · The Harbour Ledger · Posted: Mar 03, 2024 4:00 AM EDT"] == "byline"
    assert by_text["Why the New Bridge Is Already Late"] == "other"  # a related piece, not this one
    assert labels.count("headline") == 1 and "body" in labels


def test_shipped_model_reads_a_browser_dump():
    assert line_roles.MODEL_PATH.is_file(), "src/claimgraph/data/line_roles.crfsuite is missing: run scripts/train_line_roles.py"
    page = parse_text_page(DUMP)
    assert page.title == "Harbour Ports Brace for a Long Winter of Strikes"
    assert page.byline_names == ["Marta Quinlan"]
    assert page.date_published.isoformat() == "2024-03-03"
    assert "Hal Brenner" not in page.byline_names and "Ona Petrak" not in page.byline_names
    assert page.body_text.startswith("Dock workers walked off")


def test_marginals_are_probabilities_for_every_line():
    _, units = page_units(DUMP)
    tagger = line_roles._default_tagger()
    marginals = line_roles.tag(units, DUMP, rules_title(units)[0], tagger)
    assert len(marginals) == len(units)
    for m in marginals:
        assert set(m) <= set(line_roles.ROLES) and abs(sum(m.values()) - 1.0) < 1e-6


def test_modes_and_a_fold_tagger(tmp_path):
    """The labeller trained here on one page, used through model_override as a CV fold is."""
    text, units = page_units(DUMP)
    feats = line_roles.unit_features(units, line_roles.page_view(units, rules_title(units)[0]), use_rules=False)
    trainer = pycrfsuite.Trainer(verbose=False)
    trainer.append(feats, line_roles.derive_roles(units, GOLD))
    trainer.set_params({"c1": 0.0, "c2": 0.01, "max_iterations": 50})
    trainer.train(str(tmp_path / "fold.crfsuite"))
    tagger = pycrfsuite.Tagger()
    tagger.open(str(tmp_path / "fold.crfsuite"))
    with line_roles.model_override(tagger, mode="model"):
        roles = line_roles.label_units(units, text, None)
        assert units[roles.title_index].text == GOLD["headline"]
    with line_roles.model_override(None, mode="rules"):
        assert line_roles.label_units(units, text, None) is None
    assert line_roles.current_mode() == "rules"  # the labeller is off unless CLAIMGRAPH_LINE_LABELLER says on


def test_the_labeller_is_a_setting(monkeypatch):
    from claimgraph.config import get_settings

    monkeypatch.setenv("CLAIMGRAPH_LINE_LABELLER", "true")
    get_settings.cache_clear()
    try:
        assert line_roles.current_mode() == json.loads(line_roles.MODEL_PATH.with_suffix(".json").read_text())["mode"]
    finally:
        monkeypatch.delenv("CLAIMGRAPH_LINE_LABELLER")
        get_settings.cache_clear()
    assert line_roles.current_mode() == "rules"


def test_corporate_suffix_is_not_the_site():
    assert copyright_holder("© 2024 Harbour Ledger Media Group. All rights reserved.") == "Harbour Ledger Media Group"
    page = parse_text_page(DUMP)
    assert page.publisher == "The Harbour Ledger"


def test_agency_dateline_gives_the_byline_its_agency():
    page = parse_text_page("Quake Hits Coastal Province\n\nBy Jane Roe and John Doe\n\n"
                           "MANILA (Reuters) - A strong earthquake struck the coastal province on Tuesday, officials said, "
                           "damaging roads and bridges and cutting power to thousands of homes across the region.\n\n"
                           "Rescue teams were sent to the worst-hit towns, where several buildings collapsed overnight "
                           "and residents slept outdoors for fear of aftershocks.\n")
    assert page.byline_names == ["Jane Roe", "John Doe"]
    found = extract_authors(page, publisher="Example Daily")
    orgs = {a.org_key for a in found.affiliations}
    assert orgs == {"org/reuters"} and len(found.affiliations) == 2


def test_staff_and_beat_bylines_are_jobs_at_the_publisher():
    assert clean_person_name("M.A.Qudoos") == "M.A.Qudoos"
    details = byline_details("By M.A.Qudoos and Nada S. Mussallam (Our staff reporters)")
    assert [n for n, _ in details] == ["M.A.Qudoos", "Nada S. Mussallam"] and all(r for _, r in details)
    page = parse_text_page("Bridge Talks Stall Again\n\nBy Jane Roe, China Correspondent\n\n"
                           "The talks over the new bridge stalled again on Monday as the two sides failed to agree on who "
                           "would pay for the approach roads and the customs post on either bank of the river.\n\n"
                           "Officials said they would meet again next month.\n")
    found = extract_authors(page, publisher="The Example Daily")
    assert [a.org_key for a in found.affiliations] == ["org/example-daily"]
    assert found.affiliations[0].role == "China Correspondent"


@pytest.mark.slow
def test_training_script_is_deterministic(tmp_path):
    """Two trainings from the dev gold write the same model bytes, and those of the shipped model
    (a change to the features or to the derived labels leaves the shipped model stale)."""
    import subprocess
    import sys

    outs = []
    for k in range(2):
        out = tmp_path / f"m{k}.crfsuite"
        subprocess.run([sys.executable, str(ROOT / "scripts" / "train_line_roles.py"), "--out", str(out)],
                       check=True, capture_output=True, timeout=600)
        outs.append(out.read_bytes())
    assert outs[0] == outs[1] and len(outs[0]) > 1000
    assert outs[0] == line_roles.MODEL_PATH.read_bytes(), "the shipped model is stale: run scripts/train_line_roles.py"
