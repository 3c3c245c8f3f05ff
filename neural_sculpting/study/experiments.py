"""The study a config describes: its experiments, each expanded into trials (`trial.py`).

A trial's task is a function graph (Boolean experiments list them under `graphs`) or an MNIST task
(`task: mnist_two_digits | mnist_hierarchical`, learnt from a composite dataset that `DatasetSpec`
names). The config is checked against the schema once, here; what it leaves out comes from
`defaults.py`, the one place defaults are chosen.
"""

from __future__ import annotations

import functools
import itertools
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import jsonschema
import yaml

from neural_sculpting.foundations import paths
from neural_sculpting.study.config_error import ConfigError
from neural_sculpting.study.dataset_experiment import dataset_experiment
from neural_sculpting.study.defaults import DEFAULTS, MIN_MNIST_DEPTH, MNIST_TASKS, TaskKind
from neural_sculpting.study.hparams import (
    EDGE_ONLY_PE,
    GRID_PE,
    PruningHparams,
    SearchMode,
)
from neural_sculpting.study.paper_choices import PaperChoiceError, paper_choice
from neural_sculpting.study.trial import DataFileSpec, DatasetSpec, Experiment, Trial
from neural_sculpting.study.trial_settings import trial_settings
from neural_sculpting.tasks.catalog import (
    Task,
    load_task,
    task_kind,
)
from neural_sculpting.tasks.described import TaskError
from neural_sculpting.tasks.function_graph import GraphError

__all__ = ["MNIST_TASKS", "ConfigError", "DatasetSpec", "Experiment", "Trial", "load_study"]


@functools.cache
def schema() -> dict:
    return yaml.safe_load(paths.config_schema().read_text())


def _location(error: jsonschema.ValidationError) -> str:
    parts = []
    for part in error.absolute_path:
        parts.append(f"[{part}]" if isinstance(part, int) else f".{part}")
    return "".join(parts).lstrip(".") or "(top level)"


def validate_config(config: Mapping[str, Any]) -> None:
    """Check the config against the schema; raise `ConfigError` naming the offending key."""
    validator = jsonschema.Draft202012Validator(schema())
    error = jsonschema.exceptions.best_match(validator.iter_errors(dict(config)))
    if error is not None:
        message = error.message.splitlines()[0]
        if error.validator == "additionalProperties":
            message = message.replace("Additional properties are not allowed", "unknown key")
        raise ConfigError(f"config: {_location(error)}: {message}")


def _matches(
    selector: Mapping[str, Any],
    graph: str,
    hidden: tuple[int, ...],
    seed: int,
    point: Mapping[str, Any],
) -> bool:
    """Whether an override selects this trial; `point` is its place in the experiment's sweep
    (`lr`, `batch_size`), which the `lrs` and `batch_sizes` selectors match."""
    if "lrs" in selector and point.get("lr") not in selector["lrs"]:
        return False
    if "batch_sizes" in selector and point.get("batch_size") not in selector["batch_sizes"]:
        return False
    if "graphs" in selector and graph not in selector["graphs"]:
        return False
    if "archs" in selector and list(hidden) not in [list(a) for a in selector["archs"]]:
        return False
    if "depths" in selector and len(hidden) not in selector["depths"]:
        return False
    if "widths" in selector and not set(hidden) <= set(selector["widths"]):
        return False
    return not ("seeds" in selector and seed not in selector["seeds"])


# Keys an override may set for the trials it matches (besides `train` and `detection`).
_OVERRIDE_KEYS = ("mode", "pu", "pe", "accuracy_threshold", "dense_must_reach_threshold",
                  "accuracy_measure", "edge_min_step")  # fmt: skip


def _trial(
    task: Task,
    hidden,
    seed,
    settings: Mapping[str, Any],
    where: str,
    data_file: DataFileSpec | None = None,
) -> Trial:
    """One trial from the settings in force for it (the experiment's, then its overrides)."""
    defaults = DEFAULTS[settings["task"]]
    mode, pu, pe = settings["mode"], settings.get("pu"), settings.get("pe")
    arch = "-".join(map(str, (task.n_inputs, *hidden, task.n_outputs)))
    if mode == SearchMode.PAPER:
        try:
            choice = paper_choice(task.name, arch, seed)
        except PaperChoiceError as exc:
            raise ConfigError(f"config: {where}: mode paper: {exc}") from None
        pu, pe = [choice[0]], [choice[1]]
    pruning = defaults.pruning
    dataset = None
    if settings["task"] in MNIST_TASKS:
        dataset = DatasetSpec(
            dataset=task.dataset,
            split=settings.get("split", defaults.split),
            composites_per_pair=int(
                settings.get("composites_per_pair", defaults.composites_per_pair)
            ),
            root=str(settings.get("mnist_root", defaults.mnist_root)),
        )
    chosen = trial_settings(
        settings["task"],
        train=settings.get("train"),
        mode=mode,
        pu=pu,
        pe=pe,
        accuracy_threshold=settings.get("accuracy_threshold"),
        dense_must_reach_threshold=settings.get("dense_must_reach_threshold"),
        accuracy_measure=settings.get("accuracy_measure"),
        edge_min_step=_edge_min_step(settings, pruning, where),
        detection=settings.get("detection"),
    )
    return Trial(
        graph=task.name,
        hidden=tuple(hidden),
        seed=seed,
        train=chosen.train,
        search=chosen.search,
        pruning=chosen.pruning,
        detection=chosen.detection,
        n_inputs=task.n_inputs,
        n_outputs=task.n_outputs,
        dataset=dataset,
        data_file=data_file,
    )


