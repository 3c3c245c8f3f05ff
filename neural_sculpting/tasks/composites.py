"""The paper's composite two-digit MNIST datasets (Section 5.5 and Appendix F).

`build_composites` draws the composite 28x56 images. Source images are numbered in one pooled
index: 0..59999 are MNIST-train images, 60000..69999 are MNIST-test images (60000 + test index).
Datasets are stored as uint8 (raw pixels 0-255, 0/1 targets); the engine scales pixels to [0, 1]
on the device (`engine/data.py`).
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Literal

import numpy as np

from neural_sculpting.foundations.atomic import atomic_path
from neural_sculpting.foundations.errors import SculptError
from neural_sculpting.tasks.mnist_files import SIDE, MnistDataError, MnistImages

Task = Literal["two_digits", "hierarchical"]
Split = Literal["paper", "disjoint"]
TASKS: tuple[str, ...] = ("two_digits", "hierarchical")
SPLITS: tuple[str, ...] = ("paper", "disjoint")

HEIGHT, WIDTH = SIDE, 2 * SIDE
N_INPUTS = HEIGHT * WIDTH  # 1568
DEFAULT_COMPOSITES_PER_PAIR = 1000
DEFAULT_SEED = 0

# The digits each task pairs, and its number of outputs.
TASK_DIGITS = {"two_digits": 10, "hierarchical": 8}
TASK_OUTPUTS = {"two_digits": 20, "hierarchical": 3}


class MnistSettingsError(SculptError):
    """Composite-dataset settings that cannot be built (unknown task, too few composites)."""


@dataclass(frozen=True, eq=False)
class CompositeDataset:
    """Composite two-digit images with their targets, stored compactly.

    x: uint8 [N, 1568] raw pixels (row-major 28x56: each row is 28 pixels of d1, then 28 of d2).
    y: uint8 [N, 20] (two_digits: one-hot d1, one-hot d2) or [N, 3] (hierarchical: d1 XOR d2,
    big-endian). digits: uint8 [N, 2], the (d1, d2) of each composite. sources: int32 [N, 2],
    the pooled indices of the two source images (< 60000: MNIST-train, else 60000 + test index).
    Rows are grouped by pair in (d1, d2) order, each pair's rows in draw order.
    """

    task: str
    split: str
    composites_per_pair: int
    seed: int
    train_x: np.ndarray
    train_y: np.ndarray
    train_digits: np.ndarray
    train_sources: np.ndarray
    val_x: np.ndarray
    val_y: np.ndarray
    val_digits: np.ndarray
    val_sources: np.ndarray

    @property
    def n_inputs(self) -> int:
        return self.train_x.shape[1]

    @property
    def n_outputs(self) -> int:
        return self.train_y.shape[1]

    def save(self, path: Path | str) -> None:
        """Write a compressed .npz atomically (complete or not at all)."""
        arrays = {name: getattr(self, name) for name in _ARRAYS}
        meta = {name: np.asarray(getattr(self, name)) for name in _META}
        with atomic_path(path) as tmp, tmp.open("wb") as handle:
            # A file object, not a name: savez would append ".npz" to a name without it.
            np.savez_compressed(handle, **arrays, **meta)

    @classmethod
    def load(cls, path: Path | str) -> CompositeDataset:
        """Read a dataset written by `save`, checking its fields."""
        path = Path(path)
        if not path.is_file():
            raise MnistDataError(f"{path}: no composite dataset there (build it with mnist-data)")
        try:
            with np.load(path, allow_pickle=False) as npz:
                stored = {name: npz[name] for name in npz.files}
        except Exception as exc:  # zip, pickle or format errors: all mean "not our file"
            raise MnistDataError(f"{path}: not a readable .npz ({type(exc).__name__})") from exc
        missing = [name for name in (*_META, *_ARRAYS) if name not in stored]
        if missing:
            raise MnistDataError(f"{path}: not a composite dataset (no {', '.join(missing)})")
        dataset = cls(
            task=str(stored["task"]),
            split=str(stored["split"]),
            composites_per_pair=int(stored["composites_per_pair"]),
            seed=int(stored["seed"]),
            **{name: stored[name] for name in _ARRAYS},
        )
        problem = _shape_problem(dataset)
        if problem:
            raise MnistDataError(f"{path}: {problem}")
        return dataset


_META = ("task", "split", "composites_per_pair", "seed")
_ARRAYS = (
    "train_x",
    "train_y",
    "train_digits",
    "train_sources",
    "val_x",
    "val_y",
    "val_digits",
    "val_sources",
)


def _shape_problem(dataset: CompositeDataset) -> str | None:
    if dataset.task not in TASKS or dataset.split not in SPLITS:
        return f"unknown task {dataset.task!r} or split {dataset.split!r}"
    n_pairs = TASK_DIGITS[dataset.task] ** 2
    try:
        n_train, n_val = split_sizes(dataset.composites_per_pair)
    except MnistSettingsError as exc:
        return str(exc)
    widths = {"x": N_INPUTS, "y": TASK_OUTPUTS[dataset.task], "digits": 2, "sources": 2}
    for part, rows in (("train", n_pairs * n_train), ("val", n_pairs * n_val)):
        for field, width in widths.items():
            array = getattr(dataset, f"{part}_{field}")
            dtype = np.int32 if field == "sources" else np.uint8
            if array.shape != (rows, width) or array.dtype != dtype:
                return (
                    f"{part}_{field} is {array.dtype} {array.shape}, expected "
                    f"{np.dtype(dtype)} {(rows, width)}"
                )
    return None


def split_sizes(composites_per_pair: int) -> tuple[int, int]:
    """(train, validation) composites per pair: the first 80% (rounded down) and the rest."""
    if isinstance(composites_per_pair, bool) or not isinstance(
        composites_per_pair, int | np.integer
    ):
        raise MnistSettingsError(
            f"composites_per_pair must be an integer, got {composites_per_pair!r}"
        )
    n_train = int(composites_per_pair * 4 // 5)  # exact 80% in integers, no float rounding
    n_val = int(composites_per_pair) - n_train
    if n_train < 1 or n_val < 1:
        raise MnistSettingsError(
            f"composites_per_pair must be at least 2 (one train, one validation composite per "
            f"pair), got {composites_per_pair}"
        )
    return n_train, n_val


def digit_pairs(task: str) -> list[tuple[int, int]]:
    """The task's ordered digit pairs in (d1, d2) order: 100 (two_digits) or 64 (hierarchical)."""
    if task not in TASKS:
        raise MnistSettingsError(f"unknown MNIST task {task!r}; choose one of {', '.join(TASKS)}")
    digits = range(TASK_DIGITS[task])
    return [(d1, d2) for d1 in digits for d2 in digits]


