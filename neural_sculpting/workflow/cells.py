"""The jobs a study is cut into: `Cell`s (trials that differ only by seed, searched as one batch),
run a few to a `Job` (one search job, and one detection job per analysis), the run's settings,
and the plan's one error class."""

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
    cells_per_job: int = 8  # cells one search or detection job runs, one after another

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


@dataclass(frozen=True)
class Job:
    """Cells that one job runs one after another in one process, so that its start-up (importing
    torch: about 1.7 CPU-s a search) and a Snakemake job are paid once for them: their search, or
    their detection by one analysis (`analysis`)."""

    cells: tuple[Cell, ...]
    analysis: str | None = None

    @property
    def trials(self) -> tuple[Trial, ...]:
        return tuple(t for cell in self.cells for t in cell.trials)

    @property
    def key(self) -> str:
        """The first cell's folder, and how many cells follow it in the job."""
        first = self.cells[0].key
        return first if len(self.cells) == 1 else f"{first}+{len(self.cells) - 1}"

    @property
    def rule(self) -> str:
        """A readable, unique rule name: the stage, first graph and architecture, and a digest."""
        stage = "search" if self.analysis is None else "detect"
        ident = "|".join(cell.key for cell in self.cells)
        if self.analysis is not None:
            ident += f"/{self.analysis}"
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


def jobs_of(cells: list[Cell], per_job: int) -> list[Job]:
    """`cells` in order, `per_job` to a job (the last job may hold fewer)."""
    return [
        Job(tuple(cells[i : i + per_job]), cells[i].analysis) for i in range(0, len(cells), per_job)
    ]


def cell_key(trial: Trial) -> str:
    return paths.cell_of(trial.key)
