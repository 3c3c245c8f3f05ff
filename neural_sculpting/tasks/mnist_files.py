"""The original MNIST files, in torchvision's layout (`<root>/MNIST/raw/`).

`load_mnist` reads the four original IDX files, checking each file's MD5 (the sums torchvision
checks), its IDX magic number and its shape. torchvision is optional: where it imports,
`download=True` lets it fetch missing files; the files are read directly either way, so both
paths give the same arrays.
"""

from __future__ import annotations

import gzip
import hashlib
import zlib
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from neural_sculpting.foundations.errors import SculptError

SIDE = 28
N_TRAIN_IMAGES, N_TEST_IMAGES = 60_000, 10_000


@dataclass(frozen=True)
class _RawFile:
    name: str
    md5: str
    shape: tuple[int, ...]


# The MD5 sums torchvision checks (also in shared/data/MNIST/README.md).
RAW_FILES = {
    "train_images": _RawFile(
        "train-images-idx3-ubyte.gz", "f68b3c2dcbeaaa9fbdd348bbdeb94873", (N_TRAIN_IMAGES, 28, 28)
    ),
    "train_labels": _RawFile(
        "train-labels-idx1-ubyte.gz", "d53e105ee54ea40749a09fcbcd1e9432", (N_TRAIN_IMAGES,)
    ),
    "test_images": _RawFile(
        "t10k-images-idx3-ubyte.gz", "9fb629c4189551a2d022fa330f9573f3", (N_TEST_IMAGES, 28, 28)
    ),
    "test_labels": _RawFile(
        "t10k-labels-idx1-ubyte.gz", "ec29112dd5afa0611ce80d1b7f02629c", (N_TEST_IMAGES,)
    ),
}

HOW_TO_GET = (
    "run with download enabled on a machine with internet and torchvision, "
    "or copy the four original MNIST files there"
)


class MnistDataError(SculptError):
    """An MNIST file or a stored composite dataset that is missing or cannot be used."""


@dataclass(frozen=True, eq=False)
class MnistImages:
    """MNIST as uint8 arrays: images [N, 28, 28] (0-255) and labels [N] (0-9)."""

    train_images: np.ndarray
    train_labels: np.ndarray
    test_images: np.ndarray
    test_labels: np.ndarray

    def __post_init__(self) -> None:
        for part in ("train", "test"):
            images = getattr(self, f"{part}_images")
            labels = getattr(self, f"{part}_labels")
            if images.dtype != np.uint8 or images.ndim != 3 or images.shape[1:] != (SIDE, SIDE):
                raise MnistDataError(
                    f"{part} images must be uint8 [N, 28, 28], got {images.dtype} {images.shape}"
                )
            if labels.dtype != np.uint8 or labels.shape != images.shape[:1]:
                raise MnistDataError(
                    f"{part} labels must be uint8 [{len(images)}], got {labels.dtype} "
                    f"{labels.shape}"
                )
            if labels.size and labels.max() > 9:
                raise MnistDataError(f"{part} labels must be digits 0-9, got {labels.max()}")

    @property
    def pooled_images(self) -> np.ndarray:
        """Train then test images [N_train + N_test, 28, 28]: the pooled numbering."""
        return np.concatenate([self.train_images, self.test_images])

    @property
    def pooled_labels(self) -> np.ndarray:
        return np.concatenate([self.train_labels, self.test_labels])


def raw_dir(root: Path | str) -> Path:
    """Where torchvision keeps the IDX files for this root."""
    return Path(root) / "MNIST" / "raw"


def load_mnist(root: Path | str, *, download: bool = False, verify_md5: bool = True) -> MnistImages:
    """The four MNIST files under `<root>/MNIST/raw/`, checked and decoded.

    download: fetch missing or corrupt files through torchvision where it imports (never
    needed where the files are in place). verify_md5=False skips the checksum (for tests of
    the decoder's own checks); everything else is still checked.
    """
    folder = raw_dir(root)
    if download and _first_problem(folder, verify_md5) is not None:
        _download(root)
    arrays = {key: _read_raw(folder, raw, verify_md5) for key, raw in RAW_FILES.items()}
    for key in ("train_labels", "test_labels"):
        if arrays[key].max() > 9:
            raw = RAW_FILES[key]
            raise _file_error(folder / raw.name, f"labels above 9 ({arrays[key].max()})")
    return MnistImages(**arrays)


