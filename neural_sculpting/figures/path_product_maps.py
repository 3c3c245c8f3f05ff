"""Paper Figs. 1b, 3a, 4a: the heat map of pi(i, j) of one input-separable network.

pi(i, j), inputs x outputs, is the sum over all paths from input unit i to output unit j of the
product of |w| along the path; the title gives the verdicts of both input-separability tests. One
figure per training regime: dense (Fig. 1b), edge-pruned (Fig. 3a), unit-edge-pruned (Fig. 4a). The
network shown is the authors' example architecture (4-48-48-48-4) at the seed asked for, else the
nearest stand-in.
"""

from __future__ import annotations

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
    StructuralFigureError,
    StructuralFigureSettings,
    TrialNetwork,
    check_png,
    check_regime,
    load_networks,
    p_text,
    select_networks,
    text_colour,
    threshold_note,
    write_caption,
)

__all__ = ["path_product_figure"]


def _example_network(
    networks: Sequence[TrialNetwork], seed: int, settings: StructuralFigureSettings
) -> tuple[TrialNetwork, str]:
    """The authors' example architecture at `seed`; else the widest two-hidden-layer network;
    else the deepest, widest one. The second value says which rule picked it."""
    at_seed = [n for n in networks if n.seed == seed]
    if not at_seed:
        raise StructuralFigureError(f"no network with seed {seed} among the trials given")
    for n in at_seed:
        if n.arch == settings.example_arch:
            return n, "the architecture of the authors' stored heat maps"
    two = [n for n in at_seed if n.hidden_layers == 2]
    if two:
        return max(two, key=lambda n: max(n.arch[1:-1])), (
            "the authors' example architecture is absent; the widest two-hidden-layer network"
        )
    deepest = max(at_seed, key=lambda n: (n.hidden_layers, max(n.arch[1:-1])))
    return deepest, "the authors' example architecture is absent; the deepest, widest network"


def path_product_figure(
    trial_dirs: Sequence[Path],
    output: Path,
    regime: str,
    seed: int = 1,
    settings: StructuralFigureSettings = DEFAULT_SETTINGS,
) -> pd.DataFrame:
    """Paper Figs. 1b, 3a, 4a: pi(i, j), inputs x outputs, of one input-separable network."""
    output = check_png(output)
    regime = check_regime(regime)
    everything = load_networks(trial_dirs)
    candidates, _ = select_networks(everything, settings.separable_graph, [regime])
    network, why = _example_network(candidates, seed, settings)
    pi = path_products(list(network.weights))
    tests = input_separability_tests(pi, settings.input_groups, settings.alpha)
    n_in, n_out = pi.shape

    fig, ax = plt.subplots(figsize=(4.9, 4.3))
    cmap, norm = plt.get_cmap("viridis"), colors.Normalize(vmin=0.0, vmax=float(pi.max()) or 1.0)
    image = ax.imshow(pi, cmap=cmap, norm=norm)
    for i, j in np.ndindex(pi.shape):
        ax.text(
            j,
            i,
            f"{pi[i, j]:.0f}" if pi[i, j] >= 100 else f"{pi[i, j]:.3g}",
            ha="center",
            va="center",
            fontsize=9,
            color=text_colour(cmap, norm, pi[i, j]),
        )
    ax.set_xticks(range(n_out), [f"y{j}" for j in range(n_out)])
    ax.set_yticks(range(n_in), [f"x{i}" for i in range(n_in)])
    ax.set_xlabel("output unit j")
    ax.set_ylabel("input unit i")
    colourbar = fig.colorbar(image, ax=ax, fraction=0.046, pad=0.04)
    colourbar.set_label("π(i, j): sum over paths of the product of |w|")
    verdicts = "\n".join(
        f"test {t.test}: t = {t.t:.2f}, p = {p_text(t.p)}"
        f" ({'rejected' if t.rejected else 'not rejected'})"
        for t in tests
    )
    ax.set_title(f"{regime} {network.architecture}, seed {network.seed}\n{verdicts}", fontsize=9.5)
    fig.tight_layout()
    data = pd.DataFrame(
        [
            {
                "training regime": regime,
                "architecture": network.architecture,
                "seed": network.seed,
                "input": f"x{i}",
                "output": f"y{j}",
                "pi": pi[i, j],
            }
            for i, j in np.ndindex(pi.shape)
        ]
    )
    save_figure(fig, output, data)
    write_caption(
        output,
        f"pi(i, j), the sum over all paths from input unit i to output unit j of the product of "
        f"|w| along the path, for the {regime} {settings.separable_graph} network "
        f"{network.architecture}, seed {network.seed} ({why}; trial folder {network.folder}). "
        f"Welch one-sided tests (cross < within, alpha {settings.alpha:g}): "
        + "; ".join(
            f"test {t.test} t = {t.t:.4g}, p = {t.p:.3g}, "
            f"{'rejected' if t.rejected else 'not rejected'}"
            for t in tests
        )
        + "."
        + threshold_note([network], []),
    )
    return data
