"""Quotations in an article body (extract/quotes.py) and the claims in them.

The sentences are invented, in the common shapes of news copy:
'"…," X said.', 'X said: "…"', '"…," said X', a quote continued in the next paragraph.
"""
from __future__ import annotations

import pytest

from pagehelpers import page_from_paragraphs
from claimgraph.extract.content import extract_content
from claimgraph.extract.nlp import load_nlp
from claimgraph.extract.quotes import (QUOTE_VERBS, find_quotations, inside_share, speaker_token, speaker_turns,
                                      speech_verb)

AUTHOR = "person/the-author"


@pytest.fixture(scope="module")
def nlp():
    return load_nlp()


def _quoted(page):
    return [page.body_text[q.start:q.end] for q in find_quotations(page.body_text, page.blocks)]


# ----------------------------------------------------------------- spans

def test_curly_quotation_spans_exclude_the_marks():
    page = page_from_paragraphs("T", ["“The plan will fail,” she said. “Nobody wants it.”"])
    assert _quoted(page) == ["The plan will fail,", "Nobody wants it."]
    qs = find_quotations(page.body_text, page.blocks)
    assert qs[0].opens_block and not qs[1].opens_block
    assert qs[0].run != qs[1].run
    assert not any(q.open_end for q in qs)


def test_straight_quotation_marks_pair_up():
    page = page_from_paragraphs("T", ['The mayor said: "We will rebuild the bridge." Work starts in May.'])
    assert _quoted(page) == ["We will rebuild the bridge."]


def test_single_quotes_and_apostrophes_are_not_quotations():
    page = page_from_paragraphs("T", ["The so-called ‘peace plan’ isn’t new, and the group's leaders know it."])
    assert _quoted(page) == []


def test_a_paragraph_continuing_an_open_quotation_shares_its_run():
    page = page_from_paragraphs("T", [
        "“The talks have stalled for months and the two sides are further apart than ever,” the envoy said. "
        "“There is no trust left.",
        "“Without trust, no agreement will hold.”",
        "“A new paragraph with a new quote.” That was all.",
    ])
    qs = find_quotations(page.body_text, page.blocks)
    assert [page.body_text[q.start:q.end] for q in qs][1:] == [
        "There is no trust left.", "Without trust, no agreement will hold.", "A new paragraph with a new quote."]
    assert qs[1].open_end and qs[2].opens_block
    assert qs[2].run == qs[1].run  # the quotation goes on in the next paragraph
    assert qs[3].run != qs[2].run  # the one before it closed: a new quotation


def test_quotations_stay_inside_their_paragraph():
    page = page_from_paragraphs("T", ["He said: “The war is over.", "Analysts disagree."])
    qs = find_quotations(page.body_text, page.blocks)
    assert [page.body_text[q.start:q.end] for q in qs] == ["The war is over."]
    assert qs[0].open_end and qs[0].block == 0


def test_inside_share():
    page = page_from_paragraphs("T", ["“The plan will fail,” she said."])
    qs = find_quotations(page.body_text, page.blocks)
    share, q = inside_share(qs, 0, len(page.body_text))
    assert q is qs[0] and 0.5 < share < 0.8
    assert inside_share(qs, 5, 5) == (0.0, None)


# ----------------------------------------------------------------- speakers

def _speaker(nlp, text):
    page = page_from_paragraphs("T", [text])
    doc = nlp(page.body_text)
    qs = find_quotations(page.body_text, page.blocks)
    verb = speech_verb(doc, qs[0], qs, QUOTE_VERBS)
    assert verb is not None, text
    who = speaker_token(verb, qs)
    return verb.lemma_, (who.text if who is not None else None)


def test_speaker_after_the_quotation(nlp):
    assert _speaker(nlp, "“The economy is recovering faster than expected,” Smith said.") == ("say", "Smith")


def test_speaker_after_an_inverted_said(nlp):
    lemma, who = _speaker(nlp, "“We have no choice but to raise rates,” said Jones, a member of the board.")
    assert lemma == "say" and who == "Jones"


def test_speaker_before_the_quotation(nlp):
    assert _speaker(nlp, "The minister told reporters: “Our borders are secure.”") == ("tell", "minister")


def test_a_verb_inside_the_quotation_is_not_the_speech_verb(nlp):
    page = page_from_paragraphs("T", ["“They said the road was closed,” the driver recalled."])
    doc = nlp(page.body_text)
    qs = find_quotations(page.body_text, page.blocks)
    verb = speech_verb(doc, qs[0], qs, QUOTE_VERBS)
    assert verb is not None and verb.lemma_ == "recall"
    assert speaker_token(verb, qs).text == "driver"


# ----------------------------------------------------------------- claims

def _holders(nlp, *paragraphs):
    page = page_from_paragraphs("Title", list(paragraphs))
    out = extract_content(page, author_keys=[AUTHOR], nlp=nlp)
    name = lambda k: "AUTHOR" if k == AUTHOR or k not in out.entities else out.entities[k].name
    return {c.text: name(c.holder_key) for c in out.claims}


def test_quoted_claims_belong_to_the_speaker_across_sentences_and_paragraphs(nlp):
    h = _holders(
        nlp,
        "Maria Fernandez, the finance minister, spoke on Monday.",
        "“Inflation will fall below three percent next year,” Fernandez said. "
        "“The worst of the crisis is behind us.",
        "“Our banks are stronger than they were a decade ago.”",
        "Prices rose sharply in the spring.",
    )
    quoted = {t: who for t, who in h.items() if "Inflation" in t or "worst" in t or "banks" in t}
    assert quoted and all(who == "Maria Fernandez" for who in quoted.values()), h
    assert h.get("Prices rose sharply in the spring.") == "AUTHOR"


def test_an_unattributed_claim_stays_with_the_author(nlp):
    h = _holders(nlp, "The bridge collapsed after years of neglect and the city has no money to rebuild it.")
    assert set(h.values()) == {"AUTHOR"}


def test_speaker_turns_read_labels_by_name_surname_and_initials():
    people = {"Theodore A. Postol": "person/postol", "Steve Hsu": "person/hsu", "Jane Smith": "person/smith",
              "John Smith": "person/john-smith"}
    page = page_from_paragraphs("T", [
        "Steve: What about missile defence?",            # 0: a given name
        "Ted Postol: It does not work.",                 # 1: another given name, the surname fits
        "And it never did.",                             # 2: the turn goes on
        "SH: Why not?",                                  # 3: initials
        "Smith: I disagree.",                            # 4: two Smiths: nobody
        "Nobody knows.",                                 # 5: no speaker to go on with
        "Note: this transcript was edited.",             # 6: not a speaker's label
    ])
    turns = speaker_turns(page.blocks, people)
    assert turns == {0: "person/hsu", 1: "person/postol", 2: "person/postol", 3: "person/hsu"}


def test_speaker_turns_need_two_labels_and_three_to_run_on():
    people = {"Steve Hsu": "person/hsu"}
    one = page_from_paragraphs("T", ["Steve: Hello.", "More words."])
    assert speaker_turns(one.blocks, people) == {}
    two = page_from_paragraphs("T", ["Steve: Hello.", "More words.", "Q: And?"])
    assert speaker_turns(two.blocks, people) == {0: "person/hsu"}
