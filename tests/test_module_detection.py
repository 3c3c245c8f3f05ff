"""Module detection on hand-built networks whose right answer is worked out in the comments."""

from __future__ import annotations

import json
import math
import subprocess
import sys

import numpy as np
import pytest
from sklearn.cluster import AgglomerativeClustering

from neural_sculpting.analysis.alive_units import reachability_features, remove_dead_units
from neural_sculpting.analysis.modularity import (
    ModularityInputError,
    cosine_distance_matrix,
    modularity_metric,
    separability_tests,
    separate_test,
    single_test,
)
from neural_sculpting.analysis.module_detection import (
    DetectionInputError,
    DetectionSettings,
    ModuleDetection,
    detect_modules,
    merge_layers,
)
from neural_sculpting.analysis.unit_clustering import (
    Clustering,
    agglomerative_cut,
    cluster_layer,
    cluster_layer_detailed,
    cut_sequence,
    distance_matrix,
    merge_tree,
)
from neural_sculpting.study.hparams import HparamsError


def _block_diag(*blocks: np.ndarray) -> np.ndarray:
    rows = sum(b.shape[0] for b in blocks)
    cols = sum(b.shape[1] for b in blocks)
    out = np.zeros((rows, cols), dtype=int)
    r = c = 0
    for b in blocks:
        out[r : r + b.shape[0], c : c + b.shape[1]] = b
        r, c = r + b.shape[0], c + b.shape[1]
    return out


def _partition(rows) -> set[frozenset[tuple[int, int]]]:
    groups: dict[int, set[tuple[int, int]]] = {}
    for layer, row in enumerate(rows):
        for unit, label in enumerate(row):
            if label is not None:
                groups.setdefault(label, set()).add((layer, unit))
    return {frozenset(g) for g in groups.values()}


def _module(*members: tuple[int, list[int]]) -> frozenset[tuple[int, int]]:
    return frozenset((layer, u) for layer, units in members for u in units)


# --------------------------------------------------------------------------- whole networks


def test_two_disjoint_single_unit_chains_are_two_modules() -> None:
    # x0 -> h0 -> g0 -> y0 and x1 -> h1 -> g1 -> y1. Every layer has n = 2 and the pair shares
    # nothing (k_ij = 0), so "all separate" fires and "one module" cannot.
    eye = np.eye(2, dtype=int)
    result = detect_modules([eye, eye, eye])
    assert [entry.chosen_k for entry in result.per_layer] == [2, 2, 2]
    assert _partition(result.module_labels) == {
        _module((0, [0]), (1, [0]), (2, [0]), (3, [0])),
        _module((0, [1]), (1, [1]), (2, [1]), (3, [1])),
    }
    assert result.module_graph().number_of_edges() == 0


def test_two_disjoint_dense_blocks_are_two_modules() -> None:
    # Inputs {0,1} feed hidden {0,1} fully, {2,3} feed {2,3}, and so on up to outputs. Each
    # layer: identical features inside a block, distance 1 across. M(k=2) = -0.5 and
    # M(k=3) = -0.375 (worked out in test_modularity_of_two_blocks), so k* = 2 and the tests
    # run; the closest pair shares everything (k_ij = max) and the two blocks share nothing
    # (k_ij = 0 < 1, < max), so neither test fires and k = 2 stays.
    block = np.ones((2, 2), dtype=int)
    mask = _block_diag(block, block)
    result = detect_modules([mask, mask, mask])
    for entry in result.per_layer:
        assert entry.ks == (2, 3)
        assert entry.metrics == (-0.5, -0.375)
        assert entry.best_k == 2 and entry.used_tests
        assert entry.separate_fired is False and entry.single_fired is False
        assert entry.chosen_k == 2
    assert _partition(result.module_labels) == {
        _module((0, [0, 1]), (1, [0, 1]), (2, [0, 1]), (3, [0, 1])),
        _module((0, [2, 3]), (1, [2, 3]), (2, [2, 3]), (3, [2, 3])),
    }


