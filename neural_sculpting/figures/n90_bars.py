"""Paper Figs. 2b, 3b, 4b: N90 per hidden layer of reused networks with two hidden layers.

N90 of a hidden layer is the fewest units whose path products to all outputs reach 90% of the
layer's total. Bars by width: mean over seeds, error bars: population std, dots: single seeds;
dashed lines: the reused task's gates per level (3 then 2, paper Sec. 2.2). One figure per training
regime: dense (Fig. 2b), edge-pruned (Fig. 3b), unit-edge-pruned (Fig. 4b).
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
from matplotlib import ticker

from neural_sculpting.analysis.structural_tests import n_p_per_layer
from neural_sculpting.figures.rates import save_figure
from neural_sculpting.figures.trial_networks import (
    DEFAULT_SETTINGS,
    StructuralFigureError,
    StructuralFigureSettings,
    check_png,
    check_regime,
    load_networks,
    seed_list,
    select_networks,
    threshold_note,
    write_caption,
)

__all__ = ["n90_figure"]


def n90_figure(
    trial_dirs: Sequence[Path],
    output: Path,
    regime: str,
    settings: StructuralFigureSettings = DEFAULT_SETTINGS,
) -> pd.DataFrame:
    """Paper Figs. 2b, 3b, 4b: N_P per hidden layer of two-hidden-layer reused networks by
    width; bars are the mean over seeds, error bars the population std, dots the seeds."""
    output = check_png(output)
    regime = check_regime(regime)
    everything = load_networks(trial_dirs)
    candidates, left_out = select_networks(everything, settings.reused_graph, [regime])
    depth = len(settings.reused_truth)
    networks = [n for n in candidates if n.hidden_layers == depth]
    left_out = [n for n in left_out if n.hidden_layers == depth]
    if not networks:
        raise StructuralFigureError(
            f"no {regime} {settings.reused_graph} network with "
            f"{len(settings.reused_truth)} hidden layers among the trials given"
        )
    per_seed: dict[tuple[int, int], dict[int, int]] = {}
    for n in networks:
        for layer, count in enumerate(n_p_per_layer(list(n.weights), settings.percent), start=1):
            per_seed.setdefault((n.width, layer), {})[n.seed] = count
    arch_of = {n.width: n.architecture for n in networks}
    rows = []
    for (width, layer), counts in sorted(per_seed.items()):
        seeds = sorted(counts)
        values = np.array([counts[s] for s in seeds], dtype=float)
        rows.append(
            {
                "training regime": regime,
                "architecture": arch_of[width],
                "width": width,
                "hidden layer": layer,
                "seeds": " ".join(map(str, seeds)),
                "n per seed": " ".join(str(counts[s]) for s in seeds),
                "mean": values.mean(),
                "std": values.std(),
                "ground truth": settings.reused_truth[layer - 1],
            }
        )
    data = pd.DataFrame(rows)
    p_text = f"{settings.percent:g}"

    widths = sorted(data["width"].unique())
    layers = sorted(data["hidden layer"].unique())
    bar_width = 0.8 / len(layers)
    fig, ax = plt.subplots(figsize=(max(5.5, 0.85 * len(widths) + 2.5), 3.9))
    palette = plt.get_cmap("tab10")
    for l_i, layer in enumerate(layers):
        part = data[data["hidden layer"] == layer].set_index("width").reindex(widths)
        x = np.arange(len(widths)) + (l_i - (len(layers) - 1) / 2) * bar_width
        colour = palette(l_i)
        ax.bar(
            x,
            part["mean"],
            bar_width * 0.9,
            yerr=part["std"],
            capsize=3,
            color=colour,
            alpha=0.8,
            label=f"hidden layer {layer}",
            error_kw={"elinewidth": 1},
        )
        for xi, (_, row) in zip(x, part.iterrows(), strict=True):
            if isinstance(row["n per seed"], str):
                dots = [int(v) for v in row["n per seed"].split()]
                ax.scatter(
                    np.full(len(dots), xi),
                    dots,
                    s=9,
                    color="black",
                    zorder=3,
                    label="seeds" if (l_i, xi) == (0, x[0]) else None,
                )
        truth = settings.reused_truth[layer - 1]
        ax.axhline(
            truth,
            color=colour,
            linestyle="--",
            linewidth=1.2,
            label=f"ground truth, layer {layer}: {truth}",
        )
    ax.set_xticks(np.arange(len(widths)), [str(w) for w in widths])
    ax.set_xlabel("width (units per hidden layer)")
    ax.set_ylabel(f"N{p_text}: units carrying {p_text}% of π")
    highest = max(max(counts.values()) for counts in per_seed.values())
    top = max(float((data["mean"] + data["std"]).max()), highest, max(settings.reused_truth))
    ax.set_ylim(0, top * 1.1 + 0.5)
    ax.yaxis.set_major_locator(ticker.MaxNLocator(integer=True))  # unit counts
    ax.set_title(
        f"{regime} networks, {settings.reused_graph} task, {len(layers)} hidden layers "
        f"(seeds {seed_list(networks)})",
        fontsize=10,
    )
    ax.legend(fontsize=8, loc="upper left", bbox_to_anchor=(1.01, 1.0), frameon=False)
    ax.spines[["top", "right"]].set_visible(False)
    fig.tight_layout()
    save_figure(fig, output, data)
    write_caption(
        output,
        f"N{p_text} per hidden layer: the fewest units of the layer whose path products to all "
        f"outputs reach {p_text}% of the layer's total, for {regime} {settings.reused_graph} "
        f"networks with {len(layers)} hidden layers, widths {', '.join(map(str, widths))} "
        f"({len(networks)} networks, seeds {seed_list(networks)}). Bars: mean over seeds; error "
        f"bars: population standard deviation; dots: single seeds. Dashed lines: the function "
        f"graph's "
        + " and ".join(str(t) for t in settings.reused_truth)
        + " gates per level (paper Sec. 2.2)."
        + threshold_note(networks, left_out),
    )
    return data
