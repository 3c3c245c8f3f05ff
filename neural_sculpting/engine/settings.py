"""What a search is asked to do: its trials (graph, seed, folder) and the settings they share."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

from neural_sculpting.study.hparams import PruningHparams, SearchHparams, TrainingHparams
from neural_sculpting.study.trial import Trial

if TYPE_CHECKING:
    from neural_sculpting.tasks.model_file import ImportedNetwork


@dataclass(frozen=True)
class SearchTrial:
    """One (graph, seed); `out_dir` None keeps everything in memory. `pu`/`pe` override the
    search's values for this trial (paper mode). `imported`: a trained network to start from
    instead of training one (a researcher's own model; the seed then draws only the pruning's
    training noise and data order)."""

    graph: str
    seed: int
    out_dir: Path | None = None
    pu: tuple[float, ...] | None = None
    pe: tuple[float, ...] | None = None
    imported: ImportedNetwork | None = field(default=None, compare=False)


@dataclass(frozen=True)
class SearchSettings:
    """What all trials of one call share. `hidden` are the hidden widths (e.g. (24, 24))."""

    hidden: tuple[int, ...]
    training: TrainingHparams
    pruning: PruningHparams = field(default_factory=PruningHparams)
    search: SearchHparams = field(default_factory=SearchHparams)

    @classmethod
    def of_trial(cls, trial: Trial) -> SearchSettings:
        """The settings of one trial of the study."""
        return cls(trial.hidden, trial.train, trial.pruning, trial.search)
