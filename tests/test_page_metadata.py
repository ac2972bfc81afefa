"""Who wrote it, when, and where: page metadata from HTML and text pages (issue 9's patterns,
on small pages written for these tests — never a corpus page)."""
from __future__ import annotations

from datetime import date

import pytest

from claimgraph.parse.bylines import byline_names, clean_person_name, is_credit
from claimgraph.parse.html_page import extract_page_metadata, html_to_text_page
from claimgraph.parse.text_page import bio_subjects, parse_text_page, split_name_and_date, split_title_suffix

BODY = "".join(f"<p>Paragraph {i} says that Brazil and Argentina trade more than before, and that this matters a great deal "
               f"for the region and for everyone who watches it closely.</p>" for i in range(5))


def page(head: str = "", body: str = "") -> str:
    return f"<html><head>{head}</head><body><article>{body}{BODY}</article></body></html>"


# -- bylines ---------------------------------------------------------------------------------


@pytest.mark.parametrize("raw, names", [
    ("By Jane Doe and John Smith | March 3, 2023", ["Jane Doe", "John Smith"]),
    ("By JANE DOE AND JOHN ROE", ["Jane Doe", "John Roe"]),
    ("Jane Doe, Tom Roe, and Sam Poe", ["Jane Doe", "Tom Roe", "Sam Poe"]),
    ("By Jane Doe, Reuters Correspondent", ["Jane Doe"]),
    ("Jane Doe. The Daily Planet", ["Jane Doe"]),
    ("By Jane Doe Senior Fellow", ["Jane Doe"]),
    ("Jane Doe (AFP)", ["Jane Doe"]),
    ("By Dr. Selin AKYOL | 14 February 2024", ["Dr. Selin AKYOL"]),
    ("By Reuters", []), ("AFP Staff", []), ("The Editorial Board", []), ("News Desk", []), ("Associated Press", []),
])
def test_byline_names(raw, names):
    assert byline_names(raw) == names


def test_the_publisher_is_a_credit_not_a_person():
    assert is_credit("The Daily Planet", ["Daily Planet"]) and clean_person_name("Daily Planet", ["Daily Planet"]) is None


# -- HTML ------------------------------------------------------------------------------------


def test_byline_only_in_meta_byl_and_date_only_in_pdate():
    meta = extract_page_metadata(page('<meta name="byl" content="By JANE DOE and JOHN ROE">'
                                      '<meta name="pdate" content="20230914">'))
    assert meta.authors == ("Jane Doe", "John Roe") and meta.date_published == "2023-09-14"


def test_article_author_url_gives_the_name_of_the_pages_own_link_or_nothing():
    head = '<meta property="article:author" content="https://news.example/by/jane-doe">'
    linked = extract_page_metadata(page(head, '<p class="meta">Story by <a href="/by/jane-doe">Jane Doe</a></p>'))
    assert linked.authors == ("Jane Doe",)
    assert extract_page_metadata(page(head)).authors == ()  # never the URL itself


def test_agency_and_job_title_in_the_visible_byline():
    meta = extract_page_metadata(page("", '<div class="byline">By Jane Doe, Reuters Senior Correspondent</div>'))
    assert meta.authors == ("Jane Doe",)
    meta = extract_page_metadata(page('<meta name="author" content="Reuters">', '<div class="byline">By Reuters</div>'))
    assert meta.authors == ()


def test_name_dot_publisher_strings_lose_the_publisher():
    meta = extract_page_metadata(page('<meta property="og:site_name" content="The Daily Planet">'
                                      '<meta name="author" content="Jane Doe. The Daily Planet">'))
    assert meta.authors == ("Jane Doe",) and meta.publisher == "The Daily Planet"


def test_itemprop_date_and_author():
    meta = extract_page_metadata(page("", '<span itemprop="author" itemscope><span itemprop="name">Jane Doe</span></span>'
                                          '<time itemprop="datePublished" datetime="2024-02-03T10:00">3 Feb</time>'))
    assert meta.authors == ("Jane Doe",) and meta.date_published == "2024-02-03"


