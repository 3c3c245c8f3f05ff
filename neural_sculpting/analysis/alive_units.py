"""The alive units of a pruned MLP and what each of them reaches (paper Section 4, Appendix I).

Module detection first removes dead units (:func:`remove_dead_units`), then describes each alive
unit of a non-output layer by the alive units of later layers that it reaches
(:func:`reachability_features`); :mod:`neural_sculpting.analysis.unit_clustering` clusters
these feature vectors layer by layer.

Masks follow the PyTorch weight layout: ``masks[l]`` has shape [n_{l+1}, n_l] (out, in) and
connects layer l to layer l+1; layer 0 holds the inputs and layer L the outputs. Unit indices are
always the original positions in the unpruned layer.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from neural_sculpting.foundations.errors import SculptError

__all__ = [
    "Alive",
    "DetectionInputError",
    "alive_submasks",
    "as_bool_masks",
    "check_alive",
    "reachability_features",
    "reachability_from_submasks",
    "remove_dead_units",
]

Alive = tuple[tuple[int, ...], ...]


class DetectionInputError(SculptError):
    """Masks, settings or labels that module detection cannot work with."""


# ----------------------------------------------------------------------------- input checks


def as_bool_masks(masks: Sequence[np.ndarray]) -> list[np.ndarray]:
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


def check_alive(masks: list[np.ndarray], alive: Sequence[Sequence[int]]) -> list[np.ndarray]:
    """Validate `alive` against the boolean masks; one index array per layer."""
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
    bool_masks = as_bool_masks(masks)
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


def alive_submasks(masks: list[np.ndarray], alive: list[np.ndarray]) -> list[np.ndarray]:
    """Edges between alive units, transposed to [from, to] for reachability products."""
    return [m[np.ix_(alive[i + 1], alive[i])].T for i, m in enumerate(masks)]


def reachability_features(
    masks: Sequence[np.ndarray], alive: Sequence[Sequence[int]], layer: int
) -> np.ndarray:
    """Binary reachability of each alive unit of `layer` to every alive unit of later layers.

    Returns a bool array [n_alive(layer), N], N = alive units of layers layer+1..L; columns run
    layer by layer in original-index order. Only alive units and edges between them count.
    """
    bool_masks = as_bool_masks(masks)
    alive_idx = check_alive(bool_masks, alive)
    if not 0 <= layer < len(bool_masks):
        raise DetectionInputError(
            f"layer must be a non-output layer in [0, {len(bool_masks)}), got {layer}"
        )
    return reachability_from_submasks(alive_submasks(bool_masks, alive_idx), layer)


def reachability_from_submasks(sub: list[np.ndarray], layer: int) -> np.ndarray:
    """:func:`reachability_features` of `layer`, from the already checked :func:`alive_submasks`."""
    blocks = []
    reach = sub[layer]
    blocks.append(reach)
    for nxt in sub[layer + 1 :]:
        # int product then > 0: boolean matrix product "is there any path".
        reach = (reach.astype(np.int64) @ nxt.astype(np.int64)) > 0
        blocks.append(reach)
    return np.concatenate(blocks, axis=1)
