"""The analysis stage on hand-written trial folders: which trials are scored, and the table row."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
import torch

from neural_sculpting.analysis.module_detection import DetectionSettings
from neural_sculpting.analysis.trial import analyse_trial
from neural_sculpting.figures.tables import trial_row
from neural_sculpting.store import arrays
from neural_sculpting.store.checkpoint import file_sha256
from neural_sculpting.store.records import Selection
from neural_sculpting.tasks.function_graph import load_graph

# input_separable as two chains: {x0,x1} -> h0 -> {y0,y1}, {x2,x3} -> h1 -> {y2,y3}.
MASKS = [np.array([[1, 1, 0, 0], [0, 0, 1, 1]]), np.array([[1, 0], [1, 0], [0, 1], [0, 1]])]


def write_trial(folder: Path, trainable: bool, pruned: bool) -> Path:
    folder.mkdir(parents=True)
    masks = [torch.as_tensor(m, dtype=torch.bool)[None] for m in MASKS]
    model = {
        "weights": [m.float() for m in masks],
        "weight_masks": masks,
        "biases": [torch.zeros(1, m.shape[1]) for m in masks],
        "bias_masks": [torch.ones(1, m.shape[1], dtype=torch.bool) for m in masks],
    }
    torch.save({"format": 1, "stage": "selected", "model": model}, folder / "selected.pt")
    digest = arrays.save_selected(folder, arrays.SelectedArrays(
        [m.astype(bool) for m in MASKS], [m.astype(np.float32) for m in MASKS]
    ))  # fmt: skip
    result = Selection(
        graph="input_separable", seed=0, mode="grid", arch="4-2-4", accuracy_measure="per_bit",
        dense_val_accuracy=100.0 if trainable else 93.75, dense_reached_threshold=trainable,
        pruned=pruned, chosen={"pu": 50.0, "pe": 2.5} if pruned else None,
        density=8 / 16, val_accuracy=100.0, meets_threshold=True,
    ).to_json()  # fmt: skip
    config = {"training": {"lr": 0.05, "batch_size": 8, "epochs": 10}}
    record = {"result": result, "config": config, "pt_sha256": file_sha256(folder / "selected.pt"),
              "npz_sha256": digest}  # fmt: skip
    (folder / "selected.json").write_text(json.dumps(record))
    return folder


@pytest.mark.parametrize(
    ("trainable", "pruned", "scored"),
    [(True, True, True), (False, True, True), (False, False, False)],
)
def test_trials_pruned_anyway_are_scored_and_untrainable_ones_are_not(
    tmp_path, trainable, pruned, scored
):
    folder = write_trial(tmp_path / "trial", trainable, pruned)
    detection, score = analyse_trial(folder, load_graph("input_separable"), DetectionSettings())
    assert (detection is not None) is scored
    assert score.trainable is scored
    assert score.density == 8 / 16
    if scored:
        assert score.structure_match is True and score.n_modules == 2
    else:
        assert score.structure_match is None
    row = trial_row(folder / "selected.json", None)
    assert row["trainable"] is scored
    assert row["dense_val_accuracy"] == (100.0 if trainable else 93.75)


def test_the_tied_lanes_are_the_fewest_weights_among_those_keeping_the_threshold():
    from neural_sculpting.analysis.ties import tied_lanes

    lanes = [{"kept_weights": k, "val_accuracy": a}
             for k, a in ((10, 100.0), (8, 90.0), (10, 100.0), (12, 100.0))]  # fmt: skip
    assert tied_lanes(lanes, 100.0) == [0, 2]  # 8 weights missed the threshold
    # None keeps the threshold: the fewest weights of all, as the selection rule falls back.
    lanes = [{"kept_weights": k, "val_accuracy": a} for k, a in ((5, 90.0), (3, 80.0), (3, None))]
    assert tied_lanes(lanes, 100.0) == [1, 2]


def test_a_grid_trial_reports_its_ties(tmp_path):
    """A real 2 x 2 grid: the selected lane is among the tied ones, and the tied lanes that
    recover are counted by detecting each (brute force here on the edge stage's file)."""
    from neural_sculpting.analysis.trial import write_analysis
    from neural_sculpting.engine.search import Search
    from neural_sculpting.engine.settings import SearchSettings, SearchTrial
    from neural_sculpting.study.hparams import SearchHparams, TrainingHparams

    out = tmp_path / "trial"
    grid = SearchHparams(pu_values=(50.0, 70.0), pe_values=(2.0, 2.5))
    Search([SearchTrial("input_separable", 0, out)],
           SearchSettings((24,), TrainingHparams(0.05, 8, 15), search=grid)).run()  # fmt: skip
    graph = load_graph("input_separable")
    score = write_analysis(out, out, graph, DetectionSettings())
    edges = json.loads((out / "edges.json").read_text())["lanes"]
    good = [lane for lane in edges if lane["val_accuracy"] >= 100.0]
    fewest = min(lane["kept_weights"] for lane in good)
    assert score.tied_lanes == sum(lane["kept_weights"] == fewest for lane in good) >= 1
    # The tied lanes detected one by one from the edge stage's own tensors (detection reads the
    # copies the search stored in selected.npz).
    from neural_sculpting.analysis.module_detection import detect_modules
    from neural_sculpting.analysis.scoring import score_modules
    from neural_sculpting.tasks.catalog import expected_structure

    masks = torch.load(out / "edges.pt", weights_only=True)["model"]["weight_masks"]
    expected = expected_structure(graph, hidden_layers=1)
    recovered = 0
    for i, lane in enumerate(edges):
        if lane["val_accuracy"] >= 100.0 and lane["kept_weights"] == fewest:
            lane_masks = [m[i].numpy().astype(bool) for m in masks]
            labels = detect_modules(lane_masks, DetectionSettings()).module_labels
            recovered += bool(score_modules(lane_masks, labels, expected).structure_match)
    assert score.tied_lanes_recovered == recovered
    if score.structure_match:
        assert score.tied_lanes_recovered >= 1
