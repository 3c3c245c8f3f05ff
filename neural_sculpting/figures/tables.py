"""`trials.csv`: one row per trial, built from the trial folders alone.

Each row joins the search's `selected.json` (settings and the chosen network), the analysis's
`score.json` (the flags of `scoring.py`, the signatures of the modules detected (`detected`, what
a task without a description reports), and for described tasks one `category_<name>` column per
success category of the task description) and the task file's `params`. `density` counts kept
weights over all weights of the original network, biases excluded; `val_accuracy` is the measure
the pruning threshold uses.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pandas as pd

from neural_sculpting.foundations import atomic, paths
from neural_sculpting.foundations.errors import SculptError
from neural_sculpting.store.records import Score, Selection
from neural_sculpting.tasks.catalog import task_params

COLUMNS = [
    "graph", "depth", "width", "arch", "seed", "lr", "batch_size", "epochs", "mode", "pu", "pe",
    "trainable", "dense_val_accuracy", "density", "val_accuracy", "n_modules",
    "input_modules_match", "output_modules_match", "hidden_modules_match", "structure_match",
    "modules_found", "modules_per_layer", "condensed_arch", "tied_lanes", "tied_lanes_recovered",
    "detected", "trial_dir", "analysis_dir",
]  # fmt: skip
SCORE_COLUMNS = (
    "n_modules", "input_modules_match", "output_modules_match", "hidden_modules_match",
    "structure_match", "modules_found", "modules_per_layer", "condensed_arch", "tied_lanes",
    "tied_lanes_recovered", "detected",
)  # fmt: skip


def _joined(values) -> str | None:
    return None if values is None else "-".join(map(str, values))


def trial_row(selected_json: Path, score_json: Path | None) -> dict[str, Any]:
    stored = json.loads(Path(selected_json).read_text())
    result, config = Selection.from_json(stored["result"]), stored["config"]
    hidden = result.hidden
    chosen = result.chosen or {}
    row: dict[str, Any] = {
        "graph": result.graph,
        "depth": len(hidden),
        "width": hidden[0] if len(set(hidden)) == 1 else _joined(hidden),
        "arch": result.arch,
        "seed": result.seed,
        "lr": config["training"]["lr"],
        "batch_size": config["training"]["batch_size"],
        "epochs": config["training"]["epochs"],
        "mode": result.mode,
        "pu": chosen.get("pu"),
        "pe": chosen.get("pe"),
        # Untrainable means "not pruned because the dense network missed the threshold";
        # dense_val_accuracy shows a miss also where the trial was pruned anyway.
        "trainable": result.trainable,
        "dense_val_accuracy": result.dense_val_accuracy,
        "density": result.density,
        "val_accuracy": result.val_accuracy,
    }
    # MNIST: the selected network's accuracy by both measures (the threshold used one of them).
    for key in ("val_accuracy_per_bit", "val_accuracy_per_digit"):
        if getattr(result, key) is not None:
            row[key] = getattr(result, key)
    row |= dict.fromkeys(SCORE_COLUMNS)
    row["trial_dir"] = str(Path(selected_json).parent)
    row["analysis_dir"] = str(Path(score_json).parent) if score_json is not None else None
    if score_json is not None:
        score = Score.from_json(json.loads(Path(score_json).read_text())).to_json()
        for key in SCORE_COLUMNS:
            value = score.get(key)
            if key == "modules_found" and value is not None:
                value = ";".join(value)
            elif key == "detected" and value is not None:
                value = " | ".join(value)
            elif key in ("modules_per_layer", "condensed_arch"):
                value = _joined(value)
            row[key] = value
        # MNIST tasks' success categories (Fig. 13b), one column each
        for name, value in (score.get("categories") or {}).items():
            row[f"category_{name}"] = value
    row |= dict(task_params(result.graph))
    return row


def trials_table(files: list[Path]) -> pd.DataFrame:
    """Rows from the trials' `selected.json` files; a `score.json` among `files` belongs to the
    trial two folders up (`<trial>/<analysis>/score.json`)."""
    selected_name = paths.stage_files(Path(), "selected")[1].name
    score_name = paths.score_file(Path()).name
    selected = [Path(f) for f in files if Path(f).name == selected_name]
    scores = {paths.trial_of_analysis(f): Path(f) for f in files if Path(f).name == score_name}
    unknown = [str(f) for f in files if Path(f).name not in (selected_name, score_name)]
    if unknown:
        raise SculptError(f"{unknown[0]}: expected a {selected_name} or a {score_name}")
    table = pd.DataFrame([trial_row(path, scores.get(path.parent)) for path in selected])
    # Counts stay integers beside the empty cells of unscored trials.
    for column in ("n_modules", "tied_lanes", "tied_lanes_recovered"):
        table[column] = table[column].astype("Int64")
    extra = [c for c in table.columns if c not in COLUMNS]
    return table[COLUMNS + sorted(extra)]


def write_table(table: pd.DataFrame, path: Path) -> None:
    atomic.write_text(path, table.to_csv(index=False))
