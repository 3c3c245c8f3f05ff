"""Differential test: our module detection against the authors' detector on their 160 networks.

`shared/reference/authors_networks/` (beside the repo) holds the authors' published pruned
networks for the four validation tasks, with what their own detector gives each: alive units,
per-layer clusters, final modules and per-layer diagnostics. Labels are arbitrary numbers on
both sides, so clusters and modules are compared as partitions of (layer, unit) pairs.
"""

from __future__ import annotations

import json
import math
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from neural_sculpting.analysis.module_detection import (
    DetectionSettings,
    ModuleDetection,
    detect_modules,
)

REFERENCE = Path(__file__).resolve().parents[1].parent / "shared" / "reference" / "authors_networks"
# Trials per task, from the folder's README: 9 architectures x 4 seeds, reused 13 x 4.
TASKS = {"input_separable": 36, "reused": 52, "separable_reused": 36, "non_modular": 36}
CASES = [(task, index) for task, count in TASKS.items() for index in range(count)]


def _missing_message() -> str:
    return f"reference data missing: {REFERENCE} (the repo must sit beside shared/)"


@pytest.fixture(scope="session")
def authors_trials() -> dict[str, list[dict[str, Any]]]:
    if not REFERENCE.is_dir():
        pytest.fail(_missing_message())
    trials = {}
    for task in TASKS:
        with (REFERENCE / f"{task}.json").open() as handle:
            trials[task] = json.load(handle)
    return trials


def _settings(trial: dict[str, Any]) -> DetectionSettings:
    ds = trial["detection_settings"]
    # The authors' code stores 0.2 for the rule "best M > -0.2".
    return DetectionSettings(
        modularity_threshold=-ds["mm_threshold"], merge_threshold=ds["cluster_merging_threshold"]
    )


@pytest.fixture(scope="session")
def detections(
    authors_trials: dict[str, list[dict[str, Any]]],
) -> dict[tuple[str, int], ModuleDetection]:
    return {
        (task, index): detect_modules([np.asarray(m) for m in trial["masks"]], _settings(trial))
        for task, trials in authors_trials.items()
        for index, trial in enumerate(trials)
    }


def _partition(rows: Any) -> set[frozenset[tuple[int, int]]]:
    """Label rows (one per layer, None = dead) -> set of groups of (layer, unit) pairs."""
    groups: dict[Any, set[tuple[int, int]]] = {}
    for layer, row in enumerate(rows):
        for unit, label in enumerate(row):
            if label is not None:
                groups.setdefault(label, set()).add((layer, unit))
    return {frozenset(group) for group in groups.values()}


def _case_id(case: tuple[str, int]) -> str:
    return f"{case[0]}-{case[1]:02d}"


def test_reference_data_present() -> None:
    assert REFERENCE.is_dir(), _missing_message()
    for task in TASKS:
        assert (REFERENCE / f"{task}.json").is_file(), f"missing {task}.json in {REFERENCE}"


def test_trial_counts_and_settings(authors_trials: dict[str, list[dict[str, Any]]]) -> None:
    assert {task: len(trials) for task, trials in authors_trials.items()} == TASKS
    for trials in authors_trials.values():
        for trial in trials:
            ds = trial["detection_settings"]
            # What our detector implements; a trial run otherwise would not be comparable.
            assert ds["feature_direction"] == "outgoing"
            assert ds["feature_weighted"] is False
            assert ds["clustering_distance_measure"] == "cosine"
            assert ds["clustering_linkage"] == "average"
            assert ds["stopping_criteria"] == "modularity-metric"
            assert ds["clusterability_criterion"] == "compare_expected"


@pytest.mark.parametrize("case", CASES, ids=_case_id)
def test_alive_units_match(
    case: tuple[str, int],
    authors_trials: dict[str, list[dict[str, Any]]],
    detections: dict[tuple[str, int], ModuleDetection],
) -> None:
    authors = authors_trials[case[0]][case[1]]["authors_detection"]
    ours = detections[case]
    assert [list(units) for units in ours.alive] == authors["alive_units_per_layer"]
    assert [len(units) for units in ours.alive] == authors["condensed_arch"]


@pytest.mark.parametrize("case", CASES, ids=_case_id)
def test_layer_clusters_match(
    case: tuple[str, int],
    authors_trials: dict[str, list[dict[str, Any]]],
    detections: dict[tuple[str, int], ModuleDetection],
) -> None:
    authors = authors_trials[case[0]][case[1]]["authors_detection"]
    ours = detections[case]
    for layer, (mine, theirs) in enumerate(
        zip(ours.cluster_labels, authors["cluster_labels_per_layer"], strict=True)
    ):
        assert _partition([mine]) == _partition([theirs]), f"layer {layer}"


@pytest.mark.parametrize("case", CASES, ids=_case_id)
def test_modules_match(
    case: tuple[str, int],
    authors_trials: dict[str, list[dict[str, Any]]],
    detections: dict[tuple[str, int], ModuleDetection],
) -> None:
    authors = authors_trials[case[0]][case[1]]["authors_detection"]
    ours = detections[case]
    assert _partition(ours.module_labels) == _partition(authors["module_labels_per_layer"])
    assert ours.n_modules == authors["n_modules"]
    assert ours.module_graph().number_of_nodes() == authors["n_modules"]


@pytest.mark.parametrize("case", CASES, ids=_case_id)
def test_layer_diagnostics_match(
    case: tuple[str, int],
    authors_trials: dict[str, list[dict[str, Any]]],
    detections: dict[tuple[str, int], ModuleDetection],
) -> None:
    """Chosen k, metric per k, argmin k, fallback and both tests' fire flags and scores."""
    authors = authors_trials[case[0]][case[1]]["authors_detection"]["per_layer_clustering"]
    ours = detections[case].per_layer
    assert len(ours) == len(authors)
    for mine, theirs in zip(ours, authors, strict=True):
        where = f"layer {theirs['layer']}"
        assert mine.layer == theirs["layer"], where
        assert mine.n_units == theirs["n_units"], where
        assert mine.chosen_k == theirs["chosen_k"], where
        expected_metrics = {int(k): v for k, v in theirs["metric_per_k"].items()}
        assert set(mine.ks) == set(expected_metrics), where
        for k, value in zip(mine.ks, mine.metrics, strict=True):
            # Both sides round to 8 decimals; allow one last-digit flip from float noise.
            assert math.isclose(value, expected_metrics[k], rel_tol=0, abs_tol=1.1e-8), where
        assert mine.best_k == theirs["metric_argmin_k"], where
        # The authors record a fallback only when the tests were consulted and one fired.
        fell_back = mine.used_tests and bool(mine.separate_fired or mine.single_fired)
        assert fell_back == theirs["fallback_to_tests"], where
        for name, fired, score in (
            ("separate_test", mine.separate_fired, mine.separate_score),
            ("single_test", mine.single_fired, mine.single_score),
        ):
            if theirs[name] is None:
                assert fired is None and score is None, where
                continue
            assert fired == (theirs[name]["verdict"] is not None), f"{where} {name}"
            assert math.isclose(score, theirs[name]["score"], rel_tol=1e-9, abs_tol=1e-9), (
                f"{where} {name}"
            )
