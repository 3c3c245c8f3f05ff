"""A researcher's own trained network (`tasks/model_file.py`) as a search's dense stage: one
lane, evaluated on the validation data, not trained."""

from __future__ import annotations

import torch

from neural_sculpting.engine.data import LaneData
from neural_sculpting.engine.lanes import LaneMLP, arch_name
from neural_sculpting.engine.training import evaluate
from neural_sculpting.tasks.model_file import ImportedNetwork, ModelError


def lane_model(network: ImportedNetwork, device: torch.device | str = "cpu") -> LaneMLP:
    """The network as one lane, every mask 1 (a trained dense network)."""
    weights = [torch.tensor(w, dtype=torch.float32, device=device)[None] for w in network.weights]
    biases = [torch.tensor(b, dtype=torch.float32, device=device)[None] for b in network.biases]
    return LaneMLP(
        widths=network.widths,
        weights=weights,
        biases=biases,
        weight_masks=[torch.ones_like(w) for w in weights],
        bias_masks=[torch.ones_like(b) for b in biases],
    )


def taken_in(
    network: ImportedNetwork, widths: tuple[int, ...], data: LaneData
) -> tuple[LaneMLP, dict]:
    """The network as a search's dense stage: one lane on `data`'s device, and its lane record
    (validation accuracy and loss; not trained)."""
    if network.widths != tuple(widths):
        raise ModelError(
            f"the imported network is {arch_name(network.widths)}, the search {arch_name(widths)}"
        )
    model = lane_model(network, data.device)
    ev = evaluate(model, data)
    lane = {
        "val_accuracy": float(ev.accuracy[0]),
        "val_accuracy_per_bit": float(ev.per_bit[0]),
        "val_accuracy_per_digit": None if ev.per_digit is None else float(ev.per_digit[0]),
        "val_loss": float(ev.loss[0]),
        "final_density": 1.0,
        "imported": True,
    }
    return model, lane
