"""Parse, HTML side: a saved or fetched HTML article -> a text page plus the page's own metadata.

The parse stage (`parse/text_page.py`) reads text pages. An HTML page is
turned into one here:

- the main content comes from trafilatura (navigation, footers, related links
  and comment forms dropped): headings and paragraphs, in order; the visible
  headline, standfirst, byline, date and wire-agency lines it may keep at the
  top are taken out of the body (they are metadata, not article text);
- the metadata is gathered from every place a page states it, each a
  *candidate* with its source, and each field decided by evidence:

  | field | candidates (weight) |
  | --- | --- |
  | headline | visible `<h1>` (2), JSON-LD `headline` (3), `og:title` (2), `twitter:title` (1), `<title>` (1), trafilatura (1) — site suffixes (" - Site", " | Site") cut |
  | authors | JSON-LD `author` (3: Person objects, `@id` references, strings), `<meta name="byl">` (3), a visible byline (`rel=author`, `class=byline/author…`, 3), `itemprop=author` (2), `article:author` (2; a URL gives the name of the page's own link to it, else nothing), `<meta name="author">` and Dublin Core/citation tags (2), trafilatura (1) |
  | date | JSON-LD `datePublished` (3, ISO or not), `article:published_time` (3), `itemprop=datePublished` (2), `<meta name="pdate">` and other date tags (2), htmldate without its guesses (2), `<time datetime>` in the article (1) |
  | publisher | JSON-LD `publisher` (3), `og:site_name` (3), the `<title>` suffix (2), `application-name` (1), trafilatura's site name when it is a name, not a host (1) |

  Values that name the same thing (same normalised text; for people the same
  first and last name; for dates the same day) pool their weights and the
  heaviest wins; its spelling comes from its weightiest source. Author names
  go through `parse/bylines.py` first (agency credits, boards, job titles
  glued to names, "Name. Publisher" strings and non-names dropped). Every
  person one source names is kept when that source is the weightiest that
  names anyone, or when two sources agree on them. trafilatura's own date
  guess (it falls back to a copyright year or a minimum date) is never used.
- the text page is: headline, standfirst, a byline ("By A and B"), the
  publication date, the body paragraphs separated by blank lines, then "About
  the author" and the author bios found in the page (JSON-LD author
  descriptions or an author box), which the parse stage recognises as it does
  in saved pages.

`html_to_text_page(raw, url) -> (text, PageMetadata)` is the entry point;
`apply_page_metadata` puts the metadata on an `Extraction` (publication date,
language) where text parsing has no better evidence.
"""
from __future__ import annotations

import html as html_lib
import json
import re
import unicodedata
from collections.abc import Iterable
from dataclasses import asdict, dataclass, field, replace
from datetime import date, timedelta
from urllib.parse import urljoin, urlparse

import lxml.etree
import lxml.html
import trafilatura

from .bylines import byline_details, byline_names, is_credit
from .text_page import find_date, match_datetime, same_person

ARTICLE_TYPES = frozenset({
    "Article", "NewsArticle", "AnalysisNewsArticle", "OpinionNewsArticle", "ReportageNewsArticle",
    "BackgroundNewsArticle", "ReviewNewsArticle", "AskPublicNewsArticle", "BlogPosting", "Report",
    "ScholarlyArticle", "SocialMediaPosting", "LiveBlogPosting", "TechArticle", "Blog", "ClaimReview",
    "SatiricalArticle", "Review", "Posting",
})
# schema.org @type -> the manifest's article_kind vocabulary (pipeline.map_document)
ARTICLE_KIND = {"AnalysisNewsArticle": "analysis", "OpinionNewsArticle": "opinion", "NewsArticle": "news",
                "ReportageNewsArticle": "news"}
_BIO_CLASS_RE = re.compile(r"(?:^|[\s_-])(?:author[-_]?(?:bio|box|info|description|about)|about[-_]the[-_]author|"
                           r"bio(?:graphy)?)(?:$|[\s_-])", re.IGNORECASE)
_BYLINE_CLASS_RE = re.compile(r"(?:^|[\s_-])(?:byline|by-line|author(?:s|[-_]?name)?|article[-_]author|post[-_]author|"
                              r"entry[-_]author|contributor(?:s)?|writer)(?:$|[\s_-])", re.IGNORECASE)
_WS_RE = re.compile(r"\s+")
MAX_BYLINE_NAMES = 5  # more people than this in the page's author elements: not this article's byline
# " | Site", " - Site", " – Site", " — Site", " :: Site" at the end of a title.
# the last separator: "Headline - More headline - Site" -> ("Headline - More headline", "Site")
_TITLE_SUFFIX_RE = re.compile(r"^(?P<head>.+)\s+(?:\||-|–|—|::|•|·)\s+(?P<tail>[^|–—:•·]{2,80}?)$")
_HOST_RE = re.compile(r"^(?:www\.)?[\w-]+(?:\.[\w-]+)+$")

WEIGHTS = {
    "headline": {"json-ld": 3, "h1": 4, "h1-page": 2, "og:title": 2, "twitter:title": 1, "title": 1, "trafilatura": 1},
    "authors": {"json-ld": 3, "meta:byl": 3, "byline": 3, "itemprop": 2, "author-box": 2, "article:author": 2, "meta:author": 2,
                "trafilatura": 1},
    "date": {"json-ld": 3, "article:published_time": 3, "itemprop": 2, "meta:date": 2, "htmldate": 2, "time": 1, "visible": 1,
             "url": 1},
    "publisher": {"json-ld": 3, "og:site_name": 3, "title-suffix": 2, "application-name": 1, "trafilatura": 1, "copyright": 1,
                  "logo": 1},
}


