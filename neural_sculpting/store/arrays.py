"""The selected network's arrays for the analysis: `selected.npz` beside `selected.pt`.

Detection reads masks and weights only, so the search also writes them in NumPy's format and
detection jobs never import torch (over a second of start-up each). The file holds, per layer k
(input side first), `mask_k` (bool [out, in]) and `weight_k` ([out, in] in the network's dtype, zero
where masked) of the selected lane, and, where the trial has an edge stage, `tied_lanes` (the edge
lanes tied at the lowest density, see `analysis/ties.py`) with `tied_mask_k` (bool
[tied, out, in]). Its SHA-256 is stored in `selected.json` ("npz_sha256"): a file that does not
match is never used.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np

from neural_sculpting.foundations import atomic, paths
from neural_sculpting.foundations.errors import SculptError


class ArraysError(SculptError):
    """A `selected.npz` that is missing, unreadable or not the one its record names."""


@dataclass(frozen=True)
class SelectedArrays:
    """Per layer: the selected lane's masks and masked weights; the tied lanes' masks (None where
    the trial has no edge stage)."""

    masks: list[np.ndarray]
    weights: list[np.ndarray]
    tied_lanes: list[int] | None = None
    tied_masks: list[np.ndarray] | None = None

    def tied_lane_masks(self) -> list[list[np.ndarray]]:
        """The tied lanes' masks, lane by lane (empty without an edge stage)."""
        if self.tied_masks is None or self.tied_lanes is None:
            return []
        return [[m[i] for m in self.tied_masks] for i in range(len(self.tied_lanes))]


def save_selected(folder: Path, arrays: SelectedArrays) -> str:
    """Write `selected.npz` atomically; returns its SHA-256 for the record."""
    content: dict[str, np.ndarray] = {}
    for k, (mask, weight) in enumerate(zip(arrays.masks, arrays.weights, strict=True)):
        content[f"mask_{k}"] = np.asarray(mask, dtype=bool)
        content[f"weight_{k}"] = np.asarray(weight)  # the network's own dtype (float32)
    if arrays.tied_lanes is not None and arrays.tied_masks is not None:
        content["tied_lanes"] = np.asarray(arrays.tied_lanes, dtype=np.int64)
        for k, masks in enumerate(arrays.tied_masks):
            content[f"tied_mask_{k}"] = np.asarray(masks, dtype=bool)
    path = paths.selected_npz_file(folder)
    with atomic.atomic_path(path) as tmp, open(tmp, "wb") as handle:
        np.savez_compressed(handle, **content)
    return atomic.file_sha256(path)


def _layers(stored, prefix: str) -> list[np.ndarray]:
    layers = []
    while f"{prefix}_{len(layers)}" in stored.files:
        layers.append(stored[f"{prefix}_{len(layers)}"])
    return layers


def load_selected(folder: Path, expected_sha256: str | None) -> SelectedArrays:
    """`selected.npz`, verified against the SHA-256 its record holds."""
    path = paths.selected_npz_file(folder)
    if not path.is_file():
        raise ArraysError(f"{path}: missing")
    if expected_sha256 is None or atomic.file_sha256(path) != expected_sha256:
        raise ArraysError(f"{path}: checksum differs from its record")
    try:
        with np.load(path, allow_pickle=False) as stored:
            masks, weights = _layers(stored, "mask"), _layers(stored, "weight")
            tied = stored["tied_lanes"].tolist() if "tied_lanes" in stored.files else None
            tied_masks = _layers(stored, "tied_mask") if tied is not None else None
    except (OSError, ValueError, KeyError) as exc:
        raise ArraysError(f"{path}: unreadable ({type(exc).__name__})") from None
    if not masks or len(masks) != len(weights):
        raise ArraysError(f"{path}: not a selected network's arrays")
    return SelectedArrays(masks, weights, tied, tied_masks)
