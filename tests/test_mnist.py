"""MNIST loading and the composite datasets of Section 5.5 and Appendix F.

Checked against independent facts: the real files in ``shared/data/MNIST/raw`` (image counts, the
published per-digit label counts, MD5 sums from the data README), hand-made images whose composite
pixels are computed by hand, and XOR codes worked out by hand. Corrupt-file cases use small fake
files; nothing downloads.
"""

from __future__ import annotations

import argparse
import gzip
import shutil
from pathlib import Path

import numpy as np
import pytest

from neural_sculpting.cli import mnist as mnist_cli
from neural_sculpting.tasks import mnist_files
from neural_sculpting.tasks.composites import (
    CompositeDataset,
    MnistSettingsError,
    build_composites,
    dead_pixels,
    digit_pairs,
    pixel_side,
    split_sizes,
)
from neural_sculpting.tasks.mnist_files import MnistDataError, MnistImages, load_mnist, read_idx

DATA_ROOT = Path(__file__).resolve().parents[1].parent / "shared" / "data"
RAW_NAMES = (
    "train-images-idx3-ubyte.gz",
    "train-labels-idx1-ubyte.gz",
    "t10k-images-idx3-ubyte.gz",
    "t10k-labels-idx1-ubyte.gz",
)
# Published label counts of MNIST (LeCun et al.): training set and test set, digits 0-9.
TRAIN_COUNTS = [5923, 6742, 5958, 6131, 5842, 5421, 5918, 6265, 5851, 5949]
TEST_COUNTS = [980, 1135, 1032, 1010, 982, 892, 958, 1028, 974, 1009]


@pytest.fixture(scope="module")
def real() -> MnistImages:
    folder = DATA_ROOT / "MNIST" / "raw"
    missing = [name for name in RAW_NAMES if not (folder / name).is_file()]
    if missing:
        pytest.fail(f"real MNIST files missing from {folder}: {', '.join(missing)}")
    return load_mnist(DATA_ROOT)


def idx_bytes(array: np.ndarray) -> bytes:
    """The IDX encoding: 0x00 0x00, type 0x08 (ubyte), ndim, big-endian int32 sizes, data."""
    header = bytes([0, 0, 0x08, array.ndim])
    header += b"".join(int(n).to_bytes(4, "big") for n in array.shape)
    return header + array.astype(np.uint8).tobytes()


def write_gz(path: Path, payload: bytes) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(gzip.compress(payload))
    return path


def copy_real_root(tmp_path: Path) -> Path:
    """A root holding copies of the real files (to corrupt one of them)."""
    raw = tmp_path / "root" / "MNIST" / "raw"
    raw.mkdir(parents=True)
    for name in RAW_NAMES:
        shutil.copyfile(DATA_ROOT / "MNIST" / "raw" / name, raw / name)
    return tmp_path / "root"


def assert_one_line_naming(exc: pytest.ExceptionInfo, path: Path, *words: str) -> None:
    message = str(exc.value)
    assert "\n" not in message
    assert str(path) in message
    for word in words:
        assert word in message, (word, message)


# ----------------------------------------------------------------------------------------------
# The real files


def test_real_mnist_counts_and_pixels(real: MnistImages) -> None:
    assert real.train_images.shape == (60000, 28, 28)
    assert real.test_images.shape == (10000, 28, 28)
    assert real.train_images.dtype == np.uint8 and real.train_labels.dtype == np.uint8
    assert np.bincount(real.train_labels, minlength=10).tolist() == TRAIN_COUNTS
    assert np.bincount(real.test_labels, minlength=10).tolist() == TEST_COUNTS
    for images in (real.train_images, real.test_images):
        assert images.min() == 0 and images.max() == 255
        # MNIST digits are centred in a 20x20 box: the corners are blank in every image.
        assert not images[:, 0, 0].any() and not images[:, 27, 27].any()


def test_read_idx_decodes_hand_made_file(tmp_path: Path) -> None:
    # magic 0x00000803, sizes 2 x 2 x 3, then 12 bytes row-major.
    payload = bytes([0, 0, 8, 3, 0, 0, 0, 2, 0, 0, 0, 2, 0, 0, 0, 3, *range(12)])
    path = write_gz(tmp_path / "x.gz", payload)
    assert read_idx(path).tolist() == [[[0, 1, 2], [3, 4, 5]], [[6, 7, 8], [9, 10, 11]]]
    labels = write_gz(tmp_path / "y.gz", bytes([0, 0, 8, 1, 0, 0, 0, 3, 7, 0, 9]))
    assert read_idx(labels).tolist() == [7, 0, 9]


