"""Claim extraction: sentences/clauses, holders (author, persons, groups, states by
metonym), states the claims are about, modality and comments (speed: benchmarks/extract_bench.py)."""
from __future__ import annotations

import pytest

from claimgraph.evaluate import contains_match
from pagehelpers import load_page, page_from_paragraphs
from claimgraph.extract.claims import extract_claims
from claimgraph.extract.content import extract_content
from claimgraph.extract.entities import extract_entities
from claimgraph.extract.nlp import load_nlp
from claimgraph.model import EntityKind, Modality, TextSource
from claimgraph.resolve import normalise_person_name, person_key

from conftest import SEEDS

SEED_000 = SEEDS / "000_b9eaa696b2f0318b.txt"
SEED_002 = SEEDS / "002_acf13e44b744af8d.txt"
AUTHOR = "person/the-author"


@pytest.fixture(scope="module")
def nlp():
    return load_nlp()


def _authors(page):
    return [person_key(normalise_person_name(n)[0]) for n in page.byline_names]


def _run(page, nlp, comment_holders=None, authors=None):
    authors = authors or _authors(page) or [AUTHOR]
    return extract_content(page, author_keys=authors, comment_holders=comment_holders, nlp=nlp)


def _claims(*paragraphs, nlp):
    page = page_from_paragraphs("Title", list(paragraphs))
    out = _run(page, nlp, authors=[AUTHOR])
    return page, out


def _holder_name(out, key):
    return "AUTHOR" if key == AUTHOR or key not in out.entities else out.entities[key].name


@pytest.fixture(scope="module")
def seed000(nlp):
    page = load_page(SEED_000)
    return page, _run(page, nlp)


@pytest.fixture(scope="module")
def seed002(nlp):
    page = load_page(SEED_002)
    holders = {c.number: person_key(normalise_person_name(c.author)[0]) for c in page.comments}
    return page, _run(page, nlp, comment_holders=holders)


def _find(out, text):
    return [c for c in out.claims if contains_match(text, c.text)]


# ----------------------------------------------------------------- seeds


def test_claim_texts_are_exact_slices(seed000, seed002):
    for page, out in (seed000, seed002):
        comments = {c.number: c.text for c in page.comments}
        for c in out.claims:
            source = page.body_text if c.source is TextSource.BODY else comments[c.index]
            assert source[c.start:c.end] == c.text
            assert not c.text.endswith("?") and "[" not in c.text[-4:]


def test_claims_about_china_by_the_right_author(seed000, seed002):
    def about_china(out):
        return [c for c in out.claims if "state/CHN" in c.about_keys and c.source is TextSource.BODY]

    tamer = [c for c in about_china(seed000[1]) if c.holder_key == "person/cenk-tamer"]
    for text in ("Japan and South Korea are just tools in the US strategy to encircle China.",
                 "If South Korea begins to act together with Japan, China will become even more isolated in the region.",
                 "Seoul is increasingly making itself the target of Beijing."):
        assert any(contains_match(text, c.text) for c in tamer), text
    kelly = [c for c in about_china(seed002[1]) if c.holder_key == "person/robert-e-kelly"]
    assert any(contains_match("The big winners in this whole tangle are China and North Korea.", c.text) for c in kelly)


def test_attributed_claims_to_groups_and_states(seed000, seed002):
    def holder(out, text):
        found = _find(out, text)
        assert found, text
        return out.entities[found[0].holder_key].name

    assert holder(seed002[1], "North Korea is an Orwellian tyranny") == "South Korean conservatives"
    assert holder(seed002[1], "Japan is the real national opponent, not North Korea.") == "South Korean progressives"
    assert holder(seed000[1], "Seoul thinks that support for Washington-led alliances in the region could lead to a major war.") == "South Korea"
    groups = {e.key: e for e in seed002[1].entities.values() if e.kind is EntityKind.GROUP}
    assert groups["group/south-korean-conservatives"].country_key == "state/KOR"
    assert all(c.attributed for c in seed002[1].claims if c.holder_key.startswith("group/"))


