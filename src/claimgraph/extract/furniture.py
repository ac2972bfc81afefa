"""Page furniture inside an article's text: the spans that name nobody.

tests/corpus/README.md: "credits are furniture, not mentions". Photo and video
credits ("ALEXANDER NEMENOV/AFP via Getty Images", "Photograph: AFP via Getty",
"(Adel Hana/The Associated Press)", a caption's closing "… exercise. AFP"),
agency datelines ("SEOUL, Aug. 20 (Yonhap) --"), "contributed to this report",
"Reporting by …; Editing by …", "Visualisations by …", copyright and
republication lines, share and follow buttons ("Twitter LinkedIn Facebook Email",
"Click to share on Telegram", "Follow X on Twitter") and lines that are nothing
but a person's name (bylines of related articles, author boxes) stay in the text
that claims read, but no person or organization is taken from them.

`furniture_spans(text)` gives those spans as (start, end) offsets; the entity
extractor treats them as blocked for people and organizations (states keep their
own rules). Every rule is a convention of web pages, seen across publishers.
"""
from __future__ import annotations

import re
from functools import lru_cache

# Photo libraries and picture desks that sign credits (besides the wire agencies of data/agencies.csv).
_PICTURE_SOURCES = [
    "Getty Images", "Getty", "Shutterstock", "Alamy", "Pexels", "Unsplash", "Pixabay", "iStock", "iStockphoto",
    "Wikimedia Commons", "Wikimedia", "Flickr", "Planet Labs", "Maxar Technologies", "Maxar", "EPA-EFE", "EPA",
    "NurPhoto", "SOPA Images", "Sipa", "Sipa USA", "ZUMA Press", "ZUMA", "Zuma", "Pool", "POOL", "Handout",
    "HANDOUT", "Stringer", "Contributor", "LightRocket", "Bloomberg", "Corbis", "Imago", "Polaris", "Redux",
    "Abaca", "Panos", "Magnum", "Sputnik", "Kremlin", "Reuters", "REUTERS", "AFP", "AP", "Associated Press",
    "The Associated Press", "Anadolu", "Anadolu Agency", "Xinhua", "TASS", "UPI", "dpa", "DPA", "PA", "PA Images",
    "PA Wire", "AAP", "ANSA", "Kyodo", "Yonhap", "KCNA", "Sputnik", "Picture Alliance", "picture alliance",
]


@lru_cache(maxsize=1)
def _credit_source_alt() -> str:
    names = set(_PICTURE_SOURCES)
    try:
        from ..reference import read_table

        for row in read_table("agencies.csv"):
            names.add(row["name"].strip())
            names.update(a.strip() for a in row.get("aliases", "").split("|") if a.strip())
    except Exception:  # the table is optional here
        pass
    names = {n for n in names if len(n) >= 2}
    return "|".join(re.escape(n) for n in sorted(names, key=len, reverse=True))


_CAP = r"[A-ZÀ-ÖØ-Þ][\w'’.-]*"
_LABEL = (r"(?:photo(?:graph)?s?|images?|pictures?|pictured|pic|credits?|courtesy|illustrations?|videos?|"
          r"graphics?|graphs?|charts?|maps?|visuali[sz]ations?|footage|cover(?: photo| image)?|header image|"
          r"featured image|top image|main image|source(?: photos?| images?| videos?(?: and maps)?)?)")
_BY_WORDS = (r"(?:(?:additional\s+)?reporting|editing|edited|writing|written|compiled|research\s+and\s+analysis|"
             r"photos?|photographs?|photography|pictures?|illustrations?|videos?|graphics?|maps?|"
             r"visuali[sz]ations?|translation|translated)(?:\s+and\s+[a-z]+)?")
_START = r"(?:^|(?<=[(\[;|•])|(?<=[.!?’”\"')\]]\s)|(?<=[–—]\s)|(?<=[–—]))"


