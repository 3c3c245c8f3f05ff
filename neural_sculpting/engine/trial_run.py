"""A search's bookkeeping per trial: what each stage made of it, its lanes in a pruning stage,
the clock a stage's record reports, and the arrays the analysis reads from its selection."""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import torch

from neural_sculpting.engine.lanes import LaneMLP
from neural_sculpting.engine.progress import Progress
from neural_sculpting.engine.pruning.schedule import LaneSchedule
from neural_sculpting.engine.selection import tied_lanes
from neural_sculpting.engine.settings import SearchTrial
from neural_sculpting.store import arrays, checkpoint
from neural_sculpting.store.records import Selection


@dataclass
class TrialRun:
    """One trial of a search: its settings and task, and what each stage made of it."""

    trial: SearchTrial
    task: int
    widths: tuple[int, ...]
    pu: tuple[float, ...]
    pe: tuple[float, ...]
    configs: dict[str, dict[str, Any]]
    dense: LaneMLP | None = None
    dense_accuracy: float | None = None
    threshold: float | None = None  # the accuracy its pruning steps must keep
    trainable: bool = True
    units: LaneMLP | None = None
    unit_lanes: list[dict[str, Any]] = field(default_factory=list)
    edge_start: LaneMLP | None = None
    edges: LaneMLP | None = None
    edge_lanes: list[dict[str, Any]] = field(default_factory=list)
    result: Selection | None = None
    # stage -> the pruning round a rerun resumed from (its state file), for the stage's record
    resumed: dict[str, int] = field(default_factory=dict)

    @property
    def out(self) -> Path | None:
        return self.trial.out_dir


@dataclass
class StagePart:
    """One trial's lanes in a pruning stage: their networks, their schedules, and what is saved
    with their state besides (edges: each lane's starting accuracy)."""

    model: LaneMLP
    lanes: list[LaneSchedule]
    extra: dict[str, Any] = field(default_factory=dict)


def progress_reporter(progress: Progress):
    def show(model: LaneMLP, lanes: list[LaneSchedule]) -> None:
        running = [i for i, lane in enumerate(lanes) if not lane.done]
        density = float(model.density()[running].mean()) if running else None
        progress.update(len(running), density)

    return show


class StageClock:
    """Wall and CPU seconds since it was made (CPU time is what a stage costs on a shared
    machine; wall time also counts the waits for a core)."""

    def __init__(self) -> None:
        self.wall, self.cpu = time.perf_counter(), time.process_time()

    def spent(self, share: int = 1) -> tuple[float, float]:
        """(wall, CPU) seconds so far, divided among `share` trials."""
        return (time.perf_counter() - self.wall) / share, (time.process_time() - self.cpu) / share


def selected_arrays(run: TrialRun, model: LaneMLP) -> arrays.SelectedArrays:
    """The selected lane's masks and weights, and the masks of the edge lanes tied with it."""
    state = model.to("cpu")
    masks = [m[0].numpy().astype(bool) for m in state.weight_masks]
    weights = [(w[0] * m[0]).numpy() for w, m in zip(state.weights, state.weight_masks,
                                                     strict=True)]  # fmt: skip
    if not (run.trainable and run.edge_lanes and run.edges is not None):
        return arrays.SelectedArrays(masks, weights)
    tied = tied_lanes(run.edge_lanes, run.threshold)
    index = torch.as_tensor(tied, dtype=torch.long)
    tied_masks = [m.cpu().index_select(0, index).numpy().astype(bool)
                  for m in run.edges.weight_masks]  # fmt: skip
    return arrays.SelectedArrays(masks, weights, tied, tied_masks)


def state_saver(
    stage: str,
    todo: list[TrialRun],
    spans: list[tuple[int, int]],
    extras: list[dict[str, Any]],
    every_s: float,
):
    """A round hook saving each trial's pruning state (resumed by a rerun), at most once per
    `every_s` seconds; None when no trial keeps files."""
    if all(run.out is None for run in todo):
        return None
    last = [time.perf_counter()]

    def save(model: LaneMLP, lanes: list[LaneSchedule]) -> None:
        if time.perf_counter() - last[0] < every_s:
            return
        for run, (a, b), extra in zip(todo, spans, extras, strict=True):
            if run.out is None:
                continue
            state = {
                **extra,
                "model": model.select(range(a, b)).state(),
                "schedules": [lane.to_dict() for lane in lanes[a:b]],
            }
            checkpoint.save_state(run.out, stage, run.configs[stage], state)
        last[0] = time.perf_counter()

    return save
