"""Fig. 10 (Sec. 5.3): three properties' success rates over input overlap x sub-function use, as
heat maps: input units separated, output sub-functions detected and hidden units in output
modules (the `input_`, `output_` and `hidden_modules_match` flags of `scoring.py`)."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd

from neural_sculpting.figures.rates import save_figure, success_rates
from neural_sculpting.figures.success_captions import (
    counts_note,
    figure_path,
    missing_note,
    write_caption,
)
from neural_sculpting.figures.trials_table import layer_flag, select_trials, with_param
from neural_sculpting.study.catalogue import OVERLAP_GRAPHS, OVERLAPS, USES

OVERLAP_PANELS = (
    ("input_modules_match", "input units separated"),
    ("output_modules_match", "output sub-functions detected"),
    ("hidden_modules_match", "hidden units in output modules"),
)
# In the CSV, not drawn: all alive input units in one module. At overlap 4 every input is shared,
# so that is the expected partition (a success of input_modules_match); at overlap 1-3 a failure.
# The report reads it to tell the two apart.
INPUTS_MERGED = "inputs_in_one_module"


def fig10(table: pd.DataFrame, out_dir: Path, name: str = "fig10") -> pd.DataFrame:
    """Fig. 10 (Sec. 5.3): three properties' success rates over input overlap x use, pooled over
    depths, widths and seeds."""
    flags = [flag for flag, _ in OVERLAP_PANELS]
    rows = select_trials(table, OVERLAP_GRAPHS, "fig10", flags)
    rows = with_param(with_param(rows, "overlap", "fig10"), "use", "fig10")
    rows = rows.sort_values(["overlap", "use"], kind="stable")
    rows = rows.assign(**{INPUTS_MERGED: layer_flag(rows, 0, lambda n: n == 1)})
    rates = pd.concat(
        [
            success_rates(rows, flag, by=("overlap", "use")).assign(property=flag)
            for flag in (*flags, INPUTS_MERGED)
        ],
        ignore_index=True,
    )
    rates = rates[["property", *[c for c in rates.columns if c != "property"]]]
    fig = plot_rate_heatmaps(rates, OVERLAP_PANELS)
    save_figure(fig, figure_path(out_dir, name), rates)
    write_caption(
        out_dir,
        name,
        [
            "Fig. 10 (paper Sec. 5.3): success rates of three properties on the input-overlap "
            "graphs (overlap{0..4}_use{1,2,4,6,8}: two sub-functions sharing 0-4 of their inputs, "
            "each used 1-8 times), pooled over depths, widths and seeds: input units separated "
            "into sub-function specific and shared groups (input_modules_match), the two output "
            "sub-functions detected (output_modules_match), and every hidden unit in a module of "
            "one of the two sub-functions (hidden_modules_match).",
            "Cells: success rate over scored trials (colour and first line), successes/scored "
            "trials (second line) and, where any, untrainable trials counted apart (+N u); "
            "grey: no trials. The CSV holds the 95% Wilson intervals, and one more property, not "
            "drawn: all alive input units in one module (inputs_in_one_module), the expected "
            "partition at overlap 4, where every input is shared, and a failure below it.",
            counts_note(rows, flags[0]) + missing_note(rows, OVERLAP_GRAPHS),
        ],
    )
    return rates


def plot_rate_heatmaps(rates: pd.DataFrame, panels: Sequence[tuple[str, str]]) -> plt.Figure:
    """One heat map per (property, title) of `panels`: overlap (rows) x use (columns)."""
    fig, axes = plt.subplots(
        1, len(panels), figsize=(4.3 * len(panels) + 1.2, 4.4), layout="constrained"
    )
    cmap = plt.get_cmap("viridis").with_extremes(bad="0.85")  # grey: no trials
    image = None
    for ax, (flag, title) in zip(np.atleast_1d(axes), panels, strict=True):
        part = rates[rates["property"] == flag].set_index(["overlap", "use"])
        grid = np.full((len(OVERLAPS), len(USES)), np.nan)
        for i, overlap in enumerate(OVERLAPS):
            for j, use in enumerate(USES):
                if (overlap, use) not in part.index:
                    continue
                row = part.loc[(overlap, use)]
                grid[i, j] = row["rate"]
                dark = row["trials"] > 0 and row["rate"] < 0.55  # viridis is dark below ~0.55
                colour = "white" if dark else "black"
                ax.text(j, i, _cell_text(row), ha="center", va="center", fontsize=7.5, color=colour)
        image = ax.imshow(
            np.ma.masked_invalid(grid), cmap=cmap, vmin=0, vmax=1, origin="lower", aspect="auto"
        )
        ax.set_xticks(range(len(USES)), [str(u) for u in USES])
        ax.set_yticks(range(len(OVERLAPS)), [str(o) for o in OVERLAPS])
        ax.set_xlabel("times each sub-function is used")
        ax.set_ylabel("input overlap (shared inputs)")
        ax.set_title(f"{title}\n({flag})", fontsize=10)
    fig.colorbar(image, ax=axes, label="success rate", shrink=0.9)
    fig.suptitle("Properties recovered vs input overlap and sub-function use (Fig. 10)")
    return fig


def _cell_text(row: pd.Series) -> str:
    trials, untrainable = int(row["trials"]), int(row["untrainable"])
    text = f"{row['rate']:.2f}\n{int(row['successes'])}/{trials}" if trials else "0/0"
    return text + (f"\n+{untrainable} u" if untrainable else "")
