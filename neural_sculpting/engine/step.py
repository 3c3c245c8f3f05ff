"""One training step of every lane, written out: forward, backward and Adam without autograd.

The lanes are masked ReLU MLPs with a BCE loss, so the backward pass is a few closed forms: the
loss gradient (sigmoid(z) - y) / (batch x outputs), per layer dW = (h^T g)^T and db = sum_b g,
and dh = g W through the ReLU's mask. Every parameter, mask, gradient and Adam moment lives in
one flat buffer per kind ([layer][lane] order, each layer's block contiguous), so Adam (torch's
fused kernel, one pass) and the masks are two operations over the whole lane group, and
autograd's graph is never built.

Bitwise: each operation is the one autograd and torch's fused Adam run on one flat parameter, on
the same operands in the same memory layout (the weight gradient is computed as autograd
computes it, h^T g, then laid out); Adam is elementwise, so a lane's results do not depend on the
buffer it sits in (`FUSED_CHUNK`). A test pins the trained weights against the autograd step on
several shapes.
"""

from __future__ import annotations

import torch

from neural_sculpting.engine.adam import FusedAdam
from neural_sculpting.engine.lanes import LaneMLP

# Elements per vector body of the fused Adam kernel, with room for any unrolling (AVX-512: 16).
FUSED_CHUNK = 64


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
    ) -> None:
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
        self._tail_lanes = tail_lanes
        self._tail_at = sum(sizes)

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
        self._sizes = sizes
        # Views made once (the buffers never move): W^T for the forward, b as [L, 1, out].
        self._weights_t = [w.transpose(1, 2) for w in self.model.weights]
        self._biases_1 = [b.unsqueeze(1) for b in self.model.biases]

    def _blocks(self, buf: torch.Tensor) -> list[torch.Tensor]:
        """`buf` (shaped like `flat`) cut into the model's tensors."""
        blocks = buf[: sum(self._sizes)].split(self._sizes)
        return [
            block.view(t.shape) for block, t in zip(blocks, self.model.parameters(), strict=True)
        ]

    @torch.no_grad()
    def keep_lanes(self, kept: torch.Tensor, lanes: torch.Tensor) -> None:
        """Copy the current parameters of the lanes flagged in `lanes` [L] into `kept`."""
        for saved, p in zip(self._blocks(kept), self.model.parameters(), strict=True):
            saved.copy_(torch.where(lanes.view((-1,) + (1,) * (p.dim() - 1)), p, saved))
        if self.tail.numel():
            saved = kept[self._tail_at : self._tail_at + self.tail.numel()]
            saved.copy_(torch.where(lanes[self._tail_lanes], self.tail, saved))

    @torch.no_grad()
    def restore(self, kept: torch.Tensor, model: LaneMLP) -> None:
        """Write `kept` (shaped like `flat`) into `model`'s own parameter tensors and `tail`."""
        for p, saved in zip(model.parameters(), self._blocks(kept), strict=True):
            p.copy_(saved)
        self.tail.copy_(kept[self._tail_at : self._tail_at + self.tail.numel()])

    @torch.no_grad()
    def step(self, x: torch.Tensor, y: torch.Tensor) -> None:
        """One optimiser step of every lane on its batch x [L, B, n_in], y [L, B, n_out]: the
        gradient of each lane's mean BCE, Adam, then the masks."""
        weights = self.model.weights
        inputs = [x]
        h = x
        for k, (w_t, b) in enumerate(zip(self._weights_t, self._biases_1, strict=True)):
            h = torch.baddbmm(b, h, w_t)
            if k < self.n_layers - 1:
                h.relu_()
                inputs.append(h)
        # d(mean BCE)/dz = (sigmoid(z) - y) / (B * n_out), as autograd's mean and BCE compute it.
        g = (torch.sigmoid(h) - y) * (1.0 / (h.shape[1] * h.shape[2]))
        n = self.n_layers
        for k in range(n - 1, -1, -1):
            a = inputs[k]
            self.grads[k].copy_(torch.bmm(a.transpose(1, 2), g).transpose(1, 2))
            torch.sum(g, dim=1, out=self.grads[n + k])
            if k > 0:
                g = torch.ops.aten.threshold_backward(torch.bmm(g, weights[k]), a, 0)
        self.adam.step(self.grad)
        self.flat.mul_(self.mask)
