"""Entity extraction: states (names, acronyms, demonyms, metonyms, historical), people,
organisations, places, posts. Seeds go through the real parser; the rules are
exercised on small pages built from paragraphs."""
from __future__ import annotations

import pytest

from pagehelpers import load_page, page_from_paragraphs
from claimgraph.extract.content import extract_content
from claimgraph.extract.entities import extract_entities
from claimgraph.extract.gazetteer import HitKind, load_gazetteer
from claimgraph.extract.nlp import load_nlp
from claimgraph.model import EntityKind, TextSource
from claimgraph.resolve import normalise_person_name, person_key

from conftest import SEEDS

SEED_000 = SEEDS / "000_b9eaa696b2f0318b.txt"
SEED_002 = SEEDS / "002_acf13e44b744af8d.txt"


@pytest.fixture(scope="module")
def nlp():
    return load_nlp()


def _authors(page):
    return [person_key(normalise_person_name(n)[0]) for n in page.byline_names]


def _mentioned(result, kind: EntityKind, sources=(TextSource.BODY, TextSource.CAPTION)) -> set[str]:
    keys = {m.entity_key for m in result.mentions if m.source in sources}
    return {result.entities[k].name for k in keys if result.entities[k].kind is kind}


@pytest.fixture(scope="module")
def seed000(nlp):
    page = load_page(SEED_000)
    return page, extract_entities(page, nlp, author_keys=_authors(page))


@pytest.fixture(scope="module")
def seed002(nlp):
    page = load_page(SEED_002)
    return page, extract_entities(page, nlp, author_keys=_authors(page))


def _page(*paragraphs: str, captions=(), translations=()):
    page = page_from_paragraphs("Title", list(paragraphs), captions=list(captions))
    if translations:
        page.translations.extend(translations)
    return page


# ----------------------------------------------------------------- seeds


def test_seed_000_states_exactly(seed000):
    _, ex = seed000
    assert _mentioned(ex, EntityKind.STATE) == {
        "South Korea", "Japan", "China", "United States", "North Korea", "Russia", "India", "Australia",
        "Philippines", "Singapore", "Taiwan", "Ukraine"}


def test_seed_002_states(seed002):
    _, ex = seed002
    states = _mentioned(ex, EntityKind.STATE)
    assert states - {"West Germany"} == {
        "South Korea", "Japan", "United States", "China", "India", "Australia", "North Korea", "Russia",
        "Germany", "Taiwan"}
    assert "Ukraine" not in states and "Korea" not in states


def test_state_entities_carry_short_names_and_verified_qids(seed000, seed002):
    ents = {**seed000[1].entities, **seed002[1].entities}
    expected = {"state/KOR": ("South Korea", "Q884"), "state/JPN": ("Japan", "Q17"), "state/CHN": ("China", "Q148"),
                "state/USA": ("United States", "Q30"), "state/PRK": ("North Korea", "Q423"),
                "state/DEU": ("Germany", "Q183"), "state/TWN": ("Taiwan", "Q865")}
    for key, (name, qid) in expected.items():
        assert (ents[key].name, ents[key].wikidata) == (name, qid)
    west = ents["state/FRG"]
    assert (west.name, west.wikidata, west.historical) == ("West Germany", "Q713750", True)
    assert ents["state/DEU"].historical is False


def test_people_in_both_seeds_are_yoon_and_kishida(seed000, seed002):
    a = _mentioned(seed000[1], EntityKind.PERSON)
    b = _mentioned(seed002[1], EntityKind.PERSON)
    assert a & b == {"Yoon Suk Yeol", "Fumio Kishida"}
    assert "Jens Stoltenberg" in a and {"Joe Biden", "Park Geun-hye"} <= b
    # authors are not mentions of their own article
    assert "Cenk Tamer" not in a and "Robert E. Kelly" not in b
    assert not {"Türkçe", "Orwellian", "Mahdism"} & (a | b)