def test_fully_connected_network_is_one_module() -> None:
    # All features are all-ones, so all distances are equal: exactly 0 gives M = 0 for every
    # k, and SciPy's cosine of identical vectors can also give the same ~1e-16 for every pair
    # (as in the authors' detector), which gives the uniform-distance values
    # M = sum n_i^2 / (n^2 (n-1)) - 1/(n-1), lowest for the most even cut. Either way
    # k* = n - 1 = 3 and the tests run. "One module" fires (k_ij = max) with score 0
    # (x = 1, s = 0); "all separate" cannot (k_ij = max > 0). Every layer is one cluster and
    # merging joins them all (all edges come from the one previous cluster).
    result = detect_modules([np.ones((4, 4)), np.ones((4, 4)), np.ones((2, 4))])
    uniform = (-1 / 6, -0.125, -5 / 24)  # cuts (2,2), (1,3), (1,1,2) of 4 units
    for entry in result.per_layer:
        assert all(m == 0.0 or any(abs(m - u) < 1e-8 for u in uniform) for m in entry.metrics)
        assert entry.best_k == 3 and entry.used_tests
        assert entry.single_fired is True and entry.single_score == 0.0
        assert entry.separate_fired is False
        assert entry.chosen_k == 1
    assert result.n_modules == 1
    assert _partition(result.module_labels) == {
        _module((0, [0, 1, 2, 3]), (1, [0, 1, 2, 3]), (2, [0, 1, 2, 3]), (3, [0, 1]))
    }


def test_units_with_disjoint_reach_are_all_separate_and_pairs_cluster_by_metric() -> None:
    # Input i feeds hidden 2i and 2i+1, which both feed output i.
    # Layer 0 (n = 4, N = 12): disjoint features, so every cut puts unrelated units together;
    # "all separate" fires on the closest pair (k_ij = 0) and "one module" cannot: k = n = 4.
    # Layer 1 (n = 8): pairs (2i, 2i+1) are identical, distance 1 across pairs (48 ordered
    # pairs, D~ = 1/48). Pairs as 4 clusters: M = -4 (12/48)^2 = -0.25; 5 clusters (a pair
    # split): -(3/16 + 2/64) = -0.21875; 3 clusters (two pairs joined): 8/48 - (1/4 + 2/16)
    # = -0.208333. k* = 4 is neither 2 nor n-1 and -0.25 <= -0.2, so the metric's k stays.
    m0 = np.zeros((8, 4), dtype=int)
    m1 = np.zeros((4, 8), dtype=int)
    for i in range(4):
        m0[2 * i, i] = m0[2 * i + 1, i] = 1
        m1[i, 2 * i] = m1[i, 2 * i + 1] = 1
    result = detect_modules([m0, m1])
    first, second = result.per_layer
    assert first.separate_fired is True and first.single_fired is False
    assert first.chosen_k == 4
    assert result.cluster_labels[0] == (0, 1, 2, 3)
    metric = dict(zip(second.ks, second.metrics, strict=True))
    assert metric[4] == -0.25
    assert metric[5] == -0.21875
    assert metric[3] == pytest.approx(-5 / 24, abs=1e-8)
    assert second.best_k == 4 and not second.used_tests and second.chosen_k == 4
    # Each input, its two hidden units and its output form one module.
    assert _partition(result.module_labels) == {
        _module((0, [i]), (1, [2 * i, 2 * i + 1]), (2, [i])) for i in range(4)
    }


def test_single_hidden_layer_of_three_chains_gives_k_equal_n() -> None:
    # Three chains x_i -> h_i -> y_i. Layer 0: n = 3, N = 6, pairwise distance 1; only k = 2
    # is scored: D~ = 1/6, cut {a,b},{c}: M = 2/6 - ((4/6)^2 + (2/6)^2) = -2/9. k* = 2 runs
    # the tests: the closest pair has k_i = k_j = 2, k_ij = 0, x = 1/9, E = 2/3,
    # s = sqrt(6 * 1/9 * 8/9), so "all separate" fires with score (2/3) / s = sqrt(3)/2.
    eye = np.eye(3, dtype=int)
    entry = detect_modules([eye, eye]).per_layer[0]
    assert entry.metrics == (round(-2 / 9, 8),)
    assert entry.separate_fired is True
    assert entry.separate_score == pytest.approx(math.sqrt(3) / 2)
    assert entry.single_fired is False
    assert entry.chosen_k == 3


