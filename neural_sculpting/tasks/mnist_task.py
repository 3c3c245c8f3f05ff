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

from neural_sculpting.tasks.described import (
    Category,
    Subfunction,
    TaskError,
    category_flags,
    check_description,
    described_hierarchy,
    parse_categories,
    parse_subfunctions,
    read_description,
)
from neural_sculpting.tasks.hierarchy import TaskHierarchy

__all__ = ["Category", "MnistTask", "Subfunction", "TaskError", "load_mnist_task", "parse_task"]


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
        return described_hierarchy(
            self.name, self.input_groups, self.output_names, self.subfunctions, hidden_layers
        )

    def category_flags(self, score: Mapping[str, Any]) -> dict[str, bool]:
        """Whether a trial's score (the flags of `scoring.TrialScore`) meets each category."""
        return category_flags(self.categories, score)


def parse_task(data: Any, source: str, expected_name: str | None = None) -> MnistTask:
    """Validate the mapping read from a task description and build an `MnistTask`.

    The schema checks the shape (keys, types, names of datasets and flags); the code below checks
    what it cannot express: the file name, column ranges, references between entries, cycles."""

    fail = check_description(data, source, "mnist_task", expected_name)
    height, width = data["image"]["height"], data["image"]["width"]
    groups = _parse_groups(data["input_groups"], height, width, fail)
    outputs = tuple(data["outputs"])
    subs = parse_subfunctions(data["subfunctions"], groups, outputs, fail)
    return MnistTask(
        name=data["name"],
        description=data.get("description", ""),
        dataset=data["dataset"],
        height=height,
        width=width,
        input_groups=groups,
        output_names=outputs,
        subfunctions=subs,
        categories=parse_categories(data.get("categories") or {}, subs, fail),
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


def load_mnist_task(path: Path) -> MnistTask:
    data = read_description(path)
    return parse_task(data, str(path), expected_name=path.stem)
