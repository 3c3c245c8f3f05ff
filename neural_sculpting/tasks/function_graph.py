"""Function graphs: the paper's (G, E)-graphs of a Boolean task, read from `config/graphs/*.yaml`.

A graph has input nodes x0..x(n-1), gate nodes (AND, OR, ID) whose in-edges are transfer or
negation edges, and output nodes y0..y(m-1), each copying one node. `modules` names the
ground-truth sub-functions (sets of gates); `collapse` says which of them merge into one module
when a network has too few hidden layers to hold the hierarchy (paper Secs. 5.2, 5.4).

The shape of a file is the JSON schema `tasks/schemas/function_graph.schema.yaml`. Every problem
in a file is reported as a `GraphError` whose message is one line: ``<file>: <entry>: <problem>``.
"""

from __future__ import annotations

import graphlib
import re
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import TYPE_CHECKING, Any

import yaml

from neural_sculpting.foundations import paths
from neural_sculpting.foundations.errors import SculptError
from neural_sculpting.tasks.schemas import schema_problem

if TYPE_CHECKING:
    import networkx as nx

NAME_PATTERN = re.compile(r"^[a-z0-9_]+$")


class GraphError(SculptError):
    """A malformed function-graph file; the message names the file, the entry and the problem."""


@dataclass(frozen=True)
class Literal:
    """A reference to a node along an edge: a transfer edge, or a negation edge if `negated`."""

    node: str
    negated: bool = False

    def __str__(self) -> str:
        return ("~" if self.negated else "") + self.node


@dataclass(frozen=True)
class Gate:
    name: str
    op: str
    inputs: tuple[Literal, ...]


@dataclass(frozen=True)
class FunctionGraph:
    """A validated function graph. Gates are kept in file order (a valid evaluation order is
    `topological_gates`)."""

    name: str
    description: str
    n_inputs: int
    gates: Mapping[str, Gate]
    base_outputs: tuple[Literal, ...]
    repeat: int = 1
    modules: Mapping[str, tuple[str, ...]] = field(default_factory=dict)
    collapse: Mapping[int, tuple[tuple[str, ...], ...]] = field(default_factory=dict)
    params: Mapping[str, Any] = field(default_factory=dict)
    source: str = "<memory>"

    @property
    def input_names(self) -> tuple[str, ...]:
        return tuple(f"x{i}" for i in range(self.n_inputs))

    @property
    def outputs(self) -> tuple[Literal, ...]:
        """The output list repeated `repeat` times, alternating (F0, F1, F0, F1, ...)."""
        return self.base_outputs * self.repeat

    @property
    def n_outputs(self) -> int:
        return len(self.base_outputs) * self.repeat

    @property
    def output_names(self) -> tuple[str, ...]:
        return tuple(f"y{j}" for j in range(self.n_outputs))

    def gate_inputs(self) -> dict[str, set[str]]:
        """Each gate's input nodes (inputs or gates)."""
        return {gate.name: {lit.node for lit in gate.inputs} for gate in self.gates.values()}

    @property
    def topological_gates(self) -> tuple[str, ...]:
        # graphlib, not networkx: loading a task (every search job does) should not import it.
        order = graphlib.TopologicalSorter(self.gate_inputs()).static_order()
        return tuple(n for n in order if n in self.gates)

    def gate_dag(self) -> nx.DiGraph:
        """Inputs and gates with an edge per gate input (attribute `negated`)."""
        import networkx as nx

        dag = nx.DiGraph()
        dag.add_nodes_from(self.input_names, kind="input")
        for gate in self.gates.values():
            dag.add_node(gate.name, kind="gate", op=gate.op)
        for gate in self.gates.values():
            for lit in gate.inputs:
                dag.add_edge(lit.node, gate.name, negated=lit.negated)
        return dag

    def to_networkx(self) -> nx.DiGraph:
        """The whole function graph: inputs, gates and output nodes y_j (each with one in-edge)."""
        dag = self.gate_dag()
        for out_name, lit in zip(self.output_names, self.outputs, strict=True):
            dag.add_node(out_name, kind="output")
            dag.add_edge(lit.node, out_name, negated=lit.negated)
        return dag

    def level_of(self) -> dict[str, int]:
        """Longest-path depth of every node (inputs 0); output nodes sit one above their source."""
        import networkx as nx

        dag = self.to_networkx()
        level: dict[str, int] = {}
        for node in nx.topological_sort(dag):
            preds = list(dag.predecessors(node))
            level[node] = 1 + max(level[p] for p in preds) if preds else 0
        return level


