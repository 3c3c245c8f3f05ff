"""A researcher's own trained network, read from a model (or its file) and checked: what the
engine can take in as the dense network a search starts from (`engine/imported.py`).

What can be sculpted is what the engine's lanes are: an MLP of `Linear` layers with biases,
`ReLU` between them, and optionally a final `Sigmoid` (the engine's outputs are logits, the
sigmoid lives in its loss). Given as a `torch.nn.Sequential` (or the same scripted by
TorchScript), or a `state_dict` of one (keys `<i>.weight`, `<i>.bias`; ReLU between the layers
is then assumed). Everything else is refused in one line naming the layer and the reason:
convolutions, normalisation, dropout (the engine retrains without it), other activations, a
Linear without bias, two Linear layers with no ReLU between, non-finite weights, and widths
that do not match the data.
"""

from __future__ import annotations

import functools
import hashlib
import warnings
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import torch

from neural_sculpting.foundations.errors import SculptError


class ModelError(SculptError):
    """A model the engine cannot take in (its layers, widths or weights)."""


@dataclass(frozen=True, eq=False)
class ImportedNetwork:
    """Weights [out, in] and biases [out] per layer, float32, and their SHA-256 (which keys the
    search's cached stages, as a seed does for a trained network)."""

    weights: tuple[np.ndarray, ...]
    biases: tuple[np.ndarray, ...]

    @property
    def widths(self) -> tuple[int, ...]:
        return (self.weights[0].shape[1], *(w.shape[0] for w in self.weights))

    @property
    def hidden(self) -> tuple[int, ...]:
        return self.widths[1:-1]

    @functools.cached_property  # read by every stage config of every trial that takes it in
    def sha256(self) -> str:
        digest = hashlib.sha256()
        for array in (*self.weights, *self.biases):
            digest.update(str(array.shape).encode())
            digest.update(np.ascontiguousarray(array, dtype=np.float32).tobytes())
        return digest.hexdigest()

    def check_widths(self, n_inputs: int, n_outputs: int) -> None:
        """Refuse a network whose first or last width is not the data's."""
        if self.widths[0] != n_inputs:
            raise ModelError(
                f"the model takes {self.widths[0]} inputs, the data has {n_inputs} input columns"
            )
        if self.widths[-1] != n_outputs:
            raise ModelError(
                f"the model has {self.widths[-1]} outputs, the data has {n_outputs} target columns"
            )


def _kind(layer: torch.nn.Module) -> str:
    # A scripted module keeps its class's name as `original_name`.
    return getattr(layer, "original_name", None) or type(layer).__name__


def _finite(array: np.ndarray, where: str) -> np.ndarray:
    if not np.isfinite(array).all():
        raise ModelError(f"{where} has NaN or infinite values")
    return array


def _layers_of(model: torch.nn.Module) -> list[tuple[int, torch.nn.Module]]:
    if _kind(model) != "Sequential":
        raise ModelError(
            f"expected a torch.nn.Sequential of Linear and ReLU layers, got {_kind(model)}"
        )
    layers = list(enumerate(model.children()))
    if not layers:
        raise ModelError("the model has no layers")
    return layers


def from_module(model: torch.nn.Module) -> ImportedNetwork:
    """An `nn.Sequential` (plain or scripted) of Linear, ReLU, ..., Linear [, Sigmoid]."""
    layers = _layers_of(model)
    if _kind(layers[-1][1]) == "Sigmoid":
        layers = layers[:-1]  # the engine's loss applies the sigmoid to its logits
    weights, biases, expect_linear = [], [], True
    for index, layer in layers:
        kind = _kind(layer)
        if kind not in ("Linear", "ReLU"):
            raise ModelError(
                f"layer {index} is {kind}: only Linear layers with ReLU between them (and a final "
                "Sigmoid) can be sculpted"
            )
        if (kind == "Linear") != expect_linear:
            what = "a Linear layer" if expect_linear else "a ReLU"
            raise ModelError(f"layer {index} is {kind} where {what} must come")
        expect_linear = not expect_linear
        if kind == "ReLU":
            continue
        if getattr(layer, "bias", None) is None:
            raise ModelError(f"layer {index} (Linear) has no bias; the engine's layers have one")
        where = f"layer {index} (Linear)"
        weights.append(_finite(layer.weight.detach().cpu().numpy().astype(np.float32), where))
        biases.append(_finite(layer.bias.detach().cpu().numpy().astype(np.float32), where))
    if expect_linear:
        raise ModelError("the model ends with a ReLU; its last layer must be Linear (or Sigmoid)")
    return _checked(weights, biases)


