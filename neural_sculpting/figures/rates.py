"""Figures and the tidy tables behind them, from `trials.csv`.

Every figure is written as PNG and PDF beside the CSV of the numbers it shows. Success rates carry
their counts and a 95% Wilson interval (`wilson_interval`); untrainable trials (a dense network
below the accuracy threshold) are counted apart, never as failures.
"""

from __future__ import annotations

import math
import statistics
from collections.abc import Sequence
from pathlib import Path

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd

from neural_sculpting.foundations import atomic

# The normal quantile of a two-sided 95% interval.
Z_95 = statistics.NormalDist().inv_cdf(0.975)


def wilson_interval(successes: int, trials: int, z: float = Z_95) -> tuple[float, float]:
    """The Wilson score interval of a binomial proportion (no continuity correction), what SciPy's
    `binomtest(...).proportion_ci(method="wilson")` gives (a test checks it): written out because
    importing scipy.stats costs over a second, more than the whole figure."""
    p = successes / trials
    denominator = 1 + z**2 / trials
    centre = (p + z**2 / (2 * trials)) / denominator
    half = z * math.sqrt(p * (1 - p) / trials + z**2 / (4 * trials**2)) / denominator
    # At 0 or n successes the bound is exactly 0 or 1, which rounding can miss (48/48 gives
    # 0.9999999999999999): the interval must hold the rate itself, or error bars go negative.
    low = 0.0 if successes == 0 else max(0.0, min(p, centre - half))
    high = 1.0 if successes == trials else min(1.0, max(p, centre + half))
    return low, high


def success_rates(
    table: pd.DataFrame, flag: str = "structure_match", by: Sequence[str] = ("graph", "depth")
) -> pd.DataFrame:
    """Per group: trials scored, successes, rate and its 95% Wilson interval, untrainable count."""
    rows = []
    for keys, group in table.groupby(list(by), sort=False):
        keys = keys if isinstance(keys, tuple) else (keys,)
        scored = group[group[flag].notna()]
        trials, successes = len(scored), int(scored[flag].astype(bool).sum())
        if trials:
            (low, high), rate = wilson_interval(successes, trials), successes / trials
        else:
            low = high = rate = np.nan
        rows.append(
            dict(zip(by, keys, strict=True))
            | {
                "trials": trials,
                "successes": successes,
                "rate": rate,
                "ci_low": low,
                "ci_high": high,
                "untrainable": int((group["trainable"] == False).sum()),  # noqa: E712
            }
        )
    return pd.DataFrame(rows)


def bar_positions(rates: pd.DataFrame) -> dict[tuple, float]:
    """(graph, depth) -> the x of its bar in `plot_rates_by_depth`."""
    graphs = list(dict.fromkeys(rates["graph"]))
    depths = sorted(rates["depth"].unique())
    width = 0.8 / len(depths)
    return {
        (graph, depth): g + (d - (len(depths) - 1) / 2) * width
        for g, graph in enumerate(graphs)
        for d, depth in enumerate(depths)
    }


def mark_rates(fig: plt.Figure, rates: pd.DataFrame, column: str, label: str) -> None:
    """A second rate per bar, as a marker over it (with a legend entry)."""
    ax = fig.axes[0]
    where = bar_positions(rates)
    shown = rates[rates[column].notna()]
    ax.scatter([where[g, d] for g, d in zip(shown["graph"], shown["depth"], strict=True)],
               shown[column], marker="D", s=18, color="black", zorder=3, label=label)  # fmt: skip
    ax.legend(fontsize=8, loc="upper left", bbox_to_anchor=(1.01, 1.0), frameon=False)
    fig.tight_layout()
    lift_title(fig)


def plot_rates_by_depth(rates: pd.DataFrame, title: str, ylabel: str) -> plt.Figure:
    """Grouped bars: one group per graph, one bar per depth, labelled with successes/trials."""
    graphs = list(dict.fromkeys(rates["graph"]))
    depths = sorted(rates["depth"].unique())
    width = 0.8 / len(depths)
    where = bar_positions(rates)
    fig, ax = plt.subplots(figsize=(max(5.0, 1.6 * len(graphs) + 1.5), 3.8))
    colours = plt.get_cmap("viridis")(np.linspace(0.15, 0.85, len(depths)))
    for d_index, depth in enumerate(depths):
        part = rates[rates["depth"] == depth].set_index("graph").reindex(graphs)
        x = np.array([where[graph, depth] for graph in graphs])
        heights = part["rate"].fillna(0).to_numpy()
        errors = np.vstack(
            [heights - part["ci_low"].fillna(0), part["ci_high"].fillna(0) - heights]
        )
        label = f"{depth} hidden layer" + ("s" if depth > 1 else "")
        ax.bar(x, heights, width * 0.92, color=colours[d_index], label=label,
               yerr=errors, capsize=2, error_kw={"elinewidth": 0.8})  # fmt: skip
        for xi, (_, row) in zip(x, part.iterrows(), strict=True):
            if row["trials"] > 0 or row["untrainable"] > 0:
                text = f"{int(row['successes'])}/{int(row['trials'])}"
                if row["untrainable"]:
                    text += f" (+{int(row['untrainable'])} untrainable)"
                ax.text(xi, 1.04, text, ha="center", va="bottom", fontsize=7, rotation=90)
    ax.set_xticks(np.arange(len(graphs)), [g.replace("_", " ") for g in graphs], fontsize=9)
    ax.set_ylim(0, 1.45)
    ax.set_yticks(np.linspace(0, 1, 6))
    ax.set_ylabel(ylabel)
    ax.set_xlabel("task")
    ax.set_title(title, fontsize=11)
    ax.legend(fontsize=8, loc="upper left", bbox_to_anchor=(1.01, 1.0), frameon=False)
    ax.spines[["top", "right"]].set_visible(False)
    fig.tight_layout()
    lift_title(fig)
    return fig


def lift_title(fig: plt.Figure) -> None:
    """Move the title above the count labels `plot_rates_by_depth` writes over the bars (long
    ones, "n/m (+k untrainable)", reach past the axes and would run through the title)."""
    ax = fig.axes[0]
    for _ in range(2):  # the layout shrinks the axes, which moves the labels: settle twice
        renderer = fig.canvas.get_renderer()
        tops = [t.get_window_extent(renderer).y1 for t in ax.texts]
        if not tops:
            return
        top = ax.transAxes.inverted().transform((0, max(tops)))[1]
        # set_title with y turns off matplotlib's own title placement, which ignores texts
        ax.set_title(ax.get_title(), y=max(1.0, top + 0.02), fontsize=ax.title.get_fontsize())
        fig.tight_layout()


def save_figure(fig: plt.Figure, png: Path, data: pd.DataFrame | None = None) -> None:
    """Write `png`, the PDF beside it and (with `data`) the CSV of its numbers, atomically."""
    png = Path(png)
    for path in (png, png.with_suffix(".pdf")):
        with atomic.atomic_path(path) as tmp:
            fig.savefig(tmp, format=path.suffix.lstrip("."), dpi=150, bbox_inches="tight")
    plt.close(fig)
    if data is not None:
        atomic.write_text(png.with_suffix(".csv"), data.to_csv(index=False))


def structure_recovered(trials_csv: Path, output_png: Path, title: str) -> pd.DataFrame:
    """The experiment summary (paper Fig. 7 style): exact structure recovered per graph, depth."""
    table = pd.read_csv(trials_csv)
    rates = success_rates(table, "structure_match")
    fig = plot_rates_by_depth(rates, title, "structure recovered (share of trials)")
    save_figure(fig, output_png, rates)
    return rates