def test_person_keys_meet_across_spellings(seed000, seed002):
    yoon_a = seed000[1].entities["person/yoon-suk-yeol"]
    yoon_b = seed002[1].entities["person/yoon-suk-yeol"]
    assert yoon_a.name == yoon_b.name == "Yoon Suk Yeol" and yoon_a.wikidata == "Q16090635"
    assert "Yoon Suk-yeol" in yoon_b.alternate_names
    partials = [m for m in seed002[1].mentions if m.entity_key == "person/yoon-suk-yeol" and m.how == "partial"]
    assert len(partials) >= 5  # "Yoon", "President Yoon", "Yoon’s", the caption's "Yoon"
    assert any(m.source is TextSource.CAPTION for m in partials)


def test_posts_from_apposition(seed000, seed002):
    posts = {(p.person_key, p.title, p.organization_key) for p in seed000[1].posts + seed002[1].posts}
    assert ("person/fumio-kishida", "Prime Minister", "state/JPN") in posts
    assert ("person/yoon-suk-yeol", "President", "state/KOR") in posts
    assert ("person/jens-stoltenberg", "Secretary General", "org/nato") in posts
    assert ("person/joe-biden", "President", "state/USA") in posts
    assert ("person/park-geun-hye", "President", "state/KOR") in posts


def test_nato_from_long_form_and_acronym(seed000):
    nato = seed000[1].entities["org/nato"]
    assert nato.name == "NATO" and nato.wikidata == "Q7184"
    assert "North Atlantic Treaty Organization" in nato.alternate_names
    assert nato.org_kind.value == "international_organization"


def test_mention_offsets_are_exact(seed000, seed002):
    for page, ex in (seed000, seed002):
        for m in ex.mentions:
            text = page.body_text if m.source is TextSource.BODY else page.captions[m.index]
            assert text[m.start:m.end] == m.text


def test_metonyms_in_seed_000(seed000):
    page, ex = seed000
    how = {(m.text, m.entity_key, m.how) for m in ex.mentions}
    assert ("White House", "state/USA", "metonym") in how
    assert ("Seoul", "state/KOR", "metonym") in how and ("Washington", "state/USA", "metonym") in how
    # "visited Tokyo": a place, not Japan acting
    tokyo = [m for m in ex.mentions if m.text == "Tokyo" and m.start < 200]
    assert tokyo and tokyo[0].entity_key == "place/tokyo"
    assert ex.entities["place/tokyo"].wikidata == "Q1490"


# ---------------------------------------------------------- rules on small pages


def test_capitals_as_actors_and_places(nlp):
    page = _page("Moscow warned Kyiv against joining NATO, and the Kremlin threatened new sanctions.",
                 "The Turkish foreign minister visited Moscow in May and later travelled to Paris.",
                 "Officials in Ankara believe that Paris-Berlin cooperation is weakening.",
                 "A Washington-led coalition formed, while Beijing's diplomats stayed silent.")
    ex = extract_entities(page, nlp)
    by_text = [(m.text, m.entity_key) for m in ex.mentions]
    assert ("Moscow", "state/RUS") in by_text and ("Kremlin", "state/RUS") in by_text
    assert ("Kyiv", "state/UKR") in by_text
    assert ("Moscow", "place/moscow") in by_text and ("Paris", "place/paris") in by_text
    assert ("Ankara", "state/TUR") in by_text  # "officials in Ankara"
    assert ("Paris", "state/FRA") in by_text and ("Berlin", "state/DEU") in by_text
    assert ("Washington", "state/USA") in by_text and ("Beijing", "state/CHN") in by_text


def test_hyphen_joined_states_and_acronyms(nlp):
    page = _page("The USA-South Korea alliance and South Korea-Japan ties matter to the ROK, the DPRK and the PRC.",
                 "America and the United States of America are one; so is the U.S. in U.S.-led coalitions.")
    ex = extract_entities(page, nlp)
    states = _mentioned(ex, EntityKind.STATE)
    assert states == {"United States", "South Korea", "Japan", "North Korea", "China"}
    assert not any(e.kind is EntityKind.ORGANIZATION for e in ex.entities.values())


