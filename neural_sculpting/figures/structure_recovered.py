"""Exact structure recovered, by graph or sub-function use and depth: Fig. 7 (Sec. 5.1, the
validation graphs), Fig. 8 (Sec. 5.2, the reused graph by use) and Fig. 12b (Sec. 5.4, the
hierarchy graphs by use), from the `structure_match` flag of `scoring.py`."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import pandas as pd

from neural_sculpting.figures.rates import (
    mark_rates,
    plot_rates_by_depth,
    save_figure,
    success_rates,
)
from neural_sculpting.figures.success_bars import bars_by_depth
from neural_sculpting.figures.success_captions import (
    RATE_NOTE,
    STRUCTURE_RULE,
    counts_note,
    figure_path,
    missing_note,
    write_caption,
)
from neural_sculpting.figures.trials_table import layer_flag, order_by, select_trials, with_param
from neural_sculpting.study.catalogue import HIERARCHY_GRAPHS, REUSE_GRAPHS, VALIDATION_GRAPHS

# --- Fig. 7 ---------------------------------------------------------------------------------------


def fig7(table: pd.DataFrame, out_dir: Path, name: str = "fig7") -> pd.DataFrame:
    """Fig. 7 (Sec. 5.1): exact structure recovered per validation graph and depth."""
    rows = order_by(
        select_trials(table, VALIDATION_GRAPHS, "fig7", ["structure_match"]),
        "graph",
        VALIDATION_GRAPHS,
    )
    rates = success_rates(rows, "structure_match", by=("graph", "depth"))
    fig = plot_rates_by_depth(
        rates, "Structure recovered: validation graphs (Fig. 7)", "structure recovered (rate)"
    )
    ties = "tied_lanes_recovered" in rows and rows["tied_lanes_recovered"].notna().any()
    if ties:
        rates = _with_any_tied_lane(rows, rates)
        mark_rates(fig, rates, "rate_any_tied", "any lane tied at the\nlowest density recovers")
    save_figure(fig, figure_path(out_dir, name), rates)
    write_caption(
        out_dir,
        name,
        [
            "Fig. 7 (paper Sec. 5.1): success rate of the pipeline on the four validation "
            "function graphs, per number of hidden layers, pooled over widths and seeds.",
            STRUCTURE_RULE,
            RATE_NOTE,
            *([TIES_NOTE] if ties else []),
            counts_note(rows) + missing_note(rows, VALIDATION_GRAPHS),
        ],
    )
    return rates


TIES_NOTE = (
    "Diamonds: the share of trials in which at least one of the search's lanes tied at the "
    "lowest density recovers the structure (the selection rule keeps one of them, ties to the "
    "larger Pe, then the larger Pu): how much the verdict depends on that tie-break."
)


def _with_any_tied_lane(rows: pd.DataFrame, rates: pd.DataFrame) -> pd.DataFrame:
    """`rates` with `successes_any_tied` and `rate_any_tied` beside: a trial counts when any of
    its tied lanes recovers the structure (a trial without tie counts keeps its own verdict)."""
    tied = pd.to_numeric(rows["tied_lanes_recovered"], errors="coerce")
    flag = rows["structure_match"].where(tied.isna(), tied > 0)
    any_tied = success_rates(rows.assign(any_tied=flag), "any_tied", by=("graph", "depth"))
    extra = any_tied[["graph", "depth", "successes", "rate"]].rename(
        columns={"successes": "successes_any_tied", "rate": "rate_any_tied"}
    )
    return rates.merge(extra, on=["graph", "depth"], how="left")


# --- Figs. 8 and 12b: rate by sub-function use, one series per depth ------------------------------


def _rates_by_use(
    table: pd.DataFrame, graphs: Sequence[str], target: str
) -> tuple[pd.DataFrame, pd.DataFrame]:
    rows = with_param(select_trials(table, graphs, target, ["structure_match"]), "use", target)
    rows = order_by(rows, "use", sorted(rows["use"].unique()))
    by = ("graph", "use", "depth")
    rates = success_rates(rows, "structure_match", by=by)
    # Beside the rate, not drawn: trials whose output units fall in two or more modules (the two
    # output sub-functions told apart), which use drives whatever structure the depth expects;
    # and how many pass each part of the structure rule, which says where the failures lie.
    rows = rows.assign(outputs_split=layer_flag(rows, -1, lambda n: n >= 2))
    for flag, column in PART_COUNTS.items():
        if flag not in rows.columns:
            continue
        part = success_rates(rows, flag, by=by)[[*by, "successes"]]
        rates = rates.merge(part.rename(columns={"successes": column}), on=list(by))
    return rows, rates


# Trials table flag -> its count per bar in the CSVs of Figs. 8 and 12b.
PART_COUNTS = {
    "outputs_split": "outputs_split",
    "input_modules_match": "inputs_matched",
    "output_modules_match": "outputs_matched",
    "hidden_modules_match": "hidden_matched",
}


def _use_labels(rates: pd.DataFrame) -> dict[str, str]:
    return {
        graph: f"use {use}\n({2 * use} outputs)"
        for graph, use in zip(rates["graph"], rates["use"], strict=True)
    }


def _by_use(
    target: str, table: pd.DataFrame, out_dir: Path, name: str, graphs, title: str, ylabel: str,
    about: str,
) -> pd.DataFrame:  # fmt: skip
    """Success rates of `graphs` by sub-function use, one series per depth (Figs. 8, 12b); the
    CSV also counts the trials whose outputs fall in two or more modules (`outputs_split`) and
    those that pass each part of the structure rule (`PART_COUNTS`)."""
    rows, rates = _rates_by_use(table, graphs, target)
    fig = bars_by_depth(
        rates, "graph", _use_labels(rates), title, ylabel, "times each output sub-function is used"
    )
    save_figure(fig, figure_path(out_dir, name), rates)
    write_caption(
        out_dir,
        name,
        [about, STRUCTURE_RULE, RATE_NOTE, counts_note(rows) + missing_note(rows, graphs)],
    )
    return rates


def fig8(table: pd.DataFrame, out_dir: Path, name: str = "fig8") -> pd.DataFrame:
    """Fig. 8 (Sec. 5.2): structure recovered vs how often the reused sub-function is used."""
    return _by_use(
        "fig8", table, out_dir, name, REUSE_GRAPHS,
        "Structure recovered vs sub-function use: reused graph (Fig. 8)",
        "structure recovered (rate)",
        "Fig. 8 (paper Sec. 5.2): success rate on the reused function graph as the number of "
        "times its two output sub-functions are used grows (graphs reused_use1, _use2, _use4, "
        "_use6 and reused = use 8; 2 x use outputs), per number of hidden layers, pooled over "
        "widths and seeds. With one hidden layer the graph collapses to a single module, "
        "which is then the expected structure.",
    )  # fmt: skip


def fig12b(table: pd.DataFrame, out_dir: Path, name: str = "fig12b") -> pd.DataFrame:
    """Fig. 12b (Sec. 5.4): exact hierarchical structure of the hierarchy graphs vs use."""
    return _by_use(
        "fig12b", table, out_dir, name, HIERARCHY_GRAPHS,
        "Hierarchy recovered vs sub-function use (Fig. 12b)",
        "exact hierarchy recovered (rate)",
        "Fig. 12b (paper Sec. 5.4): success rate of recovering the exact hierarchical "
        "structure that corresponds to the network's depth, on the hierarchy graphs "
        "(hierarchy_use1 ... hierarchy_use8), by the number of times the output "
        "sub-functions are used, one series per number of hidden layers, pooled over widths "
        "and seeds. With 1-2 hidden layers the expected structure has c, f0 and f1 merged "
        "into one module (the graphs' collapse entries); with 3-4 all five sub-functions.",
    )  # fmt: skip
