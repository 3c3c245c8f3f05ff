"""What a results folder holds for each trial of a study: done, in progress or pending, read from
the stage and state files alone (`sculpt status`).

A trial is *done* when its selection exists and, where its mode detects modules, its score; *in
progress* when some of its stage files or a pruning state (`state-<stage>.pt`, saved after every
round) exist, which is also what a killed run leaves to resume from; *pending* otherwise. For a
pruning state the report gives its round, how many lanes are still pruning and their mean density.
The time left is estimated from the `benchmark:` files of the trials already searched.
"""

from __future__ import annotations

import csv
import statistics
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from neural_sculpting.foundations import paths
from neural_sculpting.study.trial import Experiment, Trial

DONE, IN_PROGRESS, PENDING = "done", "in progress", "pending"
_STAGES = ("dense", "units", "edges", "selected")


@dataclass(frozen=True)
class TrialStatus:
    trial: Trial
    state: str  # done | in progress | pending
    stage: str | None = None  # the last stage with files, or the stage being pruned
    round: int | None = None  # of the pruning state
    lanes_left: int | None = None
    lanes: int | None = None
    density: float | None = None  # mean over the lanes still pruning

    def describe(self) -> str:
        text = f"{self.trial.key}: {self.stage}"
        if self.round is not None:
            text += (
                f", round {self.round}, {self.lanes_left} of {self.lanes} lanes pruning, "
                f"density {100 * self.density:.2f}%"
            )
        elif self.stage is not None:
            text += " done, later stages not started"
        return text


def _pruning_state(folder: Path, stage: str) -> tuple[int, int, int, float] | None:
    """(round, lanes left, lanes, mean density of the lanes left) of a saved pruning state."""
    path = paths.state_file(folder, stage)
    if not path.is_file():
        return None
    from neural_sculpting.store.checkpoint import torch_load  # torch only where a state exists

    try:
        state = torch_load(path)
        schedules, masks = state["schedules"], state["model"]["weight_masks"]
    except Exception:  # a state cut short by a kill: the stage is in progress all the same
        return 0, 0, 0, float("nan")
    left = [i for i, lane in enumerate(schedules) if not lane["done"]]
    kept = sum(m.flatten(1).sum(dim=1).double() for m in masks)
    total = sum(m[0].numel() for m in masks)
    density = float((kept[left] / total).mean()) if left else float("nan")
    rounds = max((lane["rounds"] for lane in schedules), default=0)
    return rounds, len(left), len(schedules), density


def trial_status(trial: Trial, root: Path | None = None) -> TrialStatus:
    folder = paths.trial_dir(trial.key, root)
    scored = not trial.detects or paths.score_json(trial.key, trial.analysis, root).is_file()
    if paths.selected_json(trial.key, root).is_file() and scored:
        return TrialStatus(trial, DONE, "selected")
    for stage in ("edges", "units"):
        pruning = _pruning_state(folder, stage)
        if pruning is not None:
            rounds, left, lanes, density = pruning
            return TrialStatus(trial, IN_PROGRESS, stage, rounds, left, lanes, density)
    written = [s for s in _STAGES if all(p.is_file() for p in paths.stage_files(folder, s))]
    if written:
        stage = "detection" if written[-1] == "selected" else written[-1]
        return TrialStatus(trial, IN_PROGRESS, stage)
    return TrialStatus(trial, PENDING)


def _benchmark_seconds(path: Path) -> float | None:
    try:
        with open(path, newline="") as handle:
            rows = list(csv.DictReader(handle, delimiter="\t"))
        return float(rows[-1]["s"])
    except (OSError, KeyError, ValueError, IndexError):
        return None


def search_seconds(trial: Trial, root: Path | None = None, cell_size: int = 1) -> float | None:
    """Wall seconds of the trial's search, from Snakemake's benchmark file: its own job's (MNIST
    trials), or its share of its cell's job (Boolean trials: `cell_size` trials searched
    together)."""
    own = _benchmark_seconds(paths.benchmark_file("trials", trial.key, "search.tsv", root=root))
    if own is not None:
        return own
    cell = paths.benchmark_file("cells", paths.cell_of(trial.key), "search.tsv", root=root)
    seconds = _benchmark_seconds(cell)
    return None if seconds is None else seconds / max(1, cell_size)


def report(experiments: Sequence[Experiment], root: Path | None = None, cores: int = 1) -> str:
    """The table `sculpt status` prints: per experiment, trials done, in progress and pending;
    the trials in progress; the estimated time left."""
    lines = [f"{'experiment':<40} {'trials':>6} {'done':>6} {'in progress':>11} {'pending':>7}"]
    seen: dict[str, TrialStatus] = {}
    for experiment in experiments:
        statuses = [seen.setdefault(t.key, trial_status(t, root)) for t in experiment.trials]
        counts = {s: sum(x.state == s for x in statuses) for s in (DONE, IN_PROGRESS, PENDING)}
        lines.append(
            f"{experiment.name:<40} {len(statuses):>6} {counts[DONE]:>6} "
            f"{counts[IN_PROGRESS]:>11} {counts[PENDING]:>7}"
        )
    running = [s for s in seen.values() if s.state == IN_PROGRESS]
    if running:
        lines += ["", "in progress:"] + [f"  {s.describe()}" for s in running]
    left = [s.trial for s in seen.values() if s.state != DONE]
    cell_sizes = Counter(paths.cell_of(key) for key in seen)
    times = [
        t
        for t in (
            search_seconds(s.trial, root, cell_sizes[paths.cell_of(s.trial.key)])
            for s in seen.values()
        )
        if t is not None
    ]
    lines.append("")
    if not left:
        lines.append("every trial is done")
    elif times:
        mean = statistics.fmean(times)
        minutes = mean * len(left) / max(1, cores) / 60
        lines.append(
            f"time left: about {minutes:.1f} min of search for {len(left)} trials on {cores} "
            f"core(s), at the mean of the {len(times)} searched so far ({mean:.1f} s each)"
        )
    else:
        lines.append(f"time left: {len(left)} trials to search; no search has finished yet")
    log = paths.log_file("cells", "<cell>", "search.log", root=root)
    mnist_log = paths.log_file("trials", "<trial>", "search.log", root=root)
    lines.append(
        f"a search's progress: tail -f {log} (a cell: a trial folder without its s<seed>; "
        f"MNIST trials: {mnist_log})"
    )
    return "\n".join(lines)
