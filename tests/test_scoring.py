"""Scoring detected modules against the task's structure: hand-built networks that pass and fail
each flag, and the rule applied to the authors' own detector labels on their 160 networks."""

from __future__ import annotations

import collections
import json
from pathlib import Path

import numpy as np
import pytest

from neural_sculpting.analysis.scoring import module_signatures, score_modules
from neural_sculpting.tasks.function_graph import load_graph
from neural_sculpting.tasks.hierarchy import task_hierarchy

AUTHORS = Path(__file__).resolve().parents[1].parent / "shared" / "reference" / "authors_networks"


def separable_network():
    """4 inputs, 2 hidden, 4 outputs as two chains: {x0,x1}->h0->{y0,y1}, {x2,x3}->h1->{y2,y3}."""
    w1 = np.array([[1, 1, 0, 0], [0, 0, 1, 1]])
    w2 = np.array([[1, 0], [1, 0], [0, 1], [0, 1]])
    labels = [["A", "A", "B", "B"], ["A", "B"], ["A", "A", "B", "B"]]
    return [w1, w2], labels


EXPECTED = task_hierarchy(load_graph("input_separable"), 1)


def test_two_chains_match_the_input_separable_structure():
    masks, labels = separable_network()
    score = score_modules(masks, labels, EXPECTED)
    assert score.input_modules_match and score.output_modules_match
    assert score.hidden_modules_match and score.structure_match
    assert score.modules_found == ("s0", "s1")
    assert score.n_modules == 2
    assert score.condensed_arch == (4, 2, 4)


def test_signatures_follow_paths():
    masks, labels = separable_network()
    sig = module_signatures(masks, labels)
    assert (sorted(sig["A"].inputs), sorted(sig["A"].outputs)) == ([0, 1], [0, 1])


def test_inputs_in_one_module_fail_the_input_partition():
    masks, labels = separable_network()
    labels[0] = ["A", "A", "A", "A"]
    score = score_modules(masks, labels, EXPECTED)
    assert not score.input_modules_match and not score.structure_match
    assert score.output_modules_match


def test_a_needed_input_pruned_away_is_a_mismatch():
    masks, labels = separable_network()
    masks[0] = masks[0].copy()
    masks[0][0, 1] = 0
    labels[0][1] = None
    score = score_modules(masks, labels, EXPECTED)
    assert not score.input_modules_match and not score.structure_match


def test_outputs_split_wrongly_fail_the_output_partition():
    masks, labels = separable_network()
    labels[2] = ["A", "C", "B", "B"]
    score = score_modules(masks, labels, EXPECTED)
    assert score.input_modules_match and not score.output_modules_match
    assert not score.structure_match


def test_a_crossing_edge_breaks_the_hidden_signature():
    masks, labels = separable_network()
    masks[1] = masks[1].copy()
    masks[1][2, 0] = 1  # h0 also feeds y2
    score = score_modules(masks, labels, EXPECTED)
    assert not score.hidden_modules_match and not score.structure_match
    assert score.modules_found == ()  # A now reaches y2 and B draws on x0, x1


def test_dead_units_do_not_carry_paths():
    masks, labels = separable_network()
    masks = [np.vstack([masks[0], [1, 1, 1, 1]]), np.hstack([masks[1], np.zeros((4, 1))])]
    labels[1] = ["A", "B", None]  # a third hidden unit with no outgoing edge is dead
    assert score_modules(masks, labels, EXPECTED).structure_match


