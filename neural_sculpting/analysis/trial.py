"""The analysis stage of one trial: detect modules in its selected network and score them against
the task's structure (`figures/trial_drawing.py` draws the result).

Reads `<trial>/selected.npz` and `selected.json` (written by the search, see `store/arrays.py`) and
writes, into an analysis folder named after the detection thresholds (`paths.analysis_dir`),
`modules.json` (the detection, with its module graph as node-link JSON) and `score.json` (the flags
of `scoring.py` plus the density).
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import numpy as np

from neural_sculpting.analysis.module_detection import (
    DetectionSettings,
    ModuleDetection,
    detect_modules,
)
from neural_sculpting.analysis.scoring import found_modules, module_signatures, score_modules
from neural_sculpting.analysis.ties import tie_counts
from neural_sculpting.foundations import atomic, paths
from neural_sculpting.foundations.errors import SculptError
from neural_sculpting.store.arrays import ArraysError, SelectedArrays
from neural_sculpting.store.arrays import load_selected as load_arrays
from neural_sculpting.store.records import RecordError, Score, Selection
from neural_sculpting.tasks.catalog import Task, expected_structure
from neural_sculpting.tasks.dataset_task import DatasetTask
from neural_sculpting.tasks.mnist_task import MnistTask

Described = MnistTask | DatasetTask  # tasks whose input groups and categories a file names


class AnalysisError(SculptError):
    """A trial folder that cannot be analysed (missing or unreadable stage files)."""


def load_selected(
    trial_dir: Path, remove_corrupt: bool = False
) -> tuple[list[np.ndarray], list[np.ndarray], Selection]:
    """The selected network's masks and weights ([out, in] per layer) and its `Selection`."""
    arrays, selection = load_selected_arrays(trial_dir, remove_corrupt)
    return arrays.masks, arrays.weights, selection


def load_selected_arrays(
    trial_dir: Path, remove_corrupt: bool = False
) -> tuple[SelectedArrays, Selection]:
    """The selected network's arrays (`selected.npz`, no torch needed) and its `Selection`.
    A corrupt file stops with one line; `remove_corrupt` (the detect stage, the files' first
    reader) also deletes the selection's files so that the next workflow run recomputes it."""
    record_path = paths.stage_files(trial_dir, "selected")[1]
    npz = paths.selected_npz_file(trial_dir)
    for path in (record_path, npz):
        if not path.is_file():
            raise AnalysisError(f"{path}: missing; run the search stage first")
    try:
        record = json.loads(record_path.read_text())
        selection = Selection.from_json(record["result"])
        arrays = load_arrays(trial_dir, record.get("npz_sha256"))
    except (OSError, ValueError, ArraysError, RecordError, KeyError, TypeError) as exc:
        # A corrupt file must never be used.
        why = str(exc).removeprefix(f"{npz}: ") if isinstance(exc, ArraysError) else repr(exc)
        if not remove_corrupt:
            raise AnalysisError(f"{npz}: corrupt selection ({why})") from None
        for path in (*paths.stage_files(trial_dir, "selected"), npz):
            path.unlink(missing_ok=True)
        raise AnalysisError(
            f"{npz}: corrupt selection ({why}); removed it, rerun the workflow to recompute it"
        ) from None
    return arrays, selection


