"""Lanes in groups that fit a memory budget: a stage whose lanes do not fit the device at once
trains and prunes them in consecutive groups. Lanes are independent (each draws from its own
seeds), so a split run gives bitwise the result of one batch.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

import torch

from neural_sculpting.engine.data import EVAL_ROWS, LaneData
from neural_sculpting.engine.lanes import LaneMLP
from neural_sculpting.engine.pruning.schedule import LaneSchedule, lane_thresholds
from neural_sculpting.engine.training import (
    Evaluation,
    gathered,
    lane_memory_bytes,
    train_lanes,
)
from neural_sculpting.study.hparams import TrainingHparams

Hook = Callable[[LaneMLP, list[LaneSchedule]], None]


def lane_groups(budget_bytes: float, widths, batch_size: int, n_lanes: int) -> list[list[int]]:
    """Consecutive groups of lane indices, each within the budget (at least one lane)."""
    per_lane = lane_memory_bytes(widths, batch_size, EVAL_ROWS)
    size = max(1, int(budget_bytes // per_lane))
    return [list(range(a, min(a + size, n_lanes))) for a in range(0, n_lanes, size)]


def train_in_groups(
    model: LaneMLP, data: LaneData, hp: TrainingHparams, keys: list, groups: list[list[int]]
) -> Evaluation:
    """`train_lanes` on all lanes, group after group; `model` is trained in place."""
    if len(groups) == 1:
        return train_lanes(model, data, hp, keys)
    parts = []
    for group in groups:
        part = model.select(group)
        evaluation = train_lanes(part, data.select(group), hp, [keys[i] for i in group])
        parts.append((torch.tensor(group), evaluation))
        model.put(group, part)
    return gathered(parts, model.n_lanes)


def prune_in_groups(
    prune: Callable[..., LaneMLP],
    model: LaneMLP,
    data: LaneData,
    hp: TrainingHparams,
    threshold: float | Sequence[float],
    schedules: list[LaneSchedule],
    groups: list[list[int]],
    hook: Hook | None,
    progress: Hook,
) -> LaneMLP:
    """Run `prune` (unit or edge pruning) on all lanes, group after group. The state hook always
    sees every lane: those of later groups at their start."""
    if len(groups) == 1:
        return prune(model, data, hp, threshold, schedules, on_round=hook, progress=progress)
    limits = lane_thresholds(threshold, len(schedules))
    for group in groups:

        def group_hook(part: LaneMLP, lanes: list[LaneSchedule], group=group) -> None:
            model.put(group, part)
            hook(model, schedules)

        part = prune(
            model.select(group), data.select(group), hp, [limits[i] for i in group],
            [schedules[i] for i in group], on_round=group_hook if hook else None,
            progress=progress,
        )  # fmt: skip
        model.put(group, part)
    return model
