"""Fig. 12a (Sec. 5.4): each kind of sub-function of the hierarchy graphs recovered, by depth.

A kind (input-separable a and b, intermediate c, output f0 and f1) is recovered when a detected
module matches each of its sub-functions by signature (`modules_found`). Where the network is too
shallow, the graph's collapse merges c, f0 and f1 into one module, shown as a group of its own.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd

from neural_sculpting.figures.rates import save_figure, success_rates
from neural_sculpting.figures.success_bars import bars_by_depth
from neural_sculpting.figures.success_captions import (
    RATE_NOTE,
    counts_note,
    figure_path,
    missing_note,
    write_caption,
)
from neural_sculpting.figures.trials_table import select_trials
from neural_sculpting.study.catalogue import HIERARCHY_GRAPHS
from neural_sculpting.tasks.function_graph import FunctionGraph, load_graph
from neural_sculpting.tasks.hierarchy import merged_subfunctions


@dataclass(frozen=True)
class Subfunction:
    """A kind of sub-function of the hierarchy graphs (Fig. 12a): found when every one of
    `members` is among a trial's `modules_found`."""

    key: str
    label: str
    members: tuple[str, ...]


HIERARCHY_KINDS = (
    Subfunction("input_separable", "input-separable\n(a and b)", ("a", "b")),
    Subfunction("intermediate", "intermediate\n(c)", ("c",)),
    Subfunction("output", "output\n(f0 and f1)", ("f0", "f1")),
)
# Where the graph collapses c, f0 and f1 into one module (1-2 hidden layers), that merged module is
# what the scoring expects; it is shown as a fourth group, scored only at those depths.
MERGED_KIND = Subfunction("merged", "intermediate + output\nmerged (c+f0+f1)", ("c", "f0", "f1"))


def _found_sets(rows: pd.DataFrame) -> pd.Series:
    """Per trial, the set of sub-function names found; an empty cell of a scored trial is the
    empty set (nothing matched)."""
    return rows["modules_found"].map(
        lambda v: frozenset(v.split(";")) if isinstance(v, str) and v else frozenset()
    )


def _merged_name(graph: FunctionGraph, depth: int, members: Sequence[str]) -> str | None:
    """The name of the module the graph's collapse makes of `members` at `depth`, if any."""
    for name in merged_subfunctions(graph, depth):
        if "+" in name and set(members) <= set(name.split("+")):
            return name
    return None


def subfunction_kinds(rows: pd.DataFrame) -> pd.DataFrame:
    """Per trial and kind of sub-function (HIERARCHY_KINDS, MERGED_KIND): True / False whether it
    was recovered, NaN for trials not scored (untrainable or unfinished). A merged module
    ("c+f0+f1") is its own name: it recovers neither c nor f0/f1 separately. The column
    `merged_applies` says where the graph collapses c, f0 and f1 at the trial's depth; elsewhere
    the merged kind is not expected (and NaN)."""
    scored = rows["structure_match"].notna().tolist()
    found = _found_sets(rows).tolist()
    graphs = {graph: load_graph(graph) for graph in rows["graph"].unique()}
    merged_names = [
        _merged_name(graphs[graph], depth, MERGED_KIND.members)
        for graph, depth in zip(rows["graph"], rows["depth"], strict=True)
    ]
    kinds = {
        kind.key: [
            set(kind.members) <= names if ok else np.nan
            for names, ok in zip(found, scored, strict=True)
        ]
        for kind in HIERARCHY_KINDS
    }
    kinds[MERGED_KIND.key] = [
        target in names if ok and target is not None else np.nan
        for names, ok, target in zip(found, scored, merged_names, strict=True)
    ]
    frame = pd.DataFrame(kinds, index=rows.index, dtype=object)
    return frame.assign(merged_applies=[t is not None for t in merged_names])


def fig12a(table: pd.DataFrame, out_dir: Path, name: str = "fig12a") -> pd.DataFrame:
    """Fig. 12a (Sec. 5.4): each kind of sub-function of the hierarchy graphs recovered, by
    depth (pooled over use, widths and seeds)."""
    rows = select_trials(table, HIERARCHY_GRAPHS, "fig12a", ["structure_match", "modules_found"])
    kinds = subfunction_kinds(rows)
    kind_list = (*HIERARCHY_KINDS, MERGED_KIND)
    parts = []
    for kind in kind_list:
        part = rows[["depth", "trainable"]].assign(subfunction=kind.key, found=kinds[kind.key])
        if kind is MERGED_KIND:
            part = part[kinds["merged_applies"]]  # untrainable trials there still count apart
        parts.append(part.sort_values("depth", kind="stable"))
    rates = success_rates(pd.concat(parts), "found", by=("subfunction", "depth"))
    labels = {kind.key: kind.label for kind in kind_list}
    fig = bars_by_depth(
        rates,
        "subfunction",
        labels,
        "Sub-functions recovered by depth: hierarchy graphs (Fig. 12a)",
        "sub-function recovered (rate)",
        "kind of sub-function",
    )
    _mark_not_applicable(fig.axes[0], rates, "subfunction")
    save_figure(fig, figure_path(out_dir, name), rates)
    write_caption(
        out_dir,
        name,
        [
            "Fig. 12a (paper Sec. 5.4): share of trials on the hierarchy graphs (hierarchy_use1 "
            "... hierarchy_use8, pooled over use, widths and seeds) in which a detected module "
            "matches each kind of sub-function by signature (modules_found), per number of hidden "
            "layers: input-separable (both a and b found), intermediate (c found), output (f0 and "
            "f1 found).",
            "Where the network is too shallow for the graph's five levels (1-2 hidden layers), "
            "the graph's collapse entry merges c, f0 and f1 into one expected module, reported as "
            "'c+f0+f1'. Such a merged module counts as recovering neither the intermediate nor "
            "the output sub-functions; it is shown as its own group, 'intermediate + output "
            "merged', scored only at the depths where the graph collapses (n/a elsewhere).",
            RATE_NOTE,
            counts_note(rows) + missing_note(rows, HIERARCHY_GRAPHS),
        ],
    )
    return rates


def _mark_not_applicable(ax: plt.Axes, rates: pd.DataFrame, group: str) -> None:
    """Write n/a where `plot_rates_by_depth` left a (group, depth) bar without any trial."""
    groups = list(dict.fromkeys(rates[group]))
    depths = sorted(rates["depth"].unique())
    width = 0.8 / len(depths)
    present = set(zip(rates[group], rates["depth"], strict=True))
    for g_index, name in enumerate(groups):
        for d_index, depth in enumerate(depths):
            if (name, depth) not in present:
                x = g_index + (d_index - (len(depths) - 1) / 2) * width
                ax.text(x, 0.02, "n/a", ha="center", va="bottom", fontsize=7, rotation=90)