# ----------------------------------------------------------------------------------------------
# Missing and corrupt files


def test_missing_file(tmp_path: Path) -> None:
    with pytest.raises(MnistDataError) as exc:
        load_mnist(tmp_path)
    expected = tmp_path / "MNIST" / "raw" / "train-images-idx3-ubyte.gz"
    assert_one_line_naming(exc, expected, "train-images-idx3-ubyte.gz", "missing", "download")


def test_wrong_md5_names_the_corrupt_file(tmp_path: Path) -> None:
    root = copy_real_root(tmp_path)
    target = root / "MNIST" / "raw" / "t10k-labels-idx1-ubyte.gz"
    data = bytearray(target.read_bytes())
    data[-1] ^= 0xFF  # one flipped byte
    target.write_bytes(bytes(data))
    with pytest.raises(MnistDataError) as exc:
        load_mnist(root)
    assert_one_line_naming(exc, target, "MD5", "ec29112dd5afa0611ce80d1b7f02629c")


def test_fake_file_fails_md5(tmp_path: Path) -> None:
    raw = tmp_path / "MNIST" / "raw"
    path = write_gz(raw / "train-images-idx3-ubyte.gz", idx_bytes(np.zeros((2, 28, 28))))
    with pytest.raises(MnistDataError) as exc:
        load_mnist(tmp_path)
    assert_one_line_naming(exc, path, "MD5", "f68b3c2dcbeaaa9fbdd348bbdeb94873")


def test_bad_magic(tmp_path: Path) -> None:
    raw = tmp_path / "MNIST" / "raw"
    # type 0x0D (float) instead of 0x08 (unsigned byte)
    path = write_gz(raw / "train-images-idx3-ubyte.gz", bytes([0, 0, 0x0D, 3]) + bytes(12))
    with pytest.raises(MnistDataError) as exc:
        load_mnist(tmp_path, verify_md5=False)
    assert_one_line_naming(exc, path, "magic", "0x00000d03")


def test_truncated_data(tmp_path: Path) -> None:
    raw = tmp_path / "MNIST" / "raw"
    # The header promises 60000 x 28 x 28 bytes; 100 follow.
    header = bytes([0, 0, 8, 3]) + b"".join(n.to_bytes(4, "big") for n in (60000, 28, 28))
    path = write_gz(raw / "train-images-idx3-ubyte.gz", header + bytes(100))
    with pytest.raises(MnistDataError) as exc:
        load_mnist(tmp_path, verify_md5=False)
    assert_one_line_naming(exc, path, "truncated")


