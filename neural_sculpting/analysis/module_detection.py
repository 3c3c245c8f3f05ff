"""Module detection in a pruned MLP (paper Section 4, Appendix I).

Three steps, each a public function:

1. :func:`remove_dead_units` drops units that no longer carry signal;
2. :func:`cluster_layer` groups each non-output layer's units by what they reach
   (:func:`reachability_features`), choosing k with the modularity metric and, for the edge
   cases, the separability tests of :mod:`neural_sculpting.analysis.modularity`;
3. :func:`merge_layers` joins strongly connected clusters of adjacent layers into modules.

:func:`detect_modules` runs all three. Masks follow the PyTorch weight layout: ``masks[l]`` has
shape [n_{l+1}, n_l] (out, in) and connects layer l to layer l+1; layer 0 holds the inputs and
layer L the outputs. Unit indices are always the original positions in the unpruned layer.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import asdict, dataclass, field
from typing import Any

import networkx as nx
import numpy as np
from sklearn.cluster import AgglomerativeClustering

from neural_sculpting.analysis.modularity import (
    cosine_distance_matrix,
    separability_tests,
)
from neural_sculpting.study.hparams import DetectionSettings

__all__ = [
    "DetectionInputError",
    "DetectionSettings",
    "LayerClustering",
    "ModuleDetection",
    "agglomerative_cut",
    "cluster_layer",
    "cluster_layer_detailed",
    "cut_sequence",
    "detect_modules",
    "merge_layers",
    "reachability_features",
    "remove_dead_units",
]

Alive = tuple[tuple[int, ...], ...]
Labels = tuple[tuple[int | None, ...], ...]

# M is compared after rounding, as the published code does, so that float noise cannot break
# ties between k values (ties go to the larger k).
METRIC_DECIMALS = 8


class DetectionInputError(ValueError):
    """Masks, settings or labels that module detection cannot work with."""


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


# ----------------------------------------------------------------------------- input checks


def _as_bool_masks(masks: Sequence[np.ndarray]) -> list[np.ndarray]:
    """Validate the layer chain and turn every mask into a boolean array (nonzero = kept)."""
    if len(masks) == 0:
        raise DetectionInputError("masks is empty: need at least one weight layer")
    out = []
    for index, mask in enumerate(masks):
        array = np.asarray(mask)
        if array.ndim != 2:
            raise DetectionInputError(f"masks[{index}] must be 2-D, got shape {array.shape}")
        if array.dtype.kind not in "biuf":
            raise DetectionInputError(f"masks[{index}] must be numeric, got dtype {array.dtype}")
        if 0 in array.shape:
            raise DetectionInputError(f"masks[{index}] has an empty layer: shape {array.shape}")
        if array.dtype.kind == "f" and not np.all(np.isfinite(array)):
            raise DetectionInputError(f"masks[{index}] contains NaN or infinite entries")
        if out and array.shape[1] != out[-1].shape[0]:
            raise DetectionInputError(
                f"masks[{index}] has {array.shape[1]} inputs but masks[{index - 1}] "
                f"has {out[-1].shape[0]} outputs"
            )
        out.append(array != 0)
    return out


def _check_alive(masks: list[np.ndarray], alive: Sequence[Sequence[int]]) -> list[np.ndarray]:
    widths = [masks[0].shape[1]] + [m.shape[0] for m in masks]
    if len(alive) != len(widths):
        raise DetectionInputError(f"alive has {len(alive)} layers, masks imply {len(widths)}")
    out = []
    for layer, (units, width) in enumerate(zip(alive, widths, strict=True)):
        idx = np.asarray(units, dtype=int).reshape(-1)
        if idx.size and (idx.min() < 0 or idx.max() >= width or np.any(np.diff(idx) <= 0)):
            raise DetectionInputError(
                f"alive[{layer}] must be sorted distinct indices in [0, {width})"
            )
        out.append(idx)
    return out


# ----------------------------------------------------------------------------- dead units


def remove_dead_units(masks: Sequence[np.ndarray]) -> Alive:
    """Sorted original indices of the alive units of every layer (inputs first, outputs last).

    A hidden unit dies when it has no incoming or no outgoing edge, an input unit when it has
    no outgoing edge; only edges between units still alive count, and removal repeats until
    nothing changes (the fixed point does not depend on the order). Outputs never die.
    """
    bool_masks = _as_bool_masks(masks)
    n_layers = len(bool_masks)
    alive = [np.ones(bool_masks[0].shape[1], bool)] + [
        np.ones(m.shape[0], bool) for m in bool_masks
    ]
    changed = True
    while changed:
        changed = False
        for layer in range(n_layers):  # every non-output layer needs an outgoing edge
            mask = bool_masks[layer]
            has_out = (mask & alive[layer + 1][:, None]).any(axis=0)
            keep = alive[layer] & has_out
            if layer > 0:  # hidden units also need an incoming edge
                has_in = bool_masks[layer - 1][:, alive[layer - 1]].any(axis=1)
                keep &= has_in
            if np.any(keep != alive[layer]):
                alive[layer] = keep
                changed = True
    return tuple(tuple(int(i) for i in np.flatnonzero(a)) for a in alive)


# ----------------------------------------------------------------------------- features


def _alive_submasks(masks: list[np.ndarray], alive: list[np.ndarray]) -> list[np.ndarray]:
    """Edges between alive units, transposed to [from, to] for reachability products."""
    return [m[np.ix_(alive[i + 1], alive[i])].T for i, m in enumerate(masks)]


def reachability_features(
    masks: Sequence[np.ndarray], alive: Sequence[Sequence[int]], layer: int
) -> np.ndarray:
    """Binary reachability of each alive unit of `layer` to every alive unit of later layers.

    Returns a bool array [n_alive(layer), N], N = alive units of layers layer+1..L; columns run
    layer by layer in original-index order. Only alive units and edges between them count.
    """
    bool_masks = _as_bool_masks(masks)
    alive_idx = _check_alive(bool_masks, alive)
    if not 0 <= layer < len(bool_masks):
        raise DetectionInputError(
            f"layer must be a non-output layer in [0, {len(bool_masks)}), got {layer}"
        )
    return _features(_alive_submasks(bool_masks, alive_idx), layer)


def _features(sub: list[np.ndarray], layer: int) -> np.ndarray:
    blocks = []
    reach = sub[layer]
    blocks.append(reach)
    for nxt in sub[layer + 1 :]:
        # int product then > 0: boolean matrix product "is there any path".
        reach = (reach.astype(np.int64) @ nxt.astype(np.int64)) > 0
        blocks.append(reach)
    return np.concatenate(blocks, axis=1)


# ----------------------------------------------------------------------------- clustering


def _canonical(labels: np.ndarray) -> tuple[int, ...]:
    """Relabel clusters 0, 1, ... in order of first appearance (labels are arbitrary)."""
    order: dict[int, int] = {}
    return tuple(order.setdefault(int(x), len(order)) for x in labels)


def agglomerative_cut(distance_matrix: np.ndarray, k: int) -> tuple[int, ...]:
    """The k-cut of the average-linkage dendrogram: the state after exactly n - k merges.

    scikit-learn builds the full tree and cuts it by undoing the last k - 1 merges, so the cut
    has exactly k clusters even when merge distances tie (a distance cut would not). The
    matrix comes from :func:`cosine_distance_matrix`, which holds exactly the distances that
    ``metric="cosine"`` would compute, so the merge order (ties included) is the same; unlike
    ``metric="cosine"`` it also accepts all-zero feature rows. Labels are 0, 1, ... in order
    of first appearance.
    """
    dist = np.asarray(distance_matrix, dtype=float)
    if dist.ndim != 2 or dist.shape[0] != dist.shape[1]:
        raise DetectionInputError(f"distance matrix must be square, got shape {dist.shape}")
    if not 1 <= k <= dist.shape[0]:
        raise DetectionInputError(f"k must lie in [1, {dist.shape[0]}], got {k}")
    if k == dist.shape[0]:
        return tuple(range(k))
    model = AgglomerativeClustering(n_clusters=k, metric="precomputed", linkage="average")
    return _canonical(model.fit_predict(dist))


def cut_sequence(
    distance_matrix: np.ndarray,
) -> tuple[dict[int, tuple[int, ...]], dict[int, float]]:
    """Every k-cut (k = 2..n-1) of one average-linkage tree, and the modularity metric M of each
    (unrounded): the same cuts and values as `agglomerative_cut` and `modularity_metric` per k.

    The tree is built once and its merges replayed: the k-cut is the state after the first n - k
    merges (what scikit-learn's cut of the full tree gives). M = trace(A) - sum_c r_c^2 is
    updated per merge of clusters a and b: trace grows by 2 A_ab, the sum of squares by
    2 r_a r_b, and A's rows and columns of a and b add up. That is O(n^2) for the whole layer,
    where a clustering and a matrix product per k cost O(n^4): minutes for the hundreds of
    alive pixels of an MNIST network's input layer.
    """
    dist = np.asarray(distance_matrix, dtype=float)
    n = dist.shape[0]
    if n < 3:
        return {}, {}
    model = AgglomerativeClustering(
        n_clusters=2, metric="precomputed", linkage="average", compute_full_tree=True
    )
    model.fit(dist)
    total = dist.sum()
    a = dist / total if total > 0 else np.zeros_like(dist)
    r = a.sum(axis=1)
    trace, squares = float(np.trace(a)), float(np.sum(r**2))
    member = np.arange(n)  # cluster id (a row of `a`) of each unit
    node_row = list(range(n))  # tree node -> the row of `a` that holds its cluster
    cuts: dict[int, tuple[int, ...]] = {}
    metrics: dict[int, float] = {}
    for merge, (left, right) in enumerate(model.children_[: n - 2], start=1):
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


def cluster_layer_detailed(
    features: np.ndarray, modularity_threshold: float = -0.2, layer: int = 0
) -> LayerClustering:
    """Cluster one layer's units and record how k was chosen (see :class:`LayerClustering`).

    k = 2..n-1 are scored by the modularity metric; if the best k is 2 or n-1 or the best M is
    strictly above the threshold, the separability tests may replace it by 1 (one module) or
    n (all separate); if both fire the larger score wins, ties to one module. With n = 2 the
    tests alone decide; n = 1 is one cluster.
    """
    f = np.asarray(features) != 0
    if f.ndim != 2:
        raise DetectionInputError(f"features must be 2-D, got shape {f.shape}")
    n = f.shape[0]
    if n <= 1:
        return LayerClustering(
            layer, n, (), (), None, None, False, None, None, None, None, n, (0,) * n
        )

    distance = cosine_distance_matrix(f)
    cuts, raw_metrics = cut_sequence(distance)
    ks = tuple(range(2, n))
    metrics = tuple(float(np.round(raw_metrics[k], METRIC_DECIMALS)) for k in ks)

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
        if best_metric is None or m <= best_metric:  # `<=`: ties go to the larger k
            best_k, best_metric = k, m
    if best_k is None:
        used_tests = True
    else:
        used_tests = best_k in (2, n - 1) or best_metric > modularity_threshold

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


# ----------------------------------------------------------------------------- merging


def _labels_to_groups(
    labels: Sequence[int | None], alive: np.ndarray, layer: int
) -> dict[int, np.ndarray]:
    """Map label -> original indices, checking that exactly the alive units are labelled."""
    labelled = np.array([x is not None for x in labels], bool)
    expected = np.zeros(len(labels), bool)
    expected[alive] = True
    if np.any(labelled != expected):
        raise DetectionInputError(f"layer {layer}: labels must be given for alive units only")
    groups: dict[int, list[int]] = {}
    for unit in alive:
        groups.setdefault(int(labels[unit]), []).append(int(unit))
    return {label: np.asarray(units) for label, units in groups.items()}


def merge_layers(
    masks: Sequence[np.ndarray],
    alive: Sequence[Sequence[int]],
    cluster_labels: Sequence[Sequence[int | None]],
    threshold: float = 0.9,
) -> Labels:
    """Module label of every unit (None for dead units), labels shared across layers.

    From the inputs upward, previous-layer cluster P (carrying its module label) and current
    cluster C merge when more than `threshold` of P's edges into this layer go to C and more
    than `threshold` of C's incoming edges come from P; strict `>` as in the published code.
    A cluster that merges with nothing opens a new module. Every output unit is its own
    cluster and joins the module that supplies more than `threshold` of its incoming edges.
    `cluster_labels[L]` (the outputs) is ignored. Labels are numbered in order of creation.
    """
    DetectionSettings(merge_threshold=threshold)  # validates the range
    bool_masks = _as_bool_masks(masks)
    alive_idx = _check_alive(bool_masks, alive)
    n_layers = len(bool_masks)
    if len(cluster_labels) != n_layers + 1:
        raise DetectionInputError(
            f"cluster_labels has {len(cluster_labels)} layers, masks imply {n_layers + 1}"
        )
    widths = [bool_masks[0].shape[1]] + [m.shape[0] for m in bool_masks]
    for layer in range(n_layers):
        if len(cluster_labels[layer]) != widths[layer]:
            raise DetectionInputError(
                f"cluster_labels[{layer}] has {len(cluster_labels[layer])} entries, "
                f"layer width is {widths[layer]}"
            )

    modules: list[list[int | None]] = [[None] * w for w in widths]
    next_label = 0
    previous: dict[int, np.ndarray] = {}  # module label -> units of the previous layer
    for layer in range(n_layers + 1):
        if layer < n_layers:
            groups = _labels_to_groups(cluster_labels[layer], alive_idx[layer], layer)
            clusters = [groups[label] for label in sorted(groups)]
        else:  # the output layer is not clustered: each output is its own cluster
            clusters = [np.asarray([u]) for u in alive_idx[layer]]
        incoming = bool_masks[layer - 1] if layer > 0 else None
        current: dict[int, np.ndarray] = {}
        for units in clusters:
            label = None
            if incoming is not None:
                label = _merge_partner(
                    incoming, previous, units, alive_idx[layer], threshold, output=layer == n_layers
                )
            if label is None:
                label, next_label = next_label, next_label + 1
            current[label] = units
            for unit in units:
                modules[layer][int(unit)] = label
        previous = current
    return tuple(tuple(row) for row in modules)


def _merge_partner(
    incoming: np.ndarray,
    previous: dict[int, np.ndarray],
    units: np.ndarray,
    alive_here: np.ndarray,
    threshold: float,
    output: bool,
) -> int | None:
    """Module label of the previous-layer cluster that `units` merges with, if any."""
    in_total = int(sum(incoming[np.ix_(units, p)].sum() for p in previous.values()))
    if in_total == 0:
        return None
    for label, p_units in previous.items():
        shared = int(incoming[np.ix_(units, p_units)].sum())
        if shared / in_total <= threshold:
            continue
        if output:  # outputs only ask where their incoming edges come from
            return label
        out_total = int(incoming[np.ix_(alive_here, p_units)].sum())
        if shared / out_total > threshold:
            return label
    return None


# ----------------------------------------------------------------------------- result


@dataclass(frozen=True)
class ModuleDetection:
    """Result of :func:`detect_modules`; per-layer lists are indexed by original unit index.

    alive: sorted original indices of alive units per layer. cluster_labels / module_labels:
    per layer, one entry per original unit (None for dead units); cluster labels are local to
    a layer, module labels are shared across layers. per_layer: one
    :class:`LayerClustering` per non-output layer. module_edges: (from, to, number of network
    edges) between distinct modules.
    """

    settings: DetectionSettings
    alive: Alive
    cluster_labels: Labels
    module_labels: Labels
    per_layer: tuple[LayerClustering, ...]
    module_edges: tuple[tuple[int, int, int], ...]

    @property
    def n_modules(self) -> int:
        return len(self.modules())

    def modules(self) -> dict[int, dict[int, list[int]]]:
        """module label -> {layer: sorted original indices of its units}."""
        out: dict[int, dict[int, list[int]]] = {}
        for layer, row in enumerate(self.module_labels):
            for unit, label in enumerate(row):
                if label is not None:
                    out.setdefault(label, {}).setdefault(layer, []).append(unit)
        return dict(sorted(out.items()))

    def module_graph(self) -> nx.DiGraph:
        """One node per module (attributes units, layers, n_units); edge weight = edge count."""
        graph = nx.DiGraph()
        for label, units in self.modules().items():
            graph.add_node(
                label,
                units=units,
                layers=sorted(units),
                n_units=sum(len(u) for u in units.values()),
            )
        for source, target, weight in self.module_edges:
            graph.add_edge(source, target, weight=weight)
        return graph

    def to_json(self) -> dict[str, Any]:
        """Plain JSON data (ints, floats, lists, None); :meth:`from_json` restores it exactly."""
        graph = nx.node_link_data(self.module_graph(), edges="edges")
        for node in graph["nodes"]:
            # JSON object keys are strings; store layers as [layer, units] pairs instead.
            node["units"] = [[layer, units] for layer, units in node["units"].items()]
        return {
            "settings": asdict(self.settings),
            "alive": [list(a) for a in self.alive],
            "cluster_labels": [list(row) for row in self.cluster_labels],
            "module_labels": [list(row) for row in self.module_labels],
            "per_layer": [entry.to_json() for entry in self.per_layer],
            "module_graph": graph,
        }

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> ModuleDetection:
        edges = tuple(
            (int(e["source"]), int(e["target"]), int(e["weight"]))
            for e in data["module_graph"]["edges"]
        )
        return cls(
            settings=DetectionSettings(**data["settings"]),
            alive=tuple(tuple(int(u) for u in a) for a in data["alive"]),
            cluster_labels=tuple(tuple(row) for row in data["cluster_labels"]),
            module_labels=tuple(tuple(row) for row in data["module_labels"]),
            per_layer=tuple(LayerClustering.from_json(e) for e in data["per_layer"]),
            module_edges=edges,
        )


def _module_edges(
    masks: list[np.ndarray], alive: list[np.ndarray], module_labels: Labels
) -> tuple[tuple[int, int, int], ...]:
    counts: dict[tuple[int, int], int] = {}
    for layer, mask in enumerate(masks):
        sub = mask[np.ix_(alive[layer + 1], alive[layer])]
        for t, s in zip(*np.nonzero(sub), strict=True):
            a = module_labels[layer][int(alive[layer][s])]
            b = module_labels[layer + 1][int(alive[layer + 1][t])]
            if a != b:
                counts[(a, b)] = counts.get((a, b), 0) + 1
    return tuple((a, b, w) for (a, b), w in sorted(counts.items()))


def detect_modules(
    masks: Sequence[np.ndarray], settings: DetectionSettings | None = None
) -> ModuleDetection:
    """Find the modules of a pruned network given its 0/1 masks ([out, in] per weight layer),
    with the default thresholds unless `settings` are given."""
    settings = settings or DetectionSettings()
    bool_masks = _as_bool_masks(masks)
    alive = remove_dead_units(bool_masks)
    alive_idx = [np.asarray(a, dtype=int) for a in alive]
    sub = _alive_submasks(bool_masks, alive_idx)
    n_layers = len(bool_masks)

    per_layer = []
    cluster_labels: list[tuple[int | None, ...]] = []
    for layer in range(n_layers):
        result = cluster_layer_detailed(_features(sub, layer), settings.modularity_threshold, layer)
        per_layer.append(result)
        row: list[int | None] = [None] * bool_masks[layer].shape[1]
        for unit, label in zip(alive_idx[layer], result.labels, strict=True):
            row[int(unit)] = label
        cluster_labels.append(tuple(row))
    outputs: list[int | None] = [None] * bool_masks[-1].shape[0]
    for position, unit in enumerate(alive_idx[-1]):
        outputs[int(unit)] = position
    cluster_labels.append(tuple(outputs))

    module_labels = merge_layers(bool_masks, alive, cluster_labels, settings.merge_threshold)
    return ModuleDetection(
        settings=settings,
        alive=alive,
        cluster_labels=tuple(cluster_labels),
        module_labels=module_labels,
        per_layer=tuple(per_layer),
        module_edges=_module_edges(bool_masks, alive_idx, module_labels),
    )