def targets(task: str, digits: np.ndarray) -> np.ndarray:
    """uint8 targets for (d1, d2) rows [N, 2]: one-hot d1 then one-hot d2 (two_digits), or the
    3-bit big-endian code of d1 XOR d2 (hierarchical)."""
    digits = np.asarray(digits)
    if task == "two_digits":
        eye = np.eye(10, dtype=np.uint8)
        return np.concatenate([eye[digits[:, 0]], eye[digits[:, 1]]], axis=1)
    if task == "hierarchical":
        code = np.bitwise_xor(digits[:, 0], digits[:, 1]).astype(np.uint8)
        return np.stack([(code >> shift) & 1 for shift in (2, 1, 0)], axis=1).astype(np.uint8)
    raise MnistSettingsError(f"unknown MNIST task {task!r}; choose one of {', '.join(TASKS)}")


def build_composites(
    images: MnistImages,
    task: Task,
    split: Split = "paper",
    composites_per_pair: int = DEFAULT_COMPOSITES_PER_PAIR,
    seed: int = DEFAULT_SEED,
) -> CompositeDataset:
    """The composite dataset of `task` (Section 5.5 and Appendix F).

    For each ordered pair (d1, d2) in `digit_pairs(task)` order, with n_train, n_val =
    `split_sizes(composites_per_pair)`, one generator `numpy.random.default_rng(seed)` draws,
    with replacement: n_train sources of d1, n_val of d1, n_train of d2, n_val of d2 (each a
    uniform index into that digit's pool). split="paper": every pool is all 70,000 images of
    the digit, so the first n_train composites train and the rest validate; split="disjoint":
    training sources come from MNIST-train only and validation sources from MNIST-test only.
    The same arguments give the identical dataset.
    """
    pairs = digit_pairs(task)
    if split not in SPLITS:
        raise MnistSettingsError(
            f"unknown MNIST split {split!r}; choose one of {', '.join(SPLITS)}"
        )
    if isinstance(seed, bool) or not isinstance(seed, int | np.integer) or seed < 0:
        raise MnistSettingsError(f"seed must be a non-negative integer, got {seed!r}")
    n_train, n_val = split_sizes(composites_per_pair)
    pools = _pools(images, split, TASK_DIGITS[task])

    rng = np.random.default_rng(int(seed))
    sources = {"train": [], "val": []}
    for d1, d2 in pairs:
        drawn = {}
        for digit, side in ((d1, 0), (d2, 1)):
            for part, n in (("train", n_train), ("val", n_val)):
                pool = pools[part][digit]
                drawn[part, side] = pool[rng.integers(len(pool), size=n)]
        for part in sources:
            sources[part].append(np.stack([drawn[part, 0], drawn[part, 1]], axis=1))

    pooled_images, pooled_labels = images.pooled_images, images.pooled_labels
    fields: dict[str, np.ndarray] = {}
    for part in ("train", "val"):
        src = np.concatenate(sources[part]).astype(np.int32)
        digits = pooled_labels[src]
        fields[f"{part}_x"] = compose(pooled_images[src[:, 0]], pooled_images[src[:, 1]])
        fields[f"{part}_y"] = targets(task, digits)
        fields[f"{part}_digits"] = digits
        fields[f"{part}_sources"] = src
    return CompositeDataset(task, split, int(composites_per_pair), int(seed), **fields)


