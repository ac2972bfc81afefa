"""Train the line-role labeller (src/claimgraph/parse/line_roles.py) from the dev gold, or
measure how it generalises with leave-one-publisher-out cross-validation.

    .venv/bin/python scripts/train_line_roles.py            # writes src/claimgraph/data/line_roles.crfsuite
    .venv/bin/python scripts/train_line_roles.py --cv       # per-field figures over held-out publishers:
                                                            # rules alone, the labeller alone, both

Only the dev split's text pages train it (their line labels derived from the gold by
`line_roles.derive_roles`); the val and test splits are never read. Training is
deterministic: pages in name order, L-BFGS with fixed parameters.
"""
from __future__ import annotations

import argparse
import json
import sys
import tempfile
from pathlib import Path

import pycrfsuite

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "scripts"))

from claimgraph.evaluate import DEFAULT_CORPUS, load_split  # noqa: E402
from claimgraph.parse import line_roles  # noqa: E402
from claimgraph.parse.text_page import page_units, rules_title  # noqa: E402

PARAMS = {"c1": 0.05, "c2": 0.05, "max_iterations": 150, "feature.possible_transitions": True}


def page_sequences(pages, use_rules: bool):
    """(features, labels) of each text page."""
    out = []
    for gold in pages:
        text, units = page_units(gold.page.read_text(encoding="utf-8"))
        title_index = rules_title(units)[0]
        view = line_roles.page_view(units, title_index)
        feats = line_roles.unit_features(units, view, use_rules)
        raw = json.loads(gold.page.with_suffix(".json").read_text(encoding="utf-8"))
        out.append((feats, line_roles.derive_roles(units, raw)))
    return out


def train(sequences, path: Path) -> None:
    trainer = pycrfsuite.Trainer(verbose=False)
    for feats, labels in sequences:
        trainer.append(feats, labels)
    trainer.set_params(PARAMS)
    trainer.train(str(path))


def open_tagger(path: Path):
    tagger = pycrfsuite.Tagger()
    tagger.open(str(path))
    return tagger


def text_pages(corpus: Path):
    return [g for g in load_split("dev", corpus) if g.kind == "text"]


def publisher_of(gold) -> str:
    return json.loads(gold.page.with_suffix(".json").read_text(encoding="utf-8"))["publisher"]


def cross_validate(corpus: Path, details: bool, modes: tuple[str, ...] = ("rules", "model", "combined")) -> None:
    from structure_score import Totals, page_structure, score

    pages = text_pages(corpus)
    publishers = sorted({publisher_of(g) for g in pages})
    with_rules = dict(zip([g.id for g in pages], page_sequences(pages, True)))
    without = dict(zip([g.id for g in pages], page_sequences(pages, False)))
    totals = {mode: Totals() for mode in modes}
    with tempfile.TemporaryDirectory() as tmp:
        for k, publisher in enumerate(publishers):
            held = [g for g in pages if publisher_of(g) == publisher]
            rest = [g for g in pages if publisher_of(g) != publisher]
            combined_path, model_path = Path(tmp) / f"c{k}", Path(tmp) / f"m{k}"
            taggers = {}
            if "combined" in modes:
                train([with_rules[g.id] for g in rest], combined_path)
                taggers["combined"] = open_tagger(combined_path)
            if "model" in modes:
                train([without[g.id] for g in rest], model_path)
                taggers["model"] = open_tagger(model_path)
            taggers = {m: taggers.get(m) for m in modes}
            for gold in held:
                for mode, tagger in taggers.items():
                    with line_roles.model_override(tagger, mode=mode):
                        errors = score(gold, page_structure(gold), totals[mode])
                    if details and errors:
                        print(f"[{mode}] {gold.id}: " + "; ".join(errors))
    print(f"leave-one-publisher-out over {len(pages)} dev text pages ({len(publishers)} publishers):")
    for mode, t in totals.items():
        print(f"  {mode:9} {t.line()}")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--cv", action="store_true", help="leave-one-publisher-out cross-validation instead of training")
    parser.add_argument("--details", action="store_true", help="with --cv: every miss per held-out page")
    parser.add_argument("--modes", default="rules,model,combined", help="with --cv: which of rules,model,combined")
    parser.add_argument("--corpus", type=Path, default=DEFAULT_CORPUS)
    parser.add_argument("--out", type=Path, default=line_roles.MODEL_PATH)
    parser.add_argument("--mode", choices=("combined", "model"), default="combined",
                        help="train with the rules' reading of each line as features (combined) or without (model)")
    args = parser.parse_args(argv)
    if args.cv:
        cross_validate(args.corpus, args.details, tuple(args.modes.split(",")))
        return 0
    pages = text_pages(args.corpus)
    train(page_sequences(pages, args.mode == "combined"), args.out)
    args.out.with_suffix(".json").write_text(json.dumps(
        {"mode": args.mode, "trained_on": f"{len(pages)} dev text pages", "params": PARAMS}, indent=1) + "\n",
        encoding="utf-8")
    print(f"trained ({args.mode}) on {len(pages)} dev text pages: {args.out} ({args.out.stat().st_size} bytes)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
