"""Figures of the structural tests (paper Sections 2-3, Appendix G), drawn from trial folders.

The structural targets of `registry.FIGURES`:

- ``table1``: the input-separability tests on input-separable networks, widths x hidden layers per
  training regime, marking where both null hypotheses are rejected (paper Table 1);
- ``fig1b`` / ``fig3a`` / ``fig4a``: the heat map of pi(i, j) of one input-separable network,
  dense / edge-pruned / unit-edge-pruned;
- ``fig2b`` / ``fig3b`` / ``fig4b``: N90 per hidden layer of reused networks with two hidden
  layers, by width (bars: mean over seeds, error bars: population std), same three regimes;
- ``fig35`` / ``fig36``: heat maps of the t statistic and p value of both tests over widths x
  depths, edge-pruned / unit-edge-pruned.

Each target writes the PNG, the PDF and the tidy CSV of the numbers shown (`figures.save_figure`)
and a caption `<target>.txt` beside them. A trial folder's `selected.json` names its graph, seed and
search mode; the mode gives the training regime: ``dense`` -> dense, ``edge_only`` -> edge-pruned,
``grid`` / ``paper`` -> unit-edge-pruned. The architecture is read off the stored weights.
"""

from __future__ import annotations

import itertools
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
from matplotlib import colors, ticker

from neural_sculpting.analysis.structural_tests import (
    input_separability_tests,
    n_p_per_layer,
    path_products,
)
from neural_sculpting.analysis.trial import load_selected
from neural_sculpting.figures import registry
from neural_sculpting.figures.rates import save_figure
from neural_sculpting.figures.registry import DENSE, EDGE, REGIME_OF_MODE, UNIT_EDGE
from neural_sculpting.store import atomic

REGIMES = (DENSE, EDGE, UNIT_EDGE)
TARGETS = registry.names(registry.STRUCTURAL)

TABLE1_COLUMNS = [
    "architecture",
    "training regime",
    "seed",
    "test",
    "t statistic",
    "p value",
    "rejected",
]

__all__ = [
    "DENSE",
    "EDGE",
    "REGIMES",
    "TARGETS",
    "UNIT_EDGE",
    "StructuralFigureError",
    "StructuralFigureSettings",
    "TrialNetwork",
    "load_networks",
    "make_target",
    "n90_figure",
    "path_product_figure",
    "table1",
    "ttest_figure",
]


class StructuralFigureError(ValueError):
    """A structural figure that cannot be drawn from the trial folders given."""


@dataclass(frozen=True)
class StructuralFigureSettings:
    """What the structural figures test and on which networks.

    ``example_arch`` is the network of the authors' stored pi(i, j) heat maps (4-48-48-48-4,
    seed 1); ``reused_truth`` is the reused task's gates per level: three gates depend on all
    inputs, two reuse them (paper Sec. 2.2), so N90 should be 3 then 2.
    """

    separable_graph: str = "input_separable"
    reused_graph: str = "reused"
    input_groups: tuple[tuple[int, ...], ...] = ((0, 1), (2, 3))
    alpha: float = 0.05
    percent: float = 90.0
    reused_truth: tuple[int, ...] = (3, 2)
    example_arch: tuple[int, ...] = (4, 48, 48, 48, 4)


DEFAULT_SETTINGS = StructuralFigureSettings()


@dataclass(frozen=True, eq=False)
class TrialNetwork:
    """One trial's selected network. ``regime`` is None for a pruning-mode trial whose search
    kept the dense network (its dense network missed the accuracy threshold); ``trainable`` is
    whether the dense network reached that threshold."""

    folder: Path
    graph: str
    seed: int
    mode: str
    regime: str | None
    weights: tuple[np.ndarray, ...]
    trainable: bool = True

    @property
    def arch(self) -> tuple[int, ...]:
        return (self.weights[0].shape[1], *(w.shape[0] for w in self.weights))

    @property
    def architecture(self) -> str:
        return "-".join(str(n) for n in self.arch)

    @property
    def hidden_layers(self) -> int:
        return len(self.weights) - 1

    @property
    def width(self) -> int:
        """The common hidden width; the grids of widths x depths need uniform widths."""
        hidden = set(self.arch[1:-1])
        if len(hidden) != 1:
            raise StructuralFigureError(
                f"{self.folder}: architecture {self.architecture} has no single hidden width"
            )
        return hidden.pop()


