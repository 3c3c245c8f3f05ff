"""MNIST task descriptions (Section 5.5): the ground truth that networks trained on composite
two-digit images are scored against, read from `config/tasks/<name>.yaml`.

A description names the dataset it is learnt from (`sculpt mnist-data --task`), the input groups
(the pixels of each digit, by image columns of the row-major 28x56 composite), the output names,
and the sub-functions: what each reads (input groups), which sub-functions it uses and which outputs
it writes. From that it derives the same `TaskHierarchy` a function graph gives, so scoring is one
rule for both kinds of task. Pixels that are zero in every image are dead; a pruned network may
drop them, and any other pixel, without penalty, as long as each digit keeps some pixels and no
module mixes the two digits' pixels (`scoring.py`).

`categories` name the success categories a figure counts (Fig. 13b): each is a list of scoring
flags that must hold and sub-functions that must be among the modules found.

The shape of a description is the JSON schema `tasks/schemas/mnist_task.schema.yaml`.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from neural_sculpting.tasks.hierarchy import Signature, TaskHierarchy, group_by
from neural_sculpting.tasks.schemas import schema_problem


class TaskError(ValueError):
    """A malformed task description; the message is one line naming the file and the key."""


@dataclass(frozen=True)
class Subfunction:
    reads: tuple[str, ...]  # input groups
    uses: tuple[str, ...]  # other sub-functions
    writes: tuple[str, ...]  # outputs


@dataclass(frozen=True)
class Category:
    flags: tuple[str, ...]
    found: tuple[str, ...]


@dataclass(frozen=True)
class MnistTask:
    name: str
    description: str
    dataset: str
    height: int
    width: int
    input_groups: Mapping[str, frozenset[int]]  # group -> input units (row-major pixels)
    output_names: tuple[str, ...]
    subfunctions: Mapping[str, Subfunction]
    categories: Mapping[str, Category] = field(default_factory=dict)
    params: Mapping[str, Any] = field(default_factory=dict)

    @property
    def n_inputs(self) -> int:
        return self.height * self.width

    @property
    def n_outputs(self) -> int:
        return len(self.output_names)

    def hierarchy(self, hidden_layers: int | None = None) -> TaskHierarchy:
        """The expected structure; the same at every depth (the Fig. 13a task has four levels,
        and the paper's networks have two hidden layers or more)."""
        import networkx as nx  # here, not at the top: loading a task need not import it

        graph = nx.DiGraph()
        for name, sub in self.subfunctions.items():
            graph.add_node(name)
            for used in sub.uses:
                graph.add_edge(used, name, weight=1)
        group_index = {g: i for i, g in enumerate(self.input_groups)}
        output_index = {o: j for j, o in enumerate(self.output_names)}
        signatures = {}
        for name in self.subfunctions:
            upstream = nx.ancestors(graph, name) | {name}
            downstream = nx.descendants(graph, name) | {name}
            signatures[name] = Signature(
                inputs=frozenset(
                    group_index[g] for s in upstream for g in self.subfunctions[s].reads
                ),
                outputs=frozenset(
                    output_index[o] for s in downstream for o in self.subfunctions[s].writes
                ),
            )
        for name in nx.topological_sort(graph):
            level = 1 + max((graph.nodes[p]["level"] for p in graph.predecessors(name)), default=0)
            graph.nodes[name].update(gates=(), level=level, signature=signatures[name])
        users_of_group = {
            i: frozenset(n for n, s in signatures.items() if i in s.inputs)
            for i in range(len(self.input_groups))
        }
        used_by_output = {
            j: frozenset(n for n, s in signatures.items() if j in s.outputs)
            for j in range(self.n_outputs)
        }
        return TaskHierarchy(
            graph=self.name,
            hidden_layers=hidden_layers,
            subfunctions={name: () for name in self.subfunctions},
            signatures=signatures,
            module_graph=graph,
            input_partition=group_by({g: u for g, u in users_of_group.items() if u}),
            output_partition=group_by(used_by_output),
            input_groups=tuple(self.input_groups.values()),
            input_group_names=tuple(self.input_groups),
        )

    def category_flags(self, score: Mapping[str, Any]) -> dict[str, bool]:
        """Whether a trial's score (the flags of `scoring.TrialScore`) meets each category."""
        found = set(score["modules_found"])
        return {
            name: all(bool(score[f]) for f in cat.flags) and set(cat.found) <= found
            for name, cat in self.categories.items()
        }


def parse_task(data: Any, source: str, expected_name: str | None = None) -> MnistTask:
    """Validate the mapping read from a task description and build an `MnistTask`.

    The schema checks the shape (keys, types, names of datasets and flags); the code below checks
    what it cannot express: the file name, column ranges, references between entries, cycles."""

    def fail(entry: str, problem: str) -> TaskError:
        return TaskError(f"{source}: {entry}: {problem}")

    problem = schema_problem(data, "mnist_task")
    if problem is not None:
        raise fail(*problem)
    if expected_name is not None and data["name"] != expected_name:
        raise fail("name", f"{data['name']!r} differs from the file name {expected_name!r}")
    height, width = data["image"]["height"], data["image"]["width"]
    groups = _parse_groups(data["input_groups"], height, width, fail)
    outputs = tuple(data["outputs"])
    subs = _parse_subfunctions(data["subfunctions"], groups, outputs, fail)
    return MnistTask(
        name=data["name"],
        description=data.get("description", ""),
        dataset=data["dataset"],
        height=height,
        width=width,
        input_groups=groups,
        output_names=outputs,
        subfunctions=subs,
        categories=_parse_categories(data.get("categories") or {}, subs, fail),
        params=data.get("params") or {},
    )


def _parse_groups(
    raw: dict[str, dict[str, list[int]]], height: int, width: int, fail
) -> dict[str, frozenset[int]]:
    groups: dict[str, frozenset[int]] = {}
    for group, spec in raw.items():
        first, last = spec["columns"]
        # The schema cannot compare a value with the image's width, given elsewhere in the file.
        if not first <= last < width:
            raise fail(
                f"input_groups.{group}", f"columns must be [first, last] within 0-{width - 1}"
            )
        groups[group] = frozenset(
            r * width + c for r in range(height) for c in range(first, last + 1)
        )
    taken = [u for units in groups.values() for u in units]
    if len(taken) != len(set(taken)):
        raise fail("input_groups", "groups overlap")
    return groups


def _parse_subfunctions(
    raw: dict[str, dict[str, list[str]]],
    groups: Mapping[str, frozenset[int]],
    outputs: tuple[str, ...],
    fail,
) -> dict[str, Subfunction]:
    subs: dict[str, Subfunction] = {}
    for sub, spec in raw.items():
        where = f"subfunctions.{sub}"
        reads, uses, writes = (tuple(spec.get(k, [])) for k in ("reads", "uses", "writes"))
        for group in reads:
            if group not in groups:
                raise fail(f"{where}.reads", f"{group!r} is not an input group")
        for used in uses:
            if used not in raw or used == sub:
                raise fail(f"{where}.uses", f"{used!r} is not another sub-function")
        for out in writes:
            if out not in outputs:
                raise fail(f"{where}.writes", f"{out!r} is not an output")
        # An anyOf in the schema could say this too, but best_match would name only one key.
        if not reads and not uses:
            raise fail(where, "reads no input group and uses no sub-function")
        subs[sub] = Subfunction(reads, uses, writes)
    import networkx as nx

    check = nx.DiGraph([(u, s) for s, sub in subs.items() for u in sub.uses])
    if not nx.is_directed_acyclic_graph(check):
        raise fail("subfunctions", "the uses form a cycle")
    unwritten = sorted(set(outputs) - {o for sub in subs.values() for o in sub.writes})
    if unwritten:
        raise fail("outputs", f"{unwritten[0]!r} is written by no sub-function")
    return subs


def _parse_categories(
    raw: dict[str, dict[str, list[str]]], subs: Mapping[str, Subfunction], fail
) -> dict[str, Category]:
    categories: dict[str, Category] = {}
    for cat, spec in raw.items():
        flags, found = tuple(spec.get("flags", [])), tuple(spec.get("found", []))
        unknown = sorted(set(found) - set(subs))
        if unknown:
            raise fail(f"categories.{cat}.found", f"{unknown[0]!r} is not a sub-function")
        categories[cat] = Category(flags, found)
    return categories


def load_mnist_task(path: Path) -> MnistTask:
    try:
        data = yaml.safe_load(path.read_text())
    except (OSError, yaml.YAMLError) as exc:
        raise TaskError(f"{path}: (file): cannot read ({type(exc).__name__})") from None
    return parse_task(data, str(path), expected_name=path.stem)
