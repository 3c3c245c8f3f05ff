"""The drawing jobs: each experiment's cell drawings (one per graph and depth of its analysed
trials) drawn by one `sculpt draw-cell` process, so that its start-up and a Snakemake job are paid
once an experiment, not once a drawing (the study's 123 drawings were 123 jobs)."""

from __future__ import annotations

import hashlib
import re
import shlex
from dataclasses import dataclass
from typing import TYPE_CHECKING

from neural_sculpting.foundations import paths

if TYPE_CHECKING:
    from neural_sculpting.workflow import Plan


@dataclass(frozen=True)
class Drawings:
    """The drawings of one experiment's cells (graph, depth) that share the task's options for
    `sculpt draw-cell` (`Plan.task_options`: all of a Boolean experiment's do)."""

    experiment: str
    options: str
    cells: tuple[tuple[str, int], ...]

    @property
    def _digest(self) -> str:
        ident = f"{self.experiment}|{self.options}"
        return hashlib.blake2b(ident.encode(), digest_size=4).hexdigest()

    @property
    def rule(self) -> str:
        return re.sub(r"\W", "_", f"draw_{self.experiment}_{self._digest}")

    def outputs(self) -> list[str]:
        return [str(paths.drawing_cell(self.experiment, g, d)) for g, d in self.cells]

    def inputs(self, plan: Plan) -> list[str]:
        """Every cell's trial records (`Plan.drawing_inputs`), each once."""
        files = (f for g, d in self.cells for f in plan.drawing_inputs(self.experiment, g, d))
        return list(dict.fromkeys(files))

    def cell_options(self) -> str:
        """`--cell GRAPH DEPTH OUTPUT` for each drawing, quoted for the shell."""
        return " ".join(
            f"--cell {shlex.quote(g)} {d} {shlex.quote(out)}"
            for (g, d), out in zip(self.cells, self.outputs(), strict=True)
        )

    def log(self) -> str:
        return str(paths.log_file("experiments", self.experiment, f"draw_{self._digest}.log"))

    def benchmark(self) -> str:
        return str(paths.benchmark_file("experiments", self.experiment, f"draw_{self._digest}.tsv"))


def drawing_jobs(plan: Plan) -> list[Drawings]:
    """One job per experiment with analysed trials (per task option where its graphs differ)."""
    jobs = []
    for name, experiment in plan.study.items():
        groups: dict[str, list[tuple[str, int]]] = {}
        for graph, depth in sorted({(t.graph, t.depth) for t in experiment.trials if t.detects}):
            groups.setdefault(plan.task_options(name, graph), []).append((graph, depth))
        jobs += [Drawings(name, options, tuple(cells)) for options, cells in groups.items()]
    return jobs
