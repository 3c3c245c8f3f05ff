"""A dataset experiment's task, file and model, checked when the config is read (one line naming
the key): the file's arrays, the description, and that they fit; a model's layers, weights and
widths (README "Your own task", "Your own model")."""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from neural_sculpting.foundations import paths
from neural_sculpting.study.config_error import ConfigError
from neural_sculpting.study.trial import DataFileSpec
from neural_sculpting.tasks.catalog import dataset_task, description_file, is_mnist
from neural_sculpting.tasks.dataset_file import DatasetFileError, load_dataset_file
from neural_sculpting.tasks.dataset_task import DatasetTask, load_dataset_task, task_name_of_file
from neural_sculpting.tasks.described import TaskError


def _description_path(value: str, where: str) -> Path:
    """An experiment's `description`: a task name of config/tasks/, or a path to a YAML file."""
    try:
        return description_file(value)
    except TaskError as exc:
        raise ConfigError(f"config: {where}.description: {exc}") from None


def dataset_experiment(
    spec: Mapping[str, Any], where: str
) -> tuple[DatasetTask, DataFileSpec, tuple[int, ...] | None]:
    """A dataset experiment's task and file, checked now (one line naming the key): the file's
    arrays, the description, and that the two fit; and its model's hidden widths, where it has a
    model. A file the workflow builds is not there yet: its description gives its sizes."""
    description = None
    if "description" in spec:
        description = _description_path(spec["description"], f"{where}")
        try:
            described = load_dataset_task(description)
        except TaskError as exc:
            raise ConfigError(f"config: {where}.description: {exc}") from None
    data = str(spec["data"])
    if paths.built_dataset(data) is not None:
        if description is None or described.n_inputs is None:
            raise ConfigError(
                f"config: {where}.description: the workflow builds {data}, so its description "
                "must give its sizes (inputs and outputs)"
            )
        n_inputs, n_outputs, file_groups = described.n_inputs, described.n_outputs, ()
    else:
        try:
            arrays = load_dataset_file(data)
        except DatasetFileError as exc:
            raise ConfigError(f"config: {where}.data: {exc}") from None
        n_inputs, n_outputs, file_groups = arrays.n_inputs, arrays.n_outputs, arrays.class_groups
    name = task_name_of_file(data) if description is None else None
    try:
        task = dataset_task(name or described.name, description, n_inputs, n_outputs)
    except TaskError as exc:
        raise ConfigError(f"config: {where}.description: {exc}") from None
    task = dataclasses.replace(task, n_inputs=n_inputs)
    if paths.find_task_file(task.name, "graphs") is not None or is_mnist(task.name):
        raise ConfigError(
            f"config: {where}: the dataset task's name {task.name!r} is a function graph's or an "
            "MNIST task's (rename the file or the description)"
        )
    groups = task.class_groups or file_groups
    model, hidden = None, None
    if "model" in spec:
        model, hidden = str(spec["model"]), _model_hidden(spec["model"], where, n_inputs, n_outputs)
    spec_file = DataFileSpec(data, None if description is None else str(description), groups, model)
    return task, spec_file, hidden


def _model_hidden(path: str, where: str, n_inputs: int, n_outputs: int) -> tuple[int, ...]:
    """An experiment's trained model, read and checked now (its layers, its weights, its widths
    against the data), so that a model the engine cannot take in stops the run in one line;
    returns its hidden widths, the experiment's architecture."""
    from neural_sculpting.tasks.model_file import ModelError, load_model_file

    try:
        network = load_model_file(Path(path))
        network.check_widths(n_inputs, n_outputs)
    except ModelError as exc:
        raise ConfigError(f"config: {where}.model: {exc}") from None
    return network.hidden