def test_shared_hidden_layer_and_module_graph_weights() -> None:
    # x0, x1 -> h0; x2, x3 -> h1; h0, h1 -> y0.
    # Layer 0: features (over h0, h1, y0) [1,0,1] twice and [0,1,1] twice; cosine distance
    # 1/2 across. M(2) = -0.5 < M(3) = -0.375; the closest pair is identical (no "separate")
    # and the two groups share 1 < E = 4/3 (no "one module"), so k = 2.
    # Layer 1 (n = 2, N = 1): both reach y0 only, k_ij = max: one cluster.
    # Merging: {x0,x1} sends all its edges to the hidden cluster, but that cluster gets only
    # half its edges from it: no merge, so the hidden layer opens a third module, which y0
    # joins (all its edges come from it).
    m0 = np.array([[1, 1, 0, 0], [0, 0, 1, 1]])
    m1 = np.array([[1, 1]])
    result = detect_modules([m0, m1])
    assert [e.chosen_k for e in result.per_layer] == [2, 1]
    left, right, top = _module((0, [0, 1])), _module((0, [2, 3])), _module((1, [0, 1]), (2, [0]))
    assert _partition(result.module_labels) == {left, right, top}

    graph = result.module_graph()
    label = {frozenset(_module(*data["units"].items())): node for node, data in graph.nodes(True)}
    assert graph.number_of_nodes() == 3
    assert sorted(graph.edges(data="weight")) == sorted(
        [(label[left], label[top], 2), (label[right], label[top], 2)]
    )
    assert graph.nodes[label[top]]["layers"] == [1, 2]
    assert graph.nodes[label[top]]["n_units"] == 3
    assert graph.nodes[label[left]]["units"] == {0: [0, 1]}


def test_json_round_trip_is_exact() -> None:
    m0 = np.array([[1, 1, 0, 0], [0, 0, 1, 1]])
    m1 = np.array([[1, 1]])
    result = detect_modules([m0, m1], DetectionSettings(-0.3, 0.6))
    text = json.dumps(result.to_json())  # fails on numpy scalars or other non-JSON types
    restored = ModuleDetection.from_json(json.loads(text))
    assert restored == result
    assert sorted(restored.module_graph().edges(data="weight")) == sorted(
        result.module_graph().edges(data="weight")
    )
    assert dict(restored.module_graph().nodes(data=True)) == dict(
        result.module_graph().nodes(data=True)
    )


# --------------------------------------------------------------------------- dead units


def _dead_unit_network() -> list[np.ndarray]:
    # 3 inputs, 3 + 3 hidden, 2 outputs.
    #   x0 -> h0 -> g0 -> y0        the live path
    #   h1 has no incoming edge      (dead although it feeds g0)
    #   x1 -> h2 -> g2 -> nothing    g2 dies first, then h2, then x1 (three passes)
    #   x2 has no outgoing edge      (dead input)
    #   g1 -> y0 but no incoming     (dead)
    #   y1 has no incoming edge      (an output: never removed)
    m0 = np.zeros((3, 3), dtype=int)
    m0[0, 0] = m0[2, 1] = 1
    m1 = np.zeros((3, 3), dtype=int)
    m1[0, 0] = m1[0, 1] = m1[2, 2] = 1
    m2 = np.zeros((2, 3), dtype=int)
    m2[0, 0] = m2[0, 1] = 1
    return [m0, m1, m2]


def test_dead_units_are_removed_iteratively() -> None:
    assert remove_dead_units(_dead_unit_network()) == ((0,), (0,), (0,), (0, 1))


def test_outputs_survive_even_when_nothing_reaches_them() -> None:
    alive = remove_dead_units([np.zeros((2, 3)), np.zeros((2, 2))])
    assert alive == ((), (), (0, 1))


