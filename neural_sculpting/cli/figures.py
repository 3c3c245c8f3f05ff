"""`sculpt paper-figure`, `structural`, `clustering-table` and `edge-cases`: the paper's figures of
`figures.registry`.

`sculpt paper-figure TARGET --trials CSV [--trials CSV ...] -o OUT` draws a success-rate figure
(`paper_figures.py`) from trials tables; `sculpt structural TARGET --trials DIR ... -o FILE.png`
draws a structural-test figure (`structural_figures.py`) from trial folders, each of whose
`selected.json` names its graph, seed and search mode, so one call may mix training regimes.

`-o` names the PNG (`results/paper/fig7.png`: the PDF, CSV and caption `.txt` go beside it with
the same stem) or, without a suffix, a folder that receives `<target>.png` and the rest.
"""

from __future__ import annotations

import argparse
from pathlib import Path

from neural_sculpting.figures import registry


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


def _clustering_table(args: argparse.Namespace) -> int:
    from neural_sculpting.figures.clustering_choices import table4

    out_dir, name = output_location(args.output, args.target)
    rates = table4(args.trials, out_dir, name)
    print(f"{out_dir / name}.png: {args.target}, {len(rates)} clustering choices in {name}.csv")
    return 0


def _edge_cases(args: argparse.Namespace) -> int:
    from neural_sculpting.figures.edge_cases import edge_case_figure

    out_dir, name = output_location(args.output, args.target)
    metrics = edge_case_figure(args.target, args.trials, out_dir, name)
    print(f"{out_dir / name}.png: {args.target}, {metrics['layer'].nunique()} layers")
    return 0


def register(subparsers) -> None:
    """Add the `paper-figure` and `structural` subcommands to `sculpt`'s subparsers."""
    parser = subparsers.add_parser(
        "paper-figure",
        help="draw one of the paper's success-rate figures from trials.csv",
    )
    parser.add_argument("target", choices=registry.names(registry.SUCCESS), help="the figure")
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

    text = "structural-test figures (Table 1, Figs. 1b-4b, 35, 36) from trial folders"
    parser = subparsers.add_parser("structural", help=text, description=text)
    parser.add_argument(
        "target", choices=registry.names(registry.STRUCTURAL), help="which table or figure"
    )
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

    text = "Table 4: structure recovered per clustering choice, from trial folders"
    parser = subparsers.add_parser("clustering-table", help=text, description=text)
    parser.add_argument("target", choices=registry.names(registry.CLUSTERING), help="the table")
    parser.add_argument(
        "--trials",
        nargs="+",
        required=True,
        type=Path,
        metavar="DIR",
        help="trial folders (each with selected.json and selected.npz)",
    )
    parser.add_argument(
        "-o",
        "--output",
        required=True,
        type=Path,
        help="FILE.png (PDF, CSV and caption .txt beside it) or a folder for <target>.png",
    )
    parser.set_defaults(handler=_clustering_table)

    text = "Figs. 38-40: a validation network's modules and the modularity metric against k"
    parser = subparsers.add_parser("edge-cases", help=text, description=text)
    parser.add_argument("target", choices=registry.names(registry.EDGE_CASES), help="the figure")
    parser.add_argument(
        "--trials", required=True, type=Path, metavar="CSV", help="the validation trials.csv"
    )
    parser.add_argument(
        "-o",
        "--output",
        required=True,
        type=Path,
        help="FILE.png (PDF, CSV and caption .txt beside it) or a folder for <target>.png",
    )
    parser.set_defaults(handler=_edge_cases)


def _structural(args: argparse.Namespace) -> int:
    from neural_sculpting.figures.structural_figures import make_target

    table = make_target(args.target, args.trials, args.output, seed=args.seed)
    print(f"{args.output}: {args.target}, {len(table)} rows (+ .pdf, .csv, .txt)")
    return 0
