"""Fig. 13b (Sec. 5.5): the three categories of modules recovered on the hierarchical MNIST task,
by depth: two input-separable modules, three output modules, middle layers separable (the
`category_*` flags of `scoring.py`)."""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from neural_sculpting.figures.rates import save_figure, success_rates
from neural_sculpting.figures.success_bars import bars_by_depth
from neural_sculpting.figures.success_captions import (
    RATE_NOTE,
    counts_note,
    figure_path,
    write_caption,
)
from neural_sculpting.figures.trials_table import flag_column, select_trials
from neural_sculpting.study import catalogue

MNIST_GRAPHS = catalogue.figure("fig13b").graphs

MNIST_CATEGORIES = (
    ("category_input_separable", "two input-separable\nmodules"),
    ("category_output_modules", "three output\nmodules"),
    ("category_middle_layers", "middle layers\nseparable"),
)


def fig13b(table: pd.DataFrame, out_dir: Path, name: str = "fig13b") -> pd.DataFrame:
    """Fig. 13b (Sec. 5.5): the three categories of modules recovered on the hierarchical MNIST
    task, by depth (pooled over widths and seeds)."""
    categories = [key for key, _ in MNIST_CATEGORIES]
    rows = select_trials(table, MNIST_GRAPHS, "fig13b", categories)
    for column in categories:
        rows[column] = flag_column(rows[column], column)
    parts = [
        rows[["depth", "trainable"]]
        .assign(category=key, found=rows[key])
        .sort_values("depth", kind="stable")
        for key in categories
    ]
    rates = success_rates(pd.concat(parts), "found", by=("category", "depth"))
    fig = bars_by_depth(
        rates,
        "category",
        dict(MNIST_CATEGORIES),
        "Hierarchical MNIST task: modules recovered (Fig. 13b)",
        "success rate",
        "category",
        legend_title="hidden layers",
    )
    save_figure(fig, figure_path(out_dir, name), rates)
    write_caption(
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
            RATE_NOTE,
            counts_note(rows, categories[0]),
        ],
    )
    return rates
