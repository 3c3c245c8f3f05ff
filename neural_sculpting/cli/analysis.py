"""`sculpt detect`, `sculpt draw`, `sculpt draw-cell`: module detection on a trial's selected
network, and the drawings of trials and cells."""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import Any

from neural_sculpting.cli.graphs import dataset_task_of, trial_task
from neural_sculpting.foundations import paths
from neural_sculpting.foundations.errors import SculptError, UsageError
from neural_sculpting.study.hparams import DetectionSettings
from neural_sculpting.study.trial import trials_from_json


def _detect(args: argparse.Namespace) -> int:
    from neural_sculpting.analysis.trial import write_analysis

    if args.trial is not None:  # the workflow: trials of the study (cells), as JSON
        trials = trials_from_json(args.trial)
        tasks: dict[tuple, Any] = {}  # a cell's trials share their task: each loaded once
        jobs = []
        for t in trials:
            task = tasks.get((t.graph, t.data_file))
            if task is None:
                task = tasks[(t.graph, t.data_file)] = trial_task(t)
            jobs.append(
                (paths.trial_dir(t.key), t.detection, paths.analysis_dir(t.key, t.analysis), task)
            )
    else:
        if args.trial_dir is None or args.graph is None:
            raise UsageError("--trial-dir and --graph are needed without --trial")
        settings = DetectionSettings(args.modularity_threshold, args.merge_threshold)
        task = dataset_task_of(args, lambda: _selected_arch(args.trial_dir))
        jobs = [(args.trial_dir, settings, args.out_dir or args.trial_dir, task)]
    for trial_dir, settings, out_dir, task in jobs:
        score = write_analysis(trial_dir, out_dir, task, settings)
        if score.trainable and score.structure_match is None:  # a task with nothing expected
            print(f"{trial_dir}: {score.n_modules} hidden modules (unscored)")
            for line in score.detected or []:
                print(f"  {line}")
            continue
        flags = ("input_modules_match", "output_modules_match", "hidden_modules_match")
        summary = ", ".join(f"{f.split('_')[0]} {getattr(score, f)}" for f in flags)
        print(f"{trial_dir}: structure_match {score.structure_match} ({summary})")
        for line in score.explain():
            print(f"  {line}")
    return 0


def _selected_arch(trial_dir: Path) -> str:
    """A trial folder's architecture, from its selection record."""
    from neural_sculpting.analysis.trial import load_selected_arrays

    return load_selected_arrays(trial_dir)[1].arch


def _draw(args: argparse.Namespace) -> int:
    from neural_sculpting.figures.trial_drawing import draw_trial

    analysis_dir = args.analysis_dir or paths.find_analysis(args.trial_dir)
    task = dataset_task_of(args, lambda: _selected_arch(args.trial_dir))
    draw_trial(args.trial_dir, analysis_dir, task, args.output, args.with_graph)
    return 0


def _drawing_cells(args: argparse.Namespace) -> list[tuple[str, int, Path]]:
    """(graph, depth, output) of each drawing asked for, by --cell or by --graph, --depth, -o."""
    single = (args.graph, args.depth, args.output)
    if args.cell and any(v is not None for v in single):
        raise UsageError("draw-cell takes --cell or --graph, --depth and -o, not both")
    if not args.cell:
        if any(v is None for v in single):
            raise UsageError("draw-cell needs --graph, --depth and -o (or --cell)")
        return [single]
    cells = []
    for graph, depth, output in args.cell:
        if not depth.isdigit():
            raise UsageError(f"--cell {graph} {depth} {output}: the depth must be a whole number")
        cells.append((graph, int(depth), Path(output)))
    return cells


def _draw_cell(args: argparse.Namespace) -> int:
    import pandas as pd

    from neural_sculpting.figures.tables import trials_table

    cells = _drawing_cells(args)
    if len(args.trials) == 1 and args.trials[0].suffix == ".csv":
        source = args.trials[0]
        table = pd.read_csv(source)
    else:  # the trials' own records (what the workflow passes)
        source = args.trials[0].parent
        table = trials_table(args.trials)
    if "analysis_dir" not in table.columns:
        raise SculptError(f"{source}: no analysis_dir column; rebuild it with `sculpt table`")
    chosen = [(table[(table["graph"] == g) & (table["depth"] == d)], g, d, o) for g, d, o in cells]
    for cell, graph, depth, _ in chosen:  # every cell checked before anything is drawn
        if cell.empty:
            raise SculptError(f"{source}: no trial of {graph} with {depth} hidden layers")
    for cell, graph, depth, output in chosen:
        _draw_one_cell(args, cell, graph, depth, output)
    return 0


