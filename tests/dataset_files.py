"""A dataset file whose structure is known, for the dataset-task tests: the input-separable task of
tasks.md as data (y0 = x0 XOR x1, y1 = NOT y0, y2 = x2 XOR x3, y3 = NOT y2), computed here from
that definition, not by the library. Two independent blocks of inputs, each feeding its own
outputs: a network sculpted on it should show exactly two modules, {x0, x1} -> {y0, y1} and
{x2, x3} -> {y2, y3}."""

from __future__ import annotations

import itertools
from pathlib import Path

import numpy as np

# The description a researcher would write for it (README "Your own task").
BLOCKS_DESCRIPTION = """\
name: two_blocks
kind: dataset
description: y0 = x0 XOR x1, y1 = NOT y0; y2 = x2 XOR x3, y3 = NOT y2.
inputs: 4
input_groups:
  a: {range: [0, 1]}
  b: {indices: [2, 3]}
outputs: [a_xor, a_xnor, b_xor, b_xnor]
subfunctions:
  block_a: {reads: [a], writes: [a_xor, a_xnor]}
  block_b: {reads: [b], writes: [b_xor, b_xnor]}
"""

# Settings under which one trial of depth 1 finds the two blocks (as the Boolean input-separable
# task does at Pu 70, Pe 2.5 in config/test.yaml's validation experiment).
BLOCKS_SETTINGS = {
    "widths": [24],
    "depths": [1],
    "seeds": [0],
    "train": {"lr": 0.05, "batch_size": 8, "epochs": 4},
    "pu": [70],
    "pe": [2.5],
    "detection": {"modularity_threshold": -0.2, "merge_threshold": 0.9},
}


def blocks_arrays(repeats: int = 16, seed: int = 0) -> dict[str, np.ndarray]:
    """Training rows: the 16-row truth table `repeats` times with N(0, 0.1) input noise (the
    Boolean tasks' training noise, drawn once); validation rows: the clean table."""
    x = np.array(list(itertools.product([0, 1], repeat=4)), dtype=np.float32)
    a = x[:, 0].astype(int) ^ x[:, 1].astype(int)
    b = x[:, 2].astype(int) ^ x[:, 3].astype(int)
    y = np.stack([a, 1 - a, b, 1 - b], axis=1).astype(np.uint8)
    rng = np.random.default_rng(seed)
    noise = rng.normal(0.0, 0.1, size=(len(x) * repeats, 4)).astype(np.float32)
    return {
        "x_train": np.tile(x, (repeats, 1)) + noise,
        "y_train": np.tile(y, (repeats, 1)),
        "x_val": x,
        "y_val": y,
    }


def write_blocks(folder: Path) -> tuple[Path, Path]:
    """The dataset file and its description, in `folder`."""
    data = folder / "blocks.npz"
    np.savez(data, **blocks_arrays())
    description = folder / "blocks.yaml"
    description.write_text(BLOCKS_DESCRIPTION)
    return data, description