def parse_graph(data: Any, source: str, expected_name: str | None = None) -> FunctionGraph:
    """Validate the mapping read from a graph file and build a `FunctionGraph`.

    The schema checks the shape (keys, types, ranges, op arities); the code below checks what it
    cannot express: the file name, node and module references, cycles and unused gates."""

    def fail(entry: str, problem: str) -> GraphError:
        return GraphError(f"{source}: {entry}: {problem}")

    problem = schema_problem(data, "function_graph")
    if problem is not None:
        raise fail(*problem)
    name = data["name"]
    if expected_name is not None and name != expected_name:
        raise fail("name", f"{name!r} differs from the file name {expected_name!r}")
    input_names = {f"x{i}" for i in range(data["inputs"])}
    gates = _parse_gates(data["gates"], input_names, fail)
    outputs = tuple(
        _parse_literal(t, "outputs", input_names | set(gates), fail) for t in data["outputs"]
    )
    graph = FunctionGraph(
        name=name,
        description=data.get("description", ""),
        n_inputs=data["inputs"],
        gates=gates,
        base_outputs=outputs,
        repeat=data.get("repeat", 1),
        params=dict(data.get("params", {})),
        source=source,
    )
    _check_acyclic_and_used(graph, fail)
    modules = _parse_modules(data.get("modules"), gates, fail)
    return replace(
        graph, modules=modules, collapse=_parse_collapse(data.get("collapse"), modules, fail)
    )


def _check_acyclic_and_used(graph: FunctionGraph, fail) -> None:
    """The checks that need the whole graph: no cycle, and every gate feeds some output."""
    inputs = graph.gate_inputs()
    try:
        graph.topological_gates  # noqa: B018 (raises on a cycle)
    except graphlib.CycleError as error:
        raise fail("gates", f"cycle through {' -> '.join(error.args[1])}") from None
    used: set[str] = set()
    stack = [lit.node for lit in graph.base_outputs]
    while stack:  # everything upstream of an output
        node = stack.pop()
        if node not in used:
            used.add(node)
            stack.extend(inputs.get(node, ()))
    for gate_name in graph.gates:
        if gate_name not in used:
            raise fail(f"gates.{gate_name}", "does not reach any output")


def _parse_literal(token: str, entry: str, known: set[str], fail) -> Literal:
    negated = token.startswith("~")
    node = token[1:] if negated else token
    if node not in known:
        raise fail(entry, f"unknown node {node!r}")
    return Literal(node, negated)


def _parse_gates(raw: dict[str, Any], input_names: set[str], fail) -> dict[str, Gate]:
    known = input_names | set(raw)
    gates: dict[str, Gate] = {}
    for gate_name, spec in raw.items():
        entry = f"gates.{gate_name}"
        inputs = tuple(_parse_literal(t, entry, known, fail) for t in spec["in"])
        # x0 and ~x0 are two tokens but one node, which a schema's uniqueItems cannot see.
        if len({lit.node for lit in inputs}) != len(inputs):
            raise fail(entry, "the same node is listed twice as an input")
        gates[gate_name] = Gate(gate_name, spec["op"], inputs)
    return gates


