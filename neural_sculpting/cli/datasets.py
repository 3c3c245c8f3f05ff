"""`sculpt digits-data | check-data`: dataset files as tasks.

`digits-data` builds the two-digit task from scikit-learn's 8x8 digits (`tasks/digits.py`);
`check-data` reads a dataset file of your own, with its description if it has one, and prints what
the workflow will make of it, or the one line saying what is wrong (exit status 2).
"""

from __future__ import annotations

import argparse
from pathlib import Path

from neural_sculpting.foundations.errors import SculptError


def register(subparsers: argparse._SubParsersAction) -> None:
    """Add the dataset subcommands to the `sculpt` parser."""
    from neural_sculpting.cli.mnist import add_composite_options
    from neural_sculpting.tasks.digits import DEFAULT_COMPOSITES_PER_PAIR, DEFAULT_SEED

    text = "build the two-digit task from scikit-learn's 8x8 digits as a dataset file"
    parser = subparsers.add_parser("digits-data", help=text, description=text)
    add_composite_options(parser, DEFAULT_COMPOSITES_PER_PAIR, DEFAULT_SEED)
    parser.add_argument("-o", "--output", required=True, type=Path, metavar="FILE.npz")
    parser.set_defaults(handler=_digits_data)

    text = "check a dataset file (and its description) and say what task it makes"
    check = subparsers.add_parser("check-data", help=text, description=text)
    check.add_argument("data", type=Path, metavar="FILE.npz")
    check.add_argument(
        "--description",
        metavar="NAME|FILE.yaml",
        help="its task description: a name of config/tasks/ or a YAML file",
    )
    check.set_defaults(handler=_check_data)


def _digits_data(args: argparse.Namespace) -> int:
    from neural_sculpting.tasks.digits import write_digits

    arrays = write_digits(args.output, args.composites_per_pair, args.seed)
    print(
        f"{args.output}: scikit-learn digits side by side, {len(arrays['x_train'])} train / "
        f"{len(arrays['x_val'])} validation composites ({args.composites_per_pair} per pair, "
        f"seed {args.seed}), 128 inputs, 20 outputs"
    )
    return 0


def _check_data(args: argparse.Namespace) -> int:
    from neural_sculpting.study.experiments import ConfigError, expand_experiment

    spec = {"task": "dataset", "data": str(args.data), "seeds": [0]}
    if args.description is not None:
        spec["description"] = args.description
    try:
        experiment = expand_experiment("check", spec)
    except ConfigError as exc:  # the experiment's wording, without the config's key
        raise SculptError(str(exc).split(": ", 2)[-1]) from None
    from neural_sculpting.tasks.dataset_file import load_dataset_file

    trial = experiment.trials[0]
    print(load_dataset_file(args.data).summary())
    scored = "scored against its description" if trial.scored else "not scored (no sub-functions)"
    print(f"task {trial.graph}: {trial.n_inputs} inputs, {trial.n_outputs} outputs, {scored}")
    if trial.data_file.class_groups:
        groups = ", ".join(f"{a}-{b - 1}" for a, b in trial.data_file.class_groups)
        print(f"one-hot class groups (per-class accuracy): outputs {groups}")
    return 0
