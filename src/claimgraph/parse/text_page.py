"""Parse: an article page saved as plain text -> ParsedPage.

Saved pages are the article's visible text with the site's chrome still in it:
navigation, share buttons, "Similar Posts", author boxes, footnotes, reader
comments and the comment form. The rules below use only generic cues, never a
site's own strings:

- boilerplate: short lines from a generic list of news/think-tank site phrases;
- title: the first heading-like line (a short line of 1-4 words right above
  another heading-like line is the section/column name instead);
- standfirst: a one/two-sentence paragraph right after the title, set apart
  from the body by a caption/byline/date, or repeated by the first paragraph;
- a line printed twice in a row is a name box (when it looks like a person's
  name and an author bio follows or nothing but notes/bios/comments follow)
  or else an image caption;
- "[n] ..." lines (or numbered items under a Notes/References heading) are
  footnotes; "op. cit." and "ibid." notes point back to the note they repeat;
- a paragraph that opens with a person's name and a bio verb ("is a",
  "graduated", ...) is an author bio when it follows a name box or an author
  label ("Written By"), names a byline author, or stands at the end/start of
  the article and reads like a bio (fellow, professor, university, ...);
- a numbered item or short line followed by a date line ("May 9, 2023 at
  6:56 pm") starts a reader comment; its paragraphs run until the next one.

Inline footnote markers such as "[1]" are kept in the body text: they are
harmless to the extractors and keeping them keeps offsets trivially exact.
Whitespace inside a paragraph is collapsed (non-breaking spaces included), and
hard-wrapped paragraphs are re-joined, before offsets are computed.
"""
from __future__ import annotations

import html
import re
from dataclasses import dataclass, field
from datetime import date, datetime

from ..model import Block, BlockKind, Footnote, ParsedPage, RawComment
from ..reference import read_table
from ..resolve import HONORIFICS

# ------------------------------------------------------------------ vocabulary

# Whole-line boilerplate of news and think-tank sites (compared lower-cased,
# without surrounding punctuation).
BOILERPLATE_LINES = frozenset("""
connect with us
hi, what are you looking for
what are you looking for
similar posts
related posts
related articles
related stories
related content
related
recommended
recommended for you
you may also like
you might also like
more from author
more from this author
more stories
more articles
read more
read next
keep reading
continue reading
leave a reply
leave a comment
post a comment
post comment
submit comment
cancel reply
reply
log in to reply
share
share this
share this article
share this post
share on facebook
share on twitter
tweet
print
print this page
email
facebook
twitter
linkedin
whatsapp
telegram
reddit
pinterest
menu
main menu
search
search for
home
skip to content
skip to main content
close
advertisement
sponsored
subscribe
subscribe now
newsletter
sign up
log in
login
register
sign in
toggle navigation
back to top
loading
load more
previous post
next post
previous article
next article
most popular
most read
popular posts
recent posts
trending
trending now
latest
latest news
tags
categories
follow us
like this
like
accept
accept all
reject all
cookie settings
manage cookies
privacy policy
terms of use
terms and conditions
contact us
about us
donate
support us
listen to this article
listen
font size
view comments
show comments
hide comments
no comments
no comments yet
be the first to comment
e-mail this to a friend
email this to a friend
printable version
save articles to read later
read in app
redeem now
copy link
next
previous
prev
back
go back
back to home
next story
previous story
next page
previous page
older posts
newer posts
older
newer
top
go to top
jump to
open menu
close menu
more
see more
view all
show more
""".strip().splitlines())

# Short lines that start like site chrome.
BOILERPLATE_PREFIX_RE = re.compile(
    r"^(?:share (?:this|on|via)\b|follow us\b|subscribe\b|sign up\b|join our\b|read more\b|"
    r"related:|see also:|tags?:|filed under\b|posted in\b|categories:|category:|topics?:|"
    r"copyright\b|©|\(c\) \d|all rights reserved|we use cookies|this (?:site|website) uses cookies|"
    r"by (?:continuing|using)\b.*\b(?:site|website)\b|your email address will not be published|"
    r"required fields are marked|save my name|notify me of|you must be logged in|"
    r"photo:|image:|photo credit|image credit|credit:|source:|getty images|"
    r"\d+\s*min(?:ute)?s? read|reading time|\d+ views?\b|views:|"
    r"the (?:views|opinions) expressed\b|views expressed in this|disclaimer:|"
    r"this (?:article|post|piece|commentary) (?:was|is) (?:first|originally) published|"
    r"(?:first|originally) published (?:in|by|at|on)\b)",
    re.IGNORECASE,
)
BOILERPLATE_MAX_WORDS = 30

# Lines that introduce a list of other articles: short title-like lines after
# them are links, not headings.
RELATED_MARKERS = frozenset({
    "similar posts", "related posts", "related articles", "related stories", "related content",
    "related", "recommended", "recommended for you", "you may also like", "you might also like",
    "more from author", "more from this author", "more stories", "more articles", "read next",
    "popular posts", "recent posts", "most popular", "most read", "trending", "trending now",
    "latest", "latest news",
})

# Lines after which the author box follows.
AUTHOR_LABEL_RE = re.compile(
    r"^(?:written by|about the authors?|the authors?|authors?|author bio(?:graphy)?|"
    r"about the contributors?|contributors?|posted by|published by)\s*:?$",
    re.IGNORECASE,
)
NOTES_HEADING_RE = re.compile(
    r"^(?:notes?|end ?notes|foot ?notes|references|sources|bibliography|works cited|citations)\s*:?$",
    re.IGNORECASE,
)
COMMENTS_HEADING_RE = re.compile(
    r"^(?:\d+\s+)?(?:comments?|responses?|replies|reader comments|discussion|"
    r"thoughts on\b.*|\d+ thoughts on\b.*|(?:one|two|three|\d+) (?:comments?|responses?) (?:on|to)\b.*)\s*:?$",
    re.IGNORECASE,
)
# Comment form lines: after them no comment text continues.
COMMENT_FORM_RE = re.compile(
    r"^(?:leave a (?:reply|comment)|post a comment|post comment|submit comment|cancel reply|"
    r"your email address will not be published|required fields are marked|you must be logged in)",
    re.IGNORECASE,
)
BREADCRUMB_RE = re.compile(r"^home\s*(?:»|›|>|/|\|)\s*(?P<rest>.+)$", re.IGNORECASE)
BREADCRUMB_SPLIT_RE = re.compile(r"\s*(?:»|›|>|/|\|)\s*")

# Translation offers ("This post is also available in: Deutsch Español").
TRANSLATION_RE = re.compile(
    r"^(?:this (?:post|article|page|entry|story|analysis) is )?(?:also )?available in\s*:?\s*(?P<langs>.+)$"
    r"|^(?:read (?:this|it|the article) (?:also )?in|also in|translations?|other languages?|"
    r"read in)\s*:\s*(?P<langs2>.+)$",
    re.IGNORECASE,
)
# Language names as the languages write them (and a few English names), for
# recognising translation offers. Longest first when matching.
LANGUAGE_ENDONYMS = tuple(row["name"] for row in read_table("languages.csv") if "offer" in row["uses"].split("|"))
_LANGUAGES_LONGEST_FIRST = sorted(LANGUAGE_ENDONYMS, key=len, reverse=True)

# Capitalised function words that never belong to a person's name.
NAME_STOPWORDS = frozenset("""
the a an of and or in on at for to with from by as is are was were be how why what when where who
will would can could should may might must do does did not no this that these those it its his her
their our your my we they he she you i if but so than then there here after before about into over
under new more most all any some us u.s. u.k. eu un
""".split())
# Capitalised words of job titles and desks, which a byline may print after the name.
NAME_ROLE_WORDS = frozenset("""
fellow editor director professor correspondent staff writer reporter contributor columnist analyst senior
associate chief team desk news service agency bureau editorial board president minister secretary
""".split())
NAME_PARTICLES = frozenset({"van", "von", "de", "da", "del", "der", "di", "la", "le", "bin", "al", "ibn", "du", "dos", "das"})

_HONORIFIC_ALTS = "|".join(re.escape(h) for h in sorted(HONORIFICS, key=len, reverse=True))
HONORIFIC_PREFIX_RE = re.compile(rf"^(?:(?:{_HONORIFIC_ALTS})\.?\s+)+", re.IGNORECASE)

# Verbs that open the predicate of a bio sentence ("X is a ...", "X graduated ...").
BIO_VERB_RE = re.compile(
    r"^(?:is|was|has|holds|graduated|serves|served|works|worked|teaches|taught|received|earned|"
    r"joined|leads|led|directs|writes|covers|specializes|specialises|researches|completed|studied|"
    r"obtained|currently|previously|formerly|also)\b"
)
# Words that make a paragraph read like a bio rather than like reporting.
BIO_CUE_RE = re.compile(
    r"\b(?:fellow|professor|lecturer|researcher|research assistant|specialist|analyst|editor|"
    r"columnist|correspondent|journalist|director|scholar|expert|adviser|advisor|author of|"
    r"graduated|ph\.?d|doctorate|master'?s|bachelor'?s|degree|universit\w*|institute|think[- ]tank|"
    r"served as|areas? of (?:specialization|specialisation|expertise)|contributing|reporter|author|"
    r"based in|writes (?:about|on|for)|covers|focuses on|works on|centre|center|program(?:me)?)\b",
    re.IGNORECASE,
)
# Sentences that continue a bio without repeating the full name.
BIO_CONTINUATION_RE = re.compile(r"^(?:he|she|they|his|her|their|(?:dr|prof|mr|mrs|ms)\.?\s+\w+)\b", re.IGNORECASE)

BYLINE_RE = re.compile(r"^(?:by|written by|words by|text by|story by|(?:research and )?analysis by|research by|reporting by|"
                       r"authors?:)\s+(?P<names>.+)$", re.IGNORECASE)
BYLINE_CUT_RE = re.compile(r"\s*(?:\||•|·|—|–|\s-\s|\bon\s+\w+\s+\d|\bpublished\b|\bupdated\b).*$", re.IGNORECASE)
NAME_LIST_SPLIT_RE = re.compile(r"\s*(?:,\s*and\s+|,\s*|\s+and\s+|\s*&\s*)")

FOOTNOTE_RE = re.compile(r"^\[(?P<n>\d{1,3})\]\s*(?P<text>.*)$")
NOTES_ITEM_RE = re.compile(r"^(?:\[(?P<a>\d{1,3})\]|(?P<b>\d{1,3})[.)]|\^(?P<c>\d{1,3}))\s+(?P<text>.+)$")
OPCIT_RE = re.compile(r"\b(?:op\.?\s*cit|loc\.?\s*cit)\b\.?", re.IGNORECASE)
IBID_RE = re.compile(r"^\W*ibid(?:em)?\b", re.IGNORECASE)

COMMENT_NUMBERED_RE = re.compile(r"^(?P<num>\d{1,4})[.)]\s+(?P<author>\S.*)$")
COMMENT_SAYS_RE = re.compile(r"\s+(?:says|said|wrote)\s*:?$", re.IGNORECASE)
COMMENT_ONE_LINE_RE = re.compile(
    r"^(?:(?P<num>\d{1,4})[.)]\s+)?(?P<author>[^|•·]{1,60}?)\s*(?:(?:says|said|wrote)\s*:?)?\s*"
    r"(?:\bon\b|\||•|·|—|–|,)\s*(?P<when>.+)$",
    re.IGNORECASE,
)
COMMENT_MAX_AUTHOR_WORDS = 6

# Caption lines as sites print them ("Photo: Leaders meet in Jakarta."); a credit at their end
# ("Credit: Reuters", "(Photo: AFP)") is the photographer's, not a caption's, and is cut off.
CAPTION_LABEL_RE = re.compile(r"^(?:photo|image|picture|pictured|caption|photograph|main image|top image|above)\s*:\s*(?P<text>.+)$",
                              re.IGNORECASE)
CAPTION_CREDIT_RE = re.compile(r"\s*(?:[(\[]\s*)?\b(?:photo|image|picture)?\s*(?:credit|courtesy|source)s?\s*:.*$|\s*[(\[]\s*(?:photo|image)\s*:[^)\]]*[)\]]\s*$",
                               re.IGNORECASE)