def load_networks(trial_dirs: Sequence[Path]) -> list[TrialNetwork]:
    """Read every trial folder's selected network and its regime (see the module docstring)."""
    if not trial_dirs:
        raise StructuralFigureError("no trial folders given")
    networks = []
    for folder in map(Path, trial_dirs):
        _, weights, record = load_selected(folder)
        if record.mode not in REGIME_OF_MODE:
            raise StructuralFigureError(
                f"{folder}: unknown search mode {record.mode!r} in selected.json"
            )
        regime = REGIME_OF_MODE[record.mode]
        # A pruning search that pruned nothing selected the dense network: no pruned regime.
        if regime != DENSE and not record.pruned:
            regime = None
        networks.append(
            TrialNetwork(
                folder,
                record.graph,
                record.seed,
                record.mode,
                regime,
                tuple(np.asarray(w, dtype=np.float64) for w in weights),
                record.dense_reached_threshold,
            )
        )
    return networks


def _select(
    networks: Sequence[TrialNetwork], graph: str, regimes: Sequence[str]
) -> tuple[list[TrialNetwork], list[TrialNetwork]]:
    """The networks of `graph` in `regimes`, and the trials of those regimes left out because
    their search kept the dense network. Two folders for one (regime, arch, seed) clash."""
    chosen = [n for n in networks if n.graph == graph and n.regime in regimes]
    left_out = [
        n
        for n in networks
        if n.graph == graph and n.regime is None and REGIME_OF_MODE[n.mode] in regimes
    ]
    if not chosen:
        raise StructuralFigureError(
            f"no {' / '.join(regimes)} {graph} network among the {len(networks)} trial folders"
        )
    seen: dict[tuple, Path] = {}
    for n in chosen:
        key = (n.regime, n.arch, n.seed)
        if key in seen:
            raise StructuralFigureError(f"{n.folder} and {seen[key]}: the same network twice")
        seen[key] = n.folder
    return chosen, left_out


def _threshold_note(shown: Sequence[TrialNetwork], left_out: Sequence[TrialNetwork]) -> str:
    """Caption note on dense networks below the accuracy threshold: shown networks from one stay
    in, as in the authors' figures (README: some of their dense input-separable networks stop
    short of 100%); a pruning trial that therefore kept its dense network is left out."""
    weak = sum(not n.trainable for n in shown)
    note = ""
    if weak:
        note += f" Included: {weak} network(s) whose dense network is below the accuracy threshold."
    if left_out:
        note += (
            f" Left out: {len(left_out)} pruning trial(s) whose search kept the dense network "
            "(dense network below the accuracy threshold)."
        )
    return note


def _seed_list(networks: Sequence[TrialNetwork]) -> str:
    return ", ".join(str(s) for s in sorted({n.seed for n in networks}))


def _write_caption(png: Path, text: str) -> None:
    atomic.write_text(Path(png).with_suffix(".txt"), text.strip() + "\n")


def _check_png(output: Path) -> Path:
    output = Path(output)
    if output.suffix.lower() != ".png":
        raise StructuralFigureError(f"{output}: the output must be a .png file")
    return output


# --- input separability -------------------------------------------------------------------------


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


