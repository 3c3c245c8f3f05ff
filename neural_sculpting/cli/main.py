"""`sculpt`: every stage of the pipeline as a subcommand, the same from a shell, a rule or a test.

Errors the user can fix (bad input, a malformed graph, a missing file) print one line on stderr and
exit with status 2; nothing half-written is left behind, since every result is written atomically.
"""

from __future__ import annotations

import argparse
import json
import signal
import sys
from collections.abc import Sequence
from pathlib import Path

from neural_sculpting import __version__
from neural_sculpting.cli import datasets as datasets_cli
from neural_sculpting.cli import engine as engine_cli
from neural_sculpting.cli import figures as figures_cli
from neural_sculpting.cli import mnist as mnist_cli
from neural_sculpting.foundations import atomic, paths
from neural_sculpting.foundations.errors import SculptError, UsageError
from neural_sculpting.study.hparams import DetectionSettings
from neural_sculpting.study.trial import trials_from_json

# Task modules (networkx, jsonschema) are imported by the commands that use them: a figure or
# table job should not pay for them.


def load_task(name: str):
    from neural_sculpting.tasks.catalog import load_task

    return load_task(name)


def dataset_task_of(args: argparse.Namespace, arch):
    """The task named by --graph, or with --description or --undescribed a dataset task of the
    sizes `arch()` gives (`4-24-2`: inputs first, outputs last)."""
    if args.description is None and not args.undescribed:
        return load_task(args.graph)
    from neural_sculpting.tasks.catalog import dataset_task

    widths = [int(w) for w in str(arch()).split("-")]
    return dataset_task(args.graph, args.description, widths[0], widths[-1])


def trial_task(trial):
    from neural_sculpting.study.trial import trial_task

    return trial_task(trial)


def load_graph(name: str):
    from neural_sculpting.tasks.function_graph import load_graph

    return load_graph(name)


def task_hierarchy(graph, hidden_layers: int | None = None):
    from neural_sculpting.tasks.hierarchy import task_hierarchy

    return task_hierarchy(graph, hidden_layers)


def truth_table(graph):
    from neural_sculpting.tasks.truth_table import truth_table

    return truth_table(graph)


def _graph_show(args: argparse.Namespace) -> int:
    graph = load_graph(args.name)
    table = truth_table(graph)
    if args.json:
        print(json.dumps(_structure_record(graph), indent=1))
        return 0
    print(f"{graph.name}: {graph.description}")
    print(f"{graph.n_inputs} inputs, {len(graph.gates)} gates, {graph.n_outputs} outputs")
    print()
    print(table.to_frame().to_string(index=False))
    depths = [args.depth] if args.depth is not None else [None, *sorted(graph.collapse)]
    for depth in depths:
        hierarchy = task_hierarchy(graph, depth)
        heading = "sub-functions" if depth is None else f"expected with {depth} hidden layers"
        print(f"\n{heading}:")
        for name, signature in hierarchy.signatures.items():
            gates = ", ".join(hierarchy.subfunctions[name])
            print(f"  {name:<10} [{gates}]  {signature.describe()}")
        edges = ", ".join(
            f"{u}->{v} ({w})" for u, v, w in hierarchy.module_graph.edges(data="weight")
        )
        print(f"  module graph: {edges or 'no edges'}")
        print(f"  input partition:  {_partition(hierarchy.input_partition, 'x')}")
        print(f"  output partition: {_partition(hierarchy.output_partition, 'y')}")
    return 0


def _partition(groups, prefix: str) -> str:
    ordered = sorted(sorted(g) for g in groups)
    return " | ".join("{" + ",".join(f"{prefix}{i}" for i in g) + "}" for g in ordered)


def _structure_record(graph) -> dict:
    return {
        "name": graph.name,
        "description": graph.description,
        "inputs": graph.n_inputs,
        "outputs": graph.n_outputs,
        "params": dict(graph.params),
        "structure": task_hierarchy(graph).to_json(),
        "collapse": {
            str(depth): task_hierarchy(graph, depth).to_json() for depth in sorted(graph.collapse)
        },
    }


