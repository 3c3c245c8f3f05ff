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
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import networkx as nx
import yaml

from neural_sculpting.tasks.hierarchy import Signature, TaskHierarchy, group_by

NAME = re.compile(r"^[a-z0-9_]+$")
DATASETS = ("two_digits", "hierarchical")
FLAGS = ("input_modules_match", "output_modules_match", "hidden_modules_match", "structure_match")
TOP_LEVEL_KEYS = {
    "name", "kind", "description", "dataset", "image", "input_groups", "outputs",
    "subfunctions", "categories", "params",
}  # fmt: skip


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


def _names(value: Any, where: str, fail) -> tuple[str, ...]:
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        raise fail(where, "must be a list of names")
    return tuple(value)


def parse_task(data: Any, source: str, expected_name: str | None = None) -> MnistTask:
    """Validate the mapping read from a task description and build an `MnistTask`."""

    def fail(entry: str, problem: str) -> TaskError:
        return TaskError(f"{source}: {entry}: {problem}")

    if not isinstance(data, dict):
        raise fail("(file)", "expected a mapping of keys (name, kind, dataset, ...)")
    for key in data:
        if key not in TOP_LEVEL_KEYS:
            raise fail(str(key), f"unknown key (allowed: {', '.join(sorted(TOP_LEVEL_KEYS))})")
    for key in ("name", "kind", "dataset", "image", "input_groups", "outputs", "subfunctions"):
        if key not in data:
            raise fail(key, "missing required key")
    name = data["name"]
    if not isinstance(name, str) or not NAME.match(name):
        raise fail("name", f"{name!r} must match [a-z0-9_]+")
    if expected_name is not None and name != expected_name:
        raise fail("name", f"{name!r} differs from the file name {expected_name!r}")
    if data["kind"] != "mnist":
        raise fail("kind", f"{data['kind']!r}: only 'mnist' task descriptions exist")
    if data["dataset"] not in DATASETS:
        raise fail("dataset", f"{data['dataset']!r} is not one of {', '.join(DATASETS)}")
    image = data["image"]
    if not (
        isinstance(image, dict)
        and set(image) == {"height", "width"}
        and all(isinstance(v, int) and v > 0 for v in image.values())
    ):
        raise fail("image", "must be {height: H, width: W} with positive integers")
    height, width = image["height"], image["width"]

    groups: dict[str, frozenset[int]] = {}
    if not isinstance(data["input_groups"], dict) or not data["input_groups"]:
        raise fail("input_groups", "must map group names to {columns: [first, last]}")
    for group, spec in data["input_groups"].items():
        cols = spec.get("columns") if isinstance(spec, dict) else None
        if not (
            isinstance(cols, list)
            and len(cols) == 2
            and all(isinstance(c, int) for c in cols)
            and 0 <= cols[0] <= cols[1] < width
        ):
            raise fail(
                f"input_groups.{group}", f"columns must be [first, last] within 0-{width - 1}"
            )
        groups[group] = frozenset(
            r * width + c for r in range(height) for c in range(cols[0], cols[1] + 1)
        )
    taken = [u for units in groups.values() for u in units]
    if len(taken) != len(set(taken)):
        raise fail("input_groups", "groups overlap")

    outputs = _names(data["outputs"], "outputs", fail)
    if not outputs or len(set(outputs)) != len(outputs):
        raise fail("outputs", "must be distinct names, at least one")

    subs: dict[str, Subfunction] = {}
    if not isinstance(data["subfunctions"], dict) or not data["subfunctions"]:
        raise fail("subfunctions", "must map names to {reads, uses, writes}")
    for sub, spec in data["subfunctions"].items():
        where = f"subfunctions.{sub}"
        if not isinstance(spec, dict) or not set(spec) <= {"reads", "uses", "writes"}:
            raise fail(where, "must be a mapping with keys among reads, uses, writes")
        reads = _names(spec.get("reads", []), f"{where}.reads", fail)
        uses = _names(spec.get("uses", []), f"{where}.uses", fail)
        writes = _names(spec.get("writes", []), f"{where}.writes", fail)
        for group in reads:
            if group not in groups:
                raise fail(f"{where}.reads", f"{group!r} is not an input group")
        for used in uses:
            if used not in data["subfunctions"] or used == sub:
                raise fail(f"{where}.uses", f"{used!r} is not another sub-function")
        for out in writes:
            if out not in outputs:
                raise fail(f"{where}.writes", f"{out!r} is not an output")
        if not reads and not uses:
            raise fail(where, "reads no input group and uses no sub-function")
        subs[sub] = Subfunction(reads, uses, writes)
    check = nx.DiGraph([(u, s) for s, sub in subs.items() for u in sub.uses])
    if not nx.is_directed_acyclic_graph(check):
        raise fail("subfunctions", "the uses form a cycle")
    written = {o for sub in subs.values() for o in sub.writes}
    if set(outputs) - written:
        raise fail(
            "outputs", f"{sorted(set(outputs) - written)[0]!r} is written by no sub-function"
        )

    categories: dict[str, Category] = {}
    for cat, spec in (data.get("categories") or {}).items():
        where = f"categories.{cat}"
        if not isinstance(spec, dict) or not set(spec) <= {"flags", "found"} or not spec:
            raise fail(where, "must be a mapping with keys among flags, found")
        flags = _names(spec.get("flags", []), f"{where}.flags", fail)
        found = _names(spec.get("found", []), f"{where}.found", fail)
        if set(flags) - set(FLAGS):
            raise fail(f"{where}.flags", f"unknown flag (allowed: {', '.join(FLAGS)})")
        if set(found) - set(subs):
            raise fail(
                f"{where}.found", f"{sorted(set(found) - set(subs))[0]!r} is not a sub-function"
            )
        categories[cat] = Category(flags, found)
    params = data.get("params") or {}
    if not isinstance(params, dict):
        raise fail("params", "must be a mapping")
    description = data.get("description", "")
    if not isinstance(description, str):
        raise fail("description", "must be a string")
    return MnistTask(
        name=name,
        description=description,
        dataset=data["dataset"],
        height=height,
        width=width,
        input_groups=groups,
        output_names=outputs,
        subfunctions=subs,
        categories=categories,
        params=params,
    )


def load_mnist_task(path: Path) -> MnistTask:
    try:
        data = yaml.safe_load(path.read_text())
    except (OSError, yaml.YAMLError) as exc:
        raise TaskError(f"{path}: (file): cannot read ({type(exc).__name__})") from None
    return parse_task(data, str(path), expected_name=path.stem)