def _first_problem(folder: Path, verify_md5: bool) -> str | None:
    for raw in RAW_FILES.values():
        path = folder / raw.name
        if not path.is_file():
            return f"{raw.name} missing"
        if verify_md5 and _md5(path) != raw.md5:
            return f"{raw.name} has the wrong MD5"
    return None


def _torchvision_mnist() -> Any:
    """torchvision.datasets.MNIST, or None where torchvision does not import."""
    try:
        # PyPI's torchvision is a CUDA build that fails to import beside a CPU torch (and may
        # fail with errors other than ImportError), so any failure means "not available".
        from torchvision.datasets import MNIST
    except Exception:
        return None
    return MNIST


def _download(root: Path | str) -> None:
    mnist = _torchvision_mnist()
    if mnist is None:
        problem = _first_problem(raw_dir(root), verify_md5=True)
        raise MnistDataError(
            f"{problem} in {raw_dir(root)} and torchvision does not import, so it cannot be "
            "downloaded (pip install 'neural-sculpting[mnist]' on a machine with internet, "
            "or copy the four original MNIST files there)"
        )
    for train in (True, False):
        try:
            mnist(str(root), train=train, download=True)
        except Exception as exc:  # network, disk, checksum: all mean "no files"
            first = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
            raise MnistDataError(
                f"torchvision could not download MNIST into {raw_dir(root)}: {first}"
            ) from exc


def _file_error(path: Path, problem: str) -> MnistDataError:
    return MnistDataError(f"{path.name}: {problem}; expected at {path} ({HOW_TO_GET})")


def _md5(path: Path) -> str:
    with path.open("rb") as handle:
        return hashlib.file_digest(handle, lambda: hashlib.md5(usedforsecurity=False)).hexdigest()


def _read_raw(folder: Path, raw: _RawFile, verify_md5: bool) -> np.ndarray:
    path = folder / raw.name
    if not path.is_file():
        raise _file_error(path, "missing")
    if verify_md5:
        digest = _md5(path)
        if digest != raw.md5:
            raise _file_error(path, f"MD5 {digest}, expected {raw.md5} (corrupt or not MNIST)")
    array = read_idx(path)
    if array.shape != raw.shape:
        raise _file_error(path, f"holds shape {array.shape}, expected {raw.shape}")
    return array


# IDX magic: two zero bytes, the element type (0x08 = unsigned byte), the number of dimensions.
_UBYTE = 0x08


def read_idx(path: Path | str) -> np.ndarray:
    """Decode a gzip-compressed IDX file of unsigned bytes (MNIST's format) to a uint8 array."""
    path = Path(path)
    try:
        with gzip.open(path, "rb") as handle:
            data = handle.read()
    except (OSError, EOFError, zlib.error) as exc:
        # gzip raises BadGzipFile (an OSError) for a bad header and EOFError when cut short.
        raise _file_error(path, f"not a readable gzip file ({type(exc).__name__})") from exc
    if len(data) < 4:
        raise _file_error(path, f"truncated: {len(data)} bytes, no IDX header")
    zero, dtype, ndim = int.from_bytes(data[:2], "big"), data[2], data[3]
    if zero != 0 or dtype != _UBYTE or ndim not in (1, 3):
        raise _file_error(path, f"bad IDX magic number 0x{data[:4].hex()}")
    header = 4 + 4 * ndim
    if len(data) < header:
        raise _file_error(path, f"truncated: {len(data)} bytes, header needs {header}")
    shape = tuple(int.from_bytes(data[4 + 4 * i : 8 + 4 * i], "big") for i in range(ndim))
    size = int(np.prod(shape))
    if len(data) != header + size:
        state = "truncated" if len(data) < header + size else "too long"
        raise _file_error(
            path, f"{state}: {len(data) - header} data bytes, header {shape} needs {size}"
        )
    return np.frombuffer(data, dtype=np.uint8, offset=header).reshape(shape).copy()
