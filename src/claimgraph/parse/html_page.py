"""Parse, HTML side: a saved or fetched HTML article -> a text page plus the page's own metadata.

The parse stage (`parse/text_page.py`) reads text pages. An HTML page is
turned into one here:

- the main content comes from trafilatura (navigation, footers, related links
  and comment forms dropped): headings and paragraphs, in order;
- the page's own metadata, in this order of trust: JSON-LD schema.org
  `Article` (headline, author(s) with their descriptions, publisher,
  datePublished, inLanguage, @type), then OpenGraph / `article:*` meta tags,
  then `<meta name="author">`, `<html lang>`, `<link rel="canonical">`,
  `<title>`. trafilatura's own metadata guesses (a date from a copyright
  line, say) are never used: metadata the page states beats guessing;
- the text page is: headline, a byline ("By A and B"), the publication date,
  the body paragraphs separated by blank lines, then "About the author" and
  the author bios found in the page (JSON-LD author descriptions or an
  author box), which the parse stage recognises as it does in saved pages.

`html_to_text_page(raw, url) -> (text, PageMetadata)` is the entry point;
`apply_page_metadata` puts the metadata on an `Extraction` (publication date,
language) where text parsing has no better evidence.
"""
from __future__ import annotations

import json
import re
from dataclasses import asdict, dataclass, field, replace
from datetime import date
from urllib.parse import urljoin

import lxml.etree
import lxml.html
import trafilatura

ARTICLE_TYPES = frozenset({
    "Article", "NewsArticle", "AnalysisNewsArticle", "OpinionNewsArticle", "ReportageNewsArticle",
    "BackgroundNewsArticle", "ReviewNewsArticle", "AskPublicNewsArticle", "BlogPosting", "Report",
    "ScholarlyArticle", "SocialMediaPosting", "LiveBlogPosting", "TechArticle", "Blog",
})
# schema.org @type -> the manifest's article_kind vocabulary (pipeline.map_document)
ARTICLE_KIND = {"AnalysisNewsArticle": "analysis", "OpinionNewsArticle": "opinion", "NewsArticle": "news",
                "ReportageNewsArticle": "news"}
_BIO_CLASS_RE = re.compile(r"(?:^|[\s_-])(?:author[-_]?(?:bio|box|info|description|about)|about[-_]the[-_]author|"
                           r"bio(?:graphy)?)(?:$|[\s_-])", re.IGNORECASE)
_WS_RE = re.compile(r"\s+")


@dataclass(frozen=True)
class PageMetadata:
    """What the page itself states about the article. Plain values only (picklable, JSON-able)."""

    headline: str | None = None
    authors: tuple[str, ...] = ()
    author_bios: tuple[str, ...] = ()
    publisher: str | None = None
    date_published: str | None = None  # ISO 8601 as the page states it
    date_modified: str | None = None
    language: str | None = None  # BCP 47 ("en", "en-GB")
    canonical_url: str | None = None
    description: str | None = None
    section: str | None = None
    article_type: str | None = None  # schema.org @type ("OpinionNewsArticle")
    sources: tuple[str, ...] = field(default=())  # where each fact came from: "json-ld", "opengraph", "meta"

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


def _clean(text) -> str | None:
    if text is None:
        return None
    if isinstance(text, (int, float)):
        text = str(text)
    if not isinstance(text, str):
        return None
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
            main = value.get("mainEntity")
            if isinstance(main, (dict, list)):
                walk(main)

    for script in doc.xpath('//script[@type="application/ld+json"]'):
        raw = script.text_content().strip()
        if not raw:
            continue
        try:
            walk(json.loads(raw))
        except json.JSONDecodeError:
            continue  # a broken block is the site's problem; the other sources still count
    return nodes


def _name_of(value, by_id: dict[str, dict]) -> str | None:
    if isinstance(value, str):
        return None if value.startswith(("http://", "https://")) else _clean(value)
    if isinstance(value, dict):
        if "@id" in value and len(value) == 1 and value["@id"] in by_id:
            value = by_id[value["@id"]]
        return _clean(value.get("name"))
    return None


def _people(value, by_id: dict[str, dict]) -> list[tuple[str, str | None]]:
    values = value if isinstance(value, list) else [value]
    out = []
    for v in values:
        if isinstance(v, dict) and "@id" in v and len(v) == 1:
            v = by_id.get(v["@id"], v)
        name = _name_of(v, by_id)
        if name:
            out.append((name, _clean(v.get("description")) if isinstance(v, dict) else None))
    return out


def _first(value):
    return value[0] if isinstance(value, list) and value else value


