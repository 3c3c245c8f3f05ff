"""How robust a trial's verdict is: its search may end with several (Pu, Pe) lanes at the same
lowest density, of which the selection rule keeps one (ties to the larger Pe, then Pu). Every tied
lane is detected and scored here, from the masks the search stored beside the selected network
(`store/arrays.py`), so that a trial reports how many lanes tie and how many of them recover the
structure."""

from __future__ import annotations

from neural_sculpting.analysis.module_detection import detect_modules
from neural_sculpting.analysis.scoring import score_modules
from neural_sculpting.engine.selection import tied_lanes
from neural_sculpting.store.arrays import SelectedArrays
from neural_sculpting.study.hparams import DetectionSettings
from neural_sculpting.tasks.hierarchy import TaskHierarchy

__all__ = ["tie_counts", "tied_lanes"]


def tie_counts(
    arrays: SelectedArrays, expected: TaskHierarchy, settings: DetectionSettings
) -> tuple[int, int] | None:
    """(lanes tied at the lowest density, how many of them match the structure), or None where
    the trial has no edge stage (dense and untrainable trials)."""
    if arrays.tied_lanes is None:
        return None
    recovered = 0
    for masks in arrays.tied_lane_masks():
        labels = detect_modules(masks, settings).module_labels
        recovered += bool(score_modules(masks, labels, expected).structure_match)
    return len(arrays.tied_lanes), recovered
