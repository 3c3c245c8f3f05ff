"""Figures of the structural tests (paper Sections 2-3, Appendix G): the dispatch by target name.

The structural targets of `catalogue.FIGURES`, each drawn by one module from trial folders
(`trial_networks`):

- ``table1``: the input-separability tests on input-separable networks, widths x hidden layers per
  training regime, marking where both null hypotheses are rejected (paper Table 1;
  `input_separability_table`);
- ``fig1b`` / ``fig3a`` / ``fig4a``: the heat map of pi(i, j) of one input-separable network,
  dense / edge-pruned / unit-edge-pruned (`path_product_maps`);
- ``fig2b`` / ``fig3b`` / ``fig4b``: N90 per hidden layer of reused networks with two hidden
  layers, by width (bars: mean over seeds, error bars: population std), same three regimes
  (`n90_bars`);
- ``fig35`` / ``fig36``: heat maps of the t statistic and p value of both tests over widths x
  depths, edge-pruned / unit-edge-pruned (`input_separability_grids`).

Each target writes the PNG, the PDF and the tidy CSV of the numbers shown (`figures.save_figure`)
and a caption `<target>.txt` beside them.
"""

from __future__ import annotations

import inspect
from collections.abc import Sequence
from pathlib import Path

import pandas as pd

from neural_sculpting.figures.dispatch import drawing_function
from neural_sculpting.figures.trial_networks import (
    DEFAULT_SETTINGS,
    StructuralFigureError,
    StructuralFigureSettings,
)
from neural_sculpting.study import catalogue

TARGETS = catalogue.names(catalogue.STRUCTURAL)

__all__ = ["TARGETS", "make_target"]


def make_target(
    target: str,
    trial_dirs: Sequence[Path],
    output: Path,
    seed: int = 1,
    settings: StructuralFigureSettings = DEFAULT_SETTINGS,
) -> pd.DataFrame:
    """Draw one of `TARGETS` from the trial folders; returns the table written as its CSV."""
    try:
        entry = catalogue.figure(target, catalogue.STRUCTURAL)
    except catalogue.UnknownFigureError as exc:
        raise StructuralFigureError(str(exc)) from None
    draw = drawing_function(entry)
    # Each drawing takes the folders and the output, and what of these it uses (Table 1 shows
    # every regime; N90 bars every seed).
    options = {"regime": entry.regime, "seed": seed, "settings": settings}
    accepted = inspect.signature(draw).parameters
    return draw(trial_dirs, output, **{k: v for k, v in options.items() if k in accepted})
