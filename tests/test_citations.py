"""Cited works from footnotes: titles, publishers, access dates, op. cit./ibid."""
from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest

from claimgraph.extract.citations import extract_citations, parse_reference
from claimgraph.extract.comments import extract_comments
from claimgraph.model import OrgKind
from claimgraph.parse.text_page import parse_text_page

from conftest import PAGES, SEEDS


def parsed(path: Path):
    return parse_text_page(path.read_text(encoding="utf-8"))


@pytest.fixture(scope="module")
def seed000():
    return extract_citations(parsed(SEEDS / "000_b9eaa696b2f0318b.txt"))


def test_seed000_citations(seed000):
    citations, _ = seed000
    assert [(c.number, c.title, c.publisher_key, c.access_date, c.same_as) for c in citations] == [
        (1, "Japan, South Korea Move to Mend Ties At Landmark Summit", "org/al-jazeera", date(2023, 3, 23), None),
        (2, "Japan PM Wants Summit with South Korea Next Week, Says Junior Coalition Party Head", "org/reuters",
         date(2023, 3, 23), None),
        (3, "Strategy for a Free, Peaceful and Prosperous Indo-Pacific Region",
         "org/government-of-republic-of-korea", date(2023, 3, 23), None),
        (4, "Strategy for a Free, Peaceful and Prosperous Indo-Pacific Region",
         "org/government-of-republic-of-korea", date(2023, 3, 23), 3),
        (5, "South Korea Says Talks Underway on U.S. Nuclear Operations Planning", "org/nikkei", date(2023, 3, 23), None),
    ]
    # Four works: the op. cit. note shares note 3's.
    assert len({c.same_as or c.number for c in citations}) == 4


def test_seed000_publishers(seed000):
    _, publishers = seed000
    kinds = {e.name: e.org_kind for e in publishers}
    assert kinds == {
        "Al Jazeera": OrgKind.NEWS_OUTLET,
        "Reuters": OrgKind.NEWS_OUTLET,
        "Government of Republic of Korea": OrgKind.GOVERNMENT_BODY,
        "Nikkei": OrgKind.NEWS_OUTLET,
    }


def test_seed002_has_no_citations():
    assert extract_citations(parsed(SEEDS / "002_acf13e44b744af8d.txt")) == ([], [])


def test_thinktank_citations_with_urls_retrieved_and_ibid():
    citations, publishers = extract_citations(parsed(PAGES / "thinktank_brief.txt"))
    first, second, ibid, fourth = citations
    assert (first.title, first.publisher_key, first.published, first.access_date, first.url) == (
        "China’s Navy Is Now the World’s Largest", "org/maritime-times", date(2024, 1, 3), date(2024, 4, 10),
        "https://maritime-times.example/navy")
    # An institutional author before the quoted title publishes it.
    assert (second.title, second.publisher_key, second.access_date) == (
        "Statement on Enhanced Defense Cooperation", "org/ministry-of-foreign-affairs-of-the-philippines",
        date(2024, 3, 28))
    assert (ibid.number, ibid.same_as, ibid.title) == (3, 2, second.title)
    assert fourth.access_date == date(2024, 4, 9)
    kinds = {e.key: e.org_kind for e in publishers}
    assert kinds["org/ministry-of-foreign-affairs-of-the-philippines"] == OrgKind.GOVERNMENT_BODY
    assert kinds["org/northern-gazette"] == OrgKind.NEWS_OUTLET


def test_numbered_references_with_author_op_cit():
    citations, _ = extract_citations(parsed(PAGES / "no_byline.txt"))
    assert [(c.number, c.title, c.same_as) for c in citations] == [
        (1, "Great Games, Local Rules", None),
        (2, "Uzbekistan Signs Investment Deals With China", None),
        (3, "Great Games, Local Rules", 1),
    ]
    assert citations[1].publisher_key == "org/steppe-post"
    assert citations[1].access_date == date(2023, 6, 2)
    assert citations[1].published == date(2023, 5, 14)


@pytest.mark.parametrize("text,title,publisher,accessed", [
    ("“Market Access in Asia”, Reuters, (Accessed 23.03.2023)", "Market Access in Asia", "Reuters", date(2023, 3, 23)),
    ("Jane Doe, “Why Alliances Fail,” Foreign Affairs, March 3, 2023. Retrieved on March 5, 2023.",
     "Why Alliances Fail", "Foreign Affairs", date(2023, 3, 5)),
    ("Only closing quote”, The Ministry of Foreign Affairs,, (Date of Accession: 01.02.2023).",
     "Only closing quote", "Ministry of Foreign Affairs", date(2023, 2, 1)),
])
def test_parse_reference_variants(text, title, publisher, accessed):
    parts = parse_reference(text)
    assert (parts.title, parts.publisher, parts.access_date) == (title, publisher, accessed)


def test_explanatory_note_is_not_a_citation():
    assert parse_reference("This refers to the 1965 normalisation treaty between the two states.") is None


def test_comments_from_page():
    comments = extract_comments(parsed(SEEDS / "002_acf13e44b744af8d.txt"))
    assert [(c.number, c.author_name, c.posted.isoformat(timespec="minutes")) for c in comments] == [
        (1, "pagar", "2023-05-09T18:56"), (2, "404NotFound", "2023-05-09T19:27"),
        (3, "Clifford Williams", "2023-05-10T13:02")]
    assert extract_comments(parsed(SEEDS / "000_b9eaa696b2f0318b.txt")) == []
