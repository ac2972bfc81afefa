"""Evaluate the content extractor against hand-made gold annotations.

    python -m claimgraph.evaluate [tests/gold]

Each gold file (`tests/gold/*.json`) names a page and what its body holds:

    {"page": "seeds/000_b9eaa696b2f0318b.txt",      # relative to the project root
     "author": "Cenk Tamer",
     "states": ["South Korea", ...], "people": [...], "organizations": [...],
     "claims": [{"text": "...", "holder": "Cenk Tamer", "about": ["China"],
                 "modality": "asserted"}, ...]}

The page is parsed with the real parser (`claimgraph.parse.text_page`) and run
through `extract_content`. Reported: precision/recall/F1 of the sets of states,
people and organisations mentioned, of claim detection (a predicted body claim
matches a gold one with the contract's "contains" rule: one text inside the
other, at most 2.5x longer / at least 60% as long), of attribution (claims held
by someone other than the author), and on matched claims the accuracy of the
holder, of the set of states the claim is about, and of the modality.
"""
from __future__ import annotations

import argparse
import json
import re
import sys
import time
import unicodedata
from dataclasses import dataclass, field
from pathlib import Path

from .model import BlockKind, Block, EntityKind, ParsedPage, TextSource
from .resolve import normalise_person_name, person_key

ROOT = Path(__file__).resolve().parents[2]
DEFAULT_GOLD = ROOT / "tests" / "gold"

_DASHES = dict.fromkeys(map(ord, "-\u2010\u2011\u2012\u2013\u2014\u2015\u2212"), " ")
_QUOTES = {ord("\u2018"): "'", ord("\u2019"): "'", ord("\u201c"): '"', ord("\u201d"): '"'}


def norm(text: str) -> str:
    """The contract checker's normalisation (case, dashes, quotes, spaces, footnote marks)."""
    text = unicodedata.normalize("NFKC", text).translate(_QUOTES).translate(_DASHES)
    text = re.sub(r"\[\d+\]", " ", text)
    text = re.sub(r"\s+", " ", text).strip().casefold()
    return text.strip(" .,;:!?'\"")


def contains_match(expected: str, actual: str) -> bool:
    e, a = norm(expected), norm(actual)
    if not e or not a:
        return e == a
    if e in a:
        return len(a) <= 2.5 * len(e)
    return a in e and len(a) >= 0.6 * len(e)


# --------------------------------------------------------------------- scores


@dataclass
class PRF:
    tp: int = 0
    fp: int = 0
    fn: int = 0

    @property
    def precision(self) -> float:
        return self.tp / (self.tp + self.fp) if self.tp + self.fp else 1.0

    @property
    def recall(self) -> float:
        return self.tp / (self.tp + self.fn) if self.tp + self.fn else 1.0

    @property
    def f1(self) -> float:
        p, r = self.precision, self.recall
        return 2 * p * r / (p + r) if p + r else 0.0

    def __iadd__(self, other: "PRF") -> "PRF":
        self.tp += other.tp
        self.fp += other.fp
        self.fn += other.fn
        return self


@dataclass
class Accuracy:
    correct: int = 0
    total: int = 0

    @property
    def value(self) -> float:
        return self.correct / self.total if self.total else 1.0

    def __iadd__(self, other: "Accuracy") -> "Accuracy":
        self.correct += other.correct
        self.total += other.total
        return self


@dataclass
class DocEval:
    name: str
    words: int
    seconds: float
    states: PRF
    people: PRF
    organizations: PRF
    claims: PRF
    attributed: PRF
    holders: Accuracy
    about: Accuracy
    modality: Accuracy
    errors: list[str] = field(default_factory=list)
    structure: Accuracy = field(default_factory=Accuracy)  # page-structure checks (gold "structure")