def test_regions_korea_and_languages_are_not_states(nlp):
    page = _page("The Asia-Pacific, the Middle East and Europe matter, and Korea was divided in 1945.",
                 "The Indo-Pacific and the South China Sea are contested.", translations=["Türkçe", "Русский"])
    ex = extract_entities(page, nlp)
    assert _mentioned(ex, EntityKind.STATE) == set()
    places = _mentioned(ex, EntityKind.PLACE)
    assert {"Asia-Pacific", "Middle East", "Europe", "Korea", "Indo-Pacific", "South China Sea"} <= places
    hits = load_gazetteer().match("Türkçe Русский English", extra_languages={"Türkçe", "Русский"})
    assert {h.kind for h in hits} == {HitKind.LANGUAGE}


def test_historical_states_and_demonyms(nlp):
    page = _page("The Soviet Union and East Germany collapsed, Yugoslavia broke apart, and Germany reunified "
                 "under West German leadership.",
                 "South Korean, Japanese and Chinese officials met American and Filipino diplomats.")
    ex = extract_entities(page, nlp)
    states = _mentioned(ex, EntityKind.STATE)
    assert {"Soviet Union", "East Germany", "Yugoslavia", "Germany", "West Germany", "South Korea", "Japan",
            "China", "United States", "Philippines"} == states
    hist = {e.name for e in ex.entities.values() if e.historical}
    assert hist == {"Soviet Union", "East Germany", "Yugoslavia", "West Germany"}


def test_ambiguous_state_names(nlp):
    page = _page("Michael Jordan never visited Chad, but Chad and Jordan signed a deal with Georgia.")
    ex = extract_entities(page, nlp)
    states = [(m.text, m.start) for m in ex.mentions if m.entity_key.startswith("state/")]
    text = page.body_text
    assert ("Jordan", text.rindex("Jordan")) in states  # the country
    assert ("Jordan", text.index("Jordan")) not in states  # the basketball player
    assert [t for t, _ in states].count("Chad") == 2 and ("Georgia", text.index("Georgia")) in states


def test_people_need_a_name_shape(nlp):
    page = _page("President Emmanuel Macron met Olaf Scholz. Macron said little, and Scholz even less.",
                 "The Orwellian regime spread Mahdism, wrote nobody in Türkçe.")
    ex = extract_entities(page, nlp)
    people = _mentioned(ex, EntityKind.PERSON)
    assert people == {"Emmanuel Macron", "Olaf Scholz"}
    partials = [m.text for m in ex.mentions if m.how == "partial"]
    assert partials.count("Macron") == 1 and partials.count("Scholz") == 1


def test_acronym_definitions_make_organisations(nlp):
    page = _page("The Shanghai Institute for International Studies (SIIS) hosted the talks.",
                 "SIIS researchers later published a report with the Lowy Institute.")
    ex = extract_entities(page, nlp)
    siis = ex.entities["org/shanghai-institute-for-international-studies"]
    assert "SIIS" in siis.alternate_names and siis.org_kind.value == "think_tank"
    assert sum(1 for m in ex.mentions if m.entity_key == siis.key) == 2


def test_captions_are_mentions_with_their_index(nlp):
    page = _page("The summit was short.", captions=["Fumio Kishida in Seoul.", "Japanese and Korean flags."])
    ex = extract_entities(page, nlp)
    caps = [(m.index, m.text) for m in ex.mentions if m.source is TextSource.CAPTION]
    assert (0, "Fumio Kishida") in caps and (1, "Japanese") in caps


def test_content_extraction_is_closed(nlp):
    page = load_page(SEED_002)
    out = extract_content(page, author_keys=_authors(page),
                          comment_holders={c.number: person_key(c.author) for c in page.comments}, nlp=nlp)
    for m in out.mentions:
        assert m.entity_key in out.entities
    for c in out.claims:
        assert all(k in out.entities for k in c.about_keys)
        assert c.holder_key in out.entities or c.holder_key in _authors(page) or c.source is TextSource.COMMENT
    for p in out.posts:
        assert p.organization_key is None or p.organization_key in out.entities


# ------------------------------------------------------ rules for unseen pages


