"""The (Pu, Pe) search of one or several trials, batched, with stage files and selection.

Modes (per experiment):
- `grid`: dense training, unit pruning for every Pu, then for every Pu its unit-pruned network
  retrained once and edge-pruned for every Pe; the trial's network is the lowest-density one,
  ties to the larger Pe, then the larger Pu (the authors' loop: Pe from high to low outer, Pu from
  high to low inner, first minimum kept).
- `paper`: the same with the single (Pu, Pe) the authors picked for the trial (paper_hparams.csv,
  first row where it lists two), or the values given.
- `edge_only`: edge pruning of the dense network for every Pe of `edge_only_pe`, lowest density.
- `dense`: training only.

A trial is (graph, seed); all trials of one call share architecture and settings, and all their
lanes of a stage train in one batch, each lane with its own data and its own random numbers:
  init (seed, "init"); dense epoch e (seed, "dense", e); unit round r (seed, pu, r, e);
  edge start (seed, pu, "edge-start", e); edge round (seed, pu, pe, r, e);
  edge-only round (seed, "edge-only", pe, r, e).
Lanes that do not fit the memory budget together (`training.lane_memory_bytes`) run in
consecutive groups; lanes are independent, so the result is bitwise that of one batch.
"""

from __future__ import annotations

import dataclasses
import os
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import torch

from neural_sculpting.engine.data import EVAL_ROWS, LaneData, TaskData, graph_data
from neural_sculpting.engine.lanes import LaneMLP, arch_name
from neural_sculpting.engine.progress import Progress
from neural_sculpting.engine.pruning.edges import edge_schedules, prune_edges
from neural_sculpting.engine.pruning.units import LaneSchedule, prune_units, unit_schedules
from neural_sculpting.engine.training import Evaluation, evaluate, lane_memory_bytes, train_lanes
from neural_sculpting.store import checkpoint
from neural_sculpting.store.records import Selection
from neural_sculpting.study.hparams import PruningHparams, SearchHparams, TrainingHparams, to_dict
from neural_sculpting.study.trial import Trial
from neural_sculpting.tasks.catalog import task_path

STAGE_ORDER = ("dense", "units", "edges", "selected")
# The version of the engine's rules, recorded in every stage's config: bump it with any change
# that alters a result (training, pruning, selection), so that earlier stage files are recomputed.
RULES_VERSION = 2


class SearchError(ValueError):
    """A search request that cannot run (missing stage files, unknown paper trial, device)."""


def resolve_device(name: str) -> torch.device:
    """ "auto" (CUDA when available), "cpu" or "cuda"."""
    if name == "auto":
        return torch.device("cuda" if torch.cuda.is_available() else "cpu")
    if name == "cpu":
        return torch.device("cpu")
    if name == "cuda":
        if not torch.cuda.is_available():
            raise SearchError("--device cuda was asked for but no CUDA device is available")
        return torch.device("cuda")
    raise SearchError(f"device must be auto, cpu or cuda, got {name!r}")


def default_memory_budget(device: torch.device) -> float:
    """Bytes the lanes of a stage may use: 80% of the free CUDA memory, or half the RAM."""
    if device.type == "cuda":
        free, _ = torch.cuda.mem_get_info(device)
        return 0.8 * free
    return 0.5 * os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES")


@dataclass(frozen=True)
class SearchTrial:
    """One (graph, seed); `out_dir` None keeps everything in memory. `pu`/`pe` override the
    search's values for this trial (paper mode)."""

    graph: str
    seed: int
    out_dir: Path | None = None
    pu: tuple[float, ...] | None = None
    pe: tuple[float, ...] | None = None


@dataclass(frozen=True)
class SearchSettings:
    """What all trials of one call share. `hidden` are the hidden widths (e.g. (24, 24))."""

    hidden: tuple[int, ...]
    training: TrainingHparams
    pruning: PruningHparams = field(default_factory=PruningHparams)
    search: SearchHparams = field(default_factory=SearchHparams)

    @classmethod
    def of_trial(cls, trial: Trial) -> SearchSettings:
        """The settings of one trial of the study."""
        return cls(trial.hidden, trial.train, trial.pruning, trial.search)