def _grid_axes(ax: plt.Axes, widths: Sequence[int], depths: Sequence[int]) -> None:
    ax.set_xticks(range(len(widths)), [str(w) for w in widths])
    ax.set_yticks(range(len(depths)), [str(d) for d in depths])
    ax.set_xlabel("width (units per hidden layer)")
    ax.set_ylabel("hidden layers")
    ax.tick_params(length=0)


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
    output = _check_png(output)
    everything = load_networks(trial_dirs)
    networks, left_out = _select(everything, settings.separable_graph, REGIMES)
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
        _grid_axes(ax, widths, depths)
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
        f"Networks: {len(networks)}, seeds {_seed_list(networks)}. The CSV holds both tests of "
        "every seed." + _threshold_note(networks, left_out),
    ]
    for regime in regimes:
        part = both[(both["training regime"] == regime) & (both["seed"] == seed)]
        lines.append(
            f"{regime}, seed {seed}: both rejected for {int(part['both'].sum())} of "
            f"{len(part)} architectures."
        )
    _write_caption(output, "\n".join(lines))
    return rows[[*TABLE1_COLUMNS]]


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


def _text_colour(cmap: colors.Colormap, norm: colors.Normalize, value: float) -> str:
    """Black on light cells, white on dark ones."""
    if not np.isfinite(value):
        return "black"
    r, g, b, _ = cmap(norm(value))
    return "black" if 0.299 * r + 0.587 * g + 0.114 * b > 0.5 else "white"