def test_detection_on_network_with_dead_units() -> None:
    result = detect_modules(_dead_unit_network())
    assert result.cluster_labels[1] == (0, None, None)
    assert result.cluster_labels[3] == (0, 1)
    # One chain module x0-h0-g0-y0; y1 (no incoming edges) is a module of its own.
    assert _partition(result.module_labels) == {
        _module((0, [0]), (1, [0]), (2, [0]), (3, [0])),
        _module((3, [1])),
    }
    assert all(entry.n_units == 1 and entry.chosen_k == 1 for entry in result.per_layer)


def test_reachability_features_follow_paths_to_alive_units_only() -> None:
    masks = _dead_unit_network()
    alive = remove_dead_units(masks)
    # x0 reaches h0, g0, y0 but not y1; columns: layer 1 alive, layer 2 alive, outputs.
    assert reachability_features(masks, alive, 0).tolist() == [[True, True, True, False]]
    m0 = np.array([[1, 0], [0, 1], [1, 1]])
    m1 = np.array([[1, 0, 0], [0, 0, 1]])
    feats = reachability_features([m0, m1], remove_dead_units([m0, m1]), 0)
    # Alive hidden units are 0 and 2 (unit 1 has no outgoing edge).
    assert feats.tolist() == [[True, True, True, True], [False, True, False, True]]


# --------------------------------------------------------------------------- metric and tests


def test_modularity_metric_by_hand() -> None:
    # D sums to 14. Partition {0,1},{2}: A00 = 2/14, A01 = A10 = 6/14, A11 = 0;
    # M = 2/14 - ((8/14)^2 + (6/14)^2) = -72/196. Singletons: M = -(3^2 + 5^2 + 6^2)/196.
    dist = np.array([[0.0, 1.0, 2.0], [1.0, 0.0, 4.0], [2.0, 4.0, 0.0]])
    assert modularity_metric(dist, [7, 7, 3]) == pytest.approx(-72 / 196)
    assert modularity_metric(dist, [0, 1, 2]) == pytest.approx(-70 / 196)
    assert modularity_metric(dist, [0, 0, 0]) == pytest.approx(0.0)
    assert modularity_metric(np.zeros((3, 3)), [0, 1, 1]) == 0.0


def test_modularity_of_two_blocks() -> None:
    # Blocks {0,1},{2,3}, distance 1 across: 8 ordered pairs, D~ = 1/8.
    # k = 2 (the blocks): M = 0 - 2 * (4/8)^2 = -0.5.
    # k = 3 ({0,1},{2},{3}): M = 0 - ((4/8)^2 + 2 (2/8)^2) = -0.375.
    block = np.ones((2, 2))
    dist = 1.0 - _block_diag(block, block)
    assert modularity_metric(dist, [0, 0, 1, 1]) == pytest.approx(-0.5)
    assert modularity_metric(dist, [0, 0, 1, 2]) == pytest.approx(-0.375)


def test_separability_scores_by_hand() -> None:
    # k_i = 4, k_j = 6, k_ij = 1, N = 12: x = 1/6, E = 2, s = sqrt(12 * 1/6 * 5/6) = sqrt(5/3).
    s = math.sqrt(5 / 3)
    assert separate_test(4, 6, 1, 12).fired is True
    assert separate_test(4, 6, 1, 12).score == pytest.approx(1 / s)
    assert single_test(4, 6, 1, 12).fired is False
    assert single_test(4, 6, 1, 12).score == pytest.approx(-1 / s)
    # k_i = k_j = k_ij = 3, N = 12: x = 1/16, E = 3/4, s = sqrt(12 * 1/16 * 15/16).
    assert single_test(3, 3, 3, 12).fired is True
    assert single_test(3, 3, 3, 12).score == pytest.approx(2.25 / math.sqrt(45 / 64))
    assert separate_test(3, 3, 3, 12).fired is False
    # k_i = k_j = 6, k_ij = 4, N = 8: E = 4.5; 4 < 6 and 4 <= 4.5: separate fires.
    assert separate_test(6, 6, 4, 8).fired is True
    assert separate_test(6, 6, 4, 8).score == pytest.approx(0.5 / math.sqrt(8 * 0.5625 * 0.4375))
    assert single_test(6, 6, 4, 8).fired is False


