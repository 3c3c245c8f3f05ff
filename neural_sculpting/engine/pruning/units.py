"""Iterative unit pruning (Appendix H, Algorithm 1), on the step schedule of `schedule.py`.

Unit score (Eq. 1 as the published code computes it): the mean over clean validation samples of
|a * dL/da| per sample, a the post-ReLU activation, L that sample's BCE (mean over its output
bits); raw scores of all hidden layers are compared together. Pruned units have a = 0, score 0.
Pruning a lane to p prunes the units scoring <= percentile(scores, p).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

import torch
import torch.nn.functional as F

from neural_sculpting.engine.data import LaneData
from neural_sculpting.engine.lanes import LaneMLP
from neural_sculpting.engine.pruning.schedule import (
    LaneSchedule,
    RoundHook,
    above,
    percentile_thresholds,
    run_schedule,
)
from neural_sculpting.engine.seeding import KeyPart
from neural_sculpting.study.hparams import TrainingHparams


def unit_scores(model: LaneMLP, data: LaneData) -> torch.Tensor:
    """[L, hidden units] loss-sensitivity scores, layers concatenated in order. Validation rows
    are taken a chunk at a time (`LaneData.val_chunks`); the per-sample mean is over all rows."""
    # A graph through the weights is needed to reach the activations; the weights' own grads
    # are not computed (autograd.grad asks only for the activations).
    params = model.parameters()
    sums, means = [], []
    with torch.enable_grad():
        for p in params:
            p.requires_grad_(True)
        for x, y, *_ in data.val_chunks():
            logits, hidden = model.forward(x, keep_hidden=True)
            # Per-sample losses summed: sample i's activations only reach sample i's loss, so
            # the gradient of the sum is each sample's own dL_i/da_i, and lanes stay separate.
            per_sample = F.binary_cross_entropy_with_logits(logits, y, reduction="none")
            total = per_sample.mean(dim=2).sum()
            grads = torch.autograd.grad(total, hidden)
            terms = [(a * g).abs().detach() for a, g in zip(hidden, grads, strict=True)]
            sums.append(torch.cat([t.sum(dim=1) for t in terms], dim=1))
            means.append(torch.cat([t.mean(dim=1) for t in terms], dim=1))
    for p in params:
        p.requires_grad_(False)
    # One chunk (every Boolean table): the mean exactly as before chunking existed.
    if len(means) == 1:
        return means[0]
    return torch.stack(sums).sum(dim=0) / data.data.n_val


@torch.no_grad()
def prune_units_at(model: LaneMLP, data: LaneData, p: Sequence[float]) -> None:
    """Mask, in place, each lane's units scoring <= percentile(scores, p[lane]) with their
    incoming and outgoing weights and their bias; input and output units are never pruned."""
    scores = unit_scores(model, data)
    keep = above(scores, percentile_thresholds(scores, p)).to(model.weights[0].dtype)
    offset = 0
    for k, width in enumerate(model.widths[1:-1]):
        alive = keep[:, offset : offset + width]
        offset += width
        model.bias_masks[k].mul_(alive)
        model.weight_masks[k].mul_(alive.unsqueeze(2))  # rows: edges into the unit
        model.weight_masks[k + 1].mul_(alive.unsqueeze(1))  # columns: edges out of it
    model.apply_masks_()


def unit_schedules(
    keys: Sequence[tuple[KeyPart, ...]],
    pu_values: Sequence[float],
    n_hidden_units: int,
    accuracy: Sequence[float],
) -> list[LaneSchedule]:
    """Fresh Algorithm-1 schedules: p from 0, step Pu, at least one unit a step."""
    return [
        LaneSchedule(key=tuple(key), step=float(pu), p_min=100.0 / n_hidden_units, accuracy=acc)
        for key, pu, acc in zip(keys, pu_values, accuracy, strict=True)
    ]


def prune_units(
    model: LaneMLP,
    data: LaneData,
    hp: TrainingHparams,
    threshold: float | Sequence[float],
    lanes: list[LaneSchedule],
    on_round: RoundHook | None = None,
    progress: Callable[[LaneMLP, list[LaneSchedule]], None] | None = None,
) -> LaneMLP:
    """Algorithm 1 on every lane (model lane i follows lanes[i]); returns the unit-pruned lanes."""
    return run_schedule(model, data, hp, threshold, lanes, prune_units_at, on_round, progress)
