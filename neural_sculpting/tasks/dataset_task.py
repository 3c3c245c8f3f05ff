"""Dataset tasks: a researcher's dataset file (`dataset_file.py`) with, optionally, what is known of
its structure, a description in the shape of `schemas/dataset_task.schema.yaml`.

A description names input groups (ranges or lists of feature indices, or image columns), the
outputs and the expected sub-functions; scoring then works as for the MNIST tasks (a group's
features may split over modules, as long as no module mixes groups the task keeps apart). Without
sub-functions, or without a description at all, nothing is scored: trials report the modules
found, each input being a group of its own (`undescribed_task`).
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from neural_sculpting.tasks.described import (
    Category,
    Fail,
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


@dataclass(frozen=True)
class DatasetTask:
    name: str
    description: str
    n_inputs: int | None  # None: the description does not say (the file does)
    input_groups: Mapping[str, frozenset[int]]
    output_names: tuple[str, ...]
    subfunctions: Mapping[str, Subfunction] = field(default_factory=dict)
    categories: Mapping[str, Category] = field(default_factory=dict)
    class_groups: tuple[tuple[int, int], ...] = ()  # output slices [a, b), each one-hot
    params: Mapping[str, Any] = field(default_factory=dict)
    described: bool = True  # False: made from the file's sizes alone
    image: tuple[int, int] | None = None  # (height, width) of image inputs

    @property
    def n_outputs(self) -> int:
        return len(self.output_names)

    @property
    def scored(self) -> bool:
        """Whether trials can be scored: the description gives the expected sub-functions."""
        return bool(self.subfunctions)

    def hierarchy(self, hidden_layers: int | None = None) -> TaskHierarchy:
        return described_hierarchy(
            self.name, self.input_groups, self.output_names, self.subfunctions, hidden_layers
        )

    def category_flags(self, score: Mapping[str, Any]) -> dict[str, bool]:
        return category_flags(self.categories, score)

    def check_sizes(self, n_inputs: int, n_outputs: int, source: str) -> None:
        """Raise `TaskError` when the description does not fit a dataset of these sizes."""
        if self.n_inputs is not None and self.n_inputs != n_inputs:
            raise TaskError(f"{source}: inputs: {self.n_inputs} differs from the file's {n_inputs}")
        if self.n_outputs != n_outputs:
            raise TaskError(
                f"{source}: outputs: {self.n_outputs} names, the file has {n_outputs} outputs"
            )
        beyond = [g for g, units in self.input_groups.items() if units and max(units) >= n_inputs]
        if beyond:
            raise TaskError(
                f"{source}: input_groups.{beyond[0]}: indices beyond the file's {n_inputs} inputs"
            )


def undescribed_task(name: str, n_inputs: int, n_outputs: int) -> DatasetTask:
    """A dataset task known by its sizes only: every input its own group, outputs y0.., nothing
    expected (trials are detected and drawn, not scored)."""
    return DatasetTask(
        name=name,
        description="",
        n_inputs=n_inputs,
        input_groups={f"x{i}": frozenset({i}) for i in range(n_inputs)},
        output_names=tuple(f"y{j}" for j in range(n_outputs)),
        described=False,
    )


def task_name_of_file(path: str | Path) -> str:
    """The name of an undescribed dataset's task: its file name, made a valid task name."""
    stem = Path(path).name.removesuffix(".npz")
    return re.sub(r"[^a-z0-9_]", "_", stem.lower()) or "dataset"


def _indices(spec: Mapping[str, Any], image: Mapping[str, int] | None, fail, where) -> set[int]:
    units: set[int] = set()
    pairs = ([spec["range"]] if "range" in spec else []) + list(spec.get("ranges", []))
    for first, last in pairs:
        if first > last:
            raise fail(where, f"range [{first}, {last}] ends before it starts")
        units.update(range(first, last + 1))
    units.update(spec.get("indices", []))
    if "columns" in spec:
        if image is None:
            raise fail(f"{where}.columns", "columns need `image` (height and width)")
        first, last = spec["columns"]
        if not first <= last < image["width"]:
            raise fail(f"{where}.columns", f"must be [first, last] within 0-{image['width'] - 1}")
        width = image["width"]
        units.update(r * width + c for r in range(image["height"]) for c in range(first, last + 1))
    return units


def _groups(data: Mapping[str, Any], fail: Fail) -> dict[str, frozenset[int]]:
    image = data.get("image")
    n_inputs = data.get("inputs")
    if image is not None and n_inputs is not None and image["height"] * image["width"] != n_inputs:
        raise fail("image", f"{image['height']} x {image['width']} is not the {n_inputs} inputs")
    if image is not None and n_inputs is None:
        n_inputs = image["height"] * image["width"]
    groups: dict[str, frozenset[int]] = {}
    for group, spec in data["input_groups"].items():
        units = _indices(spec, image, fail, f"input_groups.{group}")
        if n_inputs is not None and max(units) >= n_inputs:
            raise fail(f"input_groups.{group}", f"indices beyond the {n_inputs} inputs")
        groups[group] = frozenset(units)
    taken = [u for units in groups.values() for u in units]
    if len(taken) != len(set(taken)):
        raise fail("input_groups", "groups overlap")
    return groups


def _class_groups(raw: list[list[int]], n_outputs: int, fail: Fail) -> tuple[tuple[int, int], ...]:
    groups = []
    for first, last in raw:
        if not first < last < n_outputs:
            raise fail("classes", f"[{first}, {last}] must be two or more of the outputs 0-"
                                  f"{n_outputs - 1}")  # fmt: skip
        groups.append((first, last + 1))
    taken = [j for a, b in groups for j in range(a, b)]
    if len(taken) != len(set(taken)):
        raise fail("classes", "class groups overlap")
    return tuple(groups)


def parse_dataset_task(data: Any, source: str, expected_name: str | None = None) -> DatasetTask:
    """Validate the mapping read from a description and build a `DatasetTask`."""

    fail = check_description(data, source, "dataset_task", expected_name)
    groups = _groups(data, fail)
    outputs = tuple(data["outputs"])
    # No sub-functions: a description of the groups alone, nothing to score.
    raw = data.get("subfunctions") or {}
    subs = parse_subfunctions(raw, groups, outputs, fail) if raw else {}
    image = data.get("image")
    n_inputs = data.get("inputs") or (image["height"] * image["width"] if image else None)
    return DatasetTask(
        name=data["name"],
        description=data.get("description", ""),
        n_inputs=n_inputs,
        input_groups=groups,
        output_names=outputs,
        subfunctions=subs,
        categories=parse_categories(data.get("categories") or {}, subs, fail),
        class_groups=_class_groups(data.get("classes") or [], len(outputs), fail),
        params=data.get("params") or {},
        image=None if image is None else (image["height"], image["width"]),
    )


def load_dataset_task(path: str | Path, expected_name: str | None = None) -> DatasetTask:
    """A description file (raises `TaskError` in one line)."""
    path = Path(path)
    data = read_description(path)
    return parse_dataset_task(data, str(path), expected_name)


def description_kind(path: Path) -> str | None:
    """The `kind` a task description declares (mnist or dataset), None if unreadable."""
    try:
        data = yaml.safe_load(path.read_text())
    except (OSError, yaml.YAMLError):
        return None
    return data.get("kind") if isinstance(data, dict) else None
