"""Paper Table 1: the input-separability tests on input-separable networks (Sections 2.1, 3).

Per training regime, a grid of widths x hidden layers marks where both null hypotheses are rejected
(one-sided Welch t-tests: mean pi(i, j) over cross pairs < mean over within pairs, for inputs x0, x1
and for inputs x2, x3) at one seed, and counts the seeds that reject both; the CSV holds every
seed's two tests. The same rows of tests feed the grids of Figs. 35, 36
(`input_separability_grids`).
"""

from __future__ import annotations

import itertools
from collections.abc import Sequence
from pathlib import Path

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
from matplotlib import colors

from neural_sculpting.analysis.structural_tests import input_separability_tests, path_products
from neural_sculpting.figures.rates import save_figure
from neural_sculpting.figures.trial_networks import (
    DEFAULT_SETTINGS,
    REGIMES,
    StructuralFigureSettings,
    TrialNetwork,
    check_png,
    grid_axes,
    load_networks,
    seed_list,
    select_networks,
    threshold_note,
    write_caption,
)

TABLE1_COLUMNS = [
    "architecture",
    "training regime",
    "seed",
    "test",
    "t statistic",
    "p value",
    "rejected",
]

__all__ = ["TABLE1_COLUMNS", "table1"]


def _ttest_rows(
    networks: Sequence[TrialNetwork], settings: StructuralFigureSettings
) -> pd.DataFrame:
    rows = []
    for n in networks:
        pi = path_products(list(n.weights))
        for result in input_separability_tests(pi, settings.input_groups, settings.alpha):
            rows.append(
                {
                    "architecture": n.architecture,
                    "training regime": n.regime,
                    "seed": n.seed,
                    "test": result.test,
                    "t statistic": result.t,
                    "p value": result.p,
                    "rejected": result.rejected,
                    "width": n.width,
                    "hidden layers": n.hidden_layers,
                }
            )
    order = {r: i for i, r in enumerate(REGIMES)}
    table = pd.DataFrame(rows)
    table["_regime"] = table["training regime"].map(order)
    table = table.sort_values(["_regime", "hidden layers", "width", "seed", "test"], kind="stable")
    return table.drop(columns="_regime").reset_index(drop=True)


def table1(
    trial_dirs: Sequence[Path],
    output: Path,
    seed: int = 1,
    settings: StructuralFigureSettings = DEFAULT_SETTINGS,
) -> pd.DataFrame:
    """Paper Table 1: per regime, the widths x hidden-layers grid of both-nulls-rejected.

    The CSV (`table1.csv`) holds every seed's two tests; the figure marks the cells where both
    are rejected for `seed` and counts the seeds that reject both.
    """
    output = check_png(output)
    everything = load_networks(trial_dirs)
    networks, left_out = select_networks(everything, settings.separable_graph, REGIMES)
    rows = _ttest_rows(networks, settings)
    regimes = [r for r in REGIMES if (rows["training regime"] == r).any()]
    widths = sorted(rows["width"].unique())
    depths = sorted(rows["hidden layers"].unique())
    both = (
        rows.groupby(["training regime", "hidden layers", "width", "seed"])["rejected"]
        .all()
        .rename("both")
        .reset_index()
    )

    fig, axes = plt.subplots(
        1,
        len(regimes),
        figsize=(1.15 * len(widths) * len(regimes) + 1.2, 1.0 * len(depths) + 1.9),
        squeeze=False,
    )
    palette = colors.ListedColormap(["#eeeeee", "#f4c7c3", "#b7e1cd"])
    for ax, regime in zip(axes[0], regimes, strict=True):
        status = np.zeros((len(depths), len(widths)))
        for (d_i, depth), (w_i, width) in itertools.product(enumerate(depths), enumerate(widths)):
            cell = both[
                (both["training regime"] == regime)
                & (both["hidden layers"] == depth)
                & (both["width"] == width)
            ]
            at_seed = cell[cell["seed"] == seed]["both"]
            status[d_i, w_i] = 0 if at_seed.empty else (2 if bool(at_seed.iloc[0]) else 1)
            mark = {0: "no network", 1: "✗", 2: "✓"}[int(status[d_i, w_i])]
            ax.text(
                w_i,
                d_i - 0.08,
                mark,
                ha="center",
                va="center",
                fontsize=16 if status[d_i, w_i] else 8,
            )
            if not cell.empty:
                ax.text(
                    w_i,
                    d_i + 0.3,
                    f"{int(cell['both'].sum())}/{len(cell)} seeds",
                    ha="center",
                    va="center",
                    fontsize=7.5,
                    color="#333333",
                )
        ax.imshow(status, cmap=palette, vmin=0, vmax=2)
        grid_axes(ax, widths, depths)
        ax.set_xticks(np.arange(len(widths) + 1) - 0.5, minor=True)
        ax.set_yticks(np.arange(len(depths) + 1) - 0.5, minor=True)
        ax.grid(which="minor", color="white", linewidth=2)
        ax.tick_params(which="minor", length=0)
        ax.set_title(regime, fontsize=11)
    fig.suptitle(
        f"Both input-separability nulls rejected (seed {seed}, one-sided Welch, "
        f"α = {settings.alpha:g})",
        fontsize=11,
    )
    fig.text(
        0.5,
        -0.02,
        f"✓ both rejected   ✗ at least one not rejected (seed {seed});   "
        "k/n seeds: seeds rejecting both / seeds present",
        ha="center",
        va="top",
        fontsize=8,
    )
    fig.tight_layout()
    save_figure(fig, output, rows[[*TABLE1_COLUMNS]])

    lines = [
        f"Table 1 (paper Sec. 2.1, 3): input-separability tests on {settings.separable_graph} "
        f"networks, widths {', '.join(map(str, widths))} x {', '.join(map(str, depths))} hidden "
        f"layer(s), training regimes: {', '.join(regimes)}.",
        "Each test is a one-sided Welch t-test of mean pi(i, j) over cross pairs < mean over "
        "within pairs (test 1: inputs x0, x1; test 2: inputs x2, x3); rejected = p < "
        f"{settings.alpha:g}. A cell shows ✓ when both nulls are rejected for seed {seed} "
        "(the seed of the authors' printed figures), and how many of the seeds present reject "
        "both.",
        f"Networks: {len(networks)}, seeds {seed_list(networks)}. The CSV holds both tests of "
        "every seed." + threshold_note(networks, left_out),
    ]
    for regime in regimes:
        part = both[(both["training regime"] == regime) & (both["seed"] == seed)]
        lines.append(
            f"{regime}, seed {seed}: both rejected for {int(part['both'].sum())} of "
            f"{len(part)} architectures."
        )
    write_caption(output, "\n".join(lines))
    return rows[[*TABLE1_COLUMNS]]
