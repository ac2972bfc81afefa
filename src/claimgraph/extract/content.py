"""Extract: everything the article's content says (entities, mentions, posts, claims),
in one call for the pipeline.

    result = extract_content(page, author_keys=["person/cenk-tamer"],
                             comment_holders={1: "person/pagar"})

The body is parsed once (one `nlp()` call), captions and comments in `nlp.pipe`
batches; entity and claim extraction share the parsed documents.
"""
from __future__ import annotations

from dataclasses import dataclass, field

from spacy.language import Language

from ..model import Claim, Entity, Mention, ParsedPage, Post
from .claims import extract_claims
from .entities import extract_entities
from .nlp import load_nlp


@dataclass
class ContentExtraction:
    entities: dict[str, Entity] = field(default_factory=dict)  # by key: mentioned entities, groups, holders
    mentions: list[Mention] = field(default_factory=list)  # body and caption mentions (schema:mentions)
    posts: list[Post] = field(default_factory=list)
    claims: list[Claim] = field(default_factory=list)  # body claims, then comment claims


def extract_content(page: ParsedPage, *, author_keys: list[str], comment_holders: dict[int, str] | None = None,
                    nlp: Language | None = None) -> ContentExtraction:
    """Entities with mentions, posts and claims of one parsed page.

    `author_keys`: keys of the article's authors; the first holds the body's
    unattributed claims, and authors are never counted as mentions.
    `comment_holders`: comment number -> key of its commenter (the pipeline mints
    those entities); comments without an entry yield no claims.
    """
    nlp = nlp or load_nlp()
    ents = extract_entities(page, nlp, author_keys=author_keys)
    claims, extra = extract_claims(page, ents, author_key=author_keys[0] if author_keys else None,
                                   comment_holders=comment_holders, nlp=nlp)
    entities = dict(ents.entities)
    for ent in extra:
        entities.setdefault(ent.key, ent)
    # entities only named as post organisations are already among the mentions; keep the dict closed
    return ContentExtraction(entities=entities, mentions=one_entity_per_span(ents.mentions), posts=list(ents.posts),
                             claims=claims)


def one_entity_per_span(mentions: list[Mention]) -> list[Mention]:
    """The graph's mentions: one entity per span of text. A seat of power used as an actor names
    both its state and the government body there ("the Kremlin said"); claims use both, the graph
    keeps the body unless that span is the only place the article names the state."""
    by_span: dict[tuple, list[Mention]] = {}
    for m in mentions:
        by_span.setdefault((m.source, m.index, m.start, m.end), []).append(m)
    named_elsewhere: dict[str, int] = {}
    for group in by_span.values():
        for m in group:
            named_elsewhere[m.entity_key] = named_elsewhere.get(m.entity_key, 0) + 1
    out = []
    for m in mentions:
        group = by_span[(m.source, m.index, m.start, m.end)]
        if len(group) == 1:
            out.append(m)
            continue
        states = [g for g in group if g.entity_key.startswith("state/")]
        lonely = [g for g in states if named_elsewhere[g.entity_key] == 1]
        keep = lonely[0] if lonely else next((g for g in group if not g.entity_key.startswith("state/")), group[0])
        if m is keep:
            out.append(m)
    return out
