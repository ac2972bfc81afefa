"""Page structure from saved article text: the two seeds and synthetic pages that vary the cues."""
from __future__ import annotations

from datetime import datetime
from pathlib import Path

import pytest

from claimgraph.model import BlockKind
from claimgraph.parse.text_page import (
    looks_like_person_name,
    parse_byline,
    parse_datetime_text,
    parse_text_page,
    parse_translation_offer,
)

from conftest import PAGES, SEEDS


def page(path: Path):
    return parse_text_page(path.read_text(encoding="utf-8"))


@pytest.fixture(scope="module")
def seed000():
    return page(SEEDS / "000_b9eaa696b2f0318b.txt")


@pytest.fixture(scope="module")
def seed002():
    return page(SEEDS / "002_acf13e44b744af8d.txt")


ALL_PAGES = sorted(SEEDS.glob("*.txt")) + sorted(PAGES.glob("*.txt"))


@pytest.mark.parametrize("path", ALL_PAGES, ids=lambda p: p.name)
def test_block_offsets_are_exact(path):
    p = page(path)
    assert p.blocks, "a body was found"
    assert p.body_text == "\n\n".join(b.text for b in p.blocks)
    for b in p.blocks:
        assert p.body_text[b.start:b.end] == b.text
    # Nothing the page shows outside the article leaks into the body.
    for bio in p.bios:
        assert bio[:60] not in p.body_text
    for c in p.comments:
        assert c.text.split("\n\n")[0][:40] not in p.body_text
    for n in p.footnotes:
        assert n.text[:30] not in p.body_text
    for caption in p.captions:
        assert caption not in p.body_text


# ------------------------------------------------------------------ seed 000


def test_seed000_head(seed000):
    assert seed000.title == "What Does South Korea-Japan Rapprochement Mean?"
    assert seed000.section is None
    assert seed000.standfirst is None
    assert seed000.translations == ["Türkçe", "Русский"]
    assert "Similar Posts" in seed000.dropped


def test_seed000_body(seed000):
    assert len(seed000.blocks) == 7
    assert all(b.kind == BlockKind.PARAGRAPH for b in seed000.blocks)
    assert seed000.body_text.startswith("South Korean President Yoon Suk Yeol visited Tokyo")
    assert seed000.body_text.endswith("new alliances with Washington in the near future.")
    assert "[1]" in seed000.body_text  # inline markers are kept
    for leak in ("Similar Posts", "available in", "Date of Accession", "Cenk", "graduated"):
        assert leak not in seed000.body_text


def test_seed000_footnotes(seed000):
    notes = seed000.footnotes
    assert [n.number for n in notes] == [1, 2, 3, 4, 5]
    assert notes[0].text.startswith("“Japan, South Korea Move to Mend Ties")
    assert notes[3].same_as == 3  # "Strategy for a Free…”, op.cit."
    assert [n.same_as for n in notes if n.number != 4] == [None] * 4


def test_seed000_author_box(seed000):
    assert seed000.byline_names == ["Dr. Cenk TAMER"]
    assert len(seed000.bios) == 1
    assert seed000.bios[0].startswith("Dr. Cenk Tamer graduated from Sakarya University")
    assert seed000.bios[0].endswith("Asia-Pacific Specialist at ANKASAM.")
    assert seed000.comments == []
    assert seed000.captions == []


# ------------------------------------------------------------------ seed 002


def test_seed002_head(seed002):
    assert seed002.title == "Making the South Korea-Japan Rapprochement Last"
    assert seed002.section == "The Embassy"
    assert seed002.standfirst == ("South Korean President Yoon Suk-yeol has prioritized fixing South Korea’s "
                                  "relationship with Japan. Can he make it happen?")
    assert seed002.translations == []
    assert {"Connect with us", "Hi, what are you looking for?", "Written By", "Leave a Reply"} <= set(seed002.dropped)


def test_seed002_caption_found_once(seed002):
    caption = "Yoon met with Prime Minister Fumio Kishida of Japan on 16 March 2023."
    assert seed002.captions == [caption]
    assert caption not in seed002.body_text