def test_parenthetical_attribution_splits_the_sentence(seed002):
    out = seed002[1]
    first = _find(out, "North Korea is an Orwellian tyranny")[0]
    assert first.text == "North Korea is an Orwellian tyranny"
    second = _find(out, "Korea should be unified under South Korean leadership just as Germany was unified under West German leadership.")[0]
    assert second.holder_key == first.holder_key and second.modality is Modality.NORMATIVE
    assert second.about_keys[:3] == ["state/KOR", "state/DEU", "state/FRG"]


def test_no_claims_from_headings_captions_or_questions(seed002):
    page, out = seed002
    texts = [c.text for c in out.claims]
    assert not any("Will Japan Help Yoon" in t or "Strategic Argument" in t for t in texts)
    assert not any(t.startswith("Yoon met with Prime Minister") for t in texts)  # caption


def test_comment_claims_are_held_by_commenters(seed002):
    page, out = seed002
    comments = [c for c in out.claims if c.source is TextSource.COMMENT]
    assert {c.index for c in comments} == {1, 2, 3}
    assert all(c.holder_key == person_key(normalise_person_name(page.comments[c.index - 1].author)[0]) for c in comments)
    assert all(c.attributed for c in comments)
    koreans = [c for c in comments if "South Koreans will never forget" in c.text][0]
    assert koreans.about_keys == ["state/KOR"] and koreans.modality is Modality.PREDICTED


def test_comments_without_holders_give_no_claims(nlp):
    page = load_page(SEED_002)
    out = _run(page, nlp, comment_holders=None)
    assert not [c for c in out.claims if c.source is TextSource.COMMENT]


def test_metonyms_and_demonyms_count_in_about(seed000):
    claim = _find(seed000[1], "After the national security strategy documents published by the White House in October 2022 and the Tokyo Government in December of the same year, the Seoul administration published an Indo-Pacific Strategy Document for the first time on December 28, 2022.")[0]
    assert claim.about_keys[:3] == ["state/USA", "state/JPN", "state/KOR"]


# ---------------------------------------------------------- rules on small pages


def test_modalities(nlp):
    cases = {
        "The agreement may collapse within a year.": Modality.HEDGED,
        "It is possible to say that Ankara has changed course.": Modality.HEDGED,
        "The alliance will survive the election.": Modality.PREDICTED,
        "A new offensive is expected in the spring.": Modality.PREDICTED,
        "Berlin should spend more on defence.": Modality.NORMATIVE,
        "It would be wise for Tokyo to apologise again.": Modality.NORMATIVE,
        "Seoul needs to overcome domestic opposition.": Modality.NORMATIVE,
        "If Moscow escalates, NATO will respond.": Modality.CONDITIONAL,
        "Unless Beijing relents, the talks will fail.": Modality.CONDITIONAL,
        "The talks failed in March.": Modality.ASSERTED,
        "The states that have to choose a bloc are dragged into the war.": Modality.ASSERTED,
    }
    page, out = _claims(*cases, nlp=nlp)
    got = {c.text: c.modality for c in out.claims}
    assert got == cases


def test_attribution_to_people_groups_and_pronouns(nlp):
    page, out = _claims(
        "President Emmanuel Macron met Olaf Scholz in Berlin. Macron said that Europe must defend itself.",
        "According to Scholz, the alliance remains strong.",
        "Iranian hardliners sharply disagree. They believe the deal is a trap.",
        "The Kremlin, for its part, sees Turkey as a useful partner.",
        "The deal is fragile, they believe, and the sanctions will return.",
        "Critics argue that the plan is flawed, but the government insists it will work.",
        nlp=nlp)
    h = {c.text: _holder_name(out, c.holder_key) for c in out.claims}
    assert h["Macron said that Europe must defend itself."] == "Emmanuel Macron"
    assert h["According to Scholz, the alliance remains strong."] == "Olaf Scholz"
    assert h["Iranian hardliners sharply disagree."] == "AUTHOR"
    assert h["They believe the deal is a trap."] == "Iranian hardliners"
    assert h["The Kremlin, for its part, sees Turkey as a useful partner."] == "Russia"
    assert h["The deal is fragile"] == "Iranian hardliners"  # clause claim; "they" = the last group
    assert h["Critics argue that the plan is flawed"] == "critics"
    assert h["President Emmanuel Macron met Olaf Scholz in Berlin."] == "AUTHOR"
    iranians = out.entities["group/iranian-hardliners"]
    assert iranians.country_key == "state/IRN"


