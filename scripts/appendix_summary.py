"""Summarise Tables 2 and 3 of a run against the paper, per graph and depth (docs/appendix).

    .venv/bin/python scripts/appendix_summary.py results/figures
    .venv/bin/python scripts/appendix_summary.py results/figures --before docs/appendix

Reads `table2.csv` and `table3.csv` of the folder (the `table2`/`table3` targets' tidy tables)
and prints, per graph and number of hidden layers: the settings, how many are untrainable (X)
here, in the paper and in both; among the settings trained in both, in how many the paper's
printed rate lies inside our 95% Wilson interval and in how many Fisher's exact test tells our
seeds from the paper's rate (read as a count of as many trials as ours) at 0.05; and the mean
rate over those settings, ours and the paper's. With `--before`, a second table: per graph and
depth, the settings whose successes or trainability differ between the two runs' tables.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import pandas as pd
from scipy.stats import fisher_exact

TABLES = ("table2.csv", "table3.csv")
SETTING = ["graph", "depth", "lr", "batch_size"]


def read_tables(folder: Path) -> pd.DataFrame:
    missing = [name for name in TABLES if not (folder / name).is_file()]
    if missing:
        raise SystemExit(f"appendix_summary: {folder} has no {', '.join(missing)}")
    rows = pd.concat([pd.read_csv(folder / name) for name in TABLES], ignore_index=True)
    for column in ("untrainable", "paper_untrainable"):
        rows[column] = rows[column].astype(str).str.lower() == "true"
    return rows


def fisher_differs(successes: int, trials: int, paper_rate: float) -> bool:
    theirs = round(paper_rate * trials)
    table = [[successes, trials - successes], [theirs, trials - theirs]]
    return bool(fisher_exact(table).pvalue < 0.05)


def summary(rows: pd.DataFrame) -> pd.DataFrame:
    out = []
    for (graph, depth), part in rows.groupby(["graph", "depth"], sort=False):
        both = part[~part["untrainable"] & ~part["paper_untrainable"]]
        paper = both["paper_rate"]
        inside = (both["rate_low"] <= paper) & (paper <= both["rate_high"])
        differ = [
            fisher_differs(int(r.successes), int(r.trials), float(r.paper_rate))
            for r in both.itertuples()
        ]
        out.append({
            "graph": graph,
            "hidden layers": depth,
            "settings": len(part),
            "X here": int(part["untrainable"].sum()),
            "X in the paper": int(part["paper_untrainable"].sum()),
            "X in both": int((part["untrainable"] & part["paper_untrainable"]).sum()),
            "paper's rate inside our interval": f"{int(inside.sum())} of {len(both)}",
            "Fisher p < 0.05": sum(differ),
            "mean rate: ours": round(float(both["rate"].mean()), 2),
            "mean rate: paper": round(float(both["paper_rate"].mean()), 2),
        })  # fmt: skip
    return pd.DataFrame(out)


def changes(new: pd.DataFrame, old: pd.DataFrame) -> pd.DataFrame:
    joined = new.merge(old, on=SETTING, suffixes=("", "_before"), validate="one_to_one")
    if len(joined) != len(new) or len(joined) != len(old):
        raise SystemExit("appendix_summary: the two runs do not have the same settings")
    joined["changed"] = (joined["successes"] != joined["successes_before"]) | (
        joined["untrainable"] != joined["untrainable_before"]
    )
    out = []
    for (graph, depth), part in joined.groupby(["graph", "depth"], sort=False):
        trained = part[~part["untrainable"]]
        out.append({
            "graph": graph,
            "hidden layers": depth,
            "settings": len(part),
            "settings changed": int(part["changed"].sum()),
            "successes: this run": int(trained["successes"].sum()),
            "successes: before": int(
                part.loc[~part["untrainable_before"], "successes_before"].sum()
            ),
            "untrainable: this run / before": f"{int(part['untrainable'].sum())} / "
                                              f"{int(part['untrainable_before'].sum())}",
        })  # fmt: skip
    return pd.DataFrame(out)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("folder", type=Path, help="the folder holding table2.csv and table3.csv")
    parser.add_argument("--before", type=Path, help="an earlier run's folder, to list changes")
    args = parser.parse_args(argv)
    rows = read_tables(args.folder)
    print(summary(rows).to_markdown(index=False))
    untrainable = rows["untrainable"] & rows["paper_untrainable"]
    print(
        f"\nX here: {int(rows['untrainable'].sum())}, in the paper: "
        f"{int(rows['paper_untrainable'].sum())}, the same settings: {int(untrainable.sum())}"
    )
    if args.before is not None:
        print()
        print(changes(rows, read_tables(args.before)).to_markdown(index=False))
    return 0


if __name__ == "__main__":
    sys.exit(main())