def _graph_draw(args: argparse.Namespace) -> int:
    from neural_sculpting.figures.drawing import draw_function_graph  # pygraphviz only when drawing

    draw_function_graph(load_graph(args.name), args.output, hidden_layers=args.depth)
    return 0


def _graph_check(args: argparse.Namespace) -> int:
    from neural_sculpting.tasks.function_graph import available_graphs

    names = args.names or available_graphs()
    for name in names:
        load_graph(name)
    print(f"{len(names)} graph file(s) valid")
    return 0


def _graph_truth_table(args: argparse.Namespace) -> int:
    table = truth_table(load_graph(args.name))
    atomic.write_text(args.output, table.to_frame().to_csv(index=False))
    return 0


def _graph_structure(args: argparse.Namespace) -> int:
    atomic.write_json(args.output, _structure_record(load_graph(args.name)))
    return 0


def _graph_files(args: argparse.Namespace) -> int:
    """Every file derived from a graph, in one process (what the workflow runs per graph)."""
    graph = load_graph(args.name)
    atomic.write_text(args.truth_table, truth_table(graph).to_frame().to_csv(index=False))
    atomic.write_json(args.structure, _structure_record(graph))
    if args.drawing:
        from neural_sculpting.figures.drawing import draw_function_graph

        for path in args.drawing:
            draw_function_graph(graph, path)
    return 0


def _add_graph_commands(subparsers) -> None:
    graph = subparsers.add_parser(
        "graph", help="function graphs: show, draw, check, truth-table, structure, files"
    )
    sub = graph.add_subparsers(dest="graph_command", required=True, metavar="COMMAND")

    show = sub.add_parser("show", help="print the truth table and the derived structure")
    show.add_argument("name", help="graph name (config/graphs/NAME.yaml) or a .yaml path")
    show.add_argument("--depth", type=int, help="expected structure at this many hidden layers")
    show.add_argument("--json", action="store_true", help="print the structure as JSON")
    show.set_defaults(handler=_graph_show)

    draw = sub.add_parser("draw", help="draw the function graph with its modules")
    draw.add_argument("name")
    draw.add_argument("-o", "--output", required=True, type=Path, help="FILE.png|svg|pdf")
    draw.add_argument("--depth", type=int, help="box the modules expected at this depth")
    draw.set_defaults(handler=_graph_draw)

    check = sub.add_parser("check", help="validate graph files (all by default)")
    check.add_argument("names", nargs="*")
    check.set_defaults(handler=_graph_check)

    table = sub.add_parser("truth-table", help="write the truth table as CSV")
    table.add_argument("name")
    table.add_argument("-o", "--output", required=True, type=Path)
    table.set_defaults(handler=_graph_truth_table)

    structure = sub.add_parser("structure", help="write the derived structure as JSON")
    structure.add_argument("name")
    structure.add_argument("-o", "--output", required=True, type=Path)
    structure.set_defaults(handler=_graph_structure)

    files = sub.add_parser(
        "files", help="write the truth table, the structure and the drawings in one go"
    )
    files.add_argument("name")
    files.add_argument("--truth-table", required=True, type=Path, metavar="FILE.csv")
    files.add_argument("--structure", required=True, type=Path, metavar="FILE.json")
    files.add_argument(
        "--drawing", type=Path, action="append", default=[], metavar="FILE.png|svg|pdf"
    )
    files.set_defaults(handler=_graph_files)


def _detect(args: argparse.Namespace) -> int:
    from neural_sculpting.analysis.trial import write_analysis

    if args.trial is not None:  # the workflow: trials of the study (a cell), as JSON
        trials = trials_from_json(args.trial)
        task = trial_task(trials[0])  # a cell's trials share their task
        jobs = [
            (paths.trial_dir(t.key), t.detection, paths.analysis_dir(t.key, t.analysis))
            for t in trials
        ]
    else:
        if args.trial_dir is None or args.graph is None:
            raise UsageError("--trial-dir and --graph are needed without --trial")
        settings = DetectionSettings(args.modularity_threshold, args.merge_threshold)
        jobs = [(args.trial_dir, settings, args.out_dir or args.trial_dir)]
        task = dataset_task_of(args, lambda: _selected_arch(args.trial_dir))
    for trial_dir, settings, out_dir in jobs:
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