def _edge_min_step(
    settings: Mapping[str, Any], pruning: PruningHparams, where: str
) -> float | None:
    """The walk's floor in force: the config's, else the task kind's; no larger than a Pe, whose
    steps could then not halve."""
    step = settings.get("edge_min_step", pruning.edge_min_step)
    pe = settings.get("pe") or (
        EDGE_ONLY_PE if settings["mode"] == SearchMode.EDGE_ONLY else GRID_PE
    )
    if step is not None and step > min(pe):
        raise ConfigError(
            f"config: {where}.edge_min_step: {step:g} is larger than the smallest pe ({min(pe):g})"
        )
    return step


def _check_sweep_selectors(spec: Mapping[str, Any], where: str) -> None:
    """An override may select sweep points only of a setting the experiment sweeps."""
    sweep = spec.get("sweep", {})
    for index, override in enumerate(spec.get("overrides", [])):
        for _, plural in _SWEPT:
            if plural in override and plural not in sweep:
                raise ConfigError(
                    f"config: {where}.overrides[{index}].{plural}: the experiment sweeps no "
                    f"{plural} (add sweep.{plural})"
                )


def _check_task_keys(spec: Mapping[str, Any], task: str, where: str) -> None:
    if "archs" in spec and ("widths" in spec or "depths" in spec):
        raise ConfigError(f"config: {where}: give either archs or widths/depths, not both")
    if task == TaskKind.BOOLEAN and "graphs" not in spec:
        raise ConfigError(f"config: {where}: 'graphs' is required for task boolean")
    if task != TaskKind.BOOLEAN and "graphs" in spec:
        raise ConfigError(f"config: {where}.graphs: task {task} takes no graphs")
    if task == TaskKind.DATASET and "data" not in spec:
        raise ConfigError(
            f"config: {where}: 'data' (the dataset file) is required for task dataset"
        )
    for key in ("data", "description", "model"):
        if task != TaskKind.DATASET and key in spec:
            raise ConfigError(f"config: {where}.{key}: applies to task dataset only")
    for key in ("widths", "depths", "archs"):
        if "model" in spec and key in spec:
            raise ConfigError(
                f"config: {where}.{key}: an experiment with a model takes its architecture from "
                "the model"
            )
    if task in ("boolean", "dataset"):
        for key in ("split", "composites_per_pair", "mnist_root"):
            if key in spec:
                raise ConfigError(f"config: {where}.{key}: applies to MNIST tasks only")
    if task == TaskKind.BOOLEAN and spec.get("accuracy_measure", "per_bit") != "per_bit":
        raise ConfigError(f"config: {where}.accuracy_measure: per_digit needs an MNIST task")


def _load_tasks(names: Sequence[str], task: str, where: str) -> dict[str, Task]:
    loaded: dict[str, Task] = {}
    for index, name in enumerate(names):
        kind = task_kind(name)
        if task == TaskKind.BOOLEAN and kind != "boolean":
            what, fix = ("an MNIST task", "set task: instead")
            if kind == "dataset":
                what, fix = ("a dataset task", "name it as a dataset experiment's description")
            raise ConfigError(f"config: {where}.graphs[{index}]: {name} is {what} ({fix})")
        try:
            loaded[name] = load_task(name)
        except (GraphError, TaskError) as exc:
            field = f"{where}.graphs[{index}]" if task == TaskKind.BOOLEAN else f"{where}.task"
            raise ConfigError(f"config: {field}: {exc}") from None
    return loaded


def _sweep_points(spec: Mapping[str, Any]) -> list[dict[str, Any]]:
    """The experiment's training settings swept (every lr x batch_size of `sweep`), or one
    point (no sweep) that changes nothing."""
    sweep = spec.get("sweep", {})
    keys = [(key, sweep[plural]) for key, plural in _SWEPT if plural in sweep]
    return [
        dict(zip([k for k, _ in keys], v, strict=True))
        for v in itertools.product(*(values for _, values in keys))
    ]


