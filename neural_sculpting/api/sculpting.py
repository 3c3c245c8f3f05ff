"""The Python API's calls: one task trained (or a researcher's trained model taken in), pruned,
analysed and drawn in one call.

    from neural_sculpting import sculpt, sculpt_model, detect_modules
    result = sculpt(x_train, y_train, x_val, y_val, hidden=(64, 64), pu=50, pe=2.5)
    result = sculpt_model(model, (x_train, y_train, x_val, y_val), pu=50, pe=2.5)
    result = detect_modules(sparse_model)   # already sparse: no pruning
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
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import numpy as np

from neural_sculpting.api.result import SculptResult
from neural_sculpting.foundations.errors import UsageError
from neural_sculpting.study.defaults import DEFAULTS
from neural_sculpting.study.trial_settings import trial_settings


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
    progress: bool = True,
    threads: int | None = 1,
) -> SculptResult:
    """Train, prune (units then edges, the grid of `pu` x `pe`), detect modules, and score them
    where the structure is known. Give arrays (with an optional task `description`: a path, a
    name of config/tasks/, or a `DatasetTask`), or `task=` a function graph's name. `pu`/`pe`
    are one value or several (a grid); left out, the full grid of the paper. The threshold is
    "dense" (the dense network's own accuracy, arrays' default) or a percent. `edge_min_step`
    is the smallest edge-pruning step in percent (left out: the task kind's default, one weight,
    the authors' rule). `out_dir` keeps the trial's files (stage records, networks); by default
    they go to a temporary folder. `progress`: a progress bar of the pruning rounds and lanes
    (tqdm; False for none). `threads`: torch's threads during the search (one: the engine
    batches lanes, and more threads only spin on small networks; None leaves torch's)."""
    if task is not None:
        if x_train is not None:
            raise UsageError("give either arrays or task=, not both")
        from neural_sculpting.engine.data import graph_data
        from neural_sculpting.tasks.catalog import load_task
        from neural_sculpting.tasks.function_graph import FunctionGraph

        the_task = load_task(task)
        if not isinstance(the_task, FunctionGraph):
            raise UsageError(f"task={task!r}: give a function graph's name, or the arrays")
        data = graph_data([task], DEFAULTS["boolean"].train.noise_std)
        kind = "boolean"
    else:
        if any(a is None for a in (x_train, y_train, x_val, y_val)):
            raise UsageError("give x_train, y_train, x_val and y_val (or task=)")
        the_task, data = _array_task(x_train, y_train, x_val, y_val, description, name)
        kind = "dataset"
    return _search(
        kind, the_task, data, tuple(int(h) for h in hidden), seed, None,
        dict(pu=pu, pe=pe, lr=lr, batch_size=batch_size, epochs=epochs,
             accuracy_threshold=accuracy_threshold, accuracy_measure=accuracy_measure,
             edge_min_step=edge_min_step, modularity_threshold=modularity_threshold,
             merge_threshold=merge_threshold),
        device, out_dir, progress, threads,
    )  # fmt: skip


def sculpt_model(
    model: Any,
    data: str | Path | Mapping[str, np.ndarray] | Sequence[np.ndarray],
    *,
    description: str | Path | Any | None = None,
    name: str = "model",
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
    progress: bool = True,
    threads: int | None = 1,
) -> SculptResult:
    """Your own trained model, sculpted: a `torch.nn.Sequential` of Linear layers with ReLU
    between them (and optionally a final Sigmoid), or a file of one (TorchScript, or a saved
    state_dict), is taken in as the dense network, then pruned as the paper does (units, then
    edges, over the `pu` x `pe` grid; the lowest-density network keeping the threshold, by
    default the model's own validation accuracy), and its modules detected. `data` is a dataset
    file (.npz: x_train, y_train, x_val, y_val), a mapping with those four arrays, or the four
    arrays in that order. Retraining between pruning rounds uses Adam on the sigmoid
    cross-entropy of the outputs, with the dataset tasks' defaults unless `lr`, `batch_size`,
    `epochs` are given. Anything else in the model (a Conv layer, normalisation, dropout, NaN
    weights, widths that are not the data's) is refused with a `SculptError` naming it, before
    anything is written."""
    from neural_sculpting.tasks.model_file import from_module, load_model_file

    network = load_model_file(Path(model)) if isinstance(model, str | Path) else None
    if network is None:
        import torch

        if not isinstance(model, torch.nn.Module):
            raise UsageError(
                f"model: give a torch.nn.Sequential or a model file, got {type(model).__name__}"
            )
        network = from_module(model)
    arrays = _data_arrays(data)
    the_task, task_data = _array_task(*arrays, description, name)
    network.check_widths(task_data.n_inputs, task_data.n_outputs)
    return _search(
        "dataset", the_task, task_data, network.hidden, seed, network,
        dict(pu=pu, pe=pe, lr=lr, batch_size=batch_size, epochs=epochs,
             accuracy_threshold=accuracy_threshold, accuracy_measure=accuracy_measure,
             edge_min_step=edge_min_step, modularity_threshold=modularity_threshold,
             merge_threshold=merge_threshold),
        device, out_dir, progress, threads,
    )  # fmt: skip


def detect_modules(
    model: Any,
    *,
    description: str | Path | Any | None = None,
    name: str = "model",
    modularity_threshold: float | None = None,
    merge_threshold: float | None = None,
) -> SculptResult:
    """The modules of a model that is already sparse (its zero weights are the pruned ones): no
    training, no pruning, only module detection (and scoring, where a `description` gives the
    expected structure). The model as for `sculpt_model`."""
    from neural_sculpting.analysis.module_detection import detect_modules as detect
    from neural_sculpting.analysis.scoring import score_modules
    from neural_sculpting.tasks.catalog import dataset_task, expected_structure
    from neural_sculpting.tasks.model_file import from_module, load_model_file

    network = load_model_file(Path(model)) if isinstance(model, str | Path) else from_module(model)
    widths = network.widths
    task = dataset_task(name, description, widths[0], widths[-1])
    masks = [w != 0 for w in network.weights]
    settings = _settings("dataset", {"modularity_threshold": modularity_threshold,
                                     "merge_threshold": merge_threshold}).detection  # fmt: skip
    found = detect(masks, settings)
    score = None
    if getattr(task, "scored", False):
        expected = expected_structure(task, hidden_layers=len(masks) - 1)
        score = score_modules(masks, found.module_labels, expected).to_json()
    weights = [
        np.where(m, w, 0.0).astype(np.float32) for m, w in zip(masks, network.weights, strict=True)
    ]
    return SculptResult(task=task, selection=None, masks=masks, weights=weights,
                        detection=found, score=score, out_dir=None,
                        biases=list(network.biases))  # fmt: skip


# --- shared -----------------------------------------------------------------------------------


def _data_arrays(data) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """x_train, y_train, x_val, y_val from a dataset file, a mapping or a sequence of four."""
    keys = ("x_train", "y_train", "x_val", "y_val")
    if isinstance(data, str | Path):
        from neural_sculpting.tasks.dataset_file import load_dataset_file

        arrays = load_dataset_file(data)
        return tuple(getattr(arrays, key) for key in keys)
    if isinstance(data, Mapping):
        missing = [key for key in keys if key not in data]
        if missing:
            raise UsageError(f"data: missing {', '.join(missing)}")
        return tuple(data[key] for key in keys)
    if isinstance(data, Sequence) and len(data) == 4:
        return tuple(data)
    raise UsageError("data: give a dataset file, a mapping of x_train, y_train, x_val, y_val, "
                     "or those four arrays")  # fmt: skip


def _settings(kind: str, options: dict[str, Any]):
    return trial_settings(
        kind,
        train={k: options.get(k) for k in ("lr", "batch_size", "epochs")},
        mode="grid",
        pu=_values(options.get("pu")),
        pe=_values(options.get("pe")),
        accuracy_threshold=options.get("accuracy_threshold"),
        # The API prunes a dense network below the threshold (as the authors' code does).
        dense_must_reach_threshold=False,
        accuracy_measure=options.get("accuracy_measure", "per_bit"),
        edge_min_step=options.get("edge_min_step"),
        detection={
            "modularity_threshold": options.get("modularity_threshold"),
            "merge_threshold": options.get("merge_threshold"),
        },
    )


def _search(
    kind, the_task, data, hidden, seed, network, options, device, out_dir, progress, threads
):
    """One trial searched (trained, or taken in as `network`), analysed, and its arrays read
    back, its files in `out_dir` or a temporary folder."""
    import torch

    from neural_sculpting.analysis.trial import analyse_trial, load_selected_arrays
    from neural_sculpting.engine.device import torch_threads
    from neural_sculpting.engine.search import Search
    from neural_sculpting.engine.settings import SearchSettings, SearchTrial

    chosen = _settings(kind, options)
    settings = SearchSettings(hidden, chosen.train, chosen.pruning, chosen.search)
    with tempfile.TemporaryDirectory(prefix="sculpt-") as scratch:
        folder = Path(out_dir) if out_dir is not None else Path(scratch)
        trial = SearchTrial(the_task.name, int(seed), folder, imported=network)
        with torch_threads(threads):
            Search([trial], settings, torch.device(device), data, show_progress=progress,
                   progress_bar=True).run()  # fmt: skip
        arrays, selection = load_selected_arrays(folder)
        biases = selected_biases(folder)
        found, score = analyse_trial(folder, the_task, chosen.detection)
    flags = score.to_json() if score.structure_match is not None else None
    return SculptResult(
        task=the_task,
        selection=selection,
        masks=arrays.masks,
        weights=arrays.weights,
        detection=found,
        score=flags,
        out_dir=Path(out_dir) if out_dir is not None else None,
        biases=biases,
    )


def selected_biases(folder: Path) -> list[np.ndarray] | None:
    """The selected network's biases (masked), from its stage file; None where unreadable."""
    from neural_sculpting.store import checkpoint

    try:
        content, _ = checkpoint.read_stage(folder, "selected")
    except checkpoint.CheckpointError:
        return None
    model = content["model"]
    return [
        (b[0] * m[0]).numpy().astype(np.float32)
        for b, m in zip(model["biases"], model["bias_masks"], strict=True)
    ]
