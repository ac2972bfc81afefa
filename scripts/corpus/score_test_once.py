"""Score the test split once and keep that first output (tests/corpus/FIRST_RUN_test_round<N>.txt).

    .venv/bin/python scripts/corpus/score_test_once.py

The test split is read by nobody who tunes the extraction; its figures count only
the first time they are taken, so this script refuses to run when the round's file
is already there. After a round's scoring its pages join dev (they are spent) and a
fresh test split is gathered from publishers no split holds: round 2's pages are in
dev now and FIRST_RUN_test_round2.txt keeps what they scored. One run scores two readings of text pages, as issue 9 asks the
line-role labeller to be decided on the test figures: the shipped one (the
labeller with the rules as its features) and the rules alone (labeller off).
Every miss is printed (--details) for the next round of work; reading them does
not make the figures above them less of a first run.
"""
from __future__ import annotations

import contextlib
import io
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
ROUND = 3  # raise when a scored test split has joined dev and a fresh one is gathered
OUT = ROOT / "tests" / "corpus" / f"FIRST_RUN_test_round{ROUND}.txt"


def scored(mode: str | None) -> str:
    from claimgraph import evaluate
    from claimgraph.parse import line_roles

    buffer = io.StringIO()
    override = line_roles.model_override(None, mode=mode) if mode else contextlib.nullcontext()
    with override, contextlib.redirect_stdout(buffer):
        evaluate.main(["--split", "test", "--details"])
    return buffer.getvalue()


def main() -> int:
    if OUT.exists():
        print(f"{OUT.relative_to(ROOT)} exists: the test split has been scored; it is scored once", file=sys.stderr)
        return 1
    commit = subprocess.run(["git", "-C", str(ROOT), "rev-parse", "--short", "HEAD"],
                            capture_output=True, text=True).stdout.strip()
    parts = [f"# The test split of round {ROUND}, scored once (main {commit}):\n"
             "#   .venv/bin/python scripts/corpus/score_test_once.py\n"
             "# 1. As shipped: the rules alone (CLAIMGRAPH_LINE_LABELLER off, the default).\n",
             scored("rules"),
             "\n# 2. The same pages, same run, with the labeller on (CLAIMGRAPH_LINE_LABELLER=true):\n",
             scored("combined")]
    OUT.write_text("".join(parts), encoding="utf-8")
    print(OUT.read_text(encoding="utf-8"))
    return 0


if __name__ == "__main__":
    sys.exit(main())