def _draw_one_cell(
    args: argparse.Namespace, cell: Any, graph: str, depth: int, output: Path
) -> None:
    from neural_sculpting.analysis.trial import representative_trial
    from neural_sculpting.figures.trial_drawing import draw_trial

    cell_args = argparse.Namespace(**{**vars(args), "graph": graph})
    task = dataset_task_of(cell_args, lambda: cell["arch"].iloc[0])
    untrainable = int((cell["trainable"] == False).sum())  # noqa: E712 (a pandas mask)
    if untrainable == len(cell):
        from neural_sculpting.figures.drawing import draw_note

        layers = f"{depth} hidden layer{'s' if depth != 1 else ''}"
        draw_note(
            output,
            f"{graph}, {layers}",
            f"{untrainable} of {len(cell)} trials untrainable:\nthe dense network stayed below "
            "the accuracy threshold,\nso nothing was pruned and there is no network to draw",
        )
        print(f"{output}: {untrainable} of {len(cell)} trials untrainable, nothing to draw")
        return
    row, share, compared = representative_trial(cell.to_dict("records"), task)
    draw_trial(
        Path(row["trial_dir"]), Path(row["analysis_dir"]), task,
        output, with_graph=True,
        note=f"most common structure: {share} of {compared} trials",
    )  # fmt: skip


def register(subparsers: argparse._SubParsersAction) -> None:
    detect = subparsers.add_parser(
        "detect", help="detect modules in a trial's selected network and score them"
    )
    detect.add_argument(
        "--trial",
        metavar="JSON",
        help="one trial of a study (Trial.to_json()) or a JSON list of trials (a cell: what the "
        "workflow passes); their folders, tasks and thresholds replace the options below",
    )
    detect.add_argument("--trial-dir", type=Path, help="folder with selected.json and selected.npz")
    detect.add_argument("--graph", help="the trial's task: a function graph or an MNIST task")
    default = DetectionSettings()
    detect.add_argument(
        "--modularity-threshold",
        type=float,
        default=default.modularity_threshold,
        help="best modularity M above which the separability tests decide "
        f"(default {default.modularity_threshold:g})",
    )
    detect.add_argument(
        "--merge-threshold",
        type=float,
        default=default.merge_threshold,
        help="share of edges above which modules of adjacent layers merge "
        f"(default {default.merge_threshold:g})",
    )
    detect.add_argument("--out-dir", type=Path, help="where modules.json and score.json go")
    _add_dataset_task_options(detect)
    detect.set_defaults(handler=_detect)

    draw = subparsers.add_parser("draw", help="draw a trial's pruned network with its modules")
    draw.add_argument("--trial-dir", required=True, type=Path)
    draw.add_argument("--graph", required=True)
    draw.add_argument("--analysis-dir", type=Path, help="folder with modules.json")
    draw.add_argument("-o", "--output", required=True, type=Path, help="FILE.png|svg|pdf")
    draw.add_argument("--with-graph", action="store_true", help="the function graph beside it")
    _add_dataset_task_options(draw)
    draw.set_defaults(handler=_draw)

    cell = subparsers.add_parser(
        "draw-cell",
        help="draw the most common structure of one graph and depth of an experiment",
    )
    cell.add_argument(
        "--trials",
        required=True,
        type=Path,
        nargs="+",
        help="the experiment's trials.csv, or its trials' selected.json and score.json files",
    )
    cell.add_argument("--graph")
    cell.add_argument("--depth", type=int, help="number of hidden layers")
    cell.add_argument("-o", "--output", type=Path, help="FILE.png|svg|pdf")
    cell.add_argument(
        "--cell",
        nargs=3,
        action="append",
        metavar=("GRAPH", "DEPTH", "OUTPUT"),
        help="a drawing to make, instead of --graph, --depth and -o (repeat it for several)",
    )
    _add_dataset_task_options(cell)
    cell.set_defaults(handler=_draw_cell)


def _add_dataset_task_options(parser: argparse.ArgumentParser) -> None:
    """How a command learns a dataset task that config/tasks/ does not hold."""
    task = parser.add_mutually_exclusive_group()
    task.add_argument(
        "--description",
        type=Path,
        metavar="FILE.yaml",
        help="a dataset task's description (kind dataset); --graph is then its name",
    )
    task.add_argument(
        "--undescribed",
        action="store_true",
        help="a dataset task without a description: every input its own group, not scored",
    )
