"""One MNIST trial's lanes batched on a device, per optimiser step, against the same on the CPU
(not a test; scripts/gpu_check.sh runs it on a lent GPU).

    python benchmarks/bench_mnist_lanes.py --devices cpu cuda      # prints each and the ratio
    python benchmarks/bench_mnist_lanes.py --devices cpu --steps 5 # a CPU-only dry run

The lanes: `--lanes` networks of 1568-W-W-20 (default 14, the Pu lanes of one unit-pruning stage
of a full-grid trial; 70 is its edge stage) training on two-digit composites at batch 512, the
paper's setting, for `--steps` optimiser steps after two warm-up steps. Pixel values do not change
the arithmetic, so the rows are random uint8. It also prints the lane groups the memory budget
(80% of free CUDA memory) gives each MNIST architecture of the paper's study for 70 lanes.
"""

from __future__ import annotations

import argparse
import time

import numpy as np
import torch

from neural_sculpting.engine.data import EVAL_ROWS, LaneData, MnistData
from neural_sculpting.engine.device import default_memory_budget, resolve_device
from neural_sculpting.engine.lane_groups import lane_groups
from neural_sculpting.engine.lanes import LaneMLP
from neural_sculpting.engine.training import train_lanes
from neural_sculpting.study.hparams import TrainingHparams

BATCH = 512


def data_of(rows: int) -> MnistData:
    rng = np.random.default_rng(0)
    x = torch.from_numpy(rng.integers(0, 256, (1, rows, 1568), dtype=np.uint8))
    y = torch.zeros(1, rows, 20)
    y[0, :, 3] = y[0, :, 17] = 1.0
    val_x, val_y = x[:, :EVAL_ROWS].clone(), y[:, :EVAL_ROWS].clone()
    return MnistData(("two_digits",), x, y, val_x, val_y, ((0, 10), (10, 20)), True)


def seconds_per_step(device: torch.device, width: int, depth: int, lanes: int, steps: int) -> float:
    """Wall seconds per optimiser step of `lanes` lanes (one epoch of `steps` steps, minus an
    epoch of two steps, so start-up and the epoch's validation pass cancel out)."""

    def epoch(n_steps: int) -> float:
        data = data_of(n_steps * BATCH)
        keys = [(seed, "init") for seed in range(lanes)]
        model = LaneMLP.initialise((1568, *(width,) * depth, 20), keys, device)
        lane_data = LaneData(data, [0] * lanes, device, "per_digit")
        hp = TrainingHparams(lr=0.001, batch_size=BATCH, epochs=1, noise_std=0.0)
        if device.type == "cuda":
            torch.cuda.synchronize()
        started = time.perf_counter()
        train_lanes(model, lane_data, hp, [(seed, "t") for seed in range(lanes)])
        if device.type == "cuda":
            torch.cuda.synchronize()
        return time.perf_counter() - started

    epoch(2)  # warm-up: allocator, kernels
    return (epoch(steps + 2) - epoch(2)) / steps


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--devices", nargs="+", default=["cpu", "cuda"])
    parser.add_argument("--width", type=int, default=392)
    parser.add_argument("--depth", type=int, default=2)
    parser.add_argument("--lanes", type=int, default=14)
    parser.add_argument("--steps", type=int, default=20)
    args = parser.parse_args(argv)
    arch = f"1568-{'-'.join([str(args.width)] * args.depth)}-20"
    per_step = {}
    for name in args.devices:
        device = resolve_device(name)
        per_step[name] = seconds_per_step(device, args.width, args.depth, args.lanes, args.steps)
        ms = per_step[name] * 1e3
        print(f"{name}: {arch}, {args.lanes} lanes, batch {BATCH}: {ms:.2f} ms per step "
              f"({args.steps} steps)", flush=True)  # fmt: skip
    if "cpu" in per_step and "cuda" in per_step:
        print(f"ratio cpu / cuda: {per_step['cpu'] / per_step['cuda']:.1f}x")
    if "cuda" in args.devices:
        budget = default_memory_budget(torch.device("cuda"))
        print(f"memory budget: {budget / 2**30:.1f} GiB (80% of free CUDA memory)")
        for width in (392, 784, 1568):
            for depth in (2, 3, 4, 5):
                widths = (1568, *(width,) * depth, 20)
                groups = lane_groups(budget, widths, BATCH, 70)
                print(f"  1568-{width}x{depth}-20: 70 lanes in {len(groups)} group(s) of "
                      f"up to {len(groups[0])}")  # fmt: skip
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
