"""The tasks a trial can learn, by name: a Boolean function graph (`config/graphs/<name>.yaml`) or
an MNIST task description (`config/tasks/<name>.yaml`), and the expected structure of either."""

from __future__ import annotations

from pathlib import Path

from neural_sculpting.study import paths
from neural_sculpting.tasks.function_graph import FunctionGraph, load_graph
from neural_sculpting.tasks.hierarchy import TaskHierarchy, task_hierarchy
from neural_sculpting.tasks.mnist_task import MnistTask, load_mnist_task

Task = FunctionGraph | MnistTask


def task_path(name: str) -> Path:
    """The file that defines a task: its MNIST description if there is one, else its graph."""
    described = paths.tasks_dir() / f"{name}.yaml"
    return described if described.is_file() else paths.graphs_dir() / f"{name}.yaml"


def is_mnist(name: str) -> bool:
    return (paths.tasks_dir() / f"{name}.yaml").is_file()


def load_task(name: str) -> Task:
    """Load a task by name; raises `GraphError` or `mnist_task.TaskError` (one line)."""
    if is_mnist(name):
        return load_mnist_task(paths.tasks_dir() / f"{name}.yaml")
    return load_graph(name)


def expected_structure(task: Task, hidden_layers: int | None = None) -> TaskHierarchy:
    """What a network with `hidden_layers` hidden layers should show (`hierarchy.py`)."""
    if isinstance(task, MnistTask):
        return task.hierarchy(hidden_layers)
    return task_hierarchy(task, hidden_layers)
