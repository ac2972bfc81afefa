"""Map: the typed extraction of one document -> the quads of its named graph.

Terms come from vocab.py (schema.org, W3C ORG, PROV-O, NIF, cg:) and are
built as pyoxigraph terms by `rdf.GraphWriter`: every IRI is checked when it
is made, and a page-controlled URL that is not an absolute http(s) IRI is
left out and named in the document's `dropped` list. Every rdf:type is
written together with its superclasses from the ontology, so users need no
reasoning at query time.
"""
from __future__ import annotations

from collections.abc import Callable, Iterable
from datetime import datetime

from . import vocab as V
from .iris import Iris, slugify
from .model import (
    Citation,
    DocumentGraph,
    DroppedItem,
    EntityKind,
    Extraction,
    OrgKind,
    TextSource,
)
from .rdf import GraphWriter

_ORG_CLASSES = {
    OrgKind.THINK_TANK: V.THINK_TANK,
    OrgKind.UNIVERSITY: V.UNIVERSITY,
    OrgKind.NEWS_OUTLET: V.NEWS_OUTLET,
    OrgKind.GOVERNMENT_BODY: V.GOVERNMENT_BODY,
    OrgKind.INTERNATIONAL_ORGANIZATION: V.INTERNATIONAL_ORGANIZATION,
    OrgKind.POLITICAL_GROUP: V.POLITICAL_GROUP,
    OrgKind.OTHER: V.ORGANIZATION,
}
_ARTICLE_CLASSES = {"analysis": V.ANALYSIS_ARTICLE, "opinion": V.OPINION_ARTICLE, "news": V.SCHEMA + "NewsArticle"}
# Endonyms a page offers translations under -> BCP 47 codes.
LANGUAGE_CODES = {
    "türkçe": "tr", "turkish": "tr", "русский": "ru", "russian": "ru", "english": "en", "español": "es",
    "français": "fr", "deutsch": "de", "العربية": "ar", "中文": "zh", "日本語": "ja", "한국어": "ko",
    "italiano": "it", "português": "pt", "فارسی": "fa", "українська": "uk", "polski": "pl",
}


def _default_closure() -> Callable[[str], Iterable[str]]:
    from .ontology import superclass_closure

    closure = superclass_closure()
    return lambda cls: closure.get(cls, (cls,))


