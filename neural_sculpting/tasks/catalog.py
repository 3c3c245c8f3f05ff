"""The tasks a trial can learn, by name: a Boolean function graph (`graphs/<name>.yaml`) or an MNIST
task description (`tasks/<name>.yaml`), each looked up in the project's `config/`, then among the
paper's (`paths.task_search_path`), and the expected structure of either."""

from __future__ import annotations

from pathlib import Path

from neural_sculpting.study import paths
from neural_sculpting.tasks.function_graph import FunctionGraph, load_graph
from neural_sculpting.tasks.hierarchy import TaskHierarchy, task_hierarchy
from neural_sculpting.tasks.mnist_task import MnistTask, load_mnist_task

Task = FunctionGraph | MnistTask


def task_path(name: str) -> Path:
    """The file that defines a task: its MNIST description if there is one, else its graph
    (where it would be, if there is none)."""
    return paths.find_task_file(name, "tasks") or paths.graph_file(name)


def is_mnist(name: str) -> bool:
    """One rule for "is this an MNIST task": it has a task description."""
    return paths.find_task_file(name, "tasks") is not None


def load_task(name: str) -> Task:
    """Load a task by name; raises `GraphError` or `mnist_task.TaskError` (one line)."""
    described = paths.find_task_file(name, "tasks")
    if described is not None:
        return load_mnist_task(described)
    return load_graph(name)


def expected_structure(task: Task, hidden_layers: int | None = None) -> TaskHierarchy:
    """What a network with `hidden_layers` hidden layers should show (`hierarchy.py`)."""
    if isinstance(task, MnistTask):
        return task.hierarchy(hidden_layers)
    return task_hierarchy(task, hidden_layers)
