"""Split the gathered corpus by publisher into dev/ and test/, and write SOURCES.md.

    python scripts/corpus/split.py tests/corpus/staging tests/corpus

The split is decided by a hash, not by looking at pages: publishers are
ordered by sha256 of their lower-cased name and taken into the test split in
that order until it holds at least a third of the pages (and at least 15), so
no publisher has pages in both splits and nobody chooses which pages are
held out. Pages move with their gold file; SOURCES.md lists every page's
repository, path, commit, licence and original URL.
"""
from __future__ import annotations

import hashlib
import json
import shutil
import sys
from collections import defaultdict
from pathlib import Path


def publisher_order(publisher: str) -> str:
    return hashlib.sha256(publisher.strip().casefold().encode("utf-8")).hexdigest()


def choose_test_publishers(pages_by_publisher: dict[str, list[dict]], *, minimum: int = 15, share: float = 1 / 3) -> set[str]:
    total = sum(len(p) for p in pages_by_publisher.values())
    wanted = max(minimum, round(total * share))
    chosen: set[str] = set()
    count = 0
    for publisher in sorted(pages_by_publisher, key=publisher_order):
        if count >= wanted:
            break
        chosen.add(publisher)
        count += len(pages_by_publisher[publisher])
    return chosen


def sources_markdown(golds: list[tuple[str, dict]]) -> str:
    lines = [
        "# Where the corpus pages come from",
        "",
        "Every page is a file from a snapshot of a public repository (HTML byte for byte), or",
        "Chromium's innerText of one (`made with`: scripts/corpus/dump_text.py). None was written",
        "by the project. Licences are as the repository or the page states them.",
        "",
        "| split | id | kind | publisher | repository | path | commit | licence | original URL | made with |",
        "| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |",
    ]
    for split, g in sorted(golds, key=lambda sg: (sg[0], sg[1]["id"])):
        s = g.get("source", {})
        cells = [split, g["id"], g.get("kind", ""), g.get("publisher", ""), s.get("repo", ""), s.get("path", ""),
                 (s.get("commit") or "")[:12], s.get("licence", ""), s.get("url", "") or "", s.get("made_with", "") or ""]
        lines.append("| " + " | ".join(str(c).replace("|", "\\|").replace("\n", " ") for c in cells) + " |")
    return "\n".join(lines) + "\n"


def main(argv: list[str]) -> int:
    staging, corpus = Path(argv[0]), Path(argv[1])
    golds = []
    for path in sorted(staging.glob("*.json")):
        gold = json.loads(path.read_text(encoding="utf-8"))
        page = staging / gold["file"]
        if not page.exists():
            print(f"{path.name}: page {gold['file']} missing", file=sys.stderr)
            return 1
        golds.append((path, page, gold))
    by_publisher: dict[str, list[dict]] = defaultdict(list)
    for _, _, gold in golds:
        by_publisher[gold["publisher"]].append(gold)
    test_publishers = choose_test_publishers(by_publisher)
    placed = []
    for path, page, gold in golds:
        split = "test" if gold["publisher"] in test_publishers else "dev"
        (corpus / split).mkdir(parents=True, exist_ok=True)
        shutil.move(str(page), corpus / split / page.name)
        shutil.move(str(path), corpus / split / path.name)
        placed.append((split, gold))
    (corpus / "SOURCES.md").write_text(sources_markdown(placed), encoding="utf-8")
    for split in ("dev", "test"):
        pages = [g for s, g in placed if s == split]
        pubs = {g["publisher"] for g in pages}
        kinds = defaultdict(int)
        for g in pages:
            kinds[g.get("kind")] += 1
        print(f"{split}: {len(pages)} pages, {len(pubs)} publishers, {dict(kinds)}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
