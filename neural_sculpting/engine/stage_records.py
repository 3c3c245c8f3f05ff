"""What each search stage records beside its networks: the config that made it (compared before
its files are reused), and per lane the pruning run's summary (`store/checkpoint.py` writes them).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from neural_sculpting.engine.lanes import LaneMLP, arch_name
from neural_sculpting.engine.pruning.schedule import LaneSchedule
from neural_sculpting.store import checkpoint
from neural_sculpting.study.hparams import SearchMode, to_dict
from neural_sculpting.tasks.catalog import task_path

if TYPE_CHECKING:
    from neural_sculpting.engine.settings import SearchSettings, SearchTrial

# The version of the engine's rules, recorded in every stage's config: bump it with any change
# that alters a result (training, pruning, selection), so that earlier stage files are recomputed.
# 3: the authors' p_min stop rule and best-epoch rule; 4: compaction, fused Adam; 5: the CPU
# lanes' forward and backward passes compiled (`kernels.py`).
RULES_VERSION = 5


def task_sha256(graph: str) -> str | None:
    """The SHA-256 of the file defining a task (None for a task made in memory, as in tests)."""
    path = task_path(graph)
    return checkpoint.file_sha256(path) if path.is_file() else None


def stage_configs(
    exp: SearchSettings, trial: SearchTrial, widths, pu, pe, task_digest: str | None
) -> dict[str, dict[str, Any]]:
    """What made each stage, compared key by key before its files are reused: the engine's
    rules, the task file's content, the trial and every setting that reaches the stage."""
    dense = {
        "rules": RULES_VERSION,
        "task_sha256": task_digest,
        "graph": trial.graph,
        "seed": trial.seed,
        "arch": arch_name(widths),
        "training": to_dict(exp.training),
        "accuracy_measure": exp.pruning.accuracy_measure,  # it picks the best epoch
    }
    if trial.imported is not None:
        # Recorded only for an imported network, so trained trials' files stay valid.
        dense["imported_sha256"] = trial.imported.sha256
    pruning = to_dict(exp.pruning)
    # The walk's floor reaches edge pruning only, and is recorded only where it is set, so the
    # stage files made before it existed (the authors' rule, None) stay valid.
    min_step = pruning.pop("edge_min_step")
    units = {**dense, "pruning": pruning, "pu": list(pu)}
    edges = {**units, "mode": exp.search.mode.value, "pe": list(pe)}
    if min_step is not None:
        edges["edge_min_step"] = min_step
    return {"dense": dense, "units": units, "edges": edges, "selected": edges}


def search_values(
    exp: SearchSettings, trial: SearchTrial
) -> tuple[tuple[float, ...], tuple[float, ...]]:
    mode = exp.search.mode
    if mode == SearchMode.DENSE:
        return (), ()
    if mode == SearchMode.EDGE_ONLY:
        return (), tuple(trial.pe or exp.search.pe_values)
    return tuple(trial.pu or exp.search.pu_values), tuple(trial.pe or exp.search.pe_values)


def lane_record(schedule: LaneSchedule, model: LaneMLP, lane: int, **extra) -> dict[str, Any]:
    kept = int(model.kept_weights()[lane])
    return {
        **extra,
        "final_density": kept / model.n_weights,
        "kept_weights": kept,
        "val_accuracy": schedule.accuracy,
        "p_kept": schedule.p_kept,
        "rounds": schedule.rounds,
        "wall_s": schedule.wall_s,
        "steps": schedule.history,
    }


def lane_summaries(lanes: list[dict[str, Any]]) -> list[dict[str, Any]]:
    keys = ("pu", "pe", "final_density", "kept_weights", "val_accuracy", "start_val_accuracy")
    return [{k: lane[k] for k in keys if k in lane} for lane in lanes]
