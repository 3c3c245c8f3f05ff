"""Compare this run's validation experiment with the paper and the authors' published networks.

    .venv/bin/snakemake fig7 --cores 2                 # the validation experiment (144 trials)
    .venv/bin/python scripts/compare_with_paper.py     # prints the comparison as markdown

Rows: (1) structure recovered per graph and depth, ours against the authors' 160 networks scored
by the same rule (docs/authors_networks_scores.md); (2) median density of the selected networks
against the density of the authors' stored networks (widths 24-48); (3) Tables 2-3 of the paper,
whose width-24 cells at the published (lr, batch) settings are the same trials as ours at width
24.
"""

from __future__ import annotations

import argparse
from pathlib import Path

import pandas as pd

from neural_sculpting.foundations import paths
from neural_sculpting.reproduction.authors import read_authors_density, read_authors_scores
from neural_sculpting.study.catalogue import VALIDATION_GRAPHS as TASKS

# Paper Tables 2-3, width 24, at the (lr, batch) this study uses for width 24 (paper_hparams.csv).
PAPER_TABLES = {
    "input_separable": ("lr 0.05, batch 8", (1.0, 1.0, 1.0)),
    "reused": ("lr 0.1, batch 8", (1.0, 1.0, 1.0)),
    "separable_reused": ("lr 0.05, batch 32", (1.0, 1.0, 1.0)),
    "non_modular": ("lr 0.1 / 0.05 / 0.1, batch 8", (1.0, 1.0, 1.0)),
}


def fraction(rows: pd.DataFrame) -> str:
    scored = rows[rows["structure_match"].notna()]
    text = f"{int(scored['structure_match'].astype(bool).sum())}/{len(scored)}"
    untrainable = int((rows["trainable"] == False).sum())  # noqa: E712
    return text + (f" (+{untrainable} untrainable)" if untrainable else "")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--trials", type=Path, default=Path("results/validation/trials.csv"))
    args = parser.parse_args(argv)
    table = pd.read_csv(args.trials)
    density = read_authors_density(paths.authors_networks_dir())
    scores = read_authors_scores(paths.authors_scores_md())
    columns = (
        "graph", "hidden layers", "structure: ours", "structure: authors' networks",
        "density: ours", "density: authors'", "paper Table 2-3 (width 24)", "ours, width 24",
    )  # fmt: skip
    print("| " + " | ".join(columns) + " |")
    print("|---|---|---|---|---|---|---|---|")
    for task in TASKS:
        setting, paper = PAPER_TABLES[task]
        for depth in (1, 2, 3):
            rows = table[(table["graph"] == task) & (table["depth"] == depth)]
            narrow = rows[rows["width"].astype(str) == "24"]
            theirs = "/".join(map(str, scores[task, depth]))
            print(
                f"| {task} | {depth} | {fraction(rows)} | {theirs} "
                f"| {100 * rows['density'].median():.2f}% | {100 * density[task, depth]:.2f}% "
                f"| {paper[depth - 1]:.2f} ({setting}) | {fraction(narrow)} |"
            )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