def path_product_figure(
    trial_dirs: Sequence[Path],
    output: Path,
    regime: str,
    seed: int = 1,
    settings: StructuralFigureSettings = DEFAULT_SETTINGS,
) -> pd.DataFrame:
    """Paper Figs. 1b, 3a, 4a: pi(i, j), inputs x outputs, of one input-separable network."""
    output = _check_png(output)
    regime = _check_regime(regime)
    everything = load_networks(trial_dirs)
    candidates, _ = _select(everything, settings.separable_graph, [regime])
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
            color=_text_colour(cmap, norm, pi[i, j]),
        )
    ax.set_xticks(range(n_out), [f"y{j}" for j in range(n_out)])
    ax.set_yticks(range(n_in), [f"x{i}" for i in range(n_in)])
    ax.set_xlabel("output unit j")
    ax.set_ylabel("input unit i")
    colourbar = fig.colorbar(image, ax=ax, fraction=0.046, pad=0.04)
    colourbar.set_label("π(i, j): sum over paths of the product of |w|")
    verdicts = "\n".join(
        f"test {t.test}: t = {t.t:.2f}, p = {_p_text(t.p)}"
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
    _write_caption(
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
        + _threshold_note([network], []),
    )
    return data


def _t_text(t: float) -> str:
    return f"{t:.2f}" if np.isfinite(t) else "n/a"


def _p_text(p: float) -> str:
    if not np.isfinite(p):
        return "n/a"
    return f"{p:.2f}" if p >= 0.01 else f"{p:.1e}"


def ttest_figure(
    trial_dirs: Sequence[Path],
    output: Path,
    regime: str,
    seed: int = 1,
    settings: StructuralFigureSettings = DEFAULT_SETTINGS,
) -> pd.DataFrame:
    """Paper Figs. 35, 36: t statistic (top row) and p value (bottom row) of both tests over
    widths x hidden layers, for `seed`."""
    output = _check_png(output)
    regime = _check_regime(regime)
    everything = load_networks(trial_dirs)
    candidates, left_out = _select(everything, settings.separable_graph, [regime])
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
            text = _p_text(value) if column == "p value" else _t_text(value)
            colour = _text_colour(cmap, norm, max(value, floor))
            ax.text(w_i, d_i, text, ha="center", va="center", fontsize=8.5, color=colour)
        _grid_axes(ax, widths, depths)
        ax.set_title(f"{column}, test {test}", fontsize=10)
        bar = fig.colorbar(image, ax=ax, fraction=0.046, pad=0.04)
        bar.ax.tick_params(labelsize=7)
        bar.set_label(("t (symmetric log scale)", "p (log scale)")[row_i], fontsize=8)
    fig.suptitle(f"Input-separability tests, {regime} networks, seed {seed}", fontsize=11)
    fig.tight_layout()
    columns = [*TABLE1_COLUMNS, "width", "hidden layers"]
    save_figure(fig, output, rows[columns])
    rejected = rows.groupby("architecture")["rejected"].all()
    _write_caption(
        output,
        f"t statistic (top row) and p value (bottom row, log colour scale) of the two one-sided "
        f"Welch input-separability tests (test 1: inputs x0, x1; test 2: inputs x2, x3; cross < "
        f"within pairs of pi(i, j)) for {regime} {settings.separable_graph} networks of seed "
        f"{seed}, widths {', '.join(map(str, widths))} x {', '.join(map(str, depths))} hidden "
        f"layer(s) (paper App. G). t symmetric-log colour scale; negative t = cross paths "
        f"weaker. Both nulls rejected (p < {settings.alpha:g}) for {int(rejected.sum())} of "
        f"{len(rejected)} architectures." + _threshold_note(networks, left_out),
    )
    return rows[columns]


# --- reuse: N90 -----------------------------------------------------------------------------------


def n90_figure(
    trial_dirs: Sequence[Path],
    output: Path,
    regime: str,
    settings: StructuralFigureSettings = DEFAULT_SETTINGS,
) -> pd.DataFrame:
    """Paper Figs. 2b, 3b, 4b: N_P per hidden layer of two-hidden-layer reused networks by
    width; bars are the mean over seeds, error bars the population std, dots the seeds."""
    output = _check_png(output)
    regime = _check_regime(regime)
    everything = load_networks(trial_dirs)
    candidates, left_out = _select(everything, settings.reused_graph, [regime])
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
        f"(seeds {_seed_list(networks)})",
        fontsize=10,
    )
    ax.legend(fontsize=8, loc="upper left", bbox_to_anchor=(1.01, 1.0), frameon=False)
    ax.spines[["top", "right"]].set_visible(False)
    fig.tight_layout()
    save_figure(fig, output, data)
    _write_caption(
        output,
        f"N{p_text} per hidden layer: the fewest units of the layer whose path products to all "
        f"outputs reach {p_text}% of the layer's total, for {regime} {settings.reused_graph} "
        f"networks with {len(layers)} hidden layers, widths {', '.join(map(str, widths))} "
        f"({len(networks)} networks, seeds {_seed_list(networks)}). Bars: mean over seeds; error "
        f"bars: population standard deviation; dots: single seeds. Dashed lines: the function "
        f"graph's "
        + " and ".join(str(t) for t in settings.reused_truth)
        + " gates per level (paper Sec. 2.2)."
        + _threshold_note(networks, left_out),
    )
    return data


# --- dispatch -----------------------------------------------------------------------------------


def _check_regime(regime: str) -> str:
    if regime not in REGIMES:
        raise StructuralFigureError(
            f"unknown training regime {regime!r}; choose from {', '.join(REGIMES)}"
        )
    return regime


def make_target(
    target: str,
    trial_dirs: Sequence[Path],
    output: Path,
    seed: int = 1,
    settings: StructuralFigureSettings = DEFAULT_SETTINGS,
) -> pd.DataFrame:
    """Draw one of `TARGETS` from the trial folders; returns the table written as its CSV."""
    try:
        entry = registry.figure(target, registry.STRUCTURAL)
    except registry.UnknownFigureError as exc:
        raise StructuralFigureError(str(exc)) from None
    kind, regime = entry.plot, entry.regime
    calls: dict[str, Callable[[], pd.DataFrame]] = {
        "table": lambda: table1(trial_dirs, output, seed, settings),
        "heatmap": lambda: path_product_figure(trial_dirs, output, regime, seed, settings),
        "n90": lambda: n90_figure(trial_dirs, output, regime, settings),
        "ttests": lambda: ttest_figure(trial_dirs, output, regime, seed, settings),
    }
    return calls[kind]()