# Photo credits inside a paragraph or a caption: "(Photo: Jane Doe / UN Photo)", "(AP Photo/Jane Doe)",
# "… in 2026. REUTERS / Jane Doe", "(Jane Doe/Getty Images)". They name photographers, not the story's people.
PHOTO_CREDIT_RES = (
    re.compile(r"\s*[(\[]\s*(?:[A-Z]{2,}\s+)?(?:photo(?:graph)?s?|image|picture|pic|credit|video|file photo)\b[^)\]]{0,160}[)\]]",
               re.IGNORECASE),
    re.compile(r"\s*[(\[][^()\[\]]{2,60}/\s*(?:getty images|afp|ap|reuters|epa|anadolu(?: agency)?|[A-Z]{2,12})[^()\[\]]{0,40}[)\]]\s*$"),
    re.compile(r"(?<=[.!?])\s+(?:[A-Z]{2,}(?:\s+[A-Z]{2,})?|Getty Images)\s*/\s*[^./]{2,60}$"),
)


def strip_photo_credits(text: str) -> str:
    for pattern in PHOTO_CREDIT_RES:
        text = pattern.sub("", text)
    return text.strip()


# An author box label on the same line as the bio ("About the author: Jane Doe is …").
AUTHOR_INLINE_RE = re.compile(r"^(?:about the authors?|author bio(?:graphy)?|about the contributors?|the authors?|"
                              r"author'?s? note|note on the authors?)\s*:\s*(?P<rest>\S.+)$", re.IGNORECASE)
# Comment action lines: "Like · Reply", "Reply | Report", "Like Reply".
COMMENT_ACTIONS_RE = re.compile(r"^(?:(?:like|likes|reply|replies|report|flag|share|quote|permalink|upvote|downvote|"
                                r"edit|delete|\d+)\s*[·|•/]?\s*)+$", re.IGNORECASE)
# A comment author line ending in a period: "Anna K.", "J. Morgan.", "Gérard L."
COMMENT_DOT_AUTHOR_RE = re.compile(r"^(?:[^\W\d_][\w'’-]*\.?\s+){0,3}[^\W\d_][\w'’-]*\.$")
# A dateline opening a report: "WASHINGTON —", "BRASÍLIA, Brazil —", "LONDON (Reuters) -".
DATELINE_RE = re.compile(r"^(?P<place>[^\W\d_][^\W\d_ .'’-]*(?:[ .'’-]+[^\W\d_]+)*\.?(?:,\s+[^\W\d_][\w.]*(?:\s[^\W\d_][\w.]*)?)?)"
                         r"(?:\s*\((?P<credit>[^()]{1,30})\))?\s*(?:—|–|--|-|:)\s+(?=\S)")
# Bare note numbers left after the sentence's end when superscripts are flattened ("Moscow.1 Two years").
FLAT_NOTE_MARK_RE = re.compile(r"(?<=[^\W\d_][.!?\"”’])(?P<n>\d{1,3})(?=\s+[\"“‘]?[A-Z]|\s*$)")

PUBLISHED_LINE_RE = re.compile(r"^(?:published|posted|updated|last updated|date)(?:\s+on)?\s*:?\s*(?P<when>.+)$", re.IGNORECASE)

# Words whose trailing period does not end a sentence.
ABBREVIATIONS = frozenset({h.lower() for h in HONORIFICS} | {
    "u.s", "u.k", "st", "no", "vs", "jr", "sr", "e.g", "i.e", "etc", "inc", "co", "corp", "assoc", "asst",
    "op", "cit", "ibid", "p", "pp", "vol", "ed", "eds",
})
SENTENCE_END_RE = re.compile(r"[.!?][\"'”’)\]]*(?=\s+[\"“‘(]?[A-Z0-9])")
TERMINAL_PUNCT = ".!?:;\"”’)]"
_WS_RE = re.compile(r"[\s\u00a0\u2000-\u200b\u202f\u205f\u3000]+")
_HTML_ENTITY_RE = re.compile(r"&(?:[a-zA-Z]{2,8}|#\d{2,6}|#x[0-9a-fA-F]{2,6});")

# ----------------------------------------------------------------------- dates

MONTHS = {
    "jan": 1, "feb": 2, "mar": 3, "apr": 4, "may": 5, "jun": 6, "jul": 7, "aug": 8,
    "sep": 9, "sept": 9, "oct": 10, "nov": 11, "dec": 12,
}
_MONTH = (r"(?P<mon>jan(?:uary)?|feb(?:ruary)?|mar(?:ch)?|apr(?:il)?|may|june?|july?|aug(?:ust)?|"
          r"sept?(?:ember)?|oct(?:ober)?|nov(?:ember)?|dec(?:ember)?)\.?")
_WEEKDAY = r"(?:(?:mon|tue|tues|wed|thu|thur|thurs|fri|sat|sun)[a-z]*\.?,?\s+)?"
_TIME = (r"(?:\s*(?:,|\bat\b|@|-|–|—|\||\bo'clock\b)?\s*(?P<h>\d{1,2})[:.](?P<mi>\d{2})(?::(?P<s>\d{2}))?"
         r"\s*(?P<ampm>[ap]\.?\s?m\.?)?(?:\s*(?:[A-Z]{2,4}|UTC[+-]?\d*|GMT[+-]?\d*))?)?")
DATE_PATTERNS = [
    re.compile(rf"{_WEEKDAY}{_MONTH}\s+(?P<d>\d{{1,2}})(?:st|nd|rd|th)?,?\s+(?P<y>\d{{4}}){_TIME}", re.IGNORECASE),
    re.compile(rf"{_WEEKDAY}(?P<d>\d{{1,2}})(?:st|nd|rd|th)?\s+(?:of\s+)?{_MONTH},?\s+(?P<y>\d{{4}}){_TIME}", re.IGNORECASE),
    re.compile(r"(?P<y>\d{4})-(?P<m>\d{1,2})-(?P<d>\d{1,2})(?:[T ](?P<h>\d{1,2}):(?P<mi>\d{2})(?::(?P<s>\d{2}))?(?:\.\d+)?(?:Z|[+-]\d{2}:?\d{2})?)?", re.IGNORECASE),
    # Dotted dates are day-first (European usage); a two-digit year is this century's.
    re.compile(rf"(?P<d>\d{{1,2}})\.(?P<m>\d{{1,2}})\.(?P<y>\d{{4}}){_TIME}", re.IGNORECASE),
    re.compile(r"(?P<d>\d{1,2})\.(?P<m>\d{1,2})\.(?P<y2>\d{2})(?!\d)"),
    # Slashed dates are month-first (US usage) unless the first number cannot be a month.
    re.compile(rf"(?P<m>\d{{1,2}})/(?P<d>\d{{1,2}})/(?P<y>\d{{4}}){_TIME}", re.IGNORECASE),
]
_TIME_FIRST_RE = re.compile(r"^(?P<h>\d{1,2})[:.](?P<mi>\d{2})\s*(?P<ampm>[ap]\.?\s?m\.?)?\s*(?:,|on|-|–|\|)?\s*(?P<rest>.+)$", re.IGNORECASE)


def _build_datetime(gd: dict[str, str | None]) -> tuple[datetime, bool] | None:
    try:
        year = int(gd["y"]) if gd.get("y") else 2000 + int(gd["y2"])
        if gd.get("mon"):
            month = MONTHS[gd["mon"].lower().rstrip(".")[:4] if gd["mon"].lower().startswith("sept") else gd["mon"].lower()[:3]]
            day = int(gd["d"])
        else:
            month, day = int(gd["m"]), int(gd["d"])
            if month > 12 and day <= 12:  # "23/03/2023": day-first after all
                month, day = day, month
        hour = minute = second = 0
        has_time = gd.get("h") is not None
        if has_time:
            hour, minute = int(gd["h"]), int(gd["mi"])
            second = int(gd["s"]) if gd.get("s") else 0
            ampm = (gd.get("ampm") or "").lower().replace(".", "").replace(" ", "")
            if ampm == "pm" and hour < 12:
                hour += 12
            elif ampm == "am" and hour == 12:
                hour = 0
        if not 1800 <= year <= 2200:
            return None
        return datetime(year, month, day, hour, minute, second), has_time
    except (KeyError, ValueError, TypeError):
        return None


def match_datetime(text: str) -> tuple[datetime, bool] | None:
    """The date(-time) that makes up the whole of `text`, and whether it has a time.

    "May 9, 2023 at 6:56 pm" -> (2023-05-09 18:56, True); "23.03.2023" -> (2023-03-23, False).
    """
    text = text.strip().strip(" .,;()[]")
    m = _TIME_FIRST_RE.match(text)
    if m:  # "6:56 pm, May 9, 2023"
        inner = match_datetime(m.group("rest"))
        if inner:
            built = _build_datetime({"y": str(inner[0].year), "m": str(inner[0].month), "d": str(inner[0].day),
                                     "h": m.group("h"), "mi": m.group("mi"), "ampm": m.group("ampm")})
            if built:
                return built
    for pattern in DATE_PATTERNS:
        m = pattern.fullmatch(text)
        if m:
            return _build_datetime(m.groupdict())
    return None


def parse_datetime_text(text: str) -> datetime | None:
    """A date or date-time written in one of the usual forms; None if `text` is not one."""
    found = match_datetime(text)
    return found[0] if found else None


def find_date_span(text: str) -> tuple[date, int, int] | None:
    """The first date written anywhere in `text`, with where it is."""
    best: tuple[date, int, int] | None = None
    for pattern in DATE_PATTERNS:
        for m in pattern.finditer(text):
            built = _build_datetime(m.groupdict())
            if built:
                if best is None or m.start() < best[1]:
                    best = (built[0].date(), m.start(), m.end())
                break
    return best


def find_date(text: str) -> date | None:
    """The first date written anywhere in `text` ("Accessed 23 March 2023." -> 2023-03-23)."""
    found = find_date_span(text)
    return found[0] if found else None


# --------------------------------------------------------------------- helpers


def normalise_space(text: str) -> str:
    return _WS_RE.sub(" ", text).strip()


def boilerplate_key(line: str) -> str:
    return normalise_space(line).lower().strip(" .,:;!?|»›>-–—•·*#")


def is_boilerplate(line: str) -> bool:
    key = boilerplate_key(line)
    if not key or not any(ch.isalnum() for ch in key):
        return True  # separators, bullets, lone symbols
    if len(key.split()) > BOILERPLATE_MAX_WORDS:
        return False
    if COMMENT_ACTIONS_RE.match(key) and re.search(r"[a-z]", key):
        return True
    return key in BOILERPLATE_LINES or bool(BOILERPLATE_PREFIX_RE.match(key))


def _is_date_line(text: str) -> bool:
    """A line of dates and reading-time chrome: "Published on 22 April 2024 · 7 min read"."""
    parts = [p for p in re.split(r"\s*[·|•]\s*", text) if p.strip()]
    if not parts:
        return False
    seen_date = False
    for part in parts:
        m = PUBLISHED_LINE_RE.match(part)
        if match_datetime(part) or (m and match_datetime(m.group("when"))):
            seen_date = True
        elif not is_boilerplate(part):
            return False
    return seen_date


def word_count(text: str) -> int:
    return len(text.split())


def sentence_count(text: str) -> int:
    ends = [m for m in SENTENCE_END_RE.finditer(text) if not _is_abbreviation_before(text, m.start())]
    return len(ends) + 1


def _is_abbreviation_before(text: str, dot: int) -> bool:
    """True when the '.' at `dot` ends an abbreviation or an initial, not a sentence."""
    if text[dot] != ".":
        return False
    start = dot
    while start > 0 and not text[start - 1].isspace():
        start -= 1
    word = text[start:dot].strip("(\"“'")
    if len(word) == 1 and word.isalpha():
        return True  # an initial: "John Q. Public"
    return word.lower().rstrip(".") in ABBREVIATIONS


