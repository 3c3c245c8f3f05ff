"""Reading and checking the trials tables the success figures (Sec. 5) are drawn from.

`read_trials` pools several experiments' `trials.csv`; `select_trials` takes a figure's graphs,
checks the columns and the search mode, and parses the scoring flags of `scoring.py` (True, False
or empty: not scored), whatever types the CSV reader produced.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Sequence
from pathlib import Path

import numpy as np
import pandas as pd

from neural_sculpting.foundations.errors import SculptError
from neural_sculpting.tasks.function_graph import load_graph

FLAGS = ("input_modules_match", "output_modules_match", "hidden_modules_match", "structure_match")


class PaperFigureError(SculptError):
    """A trials table a paper figure cannot be drawn from."""


class MissingGraphsError(PaperFigureError):
    """The table holds no trial of the graphs a figure needs."""


class TrialsTableError(PaperFigureError):
    """A malformed trials table: missing columns, unreadable flags, mixed search modes."""


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


def flag_column(values: pd.Series, column: str) -> pd.Series:
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


def select_trials(
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
        rows[column] = flag_column(rows[column], column)
    return rows


def with_param(rows: pd.DataFrame, name: str, target: str) -> pd.DataFrame:
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


def order_by(rows: pd.DataFrame, column: str, order: Sequence) -> pd.DataFrame:
    """Rows sorted by `column` in `order`, then by depth: `success_rates` keeps this order."""
    rank = rows[column].map({value: i for i, value in enumerate(order)})
    return (
        rows.assign(_rank=rank).sort_values(["_rank", "depth"], kind="stable").drop(columns="_rank")
    )


def modules_in_layer(rows: pd.DataFrame, layer: int) -> pd.Series:
    """The number of detected modules among the alive units of one layer (0: the input layer,
    -1: the output layer), from `modules_per_layer` ("2-3-1-1"); NaN where a trial has none (not
    scored), or where the table lacks the column."""
    if "modules_per_layer" not in rows.columns:
        return pd.Series(np.nan, index=rows.index)

    def count(value) -> float:
        if not isinstance(value, str) or not value:
            return np.nan
        return float(value.split("-")[layer])

    return rows["modules_per_layer"].map(count)


def layer_flag(rows: pd.DataFrame, layer: int, holds) -> pd.Series:
    """`holds(number of modules in the layer)` per trial: True, False or NaN (not scored)."""
    counts = modules_in_layer(rows, layer)
    return counts.map(lambda n: np.nan if math.isnan(n) else bool(holds(int(n)))).astype(object)