def test_unresolved_pronouns_stay_with_the_author(nlp):
    page, out = _claims("They believe the war will end soon.", nlp=nlp)
    assert [c.holder_key for c in out.claims] == [AUTHOR]


def test_short_fragments_and_boilerplate_are_not_claims(nlp):
    page, out = _claims("Read more.", "Subscribe to our newsletter for weekly analysis of world affairs.",
                        "Why does Seoul care?", "In short.", "Japan and Korea signed a deal in 1965.", nlp=nlp)
    assert [c.text for c in out.claims] == ["Japan and Korea signed a deal in 1965."]


def test_claim_extraction_api_returns_new_groups(nlp):
    page = page_from_paragraphs("T", ["South Korean progressives sharply disagree. They view Japan as a rival."])
    ents = extract_entities(page, nlp)
    claims, new = extract_claims(page, ents, author_key=AUTHOR, comment_holders=None, nlp=nlp)
    assert [e.name for e in new] == ["South Korean progressives"]
    assert claims[1].holder_key == "group/south-korean-progressives" and claims[1].attributed


# ------------------------------------------------ attribution rules (general)


def _holders(*paragraphs, nlp):
    page, out = _claims(*paragraphs, nlp=nlp)
    return out, {c.text: _holder_name(out, c.holder_key) for c in out.claims}


def test_according_to_a_report_by_an_organisation(nlp):
    out, h = _holders(
        "The Brookings Institution published new figures in March. According to a report by the Brookings "
        "Institution, Chinese investment in Kenya fell by a third last year.",
        "According to the Brookings Institution, Kenya has diversified its lenders.",
        nlp=nlp)
    org = [k for k, e in out.entities.items() if e.kind is EntityKind.ORGANIZATION and "Brookings" in e.name]
    assert org, "the think tank is an organisation of the document"
    assert h["According to a report by the Brookings Institution, Chinese investment in Kenya fell by a third "
             "last year."] == out.entities[org[0]].name
    assert h["According to the Brookings Institution, Kenya has diversified its lenders."] == out.entities[org[0]].name


def test_according_to_a_report_in_a_newspaper_is_the_newspaper(nlp):
    # "a report in X" names its source as "a report by X" does; "the X newspaper" is X
    out, h = _holders(
        "According to a report in the Daily Telegraph newspaper, the Chilean navy is buying two frigates.",
        "According to a report in the Washington Post, Peru has delayed the tender.",
        "According to a report in the morning, Peru has cancelled the tender.", nlp=nlp)
    assert h["According to a report in the Daily Telegraph newspaper, the Chilean navy is buying two "
             "frigates."] == "The Telegraph"  # the gazetteer's name of the Daily Telegraph
    assert h["According to a report in the Washington Post, Peru has delayed the tender."] == "The Washington Post"
    assert h["According to a report in the morning, Peru has cancelled the tender."] == "AUTHOR"


def test_according_to_a_seat_of_government_is_its_state(nlp):
    # convention: an organisation of the document holds the claim; a government body the gazetteer
    # lists as a seat of power (State Department, Pentagon, Kremlin) stands for its state
    out, h = _holders("According to the Pentagon, Iran has resumed enriching uranium.", nlp=nlp)
    c = out.claims[0]
    assert h[c.text] == "United States" and c.attributed
    assert set(c.about_keys) >= {"state/USA", "state/IRN"}


def test_state_named_inside_an_organisation_name_is_not_about_it(nlp):
    out, h = _holders("According to a study by the Warsaw Institute of Economics, Hungarian exports "
                      "to Serbia doubled in 2022.", nlp=nlp)
    c = out.claims[0]
    assert c.attributed and "Warsaw Institute" in h[c.text]
    assert "state/POL" not in c.about_keys and {"state/HUN", "state/SRB"} <= set(c.about_keys)


