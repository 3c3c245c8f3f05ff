"""Drawings made with pygraphviz: function graphs, inputs at the bottom, a box per sub-function."""

from __future__ import annotations

from pathlib import Path

import pygraphviz as pgv

from neural_sculpting import atomic
from neural_sculpting.function_graph import FunctionGraph
from neural_sculpting.hierarchy import merged_subfunctions

# Pastel fills for module boxes, distinct enough to tell ten modules apart in print.
PALETTE = (
    "#a6cee3", "#b2df8a", "#fb9a99", "#fdbf6f", "#cab2d6",
    "#ffff99", "#8dd3c7", "#bebada", "#fccde5", "#d9d9d9",
)  # fmt: skip
GATE_SYMBOL = {"and": "∧", "or": "∨", "id": "I"}


def function_graph_agraph(graph: FunctionGraph, hidden_layers: int | None = None) -> pgv.AGraph:
    """The graph laid out bottom-to-top: inputs, gates grouped in module boxes, outputs.
    With `hidden_layers`, the boxes follow the graph's `collapse` entry for that depth."""
    title = f"{graph.name}: {graph.n_inputs} inputs, {graph.n_outputs} outputs"
    if hidden_layers is not None:
        title += f" (expected modules with {hidden_layers} hidden layers)"
    agraph = pgv.AGraph(directed=True, strict=False, rankdir="BT", newrank="true")
    title += "\nred edges with a bar: negation"
    agraph.graph_attr.update(label=title, labelloc="t", fontsize="16", nodesep="0.25")
    agraph.node_attr.update(shape="circle", fixedsize="true", width="0.45", fontsize="12")
    agraph.edge_attr.update(arrowsize="0.6")

    for name in graph.input_names:
        agraph.add_node(name, style="filled", fillcolor="white")
    agraph.add_subgraph(list(graph.input_names), name="inputs", rank="min")

    modules = merged_subfunctions(graph, hidden_layers)
    for index, (module, gates) in enumerate(modules.items()):
        for gate in gates:
            agraph.add_node(
                gate, label=GATE_SYMBOL[graph.gates[gate].op], tooltip=gate, fontsize="16"
            )
        agraph.add_subgraph(
            list(gates),
            name=f"cluster_{index}",
            label=module,
            style="rounded,filled",
            fillcolor=PALETTE[index % len(PALETTE)],
            color="#555555",
            fontsize="12",
            labelloc="b",  # with rankdir=BT, "b" puts the name at the top of the box
        )

    for gate in graph.gates.values():
        for lit in gate.inputs:
            _edge(agraph, lit.node, gate.name, lit.negated)
    for name, lit in zip(graph.output_names, graph.outputs, strict=True):
        agraph.add_node(name, shape="doublecircle", width="0.4")
        _edge(agraph, lit.node, name, lit.negated)
    agraph.add_subgraph(list(graph.output_names), name="outputs", rank="max")
    return agraph


def _edge(agraph: pgv.AGraph, source: str, target: str, negated: bool) -> None:
    # Negation edges in red with a bar head, as the paper distinguishes the two edge types.
    if negated:
        agraph.add_edge(source, target, color="#d62728", arrowhead="tee", penwidth="1.3")
    else:
        agraph.add_edge(source, target, color="#333333")


def draw_function_graph(
    graph: FunctionGraph, path: Path | str, hidden_layers: int | None = None
) -> None:
    """Render to PNG, SVG or PDF (by the file suffix), written atomically."""
    path = Path(path)
    fmt = path.suffix.lstrip(".").lower()
    if fmt not in ("png", "svg", "pdf"):
        raise ValueError(f"{path}: the drawing must end in .png, .svg or .pdf")
    agraph = function_graph_agraph(graph, hidden_layers)
    agraph.layout(prog="dot")
    with atomic.atomic_path(path) as tmp:
        agraph.draw(str(tmp), format=fmt)