def test_seed002_body(seed002):
    headings = [b.text for b in seed002.blocks if b.kind == BlockKind.HEADING]
    assert headings == ["The Strategic Argument", "Will Japan Help Yoon Sell the Deal?",
                        "South Korea-Japan Tension Helps China and North Korea"]
    assert len([b for b in seed002.blocks if b.kind == BlockKind.PARAGRAPH]) == 10
    # The dek's first sentence opens the first paragraph, which stays whole; the dek is not repeated.
    assert seed002.blocks[0].text.startswith("South Korean President Yoon Suk-yeol has prioritized")
    assert "Can he make it happen?" not in seed002.body_text
    assert seed002.body_text.endswith("to find a workable solution.")
    for leak in ("Pusan", "Contributing Editor", "Written By", "rapprochement’ won’t last", "dogbarker",
                 "Clifford", "Leave a Reply", "The Embassy", "Connect with us"):
        assert leak not in seed002.body_text


def test_seed002_author_box(seed002):
    assert seed002.byline_names == ["Dr. Robert E. Kelly"]
    # Most complete first; the shorter one is kept because it says something the other does not.
    assert len(seed002.bios) == 2
    assert seed002.bios[0].startswith("Dr. Robert E. Kelly (@Robert_E_Kelly; website) is a professor")
    assert "19FortyFive Contributing Editor" in seed002.bios[1]
    assert seed002.footnotes == []


def test_seed002_comments(seed002):
    comments = seed002.comments
    assert [(c.number, c.author, c.posted) for c in comments] == [
        (1, "pagar", datetime(2023, 5, 9, 18, 56)),
        (2, "404NotFound", datetime(2023, 5, 9, 19, 27)),
        (3, "Clifford Williams", datetime(2023, 5, 10, 13, 2)),
    ]
    assert comments[0].text.startswith("This ‘rapprochement’ won’t last.")
    assert comments[0].text.count("\n\n") == 4  # five paragraphs
    assert comments[0].text.endswith("back to business as usual for the two scammers or pros.")
    assert comments[2].text.endswith("is owned by the Chinese!")
    assert "Leave a Reply" not in comments[2].text


# ---------------------------------------------------------- synthetic pages


def test_thinktank_brief():
    p = page(PAGES / "thinktank_brief.txt")
    assert p.title == "Why Maritime Deterrence in the Taiwan Strait Is Fraying"
    assert p.section == "Indo-Pacific"  # from the breadcrumb
    assert p.standfirst is None
    assert p.byline_names == ["Jane DOE", "John Smith"]
    assert [b.text for b in p.blocks if b.kind == BlockKind.HEADING] == ["Three Options for Allies"]
    # A body paragraph that opens like a bio ("X is the former …") stays in the body.
    assert "Jens Stoltenberg is the former Secretary General of NATO" in p.body_text
    assert len(p.bios) == 2
    assert any(b.startswith("Jane Doe is a senior fellow") and b.endswith("She holds a PhD from Westbrook University.")
               for b in p.bios)
    assert [(n.number, n.same_as) for n in p.footnotes] == [(1, None), (2, None), (3, 2), (4, None)]
    assert p.comments == []
    for leak in ("Share this", "cookies", "All rights reserved", "views expressed", "min read", "Home »"):
        assert leak not in p.body_text


def test_column_with_comments():
    p = page(PAGES / "column_with_comments.txt")
    assert p.section == "Opinion"
    assert p.title == "The Quiet Return of Japanese Diplomacy in Southeast Asia"
    assert p.standfirst == "Tokyo has rediscovered a region it once took for granted. Will its partners trust it this time?"
    assert p.byline_names == ["Maria LOPEZ"]
    assert p.captions == ["Prime Minister Fumio Kishida speaks at a summit in Jakarta."]
    assert len(p.blocks) == 4
    # Links after "Related Articles" are not headings of the body.
    assert "Why ASEAN Fears" not in p.body_text and "Why ASEAN Fears a New Cold War" in p.dropped
    assert [(c.number, c.author, c.posted) for c in p.comments] == [
        (1, "Greg", datetime(2024, 3, 4, 9, 15)),
        (2, "Aisha K.", datetime(2024, 3, 5, 21, 40)),
        (3, "anon_reader", datetime(2024, 3, 6, 8, 5)),
    ]
    assert p.comments[1].text == "I am not convinced.\n\nThe loans still come with conditions, they are just less visible."
    assert all("Reply" not in c.text for c in p.comments)
    assert p.bios[0].startswith("Maria Lopez is a columnist")