@lru_cache(maxsize=1)
def _patterns() -> list[re.Pattern[str]]:
    src = _credit_source_alt()
    return [
        # "Photo: …", "Photograph: AFP via Getty", "Photo Source: …", "Maps: …", "GRAPHS Vortexa; …"
        re.compile(_START + r"\s*" + _LABEL + r"(?:\s+(?:credits?|sources?|courtesy))?\s*(?::|\bby\b|\bcourtesy of\b)"
                   r"[^\n)\]]*", re.I | re.M),
        re.compile(r"^\s*(?:PHOTOS?|GRAPHS?|CHARTS?|MAPS?|SOURCES?|CREDITS?|IMAGES?|VIDEOS?)\b[^\n]*", re.M),
        # "Reporting by …; Editing by …", "Additional reporting from Reuters", "Visualisations by …"
        re.compile(_START + r"\s*(?:" + _BY_WORDS + r"\s+by|(?:additional\s+)?reporting\s+from)\s[^\n)\]]*", re.I | re.M),
        # "… contributed to this report.", "contributed reporting"
        re.compile(r"[^\n.!?]*\bcontributed\s+(?:reporting\s+)?(?:to|for)\s+(?:this|the)\s+(?:report|story|article)"
                   r"[^\n.!?]*[.!?]?|[^\n.!?]*\bcontributed\s+reporting\b[^\n.!?]*[.!?]?", re.I),
        # "NAME NAME/AFP via Getty Images", "Contributor/Getty Images", "(Adel Hana/The Associated Press)"
        re.compile(r"(?:" + _CAP + r"\s){0,3}" + _CAP + r"\s?/\s?(?:(?:The\s)?(?:" + _CAP + r")[ /]){0,3}?(?:The\s)?(?:"
                   + src + r")(?:(?!\w)|(?=[A-Z][a-z]))(?:\s+via\s+(?:" + src + r"))?"),
        re.compile(r"(?:" + _CAP + r"\s){0,3}" + _CAP + r"\s+via\s+(?:" + src + r")(?!\w)"),
        # "AP Photo/Jane Doe", "REUTERS/Stringer"
        re.compile(r"\b(?:" + src + r")(?:\s+Photos?)?\s?/\s?(?:" + _CAP + r"\s?){1,4}"),
        # agency datelines: "SEOUL, Aug. 20 (Yonhap) --", "HANOI, Vietnam (AP) —", "(Reuters) -"
        re.compile(r"^\s*(?:[A-Z][A-Z.'’ -]{1,40}(?:,[^()\n]{1,30})?\s*)?\((?:" + src + r")\)(?=\s*(?:[-–—]|--))", re.M),
        # share and follow: "Follow The Aviationist on Twitter.", "Share on Facebook", "Click to share on Telegram"
        re.compile(r"\b(?:follow|join|subscribe to|share(?: this)?(?: article| story| post)?|click to share|connect with)"
                   r"\b[^\n.!?]{0,50}?\b(?:on|via|to)\s+(?:" + _PLATFORM + r")\b[^\n.!?]*", re.I),
    ]


_PLATFORM = (r"facebook|twitter|linkedin|linked\s?in|instagram|telegram|whatsapp|youtube|tiktok|bluesky|"
             r"mastodon|reddit|pinterest|tumblr|flipboard|weibo|wechat|viber|snapchat|google news|apple news")
_SHARE_WORDS = set("""
facebook twitter x linkedin linked in instagram telegram whatsapp youtube tiktok threads bluesky mastodon reddit
pinterest tumblr flipboard messenger email e-mail mail gmail vk weibo wechat line viber pocket snapchat print
share shares sharing copy link url sms click to on via opens new window tweet comment comments save more
follow us google news apple rss subscribe | · • - – / and or the this article story
""".split())
_PLATFORM_WORDS = set("""facebook twitter linkedin instagram telegram whatsapp youtube tiktok threads bluesky mastodon
reddit pinterest tumblr flipboard messenger vk weibo wechat viber snapchat""".split())
_NAME = re.compile(r"(?:By\s+)?[A-ZÀ-ÖØ-Þ][\w'’-]+(?:\s+(?:[A-Z]\.|[A-ZÀ-ÖØ-Þ][\w'’-]+|"
                   r"(?:van|von|de|da|del|der|di|al|bin|ibn|el|la|le)(?=\s))){1,3}")
_NAME_SEP = re.compile(r"\s*(?:,\s*and\s+|,|\s+and\s+|\s*&\s*)\s*")
# Words that make a short line something other than a bare name.
_NOT_NAME = set("""the a an of and in on at for to with by from news world home latest live video opinion analysis
politics business sport sports culture more about contact menu search read watch listen related topics""".split())
_COPYRIGHT = re.compile(r"©|\bcopyright\b|\ball rights reserved\b|^\s*all rights\b|\(c\)\s*\d{4}|"
                        r"\b(?:this|the) (?:article|piece|story|post|commentary|op-ed|essay|interview|report) "
                        r"(?:was |is |has been )?(?:originally|first) (?:appeared|published|posted|ran)\b|"
                        r"\boriginally (?:appeared|published) (?:at|in|on|by)\b", re.I)
