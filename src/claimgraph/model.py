"""The typed data that flows between the stages of DESIGN.md's path.

fetch -> SourceDocument -> parse -> ParsedPage -> extract -> Extraction
      -> resolve (keys on Entity) -> map (RDF) -> validate -> load

Every stage is a plain function over these dataclasses; nothing here knows
about Prefect, FastAPI or the store.
"""
from __future__ import annotations

import enum
from dataclasses import dataclass, field
from datetime import date, datetime


# --------------------------------------------------------------------- fetch


@dataclass(frozen=True)
class SourceDocument:
    """Raw text of one source with where and when it came from."""

    source_id: str  # stable key: manifest id, else from the location (names graphs and IRIs)
    location: str  # http(s) URL, or a file's key: its path under its source root ("a/report.txt")
    text: str  # decoded text (UTF-8 unless the manifest says otherwise)
    content_hash: str  # sha256 hex of the raw bytes
    media_type: str  # "text/plain" or "text/html"
    fetched_at: datetime
    size_bytes: int
    # From the manifest (or source registry), when it says so.
    language: str | None = None
    publisher: str | None = None
    url: str | None = None  # the page's public URL, if known
    # What the page states about itself (JSON-LD, OpenGraph, meta tags), for HTML pages.
    metadata: dict | None = field(default=None, compare=False, hash=False)


class SourceError(Exception):
    """A source that cannot be read: empty, binary, undecodable or too large.

    The message names the input and the reason, so a run summary can print it.
    """

    def __init__(self, location: str, reason: str):
        super().__init__(f"{location}: {reason}")
        self.location = location
        self.reason = reason


# --------------------------------------------------------------------- parse


class BlockKind(str, enum.Enum):
    PARAGRAPH = "paragraph"
    HEADING = "heading"


@dataclass(frozen=True)
class Block:
    """One block of the article body. `start`/`end` are offsets into ParsedPage.body_text."""

    kind: BlockKind
    text: str
    start: int
    end: int


@dataclass(frozen=True)
class Footnote:
    """A numbered note or reference. `same_as` is the note an `op.cit.` points back to."""

    number: int
    text: str
    same_as: int | None = None


@dataclass(frozen=True)
class RawComment:
    """A reader comment as the page shows it."""

    number: int
    author: str
    posted: datetime | None  # naive local time as printed on the page
    text: str


@dataclass(frozen=True)
class ParsedPage:
    """Page structure with navigation and boilerplate dropped."""

    title: str
    standfirst: str | None
    section: str | None  # column or section name shown above the title ("The Embassy")
    blocks: list[Block]
    body_text: str  # blocks joined by "\n\n"; mention and claim offsets point here
    captions: list[str]
    byline_names: list[str]  # names as printed in byline/author boxes ("Dr. Cenk TAMER")
    bios: list[str]  # author bio paragraphs, most complete first
    footnotes: list[Footnote]
    comments: list[RawComment]
    translations: list[str]  # languages the page offers the text in ("Türkçe")
    dropped: list[str] = field(default_factory=list)  # boilerplate lines removed, for debugging
    byline_roles: list[tuple[str, str]] = field(default_factory=list)  # (name, role as the byline prints it)
    date_published: date | None = None  # the publication date the page shows
    publisher: str | None = None  # the site as the page names itself (a title suffix, a copyright line)


# ------------------------------------------------------------------- extract


class EntityKind(str, enum.Enum):
    PERSON = "person"
    ORGANIZATION = "organization"
    STATE = "state"
    PLACE = "place"
    EVENT = "event"
    GROUP = "group"  # a collective holder of views: "South Korean progressives"


class OrgKind(str, enum.Enum):
    THINK_TANK = "think_tank"
    UNIVERSITY = "university"
    NEWS_OUTLET = "news_outlet"
    GOVERNMENT_BODY = "government_body"
    INTERNATIONAL_ORGANIZATION = "international_organization"
    POLITICAL_GROUP = "political_group"
    OTHER = "other"