def test_json_ld_claim_review_graph_non_iso_date_and_publisher_object():
    ld = ('<script type="application/ld+json">{"@context": "https://schema.org", "@graph": ['
          '{"@type": "ClaimReview", "headline": "Did Brazil sign the deal?", "datePublished": "March 5, 2024",'
          ' "author": [{"@type": "Person", "name": "Ana Lima"}, "Rui Costa", {"@type": "Organization", "name": "Fact Desk"}],'
          ' "publisher": {"@type": "Organization", "name": "Checks Weekly"}}]}</script>'
          '<title>Did Brazil sign the deal? - Checks Weekly</title>')
    meta = extract_page_metadata(page(ld))
    assert meta.headline == "Did Brazil sign the deal?" and meta.publisher == "Checks Weekly"
    assert meta.authors == ("Ana Lima", "Rui Costa") and meta.date_published == "2024-03-05"


def test_publisher_not_from_a_handle_a_cut_legal_name_or_a_double_count():
    # trafilatura falls back on twitter:site: an account name is not the site's name
    handle = page('<meta name="twitter:site" content="@PlanetInst"><title>Seas rise</title>', "<h1>Seas rise</h1>")
    assert extract_page_metadata(handle).publisher != "PlanetInst"
    # a company's legal name cut at "Co." is no site name; a known outlet after the title's last separator is
    cut = page('<title>Border talks | World News - Times of India</title>',
               '<h1>Border talks</h1><p>Copyright © 2022 Bennett, Coleman &amp; Co. Ltd. All rights reserved.</p>')
    assert extract_page_metadata(cut).publisher == "Times of India"
    # og:site_name and trafilatura's copy of it are one witness against JSON-LD's publisher
    both = page('<meta property="og:site_name" content="Planet International">'
                '<script type="application/ld+json">{"@type": "NewsArticle", "headline": "Seas rise",'
                ' "publisher": {"@type": "Organization", "name": "Planet"}}</script>', "<h1>Seas rise</h1>")
    assert extract_page_metadata(both).publisher == "Planet"


def test_a_site_named_like_an_address_when_nothing_else_names_it():
    head = '<meta property="og:site_name" content="PlanetNEWS.Net"><title>Seas rise - PlanetNEWS.Net</title>'
    assert extract_page_metadata(page(head, "<h1>Seas rise</h1>")).publisher == "PlanetNEWS.Net"
    lower = '<meta property="og:site_name" content="planetnews.net"><meta property="og:title" content="Seas rise">'
    assert extract_page_metadata(page(lower, "<h1>Seas rise</h1>")).publisher is None


def test_one_title_copied_into_several_tags_is_one_witness():
    head = ('<title>Floods: Seas rise over the delta | Asia News - The Planet</title>'
            '<meta value="Floods: Seas rise over the delta | Asia News - The Planet" name="og:title">'
            '<meta value="Floods: Seas rise over the delta | Asia News - The Planet" name="twitter:title">')
    meta = extract_page_metadata(page(head, "<h1>Seas rise over the delta</h1>"))
    assert meta.headline == "Seas rise over the delta"


def test_a_date_printed_under_the_headline_or_in_the_address_when_metadata_has_none():
    shown = page("", "<h1>Seas rise</h1><div><span>Jane Doe</span> | <span>March 3, 2024</span></div>")
    assert extract_page_metadata(shown).date_published == "2024-03-03"
    updated_only = page("", "<h1>Seas rise</h1><div>Updated: Oct 9, 2019, 11:05 IST</div>")
    assert extract_page_metadata(updated_only).date_published == "2019-10-09"
    both = page("", "<h1>Seas rise</h1><div>Updated: Oct 9, 2019</div><div>Published Oct 7, 2019</div>")
    assert extract_page_metadata(both).date_published == "2019-10-07"
    filed = page('<link rel="canonical" href="https://planet.example/2021/06/30/seas-rise/">', "<h1>Seas rise</h1>")
    assert extract_page_metadata(filed).date_published == "2021-06-30"
    metadata_wins = page('<meta property="article:published_time" content="2024-01-10T08:00:00">',
                         "<h1>Seas rise</h1><div>March 3, 2024</div>")
    assert extract_page_metadata(metadata_wins).date_published == "2024-01-10"


