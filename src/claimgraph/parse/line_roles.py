"""Line roles: a small sequence labeller over the lines of a text page.

Hand-written rules for "which line is the headline, which the byline, which the
date" were tuned on the dev pages and generalised poorly to publishers nobody
had looked at (tests/corpus/CHANGES_dev.md). This module reads the same lines
with a linear-chain CRF (python-crfsuite) whose features are generic:

- the rules' own reading of the line (its kind: heading, paragraph, byline,
  date, bio, boilerplate …; whether the rules chose it as the title);
- its shape: words, capitalisation, closing punctuation, a leading "By", a
  person's name, a date (whole line or inside it), "Published"/"Updated";
- where it sits: lines from the first long paragraph, inside/before/after the
  longest stretch of text, share of the page above it;
- whether the page prints it again ("Title | Site" in the tab title, the <h1>);
- how many of its content words the article's first paragraphs use (a
  headline shares its words with the text it heads; a menu or a related
  article's title does not);
- the same few features of the lines just before and after it.

Roles: `headline`, `standfirst`, `byline`, `date`, `bio`, `body`, `other` (furniture, lists of
other pieces, comments, notes). The labels it learns from are derived from the
gold of the dev pages by `derive_roles` (a line equal to the gold headline; a
short line naming a gold author near the top; a short line whose date is the
gold date; a line naming an author with a bio verb; a line holding a key
claim; a sentence or two right under the headline), so retraining needs no hand labelling:

    .venv/bin/python scripts/train_line_roles.py          # writes data/line_roles.crfsuite
    .venv/bin/python scripts/train_line_roles.py --cv     # leave-one-publisher-out figures

The model file is small and training is deterministic (L-BFGS, fixed
parameters, pages in name order). `label_units` returns the marginal
probability of every role for every line; `LineRoles` turns them into the
page's decisions (title line, byline lines, date line) that `text_page.py`
combines with its rules.
"""
from __future__ import annotations

import json
import re
from collections import Counter
from contextlib import contextmanager
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path

ROLES = ("headline", "standfirst", "byline", "date", "bio", "body", "other")
MODEL_PATH = Path(__file__).resolve().parents[1] / "data" / "line_roles.crfsuite"
# Below this marginal probability the labeller names no headline (every dev page has one).
HEADLINE_MIN_P = 0.05
BYLINE_MIN_P = 0.5
DATE_MIN_P = 0.35
# Lines the rules are sure of that are no byline, whatever the labeller says ("Similar Posts" over related pieces).
NEVER_BYLINE_KINDS = frozenset({"boilerplate", "related", "comments_label", "comment_form", "breadcrumb", "footnote",
                                "translation", "caption", "notes_label", "author_label", "repeat"})

_STOP = frozenset("""
the a an of and or in on at for to with from by as is are was were be been how why what when where who will would can
could should may might must do does did not no this that these those it its his her their our your my we they he she
you i if but so than then there here after before about into over under new more most all any some has have had
""".split())
_WORD_RE = re.compile(r"[^\W\d_][\w'’-]*")
_SPLIT_RE = re.compile(r"\s+(?:\||-|–|—|::|/|›|»|·|•)\s+")


def _content_words(text: str) -> list[str]:
    return [w for w in (m.group().casefold().strip("'’-") for m in _WORD_RE.finditer(text)) if len(w) > 2 and w not in _STOP]


def _bucket(n: int, edges: tuple[int, ...]) -> str:
    for edge in edges:
        if n <= edge:
            return str(edge)
    return f">{edges[-1]}"


def _rel_bucket(d: int | None) -> str:
    if d is None:
        return "none"
    if -3 <= d <= 3:
        return str(d)
    for edge in (6, 10, 20, 40):
        if abs(d) <= edge:
            return ("-" if d < 0 else "+") + str(edge)
    return "-far" if d < 0 else "+far"


@dataclass
class PageView:
    """What the features need to know about the whole page, computed once."""

    anchor: int | None  # the first paragraph of 30+ words (else 15)
    stretch: tuple[int, int]  # the longest stretch of text: [start, end)
    body_vocab: Counter  # content words of the first paragraphs of text
    printed: Counter  # how often each line, or a " | "-separated part of one, is printed
    rules_title: int | None


