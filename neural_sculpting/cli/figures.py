"""`sculpt paper-figure`, `structural`, `clustering-table`, `edge-cases` and `lr-batch-table`: the
paper's figures of `study.catalogue`.

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

from neural_sculpting.foundations.errors import SculptError
from neural_sculpting.study import catalogue


class OutputPathError(SculptError):
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


def _lr_batch_table(args: argparse.Namespace) -> int:
    from neural_sculpting.figures.lr_batch_tables import lr_batch_table

    out_dir, name = output_location(args.output, args.target)
    rates = lr_batch_table(args.target, args.trials, out_dir, name)
    print(f"{out_dir / name}.png: {args.target}, {len(rates)} settings in {name}.csv")
    return 0


def _reproduction(args: argparse.Namespace) -> int:
    from neural_sculpting.foundations import paths
    from neural_sculpting.reproduction.report import write_report

    results = write_report(
        args.figures,
        args.output,
        authors_scores=args.authors_scores or paths.authors_scores_md(),
        authors_dir=args.authors_dir or paths.authors_networks_dir(),
        validation_trials=args.validation_trials,
        source=args.source,
        authors_table4=args.authors_table4 or paths.authors_table4_csv(),
    )
    from neural_sculpting.reproduction.verdicts import base_verdict

    verdicts = [base_verdict(j.verdict) for _, j in results]
    summary = ", ".join(f"{verdicts.count(v)} {v}" for v in dict.fromkeys(verdicts))
    print(f"{args.output / 'README.md'}: {len(results)} items: {summary}")
    return 0


OUTPUT_HELP = "FILE.png (PDF, CSV and caption .txt beside it) or a folder for <target>.png"
TRIAL_DIRS_HELP = "trial folders (each with selected.json and selected.npz)"


def _figure_parser(
    subparsers, name: str, kind: str, text: str, what: str = "the figure", png_only: bool = False
):
    """A subcommand drawing one target of `kind`, with its `-o/--output`."""
    parser = subparsers.add_parser(name, help=text, description=text)
    parser.add_argument("target", choices=catalogue.names(kind), help=what)
    if png_only:
        parser.add_argument(
            "-o", "--output", required=True, type=Path, metavar="FILE.png",
            help="the PNG; the PDF, CSV and caption .txt are written beside it",
        )  # fmt: skip
    else:
        parser.add_argument("-o", "--output", required=True, type=Path, help=OUTPUT_HELP)
    return parser


def _trial_dirs(parser) -> None:
    parser.add_argument(
        "--trials", nargs="+", required=True, type=Path, metavar="DIR", help=TRIAL_DIRS_HELP
    )


def register(subparsers) -> None:
    """Add the `paper-figure`, `structural`, `clustering-table` and `edge-cases` subcommands."""
    parser = _figure_parser(
        subparsers, "paper-figure", catalogue.SUCCESS,
        "draw one of the paper's success-rate figures from trials.csv",
    )  # fmt: skip
    parser.add_argument(
        "--trials",
        action="append",
        required=True,
        type=Path,
        metavar="CSV",
        help="a trials.csv; repeat to pool experiments (fig8 needs reuse_sweep's)",
    )
    parser.set_defaults(handler=_paper_figure)

    parser = _figure_parser(
        subparsers, "structural", catalogue.STRUCTURAL,
        "structural-test figures (Table 1, Figs. 1b-4b, 35, 36) from trial folders",
        "which table or figure", png_only=True,
    )  # fmt: skip
    _trial_dirs(parser)
    parser.add_argument(
        "--seed",
        type=int,
        default=1,
        help="seed of the single-network and per-seed figures (default 1, as the authors')",
    )
    parser.set_defaults(handler=_structural)

    parser = _figure_parser(
        subparsers, "clustering-table", catalogue.CLUSTERING,
        "Table 4: structure recovered per clustering choice, from trial folders", "the table",
    )  # fmt: skip
    _trial_dirs(parser)
    parser.set_defaults(handler=_clustering_table)

    parser = _figure_parser(
        subparsers, "edge-cases", catalogue.EDGE_CASES,
        "Figs. 38-40: a validation network's modules and the modularity metric against k",
    )  # fmt: skip
    parser.add_argument(
        "--trials", required=True, type=Path, metavar="CSV", help="the validation trials.csv"
    )
    parser.set_defaults(handler=_edge_cases)

    parser = _figure_parser(
        subparsers, "lr-batch-table", catalogue.LR_BATCH,
        "Tables 2, 3: structure recovered per learning rate and batch size, from trials.csv",
        "the table",
    )  # fmt: skip
    parser.add_argument(
        "--trials", nargs="+", required=True, type=Path, metavar="CSV",
        help="the trials.csv of the table's lr_batch_<graph> experiments",
    )  # fmt: skip
    parser.set_defaults(handler=_lr_batch_table)

    text = "the reproduction report: every paper item beside a run's figures, with a verdict"
    parser = subparsers.add_parser("reproduction", help=text, description=text)
    parser.add_argument("--figures", required=True, type=Path, help="the run's figures folder")
    parser.add_argument("-o", "--output", required=True, type=Path, help="the report's folder")
    parser.add_argument("--validation-trials", type=Path, help="the validation trials.csv")
    parser.add_argument("--authors-scores", type=Path, help="docs/authors_networks_scores.md")
    parser.add_argument("--authors-dir", type=Path, help="the authors' published networks")
    parser.add_argument(
        "--authors-table4", type=Path, help="docs/authors_table4.csv: Table 4 on their networks"
    )
    parser.add_argument("--source", help="what the report says it was made from")
    parser.set_defaults(handler=_reproduction)


def _structural(args: argparse.Namespace) -> int:
    from neural_sculpting.figures.structural_figures import make_target

    table = make_target(args.target, args.trials, args.output, seed=args.seed)
    print(f"{args.output}: {args.target}, {len(table)} rows (+ .pdf, .csv, .txt)")
    return 0