def test_links_under_the_headline_are_a_byline_only_to_authors_pages_or_after_by():
    body = ('<h1>Seas rise</h1><div><a href="/author/jane-doe">Jane Doe</a></div>'
            '<div><a href="/topic/xi-jinping">Xi Jinping</a> <a href="/category/personalities/ana-lima">Ana Lima</a></div>')
    assert extract_page_metadata(page("", body)).authors == ("Jane Doe",)
    after_by = '<h1>Seas rise</h1><p>By <a href="/u/17">John Roe</a></p>'
    assert extract_page_metadata(page("", after_by)).authors == ("John Roe",)
    topics_only = '<h1>Seas rise</h1><div><a href="/tags/ana-lima">Ana Lima</a> <a href="/news/world">World News</a></div>'
    assert extract_page_metadata(page("", topics_only)).authors == ()
    no_address = ('<link rel="canonical" href="http://[planet/2021/06/30/x">'
                  '<h1>Seas rise</h1><p>By <a href="http://[bad/">John Roe</a></p>')
    assert extract_page_metadata(page("", no_address)).authors == ("John Roe",)  # a broken address costs nothing else


def test_an_xhtml_page_declaring_its_encoding_keeps_its_metadata():
    xhtml = ('<?xml version="1.0" encoding="utf-8"?>\n<html xmlns="http://www.w3.org/1999/xhtml"><head>'
             '<meta property="og:site_name" content="The Planet"/><meta property="article:published_time" content="2021-03-04"/>'
             '<title>Seas rise | The Planet</title></head><body><h1>Seas rise</h1></body></html>')
    meta = extract_page_metadata(xhtml)
    assert meta.publisher == "The Planet" and meta.date_published == "2021-03-04" and meta.headline == "Seas rise"


def test_dates_and_headlines_are_decided_by_agreement():
    head = ('<meta property="article:published_time" content="2024-01-10T08:00:00Z">'
            '<meta name="pdate" content="20240110"><meta name="date" content="2024-01-12">'
            '<meta property="og:title" content="Brazil and Argentina | The Planet"><title>Brazil and Argentina | The Planet</title>'
            '<meta property="og:site_name" content="The Planet">')
    meta = extract_page_metadata(page(head, "<h1>Brazil and Argentina</h1>"))
    assert meta.date_published == "2024-01-10" and meta.headline == "Brazil and Argentina"


def test_visible_headline_byline_and_agency_lines_leave_the_body():
    html = page('<meta name="author" content="Jane Doe"><meta property="og:title" content="Brazil and Argentina">',
                "<h1>Brazil and Argentina</h1><p>By Jane Doe</p><p>(Reuters)</p>")
    text, meta = html_to_text_page(html)
    parsed = parse_text_page(text)
    assert parsed.title == "Brazil and Argentina" and parsed.byline_names == ["Jane Doe"]
    assert "By Jane Doe" not in parsed.body_text and "(Reuters)" not in parsed.body_text
    assert parsed.body_text.startswith("Paragraph 0")


# -- text pages --------------------------------------------------------------------------------

PARAS = "\n\n".join(f"Paragraph {i}: Brazil and Argentina now trade more than ever before, and the region "
                    f"watches closely as both governments bargain over tariffs and ports." for i in range(4))


def test_byline_glued_to_an_upper_case_date():
    assert split_name_and_date("Jane Doe MAR 3, 2024") == (["Jane Doe"], date(2024, 3, 3))
    assert split_name_and_date("The war began March 3, 2024") is None
    parsed = parse_text_page(f"Menu\n\nTrade Winds in the Southern Cone\n\nJANE DOE MAR 03, 2024\n\n{PARAS}\n")
    assert parsed.title == "Trade Winds in the Southern Cone" and parsed.byline_names == ["Jane Doe"]
    assert parsed.date_published == date(2024, 3, 3)


def test_published_beats_updated():
    parsed = parse_text_page(f"Trade Winds in the Southern Cone\n\nUpdated March 12, 2024\n\n"
                             f"Published on March 11, 2024\n\n{PARAS}\n")
    assert parsed.date_published == date(2024, 3, 11)


def test_no_title_line_means_no_headline():
    parsed = parse_text_page(f"{PARAS}\n")
    assert parsed.title == "" and parsed.body_text.startswith("Paragraph 0")
    assert parse_text_page(f"Next\n\n{PARAS}\n").title == ""  # a navigation word is no headline


