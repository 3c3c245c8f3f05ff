"""The (Pu, Pe) search of one or several trials, batched, with stage files and selection.

Modes (per experiment):
- `grid`: dense training, unit pruning for every Pu, then for every Pu its unit-pruned network
  retrained once and edge-pruned for every Pe; the trial's network is the lowest-density one
  (`selection.py`).
- `paper`: the same with the single (Pu, Pe) the authors picked for the trial (paper_hparams.csv,
  first row where it lists two), or the values given.
- `edge_only`: edge pruning of the dense network for every Pe (by default 5.0 ... 0.5), lowest
  density.
- `dense`: training only.

A trial is (graph, seed); all trials of one call share architecture and settings, and all their
lanes of a stage train in one batch, each lane with its own data and its own random numbers:
  init (seed, "init"); dense epoch e (seed, "dense", e); unit round r (seed, pu, r, e);
  edge start (seed, pu, "edge-start", e); edge round (seed, pu, pe, r, e);
  edge-only round (seed, "edge-only", pe, r, e).
Lanes that do not fit the memory budget together run in consecutive groups (`lane_groups.py`);
lanes are independent, so the result is bitwise that of one batch. Each stage's files record what
made them (`stage_records.py`) and are reused only when that matches.
"""

from __future__ import annotations

import dataclasses
import time
from collections.abc import Callable, Sequence
from typing import Any

import torch

from neural_sculpting.engine.data import LaneData, TaskData, graph_data
from neural_sculpting.engine.device import default_memory_budget
from neural_sculpting.engine.imported import taken_in
from neural_sculpting.engine.lane_groups import lane_groups, prune_in_groups, train_in_groups
from neural_sculpting.engine.lanes import LaneMLP, arch_name
from neural_sculpting.engine.progress import Progress, ProgressBar
from neural_sculpting.engine.pruning.edges import edge_schedules, prune_edges
from neural_sculpting.engine.pruning.schedule import LaneSchedule
from neural_sculpting.engine.pruning.units import prune_units, unit_schedules
from neural_sculpting.engine.selection import select
from neural_sculpting.engine.settings import SearchSettings, SearchTrial
from neural_sculpting.engine.stage_records import (
    lane_record,
    lane_summaries,
    search_values,
    stage_configs,
    task_sha256,
)
from neural_sculpting.engine.training import Evaluation, evaluate
from neural_sculpting.engine.trial_run import (
    StageClock,
    StagePart,
    TrialRun,
    progress_reporter,
    selected_arrays,
    state_saver,
)
from neural_sculpting.foundations import atomic, paths
from neural_sculpting.foundations.errors import SculptError
from neural_sculpting.store import arrays, checkpoint
from neural_sculpting.store.records import Selection
from neural_sculpting.study.defaults import STATE_EVERY_S

STAGE_ORDER = ("dense", "units", "edges", "selected")


