"""Table 4 (Appendix I.1): exact structure recovered under each clustering choice.

On the selected networks of the validation experiment, module detection is run again with every
combination of the paper's Table 4: linkage and distance (complete, single and average linkage
on Jaccard, cosine and Euclidean distances; ward linkage on Euclidean distances) times the
criterion that picks each layer's number of clusters among k = 2..n-1 (the modified modularity
metric, the silhouette index, the Calinski-Harabasz and the Davies-Bouldin index; see
`analysis.unit_clustering.Clustering` for how each chooses and when it hands over to the
separability tests, which decide k = 1 and k = n). Each detection is scored against the task's
structure (`structure_match`). The detection thresholds are the defaults (the validation
experiment's); the default combination (average, cosine, modularity) is the pipeline's own
detection, so its row equals the experiment's `trials.csv`.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from pathlib import Path

import numpy as np
import pandas as pd

from neural_sculpting.analysis.module_detection import detect_modules
from neural_sculpting.analysis.scoring import score_modules
from neural_sculpting.analysis.trial import load_selected_arrays
from neural_sculpting.analysis.unit_clustering import CRITERIA, Clustering
from neural_sculpting.figures.rates import save_figure, wilson_interval
from neural_sculpting.figures.success_captions import figure_path, write_caption
from neural_sculpting.study.hparams import DetectionSettings
from neural_sculpting.tasks.catalog import expected_structure, load_task

# Table 4's rows, in the paper's order.
LINKAGE_DISTANCE = (
    *((linkage, distance) for distance in ("jaccard", "cosine", "euclidean")
      for linkage in ("complete", "single", "average")),
    ("ward", "euclidean"),
)  # fmt: skip
CHOICES = tuple(
    Clustering(link, dist, crit) for link, dist in LINKAGE_DISTANCE for crit in CRITERIA
)
CRITERION_LABELS = {
    "modularity": "modularity metric",
    "silhouette": "silhouette index",
    "calinski_harabasz": "CH index",
    "davies_bouldin": "DB index",
}
# The paper's Table 4 (its "feature vector step size s = L" block, the only one it prints): the
# same rate in every row, per criterion.
PAPER_RATES = {"modularity": 0.99, "silhouette": 0.99, "calinski_harabasz": 0.49,
               "davies_bouldin": 0.49}  # fmt: skip
COLUMNS = ("linkage", "distance", "criterion", "trials", "successes", "rate", "ci_low",
           "ci_high", "paper_rate")  # fmt: skip


def trial_outcomes(
    trial_dirs: Iterable[Path], choices: Sequence[Clustering] = CHOICES
) -> pd.DataFrame:
    """One row per (trainable trial, choice): graph, depth, seed, the choice and whether its
    detection recovers the structure. Untrainable trials are left out, as in the tables."""
    settings, rows, tasks = DetectionSettings(), [], {}
    for folder in trial_dirs:
        arrays, selection = load_selected_arrays(Path(folder))
        if not selection.trainable:
            continue
        graph = tasks.setdefault(selection.graph, load_task(selection.graph))
        depth = len(arrays.masks) - 1
        expected = expected_structure(graph, hidden_layers=depth)
        for choice in choices:
            labels = detect_modules(arrays.masks, settings, choice).module_labels
            match = score_modules(arrays.masks, labels, expected).structure_match
            rows.append({"trial_dir": str(folder), "graph": selection.graph, "depth": depth,
                         "arch": selection.arch, "seed": selection.seed,
                         "linkage": choice.linkage, "distance": choice.distance,
                         "criterion": choice.criterion,
                         "structure_match": bool(match)})  # fmt: skip
    return pd.DataFrame(rows)


def choice_rates(outcomes: pd.DataFrame) -> pd.DataFrame:
    """Per choice, in Table 4's order: trials, successes, rate, its 95% Wilson interval and the
    paper's rate."""
    rows = []
    for choice in CHOICES:
        mine = outcomes[
            (outcomes["linkage"] == choice.linkage)
            & (outcomes["distance"] == choice.distance)
            & (outcomes["criterion"] == choice.criterion)
        ] if len(outcomes) else outcomes  # fmt: skip
        trials, successes = len(mine), int(mine["structure_match"].sum()) if len(mine) else 0
        low, high = wilson_interval(successes, trials) if trials else (np.nan, np.nan)
        rows.append({"linkage": choice.linkage, "distance": choice.distance,
                     "criterion": choice.criterion, "trials": trials, "successes": successes,
                     "rate": successes / trials if trials else np.nan, "ci_low": low,
                     "ci_high": high, "paper_rate": PAPER_RATES[choice.criterion]})  # fmt: skip
    return pd.DataFrame(rows, columns=list(COLUMNS))


