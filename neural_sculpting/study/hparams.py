"""Settings of training, pruning, the (Pu, Pe) search and module detection, as frozen dataclasses.

These are the one source of every default: the config schema's defaults and `config/README.md`
are checked against them by a test, and the study (`experiments.py`) fills what a config leaves
out from them (`ExperimentDefaults`, per task kind). Each class checks its own values, so a bad
setting fails where it is made, with one line naming it. `to_dict` gives the JSON-ready form
written into every record and compared when a stage's earlier files are reused.
"""

from __future__ import annotations

import dataclasses
import math
from dataclasses import dataclass, field, fields
from enum import StrEnum
from typing import Any

from neural_sculpting.foundations.errors import SculptError


class SearchMode(StrEnum):
    """Which pruning runs a trial makes (`engine/search.py` describes each). A `str`, so configs,
    records and JSON keep the plain names."""

    GRID = "grid"
    PAPER = "paper"
    EDGE_ONLY = "edge_only"
    DENSE = "dense"

    @property
    def prunes_units(self) -> bool:
        """Unit pruning runs for every Pu (then edge pruning of each result)."""
        return self in (SearchMode.GRID, SearchMode.PAPER)

    @property
    def detects(self) -> bool:
        """Its networks are unit-edge-pruned and have their modules detected and scored."""
        return self.prunes_units


SEARCH_MODES = tuple(mode.value for mode in SearchMode)
ACCURACY_MEASURES = ("per_bit", "per_digit")
GRID_PU = tuple(float(p) for p in range(5, 75, 5))
GRID_PE = (0.5, 1.0, 1.5, 2.0, 2.5)
EDGE_ONLY_PE = (5.0, 2.5, 2.0, 1.5, 1.0, 0.5)


class HparamsError(SculptError):
    """A setting is out of range or inconsistent."""


def _positive(name: str, value: float) -> None:
    if not (isinstance(value, int | float) and math.isfinite(value) and value > 0):
        raise HparamsError(f"{name} must be a positive number, got {value!r}")


def to_dict(settings: Any) -> dict[str, Any]:
    """A dataclass as a JSON-ready dict (tuples become lists)."""
    return json_ready(dataclasses.asdict(settings))


