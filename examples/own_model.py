"""Sculpt a model of your own: train an MLP in plain PyTorch, hand it to Neural Sculpting, and
read its modules back.

    python examples/own_model.py                 # writes examples/own_model.png
    python examples/own_model.py --small -o x.png  # a smaller Pu x Pe grid (CI runs this)

The task has two independent blocks, as the paper's input-separable task (Fig. 1a): outputs
y0 = x0 XOR x1 and y1 = NOT y0 depend on x0 and x1 only, y2 = x2 XOR x3 and y3 = NOT y2 on x2
and x3 only. A network trained on it is dense: every hidden unit sees every input. Pruned (units,
then edges) and clustered, it shows the two blocks as two modules.
"""

from __future__ import annotations

import argparse
import itertools
from pathlib import Path

import numpy as np
import torch
from torch import nn

import neural_sculpting as ns


def two_blocks() -> tuple[np.ndarray, np.ndarray]:
    """The truth table: 16 rows of 4 inputs, 4 outputs."""
    x = np.array(list(itertools.product([0, 1], repeat=4)), dtype=np.float32)
    a = np.logical_xor(x[:, 0], x[:, 1])
    b = np.logical_xor(x[:, 2], x[:, 3])
    y = np.stack([a, ~a, b, ~b], axis=1).astype(np.float32)
    return x, y


def train(x: np.ndarray, y: np.ndarray, seed: int = 0) -> nn.Sequential:
    """An ordinary PyTorch training loop: one hidden layer of 24 ReLU units, Adam, BCE."""
    torch.manual_seed(seed)
    model = nn.Sequential(nn.Linear(4, 24), nn.ReLU(), nn.Linear(24, 4))
    optimiser = torch.optim.Adam(model.parameters(), lr=0.05)
    xs, ys = torch.from_numpy(x), torch.from_numpy(y)
    for _ in range(300):
        optimiser.zero_grad()
        nn.functional.binary_cross_entropy_with_logits(model(xs), ys).backward()
        optimiser.step()
    accuracy = ((model(xs) > 0).float() == ys).float().mean().item()
    print(f"trained in plain PyTorch: accuracy {100 * accuracy:.1f}% on the 16 rows")
    return model


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--small", action="store_true", help="a 3 x 2 Pu x Pe grid")
    parser.add_argument("-o", "--output", type=Path, default=Path(__file__).with_suffix(".png"))
    args = parser.parse_args(argv)

    x, y = two_blocks()
    model = train(x, y)
    grid = {"pu": [30, 50, 70], "pe": [1.0, 2.5]} if args.small else {}
    # The truth table is both the training and the validation set, as in the paper's Boolean
    # tasks; retraining between pruning rounds uses the validation experiment's settings.
    result = ns.sculpt_model(model, (x, y, x, y), lr=0.1, batch_size=8, epochs=30, **grid,
                             progress=not args.small)  # fmt: skip
    print(result.summary())
    result.draw(args.output)
    print(f"drawing: {args.output}")
    pruned = result.to_torch()  # the pruned network, masks applied, as a torch model
    kept = sum(int((layer.weight != 0).sum()) for layer in pruned if isinstance(layer, nn.Linear))
    print(f"pruned model: {kept} weights kept; graph: {result.graph().number_of_edges()} edges")
    return 0 if len(result.modules) == 2 else 1


if __name__ == "__main__":
    raise SystemExit(main())