@dataclass
class EvalReport:
    docs: list[DocEval]

    def total(self, attr: str):
        acc = PRF() if isinstance(getattr(self.docs[0], attr), PRF) else Accuracy()
        for d in self.docs:
            acc += getattr(d, attr)
        return acc

    def render(self, details: bool = False) -> str:
        lines = []
        head = f"{'document':34} {'words':>5} {'sec':>5}  {'states':>6} {'people':>6} {'orgs':>6} {'claims':>6} {'attrib':>6}  {'holder':>6} {'about':>6} {'modal':>6} {'parse':>6}"
        lines.append(head)
        lines.append("-" * len(head))
        for d in self.docs:
            lines.append(f"{d.name[:34]:34} {d.words:5d} {d.seconds:5.2f}  {d.states.f1:6.2f} {d.people.f1:6.2f} "
                         f"{d.organizations.f1:6.2f} {d.claims.f1:6.2f} {d.attributed.f1:6.2f}  {d.holders.value:6.2f} "
                         f"{d.about.value:6.2f} {d.modality.value:6.2f} {d.structure.value:6.2f}")
        lines.append("-" * len(head))
        lines.append("micro-averaged over all documents:")
        for attr, label in (("states", "states"), ("people", "people"), ("organizations", "organizations"),
                            ("claims", "claim detection"), ("attributed", "attributed claims")):
            t = self.total(attr)
            lines.append(f"  {label:20} P={t.precision:.3f} R={t.recall:.3f} F1={t.f1:.3f}  (tp={t.tp} fp={t.fp} fn={t.fn})")
        for attr, label in (("holders", "claim holder"), ("about", "claim states (exact set)"),
                            ("modality", "claim modality")):
            t = self.total(attr)
            lines.append(f"  {label:26} accuracy={t.value:.3f}  ({t.correct}/{t.total} matched claims)")
        t = self.total("structure")
        if t.total:
            lines.append(f"  {'page structure':26} accuracy={t.value:.3f}  ({t.correct}/{t.total} checks)")
        words = sum(d.words for d in self.docs)
        secs = sum(d.seconds for d in self.docs)
        lines.append(f"  extraction time: {secs:.2f}s for {words} words "
                     f"({1000 * secs * 1500 / max(words, 1):.0f} ms per 1,500 words, model loaded)")
        if details:
            for d in self.docs:
                if d.errors:
                    lines.append(f"\n{d.name}:")
                    lines += ["  " + e for e in d.errors]
        return "\n".join(lines)


# ---------------------------------------------------------------------- pages


def load_page(path: Path) -> ParsedPage:
    """Parse a page with the project's parser; a minimal paragraph splitter stands in
    when the parser is not importable (e.g. in a stripped-down checkout)."""
    text = path.read_text(encoding="utf-8")
    try:
        from .parse.text_page import parse_text_page
    except ImportError:  # pragma: no cover - only without the parser
        return page_from_paragraphs(*_split_simple(text))
    return parse_text_page(text)


def page_from_paragraphs(title: str, paragraphs: list[str], captions: list[str] | None = None,
                         headings: set[int] | None = None) -> ParsedPage:
    """A ParsedPage from a title and body paragraphs (indexes in `headings` are headings)."""
    blocks: list[Block] = []
    parts: list[str] = []
    pos = 0
    for i, para in enumerate(paragraphs):
        if parts:
            pos += 2
        kind = BlockKind.HEADING if headings and i in headings else BlockKind.PARAGRAPH
        blocks.append(Block(kind, para, pos, pos + len(para)))
        parts.append(para)
        pos += len(para)
    return ParsedPage(title=title, standfirst=None, section=None, blocks=blocks, body_text="\n\n".join(parts),
                      captions=list(captions or []), byline_names=[], bios=[], footnotes=[], comments=[],
                      translations=[])


def _split_simple(text: str) -> tuple[str, list[str]]:
    paras = [re.sub(r"\s+", " ", p).strip() for p in re.split(r"\n\s*\n", text) if p.strip()]
    return (paras[0] if paras else ""), paras[1:]


# ------------------------------------------------------------------ evaluation


def _prf(gold: set[str], pred: set[str]) -> PRF:
    return PRF(tp=len(gold & pred), fp=len(pred - gold), fn=len(gold - pred))


