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

from pathlib import Path

import pandas as pd

from neural_sculpting.figures.dispatch import drawing_function
from neural_sculpting.figures.trials_table import (
    MissingGraphsError,
    PaperFigureError,
    TrialsTableError,
    read_trials,
)
from neural_sculpting.study import catalogue

__all__ = [
    "MissingGraphsError",
    "PaperFigureError",
    "TrialsTableError",
    "paper_figure",
    "read_trials",
]


def paper_figure(
    target: str, table: pd.DataFrame, out_dir: Path, name: str | None = None
) -> pd.DataFrame:
    """Draw `target` (a success figure of `catalogue.FIGURES`, by the function its entry names)
    into `out_dir` as `<name or target>.{png,pdf,csv,txt}`; returns the numbers shown."""
    try:
        entry = catalogue.figure(target, catalogue.SUCCESS)
    except catalogue.UnknownFigureError as exc:
        raise PaperFigureError(str(exc)) from None
    return drawing_function(entry)(table, Path(out_dir), name or target)