@dataclass(frozen=True)
class PageMetadata:
    """What the page itself states about the article. Plain values only (picklable, JSON-able)."""

    headline: str | None = None
    authors: tuple[str, ...] = ()
    author_roles: tuple[tuple[str, str], ...] = ()  # (name, role as a byline prints it: "Senior Fellow, X")
    author_bios: tuple[str, ...] = ()
    publisher: str | None = None
    date_published: str | None = None  # ISO 8601 as the page states it (or the day decided from its dates)
    date_modified: str | None = None
    language: str | None = None  # BCP 47 ("en", "en-GB")
    canonical_url: str | None = None
    description: str | None = None
    section: str | None = None
    article_type: str | None = None  # schema.org @type ("OpinionNewsArticle")
    sources: tuple[str, ...] = field(default=())  # where the facts came from: "json-ld", "opengraph", "meta", …

    @property
    def published(self) -> date | None:
        return iso_date(self.date_published)

    @property
    def article_kind(self) -> str | None:
        return ARTICLE_KIND.get(self.article_type or "")

    def as_dict(self) -> dict:
        return {k: (list(v) if isinstance(v, tuple) else v) for k, v in asdict(self).items() if v not in (None, ())}


def iso_date(value: str | None) -> date | None:
    """'2023-05-09T10:00:00+02:00' -> date(2023, 5, 9); None when not an ISO date."""
    if not value:
        return None
    m = re.match(r"\s*(\d{4})-(\d{2})-(\d{2})", value)
    if not m:
        return None
    try:
        return date(int(m.group(1)), int(m.group(2)), int(m.group(3)))
    except ValueError:
        return None


_UTC_RE = re.compile(r"T\d{2}:\d{2}(?::\d{2})?(?:\.\d+)?(?:Z|[+-]00:?00)$")


def any_date(value: str | None) -> date | None:
    """A date as pages write it in metadata: ISO, '20230914' (pdate), 'September 14, 2023',
    '14/09/2023', 'Thu, 14 Sep 2023 10:00:00 GMT'."""
    if not value or not isinstance(value, str):
        return None
    value = value.strip()
    found = iso_date(value)
    if found:
        return found
    m = re.fullmatch(r"((?:19|20)\d\d)(\d\d)(\d\d)(?:\d{4,6})?", value)
    if m:
        try:
            return date(int(m.group(1)), int(m.group(2)), int(m.group(3)))
        except ValueError:
            return None
    whole = match_datetime(value)
    if whole:
        return whole[0].date()
    value = re.sub(r"\s+\d{1,2}:\d{2}(?::\d{2})?.*$", "", value)  # RFC 822 time and zone
    return find_date(value)


def _clean(text) -> str | None:
    if text is None:
        return None
    if isinstance(text, (int, float)):
        text = str(text)
    if not isinstance(text, str):
        return None
    if "&" in text:  # JSON-LD and meta values often carry HTML entities ("&#8211;")
        text = html_lib.unescape(text)
    text = _WS_RE.sub(" ", text).strip()
    return text or None


def _types(node: dict) -> list[str]:
    t = node.get("@type")
    types = t if isinstance(t, list) else [t]
    return [x.rsplit("/", 1)[-1] for x in types if isinstance(x, str)]


def _json_ld_nodes(doc) -> list[dict]:
    nodes: list[dict] = []

    def walk(value):
        if isinstance(value, list):
            for v in value:
                walk(v)
        elif isinstance(value, dict):
            nodes.append(value)
            if "@graph" in value:
                walk(value["@graph"])
            for key in ("mainEntity", "itemReviewed"):
                inner = value.get(key)
                if isinstance(inner, (dict, list)):
                    walk(inner)

    for script in doc.xpath('//script[@type="application/ld+json"]'):
        raw = script.text_content().strip()
        if not raw:
            continue
        try:
            walk(json.loads(raw))
        except json.JSONDecodeError:
            try:  # a trailing comma or a control character in an otherwise good block
                walk(json.loads(re.sub(r",\s*([}\]])", r"\1", raw), strict=False))
            except json.JSONDecodeError:
                continue  # a broken block is the site's problem; the other sources still count
    return nodes


def _resolve(value, by_id: dict[str, dict]):
    if isinstance(value, dict) and "@id" in value and len(value) <= 2 and value["@id"] in by_id:
        return by_id[value["@id"]]
    return value


def _name_of(value, by_id: dict[str, dict]) -> str | None:
    value = _resolve(value, by_id)
    if isinstance(value, str):
        return None if value.startswith(("http://", "https://")) else _clean(value)
    if isinstance(value, dict):
        name = value.get("name")
        if isinstance(name, list):
            name = name[0] if name else None
        if isinstance(name, dict):
            name = name.get("@value")
        return _clean(name)
    return None


def _first(value):
    return value[0] if isinstance(value, list) and value else value


def _article_node(nodes: list[dict]) -> dict | None:
    """The article the page is: an Article-like node with a headline, else any Article-like node."""
    articles = [n for n in nodes if ARTICLE_TYPES & set(_types(n))]
    articles.sort(key=lambda n: (not n.get("headline"), "ClaimReview" in _types(n), not n.get("author")))
    return articles[0] if articles else None


# --------------------------------------------------------------- candidates


@dataclass
class Candidates:
    """Every value a page states for a field, with where it was stated."""

    headline: list[tuple[str, str]] = field(default_factory=list)  # (source, value)
    authors: list[tuple[str, list[str]]] = field(default_factory=list)  # (source, names as printed)
    date: list[tuple[str, date]] = field(default_factory=list)
    publisher: list[tuple[str, str]] = field(default_factory=list)
    bios: list[str] = field(default_factory=list)
    utc_days: set[date] = field(default_factory=set)  # days read from timestamps given in UTC

    def add(self, fld: str, source: str, value) -> None:
        if value:
            getattr(self, fld).append((source, value))


def _join(base: str | None, link: str) -> str:
    """`link` resolved against the page's URL; one too malformed to resolve ("http://[x") is
    kept as written: it is the page's claim, dropped with its reason when the graph is built."""
    try:
        return urljoin(base or "", link)
    except ValueError:
        return link