def plot_table(rates: pd.DataFrame):
    """The table as a grid of rates (ours, the paper's in brackets), one row per linkage and
    distance, one column per criterion."""
    import matplotlib.pyplot as plt

    criteria = list(CRITERIA)
    grid = np.array([
        [rates[(rates["linkage"] == link) & (rates["distance"] == dist)
               & (rates["criterion"] == crit)]["rate"].iloc[0] for crit in criteria]
        for link, dist in LINKAGE_DISTANCE
    ], dtype=float)  # fmt: skip
    fig, ax = plt.subplots(figsize=(8.2, 6.2))
    image = ax.imshow(grid, vmin=0, vmax=1, cmap="viridis", aspect="auto")
    for i in range(grid.shape[0]):
        for j, criterion in enumerate(criteria):
            value = "n/a" if np.isnan(grid[i, j]) else f"{grid[i, j]:.2f}"
            colour = "black" if not np.isnan(grid[i, j]) and grid[i, j] > 0.6 else "white"
            ax.text(j, i, f"{value}\n(paper {PAPER_RATES[criterion]:.2f})", ha="center",
                    va="center", fontsize=8, color=colour)  # fmt: skip
    ax.set_xticks(range(len(criteria)), [CRITERION_LABELS[c] for c in criteria])
    ax.set_yticks(range(len(LINKAGE_DISTANCE)), [f"{a}, {b}" for a, b in LINKAGE_DISTANCE])
    ax.set_xlabel("criterion for the number of clusters per layer")
    ax.set_ylabel("linkage, distance")
    trials = int(rates["trials"].max()) if len(rates) else 0
    ax.set_title(f"Structure recovered per clustering choice (Table 4), {trials} networks")
    fig.colorbar(image, ax=ax, label="structure recovered (share of networks)")
    return fig


def table4(trial_dirs: Sequence[Path], out_dir: Path, name: str = "table4") -> pd.DataFrame:
    """Write `<name>.png/.pdf/.csv` and its caption; returns the rates."""
    outcomes = trial_outcomes(trial_dirs)
    rates = choice_rates(outcomes)
    save_figure(plot_table(rates), figure_path(out_dir, name), rates)
    graphs = sorted(outcomes["graph"].unique()) if len(outcomes) else []
    default = rates[(rates["linkage"] == "average") & (rates["distance"] == "cosine")
                    & (rates["criterion"] == "modularity")].iloc[0]  # fmt: skip
    write_caption(
        out_dir,
        name,
        [
            "Table 4 (paper Appendix I.1): share of the validation experiment's selected "
            "networks whose exact structure is recovered when module detection clusters each "
            "layer with the given linkage and distance and picks its number of clusters by the "
            "given criterion; the paper's value in brackets. The paper prints only its block "
            "for feature vector step size s = L, the one this pipeline uses, with the same rate "
            "in every row.",
            "Each criterion picks k among 2..n-1 on the cuts of one merge tree (ties to the "
            "larger k): the modularity metric and the Davies-Bouldin index by their lowest "
            "value, the silhouette index (on the clustering's own distances) and the "
            "Calinski-Harabasz index by their highest; scikit-learn computes the "
            "Calinski-Harabasz and Davies-Bouldin indices on the binary feature vectors, "
            "with Euclidean geometry. The separability tests (Appendix I.2) decide k = 1 and "
            "k = n: with the modularity metric when the best k is 2 or n-1 or the best M is "
            "above -0.2; with an index, which has no such threshold, when the best k is 2 or "
            "n-1. Ward linkage needs Euclidean distances. Detection thresholds: modularity "
            "-0.2, merge 0.9.",
            f"{int(default['trials'])} trainable networks of {', '.join(graphs) or 'no graph'}; "
            f"the default choice (average, cosine, modularity metric) recovers "
            f"{int(default['successes'])}, the pipeline's own detection. Intervals (95% "
            "Wilson) are in the CSV.",
        ],
    )
    return rates
