"""The authors' published data as the report reads it: their networks' scores by this project's
rule (docs/authors_networks_scores.md) and their networks' densities."""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd

from neural_sculpting.study.catalogue import VALIDATION_GRAPHS


def read_authors_scores(path: Path) -> dict[tuple[str, int], tuple[int, int]]:
    """(task, hidden layers) -> (structure recovered, trials), read from the table of
    docs/authors_networks_scores.md."""
    scores = {}
    if not path.is_file():
        return scores
    for line in path.read_text().splitlines():
        cells = [c.strip() for c in line.strip("|").split("|")]
        if len(cells) == 9 and cells[1].isdigit():
            scores[cells[0], int(cells[1])] = (int(cells[6]), int(cells[2]))
    return scores


def read_authors_density(authors_dir: Path | None) -> dict[tuple[str, int], float]:
    """Median density of the authors' networks at widths 24-48, per (task, hidden layers)."""
    if authors_dir is None or not authors_dir.is_dir():
        return {}
    rows = []
    for task in VALIDATION_GRAPHS:
        path = authors_dir / f"{task}.json"
        if not path.is_file():
            continue
        for trial in json.loads(path.read_text()):
            if trial["arch"][1] in (24, 36, 48):
                rows.append((path.stem, len(trial["arch"]) - 2, trial["density"]))
    table = pd.DataFrame(rows, columns=["graph", "depth", "density"])
    return {k: float(v) for k, v in table.groupby(["graph", "depth"])["density"].median().items()}
