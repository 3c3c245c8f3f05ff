"""How robust a trial's verdict is: its search may end with several (Pu, Pe) lanes at the same
lowest density, of which the selection rule keeps one (ties to the larger Pe, then Pu). Every tied
lane is detected and scored here, from the edge stage's file, so that a trial reports how many
lanes tie and how many of them recover the structure."""

from __future__ import annotations

from pathlib import Path

from neural_sculpting.analysis.module_detection import detect_modules
from neural_sculpting.analysis.scoring import score_modules
from neural_sculpting.store.checkpoint import CheckpointError, read_stage
from neural_sculpting.study import paths
from neural_sculpting.study.hparams import DetectionSettings
from neural_sculpting.tasks.hierarchy import TaskHierarchy


def tied_lanes(lanes: list[dict], threshold: float) -> list[int]:
    """The lanes at the lowest kept weights among those keeping the threshold (all lanes where
    none does): the candidates the selection rule chooses among."""
    good = [i for i, lane in enumerate(lanes)
            if lane["val_accuracy"] is not None and lane["val_accuracy"] >= threshold]  # fmt: skip
    pool = good or list(range(len(lanes)))
    fewest = min(lanes[i]["kept_weights"] for i in pool)
    return [i for i in pool if lanes[i]["kept_weights"] == fewest]


def tie_counts(
    trial_dir: Path, expected: TaskHierarchy, settings: DetectionSettings
) -> tuple[int, int] | None:
    """(lanes tied at the lowest density, how many of them match the structure), or None where
    the trial has no edge stage (dense and untrainable trials)."""
    if not all(p.is_file() for p in paths.stage_files(trial_dir, "edges")):
        return None
    try:
        content, record = read_stage(trial_dir, "edges")
    except CheckpointError:
        return None  # the selection was made from it; a damaged file leaves ties unknown
    threshold = float(record["config"]["pruning"]["accuracy_threshold"])
    tied = tied_lanes(content["lanes"], threshold)
    weight_masks = content["model"]["weight_masks"]
    recovered = 0
    for lane in tied:
        masks = [m[lane].numpy().astype(bool) for m in weight_masks]
        labels = detect_modules(masks, settings).module_labels
        recovered += bool(score_modules(masks, labels, expected).structure_match)
    return len(tied), recovered
