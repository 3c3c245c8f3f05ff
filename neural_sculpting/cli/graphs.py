"""`sculpt graph ...`: the Boolean tasks' function graphs, their truth tables, structure and
drawings; and the task loaders the other command groups share (imported when a command runs, so
a figure or table job does not pay for networkx or jsonschema)."""

from __future__ import annotations

import argparse
import json
from pathlib import Path

from neural_sculpting.foundations import atomic


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


def register(subparsers: argparse._SubParsersAction) -> None:
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
