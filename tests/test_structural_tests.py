"""Structural tests (Sections 2-3): path products, Welch t-tests and N_P on hand-made cases."""

from __future__ import annotations

import dataclasses
import itertools
import math

import numpy as np
import pytest

from neural_sculpting.analysis.structural_tests import (
    StructuralTestError,
    TTestResult,
    input_separability_tests,
    n_p_per_layer,
    path_products,
    unit_path_totals,
    units_carrying,
)


def _random_network(widths: list[int], seed: int, zero_share: float = 0.3) -> list[np.ndarray]:
    rng = np.random.default_rng(seed)
    weights = []
    for n_in, n_out in itertools.pairwise(widths):
        w = rng.normal(size=(n_out, n_in))
        w[rng.random(size=w.shape) < zero_share] = 0.0
        weights.append(w)
    return weights


def _brute_force_pi(weights: list[np.ndarray], source: int, target: int) -> np.ndarray:
    """Enumerate every path unit by unit and add up the products of |w|."""
    widths = [weights[0].shape[1]] + [w.shape[0] for w in weights]
    pi = np.zeros((widths[source], widths[target]))
    for i in range(widths[source]):
        for j in range(widths[target]):
            inner = [range(widths[layer]) for layer in range(source + 1, target)]
            for middle in itertools.product(*inner):
                units = [i, *middle, j]
                product = 1.0
                for step, layer in enumerate(range(source, target)):
                    product *= abs(weights[layer][units[step + 1], units[step]])
                pi[i, j] += product
    return pi


# --- path products ---------------------------------------------------------------------------


def test_path_products_equal_brute_force_enumeration() -> None:
    weights = _random_network([3, 4, 3, 2], seed=7)
    assert sum(int((w == 0).sum()) for w in weights) > 0  # the zeros must be exercised
    for source, target in [(0, 3), (0, 2), (1, 3), (1, 2), (2, 3)]:
        expected = _brute_force_pi(weights, source, target)
        got = path_products(weights, source_layer=source, target_layer=target)
        assert got.shape == expected.shape
        np.testing.assert_allclose(got, expected, rtol=1e-12, atol=1e-12)


def test_path_products_deeper_network_brute_force() -> None:
    weights = _random_network([4, 3, 4, 3, 4], seed=11, zero_share=0.4)
    np.testing.assert_allclose(
        path_products(weights), _brute_force_pi(weights, 0, 4), rtol=1e-12, atol=1e-12
    )


def test_path_products_hand_computed_2_2_2() -> None:
    # h0 = 1 x0 - 2 x1, h1 = 3 x0; y0 = 0.5 h0 + 1 h1, y1 = -1 h0 + 2 h1.
    w0 = np.array([[1.0, -2.0], [3.0, 0.0]])
    w1 = np.array([[0.5, 1.0], [-1.0, 2.0]])
    # pi(x0, y0) = 1*0.5 + 3*1 = 3.5     pi(x0, y1) = 1*1 + 3*2 = 7
    # pi(x1, y0) = 2*0.5 + 0*1 = 1       pi(x1, y1) = 2*1 + 0*2 = 2
    expected = np.array([[3.5, 7.0], [1.0, 2.0]])
    np.testing.assert_allclose(path_products([w0, w1]), expected)
    # From the hidden layer only the last matrix's |w| remain, transposed to [hidden, output].
    np.testing.assert_allclose(path_products([w0, w1], source_layer=1), [[0.5, 1.0], [1.0, 2.0]])
    np.testing.assert_allclose(path_products([w0, w1], 0, 0), np.eye(2))


def test_path_products_rejects_bad_input() -> None:
    w0, w1 = np.ones((3, 2)), np.ones((2, 4))  # 3 hidden outputs vs 4 inputs
    with pytest.raises(StructuralTestError, match="inputs"):
        path_products([w0, w1])
    with pytest.raises(StructuralTestError, match="non-empty"):
        path_products([])
    with pytest.raises(StructuralTestError, match="non-finite"):
        path_products([np.array([[np.nan, 1.0]])])
    with pytest.raises(StructuralTestError, match="target_layer"):
        path_products([np.ones((2, 2)), np.ones((2, 2))], source_layer=2, target_layer=1)
    with pytest.raises(StructuralTestError, match="source_layer"):
        path_products([np.ones((2, 2))], source_layer=3)


# --- input separability ----------------------------------------------------------------------

