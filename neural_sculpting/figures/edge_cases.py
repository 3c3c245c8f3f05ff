"""Figures 38-40 (Appendix I.2): why the separability tests exist.

For a network with 3 hidden layers of width 24 (the validation experiment's), first row: the
network drawn with its detected modules beside its function graph; second row: the modularity
metric M against the number of clusters k for every non-output layer, with the threshold the
rule compares the best M with, the k of lowest M and the k finally chosen (after the
separability tests where they were consulted). The network is the one the drawings target picks
for that cell: the most common detected structure among its seeds, the first such seed.
"""

from __future__ import annotations

import json
import tempfile
from pathlib import Path

import matplotlib

from neural_sculpting.foundations.errors import SculptError

matplotlib.use("Agg")

import matplotlib.image as mpimg
import matplotlib.pyplot as plt
import numpy as np
import pandas as pd

from neural_sculpting.analysis.alive_units import (
    alive_submasks,
    as_bool_masks,
    reachability_from_submasks,
    remove_dead_units,
)
from neural_sculpting.analysis.modularity import (
    cosine_distance_matrix,
    modularity_metric,
)
from neural_sculpting.analysis.module_detection import ModuleDetection
from neural_sculpting.analysis.trial import load_selected, representative_trial
from neural_sculpting.figures.rates import save_figure
from neural_sculpting.figures.success_captions import figure_path, write_caption
from neural_sculpting.figures.trial_drawing import draw_trial
from neural_sculpting.foundations import paths
from neural_sculpting.study import catalogue
from neural_sculpting.tasks.catalog import load_task

DEPTH, WIDTH = len(catalogue.EDGE_CASE_HIDDEN), catalogue.EDGE_CASE_HIDDEN[0]
PAPER_FIGURE = {"fig38": "Figure 38", "fig39": "Figure 39", "fig40": "Figure 40"}


class EdgeCaseError(SculptError):
    """A trials table without the cell the figure shows."""


def _cell(table: pd.DataFrame, graph: str) -> pd.DataFrame:
    cell = table[(table["graph"] == graph) & (table["depth"] == DEPTH)
                 & (table["width"].astype(str) == str(WIDTH))]  # fmt: skip
    if cell.empty:
        raise EdgeCaseError(f"no trial of {graph} with {DEPTH} hidden layers of width {WIDTH}")
    return cell


def edge_values(masks) -> dict[int, tuple[float, float]]:
    """Per non-output layer with at least two alive units, M at k = 1 (0 by definition) and at
    k = n (every unit alone), which the rule never compares: the reason for the tests."""
    bool_masks = as_bool_masks(masks)
    alive_idx = [np.asarray(a, dtype=int) for a in remove_dead_units(bool_masks)]
    sub = alive_submasks(bool_masks, alive_idx)
    values = {}
    for layer in range(len(bool_masks)):
        features = reachability_from_submasks(sub, layer) != 0
        n = features.shape[0]
        if n >= 2:
            distances = cosine_distance_matrix(features)
            values[layer] = (0.0, modularity_metric(distances, list(range(n))))
    return values


def layer_metrics(detection: ModuleDetection, edges: dict[int, tuple[float, float]]):
    """One row per (layer, k = 1..n): M, and the layer's best k among 2..n-1 (lowest M), the
    chosen k and whether the tests were consulted."""
    rows = []
    for entry in detection.per_layer:
        if entry.layer not in edges:
            continue
        one, alone = edges[entry.layer]
        ks = (1, *entry.ks, entry.n_units)
        for k, metric in zip(ks, (one, *entry.metrics, alone), strict=True):
            rows.append({"layer": entry.layer, "n_units": entry.n_units, "k": k, "M": metric,
                         "best_k": entry.best_k, "chosen_k": entry.chosen_k,
                         "used_tests": entry.used_tests})  # fmt: skip
    return pd.DataFrame(rows)


