"""The paper's success-rate figures (Figs. 7, 8, 10, 12a, 12b, 13b) from `trials.csv`.

Each figure function takes the trials table (one or several experiments' `trials.csv` pooled) and
an output folder, and writes `<name>.png`, `<name>.pdf`, the tidy `<name>.csv` of the numbers it
shows and a caption `<name>.txt`. Rates are the scoring flags of `scoring.py` over scored trials,
with counts and 95% Wilson intervals (`figures.success_rates`); untrainable trials are counted
apart, never as failures. Trials are pooled over widths and seeds (and, where a figure says so,
over depths or sub-function use), as in the paper.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd

from neural_sculpting.figures import registry
from neural_sculpting.figures.rates import plot_rates_by_depth, save_figure, success_rates
from neural_sculpting.figures.registry import (
    HIERARCHY_GRAPHS,
    OVERLAP_GRAPHS,
    OVERLAPS,
    REUSE_GRAPHS,
    USES,
    VALIDATION_GRAPHS,
)
from neural_sculpting.store import atomic
from neural_sculpting.tasks.function_graph import FunctionGraph, load_graph
from neural_sculpting.tasks.hierarchy import merged_subfunctions

FLAGS = ("input_modules_match", "output_modules_match", "hidden_modules_match", "structure_match")

MNIST_GRAPHS = registry.figure("fig13b").graphs

_STRUCTURE_RULE = (
    "A trial succeeds when its detected modules match the task's structure exactly "
    "(structure_match: the input and output partitions match and the modules' signatures are "
    "exactly the sub-functions', with the sub-functions the graph's collapse entry merges at the "
    "network's depth counted as one). The paper judged its trials by eye; this is the automatic "
    "rule of scoring.py."
)
_RATE_NOTE = (
    "Bars: success rate over scored trials; error bars: 95% Wilson intervals; labels: "
    "successes/scored trials, with untrainable trials (the dense network stayed below the "
    "accuracy threshold) counted apart and not as failures."
)


class PaperFigureError(ValueError):
    """A trials table a paper figure cannot be drawn from."""


class MissingGraphsError(PaperFigureError):
    """The table holds no trial of the graphs a figure needs."""


class TrialsTableError(PaperFigureError):
    """A malformed trials table: missing columns, unreadable flags, mixed search modes."""


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


# --- reading and checking the table ---------------------------------------------------------------


def read_trials(paths: Sequence[Path]) -> pd.DataFrame:
    """Several `trials.csv` files as one table; a trial listed in two tables (the same row in
    each, e.g. `reused` in both the validation and the reuse-sweep experiment) is kept once."""
    if not paths:
        raise TrialsTableError("no trials table given")
    tables = []
    for path in paths:
        try:
            tables.append(pd.read_csv(path))
        except pd.errors.EmptyDataError:
            raise TrialsTableError(f"{path}: empty trials table") from None
    return pd.concat(tables, ignore_index=True).drop_duplicates(ignore_index=True)


# 1 and 0 (ints or floats) hash like True and False, so the sets hold them too.
_TRUE = {True, "true", "1", "yes"}
_FALSE = {False, "false", "0", "no"}


def _flag_column(values: pd.Series, column: str) -> pd.Series:
    """True, False or NaN (empty: not scored), whatever types the CSV reader produced."""

    def parse(value):
        if value is None or (isinstance(value, float) and math.isnan(value)) or value == "":
            return np.nan
        key = value.strip().lower() if isinstance(value, str) else value
        if key in _TRUE:
            return True
        if key in _FALSE:
            return False
        raise TrialsTableError(f"column {column}: {value!r} is not True, False or empty")

    return values.map(parse).astype(object)


def _select(
    table: pd.DataFrame, graphs: Sequence[str], target: str, columns: Iterable[str]
) -> pd.DataFrame:
    """The rows of `graphs`, with the flag columns parsed and `depth` an integer."""
    needed = ["graph", "depth", "trainable", *columns]
    missing = [c for c in needed if c not in table.columns]
    if missing:
        raise TrialsTableError(f"{target}: the trials table lacks column(s) {', '.join(missing)}")
    rows = table[table["graph"].isin(graphs)].copy()
    if rows.empty:
        raise MissingGraphsError(
            f"{target}: the trials table has no trials of the graphs it needs ({', '.join(graphs)})"
        )
    if "mode" in rows.columns:
        modes = sorted(map(str, rows["mode"].dropna().unique()))
        # Pooling e.g. dense-only rows with pruned ones would count unscored trials as trials.
        if len(modes) > 1:
            raise TrialsTableError(
                f"{target}: the trials mix search modes ({', '.join(modes)}); pass one kind"
            )
    rows["depth"] = pd.to_numeric(rows["depth"]).astype(int)
    for column in ("trainable", *(f for f in FLAGS if f in rows.columns)):
        rows[column] = _flag_column(rows[column], column)
    return rows


def _with_param(rows: pd.DataFrame, name: str, target: str) -> pd.DataFrame:
    """Fill the graph parameter `name` (use, overlap) where the table lacks it, from the graph
    file's `params`, and make it an integer."""
    values = rows[name] if name in rows.columns else pd.Series(np.nan, index=rows.index)
    values = pd.to_numeric(values, errors="coerce")
    for graph in rows.loc[values.isna(), "graph"].unique():
        value = load_graph(graph).params.get(name)
        if value is None:
            raise TrialsTableError(f"{target}: graph {graph} has no parameter {name!r}")
        values[rows["graph"] == graph] = value
    return rows.assign(**{name: values.astype(int)})


