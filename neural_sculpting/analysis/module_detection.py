"""Module detection in a pruned MLP (paper Section 4, Appendix I).

Three steps, each a public function:

1. :func:`~neural_sculpting.analysis.alive_units.remove_dead_units` drops units that no longer
   carry signal;
2. :func:`~neural_sculpting.analysis.unit_clustering.cluster_layer` groups each non-output
   layer's units by what they reach, choosing k with the modularity metric and, for the edge
   cases, the separability tests;
3. :func:`merge_layers` joins strongly connected clusters of adjacent layers into modules.

:func:`detect_modules` runs all three and returns a :class:`ModuleDetection`, which also gives
the module graph. Masks and unit indices are as in :mod:`neural_sculpting.analysis.alive_units`.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import asdict, dataclass
from typing import Any

import networkx as nx
import numpy as np

from neural_sculpting.analysis.alive_units import (
    Alive,
    DetectionInputError,
    alive_submasks,
    as_bool_masks,
    check_alive,
    reachability_from_submasks,
    remove_dead_units,
)
from neural_sculpting.analysis.unit_clustering import (
    Clustering,
    LayerClustering,
    cluster_layer_detailed,
)
from neural_sculpting.study.hparams import DetectionSettings

__all__ = [
    "DetectionInputError",
    "DetectionSettings",
    "ModuleDetection",
    "detect_modules",
    "merge_layers",
]

Labels = tuple[tuple[int | None, ...], ...]


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
    bool_masks = as_bool_masks(masks)
    alive_idx = check_alive(bool_masks, alive)
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
    masks: Sequence[np.ndarray],
    settings: DetectionSettings | None = None,
    clustering: Clustering | None = None,
) -> ModuleDetection:
    """Find the modules of a pruned network given its 0/1 masks ([out, in] per weight layer),
    with the default thresholds unless `settings` are given, and the paper's clustering (average
    linkage, cosine distance, modularity metric) unless `clustering` says otherwise (Table 4)."""
    settings = settings or DetectionSettings()
    bool_masks = as_bool_masks(masks)
    alive = remove_dead_units(bool_masks)
    alive_idx = [np.asarray(a, dtype=int) for a in alive]
    sub = alive_submasks(bool_masks, alive_idx)
    n_layers = len(bool_masks)

    per_layer = []
    cluster_labels: list[tuple[int | None, ...]] = []
    for layer in range(n_layers):
        result = cluster_layer_detailed(
            reachability_from_submasks(sub, layer), settings.modularity_threshold, layer, clustering
        )
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