# A caption's closing credit after its last sentence: "… exercise. AFP", "… State. Planet Labs PBC", "… (Reuters)".
_CLOSING_CREDIT = re.compile(r"(?<=[a-z0-9)’”\"'][.!?])(?:[’”\"'])?\s+(?P<c>\(?[A-Z][\w&'’-]*(?:[ /][A-Z][\w&'’.-]*){0,3}\)?)[ \t]*$")


def _share_lines(text: str) -> list[tuple[int, int]]:
    out = []
    pos = 0
    for line in text.split("\n"):
        start, pos = pos, pos + len(line) + 1
        words = re.findall(r"[\w-]+|[|·•/]", line.lower().replace("(", " ").replace(")", " "))
        if not words or len(words) > 20:
            continue
        if any(w in _PLATFORM_WORDS for w in words) and all(w in _SHARE_WORDS for w in words):
            out.append((start, start + len(line)))
    return out


def _signature(line: str, g) -> bool:
    """A reader's signature: a name, then where they write from ("Jane Doe, London,", "Reza Zakeri,
    Tehran, Iran")."""
    from .gazetteer import HitKind

    parts = [x.strip() for x in line.strip().rstrip(",").split(",")]
    if not 2 <= len(parts) <= 3 or not _NAME.fullmatch(parts[0]) or parts[0].startswith("By "):
        return False
    for place in parts[1:]:
        hits = [h for h in g.match(place) if h.kind in (HitKind.STATE, HitKind.CAPITAL, HitKind.PLACE, HitKind.REGION)]
        if not hits or hits[0].start != 0 or hits[0].end != len(place):
            return False
    return True


def _line_rules(text: str) -> list[tuple[int, int]]:
    """Copyright and republication lines, a caption's closing credit, and lines that are nothing but
    one to three names ("Elsie Britt", "John Haltiwanger and Charles R. Davis"): bylines of related
    articles and author boxes, never a mention in the article."""
    from .gazetteer import TITLES, load_gazetteer

    g = load_gazetteer()
    out = []
    pos = 0
    for line in text.split("\n"):
        start, pos = pos, pos + len(line) + 1
        words = line.split()
        if not words:
            continue
        if len(words) <= 60 and _COPYRIGHT.search(line):
            out.append((start, start + len(line)))
            continue
        m = _CLOSING_CREDIT.search(line)
        if m and len(line[:m.start()].split()) >= 5 and not m.group("c").endswith("."):
            out.append((start + m.start("c"), start + m.end("c")))
        if len(words) <= 8 and _signature(line, g):
            out.append((start, start + len(line)))
            continue
        if len(words) <= 14:
            parts = [x for x in _NAME_SEP.split(line.strip()) if x]
            if parts and all(_NAME.fullmatch(x) for x in parts):
                toks = [t for x in parts for t in x.split()]
                if any(t.lower() in _NOT_NAME or t in TITLES or g.is_state_word(t) or t in g.state_surfaces
                       or t in g.demonym_surfaces for t in toks if t != "By"):
                    continue
                if any(g.org_by_surface(x) is not None for x in parts):
                    continue
                out.append((start, start + len(line)))
    return out


_CONTENT_LINE = re.compile(r"^\(?\d{1,2}:\d{2}(?::\d{2})?\b|(?<![\w.])@\w{2,}")
_END_PUNCT = tuple(".!?:;\"”’')]…")


def _link_runs(text: str, min_run: int = 3) -> list[tuple[int, int]]:
    """Runs of three or more consecutive lines that end without punctuation: lists of other
    articles' headlines ("Related", "Most read", a site's latest news) with their labels and bylines."""
    out: list[tuple[int, int]] = []
    run: list[tuple[int, int]] = []
    pos = 0

    def flush() -> None:
        if len(run) >= min_run:
            out.extend(run)
        run.clear()

    for line in text.split("\n"):
        start, pos = pos, pos + len(line) + 1
        stripped = line.strip()
        if not stripped:
            continue
        if _CONTENT_LINE.search(stripped):
            flush()  # chapter markers ("20:27 Reagan’s plan") and embedded posts ("Jane Doe @jdoe") are content
        elif len(stripped.split()) <= 25 and not stripped.endswith(_END_PUNCT):
            run.append((start, start + len(line)))
        else:
            flush()
    flush()
    return out


def furniture_spans(text: str) -> list[tuple[int, int]]:
    """(start, end) spans of `text` that are credits, share/follow buttons, copyright lines or bare
    name lines: no person or organization is taken from them."""
    spans: list[tuple[int, int]] = []
    for pat in _patterns():
        for m in pat.finditer(text):
            if m.end() > m.start():
                spans.append((m.start(), m.end()))
    spans += _share_lines(text)
    spans += _line_rules(text)
    spans += _link_runs(text)
    return sorted(spans)
