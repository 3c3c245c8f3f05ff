"""The conventional baseline of `bench_grid.py`: one network at a time, the ordinary PyTorch way.

Benchmark code, not part of the library. An `nn.Module` MLP of `nn.Linear` layers whose 0/1
masks are applied in `forward`, `torch.optim.Adam` with weight decay, a plain minibatch loop over
the truth table (shuffled, fresh N(0, noise_std) input noise every epoch), BCE loss, the best
epoch kept; then Algorithm 1 (loss-sensitivity unit scores) and Algorithm 2 (global magnitude)
with the decision rules of Appendix H (training, Algorithms 1 and 2). It does the engine's
work without its batching, so `bench_grid.py` can time what "lane by lane" costs when written
plainly. Random numbers come from torch's global generator, seeded per network: the networks are
not the engine's bitwise, only the same kind of result.
"""

from __future__ import annotations

import copy
import itertools
import time
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field

import numpy as np
import torch
import torch.nn.functional as F
from torch import nn

from neural_sculpting.engine.seeding import derive_seed
from neural_sculpting.study.hparams import TrainingHparams


class MaskedLinear(nn.Linear):
    """`nn.Linear` with 0/1 masks on weight and bias, applied in the forward pass (a masked entry
    gets no gradient from the loss; weight decay may move it, but it never acts)."""

    def __init__(self, n_in: int, n_out: int) -> None:
        super().__init__(n_in, n_out)
        nn.init.kaiming_normal_(self.weight, mode="fan_in", nonlinearity="relu")
        nn.init.zeros_(self.bias)
        self.register_buffer("weight_mask", torch.ones_like(self.weight))
        self.register_buffer("bias_mask", torch.ones_like(self.bias))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return F.linear(x, self.weight * self.weight_mask, self.bias * self.bias_mask)


class MaskedMLP(nn.Module):
    """ReLU hidden layers, logits out (the loss applies the sigmoid)."""

    def __init__(self, widths: Sequence[int]) -> None:
        super().__init__()
        self.layers = nn.ModuleList(MaskedLinear(a, b) for a, b in itertools.pairwise(widths))

    def activations(self, x: torch.Tensor) -> tuple[torch.Tensor, list[torch.Tensor]]:
        """Logits and the post-ReLU activation of every hidden layer."""
        hidden = []
        for layer in self.layers[:-1]:
            x = torch.relu(layer(x))
            hidden.append(x)
        return self.layers[-1](x), hidden

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.activations(x)[0]

    def density(self) -> float:
        """Kept weights / weights of the original network (biases are not edges)."""
        kept = sum(int(layer.weight_mask.sum()) for layer in self.layers)
        return kept / sum(layer.weight_mask.numel() for layer in self.layers)


@torch.no_grad()
def evaluate(model: MaskedMLP, x: torch.Tensor, y: torch.Tensor) -> tuple[float, float]:
    """Accuracy in percent (share of output bits right at 0.5) and mean BCE."""
    logits = model(x)
    accuracy = 100.0 * float(((logits > 0) == (y > 0.5)).double().mean())
    return accuracy, float(F.binary_cross_entropy_with_logits(logits, y))


def train(
    model: MaskedMLP, x: torch.Tensor, y: torch.Tensor, hp: TrainingHparams
) -> tuple[float, float]:
    """Train with a fresh Adam for `hp.epochs` epochs on the noisy, shuffled table; load the best
    epoch (highest clean accuracy, ties to lower loss) and return its accuracy and loss."""
    opt = torch.optim.Adam(model.parameters(), lr=hp.lr, weight_decay=hp.weight_decay)
    best = (-1.0, float("inf"))
    best_state = copy.deepcopy(model.state_dict())
    for _ in range(hp.epochs):
        order = torch.randperm(len(x))
        inputs = x[order] + torch.randn_like(x) * hp.noise_std
        targets = y[order]
        for start in range(0, len(x), hp.batch_size):
            batch = slice(start, start + hp.batch_size)
            loss = F.binary_cross_entropy_with_logits(model(inputs[batch]), targets[batch])
            opt.zero_grad()
            loss.backward()
            opt.step()
        acc, val_loss = evaluate(model, x, y)
        if acc > best[0] or (acc == best[0] and val_loss < best[1]):
            best = (acc, val_loss)
            best_state = copy.deepcopy(model.state_dict())
    model.load_state_dict(best_state)
    return best


def unit_scores(model: MaskedMLP, x: torch.Tensor, y: torch.Tensor) -> torch.Tensor:
    """Mean over clean samples of |a * dL/da| per sample, all hidden layers concatenated."""
    logits, hidden = model.activations(x)
    # Sample i's activations reach only sample i's loss, so the gradient of the summed
    # per-sample losses is each sample's own dL_i/da_i (no loop over samples needed).
    per_sample = F.binary_cross_entropy_with_logits(logits, y, reduction="none").mean(dim=1)
    grads = torch.autograd.grad(per_sample.sum(), hidden)
    scores = [(a * g).abs().mean(dim=0) for a, g in zip(hidden, grads, strict=True)]
    return torch.cat(scores).detach()


