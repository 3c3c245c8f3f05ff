"""Structural tests of Sections 2-3 (Appendix G): path products, input separability, N_P^l.

A network is a list of weight matrices: ``weights[l]`` has shape [n_{l+1}, n_l] (out, in) and maps
layer l to layer l+1. Layer indices count the input layer as 0, so with L = len(weights) the
hidden layers are 1..L-1 and the output layer is L. The paper's 1-based "hidden layer l" of N_P^l is
therefore the same number as the layer index l. Pruned weights are exactly 0; biases play no part.

- Path product pi(i, j): the sum over all paths from unit i to unit j of the product of |w| along
  the path, i.e. entry (i, j) of |W_s|^T |W_{s+1}|^T ... |W_{t-1}|^T.
- Input separability: one-sided Welch t-tests, cross-group path products < within-group ones.
- Reuse: N_P^l, the fewest units of hidden layer l carrying P% of the path product leaving it.
"""

from __future__ import annotations

import numbers
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
from scipy import stats

from neural_sculpting.foundations.errors import SculptError

__all__ = [
    "StructuralTestError",
    "TTestResult",
    "input_separability_tests",
    "n_p_per_layer",
    "path_products",
    "unit_path_totals",
    "units_carrying",
]


class StructuralTestError(SculptError):
    """Bad input to a structural test (malformed network, layer index, groups or settings)."""


@dataclass(frozen=True)
class TTestResult:
    """One input-separability test.

    ``test`` is 1-based (test 1 = the first input group). ``t`` is Welch's statistic of
    mean(cross) - mean(within), negative when the path products respect the split; ``p`` is the
    one-sided p value for mean(cross) < mean(within); ``rejected`` is ``p < alpha``.
    """

    test: int
    t: float
    p: float
    rejected: bool


def _check_weights(weights: Sequence[np.ndarray]) -> list[np.ndarray]:
    """Validate a weight list and return the absolute matrices in float64."""
    if isinstance(weights, np.ndarray) or len(weights) == 0:
        raise StructuralTestError("weights must be a non-empty list of 2-D weight matrices")
    mats = []
    for index, w in enumerate(weights):
        mat = np.asarray(w, dtype=np.float64)
        if mat.ndim != 2 or mat.size == 0:
            raise StructuralTestError(
                f"weights[{index}] must be a non-empty 2-D array, got shape {mat.shape}"
            )
        if not np.all(np.isfinite(mat)):
            raise StructuralTestError(f"weights[{index}] contains non-finite values")
        if mats and mat.shape[1] != mats[-1].shape[0]:
            raise StructuralTestError(
                f"weights[{index}] has {mat.shape[1]} inputs but weights[{index - 1}] "
                f"has {mats[-1].shape[0]} outputs"
            )
        mats.append(np.abs(mat))
    return mats


def _check_layer(value: object, name: str, low: int, high: int) -> int:
    if isinstance(value, bool) or not isinstance(value, numbers.Integral):
        raise StructuralTestError(f"{name} must be an integer, got {value!r}")
    if not low <= int(value) <= high:
        raise StructuralTestError(f"{name} must lie in [{low}, {high}], got {value}")
    return int(value)


def _check_percent(percent: float) -> float:
    if not isinstance(percent, numbers.Real) or not 0.0 < float(percent) <= 100.0:
        raise StructuralTestError(f"percent must lie in (0, 100], got {percent!r}")
    return float(percent)


def path_products(
    weights: Sequence[np.ndarray], source_layer: int = 0, target_layer: int | None = None
) -> np.ndarray:
    """pi(i, j) for unit i of ``source_layer`` and unit j of ``target_layer`` (default: outputs).

    Computed as a product of absolute weight matrices, which sums every path at once. Returns an
    [n_source, n_target] float64 array; equal layers give the identity (the empty path).
    """
    mats = _check_weights(weights)
    n_layers = len(mats)
    source = _check_layer(source_layer, "source_layer", 0, n_layers)
    target = n_layers if target_layer is None else target_layer
    target = _check_layer(target, "target_layer", source, n_layers)
    result = np.eye(mats[source].shape[1] if source < n_layers else mats[-1].shape[0])
    for mat in mats[source:target]:
        result = result @ mat.T
    return result


