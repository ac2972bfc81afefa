"""Extract: the quotations of an article's body and where their speakers are named.

    quotes = find_quotations(page.body_text, page.blocks)
    verb = speech_verb(doc, quote, quotes)       # "said" in '"…," he said.' / 'X said: "…"'

A quotation is the text between typographic quotation marks (“…” or "…") inside
one paragraph. News copy runs one speaker's words over several sentences and
paragraphs; the conventions this module reads:

* a quotation runs until its closing mark, across sentences of its paragraph;
* a paragraph that ends inside a quotation and a next paragraph that opens with
  a quotation mark continue one quotation (the typographic convention: no
  closing mark at the end of a quoted paragraph);
* the speaker is named next to the quotation, in the sentence holding its
  closing mark ('"…," the minister said.', '"…," said Jane Doe, a fellow …') or
  its opening mark ('Jane Doe said: "…"', 'He told reporters, "…"');
* a quotation whose sentences name nobody is spoken by the speaker of the
  quotation before it in the paragraph ('"A," he said. "B."'), or, when its
  paragraph opens with it, by the last speaker of the paragraph before.

Single quotation marks are left alone: they are also apostrophes, and mark
nested quotes or scare quotes far more often than speech.

Which entity a speaker's noun phrase names is the claim extractor's business
(`claims._resolve_np`): this module only finds the quotations and the verbs.
"""
from __future__ import annotations

import re
from dataclasses import dataclass

from spacy.tokens import Doc, Token

from ..model import Block, BlockKind

_OPEN = "“"
_CLOSE = "”"
_STRAIGHT = '"'

# Verbs that introduce or close a quotation (besides the claim extractor's reporting verbs).
QUOTE_VERBS = {"say", "tell", "add", "write", "tweet", "post", "continue", "begin", "conclude", "explain", "note",
               "ask", "reply", "respond", "answer", "insist", "argue", "warn", "claim", "declare", "state", "stress",
               "recall", "remark", "observe", "comment", "quip", "exclaim", "announce", "acknowledge", "admit",
               "concede", "complain", "predict", "urge", "caution", "emphasize", "emphasise", "suggest", "put",
               "describe", "call", "testify", "confirm", "maintain", "assert", "counter", "reiterate", "vow",
               "promise", "pledge", "mutter", "shout", "plead", "read"}


@dataclass
class Quotation:
    """Quoted words at body_text[start:end] (the marks excluded)."""

    start: int
    end: int
    block: int  # index of the paragraph in page.blocks
    run: int  # quotations continued across paragraphs share a run
    opens_block: bool = False  # the paragraph starts with this quotation's opening mark
    open_end: bool = False  # no closing mark before the paragraph ended

    def covers(self, pos: int) -> bool:
        return self.start <= pos < self.end


def find_quotations(text: str, blocks: list[Block]) -> list[Quotation]:
    """The quotations of the body's paragraphs, in text order."""
    out: list[Quotation] = []
    run = -1
    prev_open_end = False
    for b, block in enumerate(blocks):
        if block.kind is not BlockKind.PARAGRAPH:
            prev_open_end = False
            continue
        seg = text[block.start:block.end]
        first_char = len(seg) - len(seg.lstrip())
        opened: int | None = None
        curly = _OPEN in seg or _CLOSE in seg
        here: list[Quotation] = []
        for i, ch in enumerate(seg):
            if curly and ch == _OPEN or (not curly and ch == _STRAIGHT and opened is None):
                if opened is not None and i > opened:  # an opening mark inside an open quotation: the last one was never closed
                    here.append(Quotation(block.start + opened, block.start + i, b, 0))
                opened = i + 1
            elif (curly and ch == _CLOSE or (not curly and ch == _STRAIGHT)) and opened is not None:
                if i > opened:
                    here.append(Quotation(block.start + opened, block.start + i, b, 0))
                opened = None
        if opened is not None and opened < len(seg):
            here.append(Quotation(block.start + opened, block.end, b, 0, open_end=True))
        for k, q in enumerate(here):
            q.opens_block = q.start - block.start == first_char + 1
            if k == 0 and q.opens_block and prev_open_end:
                q.run = run  # the paragraph goes on with the last paragraph's open quotation
            else:
                run += 1
                q.run = run
        prev_open_end = bool(here) and here[-1].open_end
        out.extend(here)
    return out


def inside_share(quotes: list[Quotation], start: int, end: int) -> tuple[float, Quotation | None]:
    """How much of text[start:end] is quoted words, and the quotation holding most of it."""
    if end <= start:
        return 0.0, None
    best, best_n, total = None, 0, 0
    for q in quotes:
        n = max(0, min(end, q.end) - max(start, q.start))
        total += n
        if n > best_n:
            best, best_n = q, n
    return total / (end - start), best


