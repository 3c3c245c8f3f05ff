"""The Python API, for notebooks: one task trained, pruned, analysed and drawn in one call.

    from neural_sculpting import sculpt
    result = sculpt(x_train, y_train, x_val, y_val, hidden=(64, 64), pu=50, pe=2.5)
    result.modules          # what was found: each module's units, input groups and outputs
    result.draw("net.png")

It calls the library the CLI and the workflow call: the arrays get a dataset file's checks
(`tasks/dataset_file.py`), the search is `engine.search.Search` with the trial's files in a
folder (`out_dir`, or a temporary one), detection is `analysis.module_detection`, scoring
`analysis.scoring` where the task's structure is known. A task is arrays (with an optional
`description`), or a function graph or task name (`task="reused"`). Settings left out are the
workflow's defaults for that kind of task (`study/defaults.py`).
"""

from __future__ import annotations

import dataclasses
import tempfile
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from neural_sculpting.foundations.errors import UsageError
from neural_sculpting.study.defaults import DEFAULTS
from neural_sculpting.study.trial_settings import trial_settings


@dataclass(frozen=True)
class Module:
    """One detected module: its units per layer (0 = inputs, last = outputs), the input groups
    reaching it and the outputs it reaches (by name)."""

    label: int
    units: dict[int, list[int]]
    inputs: tuple[str, ...]
    outputs: tuple[str, ...]
    hidden_units: int


@dataclass(frozen=True)
class SculptResult:
    """A sculpted network: its selection (the chosen Pu and Pe, density, accuracies), masks and
    weights ([out, in] per layer), the detection, and the score where the task's structure is
    known (None otherwise)."""

    task: Any
    selection: Any
    masks: list[np.ndarray]
    weights: list[np.ndarray]
    detection: Any
    score: dict[str, Any] | None
    out_dir: Path | None

    @property
    def density(self) -> float:
        return sum(int(m.sum()) for m in self.masks) / sum(m.size for m in self.masks)

    @property
    def modules(self) -> list[Module]:
        """The modules holding hidden units, in label order."""
        from neural_sculpting.analysis.scoring import module_signatures

        if self.detection is None:
            return []
        labels = self.detection.module_labels
        groups = getattr(self.task, "input_groups", None)
        names = list(groups) if groups else [f"x{i}" for i in range(self.masks[0].shape[1])]
        signatures = module_signatures(
            self.masks, labels, list(groups.values()) if groups else None
        )
        outputs = getattr(self.task, "output_names", None) or [
            f"y{j}" for j in range(self.masks[-1].shape[0])
        ]
        last = len(labels) - 1
        found = []
        for label, units in self.detection.modules().items():
            if not any(0 < layer < last for layer in units):
                continue
            sig = signatures[label]
            found.append(
                Module(
                    label=int(label),
                    units=units,
                    inputs=tuple(names[i] for i in sorted(sig.inputs)),
                    outputs=tuple(outputs[j] for j in sorted(sig.outputs)),
                    hidden_units=sum(len(u) for layer, u in units.items() if 0 < layer < last),
                )
            )
        return found

    @property
    def structure_match(self) -> bool | None:
        """Whether the modules are exactly the task's sub-functions (None: nothing expected)."""
        return None if self.score is None else self.score.get("structure_match")

    def draw(self, path: str | Path) -> Path:
        """The pruned network with its modules, as PNG, SVG or PDF."""
        from neural_sculpting.figures.drawing import draw_network
        from neural_sculpting.figures.trial_drawing import drawn_groups, input_unit, module_colours

        if self.detection is None:
            raise UsageError("the dense network was not pruned (untrainable); nothing to draw")
        labels = self.detection.module_labels
        depth = len(self.masks) - 1
        chosen = self.selection.chosen or {}
        title = (
            f"{self.task.name}: arch {self.selection.arch}, density {100 * self.density:.2f}%, "
            f"Pu = {chosen.get('pu', '-')}, Pe = {chosen.get('pe', '-')}, "
            f"seed {self.selection.seed}"
        )
        colours = module_colours(self.masks, labels, self.task, depth)
        draw_network(self.masks, labels, path, title, depth=depth, colours=colours,
                     input_groups=drawn_groups(self.task),
                     input_unit=input_unit(self.task))  # fmt: skip
        return Path(path)

    def summary(self) -> str:
        lines = [
            f"{self.task.name} {self.selection.arch} seed {self.selection.seed}: density "
            f"{100 * self.density:.2f}%, val accuracy {self.selection.val_accuracy:.2f}% "
            f"(dense {self.selection.dense_val_accuracy:.2f}%), {len(self.modules)} modules"
        ]
        for m in self.modules:
            lines.append(
                f"  module {m.label}: {m.hidden_units} hidden units, inputs "
                f"{{{','.join(m.inputs)}}} -> outputs {{{','.join(m.outputs)}}}"
            )
        if self.score is not None:
            lines.append(f"  structure_match {self.structure_match}")
        return "\n".join(lines)


