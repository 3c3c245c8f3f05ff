"""A researcher's own data as a task: one `.npz` file with `x_train`, `y_train`, `x_val`, `y_val`.

Inputs are floats, or uint8 pixels (scaled to [0, 1] by 1/255 when rows are gathered, as MNIST's
are). A 2-D target array is 0/1 multi-label: one sigmoid output per column. A 1-D integer array is
class labels 0..C-1, which become C one-hot outputs (C = the largest label of either split, plus
one), scored as one class group by the per-digit (per-class) accuracy.

Every problem a file can have is one line naming the file and the array (`DatasetFileError`), found
before anything is trained: a missing file or array, an array of the wrong shape or dtype, a NaN
or an infinity, a target that is not 0/1, splits of different widths.
"""

from __future__ import annotations

import dataclasses
import functools
import zipfile
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from neural_sculpting.foundations.errors import SculptError

ARRAYS = ("x_train", "y_train", "x_val", "y_val")


class DatasetFileError(SculptError):
    """A dataset file that cannot be a task; one line naming the file and the array."""


@dataclass(frozen=True)
class DatasetArrays:
    """A checked dataset file: inputs [N, n] (float32 or uint8), 0/1 targets [N, m] as uint8,
    and, for class labels, the output slice [0, C) that is one class group."""

    path: Path
    x_train: np.ndarray
    y_train: np.ndarray
    x_val: np.ndarray
    y_val: np.ndarray
    class_groups: tuple[tuple[int, int], ...] = ()
    sha256: str | None = None

    @property
    def n_inputs(self) -> int:
        return int(self.x_train.shape[1])

    @property
    def n_outputs(self) -> int:
        return int(self.y_train.shape[1])

    @property
    def pixels(self) -> bool:
        """Whether inputs are uint8 (scaled by 1/255 for the network)."""
        return self.x_train.dtype == np.uint8

    def summary(self) -> str:
        kind = "uint8 pixels / 255" if self.pixels else "floats"
        targets = (
            f"{self.class_groups[0][1]} classes (one-hot)"
            if self.class_groups
            else "0/1 multi-label"
        )
        return (
            f"{self.path}: {len(self.x_train)} training and {len(self.x_val)} validation rows, "
            f"{self.n_inputs} inputs ({kind}), {self.n_outputs} outputs ({targets})"
        )


def _fail(path: Path, problem: str) -> DatasetFileError:
    return DatasetFileError(f"{path}: {problem}")


def _read(path: Path) -> dict[str, np.ndarray]:
    if not path.is_file():
        raise _fail(path, "no such dataset file")
    if not zipfile.is_zipfile(path):
        raise _fail(path, "not an .npz file (numpy.savez writes one)")
    try:
        with np.load(path, allow_pickle=False) as npz:
            names = list(npz.files)
            missing = [a for a in ARRAYS if a not in names]
            if missing:
                held = ", ".join(names) or "no arrays"
                raise _fail(path, f"array {missing[0]} is missing (the file holds: {held})")
            return {a: npz[a] for a in ARRAYS}
    except DatasetFileError:
        raise
    except ValueError:  # object arrays need pickles, which are never loaded
        raise _fail(path, "an array holds Python objects; save numbers (no pickles)") from None
    except (OSError, zipfile.BadZipFile, EOFError) as exc:
        raise _fail(path, f"not an .npz file ({type(exc).__name__})") from None


def _inputs(path: Path, name: str, x: np.ndarray) -> np.ndarray:
    if x.ndim != 2:
        raise _fail(path, f"{name} must be 2-D (rows x features), got shape {x.shape}")
    if x.shape[0] == 0 or x.shape[1] == 0:
        raise _fail(path, f"{name} has no rows or no features (shape {x.shape})")
    if x.dtype == np.uint8:
        return x
    if not np.issubdtype(x.dtype, np.floating):
        raise _fail(path, f"{name} has dtype {x.dtype}; inputs are floats, or uint8 pixels")
    if not np.isfinite(x).all():
        row = int(np.flatnonzero(~np.isfinite(x).all(axis=1))[0])
        raise _fail(path, f"{name} holds a NaN or an infinity (row {row})")
    return x.astype(np.float32)