def _parse_modules(
    raw: dict[str, list[str]] | None, gates: Mapping[str, Gate], fail
) -> dict[str, tuple[str, ...]]:
    if raw is None:
        # Without a ground truth, the whole gate set is one sub-function.
        return {"f": tuple(gates)}
    owner: dict[str, str] = {}
    for module_name, members in raw.items():
        entry = f"modules.{module_name}"
        for gate_name in members:
            if gate_name not in gates:
                raise fail(entry, f"unknown gate {gate_name!r}")
            if gate_name in owner:
                raise fail(entry, f"gate {gate_name!r} is already in module {owner[gate_name]!r}")
            owner[gate_name] = module_name
    missing = [g for g in gates if g not in owner]
    if missing:
        raise fail("modules", f"gate {missing[0]!r} belongs to no module")
    return {module_name: tuple(members) for module_name, members in raw.items()}


def _parse_collapse(
    raw: dict[int, list[list[str]]] | None, modules: Mapping[str, tuple[str, ...]], fail
) -> dict[int, tuple[tuple[str, ...], ...]]:
    if raw is None:
        return {}
    for depth, groups in raw.items():
        entry = f"collapse.{depth}"
        seen: set[str] = set()
        for module_name in (m for group in groups for m in group):
            if module_name not in modules:
                raise fail(entry, f"unknown module {module_name!r}")
            if module_name in seen:
                raise fail(entry, f"module {module_name!r} appears in two groups")
            seen.add(module_name)
    return {depth: tuple(tuple(g) for g in groups) for depth, groups in raw.items()}


class _UniqueKeyLoader(yaml.SafeLoader):
    """A safe loader that refuses duplicate mapping keys (PyYAML keeps the last one silently)."""


def _construct_unique_mapping(loader: _UniqueKeyLoader, node: yaml.MappingNode) -> dict:
    mapping: dict = {}
    for key_node, value_node in node.value:
        key = loader.construct_object(key_node, deep=True)
        if key in mapping:
            line = key_node.start_mark.line + 1
            raise yaml.constructor.ConstructorError(
                None, None, f"duplicate name {key!r} (line {line})", key_node.start_mark
            )
        mapping[key] = loader.construct_object(value_node, deep=True)
    return mapping


_UniqueKeyLoader.add_constructor(
    yaml.resolver.BaseResolver.DEFAULT_MAPPING_TAG, _construct_unique_mapping
)


def read_yaml(path: Path) -> Any:
    """Read a YAML file safely, refusing duplicate keys; problems raise `GraphError`."""
    try:
        text = path.read_text()
    except OSError as exc:
        raise GraphError(f"{path}: (file): cannot be read ({exc.strerror})") from None
    try:
        return yaml.load(text, Loader=_UniqueKeyLoader)
    except yaml.constructor.ConstructorError as exc:
        raise GraphError(f"{path}: (file): {exc.problem}") from None
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f"line {mark.line + 1}" if mark is not None else "(file)"
        problem = getattr(exc, "problem", None) or "not valid YAML"
        raise GraphError(f"{path}: {where}: {problem}") from None


def graph_path(name_or_path: str) -> Path:
    """The file of a graph given by path, or by name: looked up on the task search path
    (`paths.task_search_path`: the project's `config/graphs/`, then the paper's)."""
    if name_or_path.endswith((".yaml", ".yml")) or "/" in name_or_path:
        path = Path(name_or_path)
        if not path.is_file():
            raise GraphError(f"{path}: (file): no such graph file")
        return path
    if not NAME_PATTERN.match(name_or_path):
        raise GraphError(f"{name_or_path}: name: a graph name must match [a-z0-9_]+")
    path = paths.find_task_file(name_or_path, "graphs")
    if path is None:
        raise GraphError(
            f"{name_or_path}: (file): no {name_or_path}.yaml in {paths.searched('graphs')}"
        )
    return path


def load_graph(name_or_path: str) -> FunctionGraph:
    """Load and validate a graph by name (on the task search path) or from a file path."""
    path = graph_path(name_or_path)
    return parse_graph(read_yaml(path), str(path), expected_name=path.stem)


def available_graphs() -> list[str]:
    """Names of all graph files on the task search path, sorted."""
    return paths.task_names("graphs")
