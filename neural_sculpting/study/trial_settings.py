"""The one builder of a trial's settings, for the config, the command line and the Python API.

Each caller says which task kind the trial is of (its defaults, `defaults.DEFAULTS`) and gives
what its user set, leaving the rest None; `trial_settings` fills the rest from the kind's defaults
and checks the result (each settings class checks its own values, in one line). Thresholds are
parsed here only: a percent, "dense" (each trial's dense network's accuracy, A_v), or None.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from neural_sculpting.study.defaults import DEFAULTS
from neural_sculpting.study.hparams import (
    DetectionSettings,
    HparamsError,
    PruningHparams,
    SearchHparams,
    TrainingHparams,
)

DENSE = "dense"  # the threshold that is each trial's own dense accuracy


@dataclass(frozen=True)
class TrialSettings:
    """Everything a trial's search and detection need besides its task, architecture and seed."""

    train: TrainingHparams
    search: SearchHparams
    pruning: PruningHparams
    detection: DetectionSettings


def parse_threshold(value: float | str | None, default: float | None) -> float | None:
    """A threshold as users write it: a percent, "dense" (None: each trial's A_v), or None for
    `default` (the task kind's)."""
    if value is None:
        return default
    if value == DENSE:
        return None
    problem = HparamsError(f"accuracy_threshold must be a percent or dense, got {value!r}")
    if isinstance(value, bool) or not isinstance(value, int | float | str):
        raise problem
    try:
        return float(value)
    except ValueError:
        raise problem from None


def trial_settings(
    kind: str,
    *,
    train: Mapping[str, Any] | None = None,
    mode: str | None = None,
    pu: Sequence[float] | None = None,
    pe: Sequence[float] | None = None,
    accuracy_threshold: float | str | None = None,
    dense_must_reach_threshold: bool | None = None,
    accuracy_measure: str | None = None,
    edge_min_step: float | None = None,
    detection: Mapping[str, Any] | None = None,
) -> TrialSettings:
    """A trial's settings: what is given, the rest from the defaults of task kind `kind`."""
    defaults = DEFAULTS[kind]
    pruning = defaults.pruning
    given_train = {k: v for k, v in (train or {}).items() if v is not None}
    return TrialSettings(
        train=dataclasses.replace(defaults.train, **given_train),
        # A Pe left out takes the mode's own schedule (grid's or edge-only's).
        search=SearchHparams(
            mode=mode or defaults.search.mode,
            pu_values=defaults.search.pu_values if pu is None else tuple(pu),
            pe_values=None if pe is None else tuple(pe),
        ),
        pruning=PruningHparams(
            accuracy_threshold=parse_threshold(accuracy_threshold, pruning.accuracy_threshold),
            require_trainable_dense=(
                pruning.require_trainable_dense
                if dense_must_reach_threshold is None
                else bool(dense_must_reach_threshold)
            ),
            accuracy_measure=accuracy_measure or pruning.accuracy_measure,
            edge_min_step=pruning.edge_min_step if edge_min_step is None else edge_min_step,
        ),
        detection=dataclasses.replace(
            defaults.detection, **{k: v for k, v in (detection or {}).items() if v is not None}
        ),
    )
