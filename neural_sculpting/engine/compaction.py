"""Retraining a pruned network without its dead units: the same training at a fraction of the cost.

Most of a search's training happens on networks pruned far down (in a hierarchy search 92% of the
multiply-adds of full-width lanes fall on units that can no longer carry anything). A hidden unit
is *dead* when its output is exactly 0 for every input (bias masked and every unmasked incoming
weight from a dead unit or an input-free path) or when nothing it emits reaches an output (every
unmasked outgoing weight goes to a dead unit); this repeats through the layers, as in module
detection. During a retraining a dead unit's weights get an exactly zero gradient from the data,
so training the network without them computes the same numbers for every other weight, up to the
order of the matmuls' sums (the zero terms are gone).

What the data do not move, weight decay still does: the unmasked weights and biases of dead
units (*loose* parameters) keep their place in the optimiser as a tail of the flat buffer with a
zero gradient, so Adam decays them exactly as in the full network and their magnitudes, which
the next edge-pruning round ranks, are those the full network would have.

A lane's live units are packed in their original order and padded with masked zeros to a width
set by the lane alone (`LEVELS`); lanes whose padded widths agree
train as one program. So a lane's numbers never depend on which lanes share its step.
"""

from __future__ import annotations

import math
from collections import defaultdict
from dataclasses import dataclass

import torch

from neural_sculpting.engine.lanes import LaneMLP

# A lane's hidden layers are padded to one fraction of their full widths, the smallest of these
# that holds its live units in every layer: at most four programs per retraining, since each
# program's step has a fixed cost of a few hundred microseconds, whatever its size.
LEVELS = (0.125, 0.25, 0.5, 1.0)
# Networks with fewer weights are not compacted: their steps are all fixed cost, and splitting
# their lanes into programs made searches slower (measured 2026-12-07, four seeds of a cell:
# validation 4-24-24-4 1.85 -> 2.80 CPU s, input_overlap 36 wide 6.6 -> 6.7; hierarchy
# 8-36-36-36-8 81 -> 39).
COMPACT_MIN_WEIGHTS = 3000


def padded(width: int, level: float) -> int:
    """A hidden layer's width at a level (at least one unit)."""
    return max(1, math.ceil(width * level))


def live_units(model: LaneMLP) -> list[torch.Tensor]:
    """Per hidden layer, [L, width] bool: the unit can carry a signal from the inputs or a bias to
    an output through unmasked weights and other live units."""
    n = len(model.weights)
    alive = [w > 0 for w in model.weight_masks]
    forward = []  # reached from the inputs or its own bias
    reached = torch.ones(model.n_lanes, model.widths[0], dtype=torch.bool, device=model.device)
    for k in range(n - 1):
        reached = (model.bias_masks[k] > 0) | (alive[k] & reached.unsqueeze(1)).any(dim=2)
        forward.append(reached)
    backward: list[torch.Tensor] = [torch.empty(0)] * (n - 1)  # reaches an output
    reaches = torch.ones(model.n_lanes, model.widths[-1], dtype=torch.bool, device=model.device)
    for k in range(n - 2, -1, -1):
        reaches = (alive[k + 1] & reaches.unsqueeze(2)).any(dim=1)
        backward[k] = reaches
    return [f & b for f, b in zip(forward, backward, strict=True)]


