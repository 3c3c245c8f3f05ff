"""`sculpt paper-figure TARGET --trials CSV [--trials CSV ...] -o OUT`: the paper's
success-rate figures (`paper_figures.py`).

`-o` names the PNG (`results/paper/fig7.png`: the PDF, CSV and caption `.txt` go beside it with
the same stem) or, without a suffix, a folder that receives `<target>.png` and the rest.
"""

from __future__ import annotations

import argparse
from pathlib import Path

# The figures of paper_figures.FIGURES, named here so that building the parser imports no
# matplotlib (a test keeps the two in step).
TARGETS = ("fig7", "fig8", "fig10", "fig12a", "fig12b", "fig13b")


class OutputPathError(ValueError):
    """An output path that is neither a .png file nor a folder."""


def output_location(output: Path, target: str) -> tuple[Path, str]:
    """(folder, file stem) for `-o`: FILE.png, or a folder (stem = target)."""
    output = Path(output)
    if output.suffix == "":
        return output, target
    if output.suffix.lower() != ".png":
        raise OutputPathError(f"{output}: the output must be a .png file or a folder")
    return output.parent, output.stem


def _paper_figure(args: argparse.Namespace) -> int:
    from neural_sculpting.figures.paper_figures import paper_figure, read_trials

    out_dir, name = output_location(args.output, args.target)
    table = read_trials(args.trials)
    rates = paper_figure(args.target, table, out_dir, name)
    print(f"{out_dir / name}.png: {args.target}, {len(rates)} rows in {name}.csv")
    return 0


def register(subparsers) -> None:
    """Add the `paper-figure` subcommand to `sculpt`'s subparsers."""
    parser = subparsers.add_parser(
        "paper-figure",
        help="draw one of the paper's success-rate figures (7, 8, 10, 12a, 12b, 13b) "
        "from trials.csv",
    )
    parser.add_argument("target", choices=TARGETS, help="the figure")
    parser.add_argument(
        "--trials",
        action="append",
        required=True,
        type=Path,
        metavar="CSV",
        help="a trials.csv; repeat to pool experiments (fig8 needs reuse_sweep's)",
    )
    parser.add_argument(
        "-o",
        "--output",
        required=True,
        type=Path,
        help="FILE.png (PDF, CSV and caption .txt beside it) or a folder for <target>.png",
    )
    parser.set_defaults(handler=_paper_figure)
