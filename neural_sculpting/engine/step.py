"""One training step of every lane, written out: forward, backward and Adam without autograd.

The lanes are masked ReLU MLPs with a BCE loss, so the backward pass is a few closed forms: the
loss gradient (sigmoid(z) - y) / (batch x outputs), per layer dW = (h^T g)^T and db = sum_b g,
and dh = g W through the ReLU's mask. Every parameter, mask, gradient and Adam moment lives in
one flat buffer per kind ([layer][lane] order, each layer's block contiguous), so Adam (torch's
fused kernel, one pass) and the masks are two operations over the whole lane group, and
autograd's graph is never built. On the CPU the whole step is one call (`kernels.py`'s `Trainer`:
the compiled passes and the same ATen operations, issued from C++).

Bitwise: each operation is the one autograd and torch's fused Adam run on one flat parameter, on
the same operands in the same memory layout (the weight gradient is computed as autograd
computes it, h^T g, then laid out); Adam is elementwise, so a lane's results do not depend on the
buffer it sits in (`FUSED_CHUNK`). A test pins the trained weights against the autograd step on
several shapes.
"""

from __future__ import annotations

import torch

from neural_sculpting.engine import kernels
from neural_sculpting.engine.adam import FusedAdam
from neural_sculpting.engine.lanes import LaneMLP

# The ReLU's gradient, as autograd's (the overload itself: no overload resolution per call).
_threshold_backward = torch.ops.aten.threshold_backward.default

# Elements per vector body of the fused Adam kernel, with room for any unrolling (AVX-512: 16).
FUSED_CHUNK = kernels.VECTOR_BODY


