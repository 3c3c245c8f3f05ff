"""A trial, the unit of the study: one (task, architecture, seed) with all its settings.

Its identity (`Trial.key`, its folder under `results/trials/`) depends only on what defines it,
never on the experiment that asked for it, so experiments that share a trial share its files. The
workflow hands a trial to a job once, as `Trial.to_json()`; the job reads it with
`Trial.from_json` and never re-expands the study.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from neural_sculpting.foundations import paths
from neural_sculpting.foundations.errors import SculptError
from neural_sculpting.study.defaults import TaskKind

if TYPE_CHECKING:
    from neural_sculpting.tasks.catalog import Task

from neural_sculpting.study.hparams import (
    DetectionSettings,
    PruningHparams,
    SearchHparams,
    SearchMode,
    TrainingHparams,
    from_dict,
    to_dict,
)

# Search modes whose selected network is analysed (modules detected and scored).


@dataclass(frozen=True)
class DatasetSpec:
    """A composite MNIST dataset (`composites.build_composites`), named by what defines it;
    `root` is where the MNIST files live, not part of the identity (their MD5 sums are checked)."""

    dataset: str  # two_digits | hierarchical
    split: str  # paper | disjoint
    composites_per_pair: int
    root: str

    @property
    def path(self) -> Path:
        return paths.mnist_dataset(self.dataset, self.split, self.composites_per_pair)


@dataclass(frozen=True)
class DataFileSpec:
    """A dataset task's file (`tasks/dataset_file.py`) and the description of its structure
    (`tasks/dataset_task.py`), None when nothing is known of it: its trials are not scored.
    `class_groups` are the one-hot output slices the per-class accuracy counts. `model`: a
    trained model's file (`tasks/model_file.py`) the search starts from instead of training
    one (an experiment with `model:`)."""

    path: str
    description: str | None = None
    class_groups: tuple[tuple[int, int], ...] = ()
    model: str | None = None

    @property
    def scored(self) -> bool:
        return self.description is not None


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
    data_file: DataFileSpec | None = None  # dataset tasks only

    @property
    def depth(self) -> int:
        """Number of hidden layers."""
        return len(self.hidden)

    @property
    def arch(self) -> str:
        """Layer widths, inputs first, like `4-24-24-16`."""
        return "-".join(map(str, (self.n_inputs, *self.hidden, self.n_outputs)))

    @property
    def detects(self) -> bool:
        """Whether the trial's network is analysed (grid and paper modes)."""
        return self.search.mode.detects

    @property
    def scored(self) -> bool:
        """Whether its detection is scored: a dataset task without a description is not."""
        return self.detects and (self.data_file is None or self.data_file.scored)

    @property
    def train_key(self) -> str:
        t = self.train
        return f"lr{t.lr:g}-b{t.batch_size}-e{t.epochs}"

    @property
    def search_key(self) -> str:
        """Mode plus a short digest of the settings that change the pruning result."""
        s, p = self.search, self.pruning
        if s.mode == SearchMode.DENSE:
            fields: dict[str, Any] = {}
        elif s.mode == SearchMode.EDGE_ONLY:
            fields = {"pe": s.pe_values}
        else:
            fields = {"pu": s.pu_values, "pe": s.pe_values}
        fields |= {"threshold": p.accuracy_threshold, "trainable": p.require_trainable_dense}
        # Only where they apply, so Boolean keys stay as they were before MNIST tasks existed.
        if p.accuracy_measure != "per_bit":
            fields["measure"] = p.accuracy_measure
        if p.edge_min_step is not None and s.mode != SearchMode.DENSE:
            fields["edge_min_step"] = p.edge_min_step
        if self.dataset is not None:
            fields["data"] = f"{self.dataset.split}-c{self.dataset.composites_per_pair}"
        if self.data_file is not None:
            # The file by its path: a changed file keeps its folder, and its stage records
            # (which hold its SHA-256) make the search redo what it changes.
            fields["data"] = self.data_file.path
            if self.data_file.model is not None:  # likewise the model's (imported_sha256)
                fields["model"] = self.data_file.model
        digest = hashlib.blake2b(json.dumps(fields, sort_keys=True).encode(), digest_size=4)
        return f"{s.mode.replace('_', '-')}-{digest.hexdigest()}"

    @property
    def key(self) -> str:
        """The trial's folder under `results/trials/`, for example
        `reused/4-24-24-16/lr0.1-b8-e40/grid-1a2b3c4d/s0`."""
        return f"{self.graph}/{self.arch}/{self.train_key}/{self.search_key}/s{self.seed}"

    @property
    def analysis(self) -> str:
        """The analysis folder inside the trial, named after the detection thresholds."""
        d = self.detection
        return paths.analysis_name(d.modularity_threshold, d.merge_threshold)

    def to_json(self) -> str:
        """One line of JSON holding every setting (the workflow's hand-over to a job)."""
        data = {
            "graph": self.graph,
            "hidden": list(self.hidden),
            "seed": self.seed,
            "train": to_dict(self.train),
            "search": to_dict(self.search),
            "pruning": to_dict(self.pruning),
            "detection": to_dict(self.detection),
            "n_inputs": self.n_inputs,
            "n_outputs": self.n_outputs,
            "dataset": None if self.dataset is None else to_dict(self.dataset),
        }
        if self.data_file is not None:
            data["data_file"] = to_dict(self.data_file)
            if self.data_file.model is None:  # jobs of trials without a model keep their text
                del data["data_file"]["model"]
        return json.dumps(data, separators=(",", ":"))

    @classmethod
    def from_json(cls, text: str) -> Trial:
        """The trial `to_json` wrote; a malformed text raises ValueError in one line."""
        try:
            return cls._from_data(json.loads(text))
        except json.JSONDecodeError as exc:
            raise SculptError(f"not a trial's JSON (JSONDecodeError: {exc})") from None

    @classmethod
    def _from_data(cls, data: Any) -> Trial:
        try:
            return cls(
                graph=str(data["graph"]),
                hidden=tuple(int(w) for w in data["hidden"]),
                seed=int(data["seed"]),
                train=from_dict(TrainingHparams, data["train"]),
                search=from_dict(SearchHparams, data["search"]),
                pruning=from_dict(PruningHparams, data["pruning"]),
                detection=from_dict(DetectionSettings, data["detection"]),
                n_inputs=int(data["n_inputs"]),
                n_outputs=int(data["n_outputs"]),
                dataset=None if data["dataset"] is None else DatasetSpec(**data["dataset"]),
                data_file=_data_file(data.get("data_file")),
            )
        except (KeyError, TypeError, AttributeError) as exc:
            raise SculptError(f"not a trial's JSON ({type(exc).__name__}: {exc})") from None