def evaluate_one(gold_path: Path, nlp=None) -> DocEval:
    from .extract.content import extract_content
    from .extract.nlp import load_nlp

    nlp = nlp or load_nlp()
    gold = json.loads(gold_path.read_text(encoding="utf-8"))
    page_path = (ROOT / gold["page"]) if not Path(gold["page"]).is_absolute() else Path(gold["page"])
    if not page_path.exists():
        page_path = gold_path.parent / gold["page"]
    page = load_page(page_path)
    author_name = gold["author"]
    author_keys = [person_key(normalise_person_name(author_name)[0])]
    for raw in page.byline_names:  # co-authors are authors too (never "mentions")
        key = person_key(normalise_person_name(raw)[0])
        if key not in author_keys:
            author_keys.append(key)
    comment_holders = {c.number: person_key(normalise_person_name(c.author)[0]) for c in page.comments}
    t0 = time.perf_counter()
    result = extract_content(page, author_keys=author_keys, comment_holders=comment_holders, nlp=nlp)
    seconds = time.perf_counter() - t0

    mentioned = {m.entity_key for m in result.mentions if m.source in (TextSource.BODY, TextSource.CAPTION)}
    ents = result.entities

    def names(kind: EntityKind) -> set[str]:
        return {norm(ents[k].name) for k in mentioned if k in ents and ents[k].kind is kind}

    errors: list[str] = []
    gs, ps = {norm(x) for x in gold.get("states", [])}, names(EntityKind.STATE)
    gp, pp = {norm(x) for x in gold.get("people", [])}, names(EntityKind.PERSON)
    go = {norm(x) for x in gold.get("organizations", [])}
    po_ents = [ents[k] for k in mentioned if k in ents and ents[k].kind is EntityKind.ORGANIZATION]
    po = set()
    for e in po_ents:  # an organisation matches a gold name by its name or an alternate name
        variants = {norm(e.name)} | {norm(a) for a in e.alternate_names}
        hit = variants & go
        po.add(next(iter(hit)) if hit else norm(e.name))
    for label, g, p in (("state", gs, ps), ("person", gp, pp), ("org", go, po)):
        errors += [f"missing {label}: {x}" for x in sorted(g - p)] + [f"extra {label}: {x}" for x in sorted(p - g)]

    # claims
    def holder_name(key: str) -> str:
        if key in author_keys:
            return author_name
        ent = ents.get(key)
        return ent.name if ent else key

    def holder_ok(key: str, gold_holder: str) -> bool:
        ent = ents.get(key) if key not in author_keys else None
        names = [holder_name(key)] + (sorted(ent.alternate_names) if ent else [])
        return any(norm(n) == norm(gold_holder) or contains_match(gold_holder, n) for n in names)

    body_claims = [c for c in result.claims if c.source is TextSource.BODY]
    gold_claims = gold.get("claims", [])
    used: set[int] = set()
    pairs = []
    for gi, gc in enumerate(gold_claims):
        best = None
        for pi, pc in enumerate(body_claims):
            if pi in used or not contains_match(gc["text"], pc.text):
                continue
            score = abs(len(norm(pc.text)) - len(norm(gc["text"])))
            if best is None or score < best[0]:
                best = (score, pi)
        if best is not None:
            used.add(best[1])
            pairs.append((gc, body_claims[best[1]]))
        else:
            errors.append(f"missing claim: {gc['text'][:100]}")
    errors += [f"extra claim: {pc.text[:100]}" for pi, pc in enumerate(body_claims) if pi not in used]
    claims_prf = PRF(tp=len(pairs), fp=len(body_claims) - len(pairs), fn=len(gold_claims) - len(pairs))

    holders, about, modality = Accuracy(), Accuracy(), Accuracy()
    attributed = PRF()
    gold_attr = {i for i, gc in enumerate(gold_claims) if norm(gc["holder"]) != norm(author_name)}
    for gc, pc in pairs:
        h = holder_name(pc.holder_key)
        ok = holder_ok(pc.holder_key, gc["holder"])
        holders.correct += ok
        holders.total += 1
        if not ok:
            errors.append(f"holder {h!r} != {gc['holder']!r}: {gc['text'][:80]}")
        p_states = {norm(ents[k].name) for k in pc.about_keys if k in ents and ents[k].kind is EntityKind.STATE}
        g_states = {norm(s) for s in gc.get("about", [])}
        about.correct += p_states == g_states
        about.total += 1
        if p_states != g_states:
            errors.append(f"about {sorted(p_states)} != {sorted(g_states)}: {gc['text'][:80]}")
        if "modality" in gc:
            modality.total += 1
            modality.correct += pc.modality.value == gc["modality"]
            if pc.modality.value != gc["modality"]:
                errors.append(f"modality {pc.modality.value} != {gc['modality']}: {gc['text'][:80]}")
    # attribution: a gold attributed claim found with a non-author holder is a true positive
    p_attr = [pc for pc in body_claims if pc.holder_key not in author_keys]
    matched_pred = {id(pc): gc for gc, pc in pairs}
    for pc in p_attr:
        gc = matched_pred.get(id(pc))
        if gc is not None and norm(gc["holder"]) != norm(author_name):
            attributed.tp += 1
        else:
            attributed.fp += 1
    attributed.fn = len(gold_attr) - attributed.tp

    structure = _check_structure(page, gold.get("structure"), errors)
    words = len(re.findall(r"\w+", page.body_text))
    return DocEval(gold_path.stem, words, seconds, _prf(gs, ps), _prf(gp, pp), _prf(go, po), claims_prf, attributed,
                   holders, about, modality, errors, structure)