def _order(rows: pd.DataFrame, column: str, order: Sequence) -> pd.DataFrame:
    """Rows sorted by `column` in `order`, then by depth: `success_rates` keeps this order."""
    rank = rows[column].map({value: i for i, value in enumerate(order)})
    return (
        rows.assign(_rank=rank).sort_values(["_rank", "depth"], kind="stable").drop(columns="_rank")
    )


# --- captions -------------------------------------------------------------------------------------


def _counts_note(rows: pd.DataFrame, flag: str = "structure_match") -> str:
    untrainable = int((rows["trainable"] == False).sum())  # noqa: E712
    scored = int(rows[flag].notna().sum())
    unscored = len(rows) - scored - untrainable
    note = f"Trials: {len(rows)} in all, {scored} scored, {untrainable} untrainable"
    if unscored:
        note += f", {unscored} trainable but not (yet) scored and left out"
    return note + "."


def _missing_note(rows: pd.DataFrame, graphs: Sequence[str]) -> str:
    missing = [g for g in graphs if g not in set(rows["graph"])]
    return f" No trials of: {', '.join(missing)}." if missing else ""


def _write_caption(out_dir: Path, name: str, paragraphs: Sequence[str]) -> None:
    atomic.write_text(Path(out_dir) / f"{name}.txt", "\n\n".join(paragraphs) + "\n")