SEPARABLE_PI = np.array(
    [
        [10.0, 11.0, 1.0, 2.0],
        [12.0, 10.0, 2.0, 1.0],
        [1.0, 2.0, 10.0, 12.0],
        [2.0, 1.0, 11.0, 13.0],
    ]
)


def test_t_test_separable_pi_rejects_both_nulls() -> None:
    results = input_separability_tests(SEPARABLE_PI)
    assert [r.test for r in results] == [1, 2]
    assert all(r.rejected for r in results)
    # Test 1 by hand: cross = pi[0..1, 2..3] = 1, 2, 2, 1 (mean 1.5, sample variance 1/3);
    # within = pi[0..1, 0..1] = 10, 11, 12, 10 (mean 10.75, variance 2.75/3).
    t1 = (1.5 - 10.75) / math.sqrt((1 / 3) / 4 + (2.75 / 3) / 4)
    assert results[0].t == pytest.approx(t1, rel=1e-12)
    # Test 2: cross = pi[2..3, 0..1] = 1, 2, 2, 1; within = 10, 12, 11, 13 (mean 11.5, var 5/3).
    t2 = (1.5 - 11.5) / math.sqrt((1 / 3) / 4 + (5 / 3) / 4)
    assert results[1].t == pytest.approx(t2, rel=1e-12)
    assert results[0].p < 1e-3 and results[1].p < 1e-3


def test_t_test_uniform_pi_does_not_reject() -> None:
    # Every input reaches every output about equally: no separation to find.
    uniform = np.array(
        [
            [5.0, 6.0, 6.0, 5.0],
            [6.0, 5.0, 5.0, 6.0],
            [5.0, 6.0, 6.0, 5.0],
            [6.0, 5.0, 5.0, 6.0],
        ]
    )
    results = input_separability_tests(uniform)
    assert [r.rejected for r in results] == [False, False]
    # Equal means: t = 0 and the one-sided p is exactly one half.
    assert [r.t for r in results] == pytest.approx([0.0, 0.0], abs=1e-12)
    assert [r.p for r in results] == pytest.approx([0.5, 0.5], abs=1e-12)


def test_t_test_is_one_sided() -> None:
    # The transpose of the block structure (cross larger than within) must not reject.
    swapped = SEPARABLE_PI[:, [2, 3, 0, 1]]
    results = input_separability_tests(swapped)
    assert all(r.t > 0 and r.p > 0.99 and not r.rejected for r in results)


def test_t_test_alpha_decides() -> None:
    pi = np.array(
        [
            [4.0, 6.0, 3.0, 5.0],
            [5.0, 7.0, 4.0, 4.0],
            [5.0, 4.0, 5.0, 5.0],
            [5.0, 5.0, 5.0, 6.0],
        ]
    )
    first = input_separability_tests(pi)[0]
    assert 0.01 < first.p < 0.5
    assert input_separability_tests(pi, alpha=first.p * 1.01)[0].rejected
    assert not input_separability_tests(pi, alpha=first.p * 0.99)[0].rejected


@pytest.mark.filterwarnings("ignore:Precision loss occurred:RuntimeWarning")
def test_t_test_constant_equal_samples_are_not_rejected() -> None:
    results = input_separability_tests(np.ones((4, 4)))
    assert all(math.isnan(r.t) and not r.rejected for r in results)


def test_t_test_generalises_to_three_groups_and_other_outputs() -> None:
    rng = np.random.default_rng(3)
    pi = rng.uniform(0.0, 1.0, size=(6, 6))
    # Groups {0,1} and {2,3} send most of their path product to their own block; {4,5} does not.
    pi[0:2, 0:2] += 10.0
    pi[2:4, 2:4] += 10.0
    results = input_separability_tests(pi, groups=((0, 1), (2, 3), (4, 5)))
    assert [r.test for r in results] == [1, 2, 3]
    assert [r.rejected for r in results] == [True, True, False]
    # Test 1 by hand: cross = rows 0-1 at columns 2..5 (8 values), within = rows 0-1 at 0..1.
    cross, within = pi[0:2, 2:6].ravel(), pi[0:2, 0:2].ravel()
    t1 = (cross.mean() - within.mean()) / math.sqrt(
        cross.var(ddof=1) / cross.size + within.var(ddof=1) / within.size
    )
    assert results[0].t == pytest.approx(t1, rel=1e-12)
    # Distinct output groups: inputs {0,1} feed outputs {2,3}, inputs {2,3} feed outputs {0,1}.
    crossed = input_separability_tests(
        SEPARABLE_PI[:, [2, 3, 0, 1]], output_groups=((2, 3), (0, 1))
    )
    assert [r.t for r in crossed] == pytest.approx(
        [r.t for r in input_separability_tests(SEPARABLE_PI)]
    )


