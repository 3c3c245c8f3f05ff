"""`sculpt mnist-data`: build one composite MNIST dataset (a cached stage) and store it as .npz.

The MNIST root is torchvision's (the folder holding `MNIST/raw/`): `--root`, else the environment
variable SCULPT_MNIST_ROOT.
"""

from __future__ import annotations

import argparse
import os
from pathlib import Path

from neural_sculpting.foundations.errors import SculptError
from neural_sculpting.tasks.composites import (
    DEFAULT_COMPOSITES_PER_PAIR,
    DEFAULT_SEED,
    SPLITS,
    TASKS,
)

ROOT_ENV = "SCULPT_MNIST_ROOT"


class MnistUsageError(SculptError):
    """A command-line request `mnist-data` cannot run."""


def add_composite_options(parser: argparse.ArgumentParser, per_pair: int, seed: int) -> None:
    """How many composites a two-digit dataset draws per digit pair, and from which seed."""
    parser.add_argument(
        "--composites-per-pair",
        type=int,
        default=per_pair,
        metavar="N",
        help=f"composites per ordered digit pair, the first 80%% train (default {per_pair})",
    )
    parser.add_argument("--seed", type=int, default=seed, help=f"sampling seed (default {seed})")


def register(subparsers: argparse._SubParsersAction) -> None:
    """Add the `mnist-data` subcommand to the `sculpt` parser."""
    text = "build a composite two-digit MNIST dataset (Section 5.5) as a compressed .npz"
    parser = subparsers.add_parser("mnist-data", help=text, description=text)
    parser.add_argument(
        "--root",
        type=Path,
        default=None,
        help=f"folder holding MNIST/raw/ (default: ${ROOT_ENV})",
    )
    parser.add_argument("--task", choices=TASKS, required=True)
    parser.add_argument(
        "--split",
        choices=SPLITS,
        default="paper",
        help="paper: sources from all 70,000 images; disjoint: train from MNIST-train, "
        "validation from MNIST-test (default paper)",
    )
    add_composite_options(parser, DEFAULT_COMPOSITES_PER_PAIR, DEFAULT_SEED)
    parser.add_argument(
        "--download",
        action="store_true",
        help="fetch missing MNIST files through torchvision (needs torchvision and internet)",
    )
    parser.add_argument("-o", "--output", required=True, type=Path, metavar="FILE.npz")
    parser.set_defaults(handler=_mnist_data)


def _mnist_data(args: argparse.Namespace) -> int:
    from neural_sculpting.tasks.composites import build_composites, dead_pixels
    from neural_sculpting.tasks.mnist_files import load_mnist

    root = args.root or (Path(os.environ[ROOT_ENV]) if os.environ.get(ROOT_ENV) else None)
    if root is None:
        raise MnistUsageError(f"no MNIST root: pass --root DIR or set {ROOT_ENV}")
    images = load_mnist(root, download=args.download)
    dataset = build_composites(images, args.task, args.split, args.composites_per_pair, args.seed)
    dataset.save(args.output)
    print(
        f"{args.output}: mnist {dataset.task} ({dataset.split} split, seed {dataset.seed}), "
        f"{len(dataset.train_x)} train / {len(dataset.val_x)} validation composites "
        f"({dataset.composites_per_pair} per pair), {dataset.n_inputs} inputs, "
        f"{dataset.n_outputs} outputs, {int(dead_pixels(dataset).sum())} dead pixels"
    )
    return 0
