"""Authors, affiliations, education and profiles from byline names and bios."""
from __future__ import annotations

from pathlib import Path

import pytest

from claimgraph.extract.authors import canonical_org_name, extract_authors, matches_publisher, parse_bio, take_org_name
from claimgraph.model import EntityKind, OrgKind
from claimgraph.parse.text_page import parse_text_page

from conftest import PAGES, SEEDS


def authors_of(path: Path, publisher: str | None = None):
    return extract_authors(parse_text_page(path.read_text(encoding="utf-8")), publisher=publisher)


@pytest.fixture(scope="module")
def tamer():
    return authors_of(SEEDS / "000_b9eaa696b2f0318b.txt", "ANKASAM")


@pytest.fixture(scope="module")
def kelly():
    return authors_of(SEEDS / "002_acf13e44b744af8d.txt", "19FortyFive")


def by_key(result):
    return {e.key: e for e in result.entities}


def test_seed000_author(tamer):
    assert tamer.author_keys == ["person/cenk-tamer"]
    person = by_key(tamer)["person/cenk-tamer"]
    assert (person.kind, person.name, person.honorific_prefix) == (EntityKind.PERSON, "Cenk Tamer", "Dr.")


def test_seed000_affiliations(tamer):
    affs = {(a.org_key, a.role): a for a in tamer.affiliations}
    assert set(affs) == {("org/ankasam", "Asia-Pacific Specialist"), ("org/ankasam", "Research Assistant")}
    assert affs[("org/ankasam", "Asia-Pacific Specialist")].current is True
    past = affs[("org/ankasam", "Research Assistant")]
    assert (past.current, past.start_year) == (False, 2017)
    assert by_key(tamer)["org/ankasam"].org_kind == OrgKind.THINK_TANK
    # Studying somewhere is not working there.
    assert not any(a.org_key in ("org/sakarya-university", "org/gazi-university") for a in tamer.affiliations)


def test_seed000_education(tamer):
    edu = {(e.org_key, e.degree): e for e in tamer.educations}
    assert set(edu) == {("org/sakarya-university", "bachelor"), ("org/gazi-university", "master"),
                        ("org/gazi-university", "PhD")}
    bachelor = edu[("org/sakarya-university", "bachelor")]
    assert (bachelor.year, bachelor.field) == (2014, "International Relations")
    master = edu[("org/gazi-university", "master")]
    assert (master.start_year, master.year, master.field, master.thesis_title) == (
        2014, 2016, "Middle Eastern and African Studies", "Iran's Iraq Policy after 1990")
    phd = edu[("org/gazi-university", "PhD")]
    assert (phd.start_year, phd.year, phd.field) == (2017, 2022, "International Relations")
    assert phd.thesis_title.startswith("Identity Construction Process and Mahdism")
    assert phd.thesis_title.endswith("Securitization Approach")
    entities = by_key(tamer)
    assert entities["org/sakarya-university"].org_kind == OrgKind.UNIVERSITY
    assert entities["org/gazi-university"].name == "Gazi University"


def test_seed000_profile(tamer):
    (profile,) = tamer.profiles
    assert profile.expertise == ["Iran", "Sects", "Sufism", "Mahdism", "Identity Politics", "Asia-Pacific"]
    assert profile.languages == ["English"]
    assert profile.bio.startswith("Dr. Cenk Tamer graduated")


def test_seed002_author(kelly):
    assert kelly.author_keys == ["person/robert-e-kelly"]
    person = by_key(kelly)["person/robert-e-kelly"]
    assert (person.name, person.honorific_prefix) == ("Robert E. Kelly", "Dr.")
    assert kelly.educations == []


def test_seed002_affiliations(kelly):
    affs = {(a.org_key, a.role): a for a in kelly.affiliations}
    assert set(affs) == {("org/pusan-national-university", "professor"), ("org/19fortyfive", "Contributing Editor")}
    prof = affs[("org/pusan-national-university", "professor")]
    assert (prof.department, prof.current) == ("Political Science", True)
    entities = by_key(kelly)
    assert entities["org/pusan-national-university"].org_kind == OrgKind.UNIVERSITY
    # "1945 Contributing Editor" is the publisher 19FortyFive, an outlet.
    assert entities["org/19fortyfive"].name == "19FortyFive"
    assert entities["org/19fortyfive"].org_kind == OrgKind.NEWS_OUTLET
    assert "org/1945" not in entities
    assert kelly.profiles[0].social == ["@Robert_E_Kelly"]


def test_commenters_are_not_authors(kelly):
    assert all(e.name not in ("pagar", "404NotFound", "Clifford Williams") for e in kelly.entities)