def _draw_cell(args: argparse.Namespace) -> int:
    import pandas as pd

    from neural_sculpting.analysis.trial import representative_trial
    from neural_sculpting.figures.tables import trials_table
    from neural_sculpting.figures.trial_drawing import draw_trial

    if len(args.trials) == 1 and args.trials[0].suffix == ".csv":
        source = args.trials[0]
        table = pd.read_csv(source)
    else:  # the trials' own records (what the workflow passes)
        source = args.trials[0].parent
        table = trials_table(args.trials)
    if "analysis_dir" not in table.columns:
        raise SculptError(f"{source}: no analysis_dir column; rebuild it with `sculpt table`")
    cell = table[(table["graph"] == args.graph) & (table["depth"] == args.depth)]
    if cell.empty:
        raise SculptError(f"{source}: no trial of {args.graph} with {args.depth} hidden layers")
    task = dataset_task_of(args, lambda: cell["arch"].iloc[0])
    untrainable = int((cell["trainable"] == False).sum())  # noqa: E712 (a pandas mask)
    if untrainable == len(cell):
        from neural_sculpting.figures.drawing import draw_note

        layers = f"{args.depth} hidden layer{'s' if args.depth != 1 else ''}"
        draw_note(
            args.output,
            f"{args.graph}, {layers}",
            f"{untrainable} of {len(cell)} trials untrainable:\nthe dense network stayed below "
            "the accuracy threshold,\nso nothing was pruned and there is no network to draw",
        )
        print(f"{args.output}: {untrainable} of {len(cell)} trials untrainable, nothing to draw")
        return 0
    row, share, compared = representative_trial(cell.to_dict("records"), task)
    draw_trial(
        Path(row["trial_dir"]), Path(row["analysis_dir"]), task,
        args.output, with_graph=True,
        note=f"most common structure: {share} of {compared} trials",
    )  # fmt: skip
    return 0


def _add_analysis_commands(subparsers) -> None:
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
    cell.add_argument("--graph", required=True)
    cell.add_argument("--depth", required=True, type=int, help="number of hidden layers")
    cell.add_argument("-o", "--output", required=True, type=Path, help="FILE.png|svg|pdf")
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


def _add_table_command(subparsers) -> None:
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


def _status(args: argparse.Namespace) -> int:
    import yaml

    from neural_sculpting.store.status import report
    from neural_sculpting.study.experiments import load_study

    config = yaml.safe_load(Path(args.configfile).read_text())
    study = load_study(config)
    print(report(list(study.values()), args.results, args.cores))
    return 0


def _add_status_command(subparsers) -> None:
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


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="sculpt", description="Neural Sculpting: the pipeline's stages."
    )
    parser.add_argument("--version", action="version", version=f"%(prog)s {__version__}")
    subparsers = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    _add_graph_commands(subparsers)
    engine_cli.register(subparsers)
    _add_analysis_commands(subparsers)
    _add_table_command(subparsers)
    figures_cli.register(subparsers)
    mnist_cli.register(subparsers)
    datasets_cli.register(subparsers)
    _add_status_command(subparsers)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    if hasattr(signal, "SIGPIPE"):
        signal.signal(signal.SIGPIPE, signal.SIG_DFL)  # `sculpt graph show X | head` ends quietly
    args = build_parser().parse_args(argv)
    try:
        return args.handler(args)
    except (SculptError, OSError) as exc:
        # One line, no traceback: these are problems with the input. Anything else is a bug and
        # keeps its traceback.
        if isinstance(exc, OSError) and exc.filename:
            message = f"{exc.filename}: {exc.strerror or type(exc).__name__}"
        else:
            message = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
        print(f"sculpt: error: {message}", file=sys.stderr)
        return 2


if __name__ == "__main__":
    sys.exit(main())