def test_no_byline_hard_wrapped_page():
    p = page(PAGES / "no_byline.txt")
    assert p.title == "Central Asia’s Balancing Act After Ukraine"  # HTML entity decoded
    assert p.byline_names == []
    assert len(p.blocks) == 3
    assert p.blocks[0].text.startswith("Kazakhstan and Uzbekistan have spent the past two years trying to keep good relations")
    assert "\n" not in p.blocks[0].text  # hard wraps re-joined
    assert '"multi-vector diplomacy"' in p.body_text
    assert [(n.number, n.same_as) for n in p.footnotes] == [(1, None), (2, None), (3, 1)]
    assert p.footnotes[1].text.endswith("Accessed 2 June 2023.")  # wrapped note re-joined
    assert p.bios == ["Kenji Watanabe is a visiting scholar at the Asia Policy Forum. He previously worked as an "
                      "analyst at the Pacific Research Institute from 2015 to 2019."]
    assert p.comments == []


def test_ibid_points_to_the_work_not_to_another_ibid():
    text = ("A Title Line\n\n" + "Body sentence with enough words to count as a paragraph here. " * 3 + "\n\n"
            "[1] “First Work”, Some Outlet, (Accessed 1 May 2023).\n\n[2] Ibid.\n\n[3] Ibid., p. 4.\n")
    p = parse_text_page(text)
    assert [(n.number, n.same_as) for n in p.footnotes] == [(1, None), (2, 1), (3, 1)]


# ----------------------------------------------------------------- helpers


@pytest.mark.parametrize("text,expected", [
    ("May 9, 2023 at 6:56 pm", datetime(2023, 5, 9, 18, 56)),
    ("May 10, 2023 at 12:02 am", datetime(2023, 5, 10, 0, 2)),
    ("9 May 2023 at 18:56", datetime(2023, 5, 9, 18, 56)),
    ("Tuesday, May 9, 2023, 6:56 PM", datetime(2023, 5, 9, 18, 56)),
    ("2023-05-09 18:56", datetime(2023, 5, 9, 18, 56)),
    ("2023-05-09T18:56:10Z", datetime(2023, 5, 9, 18, 56, 10)),
    ("23.03.2023", datetime(2023, 3, 23)),
    ("5/9/2023 6:56 pm", datetime(2023, 5, 9, 18, 56)),
    ("23/03/2023", datetime(2023, 3, 23)),
    ("Sept. 4, 2022", datetime(2022, 9, 4)),
    ("6:56 pm, May 9, 2023", datetime(2023, 5, 9, 18, 56)),
    ("not a date 2023", None),
    ("May 2023 was busy", None),
])
def test_parse_datetime_text(text, expected):
    assert parse_datetime_text(text) == expected


def test_bylines_and_names():
    assert parse_byline("By Jane DOE and John Smith | 12 April 2024") == ["Jane DOE", "John Smith"]
    assert parse_byline("By Jane Doe, Senior Fellow") == ["Jane Doe"]
    assert parse_byline("By 2030, China will have the largest navy.") == []
    assert parse_byline("By contrast, Japan hesitated.") == []
    assert looks_like_person_name("Dr. Cenk TAMER")
    assert looks_like_person_name("Robert E. Kelly")
    assert not looks_like_person_name("The Strategic Argument")
    assert not looks_like_person_name("Yoon met with Prime Minister Fumio Kishida of Japan on 16 March 2023.")


def test_translation_offers():
    assert parse_translation_offer("This post is also available in: Türkçe Русский") == ["Türkçe", "Русский"]
    assert parse_translation_offer("Also available in: Español, Français") == ["Español", "Français"]
    assert parse_translation_offer("Available in: 简体中文 Bahasa Indonesia") == ["简体中文", "Bahasa Indonesia"]
    assert parse_translation_offer("The report is available in most libraries.") is None