def extract_page_metadata(html: str | bytes, url: str | None = None) -> PageMetadata:
    """Metadata the page states: JSON-LD first, then OpenGraph/article:*, then plain meta tags."""
    try:
        doc = lxml.html.fromstring(html)
    except (lxml.etree.ParserError, ValueError):
        return PageMetadata()
    meta: dict[str, object] = {}
    sources: list[str] = []

    # -- JSON-LD ------------------------------------------------------------------
    nodes = _json_ld_nodes(doc)
    by_id = {n["@id"]: n for n in nodes if isinstance(n.get("@id"), str)}
    article = next((n for n in nodes if ARTICLE_TYPES & set(_types(n))), None)
    if article is not None:
        sources.append("json-ld")
        people = _people(article.get("author") or article.get("creator"), by_id)
        meta.update(
            headline=_clean(_first(article.get("headline"))) or _clean(_first(article.get("name"))),
            authors=tuple(dict.fromkeys(n for n, _ in people)),
            author_bios=tuple(d for _, d in people if d),
            publisher=_name_of(_first(article.get("publisher")), by_id),
            date_published=_clean(_first(article.get("datePublished"))),
            date_modified=_clean(_first(article.get("dateModified"))),
            description=_clean(article.get("description")),
            section=_clean(_first(article.get("articleSection"))),
            article_type=next((t for t in _types(article) if t in ARTICLE_TYPES), None),
        )
        lang = article.get("inLanguage")
        meta["language"] = _clean(lang.get("alternateName") or lang.get("name")) if isinstance(lang, dict) else _clean(lang)
        page_url = article.get("url") or (article.get("mainEntityOfPage") if isinstance(article.get("mainEntityOfPage"), str)
                                          else (article.get("mainEntityOfPage") or {}).get("@id"))
        if isinstance(page_url, str):
            meta["canonical_url"] = urljoin(url or "", page_url)

    def fill(key: str, value, source: str) -> None:
        if value and not meta.get(key):
            meta[key] = value
            if source not in sources:
                sources.append(source)

    # -- OpenGraph and article:* ------------------------------------------------------
    props: dict[str, list[str]] = {}
    for el in doc.xpath("//meta[@property or @name]"):
        key = (el.get("property") or el.get("name") or "").strip().lower()
        content = _clean(el.get("content"))
        if key and content:
            props.setdefault(key, []).append(content)

    def prop(key: str) -> str | None:
        return (props.get(key) or [None])[0]

    fill("headline", prop("og:title"), "opengraph")
    fill("publisher", prop("og:site_name"), "opengraph")
    fill("description", prop("og:description"), "opengraph")
    fill("date_published", prop("article:published_time"), "opengraph")
    fill("date_modified", prop("article:modified_time"), "opengraph")
    fill("section", prop("article:section"), "opengraph")
    og_authors = tuple(a for a in props.get("article:author", []) if not a.startswith(("http://", "https://")))
    fill("authors", og_authors, "opengraph")
    locale = prop("og:locale")
    fill("language", locale.replace("_", "-") if locale else None, "opengraph")
    og_url = prop("og:url")
    fill("canonical_url", urljoin(url or "", og_url) if og_url else None, "opengraph")

    # -- plain meta tags and the document head ---------------------------------------------
    names = tuple(dict.fromkeys(a for key in ("author", "citation_author", "dc.creator", "dcterms.creator")
                                for a in props.get(key, []) if not a.startswith(("http://", "https://"))))
    fill("authors", names, "meta")
    fill("date_published", prop("citation_publication_date") or prop("dc.date") or prop("dcterms.created"), "meta")
    fill("description", prop("description"), "meta")
    html_lang = _clean((doc.xpath("/html/@lang") or [None])[0])
    fill("language", html_lang, "meta")
    canonical = doc.xpath('//link[translate(@rel, "CANONICAL", "canonical")="canonical"]/@href')
    fill("canonical_url", urljoin(url or "", canonical[0]) if canonical else None, "meta")
    title = doc.xpath("//title")
    fill("headline", _clean(title[0].text_content()) if title else None, "meta")

    # Author bios from an author box when JSON-LD had none.
    if not meta.get("author_bios"):
        bios = []
        for el in doc.xpath("//*[@class or @id]"):
            if _BIO_CLASS_RE.search(f"{el.get('class', '')} {el.get('id', '')}"):
                text = _clean(" ".join(p.text_content() for p in el.xpath(".//p")) or el.text_content())
                if text and len(text.split()) >= 8 and text not in bios:
                    bios.append(text)
        if bios:
            meta["author_bios"] = tuple(bios[:3])
    return PageMetadata(**meta, sources=tuple(sources))


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


def render_text_page(blocks: list[tuple[str, str]], meta: PageMetadata) -> str:
    """A text page the parse stage reads as it reads saved pages."""
    headline = meta.headline
    if headline and blocks and blocks[0][0] == "heading" and _WS_RE.sub(" ", blocks[0][1]).casefold() == headline.casefold():
        blocks = blocks[1:]  # the <h1> repeats the headline
    elif not headline and blocks and blocks[0][0] == "heading":
        headline, blocks = blocks[0][1], blocks[1:]
    parts: list[str] = [headline] if headline else []
    if meta.authors:
        parts.append("By " + _join_names(meta.authors))
    published = meta.published
    if published:
        parts.append(f"Published {published.strftime('%B')} {published.day}, {published.year}")
    body = [text for kind, text in blocks if not (meta.authors and text.lower().startswith("by ")
                                                   and len(text.split()) <= 12)]
    parts.extend(body)
    bios = [b for b in meta.author_bios if b not in body]
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


def apply_page_metadata(ex, metadata: PageMetadata | dict | None) -> None:
    """Put what the page states on an Extraction: publication date and language.

    Called after `pipeline.extract_document`; the page's statements win over
    what text parsing guessed. Accepts a PageMetadata or its `as_dict()`.
    """
    if not metadata:
        return
    if isinstance(metadata, dict):
        known = set(PageMetadata.__dataclass_fields__)
        metadata = PageMetadata(**{k: (tuple(v) if isinstance(v, list) else v) for k, v in metadata.items() if k in known})
    if metadata.published and ex.date_published is None:
        ex.date_published = metadata.published
    if metadata.language and not ex.source.language:
        ex.language = metadata.language.split("-")[0].lower()