def from_state_dict(state: Mapping[str, torch.Tensor]) -> ImportedNetwork:
    """A `state_dict` of an `nn.Sequential` of Linear and ReLU layers: `<i>.weight` [out, in] and
    `<i>.bias` [out] per Linear layer, ReLU assumed between them."""
    indices = sorted({int(k.split(".")[0]) for k in state if k.split(".")[0].isdigit()})
    unknown = [k for k in state if not (k.split(".")[0].isdigit() and k.count(".") == 1)]
    if unknown or not indices:
        raise ModelError(
            f"state_dict key {unknown[0] if unknown else '(none)'!r} is not of an nn.Sequential "
            "of Linear layers ('<i>.weight', '<i>.bias')"
        )
    weights, biases = [], []
    for i in indices:
        if f"{i}.weight" not in state or f"{i}.bias" not in state:
            raise ModelError(f"state_dict layer {i} needs both '{i}.weight' and '{i}.bias'")
        weight, bias = state[f"{i}.weight"], state[f"{i}.bias"]
        if weight.ndim != 2 or bias.ndim != 1:
            raise ModelError(f"state_dict layer {i} is not a Linear layer (weight {weight.ndim}-D)")
        where = f"state_dict layer {i}"
        weights.append(_finite(weight.detach().cpu().numpy().astype(np.float32), where))
        biases.append(_finite(bias.detach().cpu().numpy().astype(np.float32), where))
    return _checked(weights, biases)


def _checked(weights: list[np.ndarray], biases: list[np.ndarray]) -> ImportedNetwork:
    if len(weights) < 2:
        raise ModelError("the model needs at least one hidden layer (two Linear layers)")
    for k, (weight, bias) in enumerate(zip(weights, biases, strict=True)):
        if bias.shape != (weight.shape[0],):
            raise ModelError(f"Linear layer {k}: bias of shape {bias.shape} for {weight.shape[0]}")
        if k and weight.shape[1] != weights[k - 1].shape[0]:
            raise ModelError(
                f"Linear layer {k} takes {weight.shape[1]} inputs after a layer of "
                f"{weights[k - 1].shape[0]} units"
            )
    return ImportedNetwork(tuple(weights), tuple(biases))


def load_model_file(path: Path) -> ImportedNetwork:
    """A TorchScript file of an nn.Sequential, or a saved state_dict (`torch.save`)."""
    path = Path(path)
    if not path.is_file():
        raise ModelError(f"{path}: no such model file")
    try:
        with warnings.catch_warnings():  # TorchScript is deprecated, and still what people save
            warnings.simplefilter("ignore", DeprecationWarning)
            scripted = torch.jit.load(str(path), map_location="cpu")
    except Exception:  # not TorchScript: a plain torch.save file
        scripted = None
    if scripted is not None:
        return from_module(scripted)
    try:
        state = torch.load(path, map_location="cpu", weights_only=True)
    except Exception as exc:
        raise ModelError(f"{path}: neither TorchScript nor a saved state_dict ({exc})") from None
    if isinstance(state, torch.nn.Module):  # pragma: no cover - weights_only refuses modules
        return from_module(state)
    if not isinstance(state, Mapping):
        raise ModelError(f"{path}: holds a {type(state).__name__}, not a state_dict")
    return from_state_dict(state)