def _values(value: float | Sequence[float] | None) -> tuple[float, ...] | None:
    if value is None:
        return None
    return tuple(float(v) for v in np.atleast_1d(np.asarray(value, dtype=float)))


def _array_task(x_train, y_train, x_val, y_val, description, name):
    """Checked arrays as a dataset task and its training data."""
    from neural_sculpting.engine.data import dataset_data
    from neural_sculpting.tasks.catalog import dataset_task
    from neural_sculpting.tasks.dataset_file import check_arrays
    from neural_sculpting.tasks.dataset_task import DatasetTask

    raw = {"x_train": x_train, "y_train": y_train, "x_val": x_val, "y_val": y_val}
    arrays = check_arrays(raw)
    if isinstance(description, DatasetTask):
        task = description
        task.check_sizes(arrays.n_inputs, arrays.n_outputs, "description")
    else:
        task = dataset_task(name, description, arrays.n_inputs, arrays.n_outputs)
    task = dataclasses.replace(task, n_inputs=arrays.n_inputs)
    return task, dataset_data(task.name, arrays, task.class_groups)


def sculpt(
    x_train: np.ndarray | None = None,
    y_train: np.ndarray | None = None,
    x_val: np.ndarray | None = None,
    y_val: np.ndarray | None = None,
    *,
    task: str | None = None,
    description: str | Path | Any | None = None,
    name: str = "dataset",
    hidden: Sequence[int] = (64, 64),
    seed: int = 0,
    pu: float | Sequence[float] | None = None,
    pe: float | Sequence[float] | None = None,
    lr: float | None = None,
    batch_size: int | None = None,
    epochs: int | None = None,
    accuracy_threshold: float | str | None = None,
    accuracy_measure: str = "per_bit",
    edge_min_step: float | None = None,
    modularity_threshold: float | None = None,
    merge_threshold: float | None = None,
    device: str = "cpu",
    out_dir: str | Path | None = None,
    progress: bool = False,
) -> SculptResult:
    """Train, prune (units then edges, the grid of `pu` x `pe`), detect modules, and score them
    where the structure is known. Give arrays (with an optional task `description`: a path, a
    name of config/tasks/, or a `DatasetTask`), or `task=` a function graph's name. `pu`/`pe`
    are one value or several (a grid); left out, the full grid of the paper. The threshold is
    "dense" (the dense network's own accuracy, arrays' default) or a percent. `edge_min_step`
    is the smallest edge-pruning step in percent (left out: the task kind's default, one weight,
    the authors' rule). `out_dir` keeps
    the trial's files (stage records, networks); by default they go to a temporary folder."""
    import torch

    from neural_sculpting.analysis.trial import analyse_trial, load_selected_arrays
    from neural_sculpting.engine.search import Search
    from neural_sculpting.engine.settings import SearchSettings, SearchTrial

    if task is not None:
        if x_train is not None:
            raise UsageError("give either arrays or task=, not both")
        from neural_sculpting.engine.data import graph_data
        from neural_sculpting.tasks.catalog import load_task
        from neural_sculpting.tasks.function_graph import FunctionGraph

        the_task = load_task(task)
        if not isinstance(the_task, FunctionGraph):
            raise UsageError(f"task={task!r}: give a function graph's name, or the arrays")
        defaults = DEFAULTS["boolean"]
        data = graph_data([task], defaults.train.noise_std)
    else:
        if any(a is None for a in (x_train, y_train, x_val, y_val)):
            raise UsageError("give x_train, y_train, x_val and y_val (or task=)")
        defaults = DEFAULTS["dataset"]
        the_task, data = _array_task(x_train, y_train, x_val, y_val, description, name)
    chosen = trial_settings(
        "boolean" if task is not None else "dataset",
        train={"lr": lr, "batch_size": batch_size, "epochs": epochs},
        mode="grid",
        pu=_values(pu),
        pe=_values(pe),
        accuracy_threshold=accuracy_threshold,
        # The API prunes a dense network below the threshold (as the authors' code does).
        dense_must_reach_threshold=False,
        accuracy_measure=accuracy_measure,
        edge_min_step=edge_min_step,
        detection={
            "modularity_threshold": modularity_threshold,
            "merge_threshold": merge_threshold,
        },
    )
    detection = chosen.detection
    settings = SearchSettings(
        tuple(int(h) for h in hidden), chosen.train, chosen.pruning, chosen.search
    )
    with tempfile.TemporaryDirectory(prefix="sculpt-") as scratch:
        folder = Path(out_dir) if out_dir is not None else Path(scratch)
        trial = SearchTrial(the_task.name, int(seed), folder)
        Search([trial], settings, torch.device(device), data, show_progress=progress).run()
        arrays, selection = load_selected_arrays(folder)
        found, score = analyse_trial(folder, the_task, detection)
    flags = None
    if score.structure_match is not None:
        flags = score.to_json()
    return SculptResult(
        task=the_task,
        selection=selection,
        masks=arrays.masks,
        weights=arrays.weights,
        detection=found,
        score=flags,
        out_dir=Path(out_dir) if out_dir is not None else None,
    )
