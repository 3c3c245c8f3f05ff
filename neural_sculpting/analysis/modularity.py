"""Cluster-quality pieces of module detection: the modified modularity metric (paper Eq. 2) and
the two separability tests that decide the edge cases k = 1 and k = n (Appendix I.2).

Everything here works on one layer's binary reachability features; it knows nothing about
networks, masks or merging (see :mod:`neural_sculpting.analysis.module_detection`).
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from neural_sculpting.foundations.errors import SculptError

__all__ = [
    "ModularityInputError",
    "TestOutcome",
    "cosine_distance_matrix",
    "modularity_metric",
    "separability_tests",
    "separate_test",
    "set_distance_matrix",
    "single_test",
]


class ModularityInputError(SculptError):
    """A feature matrix, distance matrix or label vector that the metric cannot use."""


@dataclass(frozen=True)
class TestOutcome:
    """Result of one separability test: whether it fires and its z-like score."""

    fired: bool
    score: float


def cosine_distance_matrix(features: np.ndarray) -> np.ndarray:
    """Full symmetric n x n cosine-distance matrix (zero diagonal) of the rows of `features`.

    SciPy's ``pdist`` is used because it is what scikit-learn's
    ``AgglomerativeClustering(metric="cosine")`` hands to SciPy's linkage, so clustering on this
    matrix reproduces its merge order bit for bit (ties included). Cosine distance is undefined
    for an all-zero row; such a row is put at distance 1 from every non-zero row (nothing in
    common) and 0 from another all-zero row (identical), so no NaN ever appears.
    """
    x = np.asarray(features, dtype=float)
    if x.ndim != 2:
        raise ModularityInputError(f"features must be 2-D, got shape {x.shape}")
    return set_distance_matrix(x, "cosine")


def set_distance_matrix(x: np.ndarray, metric: str) -> np.ndarray:
    """`pdist` with `metric` (cosine or jaccard, undefined for all-zero rows) as a full matrix,
    all-zero rows at distance 1 from every other row and 0 from each other."""
    # SciPy at first use: a drawing or table job imports this module without computing.
    from scipy.spatial.distance import pdist, squareform

    n = x.shape[0]
    if n < 2:
        return np.zeros((n, n))
    zero = ~np.any(x != 0, axis=1)
    dist = np.ones((n, n))
    nonzero = np.flatnonzero(~zero)
    if nonzero.size >= 2:
        dist[np.ix_(nonzero, nonzero)] = squareform(pdist(x[nonzero], metric=metric))
    dist[np.ix_(zero, zero)] = 0.0
    np.fill_diagonal(dist, 0.0)
    return dist


def modularity_metric(distance_matrix: np.ndarray, labels: Sequence[int]) -> float:
    """Modified modularity M of a partition (Eq. 2): sum_i A_ii - (sum_j A_ij)^2.

    D~ is the full distance matrix (both orders of each pair, zero diagonal) divided by the sum
    of its entries, and A_ij sums D~ over unit pairs in clusters i and j. Lower is better. When
    all distances are 0 there is nothing to normalise and M = 0 for every partition. The value
    is returned unrounded; the per-layer search rounds it to 8 decimals.
    """
    dist = np.asarray(distance_matrix, dtype=float)
    if dist.ndim != 2 or dist.shape[0] != dist.shape[1]:
        raise ModularityInputError(f"distance matrix must be square, got shape {dist.shape}")
    lab = np.asarray(labels)
    if lab.shape != (dist.shape[0],):
        raise ModularityInputError(
            f"need one label per unit: {lab.shape[0] if lab.ndim else 0} labels, "
            f"{dist.shape[0]} units"
        )
    total = dist.sum()
    if total == 0:
        return 0.0
    _, member = np.unique(lab, return_inverse=True)
    onehot = np.zeros((lab.size, member.max() + 1))
    onehot[np.arange(lab.size), member] = 1.0
    a = onehot.T @ (dist / total) @ onehot
    return float(np.trace(a) - np.sum(a.sum(axis=1) ** 2))


def _binomial_baseline(k_i: int, k_j: int, n: int) -> tuple[float, float]:
    """Expected overlap E and its standard deviation s under the random baseline.

    The overlap of two sets with k_i and k_j members among n is modelled as
    Binomial(n, x) with x = k_i k_j / n^2 (paper, Appendix I.2).
    """
    x = k_i * k_j / n**2
    return n * x, math.sqrt(n * x * (1.0 - x))


def _check_counts(k_i: int, k_j: int, k_ij: int, n: int) -> None:
    if n < 1:
        raise ModularityInputError(f"feature length N must be at least 1, got {n}")
    if not (0 <= k_i <= n and 0 <= k_j <= n):
        raise ModularityInputError(f"counts k_i={k_i}, k_j={k_j} must lie in [0, N={n}]")
    if not 0 <= k_ij <= min(k_i, k_j):
        raise ModularityInputError(f"shared count k_ij={k_ij} must lie in [0, min(k_i, k_j)]")


def separate_test(k_i: int, k_j: int, k_ij: int, n: int) -> TestOutcome:
    """ "All units separate" test on the closest pair: do the two share fewer than expected?

    Fires when (k_ij < max(k_i, k_j) and k_ij <= E) or k_ij == 0, by these conditions alone
    (not by a positive score, as the published code does); score (E - k_ij) / s, 0 if s = 0.
    """
    _check_counts(k_i, k_j, k_ij, n)
    expected, sd = _binomial_baseline(k_i, k_j, n)
    fired = (k_ij < max(k_i, k_j) and k_ij <= expected) or k_ij == 0
    score = (expected - k_ij) / sd if sd > 0 else 0.0
    return TestOutcome(fired=bool(fired), score=float(score))


def single_test(k_i: int, k_j: int, k_ij: int, n: int) -> TestOutcome:
    """ "One module" test on the two groups of the 2-cut: do they share at least as expected?

    Fires when (k_ij >= 1 and k_ij >= E) or k_ij >= max(k_i, k_j); score (k_ij - E) / s,
    0 if s = 0.
    """
    _check_counts(k_i, k_j, k_ij, n)
    expected, sd = _binomial_baseline(k_i, k_j, n)
    fired = (k_ij >= 1 and k_ij >= expected) or k_ij >= max(k_i, k_j)
    score = (k_ij - expected) / sd if sd > 0 else 0.0
    return TestOutcome(fired=bool(fired), score=float(score))


def _overlap_counts(f_i: np.ndarray, f_j: np.ndarray) -> tuple[int, int, int]:
    return int(f_i.sum()), int(f_j.sum()), int(np.logical_and(f_i, f_j).sum())


def separability_tests(
    features: np.ndarray, closest_pair: tuple[int, int], two_cut: Sequence[int]
) -> tuple[TestOutcome, TestOutcome]:
    """Run both tests on one layer's binary features; returns (separate, single).

    `closest_pair` is the pair merged first (the only pair of the (n-1)-cut); `two_cut` labels
    the units of the 2-cut with two distinct values, and each group's features are OR-ed.
    N is the feature length (all alive units of the later layers).
    """
    f = np.asarray(features) != 0
    if f.ndim != 2 or f.shape[0] < 2:
        raise ModularityInputError(f"need at least two units of features, got shape {f.shape}")
    i, j = closest_pair
    if i == j or not (0 <= i < f.shape[0] and 0 <= j < f.shape[0]):
        raise ModularityInputError(f"closest pair {closest_pair} is not two distinct units")
    groups = np.asarray(two_cut)
    if groups.shape != (f.shape[0],) or np.unique(groups).size != 2:
        raise ModularityInputError("two_cut must give every unit one of exactly two labels")
    n = f.shape[1]
    separate = separate_test(*_overlap_counts(f[i], f[j]), n)
    first = groups == groups[0]
    single = single_test(*_overlap_counts(f[first].any(axis=0), f[~first].any(axis=0)), n)
    return separate, single
