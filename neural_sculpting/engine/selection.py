"""The selection rule: a trial's network is the lowest-density one among its (Pu, Pe) lanes that
keep the accuracy threshold (Appendix H: the authors' loop, Pe from high to low outer, Pu from high
to low inner, first minimum kept).
"""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence
from typing import Any

from neural_sculpting.store.records import Selection
from neural_sculpting.study.hparams import PruningHparams


def select(
    graph: str,
    seed: int,
    mode: str,
    arch: str,
    pruning: PruningHparams,
    dense_accuracy: float,
    edge_lanes: Sequence[dict[str, Any]],
    threshold: float | None = None,
) -> tuple[Selection, int | None]:
    """A trial's selection and the index of its edge lane; with no edge lanes (dense or
    untrainable trials) the dense network is selected (index None). `threshold` is the one the
    trial pruned with (by default the settings', or under the dense rule its own A_v)."""
    if threshold is None:
        threshold = pruning.threshold_for(dense_accuracy)
    reached = dense_accuracy >= threshold
    result = Selection(
        graph=graph, seed=seed, mode=mode, arch=arch, accuracy_measure=pruning.accuracy_measure,
        dense_val_accuracy=dense_accuracy, dense_reached_threshold=reached, pruned=False,
        chosen=None, density=1.0, val_accuracy=dense_accuracy, meets_threshold=reached,
    )  # fmt: skip
    if not edge_lanes:
        return result, None
    index = select_lane(edge_lanes, threshold)
    lane = edge_lanes[index]
    accuracy = lane["val_accuracy"]
    return dataclasses.replace(
        result,
        pruned=True,
        chosen={"pu": lane["pu"], "pe": lane["pe"]},
        density=lane["final_density"],
        kept_weights=lane["kept_weights"],
        val_accuracy=accuracy,
        meets_threshold=accuracy is not None and accuracy >= threshold,
    ), index


def select_lane(lanes: Sequence[dict[str, Any]], threshold: float) -> int:
    """Index of the lowest-density lane among those at or above the threshold (all lanes if none
    are), scanning Pe from high to low (outer) and Pu from high to low (inner), first minimum kept:
    ties go to the larger Pe, then the larger Pu."""
    order = sorted(range(len(lanes)), key=lambda i: (-lanes[i]["pe"], -lanes[i]["pu"]))
    good = [
        i for i in order if lanes[i]["val_accuracy"] is not None
        and lanes[i]["val_accuracy"] >= threshold
    ]  # fmt: skip
    best = None
    for i in good or order:
        if best is None or lanes[i]["kept_weights"] < lanes[best]["kept_weights"]:
            best = i
    return best


def tied_lanes(lanes: Sequence[dict[str, Any]], threshold: float) -> list[int]:
    """The lanes at the lowest kept weights among those keeping the threshold (all lanes where
    none does): the candidates `select_lane` chooses among."""
    good = [i for i, lane in enumerate(lanes)
            if lane["val_accuracy"] is not None and lane["val_accuracy"] >= threshold]  # fmt: skip
    pool = good or list(range(len(lanes)))
    fewest = min(lanes[i]["kept_weights"] for i in pool)
    return [i for i in pool if lanes[i]["kept_weights"] == fewest]