@dataclass
class Entity:
    """One real-world thing. `key` is its normalised identity across documents
    ("person/yoon-suk-yeol", "state/KOR", "org/ankasam"); IRIs are minted from it."""

    key: str
    kind: EntityKind
    name: str
    alternate_names: set[str] = field(default_factory=set)
    org_kind: OrgKind | None = None
    honorific_prefix: str | None = None
    wikidata: str | None = None  # "Q884": only from bundled verified data or Wikidata itself
    historical: bool = False  # a state that no longer exists (West Germany)
    country_key: str | None = None  # a group's or post's state ("state/KOR")
    description: str | None = None

    def merge(self, other: "Entity") -> None:
        """Take what `other` (the same thing, seen again) knows and this one does not."""
        self.alternate_names |= other.alternate_names
        if other.name != self.name:
            self.alternate_names.add(other.name)
        for attr in ("org_kind", "honorific_prefix", "wikidata", "country_key", "description"):
            if getattr(self, attr) is None and getattr(other, attr) is not None:
                setattr(self, attr, getattr(other, attr))
        self.historical = self.historical or other.historical
        self.alternate_names.discard(self.name)


def add_or_merge(entities: dict[str, Entity], entity: Entity) -> Entity:
    """Put `entity` in `entities` by key, merging into the one already there; returns the stored one."""
    known = entities.get(entity.key)
    if known is None:
        entities[entity.key] = entity
        return entity
    known.merge(entity)
    return known


class TextSource(str, enum.Enum):
    BODY = "body"
    CAPTION = "caption"
    HEADLINE = "headline"
    STANDFIRST = "standfirst"
    COMMENT = "comment"


@dataclass(frozen=True)
class Mention:
    """Where an entity is named. Offsets are into the text named by `source`/`index`
    (body_text for BODY; captions[index] for CAPTION; comments[index].text for COMMENT)."""

    entity_key: str
    start: int
    end: int
    text: str
    source: TextSource = TextSource.BODY
    index: int = 0
    how: str = "name"  # name | alias | demonym | metonym | partial | acronym


class Modality(str, enum.Enum):
    ASSERTED = "asserted"
    HEDGED = "hedged"
    PREDICTED = "predicted"
    NORMATIVE = "normative"
    CONDITIONAL = "conditional"


@dataclass
class Claim:
    text: str
    start: int
    end: int
    holder_key: str  # the article's author unless the text attributes it
    about_keys: list[str]  # states first, then other entities, in text order
    modality: Modality = Modality.ASSERTED
    source: TextSource = TextSource.BODY
    index: int = 0  # comment number for TextSource.COMMENT
    attributed: bool = False  # True when the holder is not the text's writer


@dataclass
class Affiliation:
    """person works for / edits at an organization (schema:affiliation, org:Membership)."""

    person_key: str
    org_key: str
    role: str | None = None  # "Asia-Pacific Specialist", "Contributing Editor"
    department: str | None = None
    start_year: int | None = None
    end_year: int | None = None
    current: bool = True


@dataclass
class Education:
    """person studied at an organization (schema:alumniOf, cg:EducationalCredential)."""

    person_key: str
    org_key: str
    degree: str | None = None  # "bachelor", "master", "PhD"
    field: str | None = None  # department or programme
    year: int | None = None  # year completed
    start_year: int | None = None
    thesis_title: str | None = None


@dataclass
class Post:
    """A post a person holds, from apposition: "Japanese Prime Minister Fumio Kishida"."""

    person_key: str
    title: str  # "Prime Minister", "President", "Secretary General"
    organization_key: str | None = None  # the state or organization of the post


@dataclass
class Citation:
    """A cited work from a numbered footnote; `op.cit.` notes share the work of the note they repeat."""

    number: int
    title: str
    publisher_key: str | None = None
    access_date: date | None = None
    published: date | None = None
    url: str | None = None
    same_as: int | None = None


@dataclass
class Comment:
    number: int
    author_name: str
    posted: datetime | None
    text: str


@dataclass
class AuthorProfile:
    person_key: str
    expertise: list[str] = field(default_factory=list)
    languages: list[str] = field(default_factory=list)
    bio: str | None = None
    social: list[str] = field(default_factory=list)