def _path(href: str | None) -> str | None:
    """The path of a link, without a trailing slash; None when the link does not parse."""
    try:
        return urlparse(href or "").path.rstrip("/")
    except ValueError:
        return None


def _link_name(doc, href: str) -> str | None:
    """The text of the page's own link to an author page ('article:author' given as a URL)."""
    path = _path(href)
    if not path:
        return None
    for a in doc.xpath("//a[@href]"):
        target = _path(a.get("href"))
        if target == path:
            text = _clean(a.text_content())
            if text:
                return text
    return None


_NON_WRITING_RE = re.compile(r"\b(?:photo(?:graph)?s?|pictures?|images?|illustrations?|visuali[sz]ations?|graphics?|"
                             r"videos?|edit(?:ed|ing)|translat(?:ed|ion)|design(?:ed)?|maps?|data|animation)\b"
                             r"[^.:]{0,30}\bby\W*$", re.IGNORECASE)


def _non_writing_credit(el, text: str) -> bool:
    """'Visualisations by <b>Jane Doe</b>', 'Photos by …': a contributor who did not write the piece."""
    parent = el.getparent()
    if parent is None:
        return False
    context = _clean(parent.text_content()) or ""
    before = context[:max(context.find(text), 0)][-60:]
    return bool(_NON_WRITING_RE.search(before))


def _header_names(doc, h1) -> list[str]:
    """Links and 'By …' lines between the article's <h1> and its first paragraph of text: where a
    page prints its byline, often as links to the authors' pages."""
    if h1 is None:
        return []
    found: list[str] = []
    started = False
    for el in doc.iter():
        if el is h1:
            started = True
            continue
        if not started or not isinstance(el.tag, str):
            continue
        text = _clean(el.text_content()) or ""
        if el.tag == "p" and len(text.split()) >= 20:
            break
        if el.tag == "a" and 2 <= len(text.split()) <= 5 and _links_to_author(el):
            found.append(text)
        elif el.tag in ("p", "div", "span", "li") and re.match(r"^by\s", text, re.IGNORECASE) and len(text.split()) <= 16:
            found.append(text)
        if len(found) > 2 * MAX_BYLINE_NAMES:
            break
    return found


# Paths of authors' pages in a site's links ("/author/jane-doe", "/people/123-jane-doe", "/by/jane-doe").
_AUTHOR_PATH_RE = re.compile(r"/(?:[\w-]*(?:authors?|reporters?|writers?|columnists?|journalists?|contributors?)|by|people|"
                             r"person|profiles?|experts?|staff|bios?)(?:[/_-]|$)", re.IGNORECASE)


def _links_to_author(a) -> bool:
    """A link under the headline is a byline when it leads to an author's page or follows "By";
    other links there (topics, people the story is about, share buttons) name no author."""
    if _AUTHOR_PATH_RE.search(_url_path(a.get("href"))):
        return True
    parent = a.getparent()
    before = (parent.text or "") if parent is not None else ""
    prev = a.getprevious()
    if prev is not None:
        before = prev.tail or ""
    return bool(re.search(r"\bby\s*:?\s*$", before, re.IGNORECASE))


UNDERSCORE_SUFFIX_RE = re.compile(r"^(?P<head>.*?[^\s_])\s*_(?P<tail>(?:[A-Za-z]+_)*[A-Z][A-Za-z]+)$")
_BESIDE_SEP_RE = re.compile(r"\s+(?:\||-|–|—|::|•|·)\s+|:\s+|\s*_")


def site_beside_headline(title: str | None, headlines: set[str]) -> str | None:
    """'Headline | Site', 'Site: Headline', 'Headline_English_Site' -> 'Site' when the headline part
    is one of `headlines` (text keys); None otherwise."""
    if not title:
        return None
    m = UNDERSCORE_SUFFIX_RE.match(title)
    if m:  # "Headline _English_Site": a CMS's own suffix, whatever else the page says
        return m.group("tail").split("_")[-1]

    def known(text: str) -> bool:  # a headline, or the start of one ("… — Episode #12" cut off)
        key = _text_key(text)
        return key in headlines or (len(key) >= 20 and any(h.startswith(key) or key.startswith(h) for h in headlines if h))

    seps = list(_BESIDE_SEP_RE.finditer(title))
    for m in seps:
        head, tail = title[:m.start()].strip(), title[m.end():].strip()
        if _text_key(head) in headlines and tail:
            site = tail.split("_")[-1].strip() if "_" in tail else tail
            return site if 1 <= len(site.split()) <= 6 and not _HOST_RE.match(site) else None
        if known(tail) and head and 1 <= len(head.split()) <= 6 and not _HOST_RE.match(head):
            return head
    return None


_COPYRIGHT_TEXT_RE = re.compile(r"(?:©|\(c\)|copyright)", re.IGNORECASE)


_LOGO_ALT_RE = re.compile(r"^(?:the\s+)?(?P<site>[^|:,]{2,60}?)\s+logo\b", re.IGNORECASE)


def logo_name(doc) -> str | None:
    """The site's name as its logo's alternative text gives it ("UN News Centre logo and link back
    to News Centre home", "Euronews logo"); of a family of logos ("UN Logo"), the most specific."""
    names: list[str] = []
    for alt in doc.xpath("//body//img/@alt"):
        m = _LOGO_ALT_RE.match(_clean(str(alt)) or "")
        if m and m.group("site")[:1].isupper() and m.group("site") not in names:
            names.append(m.group("site").strip())
    if not names:
        return None
    keys = [_org_key(n) for n in names]
    if len(set(keys)) > 1 and not all(any(k2 != k and k2.startswith(k) for k2 in keys) or k == max(keys, key=len)
                                      for k in keys):
        return None  # logos of unrelated sites (partners, apps): no evidence of this one
    return max(names, key=len)


