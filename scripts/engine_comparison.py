"""One engine rules version against the next, trial by trial: do they find the same networks?

    python scripts/engine_comparison.py --new results                      # rules 4 against 5
    python scripts/engine_comparison.py --rules 3 --new <a rules-4 run>    # rules 3 against 4

A new rules version computes what the last one computed up to the order of floating-point sums
(rules 4: dead units dropped from retraining, Adam by torch's fused kernel; rules 5: the CPU
lanes' passes compiled), and those last-bit differences grow, over a search's hundreds of
retrainings, into different networks trial by trial. So the comparison is statistical, by the
rule issue 25 set in advance: for the validation, hierarchy and input_overlap experiments, the
structure_match rate of every cell (the trials that differ only by seed) and of each experiment
pooled must not differ by Fisher's exact test at 0.05, and each experiment's median density must
lie within 3% of the old one. Every cell is listed. `--old` holds the older rules' trials.csv
files (default docs/engine/rules{R}_trials: rules 3's from the study run of 2026-12-02, rules 4's
from that of 2026-12-07), `--new` a run of the next rules. Writes
docs/engine/rules{R+1}_comparison.md and .csv; exit 1 when the rule fails.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import pandas as pd

from neural_sculpting.foundations import atomic
from neural_sculpting.reproduction.verdicts import fisher_p

ROOT = Path(__file__).resolve().parents[1]
EXPERIMENTS = ("validation", "hierarchy", "input_overlap")
CELL = ["graph", "arch", "lr", "batch_size", "epochs", "mode"]
ALPHA = 0.05
DENSITY_TOLERANCE = 0.03


def trials(folder: Path, experiment: str) -> pd.DataFrame:
    path = folder / experiment / "trials.csv"
    if not path.is_file():
        sys.exit(f"engine_comparison: {path} is missing")
    table = pd.read_csv(path)
    table["structure_match"] = table["structure_match"].astype(str).str.lower() == "true"
    return table


def cells(old: pd.DataFrame, new: pd.DataFrame, experiment: str) -> pd.DataFrame:
    """One row per cell: trials, recovered and median density on each side, Fisher's p."""
    key_columns = [*CELL, "seed"]
    keys = old[key_columns].merge(new[key_columns], how="outer", indicator=True)
    unmatched = keys[keys["_merge"] != "both"]
    if len(unmatched):
        sys.exit(f"engine_comparison: {experiment}: {len(unmatched)} trials are on one side only")
    rows = []
    for key, a in old.groupby(CELL, sort=True):
        b = new.set_index(CELL).loc[key].reset_index()
        ours = (int(b["structure_match"].sum()), len(b))
        theirs = (int(a["structure_match"].sum()), len(a))
        rows.append(
            {"experiment": experiment, **dict(zip(CELL, key, strict=True)), "trials": len(a),
             "old_recovered": theirs[0], "new_recovered": ours[0],
             "fisher_p": fisher_p(ours, theirs),
             "old_median_density": float(a["density"].median()),
             "new_median_density": float(b["density"].median())}
        )  # fmt: skip
    return pd.DataFrame(rows)


def pooled(old: pd.DataFrame, new: pd.DataFrame, experiment: str) -> dict:
    ours = (int(new["structure_match"].sum()), len(new))
    theirs = (int(old["structure_match"].sum()), len(old))
    a, b = float(old["density"].median()), float(new["density"].median())
    return {
        "experiment": experiment, "trials": len(old), "old_recovered": theirs[0],
        "new_recovered": ours[0], "fisher_p": fisher_p(ours, theirs),
        "old_median_density": a, "new_median_density": b, "density_ratio": b / a,
    }  # fmt: skip


def report(per_cell: pd.DataFrame, pools: list[dict], rules: int) -> tuple[str, bool]:
    differ = per_cell[per_cell["fisher_p"] < ALPHA]
    pool_fail = [p for p in pools if p["fisher_p"] < ALPHA]
    density_fail = [p for p in pools if abs(p["density_ratio"] - 1) > DENSITY_TOLERANCE]
    ok = differ.empty and not pool_fail and not density_fail
    old, new = f"rules {rules}", f"rules {rules + 1}"
    lines = [
        f"# Engine {old} against {new}",
        "",
        f"Made by `python scripts/engine_comparison.py --rules {rules} --new results` ({old}'s",
        f"trials: docs/engine/rules{rules}_trials). The rule, set in advance by issue 25:",
        "Fisher's exact test at 0.05 on structure_match per cell and per experiment pooled, and",
        "each experiment's median density within 3%.",
        "",
        f"**Verdict: {'the engines agree' if ok else 'the engines differ'}.** "
        f"{len(per_cell)} cells, {len(differ)} with p < {ALPHA}; pooled: "
        + "; ".join(
            f"{p['experiment']} {p['new_recovered']}/{p['trials']} ({new}) against "
            f"{p['old_recovered']}/{p['trials']} ({old}), p = {p['fisher_p']:.2f}, median "
            f"density {p['new_median_density']:.4f} against {p['old_median_density']:.4f} "
            f"(ratio {p['density_ratio']:.3f})"
            for p in pools
        )
        + ".",
        "",
        f"| experiment | graph | arch | lr | batch | epochs | trials | recovered, {old} | "
        f"{new} | Fisher p | median density, {old} | {new} |",
        "|---|---|---|---|---|---|---|---|---|---|---|---|",
    ]
    for r in per_cell.itertuples():
        lines.append(
            f"| {r.experiment} | {r.graph} | {r.arch} | {r.lr} | {r.batch_size} | {r.epochs} | "
            f"{r.trials} | {r.old_recovered} | {r.new_recovered} | {r.fisher_p:.2f} | "
            f"{r.old_median_density:.4f} | {r.new_median_density:.4f} |"
        )
    return "\n".join(lines) + "\n", ok


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rules", type=int, default=4, help="the older rules version")
    parser.add_argument("--old", type=Path, help="default docs/engine/rules{R}_trials")
    parser.add_argument("--new", type=Path, default=ROOT / "results")
    parser.add_argument("--out", type=Path, default=ROOT / "docs" / "engine")
    parser.add_argument("--experiments", nargs="+", default=list(EXPERIMENTS))
    args = parser.parse_args(argv)
    if args.old is None:
        args.old = ROOT / "docs" / "engine" / f"rules{args.rules}_trials"
    per_cell, pools = [], []
    for experiment in args.experiments:
        old, new = trials(args.old, experiment), trials(args.new, experiment)
        per_cell.append(cells(old, new, experiment))
        pools.append(pooled(old, new, experiment))
    table = pd.concat(per_cell, ignore_index=True)
    text, ok = report(table, pools, args.rules)
    args.out.mkdir(parents=True, exist_ok=True)
    name = f"rules{args.rules + 1}_comparison"
    atomic.write_text(args.out / f"{name}.md", text)
    atomic.write_text(args.out / f"{name}.csv", table.to_csv(index=False))
    print(text.split("\n\n")[2])
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
