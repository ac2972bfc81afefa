"""Score page structure only (headline, publisher, date, authors, affiliations) on a corpus
split, without spaCy or the store: prepare -> parse -> authors, decided as the pipeline decides.

    .venv/bin/python scripts/structure_score.py [--split dev] [--details] [--only ID]

A fast loop for tuning page structure (seconds, not minutes); `claimgraph eval` stays the
figure of record. The val and test splits are refused: their pages are not for tuning.
"""
from __future__ import annotations

import argparse
import sys
from dataclasses import dataclass, field
from pathlib import Path

from claimgraph.evaluate import DEFAULT_CORPUS, PRF, Accuracy, GoldPage, load_split, norm, org_norm


@dataclass
class Structure:
    """What the path decides about one page's structure."""

    headline: str | None
    publisher: str | None
    date: str | None
    authors: list[str]
    affiliations: list[tuple[str, set[str]]]  # (author name, names of the organization)
    errors: list[str] = field(default_factory=list)


def page_structure(gold: GoldPage) -> Structure:
    from claimgraph.extract.authors import extract_authors
    from claimgraph.parse.html_page import page_metadata
    from claimgraph.pipeline import parse_page, prepare_document, publisher_organization, shared_nlp
    from claimgraph.sources.files import read_source_file

    source = read_source_file(gold.page)
    source, entry = prepare_document(source, None)
    page = parse_page(source)
    metadata = page_metadata(source.metadata)
    publisher = source.publisher or (metadata.publisher if metadata else None) or page.publisher
    publisher_entity = publisher_organization(publisher) if publisher else None
    authors = extract_authors(page, publisher=publisher, nlp=shared_nlp())
    headline = (metadata.headline if metadata and metadata.headline else None) or page.title or None
    published = page.date_published
    if metadata and metadata.published:
        published = metadata.published
    names = {e.key: e for e in authors.entities}
    if publisher_entity is not None and publisher_entity.key in names:
        names[publisher_entity.key].merge(publisher_entity)
    pub_names = ({publisher_entity.name} | publisher_entity.alternate_names) if publisher_entity else set()
    affs, seen = [], set()
    for a in authors.affiliations:
        if not a.current or (a.person_key, a.org_key) in seen:
            continue  # the graph states current affiliations, each pair once
        seen.add((a.person_key, a.org_key))
        org = names.get(a.org_key)
        org_names = ({org.name} | org.alternate_names) if org else set()
        if publisher_entity is not None and a.org_key == publisher_entity.key:
            org_names |= pub_names
        affs.append((names[a.person_key].name, org_names))
    return Structure(headline, publisher_entity.name if publisher_entity else None,
                     published.isoformat() if published else None,
                     [names[k].name for k in authors.author_keys], affs)


@dataclass
class Totals:
    headline: Accuracy = field(default_factory=Accuracy)
    publisher: Accuracy = field(default_factory=Accuracy)
    date: Accuracy = field(default_factory=Accuracy)
    authors: PRF = field(default_factory=PRF)
    affiliations: PRF = field(default_factory=PRF)

    def line(self) -> str:
        return (f"headline {self.headline.value:.3f} ({self.headline.correct}/{self.headline.total})  "
                f"publisher {self.publisher.value:.3f}  date {self.date.value:.3f}  "
                f"authors F1 {self.authors.f1:.3f} (P {self.authors.precision:.2f} R {self.authors.recall:.2f})  "
                f"affiliations F1 {self.affiliations.f1:.3f} (P {self.affiliations.precision:.2f} "
                f"R {self.affiliations.recall:.2f})")


def score(gold: GoldPage, got: Structure, totals: Totals) -> list[str]:
    errors: list[str] = []

    def single(label, want, have, same):
        ok = (have is None) if want is None else (have is not None and same(want, have))
        getattr(totals, label).add(ok)
        if not ok:
            errors.append(f"{label}: {have!r}, gold {want!r}")

    single("headline", gold.headline, got.headline, lambda g, p: norm(g) == norm(p))
    single("publisher", gold.publisher, got.publisher, lambda g, p: org_norm(g) == org_norm(p))
    single("date", gold.date, got.date, lambda g, p: g[:10] == p[:10])
    want = [a["name"] for a in gold.authors]
    taken: set[str] = set()
    matched: dict[str, str] = {}
    for name in got.authors:
        hit = next((g for g in want if g not in taken and norm(g) == norm(name)), None)
        if hit:
            taken.add(hit)
            matched[name] = hit
            totals.authors.tp += 1
        else:
            totals.authors.fp += 1
            errors.append(f"extra author: {name}")
    for g in want:
        if g not in taken:
            totals.authors.fn += 1
            errors.append(f"missing author: {g}")
    pairs = [(a["name"], aff["organization"]) for a in gold.authors for aff in a.get("affiliations") or []]
    used: set[int] = set()
    for person, orgs in got.affiliations:
        author = matched.get(person)
        hit = next((i for i, (ga, go) in enumerate(pairs) if i not in used and author == ga
                    and org_norm(go) in {org_norm(o) for o in orgs}), None)
        if hit is None:
            totals.affiliations.fp += 1
            errors.append(f"extra affiliation: {person} -> {sorted(orgs)}")
        else:
            used.add(hit)
            totals.affiliations.tp += 1
    for i, (ga, go) in enumerate(pairs):
        if i not in used:
            totals.affiliations.fn += 1
            errors.append(f"missing affiliation: {ga} -> {go}")
    return errors


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--split", default="dev", choices=("dev", "inhouse"))
    parser.add_argument("--corpus", type=Path, default=DEFAULT_CORPUS)
    parser.add_argument("--only", action="append", default=[])
    parser.add_argument("--details", action="store_true")
    parser.add_argument("--kind", choices=("text", "html"))
    args = parser.parse_args(argv)
    totals = {"all": Totals(), "text": Totals(), "html": Totals()}
    for gold in load_split(args.split, args.corpus):
        if args.only and not any(gold.id.startswith(o) for o in args.only):
            continue
        if args.kind and gold.kind != args.kind:
            continue
        try:
            got = page_structure(gold)
        except Exception as exc:  # noqa: BLE001 - a page the path rejects scores as empty
            got = Structure(None, None, None, [], [], [f"rejected: {exc}"])
        kind = "html" if gold.kind == "html" else "text"
        errors = score(gold, got, totals["all"]) + got.errors
        score(gold, got, totals[kind])
        if args.details and errors:
            print(f"{gold.id}:")
            print("\n".join("  " + e for e in errors))
    for name, t in totals.items():
        if t.headline.total:
            print(f"{name:5} {t.line()}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
