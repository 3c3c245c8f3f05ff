"""The study described by a config: experiments expanded into trials.

A trial is one (graph, architecture, seed) with its training, search and detection settings. Its
identity (`Trial.key`) depends only on what defines it, never on the experiment that asked for it,
so experiments that share a trial share its files.
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

from neural_sculpting import paths
from neural_sculpting.function_graph import FunctionGraph, GraphError, load_graph
from neural_sculpting.hparams import PruningHparams, SearchHparams, TrainingHparams
from neural_sculpting.module_detection import DetectionSettings
from neural_sculpting.paper import PaperChoiceError, paper_choice


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


def _defaults(name: str) -> dict[str, Any]:
    props = schema()["$defs"]["experiment"]["properties"]
    return {key: copy.deepcopy(spec["default"]) for key, spec in props.items() if "default" in spec}


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


def _trial(graph: FunctionGraph, hidden, seed, settings, where: str) -> Trial:
    mode = settings["mode"]
    pu, pe = settings["pu"], settings["pe"]
    arch = "-".join(map(str, (graph.n_inputs, *hidden, graph.n_outputs)))
    if mode == "paper":
        try:
            choice = paper_choice(graph.name, arch, seed)
        except PaperChoiceError as exc:
            raise ConfigError(f"config: {where}: mode paper: {exc}") from None
        pu, pe = [choice[0]], [choice[1]]
    train = {**_defaults("")["train"], **settings["train"]}
    detection = {**_defaults("")["detection"], **settings["detection"]}
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
        ),
        detection=DetectionSettings(**detection),
        n_inputs=graph.n_inputs,
        n_outputs=graph.n_outputs,
    )


def expand_experiment(
    name: str, spec: Mapping[str, Any], graphs_dir: Path | None = None
) -> Experiment:
    where = f"experiments.{name}"
    settings = {**_defaults(name), **copy.deepcopy(dict(spec))}
    if "archs" in spec and ("widths" in spec or "depths" in spec):
        raise ConfigError(f"config: {where}: give either archs or widths/depths, not both")
    if "archs" in settings:
        hiddens = [tuple(a) for a in settings["archs"]]
    else:
        hiddens = [(w,) * d for d in settings["depths"] for w in settings["widths"]]
    loaded: dict[str, FunctionGraph] = {}
    for index, graph_name in enumerate(settings["graphs"]):
        try:
            loaded[graph_name] = load_graph(graph_name, graphs_dir)
        except GraphError as exc:
            raise ConfigError(f"config: {where}.graphs[{index}]: {exc}") from None
    trials = []
    for graph_name, hidden, seed in itertools.product(
        settings["graphs"], hiddens, settings["seeds"]
    ):
        effective = copy.deepcopy(settings)
        for override in settings["overrides"]:
            if _matches(override, graph_name, hidden, seed):
                for key in ("train", "detection"):
                    effective[key] = {**effective[key], **override.get(key, {})}
                for key in ("mode", "pu", "pe", "accuracy_threshold", "dense_must_reach_threshold"):
                    if key in override:
                        effective[key] = override[key]
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
    return {
        name: expand_experiment(name, spec, graphs_dir)
        for name, spec in config["experiments"].items()
    }


def unique_trials(experiments: Sequence[Experiment]) -> list[Trial]:
    """Trials of several experiments, each once (by key), in first-seen order."""
    return list({t.key: t for e in experiments for t in e.trials}.values())
