"""The jobs a study is cut into: a `Cell` (trials that differ only by seed: one search job, and
one detection job per analysis), the run's settings, and the plan's one error class."""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass

from neural_sculpting.foundations import paths
from neural_sculpting.foundations.errors import SculptError
from neural_sculpting.study.defaults import STATE_EVERY_S
from neural_sculpting.study.trial import Trial, trials_to_json


class PlanError(SculptError):
    """A target or job the config cannot make; one line naming it."""


@dataclass(frozen=True)
class RunSettings:
    """The config's top-level settings besides the experiments."""

    device: str = "auto"  # auto | cpu | cuda: where pruning runs
    threads: int = 1  # CPU threads per pruning job
    state_every: float = STATE_EVERY_S  # seconds between saves of a pruning state

    @property
    def gpu(self) -> int:
        """GPUs a search job asks the scheduler for."""
        return 1 if self.device == "cuda" else 0


@dataclass(frozen=True)
class Cell:
    """Trials of the study that differ only by seed (`key`: their folder without `s<seed>`),
    in seed order. `analysis` is None for the cell's search, else the detection it makes."""

    key: str
    trials: tuple[Trial, ...]
    analysis: str | None = None

    @property
    def rule(self) -> str:
        """A readable, unique rule name: the stage, graph and architecture, and a digest."""
        stage = "search" if self.analysis is None else "detect"
        ident = self.key if self.analysis is None else f"{self.key}/{self.analysis}"
        digest = hashlib.blake2b(ident.encode(), digest_size=4).hexdigest()
        first = self.trials[0]
        return re.sub(r"\W", "_", f"{stage}_{first.graph}_{first.arch}_{digest}")

    @property
    def trials_json(self) -> str:
        return trials_to_json(self.trials)

    def search_outputs(self) -> list[str]:
        return [
            str(path(t.key))
            for t in self.trials
            for path in (paths.selected_json, paths.selected_pt, paths.selected_npz)
        ]

    def detect_outputs(self) -> list[str]:
        return [
            str(path(t.key, self.analysis))
            for t in self.trials
            for path in (paths.score_json, paths.modules_json)
        ]

    def log(self, name: str) -> str:
        return str(paths.log_file("cells", self.key, f"{name}.log"))

    def benchmark(self, name: str) -> str:
        return str(paths.benchmark_file("cells", self.key, f"{name}.tsv"))


def cell_key(trial: Trial) -> str:
    return paths.cell_of(trial.key)