def test_t_test_result_is_frozen() -> None:
    result = input_separability_tests(SEPARABLE_PI)[0]
    assert isinstance(result, TTestResult)
    with pytest.raises(dataclasses.FrozenInstanceError):
        result.rejected = False  # type: ignore[misc]


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"groups": ((0, 1), (1, 2))}, "disjoint"),
        ({"groups": ((0, 1),)}, "at least two"),
        ({"groups": ((0, 1), (2, 9))}, "outside"),
        ({"groups": ((0,), (1, 2, 3))}, "fewer than 2"),
        ({"alpha": 1.5}, "alpha"),
        ({"output_groups": ((0, 1), (2,), (3,))}, "output_groups has 3"),
    ],
)
def test_t_test_rejects_bad_input(kwargs: dict, message: str) -> None:
    with pytest.raises(StructuralTestError, match=message):
        input_separability_tests(SEPARABLE_PI, **kwargs)


def test_t_test_rejects_bad_matrix() -> None:
    with pytest.raises(StructuralTestError, match="2-D"):
        input_separability_tests(np.ones(16))


# --- N_P -------------------------------------------------------------------------------------


def test_units_carrying_one_dominant_unit() -> None:
    # Hidden layer 1 has 3 units; the middle one carries 95% of the path product to the output.
    w0 = np.ones((3, 2))
    w1 = np.array([[3.0, 95.0, 2.0]])
    np.testing.assert_allclose(unit_path_totals([w0, w1], 1), [3.0, 95.0, 2.0])
    assert units_carrying([w0, w1], layer=1) == 1  # 95 >= 90
    assert units_carrying([w0, w1], layer=1, percent=96.0) == 2  # 95 + 3 = 98 >= 96
    assert units_carrying([w0, w1], layer=1, percent=99.0) == 3  # 98 < 99
    assert units_carrying([w0, w1], layer=1, percent=100.0) == 3


def test_units_carrying_sums_over_outputs_and_deeper_paths() -> None:
    # Layer 1 units reach the outputs only through layer 2: unit totals are
    # u0: 1*(1+1) + 1*(1+1) = 4, u1: 9*(1+1) = 18, u2: 0 (no outgoing edge).
    w0 = np.ones((3, 2))
    w1 = np.array([[1.0, 9.0, 0.0], [1.0, 0.0, 0.0]])
    w2 = np.array([[1.0, 1.0], [1.0, 1.0]])
    np.testing.assert_allclose(unit_path_totals([w0, w1, w2], 1), [4.0, 18.0, 0.0])
    assert units_carrying([w0, w1, w2], 1) == 2  # 18 / 22 = 82% < 90%
    assert units_carrying([w0, w1, w2], 1, percent=80.0) == 1
    # Layer 2 units: 2 each, so both are needed for 90%.
    assert n_p_per_layer([w0, w1, w2]) == [2, 2]


def test_n_p_of_the_reused_ground_truth_is_3_and_2() -> None:
    # The reused function graph: 3 gates on all inputs, 2 gates on all three, then 16 outputs.
    # Equal weights spread the path product evenly, so every unit is needed.
    weights = [np.ones((3, 4)), np.ones((2, 3)), np.ones((16, 2))]
    assert n_p_per_layer(weights, 90.0) == [3, 2]


def test_n_p_of_a_layer_reaching_nothing_is_zero() -> None:
    weights = [np.ones((2, 2)), np.zeros((1, 2))]
    assert units_carrying(weights, 1) == 0


@pytest.mark.parametrize(
    ("layer", "percent", "message"),
    [(0, 90.0, "layer"), (2, 90.0, "layer"), (1, 0.0, "percent"), (1, 101.0, "percent")],
)
def test_units_carrying_rejects_bad_input(layer: int, percent: float, message: str) -> None:
    with pytest.raises(StructuralTestError, match=message):
        units_carrying([np.ones((2, 2)), np.ones((1, 2))], layer, percent)


def test_units_carrying_needs_a_hidden_layer() -> None:
    with pytest.raises(StructuralTestError, match="no hidden layer"):
        units_carrying([np.ones((2, 2))], 1)