def test_title_suffix_names_the_publisher():
    assert split_title_suffix("Trade Winds | The Planet", "") == ("Trade Winds", "The Planet")
    assert split_title_suffix("War in Ukraine - A Year On", "") == ("War in Ukraine - A Year On", None)
    parsed = parse_text_page(f"Trade Winds in the Southern Cone - Southern Policy Review\n\nBy Jane Doe\n\n{PARAS}\n")
    assert parsed.title == "Trade Winds in the Southern Cone" and parsed.publisher == "Southern Policy Review"


def test_author_named_only_in_a_copyright_line():
    parsed = parse_text_page(f"Trade Winds in the Southern Cone\n\n{PARAS}\n\n© 2026 Jane Doe\n")
    assert parsed.byline_names == ["Jane Doe"]
    parsed = parse_text_page(f"Trade Winds in the Southern Cone\n\n{PARAS}\n\n© 2026 The Planet Review. All rights reserved.\n")
    assert parsed.byline_names == [] and parsed.publisher == "The Planet Review"


@pytest.mark.parametrize("line", ["© The Planet Review 2026. All rights reserved.",
                                  "© 2000 - 2026 The Planet Review (www.planetreview.com)",
                                  "© The Planet Review Limited 2019"])
def test_a_year_or_address_after_the_copyright_holder_is_not_its_name(line):
    parsed = parse_text_page(f"Trade Winds in the Southern Cone\n\n{PARAS}\n\n{line}\n")
    assert parsed.publisher == "The Planet Review"
    html = page("<title>Seas rise</title>", f"<h1>Seas rise</h1><p>{PARAS}</p><footer><p>{line}</p></footer>")
    assert extract_page_metadata(html).publisher == "The Planet Review"


def test_two_authors_sharing_one_bio():
    assert bio_subjects("Jane Doe and John Roe are fellows at the Example Institute.") == ["Jane Doe", "John Roe"]
    from claimgraph.extract.authors import extract_authors

    parsed = parse_text_page(f"Trade Winds in the Southern Cone\n\n{PARAS}\n\n"
                             "Jane Doe and John Roe are senior fellows at the Example Institute.\n")
    out = extract_authors(parsed)
    assert out.author_keys == ["person/jane-doe", "person/john-roe"]
    assert {(a.person_key, a.org_key) for a in out.affiliations} == {
        ("person/jane-doe", "org/example-institute"), ("person/john-roe", "org/example-institute")}


def test_bio_at_the_top_names_the_author():
    parsed = parse_text_page("Trade Winds in the Southern Cone\n\nJane Doe is a senior fellow at the Example Institute.\n\n"
                             f"{PARAS}\n")
    assert parsed.bios and parsed.bios[0].startswith("Jane Doe is a senior fellow")


@pytest.mark.parametrize("byline, org, role", [
    ("By Jane Doe, Senior Fellow at the Example Institute", "org/example-institute", "Senior Fellow"),
    ("By Jane Doe, Senior Fellow, Example Institute", "org/example-institute", "Senior Fellow"),
    ("By Jane Doe, Reuters Correspondent", "org/reuters", "Correspondent"),
])
def test_a_role_in_the_byline_is_an_affiliation(byline, org, role):
    from claimgraph.extract.authors import extract_authors

    parsed = parse_text_page(f"Trade Winds in the Southern Cone\n\n{byline}\n\n{PARAS}\n")
    out = extract_authors(parsed)
    assert out.author_keys == ["person/jane-doe"]
    assert [(a.org_key, a.role) for a in out.affiliations] == [(org, role)]