def test_officials_at_an_organisation_or_a_seat(nlp):
    out, h = _holders(
        "Kenyan officials praised the deal. At the summit, officials at the African Union warned that "
        "the ceasefire in Sudan would not hold.",
        "Diplomats at the Kremlin believe that Ankara will not join the sanctions.",
        nlp=nlp)
    au = h["At the summit, officials at the African Union warned that the ceasefire in Sudan would not hold."]
    assert au == "African Union"
    assert h["Diplomats at the Kremlin believe that Ankara will not join the sanctions."] == "Russia"


def test_qualified_senators_lawmakers_diplomats_are_groups(nlp):
    out, h = _holders(
        "Opposition lawmakers say that the budget hides military spending.",
        "Republican senators argue that the aid package is too large.",
        "Nordic diplomats say that Moscow is testing the Baltic cables.",
        nlp=nlp)
    assert h["Opposition lawmakers say that the budget hides military spending."] == "opposition lawmakers"
    assert h["Republican senators argue that the aid package is too large."] == "Republican senators"
    assert h["Nordic diplomats say that Moscow is testing the Baltic cables."] == "Nordic diplomats"
    for key in ("group/opposition-lawmakers", "group/republican-senators", "group/nordic-diplomats"):
        assert out.entities[key].kind is EntityKind.GROUP


def test_state_criticises_describes_or_accuses(nlp):
    out, h = _holders(
        "India, for its part, has criticised the new corridor as a threat to its sovereignty.",
        "Pakistan has accused Kabul of sheltering militants.",
        "Germany described the election as neither free nor fair.",
        "Poland has criticised Berlin for its slow deliveries.",
        nlp=nlp)
    assert h["India, for its part, has criticised the new corridor as a threat to its sovereignty."] == "India"
    assert h["Pakistan has accused Kabul of sheltering militants."] == "Pakistan"
    assert h["Germany described the election as neither free nor fair."] == "Germany"
    # criticising someone *for* an act reports the act: the writer's claim
    assert h["Poland has criticised Berlin for its slow deliveries."] == "AUTHOR"


def test_pronoun_speaker_is_the_person_subject_of_the_same_sentence(nlp):
    out, h = _holders(
        "Olaf Scholz visited Warsaw in June. When Donald Tusk took office in December, he promised that "
        "Poland would rebuild its ties with Brussels.",
        "Merkel's successor, Olaf Scholz, has been more cautious: he told the Bundestag that Germany "
        "would not send long-range missiles.",
        nlp=nlp)
    assert h["When Donald Tusk took office in December, he promised that Poland would rebuild its ties "
             "with Brussels."] == "Donald Tusk"
    assert h["Merkel's successor, Olaf Scholz, has been more cautious: he told the Bundestag that Germany "
             "would not send long-range missiles."] == "Olaf Scholz"


def test_pronoun_speaker_from_the_previous_sentence_subject(nlp):
    out, h = _holders(
        "Javier Milei met Lula in Brasília, where the talks were tense. He argued that Mercosur had failed "
        "Argentina.", nlp=nlp)
    assert h["He argued that Mercosur had failed Argentina."] == "Javier Milei"


def test_narrated_acts_of_a_speaker_stay_with_the_writer(nlp):
    out, h = _holders(
        "In 2014, Western capitals declared that aggression would not pay, and then watched as Crimea was annexed.",
        nlp=nlp)
    assert list(h.values()) == ["AUTHOR"]


def test_reported_speech_after_a_subordinate_clause_is_the_speakers(nlp):
    out, h = _holders(
        "President Gustavo Petro won the runoff in 2022. When he took office, he promised that Colombia would "
        "restore relations with Caracas.", nlp=nlp)
    assert h["When he took office, he promised that Colombia would restore relations with Caracas."] == "Gustavo Petro"


def test_a_declaration_with_a_content_clause_keeps_its_speaker_when_another_act_follows(nlp):
    page, out = _claims("Anna Berg has declared that the treaty is dead and ordered a review of the alliance.", nlp=nlp)
    assert [_holder_name(out, c.holder_key) for c in out.claims] == ["Anna Berg"]


