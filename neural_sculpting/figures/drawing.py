"""Drawings made with pygraphviz: function graphs, inputs at the bottom, a box per sub-function."""

from __future__ import annotations

import itertools
import math
from collections.abc import Mapping
from pathlib import Path

import pygraphviz as pgv

from neural_sculpting.foundations import atomic
from neural_sculpting.foundations.errors import UsageError
from neural_sculpting.tasks.function_graph import FunctionGraph
from neural_sculpting.tasks.hierarchy import merged_subfunctions

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
        raise UsageError(f"{path}: the drawing must end in .png, .svg or .pdf")
    agraph = function_graph_agraph(graph, hidden_layers)
    agraph.layout(prog="dot")
    with atomic.atomic_path(path) as tmp:
        agraph.draw(str(tmp), format=fmt)


def draw_note(path: Path | str, title: str, note: str) -> None:
    """A drawing that says why there is no network to draw (a cell whose trials are all
    untrainable), so that the workflow's drawing targets always exist."""
    path = Path(path)
    fmt = path.suffix.lstrip(".").lower()
    if fmt not in ("png", "svg", "pdf"):
        raise UsageError(f"{path}: the drawing must end in .png, .svg or .pdf")
    agraph = pgv.AGraph(label=title, labelloc="t", fontsize=16, fontname="Helvetica")
    agraph.add_node("note", label=note, shape="box", style="rounded", fontname="Helvetica")
    agraph.layout(prog="dot")
    with atomic.atomic_path(path) as tmp:
        agraph.draw(str(tmp), format=fmt)


def _input_nodes(
    labels, prefix: str, input_groups: Mapping[str, frozenset[int]] | None, unit: str = "px"
) -> dict[int, tuple[str, str]]:
    """Node name and text of each alive input unit. With `input_groups` (MNIST: the pixels of each
    digit), one node stands for all alive units of a group that share a module, as hundreds of
    pixels drawn one by one would bury the network."""
    alive = [u for u, lab in enumerate(labels[0]) if lab is not None]
    if input_groups is None:
        return {u: (f"{prefix}L0_{u}", f"x{u}") for u in alive}
    group_of = {u: g for g, units in input_groups.items() for u in units}
    modules = list(dict.fromkeys(labels[0][u] for u in alive))
    counts: dict[tuple[str, int], int] = {}
    for u in alive:
        key = (group_of.get(u, "other"), modules.index(labels[0][u]))
        counts[key] = counts.get(key, 0) + 1
    return {
        u: (f"{prefix}L0_{key[0]}_{key[1]}", f"{key[0]}\n{counts[key]} {unit}")
        for u in alive
        for key in [(group_of.get(u, "other"), modules.index(labels[0][u]))]
    }


def _network_graph_into(
    agraph: pgv.AGraph,
    masks,
    labels,
    prefix: str = "",
    colours: dict | None = None,
    input_groups: Mapping[str, frozenset[int]] | None = None,
    input_unit: str = "px",
) -> None:
    """Add the alive units and edges of a pruned network, one coloured box per module."""
    n_layers = len(labels)
    names: dict[tuple[int, int], str] = {}
    for unit, (name, text) in _input_nodes(labels, prefix, input_groups, input_unit).items():
        names[0, unit] = name
        if not agraph.has_node(name):
            width = "0.3" if input_groups is None else "0.75"
            agraph.add_node(name, label=text, width=width)
    for layer, layer_labels in enumerate(labels[1:], start=1):
        for unit, label in enumerate(layer_labels):
            if label is None:
                continue
            text = f"y{unit}" if layer == n_layers - 1 else ""
            name = f"{prefix}L{layer}_{unit}"
            names[layer, unit] = name
            agraph.add_node(name, label=text, width="0.3" if text else "0.18")
    module_order = list(dict.fromkeys(lab for layer in labels for lab in layer if lab is not None))
    for index, module in enumerate(module_order):
        members = list(
            dict.fromkeys(
                names[layer, unit]
                for layer, layer_labels in enumerate(labels)
                for unit, lab in enumerate(layer_labels)
                if lab == module
            )
        )
        colour = (colours or {}).get(module) or PALETTE[index % len(PALETTE)]
        for member in members:
            agraph.get_node(member).attr.update(style="filled", fillcolor=colour)
        agraph.add_subgraph(
            members,
            name=f"cluster_{prefix}m{index}",
            style="rounded,filled",
            fillcolor=colour + "55",
            color="#777777",
            label="",
        )
    edges: dict[tuple[str, str], int] = {}
    for layer, mask in enumerate(masks):
        rows, cols = (mask != 0).nonzero()
        for out_unit, in_unit in zip(rows.tolist(), cols.tolist(), strict=True):
            source, target = names.get((layer, in_unit)), names.get((layer + 1, out_unit))
            if source and target:
                edges[source, target] = edges.get((source, target), 0) + 1
    for (source, target), count in edges.items():
        # An aggregated input node's edge stands for `count` pixel edges: drawn thicker.
        width = 0.7 + 0.5 * math.log2(count)
        agraph.add_edge(
            source, target, color="#555555aa", arrowhead="none", penwidth=f"{width:.2f}"
        )
    # Edges join adjacent layers only, so dot's longest-path ranks are the layers already; no
    # rank=same groups (they fight the module boxes). Invisible flat edges (minlen 0) keep the
    # inputs and the outputs in index order, left to right.
    for layer in (0, n_layers - 1):
        layer_nodes = list(dict.fromkeys(names[key] for key in sorted(names) if key[0] == layer))
        for left, right in itertools.pairwise(layer_nodes):
            agraph.add_edge(left, right, style="invis", minlen="0", weight="10")