def _data_file(data: Any) -> DataFileSpec | None:
    if data is None:
        return None
    groups = tuple((int(a), int(b)) for a, b in data.get("class_groups", ()))
    model = data.get("model")
    return DataFileSpec(
        str(data["path"]), data.get("description"), groups, None if model is None else str(model)
    )


def trials_to_json(trials: Sequence[Trial]) -> str:
    """Several trials as one JSON array: a job's hand-over for a cell of trials."""
    return "[" + ",".join(t.to_json() for t in trials) + "]"


def trials_from_json(text: str) -> list[Trial]:
    """The trials `trials_to_json` wrote, or the one trial `Trial.to_json` wrote."""
    try:
        data = json.loads(text)
    except json.JSONDecodeError as exc:
        raise SculptError(f"not a trial's JSON (JSONDecodeError: {exc})") from None
    items = data if isinstance(data, list) else [data]
    if not items:
        raise SculptError("no trial given (an empty JSON list)")
    return [Trial._from_data(item) for item in items]


@dataclass(frozen=True)
class Experiment:
    name: str
    task: str
    trials: tuple[Trial, ...]

    @property
    def graphs(self) -> tuple[str, ...]:
        return tuple(dict.fromkeys(t.graph for t in self.trials))

    @property
    def is_mnist(self) -> bool:
        return TaskKind(self.task).is_mnist

    @property
    def is_dataset(self) -> bool:
        return self.task == TaskKind.DATASET


def trial_task(trial: Trial) -> Task:
    """The task of a trial of the study: its dataset task, or its task file's by name."""
    from neural_sculpting.tasks.catalog import dataset_task, load_task

    if trial.data_file is None:
        return load_task(trial.graph)
    return dataset_task(trial.graph, trial.data_file.description, trial.n_inputs, trial.n_outputs)
