"""What an experiment leaves out, per task kind: the one place where defaults are chosen.

Boolean experiments take the dataclasses' own defaults (`hparams.py`). MNIST experiments take the
paper's MNIST settings (Sec. 5.5; the setting the authors used most per task in
`paper_hparams.csv`): lr 0.001, batch 512, 40 epochs (two digits) or 80 (hierarchical), no input
noise, width 392, two hidden layers, threshold 99 or 98 per bit, detection -0.3 / 0.6, and pruning
even where the dense network misses the threshold (as the authors' code did). Dataset experiments
(a researcher's own file) take `_DATASET`: width 64, lr 0.001, batch 64, 20 epochs, MNIST's
detection thresholds, and each dense network's own accuracy as the pruning threshold. Edge-only
trials take their own Pe schedule (`hparams.EDGE_ONLY_PE`) unless the config gives `pe`.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any

from neural_sculpting.study.hparams import (
    DetectionSettings,
    PruningHparams,
    SearchHparams,
    TrainingHparams,
    json_ready,
    to_dict,
)


class TaskKind(StrEnum):
    """What an experiment learns (its `task` key): function graphs, one of the two MNIST tasks
    of Section 5.5, or a dataset file. A `str`, so configs and JSON keep the plain names."""

    BOOLEAN = "boolean"
    MNIST_TWO_DIGITS = "mnist_two_digits"
    MNIST_HIERARCHICAL = "mnist_hierarchical"
    DATASET = "dataset"

    @property
    def is_mnist(self) -> bool:
        return self in (TaskKind.MNIST_TWO_DIGITS, TaskKind.MNIST_HIERARCHICAL)


MNIST_TASKS = tuple(kind.value for kind in TaskKind if kind.is_mnist)
TASK_KINDS = tuple(kind.value for kind in TaskKind)
# Fig. 13a has four levels: inputs, digit modules, output sub-functions, outputs.
MIN_MNIST_DEPTH = 2


@dataclass(frozen=True)
class ExperimentDefaults:
    """The value of every experiment key a config may leave out (names as in the config)."""

    widths: tuple[int, ...] = (24,)
    depths: tuple[int, ...] = (2,)
    seeds: tuple[int, ...] = (0, 1, 2, 5)
    train: TrainingHparams = field(default_factory=TrainingHparams)
    search: SearchHparams = field(default_factory=SearchHparams)
    pruning: PruningHparams = field(default_factory=PruningHparams)
    detection: DetectionSettings = field(default_factory=DetectionSettings)
    # MNIST tasks only
    split: str = "paper"
    composites_per_pair: int = 1000
    mnist_root: str = "data"

    def as_config(self) -> dict[str, Any]:
        """The defaults as config keys, the way the schema states them."""
        train = to_dict(self.train)
        return json_ready(
            {
                "task": "boolean",
                "widths": self.widths,
                "depths": self.depths,
                "seeds": self.seeds,
                "train": {k: train[k] for k in ("lr", "batch_size", "epochs")},
                "overrides": [],
                "mode": self.search.mode,
                "pu": self.search.pu_values,
                "pe": self.search.pe_values,
                "accuracy_threshold": (
                    "dense"
                    if self.pruning.accuracy_threshold is None
                    else self.pruning.accuracy_threshold
                ),
                "dense_must_reach_threshold": self.pruning.require_trainable_dense,
                "accuracy_measure": self.pruning.accuracy_measure,
                "edge_min_step": self.pruning.edge_min_step,
                "detection": to_dict(self.detection),
                "split": self.split,
                "composites_per_pair": self.composites_per_pair,
                "mnist_root": self.mnist_root,
            }
        )


BOOLEAN = ExperimentDefaults()
_MNIST = dataclasses.replace(
    BOOLEAN,
    widths=(392,),
    depths=(2,),
    pruning=PruningHparams(accuracy_threshold=99.0, require_trainable_dense=False),
    detection=DetectionSettings(modularity_threshold=-0.3, merge_threshold=0.6),
)
# A researcher's dataset file: real data, like MNIST's, so MNIST's detection thresholds and no input
# noise; a width and rate for a laptop (128 inputs train in minutes), and Algorithms 1-2's own
# pruning threshold, each dense network's validation accuracy A_v (None), since real data rarely
# reaches a fixed 99%.
_DATASET = dataclasses.replace(
    _MNIST,
    widths=(64,),
    train=TrainingHparams(lr=0.001, batch_size=64, epochs=20, noise_std=0.0),
    pruning=PruningHparams(accuracy_threshold=None, require_trainable_dense=False),
)
DEFAULTS: dict[str, ExperimentDefaults] = {
    "boolean": BOOLEAN,
    "mnist_two_digits": dataclasses.replace(
        _MNIST, train=TrainingHparams(lr=0.001, batch_size=512, epochs=40, noise_std=0.0)
    ),
    "mnist_hierarchical": dataclasses.replace(
        _MNIST,
        train=TrainingHparams(lr=0.001, batch_size=512, epochs=80, noise_std=0.0),
        pruning=PruningHparams(accuracy_threshold=98.0, require_trainable_dense=False),
    ),
    "dataset": _DATASET,
}

# Seconds between saves of a pruning search's state (a killed search resumes from the last one and
# loses at most this much work). Saving after every round costs a short search about a fifth of
# its time: the state holds every lane's schedule history.
STATE_EVERY_S = 10.0