def visible_copyright_holders(doc) -> list[str]:
    """Holders of the copyright lines the page shows (not in scripts or comments), legal and
    corporate suffixes off: '© Copyright 2022 - St. Lucia Times.' -> 'St. Lucia Times'."""
    from .text_page import COPYRIGHT_ANY_RE, _holder

    found: list[str] = []
    for node in doc.xpath("//body//text()[not(ancestor::script) and not(ancestor::style)]"):
        text = _clean(str(node))
        if not text or len(text.split()) > 25 or not _COPYRIGHT_TEXT_RE.search(text):
            continue
        m = COPYRIGHT_ANY_RE.search(text)
        holder = _holder(m.group("holder").lstrip(" -–—,")) if m else None
        if holder and not re.match(r"^(?:\d|all\b|by\b)", holder, re.IGNORECASE) and holder not in found:
            found.append(holder)
    return found[:2]


def _url_path(url: str | None) -> str:
    """The path of an address, "" for none or one that is no address ("http://[not-a-host]/")."""
    try:
        return urlparse(url).path if url else ""
    except ValueError:
        return ""


_URL_DATE_RE = re.compile(r"/((?:19|20)\d\d)/([01]?\d)/([0-3]?\d)(?:/|$)")


def _url_date(url: str | None) -> date | None:
    """'https://site/2019/11/20/story' -> 2019-11-20: the day a site files a story under."""
    m = _URL_DATE_RE.search(_url_path(url))
    try:
        return date(int(m.group(1)), int(m.group(2)), int(m.group(3))) if m else None
    except ValueError:
        return None


def _header_date(doc, h1) -> date | None:
    """A date printed on a short line between the headline and the first paragraph of text."""
    if h1 is None:
        return None
    started = False
    updated: date | None = None
    for el in doc.iter():
        if el is h1:
            started = True
            continue
        if not started or not isinstance(el.tag, str) or el.tag in ("script", "style"):
            continue
        text = _clean(el.text_content()) or ""
        if el.tag == "p" and len(text.split()) >= 20:
            break
        if el.tag in ("time", "span", "div", "p", "li", "small", "em", "strong", "b", "i") and len(text.split()) <= 12:
            found = find_date(text)
            if found and re.search(r"\b(?:updated|modified)\b", text, re.IGNORECASE):
                updated = updated or found  # the only date shown may be an "Updated" one
            elif found:
                return found
    return updated