def _pools(images: MnistImages, split: str, n_digits: int) -> dict[str, list[np.ndarray]]:
    """Pooled indices of each digit's source images, for the training and validation draws."""
    n_train_images = len(images.train_images)
    train_part = np.arange(n_train_images)
    test_part = n_train_images + np.arange(len(images.test_images))
    labels = images.pooled_labels
    if split == "paper":
        both = np.concatenate([train_part, test_part])
        parts = {"train": both, "val": both}
    else:
        parts = {"train": train_part, "val": test_part}
    pools: dict[str, list[np.ndarray]] = {}
    for part, indices in parts.items():
        pools[part] = [indices[labels[indices] == d] for d in range(n_digits)]
        for digit, pool in enumerate(pools[part]):
            if len(pool) == 0:
                source = (
                    "MNIST" if split == "paper" else ("MNIST-train", "MNIST-test")[part == "val"]
                )
                raise MnistSettingsError(f"no image of digit {digit} in {source} to draw from")
    return pools


def compose(left: np.ndarray, right: np.ndarray) -> np.ndarray:
    """Images [N, 28, 28] side by side -> row-major flattened 28x56 composites, uint8 [N, 1568]."""
    return np.concatenate([left, right], axis=2).reshape(len(left), N_INPUTS)


def pixel_side() -> np.ndarray:
    """Which digit each of the 1568 inputs shows: 0 for d1 (columns 0-27), 1 for d2 (28-55)."""
    return (np.arange(N_INPUTS) % WIDTH >= SIDE).astype(np.int64)


def dead_pixels(dataset: CompositeDataset) -> np.ndarray:
    """bool [1568]: inputs that are zero in every composite, training and validation."""
    alive = dataset.train_x.any(axis=0) | dataset.val_x.any(axis=0)
    return ~alive


def task_name(dataset: str) -> str:
    """The task a composite dataset's networks learn (`config/tasks/<name>.yaml`)."""
    return f"mnist_{dataset}"
