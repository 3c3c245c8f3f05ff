"""A masked MLP of L independent lanes stored as stacked weights.

Layer k has weights [L, out, in] and biases [L, out], each with a 0/1 mask of the same shape. ReLU
hidden units, sigmoid outputs (the forward pass returns logits; the loss applies the sigmoid).
Every operation is batched over the lane dimension, so lane i's numbers never depend on the
other lanes: L = 1 is the ordinary single network.
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Sequence
from dataclasses import dataclass

import torch

from neural_sculpting.engine import kernels
from neural_sculpting.engine.seeding import KeyPart, generator
from neural_sculpting.foundations.errors import SculptError


class ArchitectureError(SculptError):
    """An architecture (list of layer widths) that cannot be built."""


def parse_arch(text: str) -> tuple[int, ...]:
    """ "4-24-24-4" (or "24-24" for hidden widths only) -> (4, 24, 24, 4)."""
    try:
        widths = tuple(int(part) for part in text.strip().split("-"))
    except ValueError:
        raise ArchitectureError(f"architecture must look like 24-24, got {text!r}") from None
    if not widths or min(widths) < 1:
        raise ArchitectureError(f"architecture widths must be positive integers, got {text!r}")
    return widths


def arch_name(widths: Sequence[int]) -> str:
    return "-".join(str(w) for w in widths)


@dataclass
class LaneMLP:
    """Stacked lanes. `weight_masks` / `bias_masks` are float 0/1 tensors (cheap to multiply)."""

    widths: tuple[int, ...]
    weights: list[torch.Tensor]
    biases: list[torch.Tensor]
    weight_masks: list[torch.Tensor]
    bias_masks: list[torch.Tensor]

    # --- construction -------------------------------------------------------------------------

    @classmethod
    def initialise(
        cls,
        widths: Sequence[int],
        keys: Sequence[tuple[KeyPart, ...]],
        device: torch.device | str = "cpu",
    ) -> LaneMLP:
        """Kaiming-normal weights (fan-in, ReLU gain), zero biases, all masks 1; lane i's weights
        come from its own generator seeded by keys[i] (drawn on CPU, then moved)."""
        widths = tuple(int(w) for w in widths)
        if len(widths) < 2 or min(widths) < 1:
            raise ArchitectureError(f"need at least input and output widths, got {widths}")
        if not keys:
            raise ArchitectureError("need at least one lane")
        per_layer: list[list[torch.Tensor]] = [[] for _ in range(len(widths) - 1)]
        for key in keys:
            gen = generator(*key)
            for k, (n_in, n_out) in enumerate(itertools.pairwise(widths)):
                std = math.sqrt(2.0 / n_in)
                per_layer[k].append(torch.randn(n_out, n_in, generator=gen) * std)
        weights = [torch.stack(ws).to(device) for ws in per_layer]
        biases = [torch.zeros(len(keys), w.shape[1], device=device) for w in weights]
        return cls(
            widths=widths,
            weights=weights,
            biases=biases,
            weight_masks=[torch.ones_like(w) for w in weights],
            bias_masks=[torch.ones_like(b) for b in biases],
        )

    # --- shape --------------------------------------------------------------------------------

    @property
    def n_lanes(self) -> int:
        return self.weights[0].shape[0]

    @property
    def device(self) -> torch.device:
        return self.weights[0].device

    @property
    def n_hidden_units(self) -> int:
        return sum(self.widths[1:-1])

    @property
    def n_weights(self) -> int:
        """Weights of one original (dense) lane; biases excluded."""
        return sum(a * b for a, b in zip(self.widths[:-1], self.widths[1:], strict=True))

    def parameters(self) -> list[torch.Tensor]:
        return [*self.weights, *self.biases]

    def masks(self) -> list[torch.Tensor]:
        return [*self.weight_masks, *self.bias_masks]

    # --- forward ------------------------------------------------------------------------------

    def forward(
        self, x: torch.Tensor, keep_hidden: bool = False
    ) -> tuple[torch.Tensor, list[torch.Tensor]]:
        """x [L, B, n_in] -> (logits [L, B, n_out], post-ReLU hidden activations if asked)."""
        hidden: list[torch.Tensor] = []
        h = x
        last = len(self.weights) - 1
        for k, (w, b) in enumerate(zip(self.weights, self.biases, strict=True)):
            h = torch.baddbmm(b.unsqueeze(1), h, w.transpose(1, 2))
            if k < last:
                if keep_hidden:
                    h = torch.relu(h)
                    hidden.append(h)
                else:
                    h.relu_()  # a fresh tensor that nothing else holds: no copy needed
        return h, hidden

    def logits(self, x: torch.Tensor) -> torch.Tensor:
        """x [L, B, n_in] -> logits [L, B, n_out], without autograd: by the compiled forward
        (`kernels.py`) where it runs, else `forward`. Training and evaluation both use the
        compiled passes on the CPU, so the accuracy a lane is kept by is its trained network's."""
        if not kernels.runs_on(x):
            return self.forward(x)[0]
        x = x.contiguous()
        # Padded, so that the loss's log-sigmoid of a lane does not depend on the lane count.
        _, out = kernels.padded(x.shape[0], x.shape[1], self.widths[-1])
        weights = [w.contiguous() for w in self.weights]
        biases = [b.contiguous() for b in self.biases]
        kernels.lane_kernels().forward(x, weights, biases, [], out)
        return out

    # --- masks --------------------------------------------------------------------------------

    @torch.no_grad()
    def apply_masks_(self) -> None:
        """Zero every masked weight and bias (after each optimiser step: they stay exactly 0)."""
        torch._foreach_mul_(self.parameters(), self.masks())

    def kept_weights(self) -> torch.Tensor:
        """[L] number of unmasked weights per lane."""
        return sum(m.sum(dim=(1, 2)) for m in self.weight_masks)

    def density(self) -> torch.Tensor:
        """[L] kept weights / weights of the original network (biases excluded)."""
        return self.kept_weights().double() / self.n_weights

    def unit_alive(self) -> list[torch.Tensor]:
        """Per hidden layer, [L, width] bool: the unit's bias is unmasked (not unit-pruned)."""
        return [m > 0 for m in self.bias_masks[:-1]]

    # --- lanes --------------------------------------------------------------------------------

    def _map(self, fn) -> LaneMLP:
        return LaneMLP(
            widths=self.widths,
            weights=[fn(t) for t in self.weights],
            biases=[fn(t) for t in self.biases],
            weight_masks=[fn(t) for t in self.weight_masks],
            bias_masks=[fn(t) for t in self.bias_masks],
        )

    def clone(self) -> LaneMLP:
        return self._map(lambda t: t.detach().clone())

    def select(self, lanes: Sequence[int] | torch.Tensor) -> LaneMLP:
        """A new model holding copies of the given lanes, in that order."""
        idx = torch.as_tensor(lanes, dtype=torch.long, device=self.device)
        return self._map(lambda t: t.detach().index_select(0, idx))

    def repeat_lanes(self, times: int) -> LaneMLP:
        """Each lane repeated `times` times consecutively: lane i -> lanes i*times .. +times-1."""
        return self._map(lambda t: t.detach().repeat_interleave(times, dim=0))

    @torch.no_grad()
    def put(self, lanes: Sequence[int], other: LaneMLP) -> None:
        """Overwrite lanes `lanes` of self with the lanes of `other` (same order)."""
        if len(lanes) == 0:
            return
        idx = torch.as_tensor(lanes, dtype=torch.long, device=self.device)
        for mine, theirs in zip(self._tensors(), other._tensors(), strict=True):
            mine.index_copy_(0, idx, theirs.detach())

    def _tensors(self) -> list[torch.Tensor]:
        return [*self.weights, *self.biases, *self.weight_masks, *self.bias_masks]

    @classmethod
    def concat(cls, models: Sequence[LaneMLP]) -> LaneMLP:
        if not models:
            raise ArchitectureError("nothing to concatenate")
        widths = models[0].widths
        if any(m.widths != widths for m in models):
            raise ArchitectureError("cannot stack lanes of different architectures")
        parts = list(zip(*(m._tensors() for m in models), strict=True))
        n = len(models[0].weights)
        tensors = [torch.cat([t.detach() for t in group]) for group in parts]
        return cls(
            widths, tensors[:n], tensors[n : 2 * n], tensors[2 * n : 3 * n], tensors[3 * n :]
        )

    def to(self, device: torch.device | str) -> LaneMLP:
        return self._map(lambda t: t.detach().to(device))

    # --- plain-tensor state (torch.load(weights_only=True) can read it) ------------------------

    def state(self) -> dict:
        cpu = self.to("cpu")
        return {
            "widths": list(self.widths),
            "weights": cpu.weights,
            "biases": cpu.biases,
            "weight_masks": [m > 0 for m in cpu.weight_masks],
            "bias_masks": [m > 0 for m in cpu.bias_masks],
        }

    @classmethod
    def from_state(cls, state: dict, device: torch.device | str = "cpu") -> LaneMLP:
        widths = tuple(int(w) for w in state["widths"])
        weights = [w.to(device=device, dtype=torch.float32) for w in state["weights"]]
        return cls(
            widths=widths,
            weights=weights,
            biases=[b.to(device=device, dtype=torch.float32) for b in state["biases"]],
            weight_masks=[m.to(device=device, dtype=torch.float32) for m in state["weight_masks"]],
            bias_masks=[m.to(device=device, dtype=torch.float32) for m in state["bias_masks"]],
        )