@torch.no_grad()
def prune_units_at(model: MaskedMLP, x: torch.Tensor, y: torch.Tensor, p: float) -> None:
    """Mask the units scoring <= percentile(scores, p) with their bias and in/out edges."""
    with torch.enable_grad():
        scores = unit_scores(model, x, y).numpy()
    alive = torch.from_numpy(scores > np.percentile(scores, p)).float()
    offset = 0
    for layer, after in zip(model.layers[:-1], model.layers[1:], strict=True):
        keep = alive[offset : offset + layer.out_features]
        offset += layer.out_features
        layer.bias_mask.mul_(keep)
        layer.weight_mask.mul_(keep[:, None])
        after.weight_mask.mul_(keep[None, :])


@torch.no_grad()
def prune_edges_at(model: MaskedMLP, p: float) -> None:
    """Mask the weights with |w| <= percentile(|all weights|, p); masked weights count as 0."""
    magnitudes = [(layer.weight * layer.weight_mask).abs() for layer in model.layers]
    scores = torch.cat([m.flatten() for m in magnitudes]).numpy()
    threshold = np.percentile(scores, p)
    for layer, m in zip(model.layers, magnitudes, strict=True):
        # Compared in numpy float64, exactly as `scores > np.percentile(scores, p)`.
        layer.weight_mask.mul_(torch.from_numpy(m.numpy() > threshold))


def iterative_prune(
    model: MaskedMLP,
    step: float,
    p_min: float,
    p_start: float,
    prune_at: Callable[[MaskedMLP, float], None],
    retrain: Callable[[MaskedMLP], float],
    threshold: float,
) -> MaskedMLP:
    """Algorithms 1-2: try p = last kept p + step (cumulative, % of the original network); keep a
    try whose retrained accuracy reaches `threshold`, else go back and halve the step; stop once
    the step is below `p_min`. A try at p >= 100 fails without training."""
    kept, p_kept = model, p_start
    while True:
        p = p_kept + step
        if p < 100:
            candidate = copy.deepcopy(kept)
            prune_at(candidate, p)
            if retrain(candidate) >= threshold:
                kept, p_kept = candidate, p
                continue
        step /= 2
        if step < p_min:
            return kept


STAGES = ("dense", "units", "edges")


@dataclass
class Stopwatch:
    """Wall-clock and CPU seconds of this process per stage. On one thread CPU time is what a run
    costs whatever else shares the cores; wall-clock time also counts the waits for them."""

    wall: dict[str, float] = field(default_factory=lambda: dict.fromkeys(STAGES, 0.0))
    cpu: dict[str, float] = field(default_factory=lambda: dict.fromkeys(STAGES, 0.0))

    @contextmanager
    def stage(self, name: str) -> Iterator[None]:
        wall, cpu = time.perf_counter(), time.process_time()
        try:
            yield
        finally:
            self.wall[name] += time.perf_counter() - wall
            self.cpu[name] += time.process_time() - cpu


@dataclass(frozen=True)
class LaneResult:
    """One edge-pruning lane (Pu, Pe) of the grid."""

    pu: float
    pe: float
    density: float
    accuracy: float


@dataclass(frozen=True)
class GridResult:
    """Seconds per stage, the dense accuracy, per-Pu unit-pruned densities, every lane, and how
    many (re)trainings ran in all (dense, pruning tries, edge starts)."""

    clock: Stopwatch
    retrainings: int
    dense_accuracy: float
    unit_density: dict[float, float]
    lanes: list[LaneResult]


def run_grid(
    x: torch.Tensor,
    y: torch.Tensor,
    hidden: Sequence[int],
    hp: TrainingHparams,
    seed: int,
    pu_values: Sequence[float],
    pe_values: Sequence[float],
    threshold: float = 100.0,
) -> GridResult:
    """Dense training, then for each Pu unit pruning, one retraining, and edge pruning for each
    Pe, one network at a time. Pruning goes on even when the dense network misses `threshold`
    (Appendix H.1: pruning's retraining carries on from where dense training stopped)."""
    widths = (x.shape[1], *hidden, y.shape[1])
    clock = Stopwatch()
    count = [0]

    def retrain(net: MaskedMLP) -> float:
        count[0] += 1
        return train(net, x, y, hp)[0]

    with clock.stage("dense"):
        torch.manual_seed(derive_seed(seed, "conventional"))
        dense = MaskedMLP(widths)
        dense_accuracy = retrain(dense)
    n_units = sum(hidden)
    n_weights = sum(layer.weight.numel() for layer in dense.layers)
    unit_density, lanes = {}, []
    for pu in pu_values:
        with clock.stage("units"):
            torch.manual_seed(derive_seed(seed, "conventional", pu))
            units = iterative_prune(
                copy.deepcopy(dense),
                pu,
                100.0 / n_units,
                0.0,
                lambda net, p: prune_units_at(net, x, y, p),
                retrain,
                threshold,
            )
        unit_density[pu] = units.density()
        with clock.stage("edges"):
            retrain(units)  # the edge-pruning start, shared by the Pe lanes
            for pe in pe_values:
                torch.manual_seed(derive_seed(seed, "conventional", pu, pe))
                edges = iterative_prune(
                    copy.deepcopy(units),
                    pe,
                    100.0 / n_weights,
                    100.0 * (1.0 - units.density()),
                    prune_edges_at,
                    retrain,
                    threshold,
                )
                lanes.append(LaneResult(pu, pe, edges.density(), evaluate(edges, x, y)[0]))
    return GridResult(clock, count[0], dense_accuracy, unit_density, lanes)