def test_publisher_variant_matching_is_conservative():
    assert canonical_org_name("19FortyFive") == canonical_org_name("1945") == "1945"
    assert matches_publisher("Nineteen Forty-Five", "19FortyFive")
    assert not matches_publisher("1945", None)
    assert not matches_publisher("1946", "19FortyFive")
    assert not matches_publisher("Forty Five", "19FortyFive")
    # Without a publisher to match, a bare number is a year, not an outlet.
    facts = parse_bio("Dr. Jane Roe is now a 1945 Contributing Editor as well.", publisher=None)
    assert facts.roles == []


def test_thinktank_two_authors():
    result = authors_of(PAGES / "thinktank_brief.txt", "Center for Maritime Strategy")
    assert result.author_keys == ["person/jane-doe", "person/john-smith"]
    assert by_key(result)["person/jane-doe"].name == "Jane Doe"
    affs = {(a.person_key, a.org_key, a.role): a.current for a in result.affiliations}
    assert affs == {
        ("person/jane-doe", "org/center-for-maritime-strategy", "senior fellow"): True,
        ("person/jane-doe", "org/ministry-of-defence", "adviser"): False,
        ("person/john-smith", "org/center-for-maritime-strategy", "research fellow"): True,
    }
    entities = by_key(result)
    assert entities["org/center-for-maritime-strategy"].org_kind == OrgKind.THINK_TANK
    assert entities["org/ministry-of-defence"].org_kind == OrgKind.GOVERNMENT_BODY
    assert [(e.person_key, e.org_key, e.degree) for e in result.educations] == [
        ("person/jane-doe", "org/westbrook-university", "PhD")]
    smith = next(p for p in result.profiles if p.person_key == "person/john-smith")
    assert smith.expertise == ["naval strategy", "Taiwan", "alliance politics"]
    assert smith.languages == ["Mandarin", "Japanese"]
    assert smith.social == ["@jsmith_sea"]


def test_columnist_with_publisher_and_degrees():
    result = authors_of(PAGES / "column_with_comments.txt", "The Daily Meridian")
    assert result.author_keys == ["person/maria-lopez"]
    affs = {(a.org_key, a.role) for a in result.affiliations}
    assert affs == {("org/daily-meridian", "columnist"), ("org/eastvale-university", "professor")}
    assert by_key(result)["org/daily-meridian"].org_kind == OrgKind.NEWS_OUTLET
    edu = {(e.org_key, e.degree, e.field, e.year) for e in result.educations}
    assert edu == {("org/northfield-college", "bachelor", "Asian Studies", 2005),
                   ("org/eastvale-university", "PhD", "History", 2012)}
    assert not any(e.name in ("Greg", "Aisha K.", "anon_reader") for e in result.entities)


def test_bio_without_byline_gives_an_author_with_a_past_job():
    result = authors_of(PAGES / "no_byline.txt")
    assert result.author_keys == ["person/kenji-watanabe"]
    affs = {a.org_key: a for a in result.affiliations}
    assert affs["org/asia-policy-forum"].role == "visiting scholar"
    assert affs["org/asia-policy-forum"].current is True
    past = affs["org/pacific-research-institute"]
    assert (past.role, past.start_year, past.end_year, past.current) == ("analyst", 2015, 2019, False)


def test_byline_without_bio_still_gives_the_author():
    text = ("Opinion\n\nA Fragile Truce on the Peninsula\n\nBy Min-jun PARK\n\n"
            + "The armistice has held for seventy years, but nobody in Seoul takes it for granted anymore. " * 2)
    result = extract_authors(parse_text_page(text))
    assert result.author_keys == ["person/min-jun-park"]
    assert result.affiliations == [] and result.educations == []
    assert result.profiles[0].bio is None


@pytest.mark.parametrize("text,expected", [
    ("Pusan National University and 19FortyFive Contributing Editor.", "Pusan National University"),
    ("Center for Strategic and International Studies in Washington", "Center for Strategic and International Studies"),
    ("ANKASAM in 2017 and was accepted", "ANKASAM"),
    ("the Ministry of Defence.", "Ministry of Defence"),
    ("lower case words", None),
])
def test_take_org_name(text, expected):
    assert take_org_name(text) == expected


def test_former_and_current_roles():
    facts = parse_bio("Ann Lee is a nonresident fellow at the Atlantic Council. She was previously a reporter "
                      "for the Korea Herald and served as an adviser at the Ministry of Unification.")
    roles = {(r.org_name, r.role, r.status) for r in facts.roles}
    assert ("Atlantic Council", "nonresident fellow", "present") in roles
    assert ("Korea Herald", "reporter", "past") in roles
    assert ("Ministry of Unification", "adviser", "past") in roles