def split_sentences(text: str) -> list[str]:
    """Sentences of a paragraph; honorifics, initials and "U.S." do not end one."""
    out, start = [], 0
    for m in SENTENCE_END_RE.finditer(text):
        if _is_abbreviation_before(text, m.start()):
            continue
        out.append(text[start:m.end()].strip())
        start = m.end()
    tail = text[start:].strip()
    if tail:
        out.append(tail)
    return out


def looks_like_heading(text: str, *, max_words: int = 16) -> bool:
    """A short title-case line without final period (or a very short line without punctuation)."""
    words = text.split()
    if not words or len(words) > max_words or not text[0].isupper() and not text[0].isdigit():
        return False
    if text[-1] in ".,;:":
        return False
    content = [w for w in words if w[0].isalpha() and w.lower().strip("'’\"“”") not in NAME_STOPWORDS]
    if not content:
        return False
    capitalised = sum(1 for w in content if w[0].isupper())
    if sentence_count(text) > 1:
        # "Non-Alignment Is Back. It Looks Different This Time": a title in title case.
        return len(content) >= 4 and capitalised == len(content)
    if capitalised / len(content) >= 0.6:
        return True
    return len(words) <= 10 and text[-1] not in "!?\"”"


def _is_name_token(token: str) -> bool:
    if token.lower() in NAME_PARTICLES:
        return True
    core = token.rstrip(",")
    if not core or not core[0].isupper() or core.lower() in NAME_STOPWORDS:
        return False
    return all(ch.isalpha() or ch in ".'’-" for ch in core)


def split_honorific(text: str) -> tuple[str, str]:
    m = HONORIFIC_PREFIX_RE.match(text)
    return (text[:m.end()], text[m.end():]) if m else ("", text)


def looks_like_person_name(text: str) -> bool:
    """'Dr. Jane DOE', 'Jane Doe', 'John Q. Public': 2-5 capitalised name tokens, nothing else."""
    _, rest = split_honorific(normalise_space(text))
    tokens = rest.split()
    if not 2 <= len(tokens) <= 5 or any(t.endswith(",") for t in tokens):
        return False
    if not all(_is_name_token(t) for t in tokens) or any(t.lower().strip(".,") in NAME_ROLE_WORDS for t in tokens):
        return False
    if tokens[0].lower() in NAME_PARTICLES or tokens[-1].lower() in NAME_PARTICLES:
        return False
    return sum(1 for t in tokens if len(t.strip(".")) >= 2) >= 2


def leading_person_name(text: str) -> tuple[str, int] | None:
    """The person's name a sentence opens with, and where it ends: ("Dr. Jane Doe", 12)."""
    honorific, rest = split_honorific(text)
    pos = len(honorific)
    tokens = []
    for m in re.finditer(r"\S+", rest):
        token = m.group()
        if len(tokens) >= 5 or not _is_name_token(token):
            break
        tokens.append((token, m.end()))
        if token.endswith(","):
            break
    # Trailing particles or a trailing comma-word belong to what follows.
    while tokens and tokens[-1][0].lower() in NAME_PARTICLES:
        tokens.pop()
    if len(tokens) < 2:
        return None
    name = text[:pos + tokens[-1][1]].rstrip(",")
    return name, pos + tokens[-1][1]


_PAREN_AFTER_NAME_RE = re.compile(r"^\s*(?:\([^()]*\)|\((?=\s))")  # "(@handle; website)" or a lone "(" left by a link
_POSTNOMINAL_RE = re.compile(r"^\s*,\s*(?:ph\.?\s?d\.?|d\.?phil\.?|m\.?a\.?|m\.?sc\.?|mba|jd|md)\s*,?", re.IGNORECASE)
_APPOSITION_RE = re.compile(r"^\s*,\s+(?:a|an|the|who)\s+", re.IGNORECASE)
# A role between commas after the name, then the verb: "Jane Doe, professor of law at X, is …".
_ROLE_APPOSITION_RE = re.compile(r"^\s*,\s+(?P<role>[^,;.]{3,200}?(?:,\s+[^,;.]{3,120}?)?),\s+(?=(?:is|was|has|holds|writes|"
                                 r"serves|served|leads|directs|teaches|taught|co-?authored|authored)\b)")


def bio_subject(text: str) -> str | None:
    """The person a bio paragraph is about, if it opens like one: "<Name> (…) is a …"."""
    found = leading_person_name(text)
    if not found:
        return None
    name, end = found
    rest = ("," if text[:end].endswith(",") else "") + text[end:]  # the comma after the name's last token
    for pattern in (_PAREN_AFTER_NAME_RE, _POSTNOMINAL_RE):
        m = pattern.match(rest)
        if m:
            rest = rest[m.end():]
    if _APPOSITION_RE.match(rest):
        return name
    m = _ROLE_APPOSITION_RE.match(rest)
    if m and BIO_CUE_RE.search(m.group("role")):
        return name  # "Jane Doe, senior fellow at the Example Institute, is the author of …"
    rest = rest.lstrip(" ,")
    return name if BIO_VERB_RE.match(rest) else None


_SHARED_BIO_VERB_RE = re.compile(r"^\s*,?\s*(?:are|were|both|have|co-?(?:direct|lead|found|author)\w*|jointly)\b")


def bio_subjects(text: str) -> list[str]:
    """Everyone a bio paragraph is about: 'Jane Doe and John Roe are fellows at …' -> both;
    'Jane Doe is a fellow … John Roe is the director …' -> both; [] if it is no bio."""
    return [name for subjects, _ in bio_parts(text) for name in subjects if name] if bio_parts(text) else []


def bio_parts(text: str) -> list[tuple[list[str], str]]:
    """A bio paragraph split by whom each sentence is about: [(subjects, text)], in order.

    A sentence that opens with a new person's name and a bio verb starts that
    person's part; other sentences continue the part before them."""
    parts: list[tuple[list[str], str]] = []
    for sentence in split_sentences(text):
        subjects = _sentence_subjects(sentence)
        if subjects:
            parts.append((subjects, sentence))
        elif parts:
            parts[-1] = (parts[-1][0], parts[-1][1] + " " + sentence)
        else:
            return []  # a bio opens with its subject
    return parts


def _sentence_subjects(sentence: str) -> list[str]:
    single = bio_subject(sentence)
    found = leading_person_name(sentence)
    if found:
        rest = sentence[found[1]:]
        m = re.match(r"^\s*(?:and|&)\s+", rest)
        if m:
            second = leading_person_name(rest[m.end():])
            if second and _SHARED_BIO_VERB_RE.match(rest[m.end() + second[1]:]):
                return [found[0], second[0]]
    return [single] if single else []


def name_signature(name: str) -> str:
    """Compare names without honorifics, case or punctuation: 'Dr. Cenk TAMER' -> 'cenk tamer'."""
    _, rest = split_honorific(normalise_space(name))
    return " ".join(re.sub(r"[^\w\s-]", "", rest).lower().split())


def same_person(a: str, b: str) -> bool:
    sa, sb = name_signature(a).split(), name_signature(b).split()
    if not sa or not sb:
        return False
    if sa == sb:
        return True
    # "John Public" vs "John Q. Public": same first and last name.
    return sa[-1] == sb[-1] and sa[0] == sb[0]


def parse_byline(line: str) -> list[str]:
    """'By Jane DOE and John Smith | March 3, 2023' -> ['Jane DOE', 'John Smith']; [] if not a byline.

    The names go through `parse/bylines.py` (agency credits, boards and job titles dropped)."""
    from .bylines import byline_names

    line = GLUED_BY_RE.sub("By ", normalise_space(line))
    m = BYLINE_RE.match(line)
    if not m:
        return []
    return byline_names(line)


# "ByMalcolm Harris": a browser dump loses the space between "By" and a linked name.
GLUED_BY_RE = re.compile(r"^By(?=[A-Z][a-z])")


def _agency_line(text: str) -> str | None:
    """A line that is a wire agency's name alone, or with a staff role ("Associated Press Writer")."""
    from .bylines import agency_name

    text = normalise_space(text).strip(" ,.;:")
    return agency_name(re.sub(r"\s+(?:staff\s+)?(?:writer|reporter|correspondent)s?$", "", text, flags=re.IGNORECASE)) \
        if word_count(text) <= 5 else None


def byline_roles_of(line: str) -> list[tuple[str, str]]:
    """(name, role as printed) for the people a byline gives a role: 'By Jane Doe, Senior Fellow
    at the Example Institute' -> [('Jane Doe', 'Senior Fellow at the Example Institute')]."""
    from .bylines import byline_details

    return [(name, role) for name, role in byline_details(GLUED_BY_RE.sub("By ", line)) if role]


_ROLE_OR_OUTLET_RE = re.compile(
    r"\b(?:writer|reporter|correspondent|editor|columnist|contributor|fellow|professor|director|analyst|researcher|"
    r"news|press|times|post|journal|review|agency|institute|university|centre|center|staff)\b", re.IGNORECASE)


def mark_header_bylines(units: list["Unit"], title_index: int | None, anchor: int | None) -> None:
    """Bylines a page prints between its title and its text without the usual shape:
    'By' on a line of its own with the names on the next; 'By Jane Doe: The minister said …'
    leading the first paragraph; 'Jane Doe · The Daily Planet · Posted …' or 'Jane Doe, AP
    National Security Writer' (a name, then an outlet, a role or a date)."""
    from .bylines import byline_names

    if title_index is None:
        return
    end = min(len(units), (anchor if anchor is not None else title_index) + 4)
    for i in range(title_index + 1, end):
        u = units[i]
        if u.kind not in ("paragraph", "heading", "bio"):
            continue
        text = u.text
        if re.fullmatch(r"by\s*:?", text, re.IGNORECASE):
            j = next((k for k in range(i + 1, min(len(units), i + 4))
                      if units[k].kind != "boilerplate" and units[k].text.strip("-–— ")), None)
            names = byline_names("By " + units[j].text) if j is not None else []
            if names and looks_like_person_name(normalise_space(units[j].text)):
                units[j].kind, units[j].data["names"], units[j].data["orig"] = "byline", names, "byline"
                u.kind, u.data["drop"] = "used", True
            continue
        m = re.match(r"^by\s+(?P<names>[^:—–]{3,60}?)\s*[:—–]\s+(?P<rest>\S.{40,})$", text, re.IGNORECASE)
        if m and (names := byline_names("By " + m.group("names"))):
            u.text, u.data["lead_names"] = m.group("rest"), names
            continue
        parts = [p for p in re.split(r"\s+[·|•]\s+|,\s+", text) if p]
        if 2 <= len(parts) and word_count(text) <= 20 and looks_like_person_name(parts[0]):
            rest = [p for p in parts[1:] if not find_date(p) and not re.match(r"(?:posted|published|updated)\b", p, re.I)]
            outlet = rest and (_ROLE_OR_OUTLET_RE.search(rest[0]) or MASTHEAD_HEAD_RE.search(rest[0])
                               or (len(parts) >= 3 and _looks_like_site_name(rest[0])))
            if outlet or (not rest and find_date(text)):
                u.kind, u.data["orig"] = "byline", "byline"
                u.data["names"] = byline_names(parts[0])
                u.data["roles"] = [(u.data["names"][0], rest[0])] if rest and u.data["names"] else []
                if find_date(text):
                    u.data["date"] = find_date(text)


def byline_names_of_line(line: str) -> tuple[list[str], list[tuple[str, str]]]:
    """(names, (name, role) pairs) of a line read as a byline whatever its shape: 'By A and B',
    'Jane Doe MAR 3, 2024', 'Jane Doe · The Daily Planet · Posted …', 'Jane Doe'."""
    from .bylines import byline_names

    text = normalise_space(line)
    names = parse_byline(text)
    if names:
        return names, byline_roles_of(text)
    glued = split_name_and_date(text) if word_count(text) <= 16 else None
    if glued:
        return glued[0], []
    parts = [p for p in re.split(r"\s+[·|•]\s+|,\s+|\s+[-–—]\s+", text) if p]
    if parts and looks_like_person_name(parts[0]) and not MASTHEAD_HEAD_RE.search(parts[0]):
        names = byline_names(parts[0])
        rest = [p for p in parts[1:] if not find_date(p) and not re.match(r"(?:posted|published|updated)\b", p, re.I)]
        roles = [(names[0], rest[0])] if names and rest and (_ROLE_OR_OUTLET_RE.search(rest[0]) or MASTHEAD_HEAD_RE.search(rest[0])) else []
        return names, roles
    return [], []