# ------------------------------------------------- furniture of unseen sites


_FURNITURE_PAGE = """The Review

Published on March 11, 2024

Updated March 12, 2024

Borders Are Back. Nobody Planned For It

By CLAIRE DUVAL and Peter Hughes

Share
Tweet
Print
Email

Photo: Border guards at a crossing near Narva in 2023.
Credit: Jane Roe/AFP via Getty Images

LONDON — European governments have rebuilt controls on their internal borders at a pace nobody expected a decade ago.1 Officials in several capitals describe the measures as temporary.

The controls have become routine in much of the Schengen area, and few ministers now speak of lifting them soon.2 The cost to trade is real but hard to measure in any single year.

Published on 22 April 2024 · 7 min read

About the author: Dr. Claire Duval is a senior fellow at the Institute for Border Studies. She holds a PhD from Leiden University.

Notes

1. "Borders Return", The Review, accessed 5 May 2024, https://review.example/borders

2. Ibid.

12 comments

Anna K.
12 March 2024 14:05
Nice words, but nothing changes.
Like · Reply

J. Morgan.
March 13, 2024 at 9:40 AM
Controls are here to stay.
Like Reply
"""


@pytest.fixture(scope="module")
def furniture():
    return parse_text_page(_FURNITURE_PAGE)


def test_title_after_date_lines_and_title_case_title_with_full_stop(furniture):
    assert furniture.title == "Borders Are Back. Nobody Planned For It"


def test_two_author_byline_upper_case(furniture):
    assert [n.casefold() for n in furniture.byline_names[:2]] == ["claire duval", "peter hughes"]


def test_photo_caption_kept_credit_dropped(furniture):
    assert furniture.captions == ["Border guards at a crossing near Narva in 2023."]
    assert "Getty" not in furniture.body_text and not any("Getty" in c for c in furniture.captions)


def test_dateline_stripped_from_first_paragraph(furniture):
    assert furniture.body_text.startswith("European governments have rebuilt")
    assert "LONDON" not in furniture.body_text


def test_flattened_note_numbers_become_markers(furniture):
    assert "a decade ago.[1] Officials" in furniture.body_text
    assert "lifting them soon.[2]" in furniture.body_text
    assert [n.number for n in furniture.footnotes] == [1, 2]


def test_date_and_reading_time_line_dropped(furniture):
    assert "min read" not in furniture.body_text


def test_inline_about_the_author_is_a_bio(furniture):
    assert any(b.startswith("Dr. Claire Duval is a senior fellow") for b in furniture.bios)
    assert "About the author" not in furniture.body_text and "Leiden" not in furniture.body_text


def test_comment_authors_ending_in_full_stop(furniture):
    got = [(c.author, c.posted) for c in furniture.comments]
    assert got == [("Anna K.", datetime(2024, 3, 12, 14, 5)), ("J. Morgan", datetime(2024, 3, 13, 9, 40))]
    assert all("Reply" not in c.text for c in furniture.comments)
    assert "Nice words" not in furniture.body_text


@pytest.mark.parametrize("line,expected", [
    ("WASHINGTON — The talks", "The talks"),
    ("BRASÍLIA, Brazil — Lula said", "Lula said"),
    ("NEW YORK (Reuters) - Markets fell", "Markets fell"),
])
def test_datelines(line, expected):
    body = parse_text_page(f"A Title For This Test Page Here\n\nBy Jane Doe\n\n{line} sharply in the morning session "
                           "after the announcement was made.\n\nA second paragraph follows here with enough words "
                           "to be a paragraph of the article.\n").body_text
    assert body.startswith(expected)


def test_no_dateline_for_ordinary_openings():
    body = parse_text_page("A Title For This Test Page Here\n\nBy Jane Doe\n\nNATO — the alliance — has grown. "
                           "It now has more members than ever before in its history.\n\nA second paragraph follows "
                           "here with enough words to be a paragraph.\n").body_text
    assert body.startswith("NATO — the alliance")