def _check_groups(groups: Sequence[Sequence[int]], size: int, name: str) -> list[np.ndarray]:
    try:
        arrays = [np.asarray(list(g)) for g in groups]
    except TypeError as error:
        raise StructuralTestError(f"{name} must be a sequence of index sequences") from error
    if len(arrays) < 2:
        raise StructuralTestError(f"{name} needs at least two groups, got {len(arrays)}")
    seen: set[int] = set()
    for g in arrays:
        if g.size == 0 or g.ndim != 1 or not np.issubdtype(g.dtype, np.integer):
            raise StructuralTestError(f"{name} must hold non-empty groups of integer indices")
        if g.min() < 0 or g.max() >= size:
            raise StructuralTestError(f"{name} has an index outside [0, {size - 1}]")
        if seen & set(g.tolist()) or len(set(g.tolist())) != g.size:
            raise StructuralTestError(f"{name} must be disjoint, without repeated indices")
        seen |= set(g.tolist())
    return arrays


def input_separability_tests(
    pi: np.ndarray,
    groups: Sequence[Sequence[int]] = ((0, 1), (2, 3)),
    alpha: float = 0.05,
    output_groups: Sequence[Sequence[int]] | None = None,
) -> list[TTestResult]:
    """One Welch t-test per group: are its cross path products smaller than its within ones?

    Test k takes the rows (inputs) of ``groups[k]``: the within sample is pi at the columns
    (outputs) of ``output_groups[k]`` and the cross sample pi at the columns of all other output
    groups. ``output_groups`` defaults to ``groups`` (the input-separable task: y0, y1 depend on
    x0, x1 and y2, y3 on x2, x3). Two constant, equal samples give t = p = NaN: not rejected.
    """
    matrix = np.asarray(pi, dtype=np.float64)
    if matrix.ndim != 2 or not np.all(np.isfinite(matrix)):
        raise StructuralTestError("pi must be a finite 2-D array")
    if not isinstance(alpha, numbers.Real) or not 0.0 < float(alpha) < 1.0:
        raise StructuralTestError(f"alpha must lie in (0, 1), got {alpha!r}")
    rows = _check_groups(groups, matrix.shape[0], "groups")
    cols = _check_groups(
        groups if output_groups is None else output_groups, matrix.shape[1], "output_groups"
    )
    if len(cols) != len(rows):
        raise StructuralTestError(
            f"output_groups has {len(cols)} groups but groups has {len(rows)}"
        )
    results = []
    for k, (inputs, outputs) in enumerate(zip(rows, cols, strict=True)):
        others = np.concatenate([c for j, c in enumerate(cols) if j != k])
        within = matrix[np.ix_(inputs, outputs)].ravel()
        cross = matrix[np.ix_(inputs, others)].ravel()
        if within.size < 2:
            # Welch's variance estimate needs two values per sample.
            raise StructuralTestError(f"test {k + 1} has a within sample of fewer than 2 values")
        res = stats.ttest_ind(cross, within, equal_var=False, alternative="less")
        p = float(res.pvalue)
        results.append(TTestResult(test=k + 1, t=float(res.statistic), p=p, rejected=p < alpha))
    return results


def unit_path_totals(weights: Sequence[np.ndarray], layer: int) -> np.ndarray:
    """Per unit of hidden ``layer`` (1..L-1): the total path product to all output units."""
    n_layers = len(_check_weights(weights))
    if n_layers < 2:
        raise StructuralTestError("the network has no hidden layer")
    hidden = _check_layer(layer, "layer", 1, n_layers - 1)
    return path_products(weights, source_layer=hidden).sum(axis=1)


def units_carrying(weights: Sequence[np.ndarray], layer: int, percent: float = 90.0) -> int:
    """N_P^l: the fewest units of hidden ``layer`` whose largest totals reach ``percent``% of it.

    ``layer`` is the layer index with the input layer as 0 (= the paper's 1-based hidden layer).
    A layer whose total is 0 (nothing reaches the outputs) gives 0. This is the paper's
    definition; the authors' notebook counts #(prefix sums <= P% of total) + 1, which is one more
    only when a prefix sum lands exactly on P% of the total.
    """
    share = _check_percent(percent) / 100.0
    totals = np.sort(unit_path_totals(weights, layer))[::-1]
    prefix = np.cumsum(totals)
    if prefix[-1] <= 0.0:
        return 0
    # Threshold from the same prefix sums, so P = 100 never overshoots through rounding.
    count = int(np.searchsorted(prefix, share * prefix[-1], side="left")) + 1
    return min(count, totals.size)


def n_p_per_layer(weights: Sequence[np.ndarray], percent: float = 90.0) -> list[int]:
    """N_P^l for every hidden layer l = 1..L-1, in order."""
    n_layers = len(_check_weights(weights))
    return [units_carrying(weights, layer, percent) for layer in range(1, n_layers)]