def gather_candidates(doc, html, url: str | None, meta: dict) -> Candidates:
    """All candidates of one page (and, in `meta`, the fields that need no vote)."""
    c = Candidates()
    nodes = _json_ld_nodes(doc)
    by_id = {n["@id"]: n for n in nodes if isinstance(n.get("@id"), str)}
    article = _article_node(nodes)
    if article is not None:
        meta["sources"].append("json-ld")
        c.add("headline", "json-ld", _clean(_first(article.get("headline"))) or _clean(_first(article.get("name"))))
        people = []
        raw_authors = article.get("author") or article.get("creator")
        for v in raw_authors if isinstance(raw_authors, list) else [raw_authors]:
            v = _resolve(v, by_id)
            if isinstance(v, dict) and "Organization" in _types(v):
                continue  # an organisation as author: a credit, not a person
            name = _name_of(v, by_id)
            if not name and isinstance(v, dict) and isinstance(v.get("url"), str):
                name = _link_name(doc, v["url"])
            elif not name and isinstance(v, str) and v.startswith(("http://", "https://")):
                name = _link_name(doc, v)
            if name:
                people.append(name)
                if isinstance(v, dict) and _clean(v.get("description")):
                    c.bios.append(_clean(v.get("description")))
        if people:
            c.add("authors", "json-ld", people)
        c.add("publisher", "json-ld", _name_of(_first(article.get("publisher")), by_id)
              or _name_of(_first(article.get("sourceOrganization")), by_id))
        raw = _clean(_first(article.get("datePublished"))) or _clean(_first(article.get("dateCreated")))
        c.add("date", "json-ld", any_date(raw))
        if raw and _UTC_RE.search(raw) and any_date(raw):
            c.utc_days.add(any_date(raw))
        meta.update(
            date_modified=_clean(_first(article.get("dateModified"))),
            description=_clean(article.get("description")) if isinstance(article.get("description"), str) else None,
            section=_clean(_first(article.get("articleSection"))),
            article_type=next((t for t in _types(article) if t in ARTICLE_TYPES), None),
        )
        lang = article.get("inLanguage")
        meta["language"] = _clean(lang.get("alternateName") or lang.get("name")) if isinstance(lang, dict) else _clean(lang)
        main = article.get("mainEntityOfPage")
        page_url = article.get("url") or (main if isinstance(main, str) else (main or {}).get("@id") if isinstance(main, dict) else None)
        if isinstance(page_url, str):
            meta["canonical_url"] = _join(url, page_url)
    if not any(s == "json-ld" for s, _ in c.publisher):
        site = next((n for n in nodes if {"WebSite", "NewsMediaOrganization"} & set(_types(n))), None)
        if site is not None:
            c.add("publisher", "json-ld", _name_of(site, by_id))

    # -- meta tags: OpenGraph, article:*, byl, pdate, Dublin Core, citation_* --------------
    props: dict[str, list[str]] = {}
    for el in doc.xpath("//meta[@property or @name or @itemprop]"):
        key = (el.get("property") or el.get("name") or el.get("itemprop") or "").strip().lower()
        content = _clean(el.get("content") if el.get("content") is not None else el.get("value"))  # some saved DOMs use value=
        if key and content:
            props.setdefault(key, []).append(content)

    def prop(*keys: str) -> str | None:
        for key in keys:
            if props.get(key):
                return props[key][0]
        return None

    if any(k.startswith(("og:", "article:")) for k in props):
        meta["sources"].append("opengraph")
    if any(not k.startswith(("og:", "article:", "twitter:")) for k in props):
        meta["sources"].append("meta")
    c.add("headline", "og:title", prop("og:title"))
    c.add("headline", "twitter:title", prop("twitter:title"))
    meta["handles"] = {_org_key(h.lstrip("@")) for key in ("twitter:site", "twitter:creator") for h in props.get(key, [])}
    c.add("publisher", "og:site_name", prop("og:site_name"))
    c.add("publisher", "application-name", prop("application-name", "publisher", "dc.publisher", "citation_publisher"))
    raw = prop("article:published_time", "og:article:published_time", "article:published")
    c.add("date", "article:published_time", any_date(raw))
    if raw and _UTC_RE.search(raw) and any_date(raw):
        c.utc_days.add(any_date(raw))
    c.add("date", "meta:date", any_date(prop("pdate", "dc.date", "dc.date.issued", "dcterms.created", "dcterms.issued",
                                             "citation_publication_date", "citation_date", "sailthru.date",
                                             "parsely-pub-date", "publish-date", "publishdate", "date", "datepublished")))
    byl = prop("byl")
    if byl:
        c.add("authors", "meta:byl", [byl])
    og_authors = []
    for a in props.get("article:author", []):
        og_authors.append(_link_name(doc, a) if a.startswith(("http://", "https://")) else a)
    c.add("authors", "article:author", [a for a in og_authors if a])
    names = [a for key in ("author", "citation_author", "dc.creator", "dcterms.creator", "parsely-author",
                           "sailthru.author") for a in props.get(key, []) if not a.startswith(("http://", "https://"))]
    c.add("authors", "meta:author", list(dict.fromkeys(names)))
    meta["description"] = meta.get("description") or prop("og:description", "description")
    meta["section"] = meta.get("section") or prop("article:section")
    locale = prop("og:locale")
    meta["language"] = meta.get("language") or (locale.replace("_", "-") if locale else None) \
        or _clean((doc.xpath("/html/@lang") or [None])[0])
    og_url = prop("og:url")
    canonical = doc.xpath('//link[translate(@rel, "CANONICAL", "canonical")="canonical"]/@href')
    meta["canonical_url"] = meta.get("canonical_url") or (_join(url, og_url) if og_url else None) \
        or (_join(url, canonical[0]) if canonical else None)

    # -- microdata ------------------------------------------------------------------------
    for el in doc.xpath('//*[@itemprop="datePublished" and not(self::meta)]'):
        c.add("date", "itemprop", any_date(el.get("datetime") or el.get("content") or el.text_content()))
        break
    micro_authors = []
    for el in doc.xpath('//*[@itemprop="author" and not(self::meta)]'):
        inner = el.xpath('.//*[@itemprop="name"]')
        text = (inner[0].get("content") or inner[0].text_content()) if inner else (el.get("content") or el.text_content())
        if _clean(text):
            micro_authors.append(_clean(text))
    c.add("authors", "itemprop", micro_authors)

    # -- the visible page: <title>, <h1>, byline, <time> ------------------------------------
    title = doc.xpath("//title")
    c.add("headline", "title", _clean(title[0].text_content()) if title else None)
    # The visible headline is the title "as the page shows it"; an <h1> outside the article may be a logo.
    h1 = doc.xpath("//article//h1|//main//h1|//*[@itemprop='headline' and not(self::meta)]")
    if h1:
        c.add("headline", "h1", _clean(h1[0].text_content()))
    else:
        first = doc.xpath("//h1")
        c.add("headline", "h1-page", _clean(first[0].text_content()) if first else None)
    bylines, boxes = [], []
    for el in doc.xpath('//*[@rel="author" or @class or @id][not(self::body) and not(self::html)]'):
        marks = f"{el.get('class', '')} {el.get('id', '')}"
        rel_author = "author" in (el.get("rel") or "").split()
        if not rel_author and not _BYLINE_CLASS_RE.search(marks) or _BIO_CLASS_RE.search(marks):
            continue
        text = _clean(el.text_content())
        if text and len(text.split()) <= 16 and not _non_writing_credit(el, text):
            strong = rel_author or "byline" in marks.lower() or text.lower().startswith("by ")
            (bylines if strong else boxes).append(text)
    title_h1 = h1[0] if h1 else next(iter(doc.xpath("//h1")), None)
    bylines.extend(_header_names(doc, title_h1))
    # A "byline" that names a crowd is a list of other articles' authors or a menu.
    for source, found in (("byline", bylines), ("author-box", boxes)):
        found = list(dict.fromkeys(found))
        if len({n for raw in found for n in byline_names(raw)}) <= MAX_BYLINE_NAMES:
            c.add("authors", source, found)
    times = doc.xpath("//article//time[@datetime]|//main//time[@datetime]") or doc.xpath("//time[@datetime]")
    if times:
        c.add("date", "time", any_date(times[0].get("datetime")))

    # -- the libraries ------------------------------------------------------------------------
    try:
        lib = trafilatura.extract_metadata(html, default_url=url, extensive=False)
    except Exception:  # noqa: BLE001 - a library failure on one page is no reason to lose the page
        lib = None
    if lib is not None:
        c.add("headline", "trafilatura", _clean(lib.title))
        if lib.author:
            c.add("authors", "trafilatura", [a for a in re.split(r"\s*;\s*", lib.author) if a])
        sitename = _clean(lib.sitename)
        if sitename and not _HOST_RE.match(sitename):
            c.add("publisher", "trafilatura", sitename)
    # The site's name beside the headline in the <title> ("Headline | Site", "Site: Headline",
    # "Headline_English_Site"), when another source gives the headline alone.
    heads = {_text_key(v) for src, v in c.headline if src not in ("title", "h1-page")}  # an <h1> outside the article may be the logo
    for src, value in list(c.headline):
        site = site_beside_headline(value, heads) if src in ("title", "trafilatura") else None
        c.add("publisher", "title-suffix", site)
    # trafilatura's site name is sometimes the whole <title>: cut the headline off it
    c.publisher = [(src, site_beside_headline(v, heads) or v) if src == "trafilatura" else (src, v) for src, v in c.publisher]
    # trafilatura reads its site name from the same tags (og:site_name, JSON-LD, twitter:site):
    # the same value again is no second witness.
    stated = {_org_key(v) for src, v in c.publisher if src != "trafilatura"}
    c.publisher = [(src, v) for src, v in c.publisher if src != "trafilatura" or _org_key(v) not in stated]
    # "Section - Site" beside the headline: the known outlet at its end is the site
    c.publisher = [(src, known_outlet_suffix(v) or v) if src == "title-suffix" else (src, v) for src, v in c.publisher]
    suffixes = {known_outlet_suffix(v) for src, v in c.headline if src in ("title", "og:title", "twitter:title")} - {None}
    if not any(src == "title-suffix" for src, _ in c.publisher):
        for suffix in sorted(suffixes):
            c.add("publisher", "title-suffix", suffix)
    for holder in visible_copyright_holders(doc):
        if not holder.rstrip().endswith(("&", ",")):  # "Bennett, Coleman &": a company's legal name cut short
            c.add("publisher", "copyright", holder)
    c.add("publisher", "logo", logo_name(doc))
    header_day = _header_date(doc, title_h1)
    c.add("date", "visible", header_day)
    c.add("date", "url", _url_date(meta.get("canonical_url")))
    try:
        from htmldate import find_date as htmldate_find_date

        found = htmldate_find_date(html, extensive_search=False, original_date=True, url=url)
    except Exception:  # noqa: BLE001 - as above
        found = None
    c.add("date", "htmldate", iso_date(found))

    # Author bios from an author box when JSON-LD had none.
    if not c.bios:
        for el in doc.xpath("//*[@class or @id]"):
            if _BIO_CLASS_RE.search(f"{el.get('class', '')} {el.get('id', '')}"):
                text = _clean(" ".join(p.text_content() for p in el.xpath(".//p")) or el.text_content())
                if text and len(text.split()) >= 8 and text not in c.bios:
                    c.bios.append(text)
    return c