def test_acronym_alone_resolves_to_known_long_form(nlp):
    ex = extract_entities(_page("In Africa, the AU has joined the G20, while ECOWAS struggles to hold together.",
                                "Long afterwards the African Union still met in Addis Ababa."), nlp)
    orgs = _mentioned(ex, EntityKind.ORGANIZATION)
    assert "African Union" in orgs and "AU" not in orgs


def test_acronym_in_another_language_pairs_with_long_form(nlp):
    ex = extract_entities(_page("Hakan Fidan, a former head of the National Intelligence Organisation (MIT), "
                                "argued for talks. The MIT has grown since then."), nlp)
    orgs = [e for e in ex.entities.values() if e.kind is EntityKind.ORGANIZATION]
    names = {e.name for e in orgs}
    assert "National Intelligence Organisation" in names and "MIT" not in names
    assert any("MIT" in e.alternate_names for e in orgs)


def test_person_in_apposition_with_a_role_even_if_tagged_otherwise(nlp):
    ex = extract_entities(_page("Moussa Faki Mahamat, the AU's top official, urged both governments to talk.",
                                "Courts upheld a ban on the main opposition candidate, María Corina Machado."), nlp)
    people = _mentioned(ex, EntityKind.PERSON)
    assert {"Moussa Faki Mahamat", "María Corina Machado"} <= people


def test_full_name_by_a_surname_tagged_elsewhere_without_sentence_openers(nlp):
    ex = extract_entities(_page("Lula invited Nicolás Maduro to Brasília in May 2023.",
                                "American diplomats say that Brazil's influence over Maduro is small.",
                                "When Luiz Inácio Lula da Silva returned, he promised change. Yet Lula hesitated."), nlp)
    people = _mentioned(ex, EntityKind.PERSON)
    assert "Nicolás Maduro" in people
    assert not any(p.startswith(("When ", "Yet ")) for p in people)


def test_an_acronym_the_article_defines_beats_the_gazetteers(nlp):
    page = _page("Hakan Fidan, a former head of the National Intelligence Organisation (MIT), spoke first.",
                 "MIT officers later briefed the cabinet.")
    ex = extract_entities(page, nlp)
    orgs = _mentioned(ex, EntityKind.ORGANIZATION)
    assert "National Intelligence Organisation" in orgs and "Massachusetts Institute of Technology" not in orgs


def test_a_person_named_only_by_title_and_one_name(nlp):
    page = page_from_paragraphs("Title", [
        "President Abbas flew to Cairo, where Mr Okonkwo of the finance ministry and King Haakon's envoy waited.",
        "General Motors said it would build a plant. Prime Minister Joe Biden's rival left.",
        "Dalia Karimova spoke first. Mrs Karimova then warned that the talks would fail.",
    ])
    people = _mentioned(extract_entities(page, nlp), EntityKind.PERSON)
    assert {"Abbas", "Okonkwo", "Haakon"} <= people
    assert "Motors" not in people and "Joe" not in people  # a company after a rank; a title before a full name
    # the fullest name the article gives, not the surname, and one person
    assert "Dalia Karimova" in people and "Karimova" not in people


def test_a_title_and_surname_take_the_one_given_name_printed_with_it(nlp):
    page = page_from_paragraphs("Emeka Obi returns", ["Mr Obi, who left in 2001, said he would run again."])
    assert "Emeka Obi" in _mentioned(extract_entities(page, nlp), EntityKind.PERSON)


def _orgs(out) -> dict[str, set[str]]:
    keys = {m.entity_key for m in out.mentions}
    return {out.entities[k].name: out.entities[k].alternate_names for k in keys
            if out.entities[k].kind is EntityKind.ORGANIZATION}


def test_an_organisation_with_and_without_its_qualifier_is_one(nlp):
    out = extract_entities(page_from_paragraphs("Title", [
        "A spokesperson for the British Foreign Office said the move was unlawful. The Foreign Office added a note.",
        "The UN Security Council met on Monday. The Security Council then adjourned without a vote.",
    ]), nlp)
    orgs = _orgs(out)
    assert "British Foreign Office" in orgs["Foreign Office"]
    assert "Security Council" not in orgs and "Security Council" in orgs["UN Security Council"]


