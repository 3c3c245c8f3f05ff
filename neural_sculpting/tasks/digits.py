"""A laptop-sized two-digit task: the MNIST two-digit composites of Section 5.5 rebuilt from
scikit-learn's 8x8 digits (`sklearn.datasets.load_digits`: 1,797 images, shipped with it, so
nothing is downloaded).

Two digits side by side make an 8x16 image, 128 inputs (pixel (r, c) is input r * 16 + c; digit
1 in columns 0-7, digit 2 in 8-15), scaled by 1/16 to [0, 1]; 20 outputs, one-hot digit 1 then
one-hot digit 2. With about 180 images a digit, drawing both splits from one pool would put the
same source images in training and validation composites, so each digit's images are split 80/20
first (`split_sources`) and training composites use only training images. For each ordered pair
(d1, d2), `composites_per_pair` composites are drawn with replacement, the first 80% (rounded down)
from the training images, the rest from the validation images, as `composites.split_sizes` does
for MNIST. The result is a dataset file (`dataset_file.py`), the task `config/tasks/
digits_two_digits.yaml` describes.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from neural_sculpting.tasks.composites import split_sizes
from neural_sculpting.tasks.dataset_file import write_dataset_file

SIDE = 8
HEIGHT, WIDTH = SIDE, 2 * SIDE
N_INPUTS = HEIGHT * WIDTH  # 128
MAX_PIXEL = 16  # load_digits' pixels are counts 0-16
TRAIN_SHARE = 0.8
DEFAULT_COMPOSITES_PER_PAIR = 100
DEFAULT_SEED = 0


def load_sources() -> tuple[np.ndarray, np.ndarray]:
    """scikit-learn's digits: images float [1797, 8, 8] in 0-16, and their labels."""
    from sklearn.datasets import load_digits

    digits = load_digits()
    return np.asarray(digits.images, dtype=np.float64), np.asarray(digits.target, dtype=np.int64)


def split_sources(labels: np.ndarray, rng: np.random.Generator) -> dict[str, list[np.ndarray]]:
    """Per part (train, val) and digit, the indices of its source images: each digit's images
    shuffled and split 80/20 (the training part rounded down)."""
    parts: dict[str, list[np.ndarray]] = {"train": [], "val": []}
    for digit in range(10):
        pool = rng.permutation(np.flatnonzero(labels == digit))
        n_train = int(len(pool) * 4 // 5)
        parts["train"].append(np.sort(pool[:n_train]))
        parts["val"].append(np.sort(pool[n_train:]))
    return parts


def compose(left: np.ndarray, right: np.ndarray) -> np.ndarray:
    """8x8 images side by side, scaled to [0, 1] and flattened row-major: float32 [N, 128]."""
    pair = np.concatenate([left, right], axis=2) / MAX_PIXEL
    return pair.reshape(len(left), N_INPUTS).astype(np.float32)


def build_digits(
    composites_per_pair: int = DEFAULT_COMPOSITES_PER_PAIR,
    seed: int = DEFAULT_SEED,
    sources: tuple[np.ndarray, np.ndarray] | None = None,
) -> dict[str, np.ndarray]:
    """The four arrays of the two-digit task, and which source images each composite shows
    (`train_sources`, `val_sources`, [N, 2] indices into `load_digits`)."""
    images, labels = sources if sources is not None else load_sources()
    n_train, n_val = split_sizes(int(composites_per_pair))
    rng = np.random.default_rng(int(seed))
    pools = split_sources(labels, rng)
    drawn: dict[str, list[np.ndarray]] = {"train": [], "val": []}
    for d1 in range(10):
        for d2 in range(10):
            for part, n in (("train", n_train), ("val", n_val)):
                left = pools[part][d1][rng.integers(len(pools[part][d1]), size=n)]
                right = pools[part][d2][rng.integers(len(pools[part][d2]), size=n)]
                drawn[part].append(np.stack([left, right], axis=1))
    eye = np.eye(10, dtype=np.uint8)
    out: dict[str, np.ndarray] = {}
    for part in ("train", "val"):
        src = np.concatenate(drawn[part])
        out[f"x_{part}"] = compose(images[src[:, 0]], images[src[:, 1]])
        out[f"y_{part}"] = np.concatenate([eye[labels[src[:, 0]]], eye[labels[src[:, 1]]]], axis=1)
        out[f"{part}_sources"] = src
    return out


def write_digits(
    path: str | Path,
    composites_per_pair: int = DEFAULT_COMPOSITES_PER_PAIR,
    seed: int = DEFAULT_SEED,
) -> dict[str, np.ndarray]:
    """Build the task and write it as a dataset file (atomically)."""
    arrays = build_digits(composites_per_pair, seed)
    write_dataset_file(path, arrays["x_train"], arrays["y_train"], arrays["x_val"], arrays["y_val"])
    return arrays