def test_tests_fire_by_conditions_not_by_score() -> None:
    # k_ij = E exactly (4 * 4 / 8 = 2): both fire with score 0.
    assert separate_test(4, 4, 2, 8) == single_test(4, 4, 2, 8)
    assert separate_test(4, 4, 2, 8).fired and separate_test(4, 4, 2, 8).score == 0.0
    # s = 0 (x = 1): the score is 0, not NaN, and "one module" still fires.
    assert single_test(5, 5, 5, 5).fired and single_test(5, 5, 5, 5).score == 0.0
    # k_ij = 0 fires "all separate" even when s = 0 (k_i = 0).
    assert separate_test(0, 3, 0, 5).fired and separate_test(0, 3, 0, 5).score == 0.0
    # Two empty features: only the clauses "k_ij = 0" and "k_ij >= max" fire, both at 0.
    assert separate_test(0, 0, 0, 5) == single_test(0, 0, 0, 5)
    assert separate_test(0, 0, 0, 5).fired and separate_test(0, 0, 0, 5).score == 0.0


def test_separability_tests_on_features() -> None:
    # Closest pair units 0, 1: k = 3, 2, shared 1. 2-cut groups {0,1} | {2}: OR-ed features
    # [1,1,1,1,0,0] and [0,0,1,1,1,1]: k = 4, 4, shared 2, N = 6.
    f = np.array([[1, 1, 1, 0, 0, 0], [0, 0, 1, 1, 0, 0], [0, 0, 1, 1, 1, 1]])
    separate, single = separability_tests(f, (0, 1), [0, 0, 1])
    assert separate == separate_test(3, 2, 1, 6)
    assert single == single_test(4, 4, 2, 6)


def test_tie_between_tests_goes_to_one_module() -> None:
    # n = 2, N = 8, k_i = k_j = 4, k_ij = 2 = E: both tests fire with score 0 -> one cluster.
    f = np.array([[1, 1, 1, 1, 0, 0, 0, 0], [1, 1, 0, 0, 1, 1, 0, 0]])
    entry = cluster_layer_detailed(f)
    assert entry.separate_fired and entry.single_fired
    assert entry.chosen_k == 1
    assert cluster_layer(f) == (0, 0)


def test_modularity_threshold_triggers_tests() -> None:
    # Four identical pairs with disjoint features: k* = 4 with M = -0.25 (as in the "pairs"
    # network above). At threshold -0.2 the metric's k stands without tests; at -0.3,
    # -0.25 > -0.3 consults them, but "all separate" cannot fire on an identical pair and
    # "one module" cannot on disjoint groups, so k stays 4.
    f = np.repeat(np.eye(4, dtype=int), 2, axis=0)
    assert not cluster_layer_detailed(f, -0.2).used_tests
    entry = cluster_layer_detailed(f, -0.3)
    assert entry.used_tests and entry.chosen_k == 4


def test_k_cut_has_exactly_k_clusters_under_ties() -> None:
    # Five units with disjoint features: every merge distance is 1 (all tie). A distance cut
    # gives 1 or 5 clusters; the cut after n - k merges has exactly k.
    dist = cosine_distance_matrix(np.eye(5))
    for k in range(1, 6):
        assert len(set(agglomerative_cut(dist, k))) == k


def test_k_cut_matches_scikit_learn_cosine_clustering() -> None:
    # Binary features with many ties: the cut on our distance matrix equals scikit-learn's own
    # AgglomerativeClustering(metric="cosine") partition for every k.
    rng = np.random.default_rng(0)
    for _ in range(20):
        f = rng.random((9, 6)) < 0.4
        f[~f.any(axis=1), 0] = True
        dist = cosine_distance_matrix(f)
        for k in range(1, 10):
            expected = AgglomerativeClustering(
                n_clusters=k, metric="cosine", linkage="average"
            ).fit_predict(f.astype(float))
            assert _partition([agglomerative_cut(dist, k)]) == _partition([expected.tolist()])