# ------------------------------------------------------------------ decisions


def _org_key(name: str) -> str:
    return re.sub(r"[^\w]+", "", re.sub(r"^the\s+", "", name.strip(), flags=re.IGNORECASE).casefold())


def _text_key(text: str) -> str:
    """Case, quotes, dashes and punctuation folded: spellings of one headline meet."""
    return re.sub(r"[\W_]+", " ", unicodedata.normalize("NFKC", text).casefold()).strip()


def _vote(candidates: Iterable[tuple[str, object]], weights: dict[str, int], key) -> tuple[object, str] | None:
    """The value with the most weight behind it, spelled as its weightiest source spells it."""
    pools: dict[object, list[tuple[int, int, object, str]]] = {}
    for order, (source, value) in enumerate(candidates):
        k = key(value)
        if k:
            pools.setdefault(k, []).append((weights.get(source, 1), -order, value, source))
    if not pools:
        return None
    best = max(pools.values(), key=lambda pool: (sum(w for w, *_ in pool), max(pool)[:2]))
    _, _, value, source = max(best)
    return value, source


def decide_publisher(c: Candidates, handles: Iterable[str] = ()) -> str | None:
    """The heaviest site name. trafilatura falls back on the page's twitter:site handle
    ("BrookingsInst"): an account, not the site's name; an address ("example.com") counts only when nothing else names the
    site and the page spells it with a capital, as a name ("Example.Net")."""
    handles = set(handles)
    named = [(s, v) for s, v in c.publisher
             if len(v) <= 100 and not (s == "trafilatura" and " " not in v.strip() and _org_key(v) in handles)]
    found = _vote(((s, v) for s, v in named if not _HOST_RE.match(v)), WEIGHTS["publisher"], _org_key)
    if not found:
        found = _vote(((s, v) for s, v in named if s != "copyright" and _HOST_RE.match(v) and v != v.lower()),
                      WEIGHTS["publisher"], _org_key)
    return found[0] if found else None


def known_outlet_suffix(title: str | None) -> str | None:
    """The site after a title's last separator when it is a known outlet or institution
    ("… | India News - Times of India" -> "Times of India")."""
    from ..extract.gazetteer import load_gazetteer

    m = _TITLE_SUFFIX_RE.match(title or "")
    if not m:
        return None
    tail = m.group("tail").strip()
    gazetteer = load_gazetteer()
    org = gazetteer.org_by_surface(tail) or gazetteer.org_by_surface(re.sub(r"^the\s+", "", tail, flags=re.IGNORECASE))
    return tail if org is not None and org.kind in ("news_outlet", "think_tank", "university") else None


def strip_site_suffix(title: str, sites: Iterable[str]) -> str:
    """'Seoul Edges Toward the Quad | Harbour Policy Review' -> 'Seoul Edges Toward the Quad'."""
    keys = {_org_key(s) for s in sites if s}
    under = UNDERSCORE_SUFFIX_RE.match(title)
    if under and " " in under.group("head"):
        return under.group("head").strip()
    m = _TITLE_SUFFIX_RE.match(title)
    if m and (_org_key(m.group("tail")) in keys or any(k and k in _org_key(m.group("tail")) for k in keys)
              or _HOST_RE.match(m.group("tail").strip())):  # "… - METimes.com": a site's address
        return m.group("head").strip()
    m2 = re.match(r"^(?P<tail>[^|–—:•·]{2,60})\s+(?:\||–|—|::)\s+(?P<head>.+)$", title)  # "Site | Title"
    if m2 and _org_key(m2.group("tail")) in keys:
        return m2.group("head").strip()
    return title


