"""The task's hierarchy of sub-functions, derived from its function graph: the ground truth
that detected modules are scored against.

A sub-function's *signature* is the pair (input groups it depends on, output nodes that depend on
it). Detected modules get the same kind of signature from the network's paths, so the two sides
can be compared without naming anything. Input groups are grouped by the set of sub-functions
that depend on them, outputs by the set of sub-functions they depend on.

An *input group* is a set of input units that the task treats alike: for a function graph each
input is a group of its own; for an MNIST task a group is the pixels of one digit
(`mnist_task.py`), since a pruned network keeps only some of each digit's pixels.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

from neural_sculpting.tasks.function_graph import FunctionGraph

if TYPE_CHECKING:
    import networkx as nx


@dataclass(frozen=True)
class Signature:
    inputs: frozenset[int]  # input groups (for function graphs: input nodes)
    outputs: frozenset[int]

    def describe(self, input_names: Sequence[str] | None = None) -> str:
        name = (lambda i: input_names[i]) if input_names else (lambda i: f"x{i}")
        ins = ",".join(name(i) for i in sorted(self.inputs))
        outs = ",".join(f"y{j}" for j in sorted(self.outputs))
        return f"inputs {{{ins}}} -> outputs {{{outs}}}"


@dataclass(frozen=True)
class TaskHierarchy:
    """The expected structure at a given number of hidden layers (None: no collapse applied)."""

    graph: str
    hidden_layers: int | None
    subfunctions: Mapping[str, tuple[str, ...]]  # sub-function -> its gates
    signatures: Mapping[str, Signature]
    module_graph: nx.DiGraph  # over sub-functions; edge weight = gate edges between them
    input_partition: frozenset[frozenset[int]]  # of input groups some sub-function depends on
    output_partition: frozenset[frozenset[int]]
    input_groups: tuple[frozenset[int], ...]  # input units of each group
    input_group_names: tuple[str, ...]

    @property
    def signature_set(self) -> frozenset[Signature]:
        return frozenset(self.signatures.values())

    def to_json(self) -> dict:
        return {
            "graph": self.graph,
            "hidden_layers": self.hidden_layers,
            "subfunctions": {
                name: {
                    "gates": list(gates),
                    "inputs": sorted(self.signatures[name].inputs),
                    "outputs": sorted(self.signatures[name].outputs),
                    "level": self.module_graph.nodes[name]["level"],
                }
                for name, gates in self.subfunctions.items()
            },
            "edges": [
                {"source": u, "target": v, "weight": d["weight"]}
                for u, v, d in sorted(self.module_graph.edges(data=True))
            ],
            "input_partition": sorted(sorted(group) for group in self.input_partition),
            "output_partition": sorted(sorted(group) for group in self.output_partition),
            "input_groups": {
                name: sorted(units)
                for name, units in zip(self.input_group_names, self.input_groups, strict=True)
            },
        }


def merged_subfunctions(
    graph: FunctionGraph, hidden_layers: int | None
) -> dict[str, tuple[str, ...]]:
    """The graph's modules, with the groups of its `collapse` entry for this depth merged into one
    sub-function named after its members joined by '+'."""
    groups = graph.collapse.get(hidden_layers, ()) if hidden_layers is not None else ()
    merged_into = {m: "+".join(group) for group in groups for m in group}
    result: dict[str, tuple[str, ...]] = {}
    for name, gates in graph.modules.items():
        target = merged_into.get(name, name)
        result[target] = result.get(target, ()) + tuple(gates)
    return result


def task_hierarchy(graph: FunctionGraph, hidden_layers: int | None = None) -> TaskHierarchy:
    """Derive the ground-truth structure of `graph` for a network with `hidden_layers` hidden
    layers (None: the graph's own modules, no collapse)."""
    import networkx as nx  # here, not at the top: loading a task need not import it

    dag = graph.to_networkx()
    input_index = {name: i for i, name in enumerate(graph.input_names)}
    output_index = {name: j for j, name in enumerate(graph.output_names)}
    subfunctions = merged_subfunctions(graph, hidden_layers)
    owner = {gate: name for name, gates in subfunctions.items() for gate in gates}
    level = graph.level_of()

    signatures: dict[str, Signature] = {}
    for name, gates in subfunctions.items():
        upstream = set().union(*(nx.ancestors(dag, g) for g in gates))
        downstream = set().union(*(nx.descendants(dag, g) for g in gates))
        signatures[name] = Signature(
            inputs=frozenset(input_index[n] for n in upstream if n in input_index),
            outputs=frozenset(output_index[n] for n in downstream if n in output_index),
        )

    module_graph = nx.DiGraph()
    for name, gates in subfunctions.items():
        module_graph.add_node(
            name,
            gates=tuple(gates),
            level=min(level[g] for g in gates),
            signature=signatures[name],
        )
    for u, v in dag.edges():
        if u in owner and v in owner and owner[u] != owner[v]:
            a, b = owner[u], owner[v]
            weight = module_graph.edges[a, b]["weight"] + 1 if module_graph.has_edge(a, b) else 1
            module_graph.add_edge(a, b, weight=weight)

    users_of_input: dict[int, frozenset[str]] = {
        i: frozenset(n for n, s in signatures.items() if i in s.inputs)
        for i in range(graph.n_inputs)
    }
    used_by_output: dict[int, frozenset[str]] = {
        j: frozenset(n for n, s in signatures.items() if j in s.outputs)
        for j in range(graph.n_outputs)
    }
    return TaskHierarchy(
        graph=graph.name,
        hidden_layers=hidden_layers,
        subfunctions=subfunctions,
        signatures=signatures,
        module_graph=module_graph,
        input_partition=group_by(
            {i: users for i, users in users_of_input.items() if users}  # unused inputs left out
        ),
        output_partition=group_by(used_by_output),
        input_groups=tuple(frozenset({i}) for i in range(graph.n_inputs)),
        input_group_names=tuple(graph.input_names),
    )


def group_by(keyed: Mapping[int, frozenset[str]]) -> frozenset[frozenset[int]]:
    """Partition the keys of `keyed` into groups with equal values."""
    groups: dict[frozenset[str], set[int]] = {}
    for key, value in keyed.items():
        groups.setdefault(value, set()).add(key)
    return frozenset(frozenset(g) for g in groups.values())
