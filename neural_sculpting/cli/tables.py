"""`sculpt table` and `sculpt figure`: an experiment's trials table and its summary figure."""

from __future__ import annotations

import argparse
from pathlib import Path


def _table(args: argparse.Namespace) -> int:
    from neural_sculpting.figures.tables import trials_table, write_table

    table = trials_table(args.files)
    write_table(table, args.output)
    done = table["structure_match"].notna().sum() if "structure_match" in table else 0
    print(f"{args.output}: {len(table)} trials ({done} scored)")
    if args.figure is not None:
        from neural_sculpting.figures.rates import structure_recovered

        # Drawn from the file just written, so it is the figure `sculpt figure` would draw.
        structure_recovered(args.output, args.figure, args.title or args.output.parent.name)
    return 0


def _figure(args: argparse.Namespace) -> int:
    from neural_sculpting.figures.rates import structure_recovered

    structure_recovered(args.trials, args.output, args.title or str(args.trials.parent.name))
    return 0


def register(subparsers: argparse._SubParsersAction) -> None:
    table = subparsers.add_parser("table", help="collect trials into one CSV (trials.csv)")
    table.add_argument(
        "files",
        nargs="+",
        type=Path,
        help="each trial's selected.json, and the score.json of its analysis where scored",
    )
    table.add_argument("-o", "--output", required=True, type=Path)
    table.add_argument(
        "--figure",
        type=Path,
        metavar="FILE.png",
        help="also draw the experiment's summary figure from it (what `figure "
        "structure-recovered` draws)",
    )
    table.add_argument("--title", default="", help="the figure's title")
    table.set_defaults(handler=_table)

    figure = subparsers.add_parser("figure", help="draw a figure from trials.csv")
    figure.add_argument("kind", choices=["structure-recovered"])
    figure.add_argument("--trials", required=True, type=Path, help="trials.csv")
    figure.add_argument("--title", default="")
    figure.add_argument("-o", "--output", required=True, type=Path, help="FILE.png")
    figure.set_defaults(handler=_figure)
