"""A task given by its description rather than by a function graph: named input groups, output
names and the sub-functions between them (what each reads, which others it uses, which outputs it
writes). The MNIST tasks (`mnist_task.py`) and the dataset-file tasks (`dataset_task.py`) are both
described this way; this module holds what they share: parsing the sub-functions and the success
categories, and deriving the `TaskHierarchy` that scoring compares a network with.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

from neural_sculpting.foundations.errors import SculptError
from neural_sculpting.tasks.hierarchy import Signature, TaskHierarchy, group_by
from neural_sculpting.tasks.schemas import schema_problem


class TaskError(SculptError):
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


Fail = Callable[[str, str], TaskError]


def read_description(path: Path) -> Any:
    """The mapping a description file holds (raises `TaskError` in one line)."""
    try:
        return yaml.safe_load(Path(path).read_text())
    except (OSError, yaml.YAMLError) as exc:
        raise TaskError(f"{path}: (file): cannot read ({type(exc).__name__})") from None


def check_description(data: Any, source: str, schema: str, expected_name: str | None) -> Fail:
    """Check a description's shape against its schema and its name against its file's; return
    the function that makes the one-line errors of the checks a schema cannot express."""

    def fail(entry: str, problem: str) -> TaskError:
        return TaskError(f"{source}: {entry}: {problem}")

    problem = schema_problem(data, schema)
    if problem is not None:
        raise fail(*problem)
    if expected_name is not None and data["name"] != expected_name:
        raise fail("name", f"{data['name']!r} differs from the file name {expected_name!r}")
    return fail


def described_hierarchy(
    name: str,
    input_groups: Mapping[str, frozenset[int]],
    output_names: tuple[str, ...],
    subfunctions: Mapping[str, Subfunction],
    hidden_layers: int | None = None,
) -> TaskHierarchy:
    """The expected structure of a described task: each sub-function's signature is the input
    groups read by it and by the sub-functions upstream of it, and the outputs written by it and
    by those downstream. The same at every depth (a description has no collapse rule)."""
    import networkx as nx  # here, not at the top: loading a task need not import it

    graph = nx.DiGraph()
    for sub_name, sub in subfunctions.items():
        graph.add_node(sub_name)
        for used in sub.uses:
            graph.add_edge(used, sub_name, weight=1)
    group_index = {g: i for i, g in enumerate(input_groups)}
    output_index = {o: j for j, o in enumerate(output_names)}
    signatures = {}
    for sub_name in subfunctions:
        upstream = nx.ancestors(graph, sub_name) | {sub_name}
        downstream = nx.descendants(graph, sub_name) | {sub_name}
        signatures[sub_name] = Signature(
            inputs=frozenset(group_index[g] for s in upstream for g in subfunctions[s].reads),
            outputs=frozenset(output_index[o] for s in downstream for o in subfunctions[s].writes),
        )
    for sub_name in nx.topological_sort(graph):
        level = 1 + max((graph.nodes[p]["level"] for p in graph.predecessors(sub_name)), default=0)
        graph.nodes[sub_name].update(gates=(), level=level, signature=signatures[sub_name])
    users_of_group = {
        i: frozenset(n for n, s in signatures.items() if i in s.inputs)
        for i in range(len(input_groups))
    }
    used_by_output = {
        j: frozenset(n for n, s in signatures.items() if j in s.outputs)
        for j in range(len(output_names))
    }
    return TaskHierarchy(
        graph=name,
        hidden_layers=hidden_layers,
        subfunctions={sub_name: () for sub_name in subfunctions},
        signatures=signatures,
        module_graph=graph,
        input_partition=group_by({g: u for g, u in users_of_group.items() if u}),
        output_partition=group_by(used_by_output),
        input_groups=tuple(input_groups.values()),
        input_group_names=tuple(input_groups),
    )


def category_flags(categories: Mapping[str, Category], score: Mapping[str, Any]) -> dict[str, bool]:
    """Whether a trial's score (the flags of `scoring.TrialScore`) meets each category."""
    found = set(score["modules_found"])
    return {
        name: all(bool(score[f]) for f in cat.flags) and set(cat.found) <= found
        for name, cat in categories.items()
    }


def parse_subfunctions(
    raw: dict[str, dict[str, list[str]]],
    groups: Mapping[str, frozenset[int]],
    outputs: tuple[str, ...],
    fail: Fail,
) -> dict[str, Subfunction]:
    """Check the references between sub-functions, input groups and outputs, and that the uses
    form no cycle; every output must be written by some sub-function."""
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


def parse_categories(
    raw: dict[str, dict[str, list[str]]], subs: Mapping[str, Subfunction], fail: Fail
) -> dict[str, Category]:
    categories: dict[str, Category] = {}
    for cat, spec in raw.items():
        flags, found = tuple(spec.get("flags", [])), tuple(spec.get("found", []))
        unknown = sorted(set(found) - set(subs))
        if unknown:
            raise fail(f"categories.{cat}.found", f"{unknown[0]!r} is not a sub-function")
        categories[cat] = Category(flags, found)
    return categories