def decide_headline(c: Candidates, publisher: str | None) -> str | None:
    sites = [v for _, v in c.publisher] + ([publisher] if publisher else [])
    # og:title, twitter:title and trafilatura's title are often the <title> copied: one string
    # copied into several tags is one witness (its weightiest tag), not several.
    copies: dict[str, tuple[int, str]] = {}
    for s, v in c.headline:
        if s in ("og:title", "twitter:title", "title", "trafilatura"):
            w = WEIGHTS["headline"].get(s, 1)
            copies[v] = max(copies.get(v, (0, s)), (w, s))
    kept = [(s, v) for s, v in c.headline if s not in ("og:title", "twitter:title", "title", "trafilatura") or copies[v][1] == s]
    cleaned = [(s, strip_site_suffix(v, sites)) for s, v in kept if len(v) <= 400]
    found = _vote(cleaned, WEIGHTS["headline"], _text_key)
    if not found:
        return None
    value, source = found
    if source == "title" and value == next((v for s, v in c.headline if s == "title"), None):
        m = _TITLE_SUFFIX_RE.match(value)  # a <title> alone, with an unknown site after " | "
        if m and " | " in value:
            value = m.group("head").strip()
    return value


def decide_authors(c: Candidates, publisher: str | None) -> tuple[str, ...]:
    """People named by the weightiest source that names anyone, plus people two sources agree on."""
    weights = WEIGHTS["authors"]
    publishers = [v for _, v in c.publisher] + ([publisher] if publisher else [])
    per_source: list[tuple[str, list[str]]] = []
    for source, raw_names in c.authors:
        names: list[str] = []
        for raw in raw_names:
            for name in byline_names(raw, publishers):
                if not any(same_person(name, n) for n in names):
                    names.append(name)
        if names:
            per_source.append((source, names))
    if not per_source:
        return ()
    best_weight = max(weights.get(s, 1) for s, _ in per_source)
    # The weightiest sources credit a desk or an agency ("Our Foreign Staff"): the piece is
    # unsigned, and a weaker source's names (related columnists) need a second source.
    credited = max((weights.get(s, 1) for s, raw in c.authors if raw and not any(
        byline_names(r, publishers) for r in raw) and any(is_credit(r, publishers) for r in raw)), default=0)
    if credited >= best_weight:
        best_weight = 99
    chosen: list[str] = []
    for source, names in sorted(per_source, key=lambda sn: -weights.get(sn[0], 1)):
        for name in names:
            support = sum(1 for _, other in per_source if any(same_person(name, o) for o in other))
            if (weights.get(source, 1) == best_weight or support >= 2) and not any(same_person(name, n) for n in chosen):
                chosen.append(name)
    # the fullest spelling any source gives ("Timothy H.J. Nerozzi" over "Timothy Nerozzi")
    spellings = [n for _, names in per_source for n in names]
    return tuple(max((n for n in spellings if same_person(n, name)), key=len) for name in chosen)


def author_roles(c: Candidates, authors: tuple[str, ...], publisher: str | None) -> tuple[tuple[str, str], ...]:
    """The role a byline prints after each chosen author ("By Jane Doe, Senior Fellow at X")."""
    publishers = [v for _, v in c.publisher] + ([publisher] if publisher else [])
    roles: list[tuple[str, str]] = []
    for _, raw_names in c.authors:
        for raw in raw_names:
            for name, role in byline_details(raw, publishers):
                author = next((a for a in authors if same_person(a, name)), None)
                if role and author and not any(a == author for a, _ in roles):
                    roles.append((author, role))
    return tuple(roles)


def decide_date(c: Candidates) -> date | None:
    """The day with the most weight behind it. Metadata often gives a UTC timestamp, which falls
    on the next day for a site west of Greenwich: when the page shows the day before a UTC
    winner, the page's own day is the date."""
    found = _vote(c.date, WEIGHTS["date"], lambda d: d.isoformat() if isinstance(d, date) else None)
    if not found:
        return None
    winner = found[0]
    shown = [d for s, d in c.date if s in ("time", "itemprop")]
    if winner in c.utc_days and shown and all(d == winner - timedelta(days=1) for d in shown):
        return shown[0]
    return winner


_XML_DECLARATION_RE = re.compile(r"^\ufeff?\s*<\?xml[^>]*\?>")


def extract_page_metadata(html: str | bytes, url: str | None = None) -> PageMetadata:
    """What the page states about itself, each field decided by the evidence behind it."""
    if isinstance(html, str):
        # lxml refuses a decoded string that still declares its encoding (XHTML's "<?xml … encoding=…?>"):
        # the declaration says nothing once the text is decoded.
        html = _XML_DECLARATION_RE.sub("", html, count=1)
    try:
        doc = lxml.html.fromstring(html)
    except (lxml.etree.ParserError, ValueError):
        return PageMetadata()
    meta: dict[str, object] = {"sources": []}
    c = gather_candidates(doc, html, url, meta)
    publisher = decide_publisher(c, meta.pop("handles", ()))
    published = decide_date(c)
    authors = decide_authors(c, publisher)
    meta.update(
        headline=decide_headline(c, publisher), authors=authors, author_roles=author_roles(c, authors, publisher),
        author_bios=tuple(dict.fromkeys(c.bios))[:3], publisher=publisher,
        date_published=published.isoformat() if published else None,
    )
    known = set(PageMetadata.__dataclass_fields__)
    meta["sources"] = tuple(dict.fromkeys(meta["sources"]))
    return PageMetadata(**{k: v for k, v in meta.items() if k in known and v not in (None, "")})


# ----------------------------------------------------------------------------- main text