def json_ready(value: Any) -> Any:
    if isinstance(value, StrEnum):
        return value.value
    if isinstance(value, dict):
        return {str(k): json_ready(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [json_ready(v) for v in value]
    return value


def from_dict(cls: type, data: dict[str, Any]) -> Any:
    """The inverse of `to_dict` for these flat dataclasses (lists become tuples)."""
    names = {f.name for f in fields(cls)}
    unknown = set(data) - names
    if unknown:
        raise HparamsError(f"{cls.__name__}: unknown setting {sorted(unknown)[0]!r}")
    return cls(**{k: tuple(v) if isinstance(v, list) else v for k, v in data.items()})


@dataclass(frozen=True)
class TrainingHparams:
    """One (re)training: `epochs` passes over the training rows with a fresh Adam. Defaults are
    the Boolean experiments'; Boolean inputs get Gaussian noise (`noise_std`), MNIST none."""

    lr: float = field(default=0.05, metadata={"help": "Adam learning rate", "config": "train.lr"})
    batch_size: int = field(
        default=8, metadata={"help": "rows per optimiser step", "config": "train.batch_size"}
    )
    epochs: int = field(
        default=20, metadata={"help": "passes over the training rows", "config": "train.epochs"}
    )
    weight_decay: float = field(default=1e-4, metadata={"help": "Adam weight decay"})
    noise_std: float = field(
        default=0.1, metadata={"help": "std of the input noise (MNIST and dataset files: none)"}
    )

    def __post_init__(self) -> None:
        _positive("lr", self.lr)
        if not isinstance(self.batch_size, int) or self.batch_size < 1:
            raise HparamsError(f"batch_size must be a positive integer, got {self.batch_size!r}")
        if not isinstance(self.epochs, int) or self.epochs < 1:
            raise HparamsError(f"epochs must be a positive integer, got {self.epochs!r}")
        if self.weight_decay < 0 or self.noise_std < 0:
            raise HparamsError("weight_decay and noise_std must not be negative")


@dataclass(frozen=True)
class PruningHparams:
    """Decision rules shared by unit and edge pruning.

    `accuracy_threshold` (percent) is what a pruning step's retrained network must reach to be kept;
    the paper's Boolean code uses 100. None is Algorithms 1-2's own rule: each trial's dense
    network's validation accuracy A_v (dataset tasks' default, as real data rarely reaches 100%).
    `require_trainable_dense` is THE place deciding what happens
    to a dense network below that threshold: True records the trial as untrainable and prunes
    nothing (the paper's tables mark such settings); False prunes it anyway, relying on pruning's
    retraining to carry on from where dense training stopped (Appendix H.1).
    `accuracy_measure` is THE place naming what that accuracy is: "per_bit" (share of output bits
    right at 0.5: the paper's measure, behind its 99% / 98% MNIST thresholds) or "per_digit"
    (MNIST only: share of digits right, each one-hot group by argmax, or each 3-bit XOR code
    with all bits right).
    `edge_min_step` bounds Algorithm 2's walk: the smallest step edge pruning halves down to, in
    percent of the original network's weights. None is the authors' rule, one weight, under which
    a run ends walking one weight a round (up to ~1,000 rounds on a width-128 network); a larger
    floor ends it after fewer rounds, a little denser.
    """

    # Field metadata: the command line's flag (`cli/flags.py`) and the config key it sets.
    accuracy_threshold: float | None = field(
        default=100.0,
        metadata={
            "help": "percent a pruning step must keep, or dense: each dense network's accuracy",
            "config": "accuracy_threshold",
            "kind": "threshold",
            "metavar": "PERCENT|dense",
        },
    )
    require_trainable_dense: bool = field(
        default=True,
        metadata={
            "help": "prune dense networks below the threshold instead of skipping them",
            "config": "dense_must_reach_threshold",
            "flag": "allow_untrainable",
            "kind": "negation",
        },
    )
    accuracy_measure: str = field(
        default="per_bit",
        metadata={
            "help": "what the threshold counts: output bits (the paper's) or digits (MNIST)",
            "config": "accuracy_measure",
            "choices": ACCURACY_MEASURES,
        },
    )
    edge_min_step: float | None = field(
        default=None,
        metadata={
            "help": "smallest edge-pruning step, percent of the weights (null: one weight)",
            "config": "edge_min_step",
            "kind": "float",
            "metavar": "PERCENT",
        },
    )

    def __post_init__(self) -> None:
        if self.accuracy_threshold is not None and not 0 < self.accuracy_threshold <= 100:
            raise HparamsError(
                f"accuracy_threshold must be in (0, 100] percent, got {self.accuracy_threshold!r}"
            )
        if self.accuracy_measure not in ACCURACY_MEASURES:
            raise HparamsError(
                f"accuracy_measure must be one of {', '.join(ACCURACY_MEASURES)}, "
                f"got {self.accuracy_measure!r}"
            )
        step = self.edge_min_step
        if step is not None and not (
            isinstance(step, int | float) and not isinstance(step, bool) and 0 < step < 100
        ):
            raise HparamsError(f"edge_min_step must be in (0, 100) percent or null, got {step!r}")

    def threshold_for(self, dense_accuracy: float) -> float:
        """The accuracy a trial's pruning steps must keep, given its dense network's."""
        return dense_accuracy if self.accuracy_threshold is None else self.accuracy_threshold


@dataclass(frozen=True)
class SearchHparams:
    """Which pruning runs a trial makes (see `search.py` for the modes)."""

    mode: str = field(
        default="grid",
        metadata={"help": "the pruning search", "config": "mode", "choices": SEARCH_MODES},
    )
    pu_values: tuple[float, ...] = field(
        default=GRID_PU,
        metadata={
            "help": "unit-pruning steps in percent",
            "config": "pu",
            "flag": "pu",
            "kind": "floats",
        },
    )
    # None: the mode's default, GRID_PE for grid and paper, EDGE_ONLY_PE for edge_only.
    pe_values: tuple[float, ...] | None = field(
        default=None,
        metadata={
            "help": "edge-pruning steps in percent (edge_only: 5 ... 0.5)",
            "config": "pe",
            "flag": "pe",
            "kind": "floats",
        },
    )

    def __post_init__(self) -> None:
        if self.mode not in SEARCH_MODES:
            raise HparamsError(f"mode must be one of {', '.join(SEARCH_MODES)}, got {self.mode!r}")
        object.__setattr__(self, "mode", SearchMode(self.mode))
        if self.pe_values is None:
            default_pe = EDGE_ONLY_PE if self.mode == SearchMode.EDGE_ONLY else GRID_PE
            object.__setattr__(self, "pe_values", default_pe)
        for name in ("pu_values", "pe_values"):
            values = tuple(float(v) for v in getattr(self, name))
            if len(set(values)) != len(values):
                raise HparamsError(f"{name} has repeated values: {values}")
            for v in values:
                if not 0 < v < 100:
                    raise HparamsError(f"{name} values must be in (0, 100) percent, got {v}")
            object.__setattr__(self, name, values)
        if self.mode == "grid" and (not self.pu_values or not self.pe_values):
            raise HparamsError("grid mode needs at least one Pu and one Pe")


@dataclass(frozen=True)
class DetectionSettings:
    """Thresholds of module detection (paper Section 5: Boolean defaults; MNIST -0.3 / 0.6).

    modularity_threshold: the separability tests are consulted when the best M is strictly
        above this value (the authors' code writes 0.2 for the rule "M > -0.2").
    merge_threshold: clusters of adjacent layers merge when strictly more than this share of
        edges connects them in both directions. It must be at least 0.5, so that a cluster can
        merge with at most one other and the order of checks cannot matter.
    """

    modularity_threshold: float = -0.2
    merge_threshold: float = 0.9

    def __post_init__(self) -> None:
        if not math.isfinite(self.modularity_threshold):
            raise HparamsError(
                f"modularity_threshold must be finite, got {self.modularity_threshold}"
            )
        if not 0.5 <= self.merge_threshold <= 1.0:
            raise HparamsError(f"merge_threshold must lie in [0.5, 1], got {self.merge_threshold}")