def network_agraph(
    masks,
    labels,
    title: str,
    graph: FunctionGraph | None = None,
    depth: int | None = None,
    colours: dict | None = None,
    input_groups: Mapping[str, frozenset[int]] | None = None,
    input_unit: str = "px",
) -> pgv.AGraph:
    """A pruned network (alive units only, inputs at the bottom, a box per module); with `graph`,
    its function graph beside it (boxes as expected at `depth` hidden layers) for comparison.
    `colours` maps module labels to fill colours; `input_groups` draws the inputs one node per
    (group, module), as for MNIST pixels."""
    agraph = pgv.AGraph(directed=True, strict=False, rankdir="BT", newrank="true")
    agraph.graph_attr.update(label=title, labelloc="t", fontsize="16", nodesep="0.12")
    agraph.node_attr.update(shape="circle", fixedsize="true", fontsize="10")
    agraph.edge_attr.update(arrowsize="0.4", penwidth="0.7")
    if graph is None:
        _network_graph_into(
            agraph, masks, labels, colours=colours, input_groups=input_groups, input_unit=input_unit
        )
        return agraph
    side = agraph.add_subgraph(name="cluster_network", label="pruned network", color="white")
    _network_graph_into(side, masks, labels, prefix="n_", colours=colours)
    fg = function_graph_agraph(graph, hidden_layers=depth)
    box = agraph.add_subgraph(name="cluster_function", label="function graph", color="white")
    for node in fg.nodes():
        attrs = dict(node.attr)
        attrs["label"] = attrs.get("label") or str(node)
        box.add_node(f"f_{node}", **attrs)
    for edge in fg.edges():
        box.add_edge(f"f_{edge[0]}", f"f_{edge[1]}", **dict(edge.attr))
    for sub in fg.subgraphs():
        members = [f"f_{n}" for n in sub.nodes()]
        cluster = "cluster_" if sub.name.startswith("cluster") else ""
        box.add_subgraph(members, name=f"{cluster}f_{sub.name}", **dict(sub.graph_attr))
    return agraph


def draw_network(
    masks,
    labels,
    path: Path | str,
    title: str,
    graph: FunctionGraph | None = None,
    depth: int | None = None,
    colours: dict | None = None,
    input_groups: Mapping[str, frozenset[int]] | None = None,
    input_unit: str = "px",
) -> None:
    """Render a pruned network with its modules to PNG, SVG or PDF, atomically."""
    path = Path(path)
    fmt = path.suffix.lstrip(".").lower()
    if fmt not in ("png", "svg", "pdf"):
        raise UsageError(f"{path}: the drawing must end in .png, .svg or .pdf")
    agraph = network_agraph(masks, labels, title, graph, depth, colours, input_groups, input_unit)
    agraph.layout(prog="dot")
    with atomic.atomic_path(path) as tmp:
        agraph.draw(str(tmp), format=fmt)