# --- per-trial bookkeeping ------------------------------------------------------------------------


@dataclass
class _Run:
    trial: SearchTrial
    task: int
    widths: tuple[int, ...]
    pu: tuple[float, ...]
    pe: tuple[float, ...]
    configs: dict[str, dict[str, Any]]
    dense: LaneMLP | None = None
    dense_accuracy: float | None = None
    trainable: bool = True
    units: LaneMLP | None = None
    unit_lanes: list[dict[str, Any]] = field(default_factory=list)
    edge_start: LaneMLP | None = None
    edges: LaneMLP | None = None
    edge_lanes: list[dict[str, Any]] = field(default_factory=list)
    result: Selection | None = None
    # stage -> the pruning round a rerun resumed from (its state file), for the stage's record
    resumed: dict[str, int] = field(default_factory=dict)

    @property
    def out(self) -> Path | None:
        return self.trial.out_dir


def task_sha256(graph: str) -> str | None:
    """The SHA-256 of the file defining a task (None for a task made in memory, as in tests)."""
    path = task_path(graph)
    return checkpoint.file_sha256(path) if path.is_file() else None


def _configs(
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
    units = {**dense, "pruning": to_dict(exp.pruning), "pu": list(pu)}
    edges = {**units, "mode": exp.search.mode, "pe": list(pe)}
    return {"dense": dense, "units": units, "edges": edges, "selected": edges}


def _values(exp: SearchSettings, trial: SearchTrial) -> tuple[tuple[float, ...], tuple[float, ...]]:
    mode = exp.search.mode
    if mode == "dense":
        return (), ()
    if mode == "edge_only":
        return (), tuple(trial.pe or exp.search.pe_values)
    return tuple(trial.pu or exp.search.pu_values), tuple(trial.pe or exp.search.pe_values)


def _record_lane(schedule: LaneSchedule, model: LaneMLP, lane: int, **extra) -> dict[str, Any]:
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


def _summary(lanes: list[dict[str, Any]]) -> list[dict[str, Any]]:
    keys = ("pu", "pe", "final_density", "kept_weights", "val_accuracy", "start_val_accuracy")
    return [{k: lane[k] for k in keys if k in lane} for lane in lanes]


def _progress_fn(progress: Progress):
    def show(model: LaneMLP, lanes: list[LaneSchedule]) -> None:
        running = [i for i, lane in enumerate(lanes) if not lane.done]
        density = float(model.density()[running].mean()) if running else None
        progress.update(len(running), density)

    return show


# --- the search ---------------------------------------------------------------------------------


class Search:
    """Runs the stages of several trials together. Stage files in a trial's `out_dir` that exist
    and match the request are reused; `compute` limits which stages may be computed."""

    def __init__(
        self,
        trials: Sequence[SearchTrial],
        exp: SearchSettings,
        device: torch.device | str = "cpu",
        data: TaskData | None = None,
        show_progress: bool = False,
        state_every_s: float = 10.0,
        memory_budget_bytes: float | None = None,
    ) -> None:
        if not trials:
            raise SearchError("no trial given")
        self.exp = exp
        self.device = torch.device(device)
        self.show_progress = show_progress
        # Pruning state is saved after a round when this long has passed since the last save:
        # a kill loses at most that much work, and short rounds do not wait on the disk.
        self.state_every_s = state_every_s
        if memory_budget_bytes is not None and not memory_budget_bytes > 0:
            raise SearchError(f"the memory budget must be positive, got {memory_budget_bytes!r}")
        self.memory_budget_bytes = memory_budget_bytes
        # stage -> how many sequential groups its lanes ran in (1: one batch)
        self.stage_groups: dict[str, int] = {}
        names = list(dict.fromkeys(t.graph for t in trials))
        self.data = data if data is not None else graph_data(names, exp.training.noise_std)
        index = {name: i for i, name in enumerate(self.data.names)}
        missing = [t.graph for t in trials if t.graph not in index]
        if missing:
            raise SearchError(f"no data for graph {missing[0]!r}")
        widths = (self.data.n_inputs, *exp.hidden, self.data.n_outputs)
        self.widths = widths
        self.runs = []
        digests = {name: task_sha256(name) for name in names}
        for trial in trials:
            pu, pe = _values(exp, trial)
            configs = _configs(exp, trial, widths, pu, pe, digests[trial.graph])
            self.runs.append(_Run(trial, index[trial.graph], widths, pu, pe, configs))
        self.stage_seconds: dict[str, float] = {}

    # -- helpers --

    def _lane_data(self, tasks: list[int]) -> LaneData:
        return LaneData(self.data, tasks, self.device, self.exp.pruning.accuracy_measure)

    def _groups(self, stage: str, n_lanes: int) -> list[list[int]]:
        """Consecutive lane groups that fit the memory budget, run one after the other. Lanes
        are independent, so a split run gives bitwise the result of one batch."""
        if self.memory_budget_bytes is None:
            self.memory_budget_bytes = default_memory_budget(self.device)
        per_lane = lane_memory_bytes(self.widths, self.exp.training.batch_size, EVAL_ROWS)
        size = max(1, int(self.memory_budget_bytes // per_lane))
        groups = [list(range(a, min(a + size, n_lanes))) for a in range(0, n_lanes, size)]
        self.stage_groups[stage] = len(groups)
        return groups

    def _train(self, stage: str, model: LaneMLP, tasks: list[int], keys: list) -> Evaluation:
        """`train_lanes` on all lanes, in groups that fit the memory budget; `model` in place."""
        data, groups = self._lane_data(tasks), self._groups(stage, len(tasks))
        if len(groups) == 1:
            return train_lanes(model, data, self.exp.training, keys)
        parts = []
        for group in groups:
            part = model.select(group)
            parts.append(
                train_lanes(part, data.select(group), self.exp.training, [keys[i] for i in group])
            )
            model.put(group, part)

        def cat(name: str) -> torch.Tensor | None:
            values = [getattr(ev, name) for ev in parts]
            return None if values[0] is None else torch.cat(values)

        return Evaluation(cat("accuracy"), cat("loss"), cat("per_bit"), cat("per_digit"))

    def _prune(
        self,
        stage: str,
        prune: Callable[..., LaneMLP],
        model: LaneMLP,
        tasks: list[int],
        schedules: list[LaneSchedule],
        hook: Callable[[LaneMLP, list[LaneSchedule]], None] | None,
        progress: Progress,
    ) -> LaneMLP:
        """Run `prune` (unit or edge pruning) on all lanes, in groups that fit the memory
        budget. The state hook always sees every lane: those of later groups at their start."""
        data, groups = self._lane_data(tasks), self._groups(stage, len(tasks))
        hp, threshold = self.exp.training, self.exp.pruning.accuracy_threshold
        show = _progress_fn(progress)
        if len(groups) == 1:
            return prune(model, data, hp, threshold, schedules, on_round=hook, progress=show)
        for group in groups:

            def group_hook(part: LaneMLP, lanes: list[LaneSchedule], group=group) -> None:
                model.put(group, part)
                hook(model, schedules)

            part = prune(
                model.select(group), data.select(group), hp, threshold,
                [schedules[i] for i in group], on_round=group_hook if hook else None,
                progress=show,
            )  # fmt: skip
            model.put(group, part)
        return model

    def _progress(self, stage: str, lanes: int) -> Progress:
        return Progress(stage, lanes, enabled=self.show_progress)

    def _load(self, run: _Run, stage: str) -> dict[str, Any] | None:
        if run.out is None:
            return None
        return checkpoint.load_stage(run.out, stage, run.configs[stage])

    def _save(self, run: _Run, stage: str, model: LaneMLP, lanes, wall_s: float, **extra) -> None:
        if run.out is None:
            return
        record = {
            "provenance": checkpoint.provenance(self.device),
            "wall_s": wall_s,
            "accuracy_measure": self.exp.pruning.accuracy_measure,
            **extra,
            "lanes": lanes,
        }
        checkpoint.save_stage(
            run.out, stage, run.configs[stage], model.state(), _summary(lanes), record
        )

    def run(
        self, until: str = "selected", compute: Sequence[str] = STAGE_ORDER
    ) -> list[Selection | None]:
        """Run (or load) the stages up to `until`; returns each trial's selection (or None)."""
        if until not in STAGE_ORDER:
            raise SearchError(f"unknown stage {until!r}")
        for stage in STAGE_ORDER[: STAGE_ORDER.index(until) + 1]:
            started = time.perf_counter()
            getattr(self, f"_stage_{stage}")(stage in compute)
            self.stage_seconds[stage] = time.perf_counter() - started
        return [run.result for run in self.runs]

    def _reuse(
        self,
        stage: str,
        runs: Sequence[_Run],
        allowed: bool,
        restore: Callable[[_Run, dict[str, Any]], None],
    ) -> list[_Run]:
        """Take in each run's valid `stage` files (`restore`); return the runs that must compute
        the stage, having checked that this command may compute it."""
        todo = []
        for run in runs:
            loaded = self._load(run, stage)
            if loaded is None:
                todo.append(run)
            else:
                restore(run, loaded)
        self._missing(stage, allowed, todo)
        return todo

    def _missing(self, stage: str, allowed: bool, todo: list[_Run]) -> None:
        if todo and not allowed:
            where = todo[0].out or "memory"
            raise SearchError(
                f"stage {stage!r} has no valid files in {where}; run the earlier stage first"
            )

    # -- dense --

    def _stage_dense(self, allowed: bool) -> None:
        def restore(run: _Run, loaded: dict[str, Any]) -> None:
            run.dense = LaneMLP.from_state(loaded["model"], self.device)
            run.dense_accuracy = loaded["lanes"][0]["val_accuracy"]

        todo = self._reuse("dense", self.runs, allowed, restore)
        if todo:
            started = time.perf_counter()
            keys = [(r.trial.seed, "init") for r in todo]
            model = LaneMLP.initialise(self.widths, keys, self.device)
            ev = self._train(
                "dense", model, [r.task for r in todo], [(r.trial.seed, "dense") for r in todo]
            )
            wall = (time.perf_counter() - started) / len(todo)
            for i, run in enumerate(todo):
                run.dense = model.select([i])
                run.dense_accuracy = float(ev.accuracy[i])
                lane = {
                    "val_accuracy": run.dense_accuracy,
                    "val_accuracy_per_bit": float(ev.per_bit[i]),
                    "val_accuracy_per_digit": (
                        None if ev.per_digit is None else float(ev.per_digit[i])
                    ),
                    "val_loss": float(ev.loss[i]),
                    "final_density": 1.0,
                    "wall_s": wall,
                }
                self._save(run, "dense", run.dense, [lane], wall)
        threshold = self.exp.pruning.accuracy_threshold
        for run in self.runs:
            reached = run.dense_accuracy >= threshold
            run.trainable = reached or not self.exp.pruning.require_trainable_dense

    # -- units --

    def _stage_units(self, allowed: bool) -> None:
        def restore(run: _Run, loaded: dict[str, Any]) -> None:
            run.units = LaneMLP.from_state(loaded["model"], self.device)
            run.unit_lanes = loaded["record"]["lanes"]

        runs = [run for run in self.runs if run.trainable and run.pu]
        todo = self._reuse("units", runs, allowed, restore)
        if not todo:
            return
        started = time.perf_counter()
        models, schedules, tasks, spans = [], [], [], []
        for run in todo:
            state = None
            if run.out is not None:
                state = checkpoint.load_state(run.out, "units", run.configs["units"])
            if state is not None:
                model = LaneMLP.from_state(state["model"], self.device)
                lanes = [LaneSchedule.from_dict(d) for d in state["schedules"]]
                run.resumed["units"] = max(lane.rounds for lane in lanes)
            else:
                model = run.dense.repeat_lanes(len(run.pu))
                lanes = unit_schedules(
                    [(run.trial.seed, pu) for pu in run.pu],
                    run.pu,
                    model.n_hidden_units,
                    [run.dense_accuracy] * len(run.pu),
                )
            spans.append((len(schedules), len(schedules) + len(lanes)))
            models.append(model)
            schedules.extend(lanes)
            tasks.extend([run.task] * len(lanes))
        model = LaneMLP.concat(models)
        progress = self._progress("units", len(schedules))
        hook = self._state_hook("units", todo, spans)
        model = self._prune("units", prune_units, model, tasks, schedules, hook, progress)
        progress.close()
        wall = time.perf_counter() - started
        for run, (a, b) in zip(todo, spans, strict=True):
            run.units = model.select(range(a, b))
            run.unit_lanes = [
                _record_lane(schedules[a + j], run.units, j, pu=pu) for j, pu in enumerate(run.pu)
            ]
            self._save(
                run, "units", run.units, run.unit_lanes, wall / len(todo),
                resumed_from_round=run.resumed.get("units"),
                lane_groups=self.stage_groups["units"],
            )  # fmt: skip
            if run.out is not None:
                checkpoint.remove_state(run.out, "units")

    def _state_hook(
        self,
        stage: str,
        todo: list[_Run],
        spans: list[tuple[int, int]],
        extras: list[dict[str, Any]] | None = None,
    ):
        """Save each trial's pruning state after every round (resumed by a rerun)."""
        if all(run.out is None for run in todo):
            return None
        extras = extras or [{} for _ in todo]
        last = [time.perf_counter()]

        def save(model: LaneMLP, lanes: list[LaneSchedule]) -> None:
            if time.perf_counter() - last[0] < self.state_every_s:
                return
            for run, (a, b), extra in zip(todo, spans, extras, strict=True):
                if run.out is None:
                    continue
                state = {
                    **extra,
                    "model": model.select(range(a, b)).state(),
                    "schedules": [lane.to_dict() for lane in lanes[a:b]],
                }
                checkpoint.save_state(run.out, stage, run.configs[stage], state)
            last[0] = time.perf_counter()

        return save

    # -- edges --

    def _stage_edges(self, allowed: bool) -> None:
        def restore(run: _Run, loaded: dict[str, Any]) -> None:
            run.edges = LaneMLP.from_state(loaded["model"], self.device)
            run.edge_lanes = loaded["record"]["lanes"]

        runs = [run for run in self.runs if run.trainable and run.pe]
        todo = self._reuse("edges", runs, allowed, restore)
        if not todo:
            return
        started = time.perf_counter()
        resumed: dict[int, dict[str, Any]] = {}
        for i, run in enumerate(todo):
            if run.out is not None:
                state = checkpoint.load_state(run.out, "edges", run.configs["edges"])
                if state is not None:
                    resumed[i] = state
        # The start of edge pruning: the unit-pruned network retrained once (shared by its Pe
        # lanes), or in edge_only mode the dense network as it is.
        start_acc: dict[int, list[float]] = {}
        fresh = [i for i in range(len(todo)) if i not in resumed]
        retrain = [i for i in fresh if todo[i].pu]
        if retrain:
            model = LaneMLP.concat([todo[i].units for i in retrain])
            keys = [(todo[i].trial.seed, pu, "edge-start") for i in retrain for pu in todo[i].pu]
            tasks = [todo[i].task for i in retrain for _ in todo[i].pu]
            ev = self._train("edge-start", model, tasks, keys)
            offset = 0
            for i in retrain:
                n = len(todo[i].pu)
                todo[i].edge_start = model.select(range(offset, offset + n))
                start_acc[i] = [float(a) for a in ev.accuracy[offset : offset + n]]
                offset += n
        models, schedules, tasks, spans, meta = [], [], [], [], []
        for i, run in enumerate(todo):
            lane_meta = [(pu, pe) for pu in (run.pu or (0.0,)) for pe in run.pe]
            if i in resumed:
                model = LaneMLP.from_state(resumed[i]["model"], self.device)
                lanes = [LaneSchedule.from_dict(d) for d in resumed[i]["schedules"]]
                starts = resumed[i]["start_accuracy"]
                run.resumed["edges"] = max(lane.rounds for lane in lanes)
            else:
                if run.pu:
                    base, accs = run.edge_start, start_acc[i]
                    keys = [(run.trial.seed, pu, pe) for pu, pe in lane_meta]
                else:
                    base, accs = run.dense, [run.dense_accuracy]
                    keys = [(run.trial.seed, "edge-only", pe) for _, pe in lane_meta]
                model = base.repeat_lanes(len(run.pe))
                starts = [a for a in accs for _ in run.pe]
                lanes = edge_schedules(keys, [pe for _, pe in lane_meta], model, starts)
            spans.append((len(schedules), len(schedules) + len(lanes)))
            meta.append((lane_meta, starts))
            models.append(model)
            schedules.extend(lanes)
            tasks.extend([run.task] * len(lanes))
        model = LaneMLP.concat(models)
        progress = self._progress("edges", len(schedules))
        extras = [{"start_accuracy": starts} for _, starts in meta]
        hook = self._state_hook("edges", todo, spans, extras)
        model = self._prune("edges", prune_edges, model, tasks, schedules, hook, progress)
        progress.close()
        wall = time.perf_counter() - started
        for run, (a, b), (lane_meta, starts) in zip(todo, spans, meta, strict=True):
            run.edges = model.select(range(a, b))
            run.edge_lanes = [
                _record_lane(
                    schedules[a + j], run.edges, j, pu=pu, pe=pe, start_val_accuracy=starts[j]
                )
                for j, (pu, pe) in enumerate(lane_meta)
            ]
            self._save(
                run, "edges", run.edges, run.edge_lanes, wall / len(todo),
                resumed_from_round=run.resumed.get("edges"),
                lane_groups=self.stage_groups["edges"],
            )  # fmt: skip
            if run.out is not None:
                checkpoint.remove_state(run.out, "edges")

    # -- selection --

    def _stage_selected(self, allowed: bool) -> None:
        for run in self.runs:
            loaded = self._load(run, "selected")
            if loaded is not None:
                run.result = Selection.from_json(loaded["record"]["result"])
                continue
            self._missing("selected", allowed, [run])
            run.result, model = self._select(run)
            if self.data.digit_groups:
                run.result = self._both_measures(model, run, run.result)
            record = run.result.to_json()
            self._save(run, "selected", model, [record], 0.0, result=record)

    def _both_measures(self, model: LaneMLP, run: _Run, result: Selection) -> Selection:
        """The selected network's validation accuracy per output bit and per digit (MNIST)."""
        with torch.no_grad():
            ev = evaluate(model.to(self.device), self._lane_data([run.task]))
        return dataclasses.replace(
            result,
            val_accuracy_per_bit=float(ev.per_bit[0]),
            val_accuracy_per_digit=float(ev.per_digit[0]),
        )

    def _select(self, run: _Run) -> tuple[Selection, LaneMLP]:
        threshold = self.exp.pruning.accuracy_threshold
        reached = run.dense_accuracy >= threshold
        result = Selection(
            graph=run.trial.graph,
            seed=run.trial.seed,
            mode=self.exp.search.mode,
            arch=arch_name(self.widths),
            accuracy_measure=self.exp.pruning.accuracy_measure,
            dense_val_accuracy=run.dense_accuracy,
            dense_reached_threshold=reached,
            pruned=False,
            chosen=None,
            density=1.0,
            val_accuracy=run.dense_accuracy,
            meets_threshold=reached,
        )
        if not run.trainable or not run.edge_lanes:
            return result, run.dense
        index = select_lane(run.edge_lanes, threshold)
        lane = run.edge_lanes[index]
        accuracy = lane["val_accuracy"]
        result = dataclasses.replace(
            result,
            pruned=True,
            chosen={"pu": lane["pu"], "pe": lane["pe"]},
            density=lane["final_density"],
            kept_weights=lane["kept_weights"],
            val_accuracy=accuracy,
            meets_threshold=accuracy is not None and accuracy >= threshold,
        )
        return result, run.edges.select([index])


def select_lane(lanes: Sequence[dict[str, Any]], threshold: float) -> int:
    """Index of the lowest-density lane among those at or above the threshold (all lanes if none
    are), scanning Pe from high to low (outer) and Pu from high to low (inner), first minimum kept:
    ties go to the larger Pe, then the larger Pu."""
    order = sorted(range(len(lanes)), key=lambda i: (-lanes[i]["pe"], -lanes[i]["pu"]))
    good = [
        i for i in order if lanes[i]["val_accuracy"] is not None
        and lanes[i]["val_accuracy"] >= threshold
    ]  # fmt: skip
    best = None
    for i in good or order:
        if best is None or lanes[i]["kept_weights"] < lanes[best]["kept_weights"]:
            best = i
    return best