# The training settings an experiment may sweep: (train key, its list in `sweep`).
_SWEPT = (("lr", "lrs"), ("batch_size", "batch_sizes"))


def _in_force(
    spec: Mapping[str, Any],
    graph: str,
    hidden: tuple[int, ...],
    seed: int,
    point: Mapping[str, Any],
) -> dict:
    """The experiment's settings at this sweep point, with the overrides matching this trial
    applied, in order."""
    settings = dict(spec)
    settings["train"] = {**settings.get("train", {}), **point}
    for override in spec.get("overrides", []):
        if _matches(override, graph, hidden, seed, point):
            for key in ("train", "detection"):
                settings[key] = {**settings.get(key, {}), **override.get(key, {})}
            settings |= {key: override[key] for key in _OVERRIDE_KEYS if key in override}
    return settings


def expand_experiment(name: str, spec: Mapping[str, Any]) -> Experiment:
    where = f"experiments.{name}"
    task = spec.get("task", "boolean")
    defaults = DEFAULTS[task]
    _check_task_keys(spec, task, where)
    _check_sweep_selectors(spec, where)
    data_file = None
    if task == TaskKind.DATASET:
        dataset, data_file, model_hidden = dataset_experiment(spec, where)
        graphs, loaded = [dataset.name], {dataset.name: dataset}
        measure = spec.get("accuracy_measure", defaults.pruning.accuracy_measure)
        if measure == "per_digit" and not data_file.class_groups:
            raise ConfigError(
                f"config: {where}.accuracy_measure: per_digit needs class groups (class labels "
                "in the file, or `classes` in its description)"
            )
    else:
        graphs = spec["graphs"] if task == TaskKind.BOOLEAN else [task]
    if data_file is not None and data_file.model is not None:
        hiddens = [model_hidden]
    elif "archs" in spec:
        hiddens = [tuple(a) for a in spec["archs"]]
    else:
        widths, depths = spec.get("widths", defaults.widths), spec.get("depths", defaults.depths)
        hiddens = [(w,) * d for d in depths for w in widths]
    if task != TaskKind.DATASET:
        loaded = _load_tasks(graphs, task, where)
    trials = []
    for graph_name, hidden, point, seed in itertools.product(
        graphs, hiddens, _sweep_points(spec), spec.get("seeds", defaults.seeds)
    ):
        settings = {"task": task, "mode": defaults.search.mode} | _in_force(
            spec, graph_name, hidden, seed, point
        )
        if task == TaskKind.BOOLEAN and settings.get("accuracy_measure", "per_bit") != "per_bit":
            raise ConfigError(f"config: {where}: accuracy_measure per_digit needs an MNIST task")
        if task in MNIST_TASKS and len(hidden) < MIN_MNIST_DEPTH:
            raise ConfigError(
                f"config: {where}: MNIST networks need at least {MIN_MNIST_DEPTH} hidden layers "
                "(the task's structure has four levels)"
            )
        try:
            trials.append(_trial(loaded[graph_name], hidden, seed, settings, where, data_file))
        except (ValueError, TypeError) as exc:  # an hparams check the schema cannot express
            if isinstance(exc, ConfigError):
                raise
            raise ConfigError(f"config: {where}: {exc}") from None
    return Experiment(name=name, task=task, trials=tuple(trials))


# Folders of results/ that an experiment's own folder must not shadow.
RESERVED_NAMES = ("graphs", "trials", "logs", "benchmarks", "figures", "data", "reproduction")


def load_study(config: Mapping[str, Any]) -> dict[str, Experiment]:
    """Validate a config and expand every experiment into its trials."""
    validate_config(config)
    for name in config["experiments"]:
        if name in RESERVED_NAMES:
            raise ConfigError(
                f"config: experiments.{name}: the name is reserved for a results folder"
            )
    study = {name: expand_experiment(name, spec) for name, spec in config["experiments"].items()}
    roots: dict[Path, tuple[str, str]] = {}
    for name, experiment in study.items():
        for trial in experiment.trials:
            if trial.dataset is None:
                continue
            first = roots.setdefault(trial.dataset.path, (trial.dataset.root, name))
            if first[0] != trial.dataset.root:
                raise ConfigError(
                    f"config: experiments.{name}.mnist_root: {trial.dataset.root!r} differs from "
                    f"experiments.{first[1]}'s {first[0]!r} for the same dataset"
                )
    return study


def unique_trials(experiments: Sequence[Experiment]) -> list[Trial]:
    """Trials of several experiments, each once (by key), in first-seen order."""
    return list({t.key: t for e in experiments for t in e.trials}.values())
