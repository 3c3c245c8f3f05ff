"""Iterative edge pruning (Appendix H, Algorithm 2) with the schedule of `unit_pruning`.

Scores: |w| over all weight matrices of the lane at once (biases are not edges); masked weights are
0 and stay in the percentile. Starting p = 100 * (1 - density) of the starting network, so that p
stays cumulative and relative to the original network; stop when the step is below one weight
(100 / weights of the original network).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

import torch

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


@torch.no_grad()
def prune_edges_at(model: LaneMLP, data: LaneData, p: Sequence[float]) -> None:
    """Mask, in place, each lane's weights with |w| <= percentile(|all weights|, p[lane])."""
    del data  # magnitude pruning needs no data; the signature matches unit pruning's
    scores = torch.cat([w.abs().flatten(1) for w in model.weights], dim=1)
    keep = above(scores, percentile_thresholds(scores, p)).to(model.weights[0].dtype)
    offset = 0
    for mask in model.weight_masks:
        n = mask[0].numel()
        mask.mul_(keep[:, offset : offset + n].view_as(mask))
        offset += n
    model.apply_masks_()


def edge_schedules(
    keys: Sequence[tuple[KeyPart, ...]],
    pe_values: Sequence[float],
    start: LaneMLP,
    accuracy: Sequence[float],
    min_step: float | None = None,
) -> list[LaneSchedule]:
    """Fresh Algorithm-2 schedules starting at p = 100 * (1 - density of `start`'s lanes); the
    step halves down to one weight, or to `min_step` percent where that is more."""
    density = start.density().cpu().tolist()
    p_min = max(100.0 / start.n_weights, min_step or 0.0)
    return [
        LaneSchedule(
            key=tuple(key),
            step=float(pe),
            p_min=p_min,
            p_kept=100.0 * (1.0 - d),
            accuracy=acc,
        )
        for key, pe, d, acc in zip(keys, pe_values, density, accuracy, strict=True)
    ]


def prune_edges(
    model: LaneMLP,
    data: LaneData,
    hp: TrainingHparams,
    threshold: float | Sequence[float],
    lanes: list[LaneSchedule],
    on_round: RoundHook | None = None,
    progress: Callable[[LaneMLP, list[LaneSchedule]], None] | None = None,
) -> LaneMLP:
    """Algorithm 2 on every lane; returns the edge-pruned lanes (model is updated in place)."""
    return run_schedule(model, data, hp, threshold, lanes, prune_edges_at, on_round, progress)