def _check_structure(page: ParsedPage, spec: dict | None, errors: list[str]) -> Accuracy:
    """Score the parse against a gold "structure" block: byline names, comments (author and
    minute), number of captions and notes, where the body starts and ends, furniture that must
    not be in the body and a phrase the author bio must hold."""
    acc = Accuracy()
    if not spec:
        return acc

    def check(ok: bool, what: str) -> None:
        acc.total += 1
        acc.correct += bool(ok)
        if not ok:
            errors.append(f"parse: {what}")

    pname = lambda raw: norm(normalise_person_name(raw)[0])  # noqa: E731
    if "byline" in spec:
        got = [pname(n) for n in page.byline_names]
        check(sorted(set(got)) == sorted(pname(n) for n in spec["byline"]), f"byline {page.byline_names!r}")
    if "comments" in spec:
        got = [(norm(c.author), c.posted.strftime("%Y-%m-%dT%H:%M") if c.posted else None) for c in page.comments]
        want = [(norm(a), d) for a, d in spec["comments"]]
        check(len(got) == len(want), f"{len(got)} comments, expected {len(want)}: {got}")
        for w in want:
            check(w in got, f"comment {w} not found")
    if "captions" in spec:
        check(len(page.captions) == spec["captions"], f"captions {page.captions!r}")
    if "citations" in spec:
        check(len(page.footnotes) == spec["citations"], f"{len(page.footnotes)} notes, expected {spec['citations']}")
    body = page.body_text
    if "body_first" in spec:
        check(norm(body).startswith(norm(spec["body_first"])), f"body starts {body[:60]!r}")
    if "body_last" in spec:
        check(norm(body).endswith(norm(spec["body_last"])), f"body ends {body[-60:]!r}")
    for s in spec.get("not_in_body", []):
        check(s not in body, f"body holds {s!r}")
    if "bio_contains" in spec:
        check(any(spec["bio_contains"] in b for b in page.bios), f"no bio with {spec['bio_contains']!r}: {page.bios!r}")
    return acc


def evaluate(gold_dir: Path = DEFAULT_GOLD, nlp=None, only: list[str] | None = None) -> EvalReport:
    """Run the extractor over every gold file in `gold_dir` (or those whose name starts with
    one of `only`) and score it."""
    from .extract.nlp import load_nlp

    nlp = nlp or load_nlp()
    files = sorted(f for f in Path(gold_dir).glob("*.json") if not only or any(f.stem.startswith(o) for o in only))
    if not files:
        raise FileNotFoundError(f"no gold files in {gold_dir}")
    return EvalReport([evaluate_one(f, nlp) for f in files])


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="Score the content extractor against gold annotations.")
    parser.add_argument("gold_dir", nargs="?", type=Path, default=DEFAULT_GOLD)
    parser.add_argument("--details", action="store_true", help="list every miss and extra")
    parser.add_argument("--only", action="append", default=[], help="only gold files whose name starts with this")
    args = parser.parse_args(argv)
    report = evaluate(args.gold_dir, only=args.only)
    print(report.render(details=args.details))
    return 0


if __name__ == "__main__":
    sys.exit(main())
