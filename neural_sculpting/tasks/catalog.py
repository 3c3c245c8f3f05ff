"""The tasks a trial can learn, by name: a Boolean function graph (`graphs/<name>.yaml`), an MNIST
task description or a dataset task's description (`tasks/<name>.yaml`, `kind: mnist | dataset`),
each looked up in the project's `config/`, then among the paper's (`paths.task_search_path`), and
the expected structure of any of them. A dataset task without a description has no file: it is
made from its dataset's sizes (`dataset_task.undescribed_task`).
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any

from neural_sculpting.foundations import paths
from neural_sculpting.tasks.dataset_task import (
    DatasetTask,
    description_kind,
    load_dataset_task,
    undescribed_task,
)
from neural_sculpting.tasks.described import TaskError
from neural_sculpting.tasks.function_graph import FunctionGraph, load_graph
from neural_sculpting.tasks.hierarchy import TaskHierarchy, task_hierarchy
from neural_sculpting.tasks.mnist_task import MnistTask, load_mnist_task

Task = FunctionGraph | MnistTask | DatasetTask


def task_path(name: str) -> Path:
    """The file that defines a task: its description if there is one, else its graph (where it
    would be, if there is none)."""
    return paths.find_task_file(name, "tasks") or paths.graph_file(name)


def task_kind(name: str) -> str:
    """boolean (a function graph, or nothing found), mnist or dataset: what its file says."""
    described = paths.find_task_file(name, "tasks")
    if described is None:
        return "boolean"
    return "dataset" if description_kind(described) == "dataset" else "mnist"


def is_mnist(name: str) -> bool:
    """One rule for "is this an MNIST task": it has an MNIST task description."""
    return task_kind(name) == "mnist"


def load_task(name: str) -> Task:
    """Load a task by name; raises `GraphError` or `described.TaskError` (one line)."""
    described = paths.find_task_file(name, "tasks")
    if described is None:
        return load_graph(name)
    if description_kind(described) == "dataset":
        return load_dataset_task(described, expected_name=name)
    return load_mnist_task(described)


def description_file(value: str | Path) -> Path:
    """A dataset task's description given as a task name of config/tasks/ or as a path to a
    YAML file (raises `TaskError` in one line)."""
    text = str(value)
    if text.endswith((".yaml", ".yml")) or "/" in text:
        if not Path(text).is_file():
            raise TaskError(f"{text}: no such file")
        return Path(text)
    found = paths.find_task_file(text, "tasks")
    if found is None or task_kind(text) != "dataset":
        raise TaskError(f"no dataset task {text!r} in {paths.searched('tasks')}")
    return found


def dataset_task(
    name: str, description: str | Path | None, n_inputs: int, n_outputs: int
) -> DatasetTask:
    """A dataset trial's task: its description (checked against the file's sizes), or, without
    one, every input its own group and nothing to score."""
    if description is None:
        return undescribed_task(name, n_inputs, n_outputs)
    task = load_dataset_task(description_file(description))
    task.check_sizes(n_inputs, n_outputs, str(description))
    return task


def task_params(name: str) -> Mapping[str, Any]:
    """The free parameters a task file keeps (columns of a trials table); none for a dataset
    task without a file."""
    if paths.find_task_file(name, "tasks") is None and paths.find_task_file(name, "graphs") is None:
        return {}
    return load_task(name).params


def expected_structure(task: Task, hidden_layers: int | None = None) -> TaskHierarchy:
    """What a network with `hidden_layers` hidden layers should show (`hierarchy.py`)."""
    if isinstance(task, MnistTask | DatasetTask):
        return task.hierarchy(hidden_layers)
    return task_hierarchy(task, hidden_layers)