def map_extraction(
    ex: Extraction,
    iris: Iris,
    *,
    run_iri: str,
    run_started: datetime,
    flow_run_id: str | None = None,
    article_kind: str | None = None,
    section: str | None = None,
    closure: Callable[[str], Iterable[str]] | None = None,
    dropped: list[DroppedItem] | None = None,
) -> DocumentGraph:
    """Build the document's named graph. Pure: the same input gives the same quads.

    What had to be left out (a URL that is not http(s)) is appended to `dropped`."""
    sid = ex.source.source_id
    w = GraphWriter(iris.graph(sid), closure or _default_closure())
    article = iris.article(sid)
    page = ex.page

    # -- the article -----------------------------------------------------------------
    w.a(article, _ARTICLE_CLASSES.get(article_kind or "", V.ARTICLE), V.PROV_ENTITY)
    w.lit(article, V.SCHEMA + "headline", ex.headline)
    w.lit(article, V.SCHEMA + "abstract", page.standfirst)
    w.lit(article, V.SCHEMA + "articleBody", page.body_text)
    w.lit(article, V.SCHEMA + "articleSection", section or page.section)
    w.lit(article, V.SCHEMA + "inLanguage", ex.language)
    if ex.date_published:
        w.lit(article, V.SCHEMA + "datePublished", ex.date_published)
    for key in ex.author_keys:
        w.iri(article, V.SCHEMA + "author", iris.entity(key))
    if ex.publisher_key:
        w.iri(article, V.SCHEMA + "publisher", iris.entity(ex.publisher_key))
    for label in page.translations:
        code = LANGUAGE_CODES.get(label.casefold())
        translation = iris.local(sid, "translation", code or slugify(label))
        w.iri(article, V.SCHEMA + "workTranslation", translation)
        w.a(translation, V.CREATIVE_WORK)
        w.lit(translation, V.SCHEMA + "name", label)
        w.lit(translation, V.SCHEMA + "inLanguage", code)

    # -- provenance ------------------------------------------------------------------
    src = iris.source(sid)
    w.iri(article, V.PROV + "wasDerivedFrom", src)
    w.a(src, V.PROV_ENTITY, V.DIGITAL_DOCUMENT)
    # The page's public address when it is a web URL. A saved file is named by its key (its path
    # under its source root): no file:// IRI of this machine's disk is published.
    if not w.url(src, V.SCHEMA + "url", ex.source.url, "the page's own URL (schema:url)"):
        if ex.source.location.startswith(("http://", "https://")):
            w.url(src, V.SCHEMA + "url", ex.source.location, "the address the page was fetched from")
    if not ex.source.location.startswith(("http://", "https://", "file:")):
        w.lit(src, V.SCHEMA + "identifier", ex.source.location)
    w.lit(src, V.SCHEMA + "name", ex.source.location.rsplit("/", 1)[-1])
    w.lit(src, V.CONTENT_HASH, "sha256:" + ex.source.content_hash)
    w.lit(src, V.SCHEMA + "encodingFormat", ex.source.media_type)
    w.lit(src, V.SCHEMA + "contentSize", ex.source.size_bytes)
    w.lit(src, V.PROV + "generatedAtTime", ex.source.fetched_at)
    w.iri(article, V.PROV + "wasGeneratedBy", run_iri)
    w.a(run_iri, V.ETL_RUN)
    w.lit(run_iri, V.PROV + "startedAtTime", run_started)
    w.lit(run_iri, V.FLOW_RUN_ID, flow_run_id)

    # -- entities ----------------------------------------------------------------------
    for entity in ex.entities.values():
        node = iris.entity(entity.key)
        if entity.kind is EntityKind.PERSON:
            w.a(node, V.PERSON)
            w.lit(node, V.SCHEMA + "honorificPrefix", entity.honorific_prefix)
        elif entity.kind is EntityKind.ORGANIZATION:
            w.a(node, _ORG_CLASSES[entity.org_kind or OrgKind.OTHER])
        elif entity.kind is EntityKind.STATE:
            w.a(node, V.HISTORICAL_STATE if entity.historical else V.COUNTRY)
        elif entity.kind is EntityKind.PLACE:
            w.a(node, V.PLACE)
        elif entity.kind is EntityKind.EVENT:
            w.a(node, V.EVENT)
        elif entity.kind is EntityKind.GROUP:
            w.a(node, V.OPINION_GROUP)
        w.lit(node, V.SCHEMA + "name", entity.name)
        for alt in sorted(entity.alternate_names - {entity.name}):
            w.lit(node, V.SCHEMA + "alternateName", alt)
        w.lit(node, V.SCHEMA + "description", entity.description)
        if entity.wikidata:
            w.iri(node, V.OWL + "sameAs", V.WD + entity.wikidata)
        if entity.country_key:
            w.iri(node, V.GROUP_COUNTRY, iris.entity(entity.country_key))

    # -- mentions (NIF): body, captions, headline ---------------------------------------
    contexts = _write_contexts(w, iris, sid, article, ex)
    mentioned: list[str] = []
    for m in ex.mentions:
        if m.source is TextSource.COMMENT:
            continue  # comments are the readers' words, not the article's mentions
        ctx_name = contexts.get((m.source, m.index))
        if ctx_name is None:
            continue
        span = _span(w, iris, sid, ctx_name, m.start, m.end, m.text)
        w.a(span, V.MENTION)
        w.iri(span, V.ITSRDF + "taIdentRef", iris.entity(m.entity_key))
        w.lit(span, V.MENTION_KIND, m.how)
        if m.entity_key not in mentioned:
            mentioned.append(m.entity_key)
    for key in mentioned:
        if key not in ex.author_keys:
            w.iri(article, V.SCHEMA + "mentions", iris.entity(key))

    # -- claims --------------------------------------------------------------------------
    for n, claim in enumerate(ex.claims, start=1):
        node = iris.claim(sid, n)
        w.a(node, V.CLAIM)
        w.lit(node, V.SCHEMA + "text", claim.text)
        if claim.holder_key:  # empty when the page names no author and no publisher
            w.iri(node, V.SCHEMA + "author", iris.entity(claim.holder_key))
        if claim.source is TextSource.COMMENT:
            w.iri(node, V.SCHEMA + "appearance", iris.comment(sid, claim.index))
        else:
            w.iri(node, V.SCHEMA + "appearance", article)
        for key in dict.fromkeys(claim.about_keys):
            w.iri(node, V.SCHEMA + "about", iris.entity(key))
        w.iri(node, V.MODALITY_PROP, V.MODALITIES[claim.modality.value])
        w.lit(node, V.ATTRIBUTED, claim.attributed)
        ctx_name = contexts.get((claim.source, claim.index))
        if ctx_name is not None:
            w.iri(node, V.TEXT_SPAN, _span(w, iris, sid, ctx_name, claim.start, claim.end, None))

    # -- authors: affiliations, education, posts, profiles -------------------------------
    for i, aff in enumerate(ex.affiliations, start=1):
        person, org = iris.entity(aff.person_key), iris.entity(aff.org_key)
        if aff.current:
            w.iri(person, V.SCHEMA + "affiliation", org)
        membership = iris.local(sid, "membership", i)
        w.a(membership, V.MEMBERSHIP)
        w.iri(membership, V.ORG + "member", person)
        w.iri(membership, V.ORG + "organization", org)
        if aff.role:
            role = iris.entity("role/" + slugify(aff.role))
            w.iri(membership, V.ORG + "role", role)
            w.a(role, V.ROLE)
            w.lit(role, V.SKOS + "prefLabel", aff.role)
            w.lit(membership, V.SCHEMA + "roleName", aff.role)
        w.lit(membership, V.RDFS + "comment", aff.department)
        if aff.start_year:
            w.lit(membership, V.SCHEMA + "startDate", aff.start_year, V.XSD + "gYear")
        if aff.end_year:
            w.lit(membership, V.SCHEMA + "endDate", aff.end_year, V.XSD + "gYear")
    for i, edu in enumerate(ex.educations, start=1):
        person, org = iris.entity(edu.person_key), iris.entity(edu.org_key)
        w.iri(person, V.SCHEMA + "alumniOf", org)
        record = iris.local(sid, "credential", i)
        w.a(record, V.EDUCATION)
        w.iri(person, V.SCHEMA + "hasCredential", record)
        w.iri(record, V.SCHEMA + "recognizedBy", org)
        w.lit(record, V.SCHEMA + "credentialCategory", edu.degree)
        w.lit(record, V.FIELD_OF_STUDY, edu.field)
        if edu.year:
            w.lit(record, V.CG + "yearCompleted", edu.year, V.XSD + "gYear")
        if edu.thesis_title:
            thesis = iris.local(sid, "thesis", i)
            w.iri(record, V.THESIS_PROP, thesis)
            w.a(thesis, V.THESIS)
            w.lit(thesis, V.SCHEMA + "name", edu.thesis_title)
            w.iri(thesis, V.SCHEMA + "author", person)
            w.lit(thesis, V.SCHEMA + "inSupportOf", edu.degree)
    for i, post in enumerate(ex.posts, start=1):
        person = iris.entity(post.person_key)
        node = iris.local(sid, "post", i)
        w.a(node, V.POST)
        w.lit(node, V.RDFS + "label", post.title)
        w.iri(person, V.ORG + "holds", node)
        w.lit(person, V.SCHEMA + "jobTitle", post.title)
        if post.organization_key:
            w.iri(node, V.ORG + "postIn", iris.entity(post.organization_key))
    for profile in ex.profiles:
        person = iris.entity(profile.person_key)
        for topic in profile.expertise:
            w.lit(person, V.SCHEMA + "knowsAbout", topic)
        for language in profile.languages:
            w.lit(person, V.SCHEMA + "knowsLanguage", language)
        w.lit(person, V.SCHEMA + "description", profile.bio)

    # -- citations -------------------------------------------------------------------------
    works = _map_citations(w, iris, ex.citations)
    for work in works:
        w.iri(article, V.SCHEMA + "citation", work)

    # -- reader comments ----------------------------------------------------------------------
    commenter_keys = {c.number: k for c, k in zip(ex.comments, _commenter_keys(ex))}
    for comment in ex.comments:
        node = iris.comment(sid, comment.number)
        w.iri(article, V.SCHEMA + "comment", node)
        w.a(node, V.COMMENT)
        author = iris.entity(commenter_keys[comment.number])
        w.iri(node, V.SCHEMA + "author", author)
        w.a(author, V.PERSON)
        w.lit(author, V.SCHEMA + "name", comment.author_name)
        w.lit(node, V.SCHEMA + "text", comment.text)
        w.lit(node, V.SCHEMA + "position", comment.number)
        if comment.posted:
            w.lit(node, V.SCHEMA + "dateCreated", comment.posted)

    if dropped is not None:
        dropped.extend(w.dropped)
    return DocumentGraph(source_id=sid, graph_iri=iris.graph(sid), quads=w.quads(), article_iri=article)


