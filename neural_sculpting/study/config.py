"""The study described by a config: experiments expanded into trials.

A trial is one (task, architecture, seed) with its training, search and detection settings. The
task is a function graph (Boolean experiments list them under `graphs`) or an MNIST task
(`task: mnist_two_digits | mnist_hierarchical`, learnt from a composite dataset that `DatasetSpec`
names). Its identity (`Trial.key`) depends only on what defines it, never on the experiment that
asked for it, so experiments that share a trial share its files.
"""

from __future__ import annotations

import copy
import functools
import hashlib
import itertools
import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import jsonschema
import yaml

from neural_sculpting.analysis.module_detection import DetectionSettings
from neural_sculpting.study import paths
from neural_sculpting.study.hparams import PruningHparams, SearchHparams, TrainingHparams
from neural_sculpting.study.paper_choices import PaperChoiceError, paper_choice
from neural_sculpting.tasks.catalog import Task
from neural_sculpting.tasks.function_graph import GraphError, load_graph
from neural_sculpting.tasks.mnist_task import TaskError, load_mnist_task

MNIST_TASKS = ("mnist_two_digits", "mnist_hierarchical")
# What an MNIST experiment leaves out takes the paper's MNIST settings (Sec. 5.5, paper_hparams.csv)
# rather than the Boolean defaults of the schema.
# Training: the setting the authors used most for each task (paper_hparams.csv).
MNIST_DEFAULTS: dict[str, dict[str, Any]] = {
    "mnist_two_digits": {
        "accuracy_threshold": 99,
        "train": {"lr": 0.001, "batch_size": 512, "epochs": 40},
    },
    "mnist_hierarchical": {
        "accuracy_threshold": 98,
        "train": {"lr": 0.001, "batch_size": 512, "epochs": 80},
    },
}
MNIST_COMMON_DEFAULTS: dict[str, Any] = {
    "detection": {"modularity_threshold": -0.3, "merge_threshold": 0.6},
    "widths": [392],
    "depths": [2],
    "dense_must_reach_threshold": False,  # as the authors' code, which prunes every network
}
MIN_MNIST_DEPTH = (
    2  # Fig. 13a has four levels: inputs, digit modules, output sub-functions, outputs
)


@dataclass(frozen=True)
class DatasetSpec:
    """A composite MNIST dataset (`mnist.build_composites`), named by what defines it; `root` is
    where the MNIST files live, not part of the identity (their MD5 sums are checked)."""

    dataset: str  # two_digits | hierarchical
    split: str  # paper | disjoint
    composites_per_pair: int
    root: str

    @property
    def path(self) -> Path:
        return paths.mnist_dataset(self.dataset, self.split, self.composites_per_pair)


class ConfigError(ValueError):
    """A config problem; the message is one line naming the key."""


@dataclass(frozen=True)
class Trial:
    graph: str
    hidden: tuple[int, ...]
    seed: int
    train: TrainingHparams
    search: SearchHparams
    pruning: PruningHparams
    detection: DetectionSettings
    n_inputs: int
    n_outputs: int
    dataset: DatasetSpec | None = None  # MNIST tasks only

    @property
    def depth(self) -> int:
        """Number of hidden layers."""
        return len(self.hidden)

    @property
    def arch(self) -> str:
        """Layer widths, inputs first, like `4-24-24-16`."""
        return "-".join(map(str, (self.n_inputs, *self.hidden, self.n_outputs)))

    @property
    def train_key(self) -> str:
        t = self.train
        return f"lr{t.lr:g}-b{t.batch_size}-e{t.epochs}"

    @property
    def search_key(self) -> str:
        """Mode plus a short digest of the settings that change the pruning result."""
        s, p = self.search, self.pruning
        if s.mode == "dense":
            fields: dict[str, Any] = {}
        elif s.mode == "edge_only":
            fields = {"pe": s.edge_only_pe}
        else:
            fields = {"pu": s.pu_values, "pe": s.pe_values}
        fields |= {"threshold": p.accuracy_threshold, "trainable": p.require_trainable_dense}
        # Only where they apply, so Boolean keys stay as they were before MNIST tasks existed.
        if p.accuracy_measure != "per_bit":
            fields["measure"] = p.accuracy_measure
        if self.dataset is not None:
            fields["data"] = f"{self.dataset.split}-c{self.dataset.composites_per_pair}"
        digest = hashlib.blake2b(json.dumps(fields, sort_keys=True).encode(), digest_size=4)
        return f"{s.mode.replace('_', '-')}-{digest.hexdigest()}"

    @property
    def key(self) -> str:
        """The trial's folder under `results/trials/`, for example
        `reused/4-24-24-16/lr0.1-b8-e40/grid-1a2b3c4d/s0`."""
        return f"{self.graph}/{self.arch}/{self.train_key}/{self.search_key}/s{self.seed}"