class SearchError(SculptError):
    """A search request that cannot run (missing stage files, unknown paper trial, device)."""


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
        state_every_s: float = STATE_EVERY_S,
        memory_budget_bytes: float | None = None,
        progress_bar: bool = False,
    ) -> None:
        if not trials:
            raise SearchError("no trial given")
        self.exp = exp
        self.device = torch.device(device)
        self.show_progress = show_progress
        self.progress_bar = progress_bar  # a tqdm bar (the API) instead of log lines (the CLI)
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
        # A dataset file's content defines its task; a task file's, the others'.
        own = dict(zip(self.data.names, self.data.sha256, strict=True)) if self.data.sha256 else {}
        digests = {name: own.get(name) or task_sha256(name) for name in names}
        for trial in trials:
            pu, pe = search_values(exp, trial)
            configs = stage_configs(exp, trial, widths, pu, pe, digests[trial.graph])
            self.runs.append(TrialRun(trial, index[trial.graph], widths, pu, pe, configs))
        self.stage_seconds: dict[str, float] = {}

    # -- helpers --

    def _lane_data(self, tasks: list[int]) -> LaneData:
        return LaneData(self.data, tasks, self.device, self.exp.pruning.accuracy_measure)

    def _groups(self, stage: str, n_lanes: int) -> list[list[int]]:
        """The stage's lanes in groups that fit the memory budget (`lane_groups.py`)."""
        if self.memory_budget_bytes is None:
            self.memory_budget_bytes = default_memory_budget(self.device)
        hp = self.exp.training
        groups = lane_groups(self.memory_budget_bytes, self.widths, hp.batch_size, n_lanes)
        self.stage_groups[stage] = len(groups)
        return groups

    def _train(self, stage: str, model: LaneMLP, tasks: list[int], keys: list) -> Evaluation:
        groups = self._groups(stage, len(tasks))
        return train_in_groups(model, self._lane_data(tasks), self.exp.training, keys, groups)

    def _prune(self, stage, prune, model, tasks, thresholds, schedules, hook, progress) -> LaneMLP:
        groups = self._groups(stage, len(tasks))
        return prune_in_groups(
            prune, model, self._lane_data(tasks), self.exp.training, thresholds, schedules,
            groups, hook, progress_reporter(progress),
        )  # fmt: skip

    def _progress(self, stage: str, lanes: int) -> Progress | ProgressBar:
        if self.progress_bar:
            return ProgressBar(stage, lanes, enabled=self.show_progress)
        return Progress(stage, lanes, enabled=self.show_progress)

    def _load(self, run: TrialRun, stage: str) -> dict[str, Any] | None:
        if run.out is None:
            return None
        return checkpoint.load_stage(run.out, stage, run.configs[stage])

    def _save(
        self, run: TrialRun, stage: str, model: LaneMLP, lanes, spent: tuple[float, float], **extra
    ) -> None:
        """Write a stage's files; `spent` is the (wall, CPU) seconds of the stage's share."""
        if run.out is None:
            return
        record = {
            "provenance": checkpoint.provenance(self.device),
            "wall_s": spent[0],
            "cpu_s": spent[1],
            "accuracy_measure": self.exp.pruning.accuracy_measure,
            **extra,
            "lanes": lanes,
        }
        checkpoint.save_stage(
            run.out, stage, run.configs[stage], model.state(), lane_summaries(lanes), record
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
        runs: Sequence[TrialRun],
        allowed: bool,
        restore: Callable[[TrialRun, dict[str, Any]], None],
    ) -> list[TrialRun]:
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

    def _missing(self, stage: str, allowed: bool, todo: list[TrialRun]) -> None:
        if todo and not allowed:
            where = todo[0].out or "memory"
            raise SearchError(
                f"stage {stage!r} has no valid files in {where}; run the earlier stage first"
            )

    # -- dense --

    def _stage_dense(self, allowed: bool) -> None:
        def restore(run: TrialRun, loaded: dict[str, Any]) -> None:
            run.dense = LaneMLP.from_state(loaded["model"], self.device)
            run.dense_accuracy = loaded["lanes"][0]["val_accuracy"]

        todo = self._reuse("dense", self.runs, allowed, restore)
        imported = [r for r in todo if r.trial.imported is not None]
        if imported:
            self._take_in(imported)
        todo = [r for r in todo if r.trial.imported is None]
        if todo:
            clock = StageClock()
            keys = [(r.trial.seed, "init") for r in todo]
            model = LaneMLP.initialise(self.widths, keys, self.device)
            ev = self._train(
                "dense", model, [r.task for r in todo], [(r.trial.seed, "dense") for r in todo]
            )
            spent = clock.spent(len(todo))
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
                    "wall_s": spent[0],
                }
                self._save(run, "dense", run.dense, [lane], spent)
        for run in self.runs:
            run.threshold = self.exp.pruning.threshold_for(run.dense_accuracy)
            reached = run.dense_accuracy >= run.threshold
            run.trainable = reached or not self.exp.pruning.require_trainable_dense

    def _take_in(self, runs: list[TrialRun]) -> None:
        """Imported networks as the dense stage: evaluated on the validation data, not trained."""
        for run in runs:
            clock = StageClock()
            model, lane = taken_in(run.trial.imported, self.widths, self._lane_data([run.task]))
            run.dense, run.dense_accuracy = model, lane["val_accuracy"]
            spent = clock.spent()
            self._save(run, "dense", model, [lane | {"wall_s": spent[0]}], spent)

    # -- units --

    def _stage_units(self, allowed: bool) -> None:
        def restore(run: TrialRun, loaded: dict[str, Any]) -> None:
            run.units = LaneMLP.from_state(loaded["model"], self.device)
            run.unit_lanes = loaded["record"]["lanes"]

        runs = [run for run in self.runs if run.trainable and run.pu]
        todo = self._reuse("units", runs, allowed, restore)
        if not todo:
            return
        clock = StageClock()
        states = self._pruning_states("units", todo)
        parts = []
        for i, run in enumerate(todo):
            if i in states:
                parts.append(states[i])
                continue
            model = run.dense.repeat_lanes(len(run.pu))
            lanes = unit_schedules(
                [(run.trial.seed, pu) for pu in run.pu],
                run.pu,
                model.n_hidden_units,
                [run.dense_accuracy] * len(run.pu),
            )
            parts.append(StagePart(model, lanes))
        pruned = self._prune_parts("units", prune_units, todo, parts)
        for run, part in zip(todo, pruned, strict=True):
            run.units = part.model
            run.unit_lanes = [
                lane_record(part.lanes[j], part.model, j, pu=pu) for j, pu in enumerate(run.pu)
            ]
        self._save_pruned("units", todo, clock, [(run.units, run.unit_lanes) for run in todo])

    def _pruning_states(self, stage: str, todo: list[TrialRun]) -> dict[int, StagePart]:
        """The saved pruning states of the trials a killed run left mid-stage, by position."""
        states = {}
        for i, run in enumerate(todo):
            if run.out is None:
                continue
            state = checkpoint.load_state(run.out, stage, run.configs[stage])
            if state is not None:
                lanes = [LaneSchedule.from_dict(d) for d in state["schedules"]]
                run.resumed[stage] = max(lane.rounds for lane in lanes)
                extra = {k: v for k, v in state.items() if k not in ("model", "schedules")}
                states[i] = StagePart(LaneMLP.from_state(state["model"], self.device), lanes, extra)
        return states

    def _prune_parts(
        self, stage: str, prune, todo: list[TrialRun], parts: list[StagePart]
    ) -> list[StagePart]:
        """Every trial's lanes of a pruning stage as one batch (Algorithm 1 or 2 by `prune`);
        returns each trial's part with its pruned networks and finished schedules."""
        spans, schedules, tasks = [], [], []
        for run, part in zip(todo, parts, strict=True):
            spans.append((len(schedules), len(schedules) + len(part.lanes)))
            schedules.extend(part.lanes)
            tasks.extend([run.task] * len(part.lanes))
        model = LaneMLP.concat([part.model for part in parts])
        progress = self._progress(stage, len(schedules))
        hook = state_saver(stage, todo, spans, [part.extra for part in parts], self.state_every_s)
        limits = self._thresholds(todo, spans)
        model = self._prune(stage, prune, model, tasks, limits, schedules, hook, progress)
        progress.close()
        return [
            StagePart(model.select(range(a, b)), schedules[a:b], part.extra)
            for part, (a, b) in zip(parts, spans, strict=True)
        ]

    def _save_pruned(self, stage: str, todo: list[TrialRun], clock: StageClock, results) -> None:
        """Write each trial's pruned networks and lane records; drop its pruning state."""
        spent = clock.spent(len(todo))
        for run, (model, lanes) in zip(todo, results, strict=True):
            self._save(
                run, stage, model, lanes, spent,
                resumed_from_round=run.resumed.get(stage),
                lane_groups=self.stage_groups[stage],
            )  # fmt: skip
            if run.out is not None:
                checkpoint.remove_state(run.out, stage)

    @staticmethod
    def _thresholds(todo: list[TrialRun], spans: list[tuple[int, int]]) -> list[float]:
        """Each lane's threshold: its trial's (one A_v per trial under the dense rule)."""
        return [run.threshold for run, (a, b) in zip(todo, spans, strict=True) for _ in range(a, b)]

    # -- edges --

    def _stage_edges(self, allowed: bool) -> None:
        def restore(run: TrialRun, loaded: dict[str, Any]) -> None:
            run.edges = LaneMLP.from_state(loaded["model"], self.device)
            run.edge_lanes = loaded["record"]["lanes"]

        runs = [run for run in self.runs if run.trainable and run.pe]
        todo = self._reuse("edges", runs, allowed, restore)
        if not todo:
            return
        clock = StageClock()
        states = self._pruning_states("edges", todo)
        # The start of edge pruning: the unit-pruned network retrained once (shared by its Pe
        # lanes), or in edge_only mode the dense network as it is.
        start_acc: dict[int, list[float]] = {}
        retrain = [i for i in range(len(todo)) if i not in states and todo[i].pu]
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
        parts = []
        for i, run in enumerate(todo):
            if i in states:
                parts.append(states[i])
                continue
            lane_meta = [(pu, pe) for pu in (run.pu or (0.0,)) for pe in run.pe]
            if run.pu:
                base, accs = run.edge_start, start_acc[i]
                keys = [(run.trial.seed, pu, pe) for pu, pe in lane_meta]
            else:
                base, accs = run.dense, [run.dense_accuracy]
                keys = [(run.trial.seed, "edge-only", pe) for _, pe in lane_meta]
            model = base.repeat_lanes(len(run.pe))
            starts = [a for a in accs for _ in run.pe]
            lanes = edge_schedules(
                keys, [pe for _, pe in lane_meta], model, starts, self.exp.pruning.edge_min_step
            )
            parts.append(StagePart(model, lanes, {"start_accuracy": starts}))
        pruned = self._prune_parts("edges", prune_edges, todo, parts)
        for run, part in zip(todo, pruned, strict=True):
            lane_meta = [(pu, pe) for pu in (run.pu or (0.0,)) for pe in run.pe]
            starts = part.extra["start_accuracy"]
            run.edges = part.model
            run.edge_lanes = [
                lane_record(
                    part.lanes[j], part.model, j, pu=pu, pe=pe, start_val_accuracy=starts[j]
                )
                for j, (pu, pe) in enumerate(lane_meta)
            ]
        self._save_pruned("edges", todo, clock, [(run.edges, run.edge_lanes) for run in todo])

    # -- selection --

    def _stage_selected(self, allowed: bool) -> None:
        for run in self.runs:
            loaded = self._load(run, "selected")
            if loaded is not None and self._arrays_match(run, loaded["record"]):
                run.result = Selection.from_json(loaded["record"]["result"])
                continue
            self._missing("selected", allowed, [run])
            run.result, model = self._select(run)
            if self.data.digit_groups:
                run.result = self._both_measures(model, run, run.result)
            record = run.result.to_json()
            digest = (
                None
                if run.out is None
                else arrays.save_selected(run.out, selected_arrays(run, model))
            )
            self._save(
                run, "selected", model, [record], (0.0, 0.0), result=record, npz_sha256=digest
            )

    def _arrays_match(self, run: TrialRun, record: dict[str, Any]) -> bool:
        """Whether the selection's `selected.npz` (the analysis reads it) is there and its own:
        files written before it existed are completed by selecting again."""
        path = paths.selected_npz_file(run.out)
        return path.is_file() and record.get("npz_sha256") == atomic.file_sha256(path)

    def _both_measures(self, model: LaneMLP, run: TrialRun, result: Selection) -> Selection:
        """The selected network's validation accuracy per output bit and per digit (MNIST)."""
        with torch.no_grad():
            ev = evaluate(model.to(self.device), self._lane_data([run.task]))
        return dataclasses.replace(
            result,
            val_accuracy_per_bit=float(ev.per_bit[0]),
            val_accuracy_per_digit=float(ev.per_digit[0]),
        )

    def _select(self, run: TrialRun) -> tuple[Selection, LaneMLP]:
        result, index = select(
            run.trial.graph, run.trial.seed, self.exp.search.mode.value, arch_name(self.widths),
            self.exp.pruning, run.dense_accuracy, run.edge_lanes if run.trainable else [],
            threshold=run.threshold,
        )  # fmt: skip
        return result, run.dense if index is None else run.edges.select([index])