def commenter_key(publisher_key: str | None, name: str) -> str:
    """Commenters are keyed per site: the same handle on two sites is not known to be one person."""
    site = (publisher_key or "unknown-site").split("/", 1)[-1]
    return f"commenter/{site}/{slugify(name)}"


def _commenter_keys(ex: Extraction) -> list[str]:
    return [commenter_key(ex.publisher_key, c.author_name) for c in ex.comments]


def _write_contexts(w: GraphWriter, iris: Iris, sid: str, article: str, ex: Extraction) -> dict:
    """NIF contexts for each text that offsets point into; returns (source, index) -> context name."""
    names: dict[tuple[TextSource, int], str] = {}

    def context(source: TextSource, index: int, name: str, text: str) -> None:
        node = iris.context(sid, name)
        w.a(node, V.NIF_CONTEXT)
        w.lit(node, V.NIF + "isString", text)
        w.lit(node, V.NIF + "beginIndex", 0, V.XSD + "nonNegativeInteger")
        w.lit(node, V.NIF + "endIndex", len(text), V.XSD + "nonNegativeInteger")
        w.iri(node, V.NIF + "sourceUrl", article)
        names[(source, index)] = name

    context(TextSource.BODY, 0, "body", ex.page.body_text)
    if ex.headline:  # a page without a title has no headline context
        context(TextSource.HEADLINE, 0, "headline", ex.headline)
    if ex.page.standfirst:
        context(TextSource.STANDFIRST, 0, "standfirst", ex.page.standfirst)
    for i, caption in enumerate(ex.page.captions):
        context(TextSource.CAPTION, i, f"caption-{i}", caption)
    for comment in ex.comments:
        context(TextSource.COMMENT, comment.number, f"comment/{comment.number}/text", comment.text)
    return names


