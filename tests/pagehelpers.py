"""Parsed pages for unit tests: a saved page through the real parser, or a page made
from a title and paragraphs (offsets exact, blocks joined by blank lines)."""
from __future__ import annotations

from pathlib import Path

from claimgraph.model import Block, BlockKind, ParsedPage
from claimgraph.parse.text_page import parse_text_page


def load_page(path: Path) -> ParsedPage:
    return parse_text_page(Path(path).read_text(encoding="utf-8"))


def page_from_paragraphs(title: str, paragraphs: list[str], captions: list[str] | None = None,
                         headings: set[int] | None = None) -> ParsedPage:
    """A ParsedPage from a title and body paragraphs (indexes in `headings` are headings)."""
    blocks: list[Block] = []
    pos = 0
    for i, para in enumerate(paragraphs):
        if blocks:
            pos += 2
        kind = BlockKind.HEADING if headings and i in headings else BlockKind.PARAGRAPH
        blocks.append(Block(kind, para, pos, pos + len(para)))
        pos += len(para)
    return ParsedPage(title=title, standfirst=None, section=None, blocks=blocks,
                      body_text="\n\n".join(paragraphs), captions=list(captions or []), byline_names=[], bios=[],
                      footnotes=[], comments=[], translations=[])
