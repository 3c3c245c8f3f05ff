"""Function graphs: the paper's (G, E)-graphs of a Boolean task, read from `config/graphs/*.yaml`.

A graph has input nodes x0..x(n-1), gate nodes (AND, OR, ID) whose in-edges are transfer or
negation edges, and output nodes y0..y(m-1), each copying one node. `modules` names the
ground-truth sub-functions (sets of gates); `collapse` says which of them merge into one module
when a network has too few hidden layers to hold the hierarchy (paper Secs. 5.2, 5.4).

Every problem in a file is reported as a `GraphError` whose message is one line:
``<file>: <entry>: <problem>``.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import networkx as nx
import yaml

from neural_sculpting.study import paths

NAME_PATTERN = re.compile(r"^[a-z0-9_]+$")
INPUT_PATTERN = re.compile(r"^x(0|[1-9][0-9]*)$")
OPS = ("and", "or", "id")
TOP_LEVEL_KEYS = {
    "name",
    "description",
    "inputs",
    "gates",
    "outputs",
    "repeat",
    "modules",
    "collapse",
    "params",
}
REQUIRED_KEYS = ("name", "inputs", "gates", "outputs")


class GraphError(ValueError):
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

    @property
    def topological_gates(self) -> tuple[str, ...]:
        return tuple(n for n in nx.topological_sort(self.gate_dag()) if n in self.gates)

    def gate_dag(self) -> nx.DiGraph:
        """Inputs and gates with an edge per gate input (attribute `negated`)."""
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
        dag = self.to_networkx()
        level: dict[str, int] = {}
        for node in nx.topological_sort(dag):
            preds = list(dag.predecessors(node))
            level[node] = 1 + max(level[p] for p in preds) if preds else 0
        return level


def parse_graph(data: Any, source: str, expected_name: str | None = None) -> FunctionGraph:
    """Validate the mapping read from a graph file and build a `FunctionGraph`."""

    def fail(entry: str, problem: str) -> GraphError:
        return GraphError(f"{source}: {entry}: {problem}")

    if not isinstance(data, dict):
        raise fail("(file)", "expected a mapping of keys (name, inputs, gates, outputs, ...)")
    for key in data:
        if key not in TOP_LEVEL_KEYS:
            raise fail(str(key), f"unknown key (allowed: {', '.join(sorted(TOP_LEVEL_KEYS))})")
    for key in REQUIRED_KEYS:
        if key not in data:
            raise fail(key, "missing required key")

    name = data["name"]
    if not isinstance(name, str) or not NAME_PATTERN.match(name):
        raise fail("name", f"{name!r} must match [a-z0-9_]+")
    if expected_name is not None and name != expected_name:
        raise fail("name", f"{name!r} differs from the file name {expected_name!r}")
    description = data.get("description", "")
    if not isinstance(description, str):
        raise fail("description", "must be a string")

    n_inputs = data["inputs"]
    if isinstance(n_inputs, bool) or not isinstance(n_inputs, int) or n_inputs < 1:
        raise fail("inputs", f"{n_inputs!r} is not a positive integer")
    input_names = {f"x{i}" for i in range(n_inputs)}

    gates = _parse_gates(data["gates"], input_names, fail)
    outputs = _parse_literals(data["outputs"], "outputs", input_names | set(gates), fail)
    if not outputs:
        raise fail("outputs", "must list at least one node")

    repeat = data.get("repeat", 1)
    if isinstance(repeat, bool) or not isinstance(repeat, int) or repeat < 1:
        raise fail("repeat", f"{repeat!r} is not a positive integer")

    graph_without_modules = FunctionGraph(
        name=name,
        description=description,
        n_inputs=n_inputs,
        gates=gates,
        base_outputs=tuple(outputs),
        repeat=repeat,
        source=source,
    )
    dag = graph_without_modules.to_networkx()
    if not nx.is_directed_acyclic_graph(dag):
        cycle = " -> ".join(u for u, _ in nx.find_cycle(dag))
        raise fail("gates", f"cycle through {cycle}")
    used = set().union(*(nx.ancestors(dag, y) for y in graph_without_modules.output_names))
    for gate_name in gates:
        if gate_name not in used:
            raise fail(f"gates.{gate_name}", "does not reach any output")

    modules = _parse_modules(data.get("modules"), gates, fail)
    collapse = _parse_collapse(data.get("collapse"), modules, fail)
    params = data.get("params", {})
    if not isinstance(params, dict) or not all(isinstance(k, str) for k in params):
        raise fail("params", "must be a mapping of names to values")
    for key, value in params.items():
        if isinstance(value, bool) or not isinstance(value, int | float | str):
            raise fail(f"params.{key}", f"{value!r} must be a number or a string")

    return FunctionGraph(
        name=name,
        description=description,
        n_inputs=n_inputs,
        gates=gates,
        base_outputs=tuple(outputs),
        repeat=repeat,
        modules=modules,
        collapse=collapse,
        params=dict(params),
        source=source,
    )


def _parse_literal(token: Any, entry: str, known: set[str], fail) -> Literal:
    if not isinstance(token, str) or not token:
        raise fail(entry, f"{token!r} is not a node name")
    negated = token.startswith("~")
    node = token[1:] if negated else token
    if node not in known:
        raise fail(entry, f"unknown node {node!r}")
    return Literal(node, negated)


def _parse_literals(tokens: Any, entry: str, known: set[str], fail) -> list[Literal]:
    if not isinstance(tokens, list):
        raise fail(entry, "must be a list of node names")
    return [_parse_literal(t, entry, known, fail) for t in tokens]


def _parse_gates(raw: Any, input_names: set[str], fail) -> dict[str, Gate]:
    if not isinstance(raw, dict) or not raw:
        raise fail("gates", "must be a non-empty mapping of gate names to {op, in}")
    for gate_name in raw:
        if not isinstance(gate_name, str) or not re.match(r"^[A-Za-z_][A-Za-z0-9_']*$", gate_name):
            raise fail(f"gates.{gate_name}", "a gate name must be an identifier")
        if gate_name in input_names or INPUT_PATTERN.match(gate_name):
            raise fail(f"gates.{gate_name}", "a gate may not be named like an input node (x<i>)")
    known = input_names | set(raw)
    gates: dict[str, Gate] = {}
    for gate_name, spec in raw.items():
        entry = f"gates.{gate_name}"
        if not isinstance(spec, dict):
            raise fail(entry, "must be a mapping {op: and|or|id, in: [...]}")
        extra = set(spec) - {"op", "in"}
        if extra:
            raise fail(entry, f"unknown key {sorted(extra)[0]!r} (allowed: op, in)")
        op = spec.get("op")
        if op not in OPS:
            raise fail(entry, f"unknown op {op!r} (allowed: and, or, id)")
        if "in" not in spec:
            raise fail(entry, "missing 'in'")
        inputs = _parse_literals(spec["in"], entry, known, fail)
        if op in ("and", "or") and len(inputs) < 2:
            raise fail(entry, f"an '{op}' gate needs at least two inputs, got {len(inputs)}")
        if op == "id" and len(inputs) != 1:
            raise fail(entry, f"an 'id' gate takes exactly one input, got {len(inputs)}")
        if len({lit.node for lit in inputs}) != len(inputs):
            raise fail(entry, "the same node is listed twice as an input")
        gates[gate_name] = Gate(gate_name, op, tuple(inputs))
    return gates


def _parse_modules(raw: Any, gates: Mapping[str, Gate], fail) -> dict[str, tuple[str, ...]]:
    if raw is None:
        # Without a ground truth, the whole gate set is one sub-function.
        return {"f": tuple(gates)}
    if not isinstance(raw, dict) or not raw:
        raise fail("modules", "must be a non-empty mapping of module names to gate lists")
    owner: dict[str, str] = {}
    modules: dict[str, tuple[str, ...]] = {}
    for module_name, members in raw.items():
        entry = f"modules.{module_name}"
        if not isinstance(module_name, str) or not re.match(
            r"^[A-Za-z_][A-Za-z0-9_']*$", module_name
        ):
            raise fail(entry, "a module name must be an identifier")
        if not isinstance(members, list) or not members:
            raise fail(entry, "must be a non-empty list of gate names")
        for gate_name in members:
            if gate_name not in gates:
                raise fail(entry, f"unknown gate {gate_name!r}")
            if gate_name in owner:
                raise fail(entry, f"gate {gate_name!r} is already in module {owner[gate_name]!r}")
            owner[gate_name] = module_name
        modules[module_name] = tuple(members)
    missing = [g for g in gates if g not in owner]
    if missing:
        raise fail("modules", f"gate {missing[0]!r} belongs to no module")
    return modules


def _parse_collapse(
    raw: Any, modules: Mapping[str, tuple[str, ...]], fail
) -> dict[int, tuple[tuple[str, ...], ...]]:
    if raw is None:
        return {}
    if not isinstance(raw, dict):
        raise fail("collapse", "must map a number of hidden layers to lists of module groups")
    collapse: dict[int, tuple[tuple[str, ...], ...]] = {}
    for depth, groups in raw.items():
        entry = f"collapse.{depth}"
        if isinstance(depth, bool) or not isinstance(depth, int) or depth < 1:
            raise fail(entry, "the key must be a positive number of hidden layers")
        if not isinstance(groups, list) or not all(isinstance(g, list) for g in groups):
            raise fail(entry, "must be a list of lists of module names")
        seen: set[str] = set()
        for group in groups:
            if len(group) < 2:
                raise fail(entry, f"a group must merge at least two modules, got {group!r}")
            for module_name in group:
                if module_name not in modules:
                    raise fail(entry, f"unknown module {module_name!r}")
                if module_name in seen:
                    raise fail(entry, f"module {module_name!r} appears in two groups")
                seen.add(module_name)
        collapse[depth] = tuple(tuple(g) for g in groups)
    return collapse


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


def graph_path(name_or_path: str, graphs_dir: Path | None = None) -> Path:
    """The file of a graph given by name (looked up in the graphs folder) or by path."""
    if name_or_path.endswith((".yaml", ".yml")) or "/" in name_or_path:
        return Path(name_or_path)
    if not NAME_PATTERN.match(name_or_path):
        raise GraphError(f"{name_or_path}: name: a graph name must match [a-z0-9_]+")
    return (graphs_dir or paths.graphs_dir()) / f"{name_or_path}.yaml"


def load_graph(name_or_path: str, graphs_dir: Path | None = None) -> FunctionGraph:
    """Load and validate a graph by name (from `config/graphs/`) or from a file path."""
    path = graph_path(name_or_path, graphs_dir)
    if not path.is_file():
        raise GraphError(f"{path}: (file): no such graph file")
    return parse_graph(read_yaml(path), str(path), expected_name=path.stem)


def available_graphs(graphs_dir: Path | None = None) -> list[str]:
    """Names of all graph files in the graphs folder, sorted."""
    return sorted(p.stem for p in (graphs_dir or paths.graphs_dir()).glob("*.yaml"))