def _span(w: GraphWriter, iris: Iris, sid: str, ctx_name: str, start: int, end: int, anchor: str | None) -> str:
    span = iris.span(sid, ctx_name, start, end)
    w.a(span, V.NIF_PHRASE)
    w.iri(span, V.NIF + "referenceContext", iris.context(sid, ctx_name))
    w.lit(span, V.NIF + "beginIndex", start, V.XSD + "nonNegativeInteger")
    w.lit(span, V.NIF + "endIndex", end, V.XSD + "nonNegativeInteger")
    w.lit(span, V.NIF + "anchorOf", anchor)
    return span


def work_key(title: str) -> str:
    return slugify(title)[:96]


def _map_citations(w: GraphWriter, iris: Iris, citations: list[Citation]) -> list[str]:
    """One work per cited title; an op.cit./ibid. note points to the work of the note it repeats."""
    by_number = {c.number: c for c in citations}
    works: list[str] = []
    for c in citations:
        original = c
        seen: set[int] = set()
        while original.same_as is not None and original.same_as in by_number and original.number not in seen:
            seen.add(original.number)
            original = by_number[original.same_as]
        work = iris.work(work_key(original.title))
        if work in works:
            continue
        works.append(work)
        w.a(work, V.CREATIVE_WORK)
        w.lit(work, V.SCHEMA + "name", original.title)
        if original.publisher_key:
            w.iri(work, V.SCHEMA + "publisher", iris.entity(original.publisher_key))
        if original.access_date:
            w.lit(work, V.ACCESS_DATE, original.access_date)
        if original.published:
            w.lit(work, V.SCHEMA + "datePublished", original.published)
        if original.url:
            w.url(work, V.SCHEMA + "url", original.url, f"the URL of cited work {original.number} ({original.title[:60]!r})")
    return works