def split_name_and_date(line: str) -> tuple[list[str], date] | None:
    """A byline glued to its date: 'Jane Doe MAR 3, 2024', 'By Jane Doe | 14 February 2024',
    'Jane Doe and John Roe — March 3, 2024' -> (names, date); None otherwise."""
    from .bylines import byline_names

    text = normalise_space(line)
    words = text.split()
    for k in range(2, min(len(words), 9)):
        head, tail = " ".join(words[:-k]), " ".join(words[-k:])
        found = match_datetime(tail.lstrip("|•·—–-, "))
        if not found:
            continue
        head = head.rstrip(" |•·—–-,")
        names = byline_names(head)
        plain = BYLINE_RE.match(head) or all(looks_like_person_name(n) for n in NAME_LIST_SPLIT_RE.split(
            split_honorific(head)[1]) if n)
        if names and plain:
            return names, found[0].date()
        return None
    return None


def parse_translation_offer(line: str) -> list[str] | None:
    """'This post is also available in: Deutsch Русский' -> ['Deutsch', 'Русский']."""
    m = TRANSLATION_RE.match(normalise_space(line))
    if not m:
        return None
    rest = (m.group("langs") or m.group("langs2") or "").strip()
    found: list[str] = []
    while rest:
        rest = rest.lstrip(" ,;|/•·")
        if not rest:
            break
        for lang in _LANGUAGES_LONGEST_FIRST:
            if rest.lower().startswith(lang.lower()) and (len(rest) == len(lang) or not rest[len(lang)].isalpha()):
                found.append(lang)
                rest = rest[len(lang):]
                break
        else:  # an unlisted language: take one word as written
            word = re.match(r"[^\s,;|/•·]+", rest).group()
            if word[0].islower() or not word[0].isalpha():
                return found or None
            found.append(word)
            rest = rest[len(word):]
    return found or None


# ------------------------------------------------------------------------ units


@dataclass
class Unit:
    """One line-level piece of the page (a paragraph, heading, name, date, note …)."""

    text: str
    group: int  # blank-line separated group it belongs to
    indent: int
    kind: str = "text"  # see classify_units
    data: dict = field(default_factory=dict)


def _should_join(previous: str, line: str) -> bool:
    """Re-join hard-wrapped paragraphs: a long line not ending a sentence, or a lower-case continuation."""
    if FOOTNOTE_RE.match(line) or NOTES_ITEM_RE.match(line) or previous == line:
        return False
    if len(previous) >= 60 and previous[-1] not in TERMINAL_PUNCT:
        return True
    return len(previous) >= 40 and line[:1].islower()


def is_hard_wrapped(lines: list[str]) -> bool:
    """True for a text wrapped at a fixed width (every line short, many near the width); False for
    a browser's text dump, where each line is one block of the page, however long."""
    lengths = [len(line.strip()) for line in lines if line.strip() and not re.search(r"https?://", line)]
    return bool(lengths) and max(lengths) <= 110 and sum(1 for n in lengths if n >= 55) >= 3


def split_units(text: str) -> list[Unit]:
    units: list[Unit] = []
    group, previous_blank = 0, True
    lines = text.split("\n")
    wrapped = is_hard_wrapped(lines)
    for raw in lines:
        if not raw.strip():
            if not previous_blank:
                group += 1
            previous_blank = True
            continue
        expanded = raw.replace("\t", "    ")
        indent = len(expanded) - len(expanded.lstrip())
        clean = normalise_space(raw)
        if not previous_blank and units and re.fullmatch(r"[A-Z]", units[-1].text) and clean[:1].islower():
            units[-1].text += clean  # a drop capital printed on its own line ("H" + "ong Kong is …")
        elif not previous_blank and units and wrapped and _should_join(units[-1].text, clean):
            units[-1].text += " " + clean
        else:
            units.append(Unit(clean, group, indent))
        previous_blank = False
    return units


def _comment_head(units: list[Unit], i: int, in_comments_section: bool) -> tuple[int | None, str, datetime | None, int] | None:
    """(number, author, posted, units consumed) if a reader comment starts at unit i."""
    text = units[i].text
    # Author and date on one line: "Jane says: May 9, 2023 at 6:56 pm".
    m = COMMENT_ONE_LINE_RE.match(text)
    if m:
        found = match_datetime(m.group("when"))
        author = m.group("author").strip(" :,")
        if found and author and word_count(author) <= COMMENT_MAX_AUTHOR_WORDS and (found[1] or m.group("num") or in_comments_section):
            return (int(m.group("num")) if m.group("num") else None), author, found[0], 1
    if i + 1 >= len(units) or word_count(text) > COMMENT_MAX_AUTHOR_WORDS + 1:
        return None
    if text[-1] in ".!?" and not (text[-1] == "." and COMMENT_DOT_AUTHOR_RE.match(text) and word_count(text) <= 4):
        return None
    found = match_datetime(units[i + 1].text)
    if not found:
        return None
    num = None
    m = COMMENT_NUMBERED_RE.match(text)
    author = text
    if m:
        num, author = int(m.group("num")), m.group("author")
    author = COMMENT_SAYS_RE.sub("", author).strip(" :,")
    if author.endswith(".") and not re.search(r"(?:^|\s)[^\W\d_]\.$", author):
        author = author[:-1]  # "J. Morgan." -> "J. Morgan" (but "Anna K." keeps its initial)
    if not author or word_count(author) > COMMENT_MAX_AUTHOR_WORDS or author.lower().startswith("by "):
        return None
    if num is None and not found[1] and not in_comments_section:
        return None  # "Jane Doe" + "March 3, 2023" under a title is a byline, not a comment
    return num, author, found[0], 2


def classify_units(units: list[Unit]) -> None:
    """First pass: the kind each line is on its own (context comes later)."""
    for i, u in enumerate(units):
        m = AUTHOR_INLINE_RE.match(u.text)
        if m and bio_subject(m.group("rest")):
            u.text, u.data["boxed"] = m.group("rest"), True
        key = boilerplate_key(u.text)
        langs = parse_translation_offer(u.text)
        cap = CAPTION_LABEL_RE.match(u.text)
        caption_text = strip_photo_credits(CAPTION_CREDIT_RE.sub("", cap.group("text"))) if cap else ""
        if cap and word_count(caption_text) >= 3 and not (
                cap.group(0).lower().startswith(("photo", "image", "picture")) and word_count(caption_text) <= 6
                and "," in caption_text):  # "Photo: Jane Doe, AP" is a credit, not a caption
            u.kind, u.data["caption"] = "caption", caption_text
        elif cap and word_count(caption_text) <= 6 and "," in caption_text:
            u.kind = "boilerplate"
        elif langs:
            u.kind, u.data["languages"] = "translation", langs
        elif COMMENTS_HEADING_RE.match(u.text) and word_count(u.text) <= 12:
            u.kind = "comments_label"
        elif key in RELATED_MARKERS:
            u.kind = "related"
        elif COMMENT_FORM_RE.match(u.text):
            u.kind = "comment_form"
        elif is_boilerplate(u.text):
            u.kind = "boilerplate"
        elif AUTHOR_LABEL_RE.match(u.text):
            u.kind = "author_label"
        elif NOTES_HEADING_RE.match(u.text):
            u.kind = "notes_label"
        elif BREADCRUMB_RE.match(u.text):
            u.kind = "breadcrumb"
        elif FOOTNOTE_RE.match(u.text):
            u.kind = "footnote"
        elif match_datetime(u.text) or (PUBLISHED_LINE_RE.match(u.text) and match_datetime(PUBLISHED_LINE_RE.match(u.text).group("when"))) \
                or _is_date_line(u.text):
            u.kind = "date"
        elif parse_byline(u.text):
            u.kind, u.data["names"] = "byline", parse_byline(u.text)
            u.data["roles"] = byline_roles_of(u.text)
            dated = find_date_span(u.text)
            if dated:
                u.data["date"] = dated[0]
        elif word_count(u.text) <= 16 and (glued := split_name_and_date(u.text)):
            u.kind, u.data["names"], u.data["date"] = "byline", glued[0], glued[1]
        elif i > 0 and units[i - 1].text.casefold() == u.text.casefold() and units[i - 1].kind != "repeat":
            u.kind = "repeat"
            units[i - 1].data["repeated"] = True
        elif bio_subject(u.text) or bio_subjects(u.text):
            # A candidate only: accepted or turned back into a paragraph in context.
            u.kind, u.data["subject"] = "bio", bio_subject(u.text) or bio_subjects(u.text)[0]
            u.data["cue"] = bool(BIO_CUE_RE.search(u.text))
        elif looks_like_heading(u.text):
            u.kind = "heading"
        else:
            u.kind = "paragraph"
        u.data["orig"] = u.kind


# --------------------------------------------------------------------- passes


def split_comments(units: list[Unit], first_content: int) -> tuple[list[RawComment], set[int]]:
    """Reader comments: numbered/short author lines followed by a date line, with their paragraphs."""
    comments: list[RawComment] = []
    used: set[int] = set()
    in_section = False
    seen_paragraphs = 0
    i = first_content
    current: dict | None = None

    def close() -> None:
        nonlocal current
        if current is not None and not current["paras"]:
            current = None  # an author and a date with nothing said: no comment
        if current is not None:
            number = current["number"] if current["number"] is not None else len(comments) + 1
            comments.append(RawComment(number, current["author"], current["posted"], "\n\n".join(current["paras"])))
            current = None

    while i < len(units):
        u = units[i]
        if u.kind == "comments_label":
            in_section = True
            used.add(i)
            i += 1
            continue
        if u.kind in ("paragraph", "bio") and word_count(u.text) >= 15:
            seen_paragraphs += 1
        # Comments follow the article: at least two real paragraphs first, unless numbered or announced.
        head = _comment_head(units, i, in_section) if u.kind not in ("footnote", "bio", "byline") else None
        if head and head[0] is None and not in_section and seen_paragraphs < 2:
            head = None
        if head and seen_paragraphs < 1:
            head = None
        if head:
            close()
            number, author, posted, consumed = head
            current = {"number": number, "author": author, "posted": posted, "paras": [], "indent": u.indent}
            used.update(range(i, i + consumed))
            i += consumed
            continue
        if current is not None:
            if u.kind in ("comment_form", "boilerplate", "related", "author_label", "notes_label", "comments_label"):
                if u.kind in ("comment_form", "boilerplate", "comments_label"):
                    used.add(i)
                if u.kind != "boilerplate":
                    close()
                i += 1
                continue
            if current["indent"] > 0 and u.indent <= current["indent"]:
                close()  # the indented comment list has ended
            else:
                current["paras"].append(u.text)
                used.add(i)
                i += 1
                continue
        i += 1
    close()
    return comments, used


def resolve_footnote_references(notes: list[Footnote]) -> list[Footnote]:
    """Set `same_as` on op. cit. notes (matched by the title they repeat) and ibid. notes (the previous note).

    `same_as` always names the first note of the work, so both point to one work.
    """
    resolved: list[Footnote] = []
    for note in notes:
        same_as = None
        if IBID_RE.match(note.text):
            if resolved:
                prev = resolved[-1]
                same_as = prev.same_as or prev.number
        else:
            m = OPCIT_RE.search(note.text)
            if m:
                same_as = _match_earlier_note(note.text[:m.start()], resolved)
        resolved.append(Footnote(note.number, note.text, same_as))
    return resolved


def _words(text: str) -> list[str]:
    return re.findall(r"\w+", text.lower())


