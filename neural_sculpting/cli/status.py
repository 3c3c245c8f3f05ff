"""`sculpt status`: what a run has done and what it has left, read from its files."""

from __future__ import annotations

import argparse
from pathlib import Path

from neural_sculpting.foundations import paths


def _status(args: argparse.Namespace) -> int:
    import yaml

    from neural_sculpting.store.status import report
    from neural_sculpting.study.experiments import load_study

    config = yaml.safe_load(Path(args.configfile).read_text())
    study = load_study(config)
    print(report(list(study.values()), args.results, args.cores))
    return 0


def register(subparsers: argparse._SubParsersAction) -> None:
    status = subparsers.add_parser(
        "status",
        help="per experiment of a config, trials done, in progress and pending in a results "
        "folder, and the time left",
    )
    status.add_argument(
        "--configfile",
        type=Path,
        default=paths.config_dir() / "config.yaml",
        help="the workflow's config (default config/config.yaml)",
    )
    status.add_argument(
        "--results", type=Path, default=None, help="the results folder (default results/)"
    )
    status.add_argument("--cores", type=int, default=1, help="cores the run uses (default 1)")
    status.set_defaults(handler=_status)
