"""Typed records of a trial's result files: the search's `Selection` (`selected.json`) and the
analysis's `Score` (`score.json`), each with `to_json` / `from_json`.

A trial's dense network may miss the accuracy threshold; what then happens is told apart here:
`dense_reached_threshold` (did it reach it), `pruned` (was it pruned: always where it reached it,
and where `dense_must_reach_threshold: false` prunes it anyway), and from these `trainable` (it
counts in success rates: it reached the threshold or was pruned) and `scored` (its modules are
detected and scored: trainable, in a mode that detects).
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field
from typing import Any

from neural_sculpting.foundations.errors import SculptError
from neural_sculpting.study.hparams import SearchMode

_OPTIONAL = ("kept_weights", "val_accuracy_per_bit", "val_accuracy_per_digit")
_FLAGS_OF_SCORED = (
    "input_modules_match", "output_modules_match", "hidden_modules_match", "modules_found",
    "n_modules", "modules_per_layer", "condensed_arch", "expected", "detected", "failures",
)  # fmt: skip


class RecordError(SculptError):
    """A record file that does not hold what its kind needs."""


@dataclass(frozen=True)
class Selection:
    """A trial's selected network: the lowest-density one its search found, or the dense one."""

    graph: str
    seed: int
    mode: str
    arch: str
    accuracy_measure: str
    dense_val_accuracy: float
    dense_reached_threshold: bool
    pruned: bool
    chosen: dict[str, float] | None  # {"pu": ..., "pe": ...} of the selected lane
    density: float
    val_accuracy: float | None
    meets_threshold: bool
    kept_weights: int | None = None
    # MNIST: the selected network's accuracy by both measures (the threshold used one of them)
    val_accuracy_per_bit: float | None = None
    val_accuracy_per_digit: float | None = None

    @property
    def trainable(self) -> bool:
        """Counts in success rates: the dense network reached the threshold, or was pruned."""
        return self.dense_reached_threshold or self.pruned

    @property
    def scored(self) -> bool:
        return self.trainable and SearchMode(self.mode).detects

    @property
    def hidden(self) -> tuple[int, ...]:
        return tuple(int(w) for w in self.arch.split("-")[1:-1])

    def to_json(self) -> dict[str, Any]:
        record = dataclasses.asdict(self)
        for key in _OPTIONAL:
            if record[key] is None:
                del record[key]
        return record

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> Selection:
        return _from_json(cls, data, "selection")


@dataclass(frozen=True)
class Score:
    """A trial's analysis: density, and where scored, the flags of `scoring.TrialScore`."""

    graph: str
    modularity_threshold: float
    merge_threshold: float
    trainable: bool  # False: untrainable, no detection, flags null
    density: float
    kept_weights: int
    total_weights: int
    structure_match: bool | None = None
    input_modules_match: bool | None = None
    output_modules_match: bool | None = None
    hidden_modules_match: bool | None = None
    modules_found: list[str] | None = None
    n_modules: int | None = None
    modules_per_layer: list[int] | None = None
    condensed_arch: list[int] | None = None
    # Why a trial failed: the expected sub-functions' signatures, the detected modules', and one
    # line per failed check (`scoring.TrialScore`)
    expected: dict[str, str] | None = None
    detected: list[str] | None = None
    failures: list[str] | None = None
    # How robust the verdict is: the search's lanes tied at the lowest density, and how many of
    # them match the structure (`analysis/ties.py`)
    tied_lanes: int | None = None
    tied_lanes_recovered: int | None = None
    # MNIST tasks: one flag per success category of the task description
    categories: dict[str, bool | None] = field(default_factory=dict)

    def explain(self) -> list[str]:
        """What a reader needs to see why the trial failed (empty when it succeeded)."""
        if not self.trainable:
            return ["untrainable: the dense network stayed below the accuracy threshold"]
        return list(self.failures or [])

    def to_json(self) -> dict[str, Any]:
        record = dataclasses.asdict(self)
        if not self.trainable:  # an untrainable trial's score holds no flags but the verdict
            for key in _FLAGS_OF_SCORED:
                del record[key]
        return record

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> Score:
        return _from_json(cls, data, "score")


def _from_json(cls: type, data: dict[str, Any], kind: str) -> Any:
    names = {f.name for f in dataclasses.fields(cls)}
    try:
        return cls(**{k: v for k, v in data.items() if k in names})
    except TypeError as exc:
        raise RecordError(f"not a {kind} record ({exc})") from None
