"""The learning-rate x batch-size study of Appendix H.2 (Tables 2 and 3): its design, the epochs
chosen per setting (`config/appendix_epochs.csv`) and the success rates the paper prints.

Width 24, 1-3 hidden layers, seeds 0, 1, 2, 5, the full grid, for the four validation graphs;
one experiment per graph (`lr_batch_<graph>`), sweeping the learning rates and its batch sizes.
For each (graph, depth, lr, batch size) the epochs are the fewest, at most 120, at which all four
dense networks reach 100% validation accuracy (`engine/dense_epochs.py`, run by
`scripts/appendix_epochs.py`); where none does, the setting is untrainable (the paper's X) and its
trials only train the dense network (mode dense).
"""

from __future__ import annotations

import csv
import math
from dataclasses import dataclass
from pathlib import Path

from neural_sculpting.foundations import paths
from neural_sculpting.foundations.errors import SculptError
from neural_sculpting.study import catalogue

LRS = (0.005, 0.01, 0.05, 0.1)
WIDTH = 24
DEPTHS = (1, 2, 3)
SEEDS = (0, 1, 2, 5)
SMALL_BATCHES = (1, 2, 4, 8, 16)
MAX_EPOCHS = 120  # the paper's cap on the epochs of a setting
EPOCHS_COLUMNS = ("graph", "depth", "lr", "batch_size", "epochs", "first_epoch_per_seed")


@dataclass(frozen=True)
class Panel:
    """One block of Table 2 or 3: a graph, its batch sizes, and the paper's success rates
    (rows: batch sizes; columns: LRS; None: X, untrainable; NaN: not legible in the text)."""

    table: str
    panel: str
    graph: str
    batch_sizes: tuple[int, ...]
    paper: dict[int, tuple[tuple[float | None, ...], ...]]  # depth -> rows

    @property
    def experiment(self) -> str:
        return f"lr_batch_{self.graph}"

    def paper_rate(self, depth: int, lr: float, batch_size: int) -> float | None:
        return self.paper[depth][self.batch_sizes.index(batch_size)][LRS.index(lr)]


X = None  # the paper's X: no epochs up to 120 train all four seeds to 100%
NA = math.nan  # a value the paper's text does not show legibly

PANELS: tuple[Panel, ...] = (
    Panel("table2", "a", "input_separable", SMALL_BATCHES, {
        1: ((1.0, X, 1.0, X), (1.0, 1.0, 1.0, 1.0), (1.0, 1.0, 1.0, 1.0), (1.0, 1.0, 1.0, 1.0),
            (X, 1.0, 1.0, 1.0)),
        2: ((1.0, 1.0, 1.0, X), (1.0, 1.0, 1.0, X), (1.0, 1.0, 1.0, 1.0), (1.0, 1.0, 1.0, 1.0),
            (1.0, 1.0, 1.0, 1.0)),
        3: ((1.0, 1.0, X, X), (1.0, 1.0, X, X), (1.0, 1.0, 1.0, X), (1.0, 1.0, 1.0, X),
            (1.0, 1.0, 1.0, 1.0)),
    }),
    Panel("table2", "b", "reused", SMALL_BATCHES, {
        1: ((0.5, 0.5, 1.0, 1.0), (0.5, 0.5, 1.0, 1.0), (0.5, 1.0, 1.0, 1.0), (X, 0.5, 0.75, 1.0),
            (X, X, 1.0, 1.0)),
        2: ((0.25, 0.25, 0.5, X), (0.5, 0.0, 0.75, 1.0), (0.0, 0.25, 1.0, 1.0),
            (0.25, 0.0, 0.5, 1.0), (X, 0.25, 0.75, 0.5)),
        3: ((0.25, 0.5, X, X), (0.25, 0.5, X, X), (0.5, 0.5, 0.75, X), (0.25, 0.25, 0.75, 1.0),
            (X, X, 0.75, 1.0)),
    }),
    Panel("table3", "a", "separable_reused", (*SMALL_BATCHES, 32, 64), {
        1: ((0.75, 1.0, 1.0, X), (0.75, 0.75, 1.0, 1.0), (0.75, 0.5, 1.0, 1.0),
            (0.5, 0.75, 1.0, 1.0), (0.75, 1.0, 1.0, 1.0), (0.75, 1.0, 1.0, 1.0),
            (X, 0.75, 1.0, 1.0)),
        2: ((0.75, 1.0, 0.25, X), (1.0, 1.0, 0.25, X), (0.75, 1.0, 0.0, X), (1.0, 1.0, 1.0, X),
            (1.0, 1.0, 1.0, 0.25), (1.0, 1.0, 1.0, 0.5), (1.0, 0.75, 1.0, 1.0)),
        # batch 1, lr 0.05 is blank in the paper's text
        3: ((1.0, 1.0, NA, X), (0.75, 1.0, X, X), (1.0, 0.75, 0.5, X), (0.75, 1.0, 0.5, 0.25),
            (0.75, 0.75, 0.75, 0.25), (0.5, 0.75, 1.0, 0.5), (0.5, 0.75, 1.0, 0.5)),
    }),
    Panel("table3", "b", "non_modular", SMALL_BATCHES, {
        1: ((1.0, 1.0, 1.0, 1.0), (1.0, 1.0, 1.0, 1.0), (1.0, 1.0, 1.0, 1.0), (X, 1.0, 1.0, 1.0),
            (X, X, 1.0, 1.0)),
        2: ((1.0, 1.0, 1.0, X), (0.75, 0.75, 1.0, 1.0), (1.0, 0.75, 1.0, 1.0),
            (0.75, 1.0, 1.0, 1.0), (1.0, 1.0, 1.0, 1.0)),
        3: ((0.25, 1.0, 1.0, X), (0.5, 0.75, 0.5, X), (0.75, 1.0, 1.0, X), (1.0, 1.0, 1.0, 1.0),
            (1.0, 0.75, 0.75, 1.0)),
    }),
)  # fmt: skip

# The graphs of each table, as the catalogue names them (one experiment per graph).
TABLES = {name: catalogue.FIGURES[name].graphs for name in catalogue.names(catalogue.LR_BATCH)}


def panel(graph: str) -> Panel:
    return next(p for p in PANELS if p.graph == graph)


def experiment_names(table: str) -> tuple[str, ...]:
    return tuple(panel(g).experiment for g in TABLES[table])


EpochsKey = tuple[str, int, float, int]  # graph, depth, lr, batch size


def read_epochs(path: Path | None = None) -> dict[EpochsKey, int | None]:
    """The epochs chosen per (graph, depth, lr, batch size); None where untrainable."""
    path = path or paths.appendix_epochs_csv()
    with Path(path).open(newline="") as handle:
        rows = list(csv.DictReader(handle))
    if rows and tuple(rows[0]) != EPOCHS_COLUMNS:
        raise SculptError(f"{path}: expected the columns {', '.join(EPOCHS_COLUMNS)}")
    return {
        (r["graph"], int(r["depth"]), float(r["lr"]), int(r["batch_size"])): (
            int(r["epochs"]) if r["epochs"] else None
        )
        for r in rows
    }
