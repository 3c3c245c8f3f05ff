"""A workflow's results read back where a notebook expects them: the trials of one or every
experiment as a typed pandas DataFrame (`load_results`), and one trial as a `SculptResult`
(`load_trial`): its modules as plain objects, its network as a networkx graph or a torch model.

    from neural_sculpting import load_results, load_trial
    trials = load_results("results")                  # every experiment's trials.csv
    trial = load_trial(trials.iloc[0])                 # one row (or a trial folder)
    trial.modules, trial.graph(), trial.to_torch()
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd

from neural_sculpting.api.result import SculptResult
from neural_sculpting.foundations import paths
from neural_sculpting.foundations.errors import UsageError

BOOLEAN = ("trainable", "input_modules_match", "output_modules_match", "hidden_modules_match",
           "structure_match")  # fmt: skip
INTEGER = ("depth", "width", "seed", "batch_size", "epochs", "n_modules", "tied_lanes",
           "tied_lanes_recovered", "overlap", "use")  # fmt: skip
FLOAT = ("lr", "pu", "pe", "dense_val_accuracy", "density", "val_accuracy")


def _typed(table: pd.DataFrame) -> pd.DataFrame:
    """Flags as nullable booleans, counts as nullable integers, rates as floats; empty cells
    (an untrainable trial's flags) stay missing."""
    from neural_sculpting.figures.trials_table import flag_column

    table = table.copy()
    for column in table.columns:
        if column in BOOLEAN:
            table[column] = flag_column(table[column], column).astype("boolean")
        elif column in INTEGER:
            table[column] = pd.to_numeric(table[column]).astype("Int64")
        elif column in FLOAT:
            table[column] = pd.to_numeric(table[column]).astype(float)
    return table


def load_results(results: str | Path = "results", experiment: str | None = None) -> pd.DataFrame:
    """The trials of `experiment` (or of every experiment with a trials.csv under `results`), one
    row per trial with the trials.csv columns, typed, and an `experiment` column. The folder is
    kept in `frame.attrs["results"]`, so `load_trial(row)` finds each trial's files."""
    root = Path(results)
    if not root.is_dir():
        raise UsageError(f"{root}: no such results folder")
    if experiment is not None:
        tables = [paths.trials_csv(experiment, root)]
        if not tables[0].is_file():
            raise UsageError(f"{tables[0]}: no trials table (run the experiment's trials_table)")
    else:
        tables = sorted(p for p in root.glob("*/trials.csv") if p.is_file())
        if not tables:
            raise UsageError(f"{root}: no experiment with a trials.csv")
    frames = [pd.read_csv(p).assign(experiment=p.parent.name) for p in tables]
    frame = _typed(pd.concat(frames, ignore_index=True))
    frame.attrs["results"] = str(root)
    return frame


def _trial_folder(trial: pd.Series | str | Path, results: Path | None, column: str) -> Path:
    if not isinstance(trial, pd.Series):
        return Path(trial)
    value = trial.get(column)
    if not isinstance(value, str) or not value:
        raise UsageError(f"the row has no {column}")
    folder = Path(value)
    if folder.is_absolute() or results is None:
        return folder
    # trials.csv names folders from the workflow's directory ("results/trials/..."), the
    # results folder's parent.
    for base in (results.parent, results):
        if (base / folder).is_dir():
            return base / folder
    return results.parent / folder


def load_trial(
    trial: pd.Series | str | Path,
    *,
    results: str | Path | None = None,
    task=None,
) -> SculptResult:
    """One trial as a `SculptResult`: a row of `load_results` (or a trial folder holding
    selected.json and selected.npz). The detection is the workflow's own (`modules.json` of the
    row's analysis folder, or the one found in the trial folder or its `detect*` folders); the
    task is the row's graph (a function graph or a described task of config/tasks), or `task`."""
    from neural_sculpting.analysis.module_detection import ModuleDetection
    from neural_sculpting.analysis.trial import load_selected_arrays
    from neural_sculpting.api.sculpting import selected_biases

    if results is None and isinstance(trial, pd.Series):
        results = trial.attrs.get("results") if hasattr(trial, "attrs") else None
    root = Path(results) if results is not None else None
    folder = _trial_folder(trial, root, "trial_dir")
    arrays, selection = load_selected_arrays(folder)
    if isinstance(trial, pd.Series) and isinstance(trial.get("analysis_dir"), str):
        analysis = _trial_folder(trial, root, "analysis_dir")
    else:
        candidates = (folder, *sorted(folder.glob("detect*")))
        found = [p for p in candidates if paths.modules_file(p).is_file()]
        analysis = found[0] if len(found) == 1 else None
    detection = score = None
    if analysis is not None and paths.modules_file(analysis).is_file():
        stored = json.loads(paths.modules_file(analysis).read_text())
        detection = ModuleDetection.from_json(stored["detection"])
        score_path = paths.score_file(analysis)
        if score_path.is_file():
            score = json.loads(score_path.read_text())
            if score.get("structure_match") is None:
                score = None
    return SculptResult(
        task=task if task is not None else _task_of(selection.graph, arrays.masks),
        selection=selection,
        masks=[np.asarray(m, dtype=bool) for m in arrays.masks],
        weights=arrays.weights,
        detection=detection,
        score=score,
        out_dir=folder,
        biases=selected_biases(folder),
    )


def _task_of(name: str, masks):
    from neural_sculpting.foundations.errors import SculptError
    from neural_sculpting.tasks.catalog import load_task
    from neural_sculpting.tasks.dataset_task import undescribed_task

    try:
        return load_task(name)
    except SculptError:  # a dataset file's own task: inputs and outputs by number
        return undescribed_task(name, masks[0].shape[1], masks[-1].shape[0])