def test_no_dateline_for_a_dash_aside():
    body = parse_text_page("A Title For This Test Page Here\n\nBy Jane Doe\n\nNATO — The alliance — has grown. "
                           "It now has more members than ever before in its history.\n\nA second paragraph follows "
                           "here with enough words to be a paragraph.\n").body_text
    assert body.startswith("NATO — The alliance")


# --- Titles on unseen layouts (CHANGES_dev rows 90-92) ---------------------------------------

_BODY = ("The ministers met on Tuesday to discuss the crisis in the region, and officials said that the talks "
         "would continue next week despite the lack of progress on the main questions before the council.\n\n"
         "A second paragraph follows with more detail about the meeting and what the delegations said afterwards "
         "to reporters waiting outside the building in the capital.\n\n")


def test_title_over_standfirst_and_byline_beats_a_teaser_below_the_text():
    """Title, standfirst, avatar initials, byline, date: the title heads the article even though
    a teaser below the first paragraph (another title over a name and a date) is printed twice."""
    teaser = "How Farmers Are Coping With the Long Drought in the South"
    text = ("Read the stories that matter, every day.\n\nHome\n\nNews\n\nWorld\n\nCulture\n\nWorld News\n\n"
            "Ministers Fail to Agree on a Plan for the Border Crisis\n\n"
            "The talks ended without a deal as both sides blamed each other for the delay.\n\n"
            "JD\n\nby Jane Doe\n\n27 July 2020, 1:05pm\n\n"
            + _BODY.split("\n\n")[0] + "\n\nWorld News\n\n" + teaser + "\n\nJohn Roe\n\n07.22.20\n\n"
            + _BODY.split("\n\n")[2] + "\n\nMore\n\n" + teaser + "\n\n")
    assert parse_text_page(text).title == "Ministers Fail to Agree on a Plan for the Border Crisis"


def test_title_above_the_text_beats_a_promotion_atop_the_page():
    """A page opening with a promotion line and menus: the title is the line over the byline and
    the date just above the text, not the first heading-like line of the page."""
    text = ("Support Our Readers, Share Their Stories\n\nSearch News Daily without popups\n\n"
            "Top Stories World Politics Business Sports Health Opinion\n\nContact Us Feedback Writers\n\n"
            "Tell Friends about Us and get a gift\n\n"
            "Rebels and a Breakaway Faction Still Recruiting Child Soldiers\n\n"
            "By Jane Doe\n\nMarch 3, 2008\n\n" + _BODY)
    assert parse_text_page(text).title == "Rebels and a Breakaway Faction Still Recruiting Child Soldiers"


def test_title_over_its_byline_far_above_the_text_past_author_boxes():
    """Author boxes (name, bio, links) between the header and the first long paragraph push the
    title past the title window; a title heading a date and a byline is still found."""
    boxes = "".join(f"{name}\n\n{name} is a freelance reporter.\n\nView author publications\n\nSearch author on:\n\n"
                    "PubMed\n\nGoogle Scholar\n\n" for name in ("Jane Doe", "John Roe", "Mary Major"))
    text = ("Skip to main content\n\nSearch\n\nLog in\n\nNEWS FEATURE\n\n03 November 2025\n\n"
            "How to fight a drought without the rain: a guide to global action\n\n"
            "With the rains absent, it will be up to others to avert catastrophe.\n\n"
            "By Jane Doe, John Roe & Mary Major\n\n" + boxes + _BODY)
    assert parse_text_page(text).title == "How to fight a drought without the rain: a guide to global action"


def test_a_subtitle_under_the_title_is_not_the_title():
    """Title, a subtitle with no full stop, byline: the line over the byline is the title's
    subtitle, not the title (the scored choice above the text must not pass over the title)."""
    text = ("Home / Research / Europe\n\nANALYSIS\n\nThe Straits After the Invasion\n\n"
            "How the government keeps talking to both capitals and how long it can last\n\n"
            "By Jane Doe and John Roe\n\nPublished on 22 April 2024\n\n" + _BODY)
    assert parse_text_page(text).title == "The Straits After the Invasion"