def page_view(units, rules_title: int | None) -> PageView:
    from .text_page import body_anchor, word_count

    anchor = body_anchor(units)
    # stretches of text between runs of 6+ short lines; the one with most words is the article
    best, start, words, run = (0, 0, len(units)), None, 0, 0
    for i, u in enumerate(units):
        n = word_count(u.text)
        if n < 8:
            run += 1
            if run == 6 and start is not None:
                if words > best[0]:
                    best = (words, start, i - 5)
                start, words = None, 0
        else:
            run = 0
            if start is None:
                start = i
            words += n
    if start is not None and words > best[0]:
        best = (words, start, len(units))
    vocab: Counter = Counter()
    if anchor is not None:
        taken = 0
        for u in units[anchor:]:
            if word_count(u.text) >= 12:
                vocab.update(set(_content_words(u.text)))
                taken += 1
                if taken >= 8:
                    break
    printed: Counter = Counter()
    for u in units:
        key = u.text.casefold()
        parts = {key} | {p for p in _SPLIT_RE.split(key) if len(p.split()) >= 3}
        printed.update(parts)
    return PageView(anchor, (best[1], best[2]), vocab, printed, rules_title)


def _own_features(u, i: int, view: PageView, n_units: int, own_vocab: Counter | None = None) -> dict[str, float]:
    from .text_page import (
        BIO_CUE_RE,
        BYLINE_RE,
        copyright_holder,
        find_date,
        looks_like_heading,
        looks_like_person_name,
        match_datetime,
        word_count,
    )

    text = u.text
    words = word_count(text)
    f: dict[str, float] = {
        "kind=" + u.data.get("orig", u.kind): 1.0,
        "words=" + _bucket(words, (1, 2, 3, 5, 8, 12, 20, 30, 60)): 1.0,
        "end=" + (text[-1] if text[-1] in ".?!:;,|)\"”’" else "other"): 1.0,
        "rel=" + _rel_bucket(None if view.anchor is None else i - view.anchor): 1.0,
        "pos=" + str(min(9, 10 * i // max(n_units, 1))): 1.0,
    }
    s0, s1 = view.stretch
    f["stretch=" + ("in" if s0 <= i < s1 else "before" if i < s0 else "after")] = 1.0
    if i < s0:
        f["to_stretch=" + _bucket(s0 - i, (1, 2, 3, 5, 8, 15))] = 1.0
    letters = [ch for ch in text if ch.isalpha()]
    if letters and all(ch.isupper() for ch in letters) and len(letters) >= 3:
        f["caps"] = 1.0
    content = _content_words(text)
    if content:
        capitalised = sum(1 for w in text.split() if w[:1].isupper() and w.casefold().strip(".,:;!?\"'") not in _STOP)
        f["title_case"] = min(1.0, capitalised / len(content))
        vocab = view.body_vocab
        shared = sum(1 for w in set(content) if vocab[w] - (own_vocab[w] if own_vocab else 0) > 0)
        f["body_overlap"] = shared / len(set(content))
        f["body_overlap=" + _bucket(int(10 * shared / len(set(content))), (0, 2, 4, 6, 8, 10))] = 1.0
    if looks_like_heading(text, max_words=30):
        f["heading_shape"] = 1.0
    if looks_like_person_name(text):
        f["person_name"] = 1.0
    head = re.split(r"\s*[,·|•]\s*|\s+[-–—]\s+", text, maxsplit=1)[0]
    if head != text and looks_like_person_name(head):
        f["person_name_then_more"] = 1.0
    if re.match(r"^by\b", text, re.IGNORECASE) or BYLINE_RE.match(text):
        f["by"] = 1.0
    if match_datetime(text):
        f["date_whole"] = 1.0
    elif words <= 25 and find_date(text):
        f["date_inside"] = 1.0
    if re.search(r"\b(?:published|posted|updated|modified)\b", text, re.IGNORECASE):
        f["published_word"] = 1.0
    if copyright_holder(text) or re.search(r"©|\(c\)\s*\d|copyright", text, re.IGNORECASE):
        f["copyright"] = 1.0
    if u.data.get("subject") and BIO_CUE_RE.search(text):
        f["bio_subject_cue"] = 1.0
    repeats = view.printed[text.casefold()]
    if repeats >= 2:
        f["printed_again"] = 1.0
        if words >= 4:
            f["printed_again_long"] = 1.0
    if any(p != text.casefold() and len(p.split()) >= 3 and view.printed[p] >= 2 for p in _SPLIT_RE.split(text.casefold())):
        f["part_printed_again"] = 1.0
    if view.rules_title == i:
        f["rules_title"] = 1.0
    if re.search(r"https?://|www\.|@\w", text):
        f["address"] = 1.0
    return f


# features of a neighbour that say most about a line (a date or byline under a headline …)
_NEIGHBOUR_KEYS = ("by", "date_whole", "date_inside", "person_name", "person_name_then_more", "heading_shape",
                   "published_word", "printed_again_long", "rules_title")


def unit_features(units, view: PageView, use_rules: bool = True) -> list[dict[str, float]]:
    own = []
    for i, u in enumerate(units):
        own_vocab = Counter(set(_content_words(u.text))) if view.anchor is not None and i >= view.anchor else None
        f = _own_features(u, i, view, len(units), own_vocab)
        if not use_rules:
            f = {k: v for k, v in f.items() if not k.startswith("kind=") and k != "rules_title"}
        own.append(f)
    # page-relative: the title-shaped line above the text that shares most words with it
    candidates = [i for i, f in enumerate(own) if "heading_shape" in f and "body_overlap" in f and view.anchor is not None
                  and view.anchor - 25 <= i <= view.anchor + 10 and not f.get("person_name")]
    best_overlap = max(candidates, key=lambda i: (own[i]["body_overlap"], -abs(i - (view.anchor or 0))), default=None)
    out = []
    for i, f in enumerate(own):
        feats = dict(f)
        feats["bias"] = 1.0
        if i == best_overlap:
            feats["best_overlap_title"] = 1.0
        below = [own[j] for j in range(i + 1, min(len(own), i + 6))]
        if any("by" in g or "person_name_then_more" in g for g in below):
            feats["byline_below"] = 1.0
        if any("date_whole" in g or ("date_inside" in g and "published_word" in g) for g in below):
            feats["date_below"] = 1.0
        for off in (-2, -1, 1, 2):
            j = i + off
            if not 0 <= j < len(own):
                feats[f"{off}:edge"] = 1.0
                continue
            for key in _NEIGHBOUR_KEYS:
                if key in own[j]:
                    feats[f"{off}:{key}"] = 1.0
            if abs(off) == 1:
                for key in own[j]:
                    if key.startswith(("kind=", "words=")):
                        feats[f"{off}:{key}"] = 1.0
        out.append(feats)
    return out


# ------------------------------------------------------------------ gold -> labels


def derive_roles(units, gold: dict) -> list[str]:
    """Line roles from a page's gold (tests/corpus/README.md), with no hand labelling:

    - headline: a line equal to the gold headline (or the headline and a " | Site" suffix);
    - byline: a line of at most 25 words above the text's end that names a gold author
      and is no bio sentence;
    - date: a line of at most 25 words, near the top, whose first date is the gold date;
    - bio: a line naming a gold author (full name or surname) with a bio verb;
    - body: a line that holds (part of) a key claim, or a line of 12+ words between the
      first and the last such line;
    - other: everything else."""
    from ..evaluate import norm
    from .text_page import BIO_VERB_RE, find_date, word_count

    headline = norm(gold.get("headline") or "") or None
    authors = [a["name"] for a in gold.get("authors") or []]
    author_keys = [norm(a) for a in authors]
    surnames = [k.split()[-1] for k in author_keys if k.split()]
    claims = [norm(c["text"]) for c in gold.get("claims") or []]
    date = gold.get("date")
    labels = ["other"] * len(units)
    claim_lines = []
    for i, u in enumerate(units):
        key = norm(u.text)
        if any(c and (c in key or (len(key) >= 40 and key in c)) for c in claims):
            labels[i] = "body"
            claim_lines.append(i)
    if claim_lines:
        for i in range(claim_lines[0], claim_lines[-1] + 1):
            if labels[i] == "other" and word_count(units[i].text) >= 12:
                labels[i] = "body"
    last_body = claim_lines[-1] if claim_lines else len(units)
    first_body = claim_lines[0] if claim_lines else 0
    for i, u in enumerate(units):
        key = norm(u.text)
        words = word_count(u.text)
        rest = key[len(headline):] if headline and key.startswith(headline) else None
        if rest is not None and (not rest or (rest[:1] == " " and len(rest.split()) <= 6)):  # "Title | Site"
            labels[i] = "headline"
            continue
        names_author = any(a and a in key for a in author_keys)
        after_name = next((key.split(a, 1)[1] for a in author_keys + surnames if a and a in key), "")
        if (names_author or any(s and re.search(rf"\b{re.escape(s)}\b", key) for s in surnames)) and words >= 8 \
                and BIO_VERB_RE.match(after_name.lstrip(" ,()")) and labels[i] != "body":
            labels[i] = "bio"
            continue
        if names_author and words <= 25 and i < last_body and labels[i] == "other":
            labels[i] = "byline"
            continue
        if date and words <= 25 and labels[i] == "other" and i <= first_body + 5:
            found = find_date(u.text)
            if found and found.isoformat() == date:
                labels[i] = "date"
    # the standfirst: a sentence or two right under the headline, before the byline and the text
    for i in [k for k, lab in enumerate(labels) if lab == "headline"]:
        for j in range(i + 1, min(len(units), i + 3)):
            if labels[j] == "other" and 8 <= word_count(units[j].text) <= 60 and j < first_body:
                labels[j] = "standfirst"
                break
            if labels[j] != "other":
                break
    return labels


# ------------------------------------------------------------------ the model


@lru_cache(maxsize=1)
def _default_tagger():
    if not MODEL_PATH.is_file():
        return None
    import pycrfsuite

    tagger = pycrfsuite.Tagger()
    tagger.open(str(MODEL_PATH))
    return tagger


_override: dict[str, object] = {}


@contextmanager
def model_override(tagger=None, *, mode: str = "combined"):
    """Use another tagger (a cross-validation fold's) or another mode for the pages parsed inside:
    "combined" (the labeller and the rules, the default), "model" (the labeller decides), "rules"
    (the labeller is off)."""
    saved = dict(_override)
    _override.update(tagger=tagger, mode=mode)
    try:
        yield
    finally:
        _override.clear()
        _override.update(saved)


@lru_cache(maxsize=1)
def trained_mode() -> str:
    """The mode the shipped model was trained for (its sidecar file says; "combined" if none)."""
    try:
        return json.loads(MODEL_PATH.with_suffix(".json").read_text(encoding="utf-8")).get("mode", "combined")
    except (OSError, ValueError):
        return "combined"


def current_mode() -> str:
    """The mode pages are parsed in: an override's, else the shipped model's when the labeller is
    on (CLAIMGRAPH_LINE_LABELLER), else "rules"."""
    from ..config import get_settings

    if _override.get("mode"):
        return str(_override["mode"])
    return trained_mode() if get_settings().line_labeller else "rules"


@dataclass
class LineRoles:
    """The labeller's marginals for each line and the decisions taken from them."""

    marginals: list[dict[str, float]]
    title_index: int | None = None
    byline_indexes: list[int] = field(default_factory=list)
    date_index: int | None = None

    def p(self, i: int, role: str) -> float:
        return self.marginals[i].get(role, 0.0)

    def mark_bylines(self, units) -> None:
        """Lines the labeller reads as bylines and the rules did not: their names go to the byline."""
        from .text_page import byline_names_of_line

        for i in self.byline_indexes:
            u = units[i]
            if u.kind == "byline":
                continue
            names, roles = byline_names_of_line(u.text)
            if names:
                u.kind, u.data["names"], u.data["roles"], u.data["orig"] = "byline", names, roles, "byline"


def tag(units, text: str, rules_title: int | None, tagger=None, use_rules: bool = True) -> list[dict[str, float]]:
    """Marginal probability of each role for each unit."""
    view = page_view(units, rules_title)
    feats = unit_features(units, view, use_rules)
    tagger.set(feats)
    labels = tagger.labels()
    return [{lab: tagger.marginal(lab, i) for lab in labels} for i in range(len(units))]


def _dek_under(units, title: int, below: int) -> bool:
    """A sentence-case line right under a Title Case one is its standfirst, not the headline."""
    from .text_page import _capitalised_share

    between = [u for u in units[title + 1:below] if u.kind != "boilerplate"]
    return below > title and not between and _capitalised_share(units[title].text) >= 0.6 \
        and _capitalised_share(units[below].text) < 0.6


def label_units(units, text: str, rules_title: int | None) -> LineRoles | None:
    """The labeller's decisions for a page's units, or None when it is off or has no model."""
    from .text_page import _title_like, date_line_candidate, date_rank

    mode = current_mode()
    if mode == "rules" or not units:
        return None
    tagger = _override.get("tagger") or _default_tagger()
    if tagger is None:
        return None
    marginals = tag(units, text, rules_title, tagger, use_rules=mode != "model")
    roles = LineRoles(marginals)
    best = max(range(len(units)), key=lambda i: marginals[i].get("headline", 0.0))
    if marginals[best].get("headline", 0.0) >= HEADLINE_MIN_P:
        roles.title_index = best
    elif mode == "model":
        roles.title_index = None
    else:
        roles.title_index = rules_title
    if mode == "combined" and rules_title is not None and roles.title_index is not None and roles.title_index != rules_title \
            and _title_like(units[rules_title]) and (not _title_like(units[roles.title_index]) or _dek_under(units, rules_title,
                                                                                                              roles.title_index)):
        roles.title_index = rules_title
    end = page_view(units, rules_title).stretch[1]
    roles.byline_indexes = [i for i in range(min(end, len(units))) if marginals[i].get("byline", 0.0) >= BYLINE_MIN_P
                            and units[i].kind not in NEVER_BYLINE_KINDS]
    dated = [i for i in range(len(units)) if marginals[i].get("date", 0.0) >= DATE_MIN_P and date_line_candidate(units[i])]
    if dated:
        # a "Published" date beats a bare one, which beats an "Updated" one (as the rules have it); then the likeliest
        roles.date_index = min(dated, key=lambda i: (date_rank(units[i].text), -marginals[i]["date"]))
    return roles