def _match_earlier_note(prefix: str, earlier: list[Footnote]) -> int | None:
    """The latest earlier note whose text starts with (else contains) the words before "op. cit."."""
    words = [w for w in _words(prefix.replace("…", " ").replace("...", " ")) if w]
    if not words:
        return None
    candidates = [n for n in reversed(earlier) if n.same_as is None]
    for note in candidates:
        if _words(note.text)[:len(words)] == words:
            return note.number
    for note in candidates:  # the prefix may be an author surname or a title's start inside the note
        note_words = _words(note.text)
        for k in range(len(note_words) - len(words) + 1):
            if note_words[k:k + len(words)] == words:
                return note.number
    return None


def collect_footnotes(units: list[Unit]) -> list[Footnote]:
    """Numbered notes: "[n] …" lines anywhere, or numbered items under a Notes/References heading."""
    notes: list[Footnote] = []
    in_notes = False
    pending: int | None = None  # a bare "[n]" whose text is on the next line
    for u in units:
        if u.kind == "used":
            continue
        if u.kind == "notes_label":
            in_notes, u.kind = True, "used"
            continue
        if u.kind in ("author_label", "comments_label", "comment_form", "bio", "repeat") or u.data.get("repeated"):
            in_notes = False
        if pending is not None and u.kind not in ("boilerplate",):
            notes.append(Footnote(pending, u.text))
            pending, u.kind = None, "used"
            continue
        m = FOOTNOTE_RE.match(u.text) if u.kind == "footnote" else NOTES_ITEM_RE.match(u.text) if in_notes else None
        if m:
            number = int(next(g for g in (m.groupdict().get(k) for k in ("n", "a", "b", "c")) if g))
            text = m.group("text").strip()
            u.kind = "used"
            if text:
                notes.append(Footnote(number, text))
            else:
                pending = number
        elif in_notes and notes and u.kind in ("paragraph", "heading"):
            last = notes.pop()  # a wrapped note's continuation
            notes.append(Footnote(last.number, last.text + " " + u.text))
            u.kind = "used"
    return resolve_footnote_references(notes)


def _dedupe_bios(bios: list[str]) -> list[str]:
    """Most complete first; drop a bio whose every content word is already in a kept one."""
    kept: list[str] = []
    for bio in sorted(dict.fromkeys(bios), key=len, reverse=True):
        words = {w for w in _words(bio) if w not in NAME_STOPWORDS}
        if any(words <= {w for w in _words(k)} for k in kept):
            continue
        kept.append(bio)
    return kept


def _add_name(names: list[str], name: str) -> None:
    if not any(same_person(name, n) for n in names):
        names.append(name)



# Kinds of line that are page chrome: listed in ParsedPage.dropped.
DROPPED_KINDS = frozenset({
    "boilerplate", "related", "comment_form", "comments_label", "author_label", "notes_label",
    "date", "repeat", "breadcrumb", "namebox", "byline", "translation",
})


def _continues_bio(bio: Unit, paragraph: Unit) -> bool:
    """'She holds a PhD …' or 'Doe is also …' right after a bio about the same person."""
    if paragraph.kind != "paragraph":
        return False
    surname = name_signature(bio.data["subject"]).split()[-1]
    if name_signature(paragraph.text).startswith(surname + " "):
        return True
    return bool(BIO_CONTINUATION_RE.match(paragraph.text) and BIO_CUE_RE.search(paragraph.text))


# Kinds of unit that never hold the title.
NOT_TITLE_KINDS = frozenset({"boilerplate", "byline", "date", "caption", "comments_label", "comment_form", "related",
                             "translation", "author_label", "notes_label", "footnote", "breadcrumb", "used"})
TITLE_WINDOW = 15  # how many non-boilerplate units above the article's first paragraph the title may sit


ARTICLE_END_RUN = 6  # this many short lines in a row end the article's text


def article_end(units: list[Unit], anchor: int | None) -> int:
    """Where the article's text ends on a page dumped from a browser. Runs of six or more short
    lines (fewer than eight words each: menus, galleries, lists of other pieces and their
    authors, share buttons, footers) cut the page after the article's first paragraph into
    stretches; the article runs to the end of the stretch with the most words of text.
    Notes, bios and comments are found apart and break no run."""
    if anchor is None:
        return len(units)
    stretches: list[tuple[int, int]] = []  # (words of text, end index)
    words, run, run_start = 0, 0, None
    for i in range(anchor, len(units)):
        u = units[i]
        if u.kind in ("used", "footnote", "bio", "bio_part", "notes_label", "author_label") or u.data.get("orig") == "footnote":
            run, run_start = 0, None
            continue
        n = word_count(u.text)
        if n < 8:
            run_start = i if run == 0 else run_start
            run += 1
            if run == ARTICLE_END_RUN:
                stretches.append((words, run_start))
                words = 0
        else:
            run, run_start = 0, None
            words += n
    stretches.append((words, len(units)))
    return max(stretches, key=lambda we: we[0])[1]


def body_anchor(units: list[Unit]) -> int | None:
    """Where the article's text begins: the first paragraph of 30 words or more (else 15)."""
    for least in (30, 15):
        for i, u in enumerate(units):
            if u.kind in ("paragraph", "bio") and word_count(u.text) >= least and not is_boilerplate(u.text):
                return i
    return None


def _capitalised_share(text: str) -> float:
    content = [w for w in text.split() if w[0].isalpha() and w.lower().strip("'’\"“”") not in NAME_STOPWORDS]
    return sum(1 for w in content if w[0].isupper()) / len(content) if content else 0.0


def _title_like(u: Unit) -> bool:
    """A line that can be a headline: 3-30 words, no closing full stop, no date, not a name."""
    text = u.text
    words = word_count(text)
    if u.kind in NOT_TITLE_KINDS or u.data.get("drop") or not 3 <= words <= 30:
        return False
    if text[-1] in ":;,|" or (text[-1] == "." and not _is_abbreviation_before(text, len(text) - 1)) \
            or not (text[0].isupper() or text[0].isdigit() or text[0] in "\"“‘'"):
        return False
    if re.search(r"https?://|www\.|@", text) or find_date(text):
        return False
    if looks_like_person_name(text) and words <= 4 and not re.search(r"['’]s\b", text):
        return False  # a name line of a byline box
    head = re.split(r",|\s[·|•]\s", text, maxsplit=1)[0]
    if head != text and looks_like_person_name(head):
        return False  # "Jane Doe, AP National Security Writer", "Jane Doe · The Planet"
    if sentence_count(text) > 1 and not looks_like_heading(text, max_words=30):
        return False  # two sentences in sentence case: a standfirst, not a title
    if not_a_headline(text):
        return False
    first = text.split()[0].lower().strip(":")
    return first not in {"by", "published", "posted", "updated", "written", "photo", "image", "credit", "source"}


# Calls to action and navigation a page prints where a headline might sit ("Continue reading the
# main story", "Skip to site index", "Read more", "Sign up for our newsletter").
CALL_TO_ACTION_RE = re.compile(
    r"^(?:continue\s+reading|read\s+(?:more|next|the\s+full|full)|skip\s+to|jump\s+to|go\s+to|back\s+to|sign\s+(?:up|in)|"
    r"log\s+in|subscribe|listen\s+(?:to|now)|watch\s+(?:now|live|the)|download|share\s+(?:this|on)|follow\s+(?:us|on)|"
    r"click\s+here|see\s+(?:all|more)|view\s+(?:all|more)|load\s+more|show\s+more|more\s+(?:from|on|stories|in)|"
    r"related\s+(?:articles|stories|content)|recommended|you\s+may\s+also\s+like|most\s+(?:read|popular|viewed))\b",
    re.IGNORECASE)
# "Home Politics & Government": a breadcrumb whose separators the dump lost.
HOME_CRUMB_RE = re.compile(r"^home\s+[A-Z&][\w&,' -]*$", re.IGNORECASE)