def test_reused_collapses_to_one_module_at_one_hidden_layer():
    graph = load_graph("reused_use1")  # 4 inputs, outputs F0, F1
    w1 = np.ones((3, 4))
    w2 = np.ones((2, 3))
    one_module = [["M"] * 4, ["M"] * 3, ["M", "M"]]
    assert score_modules([w1, w2], one_module, task_hierarchy(graph, 1)).structure_match
    # The same network is not the full three-module structure expected at depth 2+.
    assert not score_modules([w1, w2], one_module, task_hierarchy(graph, 2)).structure_match
    # Three modules (g on inputs and hidden units, one per output) are right only when deep enough.
    three = [["G"] * 4, ["G"] * 3, ["F0", "F1"]]
    assert not score_modules([w1, w2], three, task_hierarchy(graph, 1)).structure_match
    w3 = [np.ones((3, 4)), np.ones((3, 3)), np.ones((2, 3))]
    deep = [["G"] * 4, ["G"] * 3, ["G"] * 3, ["F0", "F1"]]
    score = score_modules(w3, deep, task_hierarchy(graph, 2))
    assert score.structure_match and score.modules_found == ("g", "f0", "f1")


@pytest.fixture(scope="module")
def authors_trials():
    if not AUTHORS.is_dir():
        pytest.fail(f"reference data missing: {AUTHORS}")
    return {
        task: json.loads((AUTHORS / f"{task}.json").read_text())
        for task in ("input_separable", "reused", "separable_reused", "non_modular")
    }


def test_rule_on_the_authors_labels_reproduces_the_published_successes(authors_trials):
    """The issue's check: the authors' detector's labels, scored by our rule."""
    counts = {}
    for task, trials in authors_trials.items():
        graph = load_graph(task)
        per_depth = collections.Counter()
        for trial in trials:
            depth = len(trial["arch"]) - 2
            labels = trial["authors_detection"]["module_labels_per_layer"]
            masks = [np.array(m) for m in trial["masks"]]
            score = score_modules(masks, labels, task_hierarchy(graph, depth))
            per_depth[depth] += score.structure_match
        counts[task] = (sum(per_depth.values()), dict(per_depth))
    assert counts["input_separable"] == (36, {1: 12, 2: 12, 3: 12})
    assert counts["reused"] == (49, {1: 12, 2: 26, 3: 11})
    assert counts["separable_reused"] == (36, {1: 12, 2: 12, 3: 12})
    assert counts["non_modular"] == (36, {1: 12, 2: 12, 3: 12})


# --- why a trial failed -------------------------------------------------------------------------


def test_a_match_says_what_was_expected_and_found_and_fails_nothing():
    masks, labels = separable_network()
    score = score_modules(masks, labels, EXPECTED)
    assert score.expected == {
        "s0": "inputs {x0,x1} -> outputs {y0,y1}",
        "s1": "inputs {x2,x3} -> outputs {y2,y3}",
    }
    assert score.detected == tuple(score.expected.values()) and score.failures == ()


def test_one_input_module_is_explained_check_by_check():
    masks, labels = separable_network()
    labels[0] = ["A", "A", "A", "A"]
    # Module A now holds x0..x3 (an input unit reaches itself) and, through h0 and h1, y0..y3.
    assert score_modules(masks, labels, EXPECTED).failures == (
        "input partition: expected {x0,x1} {x2,x3}, found {x0,x1,x2,x3}",
        "sub-functions not found: s0 (inputs {x0,x1} -> outputs {y0,y1})",
        "modules of no expected sub-function: inputs {x0,x1,x2,x3} -> outputs {y0,y1,y2,y3}",
    )


def test_a_merged_output_is_explained():
    masks, labels = separable_network()
    labels[2] = ["A", "A", "A", "B"]
    failures = score_modules(masks, labels, EXPECTED).failures
    assert failures[0] == "output partition: expected {y0,y1} {y2,y3}, found {y0,y1,y2} {y3}"


def test_a_pruned_away_input_is_named():
    masks, labels = separable_network()
    masks[0] = masks[0].copy()
    masks[0][:, 0:2] = 0
    labels[0][0] = labels[0][1] = None
    failures = score_modules(masks, labels, EXPECTED).failures
    assert failures[0] == (
        "input partition: expected {x0,x1} {x2,x3}, found {x2,x3} (x0, x1 pruned away)"
    )
