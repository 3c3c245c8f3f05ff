"""Unit clustering: grouping one layer's units into clusters (paper Section 4, Appendix I).

Each alive unit of a non-output layer is described by its reachability features
(:func:`neural_sculpting.analysis.alive_units.reachability_features`). The units are clustered by
average linkage on cosine distance; the cuts k = 2..n-1 are scored by the modified modularity
metric, and the edge cases k = 1 (one module) and k = n (all separate) are decided by the
separability tests (Appendix I.2) of :mod:`neural_sculpting.analysis.modularity`.
:class:`LayerClustering` records how k was chosen.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import asdict, dataclass, field
from typing import Any

import numpy as np

from neural_sculpting.analysis.alive_units import DetectionInputError
from neural_sculpting.analysis.modularity import (
    cosine_distance_matrix,
    separability_tests,
    set_distance_matrix,
)

__all__ = [
    "Clustering",
    "LayerClustering",
    "agglomerative_cut",
    "cluster_layer",
    "cluster_layer_detailed",
    "cut_sequence",
    "distance_matrix",
    "merge_tree",
]

# M is compared after rounding, as the published code does, so that float noise cannot break
# ties between k values (ties go to the larger k).
METRIC_DECIMALS = 8

LINKAGES = ("average", "complete", "single", "ward")
DISTANCES = ("cosine", "jaccard", "euclidean")
# Each criterion's better direction: the modularity metric and Davies-Bouldin are minimised.
CRITERIA = {"modularity": -1, "silhouette": 1, "calinski_harabasz": 1, "davies_bouldin": -1}


@dataclass(frozen=True)
class Clustering:
    """How a layer's units are clustered (the choices of Appendix I.1, Table 4); the defaults
    are the paper's: average linkage on cosine distances, k chosen by the modularity metric.

    The criterion picks k among 2..n-1 on the cuts of one merge tree: the modularity metric
    (lowest M), the silhouette index (highest, on the clustering's own distances), the
    Calinski-Harabasz index (highest) or the Davies-Bouldin index (lowest), both of those on the
    binary feature vectors (scikit-learn computes them with Euclidean geometry). Ties go to the
    larger k. The separability tests decide the edge cases k = 1 and k = n: with the modularity
    metric when the best k is 2 or n-1 or the best M is above the threshold; with an index,
    which has no such threshold, when the best k is 2 or n-1.
    """

    linkage: str = "average"
    distance: str = "cosine"
    criterion: str = "modularity"

    def __post_init__(self) -> None:
        if self.linkage not in LINKAGES:
            raise DetectionInputError(f"linkage must be one of {', '.join(LINKAGES)}")
        if self.distance not in DISTANCES:
            raise DetectionInputError(f"distance must be one of {', '.join(DISTANCES)}")
        if self.criterion not in CRITERIA:
            raise DetectionInputError(f"criterion must be one of {', '.join(CRITERIA)}")
        if self.linkage == "ward" and self.distance != "euclidean":
            raise DetectionInputError("ward linkage needs euclidean distances")

    @property
    def name(self) -> str:
        return f"{self.linkage}-{self.distance}-{self.criterion}"


def distance_matrix(features: np.ndarray, distance: str = "cosine") -> np.ndarray:
    """Full symmetric n x n distance matrix of binary feature rows. Cosine and Jaccard distances
    are undefined for all-zero rows: such a row is at distance 1 from every non-zero row and 0
    from another all-zero row (see `cosine_distance_matrix`)."""
    if distance == "cosine":
        return cosine_distance_matrix(features)
    x = np.asarray(features) != 0
    if distance == "euclidean":
        from scipy.spatial.distance import pdist, squareform  # SciPy at first use (modularity.py)

        n = x.shape[0]
        return squareform(pdist(x.astype(float))) if n >= 2 else np.zeros((n, n))
    return set_distance_matrix(x, "jaccard")


@dataclass(frozen=True)
class LayerClustering:
    """How one non-output layer's number of clusters was chosen.

    ks / metrics: the k tried (2..n-1) and their M values rounded to 8 decimals; best_k and
    best_metric: the argmin (ties to the larger k), None when n <= 2. used_tests: whether the
    rule consulted the separability tests. The tests' fire flags and scores are recorded for
    every layer with n >= 2, consulted or not (None for n <= 1). chosen_k: clusters kept.
    """

    layer: int
    n_units: int
    ks: tuple[int, ...]
    metrics: tuple[float, ...]
    best_k: int | None
    best_metric: float | None
    used_tests: bool
    separate_fired: bool | None
    separate_score: float | None
    single_fired: bool | None
    single_score: float | None
    chosen_k: int
    labels: tuple[int, ...] = field(repr=False)

    def to_json(self) -> dict[str, Any]:
        data = asdict(self)
        for key in ("ks", "metrics", "labels"):
            data[key] = list(data[key])
        return data

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> LayerClustering:
        values = dict(data)
        for key in ("ks", "metrics", "labels"):
            values[key] = tuple(values[key])
        return cls(**values)


def _canonical(labels: np.ndarray) -> tuple[int, ...]:
    """Relabel clusters 0, 1, ... in order of first appearance (labels are arbitrary)."""
    order: dict[int, int] = {}
    return tuple(order.setdefault(int(x), len(order)) for x in labels)


def merge_tree(distances: np.ndarray, method: str = "average") -> np.ndarray:
    """The merges of n units by `method` linkage, [n - 1, 2] node ids (leaves 0..n-1, the i-th
    merge makes node n + i), in merge order.

    This is SciPy's `linkage` of the matrix's upper triangle, which is what scikit-learn's
    `AgglomerativeClustering(metric="precomputed", linkage=method)` (the authors' clustering)
    calls for its tree, so the merges, ties included, are theirs without importing scikit-learn
    (a second of start-up per detection job). Ward's merges assume Euclidean distances."""
    from scipy.cluster.hierarchy import linkage  # SciPy at first use (modularity.py)

    dist = np.asarray(distances, dtype=float)
    upper = dist[np.triu_indices(dist.shape[0], k=1)]
    return linkage(upper, method=method)[:, :2].astype(int)


def agglomerative_cut(distances: np.ndarray, k: int) -> tuple[int, ...]:
    """The k-cut of the average-linkage dendrogram: the state after exactly n - k merges.

    As scikit-learn cuts its full tree (by undoing the last k - 1 merges), the cut has exactly k
    clusters even when merge distances tie (a distance cut would not). The matrix comes from
    :func:`cosine_distance_matrix`, which holds exactly the distances that ``metric="cosine"``
    would compute, so the merge order (ties included) is the same; unlike ``metric="cosine"`` it
    also accepts all-zero feature rows. Labels are 0, 1, ... in order of first appearance.
    """
    dist = np.asarray(distances, dtype=float)
    if dist.ndim != 2 or dist.shape[0] != dist.shape[1]:
        raise DetectionInputError(f"distance matrix must be square, got shape {dist.shape}")
    n = dist.shape[0]
    if not 1 <= k <= n:
        raise DetectionInputError(f"k must lie in [1, {n}], got {k}")
    if k == n:
        return tuple(range(k))
    member = np.arange(n)  # the cluster (tree node) of each unit
    for merge, (left, right) in enumerate(merge_tree(dist)[: n - k]):
        member[(member == left) | (member == right)] = n + merge
    return _canonical(member)


def cut_sequence(
    distances: np.ndarray, method: str = "average"
) -> tuple[dict[int, tuple[int, ...]], dict[int, float]]:
    """Every k-cut (k = 2..n-1) of one average-linkage tree, and the modularity metric M of each
    (unrounded): the same cuts and values as `agglomerative_cut` and `modularity_metric` per k.

    The tree is built once and its merges replayed: the k-cut is the state after the first n - k
    merges (what scikit-learn's cut of the full tree gives). M = trace(A) - sum_c r_c^2 is
    updated per merge of clusters a and b: trace grows by 2 A_ab, the sum of squares by
    2 r_a r_b, and A's rows and columns of a and b add up. That is O(n^2) for the whole layer,
    where a clustering and a matrix product per k cost O(n^4): minutes for the hundreds of
    alive pixels of an MNIST network's input layer. (Building the tree itself is O(n^2) too.)
    """
    dist = np.asarray(distances, dtype=float)
    n = dist.shape[0]
    if n < 3:
        return {}, {}
    children = merge_tree(dist, method)
    total = dist.sum()
    a = dist / total if total > 0 else np.zeros_like(dist)
    r = a.sum(axis=1)
    trace, squares = float(np.trace(a)), float(np.sum(r**2))
    member = np.arange(n)  # cluster id (a row of `a`) of each unit
    node_row = list(range(n))  # tree node -> the row of `a` that holds its cluster
    cuts: dict[int, tuple[int, ...]] = {}
    metrics: dict[int, float] = {}
    for merge, (left, right) in enumerate(children[: n - 2], start=1):
        i, j = node_row[left], node_row[right]
        trace += 2.0 * a[i, j]
        squares += 2.0 * r[i] * r[j]
        a[i, :] += a[j, :]
        a[:, i] += a[:, j]
        a[j, :] = 0.0
        a[:, j] = 0.0
        r[i] += r[j]
        r[j] = 0.0
        member[member == j] = i
        node_row.append(i)
        k = n - merge
        cuts[k] = _canonical(member)
        metrics[k] = 0.0 if total == 0 else trace - squares
    return cuts, metrics


def _index_scores(
    criterion: str, features: np.ndarray, distances: np.ndarray, cuts: dict[int, tuple[int, ...]]
) -> dict[int, float]:
    """A cluster index of every cut (scikit-learn, imported only for these criteria)."""
    from sklearn import metrics

    points = features.astype(float)
    if criterion == "silhouette":
        return {k: metrics.silhouette_score(distances, cut, metric="precomputed")
                for k, cut in cuts.items()}  # fmt: skip
    score = getattr(metrics, f"{criterion}_score")
    return {k: float(score(points, cut)) for k, cut in cuts.items()}


def cluster_layer_detailed(
    features: np.ndarray,
    modularity_threshold: float = -0.2,
    layer: int = 0,
    clustering: Clustering | None = None,
) -> LayerClustering:
    """Cluster one layer's units and record how k was chosen (see :class:`LayerClustering`).

    By default (the paper's `Clustering`), k = 2..n-1 are scored by the modularity metric; if
    the best k is 2 or n-1 or the best M is strictly above the threshold, the separability
    tests may replace it by 1 (one module) or n (all separate); if both fire the larger score
    wins, ties to one module. With n = 2 the tests alone decide; n = 1 is one cluster. Other
    criteria choose k as `Clustering` says; `metrics` then holds the criterion's values.
    """
    clustering = clustering or Clustering()
    f = np.asarray(features) != 0
    if f.ndim != 2:
        raise DetectionInputError(f"features must be 2-D, got shape {f.shape}")
    n = f.shape[0]
    if n <= 1:
        return LayerClustering(
            layer, n, (), (), None, None, False, None, None, None, None, n, (0,) * n
        )

    distance = distance_matrix(f, clustering.distance)
    cuts, raw_metrics = cut_sequence(distance, clustering.linkage)
    ks = tuple(range(2, n))
    if clustering.criterion != "modularity" and cuts:
        raw_metrics = _index_scores(clustering.criterion, f, distance, {k: cuts[k] for k in ks})
    metrics = tuple(float(np.round(raw_metrics[k], METRIC_DECIMALS)) for k in ks)
    sign = CRITERIA[clustering.criterion]

    # The (n-1)-cut's only pair is the pair merged first; with n = 2 both tests use the pair.
    two_cut = cuts.get(2, (0, 1))
    if n > 2:
        pair_label = np.flatnonzero(np.bincount(cuts[n - 1]) == 2)[0]
        i, j = (int(u) for u in np.flatnonzero(np.asarray(cuts[n - 1]) == pair_label))
    else:
        i, j = 0, 1
    separate, single = separability_tests(f, (i, j), two_cut)

    best_k: int | None = None
    best_metric: float | None = None
    for k, m in zip(ks, metrics, strict=True):
        # `>=` on the signed value: ties go to the larger k.
        if best_metric is None or sign * m >= sign * best_metric:
            best_k, best_metric = k, m
    if best_k is None:
        used_tests = True
    else:
        used_tests = best_k in (2, n - 1)
        if clustering.criterion == "modularity":
            used_tests = used_tests or best_metric > modularity_threshold

    chosen = best_k
    if used_tests:
        if separate.fired and single.fired:
            chosen = n if separate.score > single.score else 1
        elif separate.fired:
            chosen = n
        elif single.fired:
            chosen = 1
    if chosen is None:  # n = 2 and neither test fired: impossible, one test always fires
        chosen = n

    if chosen == 1:
        labels: tuple[int, ...] = (0,) * n
    elif chosen == n:
        labels = tuple(range(n))
    else:
        labels = cuts[chosen]
    return LayerClustering(
        layer=layer,
        n_units=n,
        ks=ks,
        metrics=metrics,
        best_k=best_k,
        best_metric=best_metric,
        used_tests=bool(used_tests),
        separate_fired=separate.fired,
        separate_score=separate.score,
        single_fired=single.fired,
        single_score=single.score,
        chosen_k=int(chosen),
        labels=labels,
    )


def cluster_layer(features: np.ndarray, threshold: float = -0.2) -> tuple[int, ...]:
    """Cluster labels (0, 1, ... in order of first appearance) of one layer's units."""
    return cluster_layer_detailed(features, threshold).labels