@dataclass(frozen=True)
class Experiment:
    name: str
    task: str
    trials: tuple[Trial, ...]

    @property
    def graphs(self) -> tuple[str, ...]:
        return tuple(dict.fromkeys(t.graph for t in self.trials))


@functools.cache
def schema() -> dict:
    path = paths.project_root() / "workflow" / "schemas" / "config.schema.yaml"
    return yaml.safe_load(path.read_text())


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


def _defaults(task: str = "boolean") -> dict[str, Any]:
    props = schema()["$defs"]["experiment"]["properties"]
    defaults = {key: copy.deepcopy(spec["default"]) for key, spec in props.items()
                if "default" in spec}  # fmt: skip
    if task in MNIST_TASKS:
        defaults |= copy.deepcopy(MNIST_COMMON_DEFAULTS | MNIST_DEFAULTS[task])
    return defaults


def _matches(selector: Mapping[str, Any], graph: str, hidden: tuple[int, ...], seed: int) -> bool:
    if "graphs" in selector and graph not in selector["graphs"]:
        return False
    if "archs" in selector and list(hidden) not in [list(a) for a in selector["archs"]]:
        return False
    if "depths" in selector and len(hidden) not in selector["depths"]:
        return False
    if "widths" in selector and not set(hidden) <= set(selector["widths"]):
        return False
    return not ("seeds" in selector and seed not in selector["seeds"])


def _trial(graph: Task, hidden, seed, settings, where: str) -> Trial:
    mode = settings["mode"]
    pu, pe = settings["pu"], settings["pe"]
    arch = "-".join(map(str, (graph.n_inputs, *hidden, graph.n_outputs)))
    if mode == "paper":
        try:
            choice = paper_choice(graph.name, arch, seed)
        except PaperChoiceError as exc:
            raise ConfigError(f"config: {where}: mode paper: {exc}") from None
        pu, pe = [choice[0]], [choice[1]]
    defaults = _defaults(settings["task"])
    train = {**defaults["train"], **settings["train"]}
    detection = {**defaults["detection"], **settings["detection"]}
    dataset = None
    if settings["task"] in MNIST_TASKS:
        dataset = DatasetSpec(
            dataset=graph.dataset,
            split=settings["split"],
            composites_per_pair=int(settings["composites_per_pair"]),
            root=str(settings["mnist_root"]),
        )
    return Trial(
        graph=graph.name,
        hidden=tuple(hidden),
        seed=seed,
        train=TrainingHparams(
            lr=float(train["lr"]), batch_size=train["batch_size"], epochs=train["epochs"]
        ),
        search=SearchHparams(mode=mode, pu_values=tuple(pu), pe_values=tuple(pe)),
        pruning=PruningHparams(
            accuracy_threshold=float(settings["accuracy_threshold"]),
            require_trainable_dense=bool(settings["dense_must_reach_threshold"]),
            accuracy_measure=settings["accuracy_measure"],
        ),
        detection=DetectionSettings(**detection),
        n_inputs=graph.n_inputs,
        n_outputs=graph.n_outputs,
        dataset=dataset,
    )