@dataclass
class CompactGroup:
    """Lanes `lanes` of a model, packed: per layer boundary (inputs, hidden layers, outputs) the
    unit each packed slot holds ([G, P] long, 0 in padding) and whether the slot is real."""

    lanes: torch.Tensor
    widths: tuple[int, ...]
    slots: list[torch.Tensor]
    real: list[torch.Tensor]

    def _cells(self, k: int) -> tuple[torch.Tensor, ...]:
        """Layer k's packed weight grid as full-tensor indices (lane, row, column) and realness."""
        lane = self.lanes.view(-1, 1, 1)
        rows, cols = self.slots[k + 1].unsqueeze(2), self.slots[k].unsqueeze(1)
        real = self.real[k + 1].unsqueeze(2) & self.real[k].unsqueeze(1)
        return lane, rows, cols, real

    def gather(self, model: LaneMLP) -> LaneMLP:
        """The packed network: real slots copied, padding zero and masked."""
        weights, biases, wmasks, bmasks = [], [], [], []
        for k in range(len(model.weights)):
            lane, rows, cols, real = self._cells(k)
            keep = real.to(model.weights[k].dtype)
            weights.append(model.weights[k][lane, rows, cols] * keep)
            wmasks.append(model.weight_masks[k][lane, rows, cols] * keep)
            brow = self.real[k + 1].to(model.biases[k].dtype)
            b_lane, b_rows = self.lanes.view(-1, 1), self.slots[k + 1]
            biases.append(model.biases[k][b_lane, b_rows] * brow)
            bmasks.append(model.bias_masks[k][b_lane, b_rows] * brow)
        return LaneMLP(self.widths, weights, biases, wmasks, bmasks)

    def scatter(self, packed: LaneMLP, model: LaneMLP) -> None:
        """Write the packed network's real slots back into `model`."""
        for k in range(len(model.weights)):
            lane, rows, cols, real = self._cells(k)
            idx = tuple(t.expand_as(real)[real] for t in (lane, rows, cols))
            model.weights[k].index_put_(idx, packed.weights[k][real])
            brow = self.real[k + 1]
            b_lane = self.lanes.view(-1, 1).expand_as(brow)[brow]
            model.biases[k].index_put_((b_lane, self.slots[k + 1][brow]), packed.biases[k][brow])

    def loose(self, model: LaneMLP) -> list[torch.Tensor]:
        """Per parameter tensor of `model` (weights then biases), the flat indices of its unmasked
        entries in these lanes that no real slot holds (dead units' parameters)."""
        n = len(model.weights)
        held_units = []
        for k in range(n + 1):
            held = torch.zeros(
                model.n_lanes, model.widths[k], dtype=torch.bool, device=model.device
            )
            lane = self.lanes.view(-1, 1).expand_as(self.real[k])[self.real[k]]
            held[lane, self.slots[k][self.real[k]]] = True
            held_units.append(held)
        in_group = torch.zeros(model.n_lanes, dtype=torch.bool, device=model.device)
        in_group[self.lanes] = True
        out = []
        for k in range(n):
            held = held_units[k + 1].unsqueeze(2) & held_units[k].unsqueeze(1)
            free = (model.weight_masks[k] > 0) & ~held & in_group.view(-1, 1, 1)
            out.append(free.view(-1).nonzero().squeeze(1))
        for k in range(n):
            free = (model.bias_masks[k] > 0) & ~held_units[k + 1] & in_group.view(-1, 1)
            out.append(free.view(-1).nonzero().squeeze(1))
        return out

    def take_loose(self, model: LaneMLP, loose: list[torch.Tensor]) -> tuple[torch.Tensor, ...]:
        """The loose parameters' values as one tensor, and for each its lane's place in the group
        (what `LaneProgram` trains as its tail)."""
        params = model.parameters()
        values = torch.cat([p.reshape(-1)[i] for p, i in zip(params, loose, strict=True)])
        place = torch.full((model.n_lanes,), -1, dtype=torch.long, device=model.device)
        place[self.lanes] = torch.arange(len(self.lanes), device=model.device)
        lanes = torch.cat([place[i // p[0].numel()] for p, i in zip(params, loose, strict=True)])
        return values, lanes

    @staticmethod
    def put_loose(model: LaneMLP, loose: list[torch.Tensor], values: torch.Tensor) -> None:
        """Write `take_loose`'s values (trained) back into `model`."""
        parts = values.split([i.numel() for i in loose])
        for p, i, part in zip(model.parameters(), loose, parts, strict=True):
            p.view(-1)[i] = part


def compact_groups(model: LaneMLP) -> list[CompactGroup]:
    """The model's lanes grouped by their padded widths, each group packed; lanes keep their
    order within a group."""
    live = live_units(model)
    n_in, n_out = model.widths[0], model.widths[-1]
    counts = torch.stack([a.sum(dim=1) for a in live], dim=1).tolist() if live else []
    by_widths: dict[tuple[int, ...], list[int]] = defaultdict(list)
    hidden_widths = model.widths[1:-1]
    for lane in range(model.n_lanes):
        level = next(
            f for f in LEVELS
            if all(c <= padded(w, f) for c, w in zip(counts[lane], hidden_widths, strict=True))
        ) if live else 1.0  # fmt: skip
        hidden = tuple(padded(w, level) for w in hidden_widths)
        by_widths[(n_in, *hidden, n_out)].append(lane)
    groups = []
    device = model.device
    for widths, lanes in by_widths.items():
        idx = torch.tensor(lanes, dtype=torch.long, device=device)
        slots, real = [], []
        for k, width in enumerate(widths):
            if k in (0, len(widths) - 1):
                slots.append(torch.arange(width, device=device).expand(len(lanes), width))
                real.append(torch.ones(len(lanes), width, dtype=torch.bool, device=device))
                continue
            alive = live[k - 1].index_select(0, idx)
            # Live units first, in their order (a stable sort of "not live"), then padding.
            order = torch.sort((~alive).to(torch.uint8), dim=1, stable=True).indices[:, :width]
            is_real = torch.gather(alive, 1, order)
            slots.append(torch.where(is_real, order, torch.zeros_like(order)))
            real.append(is_real)
        groups.append(CompactGroup(idx, widths, slots, real))
    return groups