def test_merge_tree_is_scikit_learns_tree_under_ties() -> None:
    # Detection builds the tree with SciPy so that it need not import scikit-learn; the merges
    # (ties included) must be the ones scikit-learn's precomputed average linkage makes, as the
    # authors' code clusters with it.
    rng = np.random.default_rng(1)
    for n in (3, 5, 9, 16):
        for _ in range(10):
            f = rng.random((n, 5)) < 0.4
            f[~f.any(axis=1), 0] = True
            dist = cosine_distance_matrix(f)
            model = AgglomerativeClustering(
                n_clusters=2, metric="precomputed", linkage="average", compute_full_tree=True
            ).fit(dist)
            assert merge_tree(dist).tolist() == model.children_.tolist()


def test_detection_imports_neither_torch_nor_scikit_learn() -> None:
    # Detection jobs start one process per cell of trials: importing torch and scikit-learn
    # would cost more than the detection itself.
    code = (
        "import sys; import numpy as np; import neural_sculpting.analysis.trial, "
        "neural_sculpting.cli.main; "
        "from neural_sculpting.analysis.module_detection import detect_modules; "
        "detect_modules([np.eye(4, dtype=bool), np.eye(4, dtype=bool)]); "
        "bad = [m for m in ('torch', 'sklearn') if m in sys.modules]; "
        "sys.exit(', '.join(bad) or None)"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert done.returncode == 0, done.stderr


def test_zero_feature_rows_give_no_nan() -> None:
    f = np.array([[1, 0, 1], [0, 0, 0], [1, 0, 1], [0, 0, 0]])
    dist = cosine_distance_matrix(f)
    assert not np.isnan(dist).any()
    assert dist[0, 1] == 1.0 and dist[1, 3] == 0.0 and dist[0, 2] == pytest.approx(0.0)
    entry = cluster_layer_detailed(f)
    assert all(math.isfinite(m) for m in entry.metrics)
    assert entry.chosen_k in (1, 2, 3, 4)


# --------------------------------------------------------------------------- merging


def _merge_network(a_to_c: int, a_to_d: int, b_to_c: int):
    """Input clusters A (the first a_to_c + a_to_d units) and B (the next 4 units); hidden
    clusters C = unit 0 and D = unit 1; one output fed by C and D.

    `a_to_c` A units feed C, the other `a_to_d` feed D; `b_to_c` B units feed C, and B's last
    unit feeds D so that B is always alive. Every input unit has a single outgoing edge.
    """
    n_a = a_to_c + a_to_d
    m0 = np.zeros((2, n_a + 4), dtype=int)
    m0[0, :a_to_c] = 1
    m0[1, a_to_c:n_a] = 1
    m0[0, n_a : n_a + b_to_c] = 1
    m0[1, n_a + 3] = 1
    m1 = np.ones((1, 2), dtype=int)
    masks = [m0, m1]
    alive = remove_dead_units(masks)
    # B units that feed nothing are dead and carry no label.
    inputs = [(0 if u < n_a else 1) if u in alive[0] else None for u in range(n_a + 4)]
    return masks, alive, [inputs, [0, 1], [0]]


def _merged(masks, alive, clusters, theta: float) -> bool:
    """Whether hidden cluster C (unit 0) took A's module label."""
    labels = merge_layers(masks, alive, clusters, theta)
    return labels[1][0] == labels[0][0]


def test_merge_needs_both_shares_above_theta() -> None:
    # A -> C: 19 of A's 20 edges (0.95); C gets 19 of 22 from A (0.864): theta 0.9 fails on
    # C's side, theta 0.85 merges.
    net = _merge_network(19, 1, 3)
    assert not _merged(*net, 0.9)
    assert _merged(*net, 0.85)
    # A -> C: 17 of 20 (0.85); C gets 17 of 18 from A (0.944): theta 0.9 fails on A's side.
    net = _merge_network(17, 3, 1)
    assert not _merged(*net, 0.9)
    assert _merged(*net, 0.8)


def test_merge_is_strict_at_exactly_theta() -> None:
    # 19 of 20 on both sides: exactly 0.95 does not merge at theta 0.95 (the code's `>`).
    net = _merge_network(19, 1, 1)
    assert not _merged(*net, 0.95)
    assert _merged(*net, 0.94)
    # Exactly theta on A's side only (19 of 20; C gets all 19 of its edges from A).
    net = _merge_network(19, 1, 0)
    assert not _merged(*net, 0.95)
    assert _merged(*net, 0.94)
    # Exactly theta on C's side only (A sends all 19 edges to C; C gets 19 of 20 from A).
    net = _merge_network(19, 0, 1)
    assert not _merged(*net, 0.95)
    assert _merged(*net, 0.94)


def test_output_joins_module_supplying_more_than_theta_of_its_edges() -> None:
    # Hidden units 0..9 are one cluster M (its own module), unit 10 another. Output 0 gets 9
    # edges from M and 1 from unit 10 (exactly 0.9); output 1 gets 10 from M and none else.
    # M's own edges mostly go elsewhere: an output needs only its incoming share.
    m0 = np.eye(11, dtype=int)
    m1 = np.zeros((2 + 5, 11), dtype=int)
    m1[0, :9] = 1
    m1[0, 10] = 1
    m1[1, :10] = 1
    m1[2:, :10] = 1  # five more outputs fed by M, so M sends most edges to others
    masks = [m0, m1]
    alive = remove_dead_units(masks)
    clusters = [[0] * 10 + [1], [0] * 10 + [1], list(range(7))]
    labels = merge_layers(masks, alive, clusters, 0.9)
    m_label = labels[1][0]
    assert labels[2][0] != m_label and labels[2][0] != labels[1][10]
    assert labels[2][1] == m_label
    assert merge_layers(masks, alive, clusters, 0.89)[2][0] == m_label


# --------------------------------------------------------------------------- bad input


@pytest.mark.parametrize(
    "masks",
    [
        [],
        [np.ones(3)],
        [np.ones((2, 3)), np.ones((2, 4))],
        [np.array([["a", "b"]])],
        [np.full((2, 2), np.nan)],
        [np.ones((0, 2))],
    ],
    ids=["empty", "1d", "shape-chain", "strings", "nan", "empty-layer"],
)
def test_bad_masks_raise_clear_error(masks) -> None:
    with pytest.raises(DetectionInputError) as info:
        detect_modules(masks)
    assert isinstance(info.value, ValueError)
    assert "\n" not in str(info.value)


def test_bad_settings_and_arguments_raise() -> None:
    with pytest.raises(HparamsError):
        DetectionSettings(merge_threshold=0.4)
    with pytest.raises(HparamsError):
        DetectionSettings(modularity_threshold=float("nan"))
    masks = [np.eye(2), np.eye(2)]
    with pytest.raises(DetectionInputError):
        reachability_features(masks, remove_dead_units(masks), 2)  # the output layer
    with pytest.raises(DetectionInputError):
        merge_layers(masks, remove_dead_units(masks), [[0, None], [0, 1], [0, 1]])
    with pytest.raises(ModularityInputError):
        modularity_metric(np.zeros((2, 3)), [0, 1])
    with pytest.raises(ModularityInputError):
        separate_test(3, 2, 3, 6)  # more shared than k_j


@pytest.mark.parametrize("seed", range(12))
def test_one_tree_replayed_gives_every_cut_and_metric_of_the_per_k_computation(seed) -> None:
    """Brute force: a fresh clustering and a full matrix product per k, on random binary
    features with many duplicate rows (tied distances)."""
    rng = np.random.default_rng(seed)
    n = int(rng.integers(3, 40))
    features = rng.random((n, int(rng.integers(2, 9)))) < 0.4
    distance = cosine_distance_matrix(features)
    cuts, metrics = cut_sequence(distance)
    assert sorted(cuts) == sorted(metrics) == list(range(2, n))
    for k in range(2, n):
        assert cuts[k] == agglomerative_cut(distance, k)
        assert metrics[k] == pytest.approx(modularity_metric(distance, cuts[k]), abs=1e-12)


# --------------------------------------------------------------------------- clustering choices


@pytest.mark.parametrize("method", ["complete", "single", "average"])
def test_each_linkage_builds_scikit_learns_tree(method) -> None:
    rng = np.random.default_rng(2)
    for _ in range(10):
        f = rng.random((10, 6)) < 0.4
        f[~f.any(axis=1), 0] = True
        dist = cosine_distance_matrix(f)
        model = AgglomerativeClustering(
            n_clusters=2, metric="precomputed", linkage=method, compute_full_tree=True
        ).fit(dist)
        assert merge_tree(dist, method).tolist() == model.children_.tolist()


def test_jaccard_and_euclidean_distances_by_hand() -> None:
    f = np.array([[1, 1, 0], [1, 0, 0], [0, 0, 0], [0, 1, 1]])
    jaccard = distance_matrix(f, "jaccard")
    assert jaccard[0, 1] == 0.5  # one shared of two present
    assert jaccard[0, 3] == pytest.approx(2 / 3)  # one shared of three present
    assert jaccard[1, 3] == 1.0 and jaccard[2, 0] == 1.0 and jaccard[2, 2] == 0.0
    euclid = distance_matrix(f, "euclidean")
    assert euclid[0, 1] == 1.0 and euclid[0, 3] == pytest.approx(math.sqrt(2))
    assert euclid[2, 3] == pytest.approx(math.sqrt(2))


CHOICES = [("average", "cosine"), ("complete", "jaccard"), ("single", "euclidean"),
           ("ward", "euclidean")]  # fmt: skip


def _noisy_groups() -> np.ndarray:
    """Nine units in three groups; each unit reaches two of its group's three targets."""
    f = np.zeros((9, 9), dtype=bool)
    for u in range(9):
        f[u, [3 * (u // 3) + c for c in range(3) if c != u % 3]] = True
    return f


@pytest.mark.parametrize(
    "clustering",
    [Clustering(linkage, distance, criterion) for linkage, distance in CHOICES
     for criterion in ["modularity", "silhouette"]],
    ids=lambda c: c.name,
)  # fmt: skip
def test_every_linkage_and_distance_finds_three_disjoint_groups(clustering) -> None:
    # Three groups of three units with disjoint features, identical within a group (as units of
    # one module often are), or each missing one of its group's targets.
    same = np.repeat(np.eye(3, dtype=bool), 3, axis=0).repeat(2, axis=1)
    for f in (same, _noisy_groups()):
        entry = cluster_layer_detailed(f, clustering=clustering)
        assert entry.chosen_k == 3
        assert _partition([entry.labels]) == _partition([(0, 0, 0, 1, 1, 1, 2, 2, 2)])


@pytest.mark.parametrize("criterion", ["silhouette", "calinski_harabasz", "davies_bouldin"])
def test_an_index_scores_each_cut_and_picks_its_best(criterion) -> None:
    # scikit-learn's index of each cut of the tree; the best by the index's direction, ties to
    # the larger k; the separability tests only at the ends of the range (k = 2 or n - 1).
    from sklearn import metrics

    f = _noisy_groups()
    entry = cluster_layer_detailed(f, clustering=Clustering(criterion=criterion))
    cuts, _ = cut_sequence(cosine_distance_matrix(f))
    if criterion == "silhouette":
        values = [metrics.silhouette_score(cosine_distance_matrix(f), cuts[k],
                                           metric="precomputed") for k in entry.ks]  # fmt: skip
    else:
        score = getattr(metrics, f"{criterion}_score")
        values = [score(f.astype(float), cuts[k]) for k in entry.ks]
    assert entry.metrics == pytest.approx(values, abs=1e-8)
    best = min(values) if criterion == "davies_bouldin" else max(values)
    ties = [k for k, v in zip(entry.ks, values, strict=True) if abs(v - best) < 1e-8]
    assert entry.best_k == max(ties)
    assert entry.used_tests == (entry.best_k in (2, 8))


def test_ward_needs_euclidean_distances() -> None:
    with pytest.raises(ValueError, match="ward linkage needs euclidean"):
        Clustering("ward", "cosine")