@dataclass
class Extraction:
    """Everything extracted from one document, with entities keyed for resolution."""

    source: SourceDocument
    page: ParsedPage
    headline: str
    author_keys: list[str]
    publisher_key: str | None
    entities: dict[str, Entity] = field(default_factory=dict)
    mentions: list[Mention] = field(default_factory=list)
    claims: list[Claim] = field(default_factory=list)
    affiliations: list[Affiliation] = field(default_factory=list)
    educations: list[Education] = field(default_factory=list)
    posts: list[Post] = field(default_factory=list)
    citations: list[Citation] = field(default_factory=list)
    comments: list[Comment] = field(default_factory=list)
    profiles: list[AuthorProfile] = field(default_factory=list)
    date_published: date | None = None
    language: str | None = None

    def add_entity(self, entity: Entity) -> Entity:
        """Add or merge an entity by key; returns the stored one."""
        return add_or_merge(self.entities, entity)


# ---------------------------------------------------------------------- load


@dataclass(frozen=True)
class DocumentGraph:
    """The RDF of one document, ready to validate and load: pyoxigraph quads in its named graph.

    Every term was checked when it was built (pyoxigraph refuses an invalid IRI); the
    graph is never held as text."""

    source_id: str
    graph_iri: str
    quads: tuple  # of pyoxigraph.Quad, all in graph_iri
    article_iri: str

    @property
    def triple_count(self) -> int:
        return len(self.quads)

    @property
    def ntriples(self) -> str:
        """The graph as N-Triples, written by Oxigraph's serializer (for people and tests)."""
        import pyoxigraph as ox

        return ox.serialize([q.triple for q in self.quads], format=ox.RdfFormat.N_TRIPLES).decode("utf-8")


@dataclass(frozen=True)
class DroppedItem:
    """Something left out of a document's graph, and why; the rest of the document loads."""

    what: str  # "mention <…#char=10,15>", "url of citation 3", ...
    reason: str

    def __str__(self) -> str:
        return f"{self.what}: {self.reason}"


@dataclass
class LoadResult:
    source_id: str
    graph_iri: str
    triples_before: int
    triples_after: int
    added: int = 0
    removed: int = 0


@dataclass
class DocumentOutcome:
    """One line of a run summary: what happened to one document, and how long each stage took."""

    location: str
    source_id: str | None
    status: str  # "built" (not loaded yet) | "loaded" | "unchanged" | "failed"
    triples: int = 0
    reason: str | None = None
    seconds: float = 0.0
    stage: str | None = None  # where a failed document failed ("fetch", "parse", "validate", "load", ...)
    timings: dict[str, float] = field(default_factory=dict)  # stage -> seconds
    dropped: list[DroppedItem] = field(default_factory=list)
    graph: DocumentGraph | None = field(default=None, repr=False, compare=False)
    added: int = 0
    removed: int = 0


@dataclass
class RunSummary:
    run_id: str
    started_at: datetime
    ended_at: datetime | None = None
    outcomes: list[DocumentOutcome] = field(default_factory=list)

    @property
    def loaded(self) -> list[DocumentOutcome]:
        return [o for o in self.outcomes if o.status == "loaded"]

    @property
    def failed(self) -> list[DocumentOutcome]:
        return [o for o in self.outcomes if o.status == "failed"]

    @property
    def dropped(self) -> list[tuple[DocumentOutcome, DroppedItem]]:
        return [(o, d) for o in self.outcomes for d in o.dropped]

    def stage_seconds(self) -> dict[str, float]:
        """Seconds spent in each stage, over all documents (where the time went)."""
        total: dict[str, float] = {}
        for o in self.outcomes:
            for stage, seconds in o.timings.items():
                total[stage] = total.get(stage, 0.0) + seconds
        return total

    def render(self) -> str:
        lines = [f"run {self.run_id}: {len(self.loaded)} loaded, {len(self.failed)} failed, "
                 f"{sum(o.triples for o in self.loaded)} triples"]
        for o in self.outcomes:
            detail = f"{o.triples} triples" if o.status == "loaded" else (o.reason or "")
            lines.append(f"  {o.status:9} {o.location}  {detail}")
            for d in o.dropped:
                lines.append(f"            dropped {d}")
        stages = self.stage_seconds()
        if stages:
            lines.append("  stages: " + ", ".join(f"{k} {v:.2f} s" for k, v in stages.items()))
        return "\n".join(lines)
