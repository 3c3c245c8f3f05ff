"""`sculpt structural TARGET --trials DIR ... -o FILE.png`: the structural-test figures.

One call draws one target of `structural_figures.TARGETS` (Table 1, Figs. 1b-4b, 35, 36) from
trial folders; each folder's `selected.json` names its graph, seed and search mode, so one call
may mix training regimes.
"""

from __future__ import annotations

import argparse
from pathlib import Path

# structural_figures.TARGETS, named here so that building the parser imports no torch or
# matplotlib (a test keeps the two in step).
TARGETS = ("table1", "fig1b", "fig2b", "fig3a", "fig3b", "fig4a", "fig4b", "fig35", "fig36")


def register(subparsers: argparse._SubParsersAction) -> None:
    """Add the `structural` subcommand to the `sculpt` parser."""
    text = "structural-test figures (Table 1, Figs. 1b-4b, 35, 36) from trial folders"
    parser = subparsers.add_parser("structural", help=text, description=text)
    parser.add_argument("target", choices=TARGETS, help="which table or figure")
    parser.add_argument(
        "--trials",
        nargs="+",
        required=True,
        type=Path,
        metavar="DIR",
        help="trial folders (each with selected.pt and selected.json)",
    )
    parser.add_argument(
        "--seed",
        type=int,
        default=1,
        help="seed of the single-network and per-seed figures (default 1, as the authors')",
    )
    parser.add_argument(
        "-o",
        "--output",
        required=True,
        type=Path,
        metavar="FILE.png",
        help="the PNG; the PDF, CSV and caption .txt are written beside it",
    )
    parser.set_defaults(handler=_structural)


def _structural(args: argparse.Namespace) -> int:
    from neural_sculpting.figures.structural_figures import make_target

    table = make_target(args.target, args.trials, args.output, seed=args.seed)
    print(f"{args.output}: {args.target}, {len(table)} rows (+ .pdf, .csv, .txt)")
    return 0
