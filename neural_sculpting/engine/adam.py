"""Adam over stacked lane tensors, as torch's foreach path computes it."""

from __future__ import annotations

import math

import numpy as np
import torch

# The smallest normal float32. The square root of a subnormal is microcoded (about 15x slower
# than a normal one on this machine's cores), and Adam's second moments of weights whose
# gradients have all but vanished are subnormal.
FLOAT32_MIN_NORMAL = torch.finfo(torch.float32).tiny


def sqrt_floor(eps: float, beta2: float) -> float:
    """A floor for Adam's second moments below which the update cannot tell values apart.

    The update divides by sqrt(v) / sqrt(1 - beta2^t) + eps, and sqrt(1 - beta2^t) is smallest at
    t = 1. Any v whose sqrt(v) / sqrt(1 - beta2) lies under a quarter of eps's unit in the last
    place adds nothing to eps in float32, so raising such a v to the floor before the square root
    leaves the denominator, and every weight, bitwise unchanged. The floor is the smallest normal
    float32 when that qualifies (eps = 1e-8: any v under 3.6e-35), else 0 (no floor)."""
    if eps <= 0:
        return 0.0
    quarter_ulp = float(np.spacing(np.float32(eps))) / 4
    if math.sqrt(FLOAT32_MIN_NORMAL) / math.sqrt(1 - beta2) < quarter_ulp:
        return FLOAT32_MIN_NORMAL
    return 0.0


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
        self.sqrt_floor = sqrt_floor(eps, betas[1])
        # One flat buffer (`_step_one`): its temporaries, made once.
        single = len(params) == 1
        self._denom = torch.empty_like(params[0]) if single else None
        self._decayed = torch.empty_like(params[0]) if single and weight_decay != 0 else None

    @torch.no_grad()
    def step(self, grads: list[torch.Tensor]) -> None:
        if len(self.params) == 1:
            self._step_one(grads[0])
            return
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
        if self.sqrt_floor > 0:
            denom = torch._foreach_clamp_min(self.exp_avg_sqs, self.sqrt_floor)
            torch._foreach_sqrt_(denom)
        else:
            denom = torch._foreach_sqrt(self.exp_avg_sqs)
        torch._foreach_div_(denom, bias_correction2_sqrt)
        torch._foreach_add_(denom, self.eps)
        torch._foreach_addcdiv_(self.params, self.exp_avgs, denom, step_size)

    def _step_one(self, grad: torch.Tensor) -> None:
        """The same operations on a single tensor (a flat buffer of every parameter): the
        tensors' own methods, which skip the foreach lists, with the temporaries kept."""
        beta1, beta2 = self.betas
        self.steps += 1
        param, exp_avg, exp_avg_sq = self.params[0], self.exp_avgs[0], self.exp_avg_sqs[0]
        if self._decayed is not None:
            grad = torch.add(grad, param, alpha=self.weight_decay, out=self._decayed)
        exp_avg.lerp_(grad, 1 - beta1)
        exp_avg_sq.mul_(beta2)
        exp_avg_sq.addcmul_(grad, grad, value=1 - beta2)
        step = float(self.steps)
        step_size = (self.lr / (1 - beta1**step)) * -1
        bias_correction2_sqrt = (1 - beta2**step) ** 0.5
        if self.sqrt_floor > 0:
            denom = torch.clamp_min(exp_avg_sq, self.sqrt_floor, out=self._denom).sqrt_()
        else:
            denom = torch.sqrt(exp_avg_sq, out=self._denom)
        denom.div_(bias_correction2_sqrt)
        denom.add_(self.eps)
        param.addcdiv_(exp_avg, denom, value=step_size)


class FusedAdam:
    """Adam over one flat buffer as torch's fused kernel computes it (`torch.optim.Adam(...,
    fused=True)`, one pass over the buffer instead of `LaneAdam`'s nine): elementwise, so a lane's
    update never depends on the buffer's other lanes. Its rounding differs from the foreach
    path's in about one element in five hundred per step (one unit in the last place)."""

    def __init__(
        self,
        param: torch.Tensor,
        lr: float,
        weight_decay: float = 0.0,
        betas: tuple[float, float] = (0.9, 0.999),
        eps: float = 1e-8,
    ) -> None:
        self.param = param
        self.lr, self.weight_decay, self.betas, self.eps = lr, weight_decay, betas, eps
        self.exp_avg = torch.zeros_like(param)
        self.exp_avg_sq = torch.zeros_like(param)
        self.step_count = torch.zeros((), dtype=torch.float32, device=param.device)

    def step(self, grad: torch.Tensor) -> None:
        # No `no_grad`: the buffers never require a gradient (the training step calls this).
        self.step_count += 1  # the kernel reads the step count; torch's Adam adds it first too
        torch._fused_adam_(
            [self.param], [grad], [self.exp_avg], [self.exp_avg_sq], [], [self.step_count],
            lr=self.lr, beta1=self.betas[0], beta2=self.betas[1],
            weight_decay=self.weight_decay, eps=self.eps, amsgrad=False, maximize=False,
        )  # fmt: skip
