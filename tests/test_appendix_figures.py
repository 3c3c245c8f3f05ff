"""Figs. 38-40 on the authors' published networks (3 hidden layers of width 24): the drawing, and
the modularity metric against k whose edge values the separability tests exist for."""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd
import pytest
from test_structural_figures import DATA_DIR, write_trial

from neural_sculpting.analysis.trial import write_analysis
from neural_sculpting.figures.edge_cases import edge_case_figure
from neural_sculpting.study.hparams import DetectionSettings
from neural_sculpting.tasks.catalog import load_task


def trials_csv(tmp_path: Path, graph: str) -> Path:
    """The authors' four seeds of `graph` at 3 hidden layers of width 24, detected, as the rows
    of a trials.csv (what the drawings target reads)."""
    entries = [e for e in json.loads((DATA_DIR / f"{graph}.json").read_text())
               if len(e["arch"]) == 5 and e["arch"][1] == 24]  # fmt: skip
    assert len(entries) == 4, graph
    rows = []
    for entry in entries:
        folder = write_trial(tmp_path / graph / f"s{entry['seed']}", entry, "unit_edge")
        analysis = folder / "analysis"
        score = write_analysis(folder, analysis, load_task(graph), DetectionSettings())
        rows.append({"graph": graph, "depth": 3, "width": 24, "seed": entry["seed"],
                     "trial_dir": str(folder), "analysis_dir": str(analysis),
                     "structure_match": score.structure_match})  # fmt: skip
    path = tmp_path / f"{graph}_trials.csv"
    pd.DataFrame(rows).to_csv(path, index=False)
    return path


@pytest.mark.parametrize(
    ("target", "graph"), [("fig38", "reused"), ("fig39", "separable_reused"),
                          ("fig40", "non_modular")]
)  # fmt: skip
def test_edge_case_figures_show_m_from_one_cluster_to_all_separate(tmp_path, target, graph):
    metrics = edge_case_figure(target, trials_csv(tmp_path, graph), tmp_path / "out")
    for _, layer in metrics.groupby("layer"):
        n = int(layer["n_units"].iloc[0])
        assert list(layer["k"]) == list(range(1, n + 1))
        # The paper's two facts: M is 0 for one cluster and never positive for all separate.
        assert layer[layer["k"] == 1]["M"].iloc[0] == 0.0
        assert layer[layer["k"] == n]["M"].iloc[0] <= 1e-12
        assert 1 <= int(layer["chosen_k"].iloc[0]) <= n
    out = tmp_path / "out"
    assert (out / f"{target}.png").read_bytes().startswith(b"\x89PNG")
    assert list(pd.read_csv(out / f"{target}.csv").columns) == [
        "layer",
        "n_units",
        "k",
        "M",
        "best_k",
        "chosen_k",
        "used_tests",
        "trial_dir",
    ]
    assert "of 4)" in (out / f"{target}.txt").read_text()  # the share of the cell it stands for