def analyse_trial(
    trial_dir: Path, graph: Task, settings: DetectionSettings
) -> tuple[ModuleDetection | None, Score]:
    """Detect and score; an untrainable trial (its dense network missed the threshold, so it was
    not pruned) gets no detection and null flags, as the paper's tables leave such settings out.
    A trial pruned anyway (dense_must_reach_threshold: false) is scored like any other."""
    arrays, selection = load_selected_arrays(trial_dir, remove_corrupt=True)
    masks = arrays.masks
    kept = int(sum(m.sum() for m in masks))
    summary: dict[str, Any] = {
        "graph": graph.name,
        "modularity_threshold": settings.modularity_threshold,
        "merge_threshold": settings.merge_threshold,
        "trainable": selection.trainable,
        "density": kept / sum(m.size for m in masks),
        "kept_weights": kept,
        "total_weights": int(sum(m.size for m in masks)),
    }
    categories = graph.categories if isinstance(graph, Described) else {}
    if not selection.trainable:
        return None, Score(**summary, categories=dict.fromkeys(categories))
    detection = detect_modules(masks, settings)
    if isinstance(graph, DatasetTask) and not graph.scored:
        # Nothing expected: report what was found, the flags left empty (not failed).
        groups, names = _unscored_groups(graph)
        found = found_modules(masks, detection.module_labels, groups, names)
        return detection, Score(**summary, **found)
    expected = expected_structure(graph, hidden_layers=len(masks) - 1)
    flags = score_modules(masks, detection.module_labels, expected).to_json()
    if isinstance(graph, Described):
        flags["categories"] = graph.category_flags(flags)
    ties = tie_counts(arrays, expected, settings) if selection.pruned else None
    if ties is not None:
        flags["tied_lanes"], flags["tied_lanes_recovered"] = ties
    return detection, Score(**summary, **flags)


def _unscored_groups(task: DatasetTask):
    """The input groups an unscored dataset task's modules are described by: its named groups,
    or, without a description, the input units themselves (described as ranges)."""
    if not task.described:
        return None, None
    return tuple(task.input_groups.values()), tuple(task.input_groups)


def write_analysis(
    trial_dir: Path, out_dir: Path, graph: Task, settings: DetectionSettings
) -> Score:
    detection, score = analyse_trial(trial_dir, graph, settings)
    modules = detection.to_json() if detection is not None else None
    thresholds = {"modularity_threshold": settings.modularity_threshold,
                  "merge_threshold": settings.merge_threshold}  # fmt: skip
    atomic.write_json(
        paths.modules_file(out_dir), {"graph": graph.name, **thresholds, "detection": modules}
    )
    atomic.write_json(paths.score_file(out_dir), score.to_json())
    return score


def structure_key(trial_dir: Path, analysis_dir: Path, graph: Task) -> str:
    """What a trial's detected structure is, as a comparable string: the signatures of its
    modules (those not made of input units alone, inputs by the task's input groups), sorted."""
    masks, _, _ = load_selected(trial_dir)
    stored = json.loads(paths.modules_file(analysis_dir).read_text())["detection"]
    labels = ModuleDetection.from_json(stored).module_labels
    input_only = set(labels[0]) - {lab for layer in labels[1:] for lab in layer}
    if isinstance(graph, DatasetTask) and not graph.scored:
        groups, names = _unscored_groups(graph)
        return " | ".join(found_modules(masks, labels, groups, names)["detected"])
    expected = expected_structure(graph, len(masks) - 1)
    signatures = module_signatures(masks, labels, expected.input_groups)
    names = expected.input_group_names
    parts = sorted(
        {sig.describe(names) for label, sig in signatures.items() if label not in input_only}
    )
    return " | ".join(parts)


def representative_trial(rows: list[dict], graph: Task) -> tuple[dict, int, int]:
    """The trial to draw for a cell of trials (dicts with trial_dir, analysis_dir, width, seed):
    one whose structure is the most common in the cell, preferring the first (width, seed) of
    the cell as the paper kept one width and seed where the majority allowed. Returns the row,
    how many trials share its structure and how many were compared."""
    # Untrainable trials have an analysis folder but no detection; an unscored task's trials
    # have a detection and empty flags.
    scored = [
        r
        for r in rows
        if isinstance(r.get("analysis_dir"), str)
        and (r.get("structure_match") in (True, False) or r.get("trainable") in (True, "True"))
    ]
    if not scored:
        raise AnalysisError("no analysed trial in this cell (all untrainable?)")
    keys = [structure_key(Path(r["trial_dir"]), Path(r["analysis_dir"]), graph) for r in scored]
    counts = {k: keys.count(k) for k in keys}
    best = max(counts.values())
    # The first row with a most common structure, in the cell's (width, seed) order.
    order = sorted(range(len(scored)), key=lambda i: (str(scored[i]["width"]), scored[i]["seed"]))
    chosen = next(i for i in order if counts[keys[i]] == best)
    return scored[chosen], best, len(scored)