def _plot_layer(ax, layer: pd.DataFrame, threshold: float) -> None:
    first = layer.iloc[0]
    ax.plot(layer["k"], layer["M"], marker="o", color="#1f77b4", label="M")
    ax.axhline(threshold, color="grey", linestyle="--", linewidth=1, label=f"M = {threshold:g}")
    if pd.notna(first["best_k"]):
        best = layer[layer["k"] == first["best_k"]]
        label = f"lowest M, k = 2..n-1: {int(first['best_k'])}"
        ax.plot(best["k"], best["M"], marker="*", markersize=14, color="#d62728",
                linestyle="none", label=label)  # fmt: skip
    chosen = layer[layer["k"] == first["chosen_k"]]
    ax.plot(chosen["k"], chosen["M"], marker="D", markersize=9, markerfacecolor="none",
            markeredgecolor="#2ca02c", markeredgewidth=2, linestyle="none",
            label=f"chosen: k = {int(first['chosen_k'])}")  # fmt: skip
    tests = ", tests consulted" if first["used_tests"] else ""
    ax.set_title(f"layer {int(first['layer'])}: {int(first['n_units'])} alive units{tests}",
                 fontsize=9)  # fmt: skip
    ax.set_xticks(list(layer["k"]))
    ax.set_xlabel("clusters k")
    ax.set_ylabel("modularity metric M")
    ax.legend(fontsize=7, loc="best")


def edge_case_figure(target: str, trials_csv: Path, out_dir: Path, name: str | None = None):
    """Write `<name>.png/.pdf/.csv` and its caption for fig38, fig39 or fig40."""
    name = name or target
    graph_name = catalogue.figure(target).graph
    task = load_task(graph_name)
    table = pd.read_csv(trials_csv)
    row, share, compared = representative_trial(_cell(table, graph_name).to_dict("records"), task)
    trial_dir, analysis_dir = Path(row["trial_dir"]), Path(row["analysis_dir"])
    stored = json.loads(paths.modules_file(analysis_dir).read_text())
    detection = ModuleDetection.from_json(stored["detection"])
    threshold = float(stored["modularity_threshold"])
    with tempfile.TemporaryDirectory() as tmp:
        drawing = Path(tmp) / "network.png"
        draw_trial(trial_dir, analysis_dir, task, drawing, with_graph=True)
        image = mpimg.imread(drawing)
    masks, _, _ = load_selected(trial_dir)
    metrics = layer_metrics(detection, edge_values(masks))
    layers = [group for _, group in metrics.groupby("layer", sort=True)]
    fig = plt.figure(figsize=(max(12, 4 * len(layers)), 10), layout="constrained")
    grid = fig.add_gridspec(2, max(1, len(layers)), height_ratios=(2.2, 1))
    top = fig.add_subplot(grid[0, :])
    top.imshow(image)
    top.set_axis_off()
    for column, layer in enumerate(layers):
        _plot_layer(fig.add_subplot(grid[1, column]), layer, threshold)
    fig.suptitle(f"{PAPER_FIGURE[target]}: {graph_name}, {DEPTH} hidden layers of width {WIDTH}")
    save_figure(fig, figure_path(out_dir, name), metrics.assign(trial_dir=str(trial_dir)))
    write_caption(
        out_dir,
        name,
        [
            f"{PAPER_FIGURE[target]} (paper Appendix I.2): row 1, the function graph of "
            f"{graph_name} and the modules detected in a network with {DEPTH} hidden layers of "
            f"width {WIDTH}; row 2, the modularity metric M against the number of clusters k "
            "for each layer with at least two alive units (input layer first, k = 1..n), the "
            f"dashed line at the threshold {threshold:g} above which the best M hands the "
            "choice to the separability tests, the star at the lowest M among k = 2..n-1 (the "
            "values the rule compares), the diamond at the k finally chosen; a title says "
            "where the tests were consulted. M is 0 at k = 1 and never positive at k = n "
            "whatever the network, so M cannot choose those two: the tests decide them.",
            f"The network: {trial_dir} (seed {row['seed']}), whose detected structure is the "
            f"most common among the cell's trials ({share} of {compared}); structure recovered: "
            f"{row['structure_match']}.",
        ],
    )
    return metrics
