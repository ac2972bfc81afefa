"""Extract reader comments: the parser already split them; this keeps the extract
stage's shape (one function per kind of fact) and normalises the text."""
from __future__ import annotations

from ..model import Comment, ParsedPage


def extract_comments(page: ParsedPage) -> list[Comment]:
    """One Comment per RawComment, author name and text as printed (paragraphs joined by blank lines)."""
    return [
        Comment(number=c.number, author_name=c.author.strip(), posted=c.posted, text=c.text.strip())
        for c in page.comments
        if c.author.strip()
    ]