def test_truncated_gzip_stream(tmp_path: Path) -> None:
    raw = tmp_path / "MNIST" / "raw"
    raw.mkdir(parents=True)
    real_labels = (DATA_ROOT / "MNIST" / "raw" / "train-labels-idx1-ubyte.gz").read_bytes()
    shutil.copyfile(
        DATA_ROOT / "MNIST" / "raw" / "train-images-idx3-ubyte.gz",
        raw / "train-images-idx3-ubyte.gz",
    )
    path = raw / "train-labels-idx1-ubyte.gz"
    path.write_bytes(real_labels[: len(real_labels) // 2])
    for verify in (True, False):  # MD5 catches it; without MD5, the gzip reader does
        with pytest.raises(MnistDataError) as exc:
            load_mnist(tmp_path, verify_md5=verify)
        assert_one_line_naming(exc, path, "train-labels-idx1-ubyte.gz")


def test_wrong_shape(tmp_path: Path) -> None:
    raw = tmp_path / "MNIST" / "raw"
    path = write_gz(raw / "train-images-idx3-ubyte.gz", idx_bytes(np.zeros((5, 28, 28))))
    with pytest.raises(MnistDataError) as exc:
        load_mnist(tmp_path, verify_md5=False)
    assert_one_line_naming(exc, path, "(5, 28, 28)", "(60000, 28, 28)")


def test_not_gzip(tmp_path: Path) -> None:
    path = tmp_path / "MNIST" / "raw" / "train-images-idx3-ubyte.gz"
    path.parent.mkdir(parents=True)
    path.write_bytes(b"<html>not found</html>")
    with pytest.raises(MnistDataError) as exc:
        load_mnist(tmp_path, verify_md5=False)
    assert_one_line_naming(exc, path, "gzip")


def test_download_without_torchvision(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(mnist_files, "_torchvision_mnist", lambda: None)
    with pytest.raises(MnistDataError) as exc:
        load_mnist(tmp_path, download=True)
    assert_one_line_naming(exc, tmp_path / "MNIST" / "raw", "torchvision", "missing")


def test_download_goes_through_torchvision(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    calls = []

    class FakeMNIST:  # stands in for torchvision.datasets.MNIST: "downloads" by copying
        def __init__(self, root: str, train: bool, download: bool) -> None:
            calls.append((root, train, download))
            raw = Path(root) / "MNIST" / "raw"
            raw.mkdir(parents=True, exist_ok=True)
            for name in RAW_NAMES:
                shutil.copyfile(DATA_ROOT / "MNIST" / "raw" / name, raw / name)

    monkeypatch.setattr(mnist_files, "_torchvision_mnist", lambda: FakeMNIST)
    images = load_mnist(tmp_path, download=True)
    assert calls == [(str(tmp_path), True, True), (str(tmp_path), False, True)]
    assert np.bincount(images.train_labels).tolist() == TRAIN_COUNTS
    # Files in place: no second download.
    load_mnist(tmp_path, download=True)
    assert len(calls) == 2


# ----------------------------------------------------------------------------------------------
# Composites


def hand_made_images() -> MnistImages:
    """One image per digit in train and in test; digit d has one pixel, (d, d) = 10 + d."""
    images = np.zeros((10, 28, 28), dtype=np.uint8)
    for d in range(10):
        images[d, d, d] = 10 + d
    labels = np.arange(10, dtype=np.uint8)
    return MnistImages(images, labels, images.copy(), labels.copy())


def test_row_major_layout_on_hand_made_images() -> None:
    data = build_composites(hand_made_images(), "two_digits", "paper", 5, seed=3)
    rows = np.flatnonzero((data.train_digits == (3, 7)).all(axis=1))
    assert len(rows) == 4
    x = data.train_x[rows[0]]
    # Row 3, column 3 of the left digit; row 7, column 28 + 7 of the right digit.
    expected = np.zeros(1568, dtype=np.uint8)
    expected[3 * 56 + 3] = 13
    expected[7 * 56 + 28 + 7] = 17
    np.testing.assert_array_equal(x, expected)


def test_dead_pixels_on_hand_made_images() -> None:
    # Disjoint split: training composites use the train images ((d, d) inked), validation
    # composites the test images, inked at (d + 10, d) instead; both count.
    train = hand_made_images()
    test = np.zeros((10, 28, 28), dtype=np.uint8)
    for d in range(10):
        test[d, d + 10, d] = 50
    images = MnistImages(train.train_images, train.train_labels, test, train.test_labels)
    data = build_composites(images, "hierarchical", "disjoint", 5, seed=0)
    alive = [d * 56 + d for d in range(8)] + [d * 56 + 28 + d for d in range(8)]
    alive += [(d + 10) * 56 + d for d in range(8)] + [(d + 10) * 56 + 28 + d for d in range(8)]
    expected = np.ones(1568, dtype=bool)
    expected[alive] = False
    np.testing.assert_array_equal(dead_pixels(data), expected)


def test_pixel_side() -> None:
    side = pixel_side()
    assert side.shape == (1568,)
    assert side[[0, 27, 28, 55, 56, 83, 84, 1567]].tolist() == [0, 0, 1, 1, 0, 0, 1, 1]
    assert side.sum() == 784


@pytest.fixture(scope="module")
def two_digits(real: MnistImages) -> CompositeDataset:
    return build_composites(real, "two_digits", "paper", composites_per_pair=10, seed=0)


def test_two_digit_sizes_and_pairs(two_digits: CompositeDataset) -> None:
    data = two_digits
    assert data.train_x.shape == (800, 1568) and data.val_x.shape == (200, 1568)
    assert data.train_x.dtype == np.uint8 and data.train_y.shape == (800, 20)
    assert data.val_y.shape == (200, 20)
    for part, per_pair in ((data.train_digits, 8), (data.val_digits, 2)):
        codes = part[:, 0].astype(int) * 10 + part[:, 1]
        assert np.bincount(codes, minlength=100).tolist() == [per_pair] * 100
        # Grouped by pair in (d1, d2) order.
        assert codes.tolist() == np.repeat(np.arange(100), per_pair).tolist()


def test_composite_halves_are_the_source_images(
    real: MnistImages, two_digits: CompositeDataset
) -> None:
    pool = np.concatenate([real.train_images, real.test_images])
    labels = np.concatenate([real.train_labels, real.test_labels])
    for x, digits, sources in (
        (two_digits.train_x, two_digits.train_digits, two_digits.train_sources),
        (two_digits.val_x, two_digits.val_digits, two_digits.val_sources),
    ):
        images = x.reshape(-1, 28, 56)
        np.testing.assert_array_equal(images[:, :, :28], pool[sources[:, 0]])
        np.testing.assert_array_equal(images[:, :, 28:], pool[sources[:, 1]])
        np.testing.assert_array_equal(labels[sources], digits)


def test_paper_split_pools_train_and_test(two_digits: CompositeDataset) -> None:
    # 1600 training and 400 validation draws from 70,000 images, 1/7 of them MNIST-test: both
    # parts use both halves of the pool (a miss would have probability below 1e-20).
    for sources in (two_digits.train_sources, two_digits.val_sources):
        assert (sources < 60000).any() and (sources >= 60000).any()
        assert sources.min() >= 0 and sources.max() < 70000


def test_two_digit_targets_by_hand(two_digits: CompositeDataset) -> None:
    hand = {(5, 3): {5, 13}, (0, 0): {0, 10}, (9, 1): {9, 11}, (2, 8): {2, 18}}
    for (d1, d2), ones in hand.items():
        row = np.flatnonzero((two_digits.val_digits == (d1, d2)).all(axis=1))[0]
        assert set(np.flatnonzero(two_digits.val_y[row]).tolist()) == ones


def test_hierarchical_targets_and_sizes(real: MnistImages) -> None:
    data = build_composites(real, "hierarchical", "paper", composites_per_pair=10, seed=1)
    assert data.train_x.shape == (512, 1568) and data.val_x.shape == (128, 1568)
    assert data.train_y.shape == (512, 3)
    assert data.train_digits.max() <= 7 and data.val_digits.max() <= 7
    # 5 = 101, 3 = 011 -> 110; 7 = 111, 0 = 000 -> 111; 1 = 001, 2 = 010 -> 011;
    # 4 = 100, 1 = 001 -> 101; 6 XOR 6 = 000; 2 = 010, 6 = 110 -> 100.
    hand = {
        (5, 3): [1, 1, 0],
        (7, 0): [1, 1, 1],
        (1, 2): [0, 1, 1],
        (4, 1): [1, 0, 1],
        (6, 6): [0, 0, 0],
        (2, 6): [1, 0, 0],
    }
    for (d1, d2), code in hand.items():
        rows = (data.train_digits == (d1, d2)).all(axis=1)
        assert rows.sum() == 8
        assert data.train_y[rows].tolist() == [code] * 8
    # Every row against the big-endian binary string of d1 XOR d2.
    for digits, y in ((data.train_digits, data.train_y), (data.val_digits, data.val_y)):
        bits = [[int(c) for c in format(int(a) ^ int(b), "03b")] for a, b in digits]
        assert y.tolist() == bits


def test_disjoint_split(real: MnistImages) -> None:
    data = build_composites(real, "two_digits", "disjoint", composites_per_pair=5, seed=0)
    assert data.train_x.shape == (400, 1568) and data.val_x.shape == (100, 1568)
    assert (data.train_sources < 60000).all()
    assert (data.val_sources >= 60000).all() and (data.val_sources < 70000).all()
    np.testing.assert_array_equal(real.train_labels[data.train_sources], data.train_digits)
    np.testing.assert_array_equal(real.test_labels[data.val_sources - 60000], data.val_digits)


def test_split_sizes() -> None:
    assert split_sizes(1000) == (800, 200)
    assert split_sizes(10) == (8, 2)
    assert split_sizes(2) == (1, 1)
    assert split_sizes(7) == (5, 2)
    assert len(digit_pairs("two_digits")) == 100 and len(digit_pairs("hierarchical")) == 64


def test_same_seed_same_dataset(real: MnistImages, two_digits: CompositeDataset) -> None:
    again = build_composites(real, "two_digits", "paper", composites_per_pair=10, seed=0)
    other = build_composites(real, "two_digits", "paper", composites_per_pair=10, seed=1)
    for name in ("train_x", "train_y", "train_sources", "val_x", "val_sources"):
        np.testing.assert_array_equal(getattr(again, name), getattr(two_digits, name))
    assert not np.array_equal(other.train_sources, two_digits.train_sources)


def test_dead_pixels_real(two_digits: CompositeDataset) -> None:
    dead = dead_pixels(two_digits)
    assert dead.shape == (1568,) and dead.dtype == bool
    # The corners of both halves are blank in every MNIST image (checked on the real files above).
    assert dead[[0, 27, 28, 55, 27 * 56, 27 * 56 + 55]].all()
    # The middle of each digit is inked in some image.
    assert not dead[14 * 56 + 14] and not dead[14 * 56 + 28 + 14]


@pytest.mark.parametrize(
    ("kwargs", "words"),
    [
        ({"task": "three_digits"}, "three_digits"),
        ({"split": "leaky"}, "leaky"),
        ({"composites_per_pair": 1}, "at least 2"),
        ({"composites_per_pair": 2.5}, "integer"),
        ({"seed": -1}, "seed"),
    ],
)
def test_bad_settings(kwargs: dict, words: str) -> None:
    settings = {"task": "two_digits", "split": "paper", "composites_per_pair": 5, "seed": 0}
    settings.update(kwargs)
    with pytest.raises(MnistSettingsError, match=words):
        build_composites(hand_made_images(), **settings)


def test_disjoint_needs_every_digit_in_test() -> None:
    images = hand_made_images()
    no_nine = MnistImages(
        images.train_images, images.train_labels, images.test_images[:9], images.test_labels[:9]
    )
    with pytest.raises(MnistSettingsError, match="digit 9 in MNIST-test"):
        build_composites(no_nine, "two_digits", "disjoint", 5)
    # The pooled split still finds a 9 in MNIST-train.
    assert build_composites(no_nine, "two_digits", "paper", 5).train_x.shape == (400, 1568)


# ----------------------------------------------------------------------------------------------
# Storage


def test_save_load_round_trip(tmp_path: Path) -> None:
    data = build_composites(hand_made_images(), "hierarchical", "disjoint", 5, seed=4)
    path = tmp_path / "sub" / "data.bin"  # no .npz suffix: still written to exactly this name
    data.save(path)
    assert sorted(p.name for p in path.parent.iterdir()) == ["data.bin"]  # no temp file left
    loaded = CompositeDataset.load(path)
    assert (loaded.task, loaded.split, loaded.composites_per_pair, loaded.seed) == (
        "hierarchical",
        "disjoint",
        5,
        4,
    )
    for name in ("train_x", "train_y", "train_digits", "train_sources", "val_x", "val_y"):
        original, back = getattr(data, name), getattr(loaded, name)
        assert back.dtype == original.dtype
        np.testing.assert_array_equal(back, original)


def test_load_errors(tmp_path: Path) -> None:
    with pytest.raises(MnistDataError, match="no composite dataset"):
        CompositeDataset.load(tmp_path / "absent.npz")
    junk = tmp_path / "junk.npz"
    junk.write_bytes(b"not a zip")
    with pytest.raises(MnistDataError, match="not a readable"):
        CompositeDataset.load(junk)
    other = tmp_path / "other.npz"
    np.savez_compressed(other, train_x=np.zeros((2, 1568), dtype=np.uint8))
    with pytest.raises(MnistDataError, match="not a composite dataset"):
        CompositeDataset.load(other)


# ----------------------------------------------------------------------------------------------
# Command line


def parser() -> argparse.ArgumentParser:
    top = argparse.ArgumentParser(prog="sculpt")
    mnist_cli.register(top.add_subparsers(dest="command", required=True))
    return top


def test_cli_builds_dataset(tmp_path: Path, capsys: pytest.CaptureFixture) -> None:
    out = tmp_path / "mnist.npz"
    args = parser().parse_args(
        [
            "mnist-data",
            "--root",
            str(DATA_ROOT),
            "--task",
            "hierarchical",
            "--split",
            "disjoint",
            "--composites-per-pair",
            "5",
            "--seed",
            "2",
            "-o",
            str(out),
        ]
    )
    assert args.handler(args) == 0
    line = capsys.readouterr().out.strip()
    assert "\n" not in line and str(out) in line and "256 train / 64 validation" in line
    data = CompositeDataset.load(out)
    assert (data.task, data.split, data.seed) == ("hierarchical", "disjoint", 2)
    assert data.train_x.shape == (256, 1568) and data.val_y.shape == (64, 3)
    assert (data.val_sources >= 60000).all()


def test_cli_root_from_environment(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    out = tmp_path / "mnist.npz"
    argv = ["mnist-data", "--task", "two_digits", "--composites-per-pair", "2", "-o", str(out)]
    monkeypatch.delenv(mnist_cli.ROOT_ENV, raising=False)
    args = parser().parse_args(argv)
    with pytest.raises(mnist_cli.MnistUsageError, match="SCULPT_MNIST_ROOT"):
        args.handler(args)
    assert not out.exists()
    monkeypatch.setenv(mnist_cli.ROOT_ENV, str(DATA_ROOT))
    assert args.handler(args) == 0
    assert CompositeDataset.load(out).train_x.shape == (100, 1568)
    monkeypatch.setenv(mnist_cli.ROOT_ENV, str(tmp_path / "nowhere"))
    with pytest.raises(MnistDataError, match="missing"):
        args.handler(args)
