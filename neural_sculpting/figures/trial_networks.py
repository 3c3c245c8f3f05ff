"""The trial networks the structural figures are drawn from, and what those figures share.

The structural figures (paper Sections 2-3, Appendix G) read trial folders. A trial folder's
`selected.json` names its graph, seed and search mode; the mode gives the training regime:
``dense`` -> dense, ``edge_only`` -> edge-pruned, ``grid`` / ``paper`` -> unit-edge-pruned. The
architecture is read off the stored weights.

Shared by the figures: their settings (`StructuralFigureSettings`), the choice of one graph's
networks per regime, the caption notes on dense networks below the accuracy threshold, the output
and regime checks, and the cell labels and widths x hidden-layers axes of their heat maps.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import matplotlib

from neural_sculpting.foundations.errors import SculptError

matplotlib.use("Agg")

import matplotlib.pyplot as plt
import numpy as np
from matplotlib import colors

from neural_sculpting.analysis.trial import load_selected
from neural_sculpting.foundations import atomic
from neural_sculpting.study.catalogue import DENSE, EDGE, REGIME_OF_MODE, UNIT_EDGE

REGIMES = (DENSE, EDGE, UNIT_EDGE)

__all__ = [
    "DEFAULT_SETTINGS",
    "REGIMES",
    "StructuralFigureError",
    "StructuralFigureSettings",
    "TrialNetwork",
    "load_networks",
]


class StructuralFigureError(SculptError):
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


def select_networks(
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


def threshold_note(shown: Sequence[TrialNetwork], left_out: Sequence[TrialNetwork]) -> str:
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


def seed_list(networks: Sequence[TrialNetwork]) -> str:
    return ", ".join(str(s) for s in sorted({n.seed for n in networks}))


def write_caption(png: Path, text: str) -> None:
    atomic.write_text(Path(png).with_suffix(".txt"), text.strip() + "\n")


def check_png(output: Path) -> Path:
    output = Path(output)
    if output.suffix.lower() != ".png":
        raise StructuralFigureError(f"{output}: the output must be a .png file")
    return output


def check_regime(regime: str) -> str:
    if regime not in REGIMES:
        raise StructuralFigureError(
            f"unknown training regime {regime!r}; choose from {', '.join(REGIMES)}"
        )
    return regime


# --- heat-map cells and axes --------------------------------------------------------------------


def grid_axes(ax: plt.Axes, widths: Sequence[int], depths: Sequence[int]) -> None:
    ax.set_xticks(range(len(widths)), [str(w) for w in widths])
    ax.set_yticks(range(len(depths)), [str(d) for d in depths])
    ax.set_xlabel("width (units per hidden layer)")
    ax.set_ylabel("hidden layers")
    ax.tick_params(length=0)


def text_colour(cmap: colors.Colormap, norm: colors.Normalize, value: float) -> str:
    """Black on light cells, white on dark ones."""
    if not np.isfinite(value):
        return "black"
    r, g, b, _ = cmap(norm(value))
    return "black" if 0.299 * r + 0.587 * g + 0.114 * b > 0.5 else "white"


def p_text(p: float) -> str:
    if not np.isfinite(p):
        return "n/a"
    return f"{p:.2f}" if p >= 0.01 else f"{p:.1e}"
