"""Paper Figs. 35, 36 (Appendix G): the input-separability tests over widths x hidden layers.

Heat maps of the t statistic (top row, symmetric log scale) and the p value (bottom row, log scale)
of both one-sided Welch tests of Table 1 (`input_separability_table`), for the input-separable
networks of one seed: edge-pruned (Fig. 35), unit-edge-pruned (Fig. 36).
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

from neural_sculpting.figures.input_separability_table import TABLE1_COLUMNS, _ttest_rows
from neural_sculpting.figures.rates import save_figure
from neural_sculpting.figures.trial_networks import (
    DEFAULT_SETTINGS,
    StructuralFigureError,
    StructuralFigureSettings,
    check_png,
    check_regime,
    grid_axes,
    load_networks,
    p_text,
    select_networks,
    text_colour,
    threshold_note,
    write_caption,
)

__all__ = ["ttest_figure"]


def _t_text(t: float) -> str:
    return f"{t:.2f}" if np.isfinite(t) else "n/a"


def ttest_figure(
    trial_dirs: Sequence[Path],
    output: Path,
    regime: str,
    seed: int = 1,
    settings: StructuralFigureSettings = DEFAULT_SETTINGS,
) -> pd.DataFrame:
    """Paper Figs. 35, 36: t statistic (top row) and p value (bottom row) of both tests over
    widths x hidden layers, for `seed`."""
    output = check_png(output)
    regime = check_regime(regime)
    everything = load_networks(trial_dirs)
    candidates, left_out = select_networks(everything, settings.separable_graph, [regime])
    networks = [n for n in candidates if n.seed == seed]
    left_out = [n for n in left_out if n.seed == seed]
    if not networks:
        raise StructuralFigureError(f"no {regime} network with seed {seed} among the trials given")
    rows = _ttest_rows(networks, settings)
    widths = sorted(rows["width"].unique())
    depths = sorted(rows["hidden layers"].unique())
    tests = sorted(rows["test"].unique())

    def grid(column: str, test: int) -> np.ndarray:
        values = np.full((len(depths), len(widths)), np.nan)
        for _, row in rows[rows["test"] == test].iterrows():
            values[depths.index(row["hidden layers"]), widths.index(row["width"])] = row[column]
        return values

    t_all = rows["t statistic"].to_numpy(dtype=float)
    t_max = max(float(np.nanmax(np.abs(t_all))) if np.isfinite(t_all).any() else 1.0, 1.0)
    p_all = rows["p value"].to_numpy(dtype=float)
    p_floor = min(float(np.nanmin(p_all[p_all > 0])) if (p_all > 0).any() else 1e-12, 1e-3)
    # |t| spans orders of magnitude (tiny within-pair variances make it huge): a symmetric log
    # scale keeps small and huge values apart, with 0 (no separation) at the middle colour; p on
    # a log scale for the same reason.
    panels = [
        ("t statistic", "RdBu_r", colors.SymLogNorm(1.0, vmin=-t_max, vmax=t_max), -np.inf),
        ("p value", "viridis", colors.LogNorm(vmin=p_floor, vmax=1.0), p_floor),
    ]
    fig, axes = plt.subplots(
        2,
        len(tests),
        figsize=(1.25 * len(widths) * len(tests) + 2.4, 2.0 * len(depths) + 1.6),
        squeeze=False,
    )
    for (row_i, (column, cmap_name, norm, floor)), (col, test) in itertools.product(
        enumerate(panels), enumerate(tests)
    ):
        ax = axes[row_i, col]
        cmap = plt.get_cmap(cmap_name).with_extremes(bad="#dddddd")  # NaN: constant samples
        values = grid(column, test)
        image = ax.imshow(np.ma.masked_invalid(np.maximum(values, floor)), cmap=cmap, norm=norm)
        for d_i, w_i in np.ndindex(values.shape):
            value = float(values[d_i, w_i])
            text = p_text(value) if column == "p value" else _t_text(value)
            colour = text_colour(cmap, norm, max(value, floor))
            ax.text(w_i, d_i, text, ha="center", va="center", fontsize=8.5, color=colour)
        grid_axes(ax, widths, depths)
        ax.set_title(f"{column}, test {test}", fontsize=10)
        bar = fig.colorbar(image, ax=ax, fraction=0.046, pad=0.04)
        bar.ax.tick_params(labelsize=7)
        bar.set_label(("t (symmetric log scale)", "p (log scale)")[row_i], fontsize=8)
    fig.suptitle(f"Input-separability tests, {regime} networks, seed {seed}", fontsize=11)
    fig.tight_layout()
    columns = [*TABLE1_COLUMNS, "width", "hidden layers"]
    save_figure(fig, output, rows[columns])
    rejected = rows.groupby("architecture")["rejected"].all()
    write_caption(
        output,
        f"t statistic (top row) and p value (bottom row, log colour scale) of the two one-sided "
        f"Welch input-separability tests (test 1: inputs x0, x1; test 2: inputs x2, x3; cross < "
        f"within pairs of pi(i, j)) for {regime} {settings.separable_graph} networks of seed "
        f"{seed}, widths {', '.join(map(str, widths))} x {', '.join(map(str, depths))} hidden "
        f"layer(s) (paper App. G). t symmetric-log colour scale; negative t = cross paths "
        f"weaker. Both nulls rejected (p < {settings.alpha:g}) for {int(rejected.sum())} of "
        f"{len(rejected)} architectures." + threshold_note(networks, left_out),
    )
    return rows[columns]