def expand_experiment(
    name: str, spec: Mapping[str, Any], graphs_dir: Path | None = None
) -> Experiment:
    where = f"experiments.{name}"
    task = spec.get("task", "boolean")
    settings = {**_defaults(task), **copy.deepcopy(dict(spec))}
    if "archs" in spec and ("widths" in spec or "depths" in spec):
        raise ConfigError(f"config: {where}: give either archs or widths/depths, not both")
    if task == "boolean" and "graphs" not in spec:
        raise ConfigError(f"config: {where}: 'graphs' is required for task boolean")
    if task != "boolean":
        if "graphs" in spec:
            raise ConfigError(f"config: {where}.graphs: task {task} takes no graphs")
        settings["graphs"] = [task]
    else:
        for key in ("split", "composites_per_pair", "mnist_root"):
            if key in spec:
                raise ConfigError(f"config: {where}.{key}: applies to MNIST tasks only")
        if settings["accuracy_measure"] != "per_bit":
            raise ConfigError(f"config: {where}.accuracy_measure: per_digit needs an MNIST task")
    if "archs" in settings:
        hiddens = [tuple(a) for a in settings["archs"]]
    else:
        hiddens = [(w,) * d for d in settings["depths"] for w in settings["widths"]]
    loaded: dict[str, Task] = {}
    for index, graph_name in enumerate(settings["graphs"]):
        if task == "boolean" and graph_name.startswith("mnist_"):
            raise ConfigError(
                f"config: {where}.graphs[{index}]: names starting with mnist_ are MNIST tasks "
                "(set task: instead)"
            )
        try:
            if task == "boolean":
                loaded[graph_name] = load_graph(graph_name, graphs_dir)
            else:
                loaded[graph_name] = load_mnist_task(paths.tasks_dir() / f"{task}.yaml")
        except (GraphError, TaskError) as exc:
            field = f"{where}.graphs[{index}]" if task == "boolean" else f"{where}.task"
            raise ConfigError(f"config: {field}: {exc}") from None
    trials = []
    for graph_name, hidden, seed in itertools.product(
        settings["graphs"], hiddens, settings["seeds"]
    ):
        effective = copy.deepcopy(settings)
        for override in settings["overrides"]:
            if _matches(override, graph_name, hidden, seed):
                for key in ("train", "detection"):
                    effective[key] = {**effective[key], **override.get(key, {})}
                for key in ("mode", "pu", "pe", "accuracy_threshold", "dense_must_reach_threshold",
                            "accuracy_measure"):  # fmt: skip
                    if key in override:
                        effective[key] = override[key]
        if task == "boolean" and effective["accuracy_measure"] != "per_bit":
            raise ConfigError(f"config: {where}: accuracy_measure per_digit needs an MNIST task")
        if task != "boolean" and len(hidden) < MIN_MNIST_DEPTH:
            raise ConfigError(
                f"config: {where}: MNIST networks need at least {MIN_MNIST_DEPTH} hidden layers "
                "(the task's structure has four levels)"
            )
        try:
            trials.append(_trial(loaded[graph_name], hidden, seed, effective, where))
        except ValueError as exc:  # an hparams check the schema cannot express
            if isinstance(exc, ConfigError):
                raise
            raise ConfigError(f"config: {where}: {exc}") from None
    return Experiment(name=name, task=settings["task"], trials=tuple(trials))


# Folders of results/ that an experiment's own folder must not shadow.
RESERVED_NAMES = ("graphs", "trials", "logs", "benchmarks", "figures")


def load_study(config: Mapping[str, Any], graphs_dir: Path | None = None) -> dict[str, Experiment]:
    """Validate a config and expand every experiment into its trials."""
    validate_config(config)
    for name in config["experiments"]:
        if name in RESERVED_NAMES:
            raise ConfigError(
                f"config: experiments.{name}: the name is reserved for a results folder"
            )
    study = {
        name: expand_experiment(name, spec, graphs_dir)
        for name, spec in config["experiments"].items()
    }
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
