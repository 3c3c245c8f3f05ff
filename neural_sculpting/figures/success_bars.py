"""Success rates as bars by depth (Figs. 7, 8, 12a, 12b, 13b): groups along the x axis, one bar
per number of hidden layers, drawn by `rates.plot_rates_by_depth`."""

from __future__ import annotations

from collections.abc import Mapping

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt
import pandas as pd

from neural_sculpting.figures.rates import lift_title, plot_rates_by_depth


def bars_by_depth(
    rates: pd.DataFrame,
    group: str,
    labels: Mapping,
    title: str,
    ylabel: str,
    xlabel: str,
    legend_title: str | None = None,
) -> plt.Figure:
    """`figures.plot_rates_by_depth` with groups named by `labels[rates[group]]`; with
    `legend_title`, the legend names the depths by number under that title."""
    shown = rates.assign(graph=rates[group].map(labels))
    fig = plot_rates_by_depth(shown, title, ylabel)
    ax = fig.axes[0]
    ax.set_xlabel(xlabel)
    if legend_title is not None:
        handles, names = ax.get_legend_handles_labels()
        depths = [n.split()[0] for n in names]  # "2 hidden layers" -> "2"
        ax.legend(handles, depths, title=legend_title, fontsize=8, title_fontsize=8,
                  loc="upper left", bbox_to_anchor=(1.01, 1.0), frameon=False)  # fmt: skip
        fig.tight_layout()
        lift_title(fig)
    return fig