def speech_verb(doc: Doc, quote: Quotation, quotes: list[Quotation], verbs: set[str]) -> Token | None:
    """The verb outside any quotation that introduces or closes `quote` in its sentences:
    the nearest verb of `verbs` after the closing mark in the same sentence, else before the
    opening mark in the same sentence."""
    first = doc.char_span(quote.start, min(quote.start + 1, len(doc.text)), alignment_mode="expand")
    last = doc.char_span(max(quote.end - 1, quote.start), quote.end, alignment_mode="expand")
    if first is None or last is None or not len(first) or not len(last):
        return None
    tail_sent = last[-1].sent
    head_sent = first[0].sent

    def outside(t: Token) -> bool:
        return not any(q.covers(t.idx) for q in quotes)

    if not quote.open_end:
        for t in doc[last[-1].i + 1:tail_sent.end]:
            if t.lemma_.lower() in verbs and t.pos_ in ("VERB", "AUX") and outside(t):
                return t
            if t.text in (_OPEN, _STRAIGHT) and t.i > last[-1].i + 1:
                break  # the next quotation begins: its own verb is not this one's
    for t in reversed(doc[head_sent.start:first[0].i]):
        if t.lemma_.lower() in verbs and t.pos_ in ("VERB", "AUX") and outside(t):
            return t
        if t.text in (_CLOSE, _STRAIGHT) and t.i < first[0].i - 1:
            break
    return None


def speaker_token(verb: Token, quotes: list[Quotation]) -> Token | None:
    """The noun phrase that speaks through `verb`: its subject (also after it: '…," said Jane Doe'),
    or 'according to X'."""
    for c in verb.children:
        if c.dep_ in ("nsubj", "nsubjpass") and not any(q.covers(c.idx) for q in quotes):
            return c
    # '…," said Robert Danin, a senior fellow': the parser may take the name for an object
    for c in verb.children:
        if c.dep_ in ("dobj", "attr", "npadvmod") and c.i > verb.i and c.pos_ == "PROPN" and not any(
                q.covers(c.idx) for q in quotes):
            return c
    if verb.dep_ in ("conj", "advcl") and verb.head.i != verb.i:
        for c in verb.head.children:
            if c.dep_ == "nsubj" and not any(q.covers(c.idx) for q in quotes):
                return c
    return None


# A transcript's turn opens its paragraph with the speaker's label and a colon: "Adam:", "Ted Postol:",
# "POSTOL:", "TP:" (initials), "Q:" (a label that names nobody the page knows leaves the turn alone).
_TURN_LABEL = re.compile(r"^\s*(?:\*\*)?([A-Z][\w.'’-]*(?:[ \u00a0][A-Z][\w.'’-]*){0,3})(?:\*\*)?\s*:\s+\S")
_NOT_SPEAKERS = {"note", "update", "editor", "photo", "source", "sources", "read", "see", "watch", "listen",
                 "related", "disclaimer", "correction", "warning", "summary", "background", "transcript", "credit"}


def speaker_turns(blocks: list[Block], people: dict[str, str]) -> dict[int, str]:
    """Paragraphs of a transcript or interview opened by a speaker's label -> the speaker's key.

    `people` maps each person the page names (every name it knows them by) to their key. A label
    is the person's printed name, one word of it ("Adam" for Adam Tooze, "POSTOL"), a surname
    after another given name ("Ted Postol" for Theodore A. Postol) or their initials ("AT");
    a label that fits nobody, or several people, gives no speaker. A page is read as a
    transcript only when at least two of its paragraphs open with labels (one "Name: …" line
    is more often a caption or a list item than a turn); with three or more, a turn also runs
    over the unlabelled paragraphs after it, up to the next label or heading."""
    labels: dict[int, str] = {}
    for b, block in enumerate(blocks):
        if block.kind is not BlockKind.PARAGRAPH:
            continue
        m = _TURN_LABEL.match(block.text)
        if m and m.group(1).lower() not in _NOT_SPEAKERS:
            labels[b] = m.group(1).replace("\u00a0", " ")
    if len(labels) < 2:
        return {}
    index: dict[str, set[str]] = {}
    for name, key in people.items():
        words = [w for w in re.findall(r"[\w’'-]+", name) if w[:1].isupper()]
        if not words:
            continue
        forms = {name.lower(), words[0].lower(), words[-1].lower()}
        if len(words) >= 2:
            forms.add((words[0][0] + words[-1][0]).lower())
        for form in forms:
            index.setdefault(form, set()).add(key)
    turns: dict[int, str] = {}
    current: str | None = None
    for b, block in enumerate(blocks):
        if block.kind is not BlockKind.PARAGRAPH:
            current = None  # a heading ends the turn
            continue
        label = labels.get(b)
        if label is None:
            if current is not None and len(labels) >= 3:
                turns[b] = current  # a turn runs over the unlabelled paragraphs after it
            continue
        keys = index.get(label.lower())
        if not keys and " " in label:
            keys = index.get(label.split()[-1].lower())  # "Ted Postol" -> Postol
        current = next(iter(keys)) if keys and len(keys) == 1 else None
        if current is not None:
            turns[b] = current
    return turns