def not_a_headline(text: str) -> bool:
    """Lines no article is titled: a call to action or a navigation label, a breadcrumb from
    "Home", a person's name followed by a job title ("Jane Doe Director of Communications"),
    a known outlet or institution's name alone ("The Daily Planet")."""
    from ..extract.gazetteer import load_gazetteer

    if CALL_TO_ACTION_RE.match(text) or (word_count(text) <= 6 and HOME_CRUMB_RE.match(text)):
        return True
    tokens = text.split()
    if sum(t.lower().strip(",|") in SHARE_WORDS for t in tokens) >= max(3, len(tokens) // 2):
        return True  # "Twitter LinkedIn Flipboard Facebook Email Copy Link": share buttons
    parts = [p for p in re.split(r"\s*,\s*|\s+(?:and|&)\s+", text) if p]
    if len(parts) >= 2 and all(looks_like_person_name(p) for p in parts):
        return True  # "Jane Doe and John Roe": a byline without its "By"
    if "/" in text and looks_like_person_name(text.split("/")[0].strip().title()):
        return True  # "Jane Doe/The Planet", "JANE DOE/AFP via Getty Images": a photo credit
    if len(tokens) <= 4 and "&" in tokens and all(t[0].isupper() or t == "&" for t in tokens):
        return True  # "Politics & Government": a section label
    for n in (2, 3, 4):  # a name, then a word that opens a job title
        if len(tokens) > n and tokens[n].lower().strip(",") in ROLE_OPENING_WORDS and looks_like_person_name(" ".join(tokens[:n])):
            return True
    if word_count(text) <= 5:
        gazetteer = load_gazetteer()
        bare = re.sub(r"^the\s+", "", text.strip(), flags=re.IGNORECASE)
        if gazetteer.org_by_surface(text.strip()) is not None or gazetteer.org_by_surface(bare) is not None:
            return True
    return False


SHARE_WORDS = frozenset("""
twitter facebook linkedin flipboard email e-mail whatsapp reddit telegram pinterest print copy link share tweet
x messenger sms mail
""".split())
# Words that open a job title printed after a name.
ROLE_OPENING_WORDS = (NAME_ROLE_WORDS | frozenset("""
assistant deputy head chair chairman chairwoman founder partner lecturer researcher scholar visiting
nonresident non-resident adjunct distinguished principal managing executive contributing special vice
""".split())) - {"news", "service", "agency", "team", "desk", "staff", "president", "minister", "secretary", "senior"}


_TITLE_JOIN_RE = r"\s*(?:\||-|–|—|::|/|›|»|>)\s*"


def _repeated(units: list[Unit], i: int) -> bool:
    """The line is printed again elsewhere on the page: as it is, as 'Title | Site', or at the
    end of a breadcrumb ('Home/Politics/Title')."""
    key = normalise_space(units[i].text).casefold()
    pattern = re.compile(rf"^(?:{re.escape(key)}(?:{_TITLE_JOIN_RE}.{{0,60}})?|.{{0,80}}{_TITLE_JOIN_RE}{re.escape(key)})$")
    return any(j != i and pattern.match(u.text.casefold()) for j, u in enumerate(units))


def title_window(units: list[Unit]) -> list[int]:
    """Indexes of the units above the article's first paragraph where its title may sit, nearest first."""
    anchor = body_anchor(units)
    window: list[int] = []
    if anchor is None:
        return window
    for i in range(anchor - 1, -1, -1):
        if units[i].kind == "boilerplate":
            continue
        if len(window) >= TITLE_WINDOW:
            break
        window.append(i)
    return window


TITLE_AFTER_ANCHOR = 10  # a promotion or a menu blurb may be the first long paragraph, above the title


def _standfirst_like(text: str) -> bool:
    """A summary sentence under a title: 6-60 words, ends as a sentence ends, no byline or date."""
    text = text.strip()
    return bool(text) and 6 <= word_count(text) <= 60 and text[-1] in ".!?\"”" and not BYLINE_RE.match(text) \
        and not find_date(text)


def _dated_or_signed_near(units: list[Unit], i: int) -> bool:
    """A byline or a date line right under the line (or just above it), or under the standfirst
    that follows it: the article's header."""
    below = i + 1
    if below < len(units) and _standfirst_like(units[below].text):
        below += 1  # title, standfirst, then the byline or the date
    for k in list(range(i + 1, min(len(units), below + 2))) + [i - 1]:
        if k < 0:
            continue
        u = units[k]
        if k > i + 2 and _title_like(units[k - 1]):
            continue  # another title-like line comes first: this byline or date is its own
        if u.kind in ("byline", "date") or u.data.get("orig") in ("byline", "date") or re.fullmatch(r"by\s*:?", u.text, re.I) \
                or (word_count(u.text) <= 8 and find_date(u.text)) or BYLINE_RE.match(u.text):
            return True
    return False


def find_title_above_body(units: list[Unit]) -> int | None:
    """The headline of a page dumped from a browser, where menus and widgets come first. Among
    the title-like lines from fifteen lines above the first long paragraph to ten below it:
    +3 for a byline or a date right under it (the article's header), -2 for a line in capitals
    (a button or a label), +2 for one of 4+ words
    printed again elsewhere on the page, +1 for 4-20 words (-1 past 20, -1 under 4), +1 for
    Title Case (a standfirst is in sentence case), +1 for the nearest above the paragraph;
    ties go to the one nearer the paragraph. Menus are often printed twice, so a short
    repeated line earns nothing."""
    anchor = body_anchor(units)
    if anchor is None:
        return None
    window = title_window(units) + [i for i in range(anchor + 1, min(len(units), anchor + 1 + TITLE_AFTER_ANCHOR))
                                    if units[i].kind != "boilerplate"]
    # Farther up, past author boxes and bios, only a line heading a byline or a date (the header).
    window += [i for i in range(min(window, default=anchor) - 1, -1, -1)
               if units[i].kind != "boilerplate" and _title_like(units[i]) and _dated_or_signed_near(units, i)]
    best: tuple[int, int, int] | None = None
    nearest = True
    # A headed line above the first long paragraph is the article's header; lower ones are teasers.
    headed_above = any(i < anchor and _title_like(units[i]) and _dated_or_signed_near(units, i) for i in window)
    for i in window:
        u = units[i]
        if not _title_like(u) or (i > anchor and headed_above):
            continue
        words = word_count(u.text)
        title_case = words >= 4 and looks_like_heading(u.text, max_words=30) and _capitalised_share(u.text) >= 0.6
        shouting = words >= 3 and u.text.upper() == u.text
        header = _dated_or_signed_near(units, i)
        if i > anchor and not header and not _repeated(units, i):
            continue  # below the first long paragraph only the article's header (title over byline or date) is the title
        score = 3 * header + 2 * (words >= 4 and _repeated(units, i)) \
            + (4 <= words <= 20) - (words > 20) - (words < 4) + (nearest and i < anchor) + title_case - 2 * shouting
        if i < anchor:
            nearest = False
        if best is None or (score, -abs(anchor - i)) > best[:2]:
            best = (score, -abs(anchor - i), i)
    return best[2] if best else None


def find_title(units: list[Unit]) -> tuple[int | None, str, str | None, bool]:
    """(index, title, section, consumed).

    The page opens with a run of heading-like lines (site name, section, title) before the first
    byline, date or paragraph. The title is the first line of that run with more than four words,
    else its last line; a short line right above the title is the section. With no heading-like
    line the title is the first sentence of the first paragraph, which stays in the body
    (consumed=False).
    """
    section: str | None = None
    run: list[int] = []
    for i, u in enumerate(units):
        if u.kind == "breadcrumb":
            crumbs = [c for c in BREADCRUMB_SPLIT_RE.split(BREADCRUMB_RE.match(u.text).group("rest")) if c]
            # The last crumb is often the article itself; the one before it is the section.
            if len(crumbs) >= 2 and word_count(crumbs[-1]) > 4:
                section = crumbs[-2]
            elif crumbs:
                section = crumbs[-1]
            continue
        if u.kind in ("boilerplate", "translation", "related", "repeat", "comment_form"):
            continue
        is_heading = u.kind == "heading" or (u.kind in ("paragraph", "bio") and looks_like_heading(u.text, max_words=30)
                                             and u.text[-1] != ".")
        if is_heading:
            run.append(i)
            if u.data.get("repeated"):
                break  # a title printed twice ends the run
            continue
        if not run and u.kind in ("paragraph", "bio"):
            return None, "", section, False  # no title line: the page has no headline (none is invented)
        if u.kind in ("date", "byline") and run and all(word_count(units[k].text) <= 4 for k in run):
            continue  # "Published on …" between the site's name and the title
        if run or u.kind not in ("author_label", "notes_label", "comments_label", "date", "byline"):
            break
    if not run:
        return None, "", section, False
    title_pos = next((k for k, i in enumerate(run) if word_count(units[i].text) > 4), len(run) - 1)
    title_index = run[title_pos]
    if title_pos > 0 and word_count(units[run[title_pos - 1]].text) <= 4 and len(units[run[title_pos - 1]].text) <= 40:
        section = units[run[title_pos - 1]].text
    # Heading-like lines after the title but before any text are kept as body headings.
    return title_index, units[title_index].text, section, True


# ------------------------------------------------------------ date and publisher

# Words that end the name of a site, a publication or an institution ("… Review", "… Institute").
MASTHEAD_HEAD_RE = re.compile(
    r"\b(?:review|times|post|news|journal|herald|tribune|gazette|magazine|monitor|daily|weekly|quarterly|observer|"
    r"guardian|telegraph|chronicle|express|standard|mail|economist|spectator|dispatch|statesman|diplomat|insider|"
    r"interpreter|report|reports|digest|bulletin|letter|newsletter|press|media|institute|institution|centre|center|"
    r"council|foundation|forum|endowment|initiative|network|society|association|university|college|school|"
    r"commission|studies|affairs|policy|strategies|research|group|project|agency|office|ministry|union)\b",
    re.IGNORECASE,
)
# Section and column labels that sit where a masthead might ("Opinion", "World | Europe").
SECTION_WORDS = frozenset("""
opinion opinions analysis commentary commentaries essay essays news world politics europe asia africa americas
middle east economy security defence defense feature features column columns blog blogs report reports research
publications articles insights perspectives briefs brief podcast video interview interviews review reviews
""".split())
COPYRIGHT_RE = re.compile(r"^(?:©|\(c\)|copyright)\s*(?:©|\(c\))?\s*(?:(?:19|20)\d\d(?:\s*[-–]\s*(?:19|20)\d\d)?)?\s*[,.]?\s*"
                          r"(?:by\s+)?(?P<holder>[^|•·]+?)\s*(?:[.,;|]\s*(?:all rights reserved.*)?)?$", re.IGNORECASE)
_TITLE_SUFFIX_RE = re.compile(r"^(?P<head>.+?)\s+(?P<sep>\||-|–|—|::|•)\s+(?P<tail>[^|–—:•]{2,80})$")


def _looks_like_site_name(text: str) -> bool:
    if NAV_LABEL_RE.match(text.strip(" .,;:|")):
        return False
    words = text.split()
    if not 1 <= len(words) <= 7 or not looks_like_heading(text, max_words=7) or text[-1] in ".?!":
        return False
    if re.search(r"\d{1,2}:\d{2}", text) or any(w.lower().strip("|/&,.:") in NAV_WORDS for w in words):
        return False
    if all(w.lower().strip("|/&,") in SECTION_WORDS or not w.strip("|/&,") for w in words):
        return False
    return not looks_like_person_name(text) or bool(MASTHEAD_HEAD_RE.search(text))


def split_title_suffix(title: str, page_text: str) -> tuple[str, str | None]:
    """'Headline | Site' -> ('Headline', 'Site'); 'Headline - Site' only when the site's name is
    also elsewhere on the page or reads like a publication's name ("… Review")."""
    m = _TITLE_SUFFIX_RE.match(title)
    if not m or not _looks_like_site_name(m.group("tail")) or word_count(m.group("head")) < 2:
        return title, None
    tail = m.group("tail").strip()
    elsewhere = page_text.count(tail) > 1 or page_text.casefold().count(tail.casefold()) > 1
    if m.group("sep") == "|" or elsewhere or MASTHEAD_HEAD_RE.search(tail):
        return m.group("head").strip(), tail
    return title, None


def copyright_holder(text: str) -> str | None:
    """'© 2024 The Daily Meridian. All rights reserved.' -> 'The Daily Meridian'."""
    m = COPYRIGHT_RE.match(normalise_space(text))
    if not m:
        return None
    holder = re.sub(r"\s*all rights reserved.*$", "", m.group("holder"), flags=re.IGNORECASE).strip(" .,;")
    return holder if holder and word_count(holder) <= 8 and holder[0].isupper() else None


# Where a page names its own site.
_MARK = r"(?:©|\(c\)|copyright\b)"
_YEARS = r"(?:(?:19|20)\d\d(?:\s*[-–]\s*(?:19|20)\d\d)?)"
COPYRIGHT_ANY_RE = re.compile(rf"{_MARK}\s*(?:{_MARK}\s*)?{_YEARS}?\s*[,.]?\s*(?:by\s+)?(?P<holder>\S.*)$", re.IGNORECASE)
HOLDER_BEFORE_MARK_RE = re.compile(rf"^(?P<holder>[^©]{{2,60}}?)\s*{_MARK}\s*(?:{_YEARS}\s*)?(?:all rights reserved)?\W*$",
                                   re.IGNORECASE)
ALL_RIGHTS_RE = re.compile(r"^all rights (?:reserved\s*)?(?:by\s+)?(?P<holder>\w.{1,60}?)\.(?:\s|$)", re.IGNORECASE)
# Words of page furniture that no site's name is made of.
NAV_WORDS = frozenset("""
navigation menu close back search share sign login log subscribe subscription newsletter newsletters reply comment comments
read more next previous home skip content toggle follow like print email contact cookie cookies privacy terms
advertisement advertise sponsored latest trending popular related tags topics sections today yesterday
""".split())
PROPERTY_OF_RE = re.compile(r"\bcopyrighted property of (?P<holder>[A-Z][^.,;]{1,60})", re.IGNORECASE)
PUBLICATION_OF_RE = re.compile(r"^(?P<site>[A-Z][^.,;]{1,60}?) is (?:a|an) (?:publication|project|website|journal|magazine) of\b")
SELF_REFERENCE_RE = re.compile(r"^(?:about|subscribe to|support|advertise with|advertise in|contact)\s+(?P<site>[A-Z].{1,60})$",
                               re.IGNORECASE)
LEGAL_SUFFIX_RE = re.compile(r"(?:,?\s+(?:inc|llc|ltd|limited|gmbh|plc|s\.a|co)\.?)+$|\s+or its affiliated companies.*$",
                             re.IGNORECASE)
DOMAIN_RE = re.compile(r"\b(?:[\w-]+\.)*(?P<label>[\w-]{3,})\.(?:com|org|net|info|co\.uk|co|news|az|int|edu|eu)\b", re.IGNORECASE)
# A company's name after a copyright sign is often the site's owner, not the site: "VICE Media Group", "Times Newspapers".
# A bare "Group" stays: it ends many institutions' own names ("International Crisis Group", "Eurasia Group").
CORPORATE_SUFFIX_RE = re.compile(r"(?<=\w)\s+(?:media group|media holdings|newspapers|holdings|publishing(?: group| company)?|"
                                 r"corporation|company)$", re.IGNORECASE)
# Navigation and legal labels that sit where a site's name might ("Press room", "Ad Policy", "Copyright Notice").
NAV_LABEL_RE = re.compile(
    r"^(?:(?:ad|ads|advertising|privacy|cookie|cookies|editorial|ethics|comments?|corrections?|content|accessibility|"
    r"copyright|legal|data|subscription|refund|community|moderation)\s+(?:polic(?:y|ies)|notice|guidelines|standards|"
    r"statement|information)|(?:press|news|media)\s*(?:room|releases?|office|kit|cent(?:er|re))|"
    r"(?:copyright|legal|privacy)\s+notice|notice|site\s*map|terms(?:\s+(?:of\s+(?:use|service)|(?:and|&)\s+conditions))?|"
    r"(?:contact|about)(?:\s+us)?|help|faq|careers|jobs|imprint|impressum|disclaimer|advertise|donate|newsletters?|"
    r"subscribe|shop|events|podcasts|corrections)$", re.IGNORECASE)
PUBLISHER_WEIGHTS = {"publication-of": 3, "self-reference": 2, "byline": 2, "title-suffix": 2, "copyright": 1,
                     "site-line": 1, "masthead": 1}


# A year or the site's address printed after the holder: "© Press TV 2007", "© Telegraph Media Group Limited 2017",
# "© 2000 - 2019 Al Bawaba (www.albawaba.com)": not part of the name.
TRAILING_YEAR_OR_ADDRESS_RE = re.compile(
    r"(?:\s*[-–,]?\s*(?:19|20)\d\d(?:\s*[-–]\s*(?:19|20)\d\d)?|"
    r"\s*\(\s*(?:https?://)?(?:www\.)?[\w-]+(?:\.[\w-]+)*\.[a-z]{2,6}/?\s*\)|"
    r"\s+[-–]\s+(?:https?://)?(?:www\.)?[\w-]+(?:\.[\w-]+)*\.[a-z]{2,6}/?)+$", re.IGNORECASE)


def _site_key(name: str) -> str:
    """'The Daily Planet', 'DailyPlanet.com' -> 'dailyplanet': a site's name and its address meet."""
    name = name.strip()
    if " " not in name:
        name = re.sub(r"\.(?:com|org|net|info|co\.uk|co|news|int|edu|eu)$", "", name, flags=re.IGNORECASE)
    return re.sub(r"[\W_]+", "", re.sub(r"^the\s+", "", name, flags=re.IGNORECASE).casefold())


def _initials(name: str) -> str:
    return "".join(w[0] for w in re.sub(r"^the\s+", "", name, flags=re.IGNORECASE).split() if w[:1].isalpha()).casefold()


def _holder(text: str) -> str | None:
    """A copyright holder's name: cut at ' / ', ' | ', a sentence end, 'All rights'; legal suffixes dropped."""
    text = re.split(r"\s+/\s+|\s*\|\s*|\s*•\s*|\.\s+|\s+all rights\b|\s*\.$", text.strip(), flags=re.IGNORECASE)[0]
    text = TRAILING_YEAR_OR_ADDRESS_RE.sub("", text.strip(" ,.;:")).strip(" ,.;:-–")
    text = LEGAL_SUFFIX_RE.sub("", text.strip(" ,.;:")).strip(" ,.;:")
    text = CORPORATE_SUFFIX_RE.sub("", text).strip(" ,.;:")
    if not text or not text[0].isalnum() or word_count(text) > 8 or re.match(r"all rights\b", text, re.IGNORECASE) \
            or NAV_LABEL_RE.match(text):
        return None
    return text


def page_domains(page_text: str) -> set[str]:
    """Site names as the page's web and mail addresses spell them ('news@dailyplanet.com' -> 'dailyplanet')."""
    return {m.group("label").casefold().replace("-", "") for m in DOMAIN_RE.finditer(page_text)}


_SITE_PHRASE_RE = re.compile(r"(?<![\w.@/-])[A-Z][\w&'’-]*(?:[ \t]+[A-Z][\w&'’-]*){0,3}(?![\w@/-])")


def _phrases_spelling(labels: set[str], page_text: str) -> dict[str, int]:
    """Capitalised phrases of the page that spell one of its own addresses' names, with their counts."""
    counts: dict[str, int] = {}
    if not labels:
        return counts
    for m in _SITE_PHRASE_RE.finditer(page_text):
        words = m.group(0).split()
        for i in range(len(words)):
            for j in range(i + 1, len(words) + 1):
                phrase = " ".join(words[i:j])
                key = _site_key(phrase)
                if len(key) >= 4 and key in labels and _looks_like_site_name(phrase):
                    counts[phrase] = counts.get(phrase, 0) + 1
    return counts


def publisher_candidates(units: list["Unit"], title_index: int | None, suffix: str | None,
                         labels: set[str] | None = None) -> list[tuple[str, str]]:
    """(source, name) for every place the page names its own site."""
    labels = labels if labels is not None else page_domains("\n".join(u.text for u in units))
    found: list[tuple[str, str]] = []
    if suffix:
        found.append(("title-suffix", suffix))
    lines = [u.text for u in units]
    counts: dict[str, int] = {}
    for text in lines:
        counts[text] = counts.get(text, 0) + 1
    for i, text in enumerate(lines):
        holders: list[str] = []
        for pattern in (COPYRIGHT_ANY_RE, HOLDER_BEFORE_MARK_RE, ALL_RIGHTS_RE, PROPERTY_OF_RE):
            m = pattern.search(text) if pattern is not HOLDER_BEFORE_MARK_RE else pattern.match(text)
            if m and (holder := _holder(m.group("holder"))) and holder not in holders:
                holders.append(holder)
        found.extend(("copyright", h) for h in holders)
        m = PUBLICATION_OF_RE.match(text)
        if m:
            found.append(("publication-of", m.group("site").strip()))
        m = SELF_REFERENCE_RE.match(text)
        site = m.group("site").strip(" ?!") if m else ""
        if m and word_count(text) <= 7 and _looks_like_site_name(site) and (
                word_count(site) >= 2 or _site_key(site) in labels or site.isupper()):
            found.append(("self-reference", m.group("site").strip(" ?!")))
        parts = [p.strip() for p in re.split(r"\s+[·|•]\s+", text)]
        if len(parts) >= 3 and looks_like_person_name(parts[0]):  # "Jane Doe · The Daily Planet · Posted: …"
            found.extend(("byline", p) for p in parts[1:2] if _looks_like_site_name(p) and not find_date(p))
        if title_index and i < title_index and word_count(text) <= 5 and _site_key(text) in labels \
                and not is_boilerplate(text):
            found.append(("site-line", text))  # above the title, a line that is the name the site's address spells
    if title_index:  # the site's name printed first on the page, above the title
        top = [u for u in units[:title_index] if u.data.get("orig") not in
               ("boilerplate", "breadcrumb", "translation", "date", "byline")][:3]
        for u in top:
            content = [w for w in u.text.lower().split() if w not in SECTION_WORDS and w not in {"breaking", "room", "the"}]
            if _looks_like_site_name(u.text) and MASTHEAD_HEAD_RE.search(u.text) and word_count(u.text) >= 2 and content:
                found.append(("masthead", u.text))
                break
    return found


def decide_page_publisher(units: list["Unit"], page_text: str, title_index: int | None, suffix: str | None) -> str | None:
    """The site the page names itself by, decided by pooled evidence: a "publication of" line
    (3), "About/Support/Subscribe to X" lines and an outlet in a byline (2 each), a title
    suffix (2), copyright lines, lines that are the name the page's own address spells, and a
    masthead (1 each); a name the page's own web or mail address spells (+2), a known outlet or
    institution (+1) and a name of several words (+0.5) weigh more. An acronym pools with the
    name it abbreviates; the fullest spelling is shown."""
    from ..extract.gazetteer import load_gazetteer

    labels = page_domains(page_text)
    candidates = publisher_candidates(units, title_index, suffix, labels)
    if not candidates:
        # nothing names the site outright: the name the page's own web address spells, as the page
        # prints it more than once ("hertie-school.org" and "Visit the Hertie School")
        spelled = _phrases_spelling(labels, page_text)
        best = max(spelled, key=lambda ph: (spelled[ph], len(ph)), default=None)
        if best is None or spelled[best] < 2:
            return None
        candidates = [("site-line", best)]
    gazetteer = load_gazetteer()
    pools: dict[str, list[tuple[int, str]]] = {}
    sources: dict[str, set[str]] = {}
    for source, name in candidates:
        key = _site_key(name)
        if key:
            pools.setdefault(key, []).append((PUBLISHER_WEIGHTS[source], name))
            sources.setdefault(key, set()).add(source)
    # An acronym ("DM") is the site whose name it abbreviates ("Daily Maverick") when that is a candidate too.
    for key in [k for k in pools if len(k) <= 5]:
        spelled = pools[key][0][1]
        if spelled.isupper() and " " not in spelled:
            full = next((k for k in pools if k != key and _initials(max(pools[k])[1]) == key), None)
            if full:
                pools[full].extend(pools.pop(key))
                sources[full] |= sources.pop(key)
    # "© 2024 Jane Doe" with nothing else naming Jane Doe as the site: a person, not the publisher.
    for key in list(pools):
        name = max(pools[key])[1]
        if sources[key] == {"copyright"} and looks_like_person_name(name) and not MASTHEAD_HEAD_RE.search(name) \
                and key not in labels and gazetteer.org_by_surface(name) is None:
            del pools[key]
    if not pools:
        return None

    def display(key: str) -> str:
        """The fullest spelling: with spaces, then mixed case, then the weightiest source."""
        return sorted(pools[key], key=lambda wn: (" " not in wn[1], wn[1].isupper(), -wn[0]))[0][1]

    def score(key: str) -> float:
        name = display(key)
        known = gazetteer.org_by_surface(name) or gazetteer.org_by_surface(re.sub(r"^the\s+", "", name, flags=re.I))
        return sum(w for w, _ in pools[key]) + 2 * (key in labels) + (known is not None) + 0.5 * (" " in name)

    return display(max(pools, key=score))


DATE_CUE_RE = re.compile(r"\b(?:published|posted|updated|modified|date)\b|[·|•]", re.IGNORECASE)
UPDATED_RE = re.compile(r"\b(?:last\s+)?(?:updated|modified)\b", re.IGNORECASE)
PUBLISHED_RE = re.compile(r"\b(?:published|posted)\b", re.IGNORECASE)


def date_line_candidate(u: "Unit") -> date | None:
    """The date a line states when it reads as a date line: a date or dated byline, a short
    line with a date, or a line of up to 20 words with "Published"/"Updated"/"·" in it; notes
    and access dates are no date line."""
    text = u.text
    if u.data.get("orig") in ("footnote", "comments_label") or FOOTNOTE_RE.match(text) or NOTES_ITEM_RE.match(text) \
            or re.search(r"\baccess(?:ed|ion)\b", text, re.IGNORECASE):
        return None
    dated = u.data.get("orig") == "date" or u.data.get("date") or word_count(text) <= 8 or (
        word_count(text) <= 20 and DATE_CUE_RE.search(text))
    return u.data.get("date") or (find_date(text) if dated else None)


def date_rank(text: str) -> int:
    """0 for a "Published"/"Posted" date line, 2 for an "Updated"/"Modified" one, 1 otherwise."""
    return 0 if PUBLISHED_RE.search(text) else 2 if UPDATED_RE.search(text) else 1


def page_date(units: list["Unit"], title_index: int | None, anchor: int | None) -> date | None:
    """The publication date the page shows around its title: a date line or a dated byline from
    a few lines above the title to a few lines into the text. A 'Published'/'Posted' date beats
    a bare one, which beats an 'Updated'/'Modified' one; then the nearest to the title wins."""
    top = title_index if title_index is not None else 0
    end = min(len(units), (anchor if anchor is not None else top) + 12)
    found: list[tuple[int, int, date]] = []
    for i in range(max(0, top - 8), end):
        when = date_line_candidate(units[i])  # a note's date is its source's: none
        if when:
            found.append((date_rank(units[i].text), abs(i - top), when))
    return min(found)[2] if found else None


def masthead(units: list["Unit"], title_index: int | None, page_text: str) -> str | None:
    """The site's name printed above the title ("The Daily Meridian"), when it reads like one."""
    for u in units[:title_index or 0]:
        if u.data.get("orig") in ("boilerplate", "breadcrumb", "translation", "date", "byline"):
            continue
        repeated = word_count(u.text) >= 2 and len(re.findall(rf"\b{re.escape(u.text)}\b", page_text)) > 1
        if _looks_like_site_name(u.text) and (MASTHEAD_HEAD_RE.search(u.text) or repeated):
            return u.text
        if word_count(u.text) > 7:
            break
    return None


def _agency_credit(credit: str | None) -> str | None:
    """'Reuters', 'AP', 'AFP' in a dateline -> the agency's name; None for anything else."""
    if not credit:
        return None
    from .bylines import agency_name

    return agency_name(credit.strip())


def _is_dateline_place(place: str) -> bool:
    """'WASHINGTON', 'BRASÍLIA, Brazil', 'NEW YORK': the place name is in capitals."""
    head = place.split(",")[0].strip(" .")
    letters = [ch for ch in head if ch.isalpha()]
    return len(letters) >= 3 and all(ch.isupper() for ch in letters) and word_count(head) <= 4


def page_units(text: str) -> tuple[str, list[Unit]]:
    """The page's text (line ends and HTML entities normalised) and its lines as classified units."""
    text = text.replace("\r\n", "\n").replace("\r", "\n")
    if _HTML_ENTITY_RE.search(text):
        text = html.unescape(text)
    units = split_units(text)
    classify_units(units)
    return text, units


def rules_title(units: list[Unit]) -> tuple[int | None, str, str | None, bool]:
    """(index, title, section, consumed) as the hand-written rules decide: the run of heading-like
    lines at the top (`find_title`), unless a title-like line sits lower, just above the text
    (`find_title_above_body`), on pages with menus above the article."""
    title_index, title, section, consumed = find_title(units)
    above = find_title_above_body(units)
    # The scored choice above the text wins over the top run even when the top run's line sits in the
    # title window: on unseen layouts the top run is most often a menu's or a promotion's line. Not when
    # it is the line right under a settled title: that is the title's subtitle (title, subtitle, byline).
    settled = title_index is not None and title_index in title_window(units) and _title_like(units[title_index])
    subtitle = settled and above is not None and above > title_index and all(
        u.kind == "boilerplate" for u in units[title_index + 1:above])
    if above is not None and above != title_index and (title_index is None or above > title_index) and not subtitle:
        title_index, title, consumed = above, units[above].text, True
        before = [u for u in units[:above] if u.kind != "boilerplate"]
        if before and word_count(before[-1].text) <= 4 and len(before[-1].text) <= 40 and not _title_like(before[-1]):
            section = before[-1].text
    return title_index, title, section, consumed


def label_page_lines(units: list[Unit], text: str, rules_title_index: int | None):
    """The line-role labeller's reading of the page (`parse/line_roles.py`), or None when it is off."""
    from .line_roles import label_units

    return label_units(units, text, rules_title_index)


def parse_text_page(text: str) -> ParsedPage:
    """Page structure of an article saved as plain text (see the module docstring for the cues)."""
    text, units = page_units(text)
    translations: list[str] = []
    for u in units:
        if u.kind == "translation":
            translations.extend(lang for lang in u.data["languages"] if lang not in translations)

    # Head: everything above the title is navigation (bylines there still count).
    title_index, title, section, consumed = rules_title(units)
    roles = label_page_lines(units, text, title_index)
    if roles is not None and roles.title_index != title_index:
        title_index, title, consumed = roles.title_index, units[roles.title_index].text if roles.title_index is not None else "", \
            roles.title_index is not None
    if roles is not None:
        roles.mark_bylines(units)
    start = 0
    if title_index is not None:
        for u in units[:title_index]:
            if u.kind != "byline":
                u.data["drop"] = True
                u.kind = "used"
        if consumed:
            units[title_index].kind = "used"
            start = title_index + 1
        else:
            start = title_index

    mark_header_bylines(units, title_index, body_anchor(units))
    comments, comment_units = split_comments(units, start)
    for i in comment_units:
        units[i].kind = "used"
    footnotes = collect_footnotes(units)

    # Paragraphs that continue a bio candidate ("She holds a PhD from …").
    for i, u in enumerate(units):
        if u.kind == "bio":
            j = i + 1
            while j < len(units) and _continues_bio(u, units[j]):
                units[j].kind, units[j].data["continues"] = "bio_part", i
                j += 1

    # Ordinary paragraphs mark where the article runs; bios are at its edges.
    ordinary = [i for i, u in enumerate(units)
                if i >= start and (u.kind == "paragraph" or (u.kind == "bio" and not u.data["cue"]))]
    first_ordinary = ordinary[0] if ordinary else len(units)
    last_ordinary = ordinary[-1] if ordinary else -1

    def next_meaningful(i: int) -> int | None:
        for j in range(i + 1, len(units)):
            if units[j].kind not in ("used", "boilerplate", "repeat", "date"):
                return j
        return None

    # Bylines, author labels, name boxes, captions.
    byline_names: list[str] = []
    byline_roles: list[tuple[str, str]] = []
    captions: list[str] = []
    boxed_bios: set[int] = set()
    for i, u in enumerate(units):
        if u.kind == "byline":
            for name in u.data["names"]:
                _add_name(byline_names, name)
            byline_roles.extend(r for r in u.data.get("roles", []) if r not in byline_roles)
            agency = _agency_line(units[i + 1].text) if i + 1 < len(units) else None
            if agency:  # "By Jane Doe" over a line "ASSOCIATED PRESS": she writes for the agency
                byline_roles.extend((name, agency) for name in u.data["names"]
                                    if not any(same_person(name, n) for n, _ in byline_roles))
            continue
        for name in u.data.get("lead_names", []):
            _add_name(byline_names, name)
        if i < start or u.kind == "used":
            continue
        if u.kind == "caption":
            captions.append(u.data["caption"])
            continue
        if u.kind == "bio" and u.data.get("boxed"):
            boxed_bios.add(i)
            _add_name(byline_names, u.data["subject"])
            continue
        if u.kind == "author_label":
            j = next_meaningful(i)
            names_after = 0
            for k in range(i + 1, min(len(units), i + 5)):
                names_after += looks_like_person_name(units[k].text)
            if names_after >= 3:
                continue  # "Contributors" over a list of names: a directory, not an author box
            if j is not None and units[j].kind == "bio":
                boxed_bios.add(j)
                _add_name(byline_names, units[j].data["subject"])
            elif j is not None and looks_like_person_name(units[j].text):
                units[j].data["namebox"] = True
        elif u.kind in ("heading", "paragraph") and (u.data.get("repeated") or looks_like_person_name(u.text)):
            j = next_meaningful(i)
            follows_bio = j is not None and units[j].kind == "bio" and same_person(units[j].data["subject"], u.text)
            if looks_like_person_name(u.text) and (follows_bio or u.data.get("namebox")
                                                   or (u.data.get("repeated") and i > last_ordinary)):
                u.data["namebox"] = True
                if follows_bio:
                    boxed_bios.add(j)
            elif u.data.get("repeated"):
                u.kind = "caption"
                captions.append(u.text)
        if u.data.get("namebox"):
            _add_name(byline_names, u.text)
            u.kind, u.data["drop"] = "namebox", True

    # Bios: accepted by an author box, a byline name, or their place at the article's edge.
    bios: list[str] = []
    for i, u in enumerate(units):
        if u.kind != "bio":
            continue
        parts = [units[j] for j in range(i + 1, len(units)) if units[j].data.get("continues") == i]
        at_edge = u.data["cue"] and (i > last_ordinary or i < first_ordinary)
        if i in boxed_bios or any(same_person(u.data["subject"], n) for n in byline_names) or at_edge:
            bios.append(" ".join([u.text] + [p.text for p in parts]))
            u.kind = "used"
            for p in parts:
                p.kind = "used"
        else:
            u.kind = "paragraph"
            for p in parts:
                p.kind = "paragraph"

    # Standfirst: a short paragraph right after the title, set apart from the body by a
    # caption/byline/date, or whose first sentence opens (or which is) the first paragraph.
    standfirst: str | None = None
    body_candidates = [i for i, u in enumerate(units) if i >= start and u.kind in ("paragraph", "heading")]
    if consumed and body_candidates and units[body_candidates[0]].kind == "paragraph":
        i = body_candidates[0]
        u = units[i]
        later = [j for j in body_candidates[1:] if units[j].kind == "paragraph"]
        if later and sentence_count(u.text) <= 2 and word_count(u.text) <= 60:
            nxt = later[0]
            set_apart = any(units[k].kind in ("caption", "byline", "date", "namebox", "repeat")
                            or units[k].data.get("orig") == "date" for k in range(i + 1, nxt))
            if set_apart or units[nxt].text.startswith(split_sentences(u.text)[0]):
                standfirst = u.text
                u.kind = "used"
                if units[nxt].text == u.text:  # the dek printed again as the first paragraph
                    units[nxt].kind, units[nxt].data["drop"] = "used", True

    # Body: paragraphs and headings. Short title-like lines after a related-posts marker are
    # links; headings with nothing after them are page chrome.
    body_units: list[Unit] = []
    related_mode = False
    end = article_end(units, body_anchor(units))
    for i, u in enumerate(units):
        if i < start:
            continue
        if i >= end:  # the page after the article: menus, lists of other pieces, footers
            if u.kind in ("paragraph", "heading"):
                u.data["drop"] = True
            continue
        if u.kind == "related":
            related_mode = True
        elif u.kind == "paragraph" and word_count(u.text) >= 12:
            related_mode = False
        if u.kind in ("paragraph", "heading"):
            if related_mode and (u.kind == "heading" or word_count(u.text) < 12):
                u.data["drop"] = True
                continue
            body_units.append(u)
    while body_units and body_units[-1].kind == "heading":
        body_units.pop().data["drop"] = True

    # A dateline opening the first paragraph ("WASHINGTON —") is not part of the text.
    first_para = next((u for u in body_units if u.kind == "paragraph"), None)
    if first_para is not None:
        m = DATELINE_RE.match(first_para.text)
        rest = first_para.text[m.end():] if m else ""
        # the text after a dateline opens a sentence; "NATO — the alliance — …" is an aside, not a dateline
        if m and _is_dateline_place(m.group("place")) and rest[:1].isupper() \
                and not re.match(r"^[^.!?]{0,120}\s[—–]\s", rest):
            first_para.data["dateline"] = m.group("place")
            agency = _agency_credit(m.group("credit"))
            if agency:  # "LONDON (Reuters) -" over a byline naming people: they write for the agency
                byline_roles.extend((name, agency) for name in byline_names
                                    if not any(same_person(name, n) for n, _ in byline_roles))
            first_para.text = first_para.text[m.end():]
    # Superscript note numbers flattened onto the sentence end ("Moscow.1 Two") become "[1]".
    if footnotes:
        top = max(n.number for n in footnotes)

        def _mark(m: re.Match) -> str:
            return f"[{m.group('n')}]" if 1 <= int(m.group("n")) <= top else m.group(0)

        for u in body_units:
            u.text = FLAT_NOTE_MARK_RE.sub(_mark, u.text)

    for u in body_units:
        u.text = strip_photo_credits(u.text) or u.text
    blocks: list[Block] = []
    pos = 0
    for u in body_units:
        kind = BlockKind.HEADING if u.kind == "heading" else BlockKind.PARAGRAPH
        if blocks:
            pos += 2  # the "\n\n" between blocks
        blocks.append(Block(kind, u.text, pos, pos + len(u.text)))
        pos += len(u.text)

    # The page's date, its publisher (a title suffix, a masthead, a copyright line) and an
    # author named only in a copyright line.
    title, suffix_site = split_title_suffix(title, text) if title else (title, None)
    holders = [h for u in units if (h := copyright_holder(u.text))]
    from .bylines import clean_person_name

    publisher = decide_page_publisher(units, text, title_index, suffix_site)
    people = [n for h in holders if (n := clean_person_name(h)) and (not publisher or _site_key(h) != _site_key(publisher))]
    if not byline_names and not bios:
        for name in people:
            _add_name(byline_names, name)

    dropped = [u.text for u in units if u.data.get("drop") or u.data.get("orig") in DROPPED_KINDS]
    return ParsedPage(
        title=title,
        standfirst=standfirst,
        section=section,
        blocks=blocks,
        body_text="\n\n".join(b.text for b in blocks),
        captions=list(dict.fromkeys(captions)),
        byline_names=byline_names,
        bios=_dedupe_bios(bios),
        footnotes=footnotes,
        comments=comments,
        translations=translations,
        dropped=dropped,
        byline_roles=byline_roles,
        date_published=(find_date(units[roles.date_index].text) if roles is not None and roles.date_index is not None
                        else None) or page_date(units, title_index, body_anchor(units)),
        publisher=publisher,
    )