@pytest.mark.parametrize("byline, affiliations", [
    ("By Jane Doe and John Roe / Planet Shimbun Staff Writers",
     {("person/jane-doe", "org/planet-shimbun", "Staff Writer"), ("person/john-roe", "org/planet-shimbun", "Staff Writer")}),
    ("By Jane Doe / PNN / Updated: Oct 9, 2019", {("person/jane-doe", "org/pnn", None)}),
    ("By Jane Doe | AFP | March 3, 2024", {("person/jane-doe", "org/agence-france-presse", None)}),
    ("By Jane Doe\nASSOCIATED PRESS", {("person/jane-doe", "org/associated-press", None)}),
    # a bar also leads to dates and sections: only an agency or a staff role after it is an outlet
    ("By Jane Doe | Opinion", set()),
    ("By Jane Doe | 12/10/2020", set()),
])
def test_an_outlet_after_the_bylines_separator_is_the_affiliation(byline, affiliations):
    from claimgraph.extract.authors import extract_authors

    parsed = parse_text_page(f"Trade Winds in the Southern Cone\n\n{byline}\n\n{PARAS}\n")
    out = extract_authors(parsed)
    assert set(out.author_keys) == {p for p, _, _ in affiliations} or not affiliations
    assert {(a.person_key, a.org_key, a.role) for a in out.affiliations} == affiliations


def test_html_byline_role_reaches_the_affiliations():
    from claimgraph.extract.authors import extract_authors

    html = page('<meta name="author" content="Jane Doe">',
                '<div class="byline">By Jane Doe, Senior Fellow at the Example Institute</div>')
    text, meta = html_to_text_page(html)
    assert meta.authors == ("Jane Doe",) and meta.author_roles == (("Jane Doe", "Senior Fellow at the Example Institute"),)
    out = extract_authors(parse_text_page(text))
    assert [(a.org_key, a.role) for a in out.affiliations] == [("org/example-institute", "Senior Fellow")]


# -- pages dumped from a browser (menus first, furniture after) ---------------------------------

MENU = "\n".join(["Home", "World", "Politics", "Business", "Opinion", "Sign In", "Subscribe", "Being Black in Canada",
                  "Top Stories", "Local", "Climate"])
LONG = " ".join(["Brazil and Argentina signed a trade pact on Monday that cuts tariffs on steel, grain and cars,"
                 " and both governments said the deal would be ratified before the end of the year."] * 2)
LONG2 = ("Uruguay and Paraguay watched the talks closely, since their own exports cross the same ports and rivers,"
         " and their ministers asked to join a second round of negotiations next spring.")
LONG3 = ("Critics in both capitals warned that the pact leaves farmers exposed to cheaper imports, while industry"
         " groups welcomed lower costs for machinery, steel and the parts their factories need.")
FOOTER = "\n".join(["More from World", "Trending", "Latest News", "About Us", "Contact", "Careers", "Jane Roe",
                    "John Poe", "© 2024 The Southern Planet. All rights reserved."])


def dump(head: str, body: str = LONG) -> str:
    """A page as a browser's innerText gives it: one block per line, blank lines between paragraphs."""
    return f"{MENU}\n{head}\n{body}\n\n{LONG2}\n\n{LONG3}\n{FOOTER}\n"


def test_browser_dump_lines_are_not_rejoined_but_hard_wrapped_text_is():
    from claimgraph.parse.text_page import is_hard_wrapped, split_units

    assert not is_hard_wrapped(dump("Brazil and Argentina Sign a Trade Pact").split("\n"))
    units = split_units("Brazil and Argentina Sign a Trade Pact After Years of Talks\nThe deal cuts tariffs on steel.")
    assert [u.text for u in units][0] == "Brazil and Argentina Sign a Trade Pact After Years of Talks"
    assert split_units("H\nong Kong is burning.")[0].text == "Hong Kong is burning."


def test_title_just_above_the_text_after_menus():
    page = parse_text_page(dump("Brazil and Argentina sign a trade pact\nBy Jane Doe\nMarch 3, 2024"))
    assert page.title == "Brazil and Argentina sign a trade pact"
    assert page.byline_names == ["Jane Doe"] and page.date_published == date(2024, 3, 3)


@pytest.mark.parametrize("line", [
    "Continue reading the main story", "Skip to site index", "Read more from this author",
    "Home Trade & Industry", "Jane Doe Director of Communications and Managing Editor",
    "Twitter LinkedIn Facebook Email Copy Link", "Jane Roe/The Southern Planet", "JANE ROE/AFP via Getty Images",
    "Trade & Industry", "Jane Doe and John Roe", "The Times of India",
])
def test_lines_no_article_is_titled(line):
    from claimgraph.parse.text_page import not_a_headline

    assert not_a_headline(line)


