"""The paper's success-rate figures (Figs. 7, 8, 10, 12a, 12b, 13b, Sec. 5) from `trials.csv`.

Each figure function takes the trials table (one or several experiments' `trials.csv` pooled) and
an output folder, and writes `<name>.png`, `<name>.pdf`, the tidy `<name>.csv` of the numbers it
shows and a caption `<name>.txt`. Rates are the scoring flags of `scoring.py` over scored trials,
with counts and 95% Wilson intervals (`figures.success_rates`); untrainable trials are counted
apart, never as failures. Trials are pooled over widths and seeds (and, where a figure says so,
over depths or sub-function use), as in the paper.

The figures live in `structure_recovered` (Figs. 7, 8, 12b), `input_overlap` (Fig. 10),
`hierarchy_subfunctions` (Fig. 12a) and `mnist_categories` (Fig. 13b), on the table reading of
`trials_table`; `paper_figure` draws one by its name in `catalogue.FIGURES`.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pandas as pd

from neural_sculpting.figures.hierarchy_subfunctions import fig12a
from neural_sculpting.figures.input_overlap import fig10
from neural_sculpting.figures.mnist_categories import fig13b
from neural_sculpting.figures.structure_recovered import fig7, fig8, fig12b
from neural_sculpting.figures.trials_table import (
    MissingGraphsError,
    PaperFigureError,
    TrialsTableError,
    read_trials,
)
from neural_sculpting.study import catalogue

__all__ = [
    "FIGURE_FUNCTIONS",
    "MissingGraphsError",
    "PaperFigureError",
    "TrialsTableError",
    "paper_figure",
    "read_trials",
]

# Each success figure's drawing function, keyed by its own name (the catalogue's figure name).
FIGURE_FUNCTIONS: dict[str, Callable[[pd.DataFrame, Path, str], pd.DataFrame]] = {
    function.__name__: function for function in (fig7, fig8, fig10, fig12a, fig12b, fig13b)
}


def paper_figure(
    target: str, table: pd.DataFrame, out_dir: Path, name: str | None = None
) -> pd.DataFrame:
    """Draw `target` (a success figure of `catalogue.FIGURES`, drawn by the function of the same
    name in `FIGURE_FUNCTIONS`) into `out_dir` as `<name or target>.{png,pdf,csv,txt}`; returns
    the numbers shown."""
    try:
        catalogue.figure(target, catalogue.SUCCESS)
    except catalogue.UnknownFigureError as exc:
        raise PaperFigureError(str(exc)) from None
    return FIGURE_FUNCTIONS[target](table, Path(out_dir), name or target)