def test_a_short_title_abbreviation_without_its_period_may_be_a_given_name():
    from claimgraph.resolve import is_leading_title

    assert is_leading_title("Ayatollah") and is_leading_title("Taoiseach")
    assert not is_leading_title("Gen") and not is_leading_title("Dean")


def test_transcript_turns_belong_to_their_speakers(nlp):
    # an interview printed as turns: a label names the speaker (first name, surname in capitals), the
    # turn runs over the unlabelled paragraphs after it; "Q:" names nobody and ends the turn
    out, h = _holders(
        "Adam Tooze spoke to Matt Klein about China.",
        "Matt: Most governments acted as if they were constrained by their debts.",
        "Adam: China is not the Soviet Union.",
        "The worry for me is more about the American side.",
        "Q: Is China a threat to Europe?",
        "Europe will never trust Beijing again.",
        "KLEIN: Europe should spend more on its defence.", nlp=nlp)
    assert h["Adam Tooze spoke to Matt Klein about China."] == "AUTHOR"
    assert h["Matt: Most governments acted as if they were constrained by their debts."] == "Matt Klein"
    assert h["Adam: China is not the Soviet Union."] == "Adam Tooze"
    assert h["The worry for me is more about the American side."] == "Adam Tooze"
    assert h["Europe will never trust Beijing again."] == "AUTHOR"
    assert h["Europe should spend more on its defence."] == "Matt Klein"


def test_one_labelled_paragraph_is_not_a_transcript(nlp):
    out, h = _holders(
        "Matt Klein wrote a new book about trade wars.",
        "Klein: a profile. China will not change its policy.",
        "Europe should spend more on its defence.", nlp=nlp)
    assert h["Europe should spend more on its defence."] == "AUTHOR"
    assert "Matt Klein" not in h.values()


def test_a_capital_that_hopes_holds_for_its_state(nlp):
    # the rule lemmatizer reads "hopes"/"hoped" as forms of "hop"; the reporting verb must survive it
    out, h = _holders("Washington hopes that the sanctions will force Iran to cut production.",
                      "Beijing hoped that the talks would fail.", nlp=nlp)
    assert h["Washington hopes that the sanctions will force Iran to cut production."] == "United States"
    assert h["Beijing hoped that the talks would fail."] == "China"


def test_a_bare_state_body_speaks_for_the_state_it_was_named_with(nlp):
    out, h = _holders("Myanmar's junta seized power in 2021.",
                      "The junta denied allegations of mass killings, saying its forces fought terrorists.",
                      "The council denied allegations of fraud, saying its members were honest.", nlp=nlp)
    assert h["The junta denied allegations of mass killings, saying its forces fought terrorists."] == "Myanmar"
    assert h["The council denied allegations of fraud, saying its members were honest."] == "AUTHOR"


def test_says_with_a_clause_the_parser_split_is_the_speakers(nlp):
    # "She says data … show that …": no "that", the parser makes "data" the object of "says"
    out, h = _holders("Jane Roberts is president of the exporters' association.",
                      "She says data from the Statistical Institute of Jamaica, STATIN, show that Jamaica is "
                      "importing more produce than it is exporting.", nlp=nlp)
    assert h["She says data from the Statistical Institute of Jamaica, STATIN, show that Jamaica is importing "
             "more produce than it is exporting."] == "Jane Roberts"


def test_title_of_an_organisation_before_the_name_gives_the_named_speaker(nlp):
    # the parser gives "says" two subjects, "Director" and "Hilton"
    out, h = _holders("In the meantime, Managing Director of Carita Jamaica Limited, Rita Hilton says the biggest "
                      "exports for last year were yam and pepper.",
                      "Meanwhile, Chief Executive of Kenya Power Limited, John Mwangi says the biggest losses for "
                      "last year were in Nairobi.", nlp=nlp)
    assert h["In the meantime, Managing Director of Carita Jamaica Limited, Rita Hilton says the biggest exports "
             "for last year were yam and pepper."] == "Rita Hilton"
    assert h["Meanwhile, Chief Executive of Kenya Power Limited, John Mwangi says the biggest losses for last "
             "year were in Nairobi."] == "John Mwangi"