@pytest.mark.parametrize("line", [
    "Japan Prime Minister Dodges Criticism During Leaders Debate", "Brazil and Argentina Sign a Trade Pact",
    "Why Washington and Beijing Keep Talking", "Read the Room: Europe's Quiet Rearmament",
])
def test_headlines_are_not_taken_for_furniture(line):
    from claimgraph.parse.text_page import not_a_headline

    assert not not_a_headline(line)


def test_a_call_to_action_between_the_menu_and_the_title_is_no_headline():
    page = parse_text_page(dump("Continue reading the main story\nBrazil and Argentina Sign a Trade Pact\n"
                                "Jane Roe/The Southern Planet\nBy Jane Doe"))
    assert page.title == "Brazil and Argentina Sign a Trade Pact"


def test_a_title_printed_twice_beats_a_nearer_line():
    page = parse_text_page(dump("Brazil and Argentina Sign a Trade Pact | The Southern Planet\nWorld\n"
                                "Brazil and Argentina Sign a Trade Pact\nTrade ministers met in Montevideo on Monday"))
    assert page.title == "Brazil and Argentina Sign a Trade Pact"


def test_the_article_ends_where_the_furniture_begins():
    page = parse_text_page(dump("Brazil and Argentina sign a trade pact"))
    assert "Jane Roe" not in page.body_text and "Careers" not in page.body_text
    assert page.body_text.count("Brazil and Argentina signed") == 2 and page.body_text.endswith("their factories need.")


def test_publisher_of_a_text_page_by_pooled_evidence():
    page = parse_text_page(dump("Brazil and Argentina sign a trade pact") + "Advertise with The Southern Planet\n"
                           "news@southernplanet.com\n")
    assert page.publisher == "The Southern Planet"
    page = parse_text_page(dump("Brazil and Argentina sign a trade pact") + "The Planet Weekly is a publication of "
                           "the Southern Media Group\n")
    assert page.publisher == "The Planet Weekly"


def test_header_bylines_in_other_shapes():
    page = parse_text_page(dump("Brazil and Argentina sign a trade pact\nBy\nJane Doe\nMarch 3, 2024"))
    assert page.byline_names == ["Jane Doe"]
    page = parse_text_page(dump("Brazil and Argentina sign a trade pact\nJane Doe · The Southern Planet · Posted: Mar 03, 2024"))
    assert page.byline_names == ["Jane Doe"] and page.byline_roles == [("Jane Doe", "The Southern Planet")]
    page = parse_text_page(dump("Brazil and Argentina sign a trade pact", "By Jane Doe: " + LONG))
    assert page.byline_names == ["Jane Doe"] and page.body_text.startswith("Brazil and Argentina signed")


def test_photo_credits_leave_the_text():
    from claimgraph.parse.text_page import strip_photo_credits

    assert strip_photo_credits("Ministers met in Montevideo. (AP Photo/Jane Roe)") == "Ministers met in Montevideo."
    assert strip_photo_credits("A ship in the strait, 22 May 2026. REUTERS / Stringer") == "A ship in the strait, 22 May 2026."
    assert strip_photo_credits("The U.S. (United States) acted.") == "The U.S. (United States) acted."


def test_ranks_and_offices_are_not_part_of_a_name():
    from claimgraph.resolve import normalise_person_name

    assert normalise_person_name("Rear Admiral Daniel Hagari") == ("Daniel Hagari", "Rear Admiral")
    assert normalise_person_name("BVI Premier Andrew Fahie")[0] == "Andrew Fahie"
    assert normalise_person_name("Martin Luther King")[0] == "Martin Luther King"


def test_byline_shapes_of_browser_dumps():
    from claimgraph.parse.text_page import parse_byline

    assert parse_byline("ByMalcolm Harris | January 14, 2015") == ["Malcolm Harris"]
    assert byline_names("By Jane Doe China Correspondent") == ["Jane Doe"]
    html = page('<meta name="author" content="Jane Doe">', '<div class="byline">By Jane Q.R. Doe</div>')
    assert extract_page_metadata(html).authors == ("Jane Q.R. Doe",)  # the fullest spelling