def _targets(path: Path, name: str, y: np.ndarray) -> np.ndarray:
    """0/1 targets as uint8 [N, m], or class labels as int64 [N]."""
    if y.ndim == 1:
        if not (np.issubdtype(y.dtype, np.integer) or y.dtype == np.bool_):
            raise _fail(path, f"{name} is 1-D (class labels) but not integers ({y.dtype})")
        if y.size and y.min() < 0:
            raise _fail(path, f"{name} holds a negative class label ({int(y.min())})")
        return y.astype(np.int64)
    if y.ndim != 2 or y.shape[1] == 0:
        raise _fail(path, f"{name} must be 2-D 0/1 targets or 1-D labels, got shape {y.shape}")
    if not (np.issubdtype(y.dtype, np.number) or y.dtype == np.bool_):
        raise _fail(path, f"{name} has dtype {y.dtype}; targets are 0/1 numbers")
    values = np.asarray(y, dtype=np.float64)
    bad = ~((values == 0) | (values == 1))
    if bad.any():
        row, col = (int(i[0]) for i in np.nonzero(bad))
        raise _fail(path, f"{name} is not 0/1 (row {row}, column {col}: {values[row, col]!r})")
    return values.astype(np.uint8)


def _one_hot(labels: np.ndarray, classes: int) -> np.ndarray:
    out = np.zeros((len(labels), classes), dtype=np.uint8)
    out[np.arange(len(labels)), labels] = 1
    return out


@functools.lru_cache(maxsize=8)
def _load_cached(path: Path, mtime_ns: int, size: int) -> DatasetArrays:
    from neural_sculpting.foundations.atomic import file_sha256

    arrays = check_arrays(_read(path), path)
    return dataclasses.replace(arrays, sha256=file_sha256(path))


def check_arrays(raw: Mapping[str, np.ndarray], path: Path | str = "arrays") -> DatasetArrays:
    """The checks of a dataset file, on arrays in memory (the Python API's); `path` names them
    in messages."""
    path = Path(path)
    missing = [a for a in ARRAYS if raw.get(a) is None]
    if missing:
        raise _fail(path, f"array {missing[0]} is missing")
    raw = {a: np.asarray(raw[a]) for a in ARRAYS}
    xs = {n: _inputs(path, n, raw[n]) for n in ("x_train", "x_val")}
    ys = {n: _targets(path, n, raw[n]) for n in ("y_train", "y_val")}
    for split in ("train", "val"):
        if len(xs[f"x_{split}"]) != len(ys[f"y_{split}"]):
            raise _fail(
                path,
                f"x_{split} has {len(xs[f'x_{split}'])} rows but y_{split} has "
                f"{len(ys[f'y_{split}'])}",
            )
    if xs["x_train"].shape[1] != xs["x_val"].shape[1]:
        raise _fail(
            path,
            f"x_train has {xs['x_train'].shape[1]} features but x_val has {xs['x_val'].shape[1]}",
        )
    if xs["x_train"].dtype != xs["x_val"].dtype:
        raise _fail(
            path,
            f"x_train is {xs['x_train'].dtype} but x_val is {xs['x_val'].dtype}: both uint8 "
            "pixels or both floats, or the two splits are scaled differently",
        )
    if ys["y_train"].ndim != ys["y_val"].ndim:
        raise _fail(path, "y_train and y_val must both be class labels (1-D) or both 0/1 (2-D)")
    groups: tuple[tuple[int, int], ...] = ()
    if ys["y_train"].ndim == 1:
        classes = int(max(ys["y_train"].max(), ys["y_val"].max())) + 1
        if classes < 2:
            raise _fail(path, "y_train and y_val hold one class only; a task needs two or more")
        ys = {n: _one_hot(y, classes) for n, y in ys.items()}
        groups = ((0, classes),)
    elif ys["y_train"].shape[1] != ys["y_val"].shape[1]:
        raise _fail(
            path,
            f"y_train has {ys['y_train'].shape[1]} columns but y_val has {ys['y_val'].shape[1]}",
        )
    return DatasetArrays(
        path=path,
        x_train=xs["x_train"],
        y_train=ys["y_train"],
        x_val=xs["x_val"],
        y_val=ys["y_val"],
        class_groups=groups,
    )


def load_dataset_file(path: str | Path) -> DatasetArrays:
    """Read and check a dataset file (raises `DatasetFileError` in one line). Cached per
    process by the file's path, size and modification time, as a plan reads it once to check
    it and a job reads it again to train."""
    path = Path(path)
    try:
        stat = path.stat()
    except OSError:
        raise _fail(path, "no such dataset file") from None
    return _load_cached(path, stat.st_mtime_ns, stat.st_size)


def write_dataset_file(
    path: str | Path,
    x_train: np.ndarray,
    y_train: np.ndarray,
    x_val: np.ndarray,
    y_val: np.ndarray,
) -> Path:
    """Write the four arrays as a dataset file, atomically (a reader never sees half a file)."""
    from neural_sculpting.foundations.atomic import atomic_path

    path = Path(path)
    arrays = dict(zip(ARRAYS, (x_train, y_train, x_val, y_val), strict=True))
    with atomic_path(path) as tmp, tmp.open("wb") as handle:
        np.savez_compressed(handle, **{k: np.asarray(v) for k, v in arrays.items()})
    return path