def _bars_by_depth(
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
    _lift_title(fig)
    return fig


def _lift_title(fig: plt.Figure) -> None:
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


def _paths(out_dir: Path, name: str) -> Path:
    return Path(out_dir) / f"{name}.png"


# --- Fig. 7 ---------------------------------------------------------------------------------------


def fig7(table: pd.DataFrame, out_dir: Path, name: str = "fig7") -> pd.DataFrame:
    """Fig. 7 (Sec. 5.1): exact structure recovered per validation graph and depth."""
    rows = _order(
        _select(table, VALIDATION_GRAPHS, "fig7", ["structure_match"]), "graph", VALIDATION_GRAPHS
    )
    rates = success_rates(rows, "structure_match", by=("graph", "depth"))
    fig = plot_rates_by_depth(
        rates, "Structure recovered: validation graphs (Fig. 7)", "structure recovered (rate)"
    )
    _lift_title(fig)
    save_figure(fig, _paths(out_dir, name), rates)
    _write_caption(
        out_dir,
        name,
        [
            "Fig. 7 (paper Sec. 5.1): success rate of the pipeline on the four validation "
            "function graphs, per number of hidden layers, pooled over widths and seeds.",
            _STRUCTURE_RULE,
            _RATE_NOTE,
            _counts_note(rows) + _missing_note(rows, VALIDATION_GRAPHS),
        ],
    )
    return rates


# --- Figs. 8 and 12b: rate by sub-function use, one series per depth ------------------------------


def _rates_by_use(
    table: pd.DataFrame, graphs: Sequence[str], target: str
) -> tuple[pd.DataFrame, pd.DataFrame]:
    rows = _with_param(_select(table, graphs, target, ["structure_match"]), "use", target)
    rows = _order(rows, "use", sorted(rows["use"].unique()))
    rates = success_rates(rows, "structure_match", by=("graph", "use", "depth"))
    return rows, rates


def _use_labels(rates: pd.DataFrame) -> dict[str, str]:
    return {
        graph: f"use {use}\n({2 * use} outputs)"
        for graph, use in zip(rates["graph"], rates["use"], strict=True)
    }


def fig8(table: pd.DataFrame, out_dir: Path, name: str = "fig8") -> pd.DataFrame:
    """Fig. 8 (Sec. 5.2): structure recovered vs how often the reused sub-function is used."""
    rows, rates = _rates_by_use(table, REUSE_GRAPHS, "fig8")
    fig = _bars_by_depth(
        rates,
        "graph",
        _use_labels(rates),
        "Structure recovered vs sub-function use: reused graph (Fig. 8)",
        "structure recovered (rate)",
        "times each output sub-function is used",
    )
    save_figure(fig, _paths(out_dir, name), rates)
    _write_caption(
        out_dir,
        name,
        [
            "Fig. 8 (paper Sec. 5.2): success rate on the reused function graph as the number of "
            "times its two output sub-functions are used grows (graphs reused_use1, _use2, _use4, "
            "_use6 and reused = use 8; 2 x use outputs), per number of hidden layers, pooled over "
            "widths and seeds. With one hidden layer the graph collapses to a single module, "
            "which is then the expected structure.",
            _STRUCTURE_RULE,
            _RATE_NOTE,
            _counts_note(rows) + _missing_note(rows, REUSE_GRAPHS),
        ],
    )
    return rates


def fig12b(table: pd.DataFrame, out_dir: Path, name: str = "fig12b") -> pd.DataFrame:
    """Fig. 12b (Sec. 5.4): exact hierarchical structure of the hierarchy graphs vs use."""
    rows, rates = _rates_by_use(table, HIERARCHY_GRAPHS, "fig12b")
    fig = _bars_by_depth(
        rates,
        "graph",
        _use_labels(rates),
        "Hierarchy recovered vs sub-function use (Fig. 12b)",
        "exact hierarchy recovered (rate)",
        "times each output sub-function is used",
    )
    save_figure(fig, _paths(out_dir, name), rates)
    _write_caption(
        out_dir,
        name,
        [
            "Fig. 12b (paper Sec. 5.4): success rate of recovering the exact hierarchical "
            "structure that corresponds to the network's depth, on the hierarchy graphs "
            "(hierarchy_use1 ... hierarchy_use8), by the number of times the output "
            "sub-functions are used, one series per number of hidden layers, pooled over widths "
            "and seeds. With 1-2 hidden layers the expected structure has c, f0 and f1 merged "
            "into one module (the graphs' collapse entries); with 3-4 all five sub-functions.",
            _STRUCTURE_RULE,
            _RATE_NOTE,
            _counts_note(rows) + _missing_note(rows, HIERARCHY_GRAPHS),
        ],
    )
    return rates


# --- Fig. 12a: sub-function kinds by depth --------------------------------------------------------


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
    rows = _select(table, HIERARCHY_GRAPHS, "fig12a", ["structure_match", "modules_found"])
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
    fig = _bars_by_depth(
        rates,
        "subfunction",
        labels,
        "Sub-functions recovered by depth: hierarchy graphs (Fig. 12a)",
        "sub-function recovered (rate)",
        "kind of sub-function",
    )
    _mark_not_applicable(fig.axes[0], rates, "subfunction")
    save_figure(fig, _paths(out_dir, name), rates)
    _write_caption(
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
            _RATE_NOTE,
            _counts_note(rows) + _missing_note(rows, HIERARCHY_GRAPHS),
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


# --- Fig. 10: heat maps over input overlap x use --------------------------------------------------

OVERLAP_PANELS = (
    ("input_modules_match", "input units separated"),
    ("output_modules_match", "output sub-functions detected"),
    ("hidden_modules_match", "hidden units in output modules"),
)


def fig10(table: pd.DataFrame, out_dir: Path, name: str = "fig10") -> pd.DataFrame:
    """Fig. 10 (Sec. 5.3): three properties' success rates over input overlap x use, pooled over
    depths, widths and seeds."""
    flags = [flag for flag, _ in OVERLAP_PANELS]
    rows = _select(table, OVERLAP_GRAPHS, "fig10", flags)
    rows = _with_param(_with_param(rows, "overlap", "fig10"), "use", "fig10")
    rows = rows.sort_values(["overlap", "use"], kind="stable")
    rates = pd.concat(
        [success_rates(rows, flag, by=("overlap", "use")).assign(property=flag) for flag in flags],
        ignore_index=True,
    )
    rates = rates[["property", *[c for c in rates.columns if c != "property"]]]
    fig = plot_rate_heatmaps(rates, OVERLAP_PANELS)
    save_figure(fig, _paths(out_dir, name), rates)
    _write_caption(
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
            "grey: no trials. The CSV holds the 95% Wilson intervals.",
            _counts_note(rows, flags[0]) + _missing_note(rows, OVERLAP_GRAPHS),
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


# --- Fig. 13b: hierarchical MNIST task, module categories by depth -------------------------------

MNIST_CATEGORIES = (
    ("category_input_separable", "two input-separable\nmodules"),
    ("category_output_modules", "three output\nmodules"),
    ("category_middle_layers", "middle layers\nseparable"),
)


def fig13b(table: pd.DataFrame, out_dir: Path, name: str = "fig13b") -> pd.DataFrame:
    """Fig. 13b (Sec. 5.5): the three categories of modules recovered on the hierarchical MNIST
    task, by depth (pooled over widths and seeds)."""
    categories = [key for key, _ in MNIST_CATEGORIES]
    rows = _select(table, MNIST_GRAPHS, "fig13b", categories)
    for column in categories:
        rows[column] = _flag_column(rows[column], column)
    parts = [
        rows[["depth", "trainable"]]
        .assign(category=key, found=rows[key])
        .sort_values("depth", kind="stable")
        for key in categories
    ]
    rates = success_rates(pd.concat(parts), "found", by=("category", "depth"))
    fig = _bars_by_depth(
        rates,
        "category",
        dict(MNIST_CATEGORIES),
        "Hierarchical MNIST task: modules recovered (Fig. 13b)",
        "success rate",
        "category",
        legend_title="hidden layers",
    )
    save_figure(fig, _paths(out_dir, name), rates)
    _write_caption(
        out_dir,
        name,
        [
            "Fig. 13b (paper Sec. 5.5): success rates on the hierarchical MNIST task "
            "(mnist_hierarchical: two MNIST digits 0-7, each as 3 bits, feeding three output "
            "Boolean sub-functions) in three categories, per number of hidden layers, pooled over "
            "widths and seeds.",
            "The categories are flags of scoring.py: (1) two input-separable modules "
            "(category_input_separable): the input partition matches and the two digit modules, "
            "sub-functions a and b, are found; (2) three output modules "
            "(category_output_modules): the output partition matches and f0, f1 and f2 are "
            "found; (3) middle layers separable (category_middle_layers = hidden_modules_match): "
            "every alive hidden unit sits in a module of one of the expected sub-functions: the "
            "middle layers' units separate into the input-separable or the output modules.",
            _RATE_NOTE,
            _counts_note(rows, categories[0]),
        ],
    )
    return rates


# --- dispatch -------------------------------------------------------------------------------------


def paper_figure(
    target: str, table: pd.DataFrame, out_dir: Path, name: str | None = None
) -> pd.DataFrame:
    """Draw `target` (a success figure of `registry.FIGURES`, drawn by this module's function of
    the same name) into `out_dir` as `<name or target>.{png,pdf,csv,txt}`; returns the numbers
    shown."""
    try:
        registry.figure(target, registry.SUCCESS)
    except registry.UnknownFigureError as exc:
        raise PaperFigureError(str(exc)) from None
    return globals()[target](table, Path(out_dir), name or target)
