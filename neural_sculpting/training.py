"""Training and evaluation of all lanes at once (tasks.md, "Training").

Loss: binary cross-entropy, mean over all output bits of each lane's batch, SUMMED over lanes, so
each lane's gradient is exactly its own. Adam (L2 weight decay as torch's Adam applies it) is
elementwise, so one optimiser over the stacked tensors updates every lane as if it were alone.
A fresh optimiser at every (re)training; the best epoch (highest validation accuracy, ties to lower
validation loss) is kept.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import torch
import torch.nn.functional as F

from neural_sculpting.data import LaneData
from neural_sculpting.hparams import TrainingHparams
from neural_sculpting.masked_mlp import LaneMLP
from neural_sculpting.seeding import KeyPart


class LaneAdam:
    """torch.optim.Adam (L2 weight decay added to the gradient, no amsgrad) as its foreach path
    computes it: the same operations in the same order, so the updates are bitwise torch's
    (checked by a test). Written out because torch's optimiser costs about a second of start-up
    at its first step and some bookkeeping at every step, both large against these tiny steps."""

    def __init__(
        self,
        params: list[torch.Tensor],
        lr: float,
        weight_decay: float = 0.0,
        betas: tuple[float, float] = (0.9, 0.999),
        eps: float = 1e-8,
    ) -> None:
        self.params = params
        self.lr, self.weight_decay, self.betas, self.eps = lr, weight_decay, betas, eps
        self.exp_avgs = [torch.zeros_like(p, memory_format=torch.preserve_format) for p in params]
        self.exp_avg_sqs = [
            torch.zeros_like(p, memory_format=torch.preserve_format) for p in params
        ]
        self.steps = 0

    @torch.no_grad()
    def step(self, grads: list[torch.Tensor]) -> None:
        beta1, beta2 = self.betas
        self.steps += 1
        if self.weight_decay != 0:
            grads = torch._foreach_add(grads, self.params, alpha=self.weight_decay)
        torch._foreach_lerp_(self.exp_avgs, grads, 1 - beta1)
        torch._foreach_mul_(self.exp_avg_sqs, beta2)
        torch._foreach_addcmul_(self.exp_avg_sqs, grads, grads, 1 - beta2)
        step = float(self.steps)
        step_size = (self.lr / (1 - beta1**step)) * -1
        bias_correction2_sqrt = (1 - beta2**step) ** 0.5
        denom = torch._foreach_sqrt(self.exp_avg_sqs)
        torch._foreach_div_(denom, bias_correction2_sqrt)
        torch._foreach_add_(denom, self.eps)
        torch._foreach_addcdiv_(self.params, self.exp_avgs, denom, step_size)


@dataclass(frozen=True)
class Evaluation:
    """Per lane: accuracy in percent (share of output bits right at 0.5) and mean BCE."""

    accuracy: torch.Tensor
    loss: torch.Tensor


@torch.no_grad()
def evaluate(model: LaneMLP, data: LaneData) -> Evaluation:
    """Accuracy and loss of every lane on its clean validation set."""
    logits, _ = model.forward(data.val_x)
    loss = F.binary_cross_entropy_with_logits(logits, data.val_y, reduction="none")
    # sigmoid(z) > 0.5 exactly when z > 0; counting bits keeps 100% exact in floating point.
    correct = ((logits > 0) == (data.val_y > 0.5)).sum(dim=(1, 2))
    n_bits = data.val_y.shape[1] * data.val_y.shape[2]
    return Evaluation(
        accuracy=(correct.double() * 100.0 / n_bits).cpu(),
        loss=loss.mean(dim=(1, 2)).cpu(),
    )


def train_lanes(
    model: LaneMLP,
    data: LaneData,
    hp: TrainingHparams,
    keys: Sequence[tuple[KeyPart, ...]],
) -> Evaluation:
    """Train every lane for `hp.epochs` epochs in place; leave each at its best epoch.

    Lane i's epoch e draws its shuffle and noise from keys[i] + (e,). Returns the kept epochs'
    validation accuracy and loss.
    """
    if len(keys) != model.n_lanes or data.n_lanes != model.n_lanes:
        raise ValueError("one key and one data lane per model lane are needed")
    params = model.parameters()
    for p in params:
        p.requires_grad_(True)
    opt = LaneAdam(params, lr=hp.lr, weight_decay=hp.weight_decay)
    best_params = [p.detach().clone() for p in params]
    best_acc = torch.full((model.n_lanes,), -1.0, dtype=torch.float64)
    best_loss = torch.full((model.n_lanes,), float("inf"))
    n_rows = data.data.n_train
    for epoch in range(hp.epochs):
        plan = data.epoch_plan([(*key, epoch) for key in keys])
        for start in range(0, n_rows, hp.batch_size):
            x, y = data.batch(plan, start, start + hp.batch_size)
            logits, _ = model.forward(x)
            per_lane = F.binary_cross_entropy_with_logits(logits, y, reduction="none")
            loss = per_lane.mean(dim=(1, 2)).sum()
            opt.step(list(torch.autograd.grad(loss, params)))
            model.apply_masks_()
        ev = evaluate(model, data)
        better = (ev.accuracy > best_acc) | ((ev.accuracy == best_acc) & (ev.loss < best_loss))
        if bool(better.any()):
            best_acc = torch.where(better, ev.accuracy, best_acc)
            best_loss = torch.where(better, ev.loss, best_loss)
            flag = better.to(model.device)
            with torch.no_grad():
                for kept, p in zip(best_params, params, strict=True):
                    shape = (-1,) + (1,) * (p.dim() - 1)
                    kept.copy_(torch.where(flag.view(shape), p, kept))
    with torch.no_grad():
        for p, kept in zip(params, best_params, strict=True):
            p.requires_grad_(False)
            p.copy_(kept)
    return Evaluation(accuracy=best_acc, loss=best_loss)
