"""The step schedule both pruning algorithms share (Appendix H, Algorithms 1 and 2).

Per lane, p is cumulative and relative to the original network. Try p = last kept p + step: score
the last kept network, prune what scores <= percentile(scores, p) (numpy.percentile, linear),
retrain from the current weights with a fresh optimiser, keep the try if validation accuracy >=
the threshold; otherwise go back to the last kept network exactly and halve the step, but never
below p_min, one unit (100 / hidden units) or one weight: the run stops when a try whose step is
already p_min fails. A try at p >= 100 is a failure without training. Every lane runs its own
schedule; lanes that are done leave the batch.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import torch

from neural_sculpting.engine.data import LaneData
from neural_sculpting.engine.lanes import LaneMLP
from neural_sculpting.engine.seeding import KeyPart
from neural_sculpting.engine.training import train_lanes
from neural_sculpting.study.hparams import TrainingHparams


@dataclass
class LaneSchedule:
    """One lane's pruning state: everything a resume needs besides the last kept network."""

    key: tuple[KeyPart, ...]  # rounds draw from key + (round, epoch)
    step: float
    p_min: float
    p_kept: float = 0.0
    rounds: int = 0
    done: bool = False
    accuracy: float | None = None  # validation accuracy of the last kept network
    history: list[dict[str, Any]] = field(default_factory=list)
    wall_s: float = 0.0

    def fail(self) -> None:
        """A rejected try: halve the step, but never below p_min; a rejected try whose step
        was already p_min ends the run (the authors' code: `if p > p_min: p = max(p / 2,
        p_min)` else stop), so a run ends walking one unit or one weight at a time."""
        if self.step > self.p_min:
            self.step = max(self.step / 2, self.p_min)
        else:
            self.done = True

    def to_dict(self) -> dict[str, Any]:
        return {
            "key": list(self.key),
            "step": self.step,
            "p_min": self.p_min,
            "p_kept": self.p_kept,
            "rounds": self.rounds,
            "done": self.done,
            "accuracy": self.accuracy,
            "history": self.history,
            "wall_s": self.wall_s,
        }

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> LaneSchedule:
        return cls(**{**d, "key": tuple(d["key"])})


def percentile_thresholds(scores: torch.Tensor, p: Sequence[float]) -> np.ndarray:
    """numpy.percentile (linear) of each lane's scores [L, N] at its own p (percent), as float64
    (each lane's value exactly, whatever precision numpy gave it).

    Lanes of one p share one call along the lanes' axis: elementwise the same partition and
    interpolation as a call per lane (tested), at a call per distinct p. The p's type is part of
    the key, since numpy's precision follows it (a Python float interpolates in the scores'
    float32, a NumPy float64 in float64)."""
    values = scores.detach().cpu().numpy()
    out = np.empty(values.shape[0])
    groups: dict[tuple[type, float], list[int]] = {}
    for lane, q in enumerate(p):
        groups.setdefault((type(q), q), []).append(lane)
    for lanes in groups.values():
        out[lanes] = np.percentile(values[lanes], p[lanes[0]], axis=1)
    return out


def above(scores: torch.Tensor, thresholds: np.ndarray) -> torch.Tensor:
    """[L, N] bool: score > its lane's threshold (so what is <= the threshold is pruned).
    Compared in numpy float64, exactly as `scores > np.percentile(scores, p)` would."""
    keep = scores.detach().cpu().numpy() > thresholds[:, None]
    return torch.from_numpy(keep).to(scores.device)


def lane_thresholds(threshold: float | Sequence[float], n_lanes: int) -> list[float]:
    """One threshold per lane, from one for all or a list of one per lane."""
    if isinstance(threshold, int | float):
        return [float(threshold)] * n_lanes
    limits = [float(t) for t in threshold]
    if len(limits) != n_lanes:
        raise ValueError(f"{len(limits)} thresholds for {n_lanes} lanes")
    return limits


RoundHook = Callable[[LaneMLP, list[LaneSchedule]], None]
# Prunes each lane of a model to its cumulative p (units or weights), in place.
PruneFn = Callable[[LaneMLP, LaneData, Sequence[float]], None]


def run_schedule(
    model: LaneMLP,
    data: LaneData,
    hp: TrainingHparams,
    threshold: float | Sequence[float],
    lanes: list[LaneSchedule],
    prune_at: PruneFn,
    on_round: RoundHook | None = None,
    progress: Callable[[LaneMLP, list[LaneSchedule]], None] | None = None,
) -> LaneMLP:
    """Run every lane's schedule to its end; `model` holds the last kept networks and is updated
    in place (and returned). `threshold` is one accuracy for all lanes or one per lane (each
    trial's own A_v). `on_round` is called after every round (checkpoint hook)."""
    limits = lane_thresholds(threshold, len(lanes))
    while True:
        started = time.perf_counter()
        for lane in lanes:
            while not lane.done and lane.p_kept + lane.step >= 100:
                lane.history.append(
                    {"round": None, "p": lane.p_kept + lane.step, "step": lane.step,
                     "val_accuracy": None, "density": None, "kept": False,
                     "reason": "p >= 100"}
                )  # fmt: skip
                lane.fail()
        active = [i for i, lane in enumerate(lanes) if not lane.done]
        if not active:
            return model
        trial = model.select(active)
        sub_data = data.select(active) if len(active) != data.n_lanes else data
        tries = [lanes[i].p_kept + lanes[i].step for i in active]
        prune_at(trial, sub_data, tries)
        keys = [(*lanes[i].key, lanes[i].rounds) for i in active]
        ev = train_lanes(trial, sub_data, hp, keys)
        density = trial.density().cpu()
        kept_rows, kept_lanes = [], []
        elapsed = (time.perf_counter() - started) / len(active)
        for row, i in enumerate(active):
            lane = lanes[i]
            acc = float(ev.accuracy[row])
            ok = acc >= limits[i]
            lane.history.append(
                {"round": lane.rounds, "p": tries[row], "step": lane.step,
                 "val_accuracy": acc, "val_loss": float(ev.loss[row]),
                 "density": float(density[row]), "kept": ok}
            )  # fmt: skip
            lane.rounds += 1
            lane.wall_s += elapsed
            if ok:
                lane.p_kept = tries[row]
                lane.accuracy = acc
                kept_rows.append(row)
                kept_lanes.append(i)
            else:
                lane.fail()
        if kept_rows:
            model.put(kept_lanes, trial.select(kept_rows))
        if on_round is not None:
            on_round(model, lanes)
        if progress is not None:
            progress(model, lanes)