def main_blocks(html: str | bytes, url: str | None = None) -> list[tuple[str, str]]:
    """[(kind, text)] of the article's main content: kind "heading" or "paragraph"."""
    out = trafilatura.extract(
        html, url=url, output_format="xml", include_comments=False, include_tables=False,
        include_images=False, include_links=False, with_metadata=False, deduplicate=False,
    )
    if not out:
        return []
    root = lxml.etree.fromstring(out.encode("utf-8"))
    main = root.find("main")
    blocks: list[tuple[str, str]] = []
    for el in (main if main is not None else root):
        text = _clean("".join(el.itertext()))
        if not text:
            continue
        if el.tag == "head":
            blocks.append(("heading", text))
        elif el.tag == "list":
            blocks.extend(("paragraph", t) for item in el.iter("item") if (t := _clean("".join(item.itertext()))))
        else:
            blocks.append(("paragraph", text))
    return blocks


def _join_names(names: tuple[str, ...]) -> str:
    return names[0] if len(names) == 1 else ", ".join(names[:-1]) + " and " + names[-1]


# "By Reuters", "(AP)", "Reporting by Jane Doe; Editing by John Roe", "Additional reporting by …"
_CREDIT_LINE_RE = re.compile(r"^(?:\(?(?:by\s+)?(?P<credit>[^()]{2,60})\)?|(?:additional\s+)?(?:reporting|writing|editing|"
                             r"compiled|produced)\s+by\b.*)$", re.IGNORECASE)


def _is_furniture_block(text: str, meta: PageMetadata) -> bool:
    """A block of the main text that is metadata shown on the page: the headline, a byline,
    a date line, a wire-agency credit."""
    key = _text_key(text)
    if meta.headline and key == _text_key(meta.headline):
        return True
    words = text.split()
    if len(words) > 16:
        return False
    if match_datetime(text) or re.fullmatch(r"(?:published|updated|posted)(?:\s+on)?:?\s+.+", text, re.I) \
            and any_date(re.sub(r"^\w+(?:\s+on)?:?\s+", "", text)):
        return True
    if re.match(r"^(?:by|written by|words by)\s", text, re.IGNORECASE):
        names = byline_names(text, [meta.publisher] if meta.publisher else [])
        rest = re.sub(r"^(?:by|written by|words by)\s+", "", text, flags=re.IGNORECASE)
        return bool(names) or is_credit(rest.split("|")[0], [meta.publisher] if meta.publisher else [])
    if meta.authors and _text_key(text) in {_text_key(_join_names(meta.authors)), *(_text_key(a) for a in meta.authors)}:
        return True
    m = _CREDIT_LINE_RE.match(text)
    if m and (m.group("credit") is None or is_credit(m.group("credit"))) and len(words) <= 12:
        return m.group("credit") is None or text.strip().startswith(("(", "By ", "by "))
    return False


def render_text_page(blocks: list[tuple[str, str]], meta: PageMetadata) -> str:
    """A text page the parse stage reads as it reads saved pages."""
    headline = meta.headline
    if not headline and blocks and blocks[0][0] == "heading":
        headline, blocks = blocks[0][1], blocks[1:]
    # The top of the main text repeats what the metadata says; credits may close it.
    head, rest = blocks[:8], blocks[8:]
    head = [(k, t) for k, t in head if not _is_furniture_block(t, meta)]
    body = head + [(k, t) for k, t in rest if not (len(t.split()) <= 16 and _CREDIT_LINE_RE.match(t)
                                                   and _is_furniture_block(t, meta))]
    standfirst = None
    if meta.description and body and _text_key(body[0][1]) == _text_key(meta.description):
        standfirst, body = body[0][1], body[1:]
    parts: list[str] = [headline] if headline else []
    if standfirst:
        parts.append(standfirst)
    roles = {name: role for name, role in meta.author_roles}
    if roles:  # one byline per author, with the role the page prints
        parts.extend(f"By {name}, {roles[name]}" if name in roles else f"By {name}" for name in meta.authors)
    elif meta.authors:
        parts.append("By " + _join_names(meta.authors))
    published = meta.published
    if published:
        parts.append(f"Published {published.strftime('%B')} {published.day}, {published.year}")
    parts.extend(text for _, text in body)
    bios = [b for b in meta.author_bios if b not in {t for _, t in body}]
    if bios:
        parts.append("About the author" + ("s" if len(bios) > 1 else ""))
        parts.extend(bios)
    return "\n\n".join(parts) + "\n"


def as_text_page(source):
    """A SourceDocument of an HTML page -> the same with its main text as a text page and
    the page's metadata attached; text pages (and pages already converted) pass through."""
    if source.media_type != "text/html" or source.metadata is not None:
        return source
    text, meta = html_to_text_page(source.text, source.url or source.location)
    return replace(source, text=text, metadata=meta.as_dict())


def html_to_text_page(html: str | bytes, url: str | None = None) -> tuple[str, PageMetadata]:
    """The text page and the metadata of one HTML article."""
    meta = extract_page_metadata(html, url)
    return render_text_page(main_blocks(html, url), meta), meta


def page_metadata(metadata: PageMetadata | dict | None) -> PageMetadata | None:
    """A PageMetadata from itself or its `as_dict()`."""
    if not metadata or isinstance(metadata, PageMetadata):
        return metadata or None
    known = set(PageMetadata.__dataclass_fields__)
    return PageMetadata(**{k: (tuple(v) if isinstance(v, list) else v) for k, v in metadata.items() if k in known})


def apply_page_metadata(ex, metadata: PageMetadata | dict | None) -> None:
    """Put what the page states on an Extraction: publication date and language.

    Called after `pipeline.extract_document`; the page's statements win over
    what text parsing guessed. Accepts a PageMetadata or its `as_dict()`.
    """
    metadata = page_metadata(metadata)
    if metadata is None:
        return
    if metadata.published:
        ex.date_published = metadata.published
    if metadata.language and not ex.source.language:
        ex.language = metadata.language.split("-")[0].lower()