class LaneProgram:
    """The training state of a lane group: `model` is a `LaneMLP` whose tensors are views into
    the flat buffers (`flat`, `mask`), trained in place by `step`."""

    def __init__(
        self,
        model: LaneMLP,
        lr: float,
        weight_decay: float,
        tail: torch.Tensor | None = None,
        tail_lanes: torch.Tensor | None = None,
        compiled: bool | None = None,
    ) -> None:
        """`compiled`: the whole step by `kernels.py`'s `Trainer` (None: wherever it runs,
        float32 lanes on the CPU), else the gradients by torch's batched products (rules 4's
        step) and Adam and the masks from here."""
        tensors = model.parameters()
        sizes = [t.numel() for t in tensors]
        device = model.device
        n_tail = 0 if tail is None else tail.numel()
        n_used = sum(sizes) + n_tail
        # Zeros to a whole number of `FUSED_CHUNK`s: the fused Adam kernel computes the last few
        # elements of a buffer in scalar code, which rounds differently, so every element must
        # sit in its vector body wherever the buffer ends (or a lane's numbers would depend on
        # how many lanes share the buffer).
        self.flat = torch.zeros(-(-n_used // FUSED_CHUNK) * FUSED_CHUNK, device=device)
        self.mask = torch.ones_like(self.flat)
        self.grad = torch.zeros_like(self.flat)
        self.n_layers = len(model.weights)
        # Parameters outside the model (`compaction.py`'s loose ones): trained with a zero
        # gradient and no mask, so only weight decay moves them; `tail_lanes` names their lanes.
        self.tail = self.flat[sum(sizes) : n_used]
        if tail is not None:
            self.tail.copy_(tail)
        self.tail_at = sum(sizes)

        def views(buf: torch.Tensor, fill: list[torch.Tensor] | None) -> list[torch.Tensor]:
            out, start = [], 0
            for t, n in zip(tensors, sizes, strict=True):
                view = buf[start : start + n].view(t.shape)
                if fill is not None:
                    view.copy_(fill[len(out)])
                out.append(view)
                start += n
            return out

        params = views(self.flat, [t.detach() for t in tensors])
        masks = views(self.mask, model.masks())
        self.grads = views(self.grad, None)
        n = self.n_layers
        self.model = LaneMLP(model.widths, params[:n], params[n:], masks[:n], masks[n:])
        self.adam = FusedAdam(self.flat, lr=lr, weight_decay=weight_decay)
        self.sizes = sizes  # each model tensor's elements, in the buffers' order
        # Per layer, made once (the buffers never move): forward (W^T, b as [L, 1, out]) for the
        # hidden layers and the output layer apart; backward, last layer first, (W or None for
        # the first layer, whose input gradient is not needed; dW^T, into which autograd's h^T g
        # is copied; db).
        forward = [
            (w.transpose(1, 2), b.unsqueeze(1))
            for w, b in zip(self.model.weights, self.model.biases, strict=True)
        ]
        self._forward = forward[:-1]
        self._out_weight_t, self._out_bias = forward[-1]
        n = self.n_layers
        self._backward = [
            (self.model.weights[k] if k > 0 else None, self.grads[k].mT, self.grads[n + k])
            for k in range(n - 1, -1, -1)
        ]
        self.tail_lanes = tail_lanes
        if compiled is None:
            compiled = kernels.runs_on(self.flat)
        self._trainer = None
        if compiled:
            n, adam = self.n_layers, self.adam
            self._trainer = kernels.lane_kernels().Trainer(
                self.model.weights, self.model.biases, self.grads[:n], self.grads[n:],
                self.flat, self.grad, self.mask, adam.exp_avg, adam.exp_avg_sq, adam.step_count,
                adam.lr, *adam.betas, adam.weight_decay, adam.eps,
            )  # fmt: skip
        # Per batch size (the last batch of an epoch may be shorter), for the compiled step:
        # the hidden activations, and the logits, which the loss gradient overwrites, in a
        # padded buffer (`kernels.padded`: a lane's sigmoid must not depend on the lane count).
        self._activations: dict[int, tuple[list[torch.Tensor], torch.Tensor, torch.Tensor]] = {}

    @property
    def compiled(self) -> bool:
        """Whether the step runs as one compiled call (`kernels.py`'s `Trainer`)."""
        return self._trainer is not None

    def _blocks(self, buf: torch.Tensor) -> list[torch.Tensor]:
        """`buf` (shaped like `flat`) cut into the model's tensors, each as [L, elements]."""
        return [
            block.view(self.model.n_lanes, -1) for block in buf[: sum(self.sizes)].split(self.sizes)
        ]

    @torch.no_grad()
    def keep_lanes(self, kept: torch.Tensor, lanes: torch.Tensor) -> None:
        """Copy the current parameters of the lanes flagged in `lanes` [L] into `kept`."""
        flags = lanes.view(-1, 1)
        for saved, p in zip(self._blocks(kept), self._blocks(self.flat), strict=True):
            torch.where(flags, p, saved, out=saved)
        if self.tail.numel():
            saved = kept[self.tail_at : self.tail_at + self.tail.numel()]
            torch.where(lanes[self.tail_lanes], self.tail, saved, out=saved)

    @torch.no_grad()
    def restore(self, kept: torch.Tensor, model: LaneMLP) -> None:
        """Write `kept` (shaped like `flat`) into `model`'s own parameter tensors and `tail`."""
        for p, saved in zip(model.parameters(), self._blocks(kept), strict=True):
            p.copy_(saved.view(p.shape))
        self.tail.copy_(kept[self.tail_at : self.tail_at + self.tail.numel()])

    def step(self, x: torch.Tensor, y: torch.Tensor) -> None:
        """One optimiser step of every lane on its batch x [L, B, n_in], y [L, B, n_out]: the
        gradient of each lane's mean BCE, Adam, then the masks. No autograd graph is built
        (nothing here requires a gradient), so the step needs no `no_grad`, whose context costs
        more than some of its operations; call it under one for data that does."""
        if self._trainer is not None:
            self._trainer.step(x, y, *self._step_buffers(x.shape[1]))
            return
        self._batched_gradients(x, y)
        self.adam.step(self.grad)
        self.flat.mul_(self.mask)

    def _step_buffers(self, rows: int) -> tuple[list[torch.Tensor], torch.Tensor, torch.Tensor]:
        """The compiled step's activations for batches of `rows` (made at first use)."""
        buffers = self._activations.get(rows)
        if buffers is None:
            widths, lanes = self.model.widths, self.model.n_lanes
            hidden = [torch.empty(lanes, w, rows) for w in widths[1:-1]]
            buffers = self._activations[rows] = (hidden, *kernels.padded(lanes, rows, widths[-1]))
        return buffers

    def _batched_gradients(self, x: torch.Tensor, y: torch.Tensor) -> None:
        """The gradients by torch's batched products (rules 4; CUDA lanes)."""
        inputs = [x]
        h = x
        for w_t, b in self._forward:
            h = torch.baddbmm(b, h, w_t)
            h.relu_()
            inputs.append(h)
        h = torch.baddbmm(self._out_bias, h, self._out_weight_t)
        # d(mean BCE)/dz = (sigmoid(z) - y) / (B * n_out), as autograd's mean and BCE compute it.
        g = (torch.sigmoid(h) - y) * (1.0 / (h.shape[1] * h.shape[2]))
        for a, (weight, grad_w_t, grad_b) in zip(reversed(inputs), self._backward, strict=True):
            grad_w_t.copy_(torch.bmm(a.transpose(1, 2), g))
            torch.sum(g, dim=1, out=grad_b)
            if weight is not None:
                g = _threshold_backward(torch.bmm(g, weight), a, 0)