def test_a_short_form_two_organisations_end_with_stays_apart(nlp):
    out = extract_entities(page_from_paragraphs("Title", [
        "The UN Security Council met. The US National Security Council disagreed. The Security Council adjourned.",
    ]), nlp)
    orgs = _orgs(out)
    assert "Security Council" not in orgs.get("UN Security Council", set())


def test_a_state_body_by_its_name_is_an_organisation_a_description_is_the_state(nlp):
    out = extract_entities(page_from_paragraphs("Title", [
        "Russia's Defense Ministry said the strike hit a depot. The Israeli military said it had left the town, "
        "and Kenya's parliament voted against the plan.",
    ]), nlp)
    orgs = _orgs(out)
    assert "Russia's Defense Ministry" in orgs
    assert not any("military" in o or "parliament" in o for o in orgs)
    states = _mentioned(out, EntityKind.STATE)
    assert {"Israel", "Kenya", "Russia"} <= states


def test_spellings_and_branches_of_much_named_organisations():
    g = load_gazetteer()
    found = {h.text: h.target for h in g.match(
        "The FBI said al-Qaida in the Arabian Peninsula and al-Qaida were watched by the U.S. Navy.") if h.kind is HitKind.ORG}
    assert found["al-Qaida"] == "al-Qaeda"
    assert found["al-Qaida in the Arabian Peninsula"] == "al-Qaeda in the Arabian Peninsula"
    assert found["FBI"] == "Federal Bureau of Investigation" and found["U.S. Navy"] == "United States Navy"


def test_territories_by_their_usual_initials(nlp):
    out = extract_entities(page_from_paragraphs("Title", [
        "BVI Premier Andrew Fahie was detained, and the USVI government said it would cooperate.",
    ]), nlp)
    states = _mentioned(out, EntityKind.STATE)
    assert {"British Virgin Islands", "United States Virgin Islands"} <= states
    assert "BVI" not in _orgs(out)


def test_a_sentence_opener_is_not_part_of_a_name(nlp):
    out = extract_entities(page_from_paragraphs("Title", [
        "Once Salman became king, he changed course. Suddenly Asiri was gone, and Said Abdullah, a cleric, "
        "was arrested.",
    ]), nlp)
    people = _mentioned(out, EntityKind.PERSON)
    assert not any(p.split()[0] in ("Once", "Suddenly") for p in people), people
    assert "Said Abdullah" in people  # a given name that is also a verb stays


def test_hospitals_and_airlines_are_organisations_not_people(nlp):
    out = extract_entities(page_from_paragraphs("Title", [
        "Doctors at Al-Shifa Hospital and the Indonesian Hospital said supplies had run out, and "
        "Northwest Airlines cancelled its flights.",
    ]), nlp)
    orgs = _orgs(out)
    assert {"Al-Shifa Hospital", "Indonesian Hospital", "Northwest Airlines"} <= set(orgs)
    assert not any("Hospital" in p for p in _mentioned(out, EntityKind.PERSON))


def test_an_acronym_joins_the_one_name_on_the_page_it_fits(nlp):
    out = extract_entities(page_from_paragraphs("Title", [
        "Benazir Bhutto led the Pakistan People's Party for decades. She declared herself head of the PPP for "
        "life, and the PPP obeyed. Judges at the World Court disagreed.",
    ]), nlp)
    orgs = _orgs(out)
    assert "PPP" not in orgs and "PPP" in orgs["Pakistan People's Party"]
    assert "World Court" in orgs["International Court of Justice"]


def test_a_names_first_word_alone_is_the_same_organisation(nlp):
    out = extract_entities(page_from_paragraphs("Title", [
        "Amnesty International said 106 protesters were killed. Amnesty believes the toll is higher, and "
        "Amnesty will publish more.",
    ]), nlp)
    orgs = _orgs(out)
    assert "Amnesty" not in orgs and "Amnesty" in orgs["Amnesty International"]
