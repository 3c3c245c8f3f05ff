"""The authors' published data as the report reads it: their networks' scores by this project's
rule (docs/authors_networks_scores.md) and their networks' densities; and their networks one by
one (`authors_networks`), for the scripts that score them."""

from __future__ import annotations

import json
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from neural_sculpting.study.catalogue import VALIDATION_GRAPHS
from neural_sculpting.study.hparams import DetectionSettings
from neural_sculpting.tasks.function_graph import load_graph
from neural_sculpting.tasks.hierarchy import TaskHierarchy, task_hierarchy


@dataclass(frozen=True)
class AuthorsNetwork:
    """One published network: its masks ([out, in] per layer), the detection thresholds the
    authors stored with it, the task's structure at its depth, and the stored record."""

    task: str
    depth: int
    arch: str
    seed: int
    density: float
    masks: list[np.ndarray]
    settings: DetectionSettings
    expected: TaskHierarchy
    record: dict[str, Any]


def authors_networks(
    authors_dir: Path, tasks: Sequence[str] = VALIDATION_GRAPHS
) -> Iterator[AuthorsNetwork]:
    """The published networks of `tasks`, in their files' order."""
    for task in tasks:
        graph = load_graph(task)
        for trial in json.loads((Path(authors_dir) / f"{task}.json").read_text()):
            depth = len(trial["arch"]) - 2
            stored = trial["detection_settings"]
            yield AuthorsNetwork(
                task=task,
                depth=depth,
                arch="-".join(map(str, trial["arch"])),
                seed=int(trial["seed"]),
                density=float(trial["density"]),
                masks=[np.array(m) for m in trial["masks"]],
                # The authors store the modularity threshold as 0.2 for the rule "M > -0.2".
                settings=DetectionSettings(
                    -stored["mm_threshold"], stored["cluster_merging_threshold"]
                ),
                expected=task_hierarchy(graph, depth),
                record=trial,
            )


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
