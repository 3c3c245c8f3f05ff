"""What the Snakemake workflow computes from its config, as plain Python that tests can call.

`Plan.from_config` validates the config and expands the study once, when Snakemake builds its DAG;
the rules (`workflow/rules/*.smk`) only ask the plan for a job's inputs and its trial, and the
targets for each top-level rule. Every file name comes from `foundations.paths`, every figure from
`study.catalogue`. Jobs receive their trials as JSON (`trials_to_json`), so no job re-expands the
study.

Boolean and dataset-file trials run by `Cell`: the trials that differ only by seed are searched
together (their lanes in one batch), and a `Job` runs a few cells (`cells_per_job`), one after
another: one search job, and one detection job per analysis. Each trial keeps its own folder and
files, and each of its files stays a target; a job recomputes only what is missing, since the
search reuses every stage file that matches (a sibling's networks are loaded, not retrained).

The jobs (`cells.py`) and the target lists the rules share (`targets.py`) have modules of their
own; the names the rules use are imported here.
"""

from __future__ import annotations

import shlex
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any

from neural_sculpting.foundations import paths
from neural_sculpting.study import catalogue
from neural_sculpting.study.defaults import TaskKind
from neural_sculpting.study.experiments import load_study
from neural_sculpting.study.trial import DatasetSpec, Experiment, Trial
from neural_sculpting.tasks.catalog import task_path
from neural_sculpting.workflow.cells import Cell, Job, PlanError, RunSettings, cell_key, jobs_of
from neural_sculpting.workflow.targets import (
    drawing_targets,
    experiment_targets,
    graph_targets,
    trial_dir_of,
)

__all__ = ["Cell", "Job", "Plan", "PlanError", "RunSettings", "drawing_targets", "trial_dir_of"]


class Plan:
    """The study of one config, with the targets and job inputs the workflow needs."""

    def __init__(self, study: Mapping[str, Experiment], run: RunSettings) -> None:
        self.study = dict(study)
        self.run = run
        self.trials: dict[str, Trial] = {
            t.key: t for experiment in self.study.values() for t in experiment.trials
        }
        # The composite MNIST datasets by path; the first experiment naming one gives its root.
        self.datasets: dict[str, DatasetSpec] = {}
        for trial in self.trials.values():
            if trial.dataset is not None:
                self.datasets.setdefault(str(trial.dataset.path), trial.dataset)

    @classmethod
    def from_config(cls, config: Mapping[str, Any]) -> Plan:
        """Validate and expand a config (raises `experiments.ConfigError` in one line)."""
        study = load_study(config)
        defaults = RunSettings()
        run = RunSettings(
            device=config.get("device", defaults.device),
            threads=config.get("threads", defaults.threads),
            state_every=config.get("state_every", defaults.state_every),
            cells_per_job=config.get("cells_per_job", defaults.cells_per_job),
        )
        return cls(study, run)

    @property
    def boolean(self) -> list[Experiment]:
        return [e for e in self.study.values() if e.task == TaskKind.BOOLEAN]

    @property
    def mnist(self) -> list[Experiment]:
        return [e for e in self.study.values() if e.is_mnist]

    @property
    def dataset_experiments(self) -> list[Experiment]:
        """The experiments on dataset files (`task: dataset`)."""
        return [e for e in self.study.values() if e.is_dataset]

    def built_datasets(self) -> dict[str, int]:
        """The dataset files the workflow builds (scikit-learn's digits composites), by path,
        with their composites per digit pair."""
        built = {}
        for trial in self.trials.values():
            if trial.data_file is not None:
                n = paths.built_dataset(trial.data_file.path)
                if n is not None:
                    built[trial.data_file.path] = n
        return built

    # --- jobs -----------------------------------------------------------------------------------

    def search_cells(self) -> list[Cell]:
        """The Boolean and dataset-file trials by cell: one search job each (MNIST trials, dozens
        of 1568-input networks apiece, keep a job per trial)."""
        cells: dict[str, list[Trial]] = {}
        for trial in self.trials.values():
            if trial.dataset is None:
                cells.setdefault(cell_key(trial), []).append(trial)
        return [Cell(key, tuple(sorted(ts, key=lambda t: t.seed))) for key, ts in cells.items()]

    def detect_cells(self) -> list[Cell]:
        """The trials that detect modules, by cell and analysis: one detection job each."""
        # Experiments sharing a trial may detect with other thresholds: one analysis each.
        cells: dict[tuple[str, str], dict[str, Trial]] = {}
        for experiment in self.study.values():
            for trial in experiment.trials:
                if trial.detects:
                    cell = cells.setdefault((cell_key(trial), trial.analysis), {})
                    cell[trial.key] = trial
        return [
            Cell(key, tuple(sorted(ts.values(), key=lambda t: t.seed)), analysis)
            for (key, analysis), ts in cells.items()
        ]

    def search_jobs(self) -> list[Job]:
        """`search_cells` in jobs (`_jobs`)."""
        return self._jobs(self.search_cells())

    def detect_jobs(self) -> list[Job]:
        """`detect_cells` in jobs (`_jobs`), each of one analysis."""
        return self._jobs(self.detect_cells())

    def _jobs(self, cells: list[Cell]) -> list[Job]:
        """`cells_per_job` Boolean cells to a job, in order, among the cells of one experiment
        and analysis, so that a target never runs another experiment's cells; a cell of a
        dataset file or of MNIST (minutes to an hour a trial) is a job of its own."""
        experiment_of: dict[str, str] = {}
        for name, experiment in self.study.items():
            for trial in experiment.trials:
                experiment_of.setdefault(trial.key, name)
        groups: dict[tuple[str, str | None, bool], list[Cell]] = {}
        for cell in cells:
            first = cell.trials[0]
            alone = first.data_file is not None or first.dataset is not None
            group = cell.key if alone else experiment_of[first.key]
            groups.setdefault((group, cell.analysis, alone), []).append(cell)
        return [
            job
            for (_, _, alone), members in groups.items()
            for job in jobs_of(members, 1 if alone else self.run.cells_per_job)
        ]

    def job_inputs(self, job: Job) -> list[str]:
        """Its cells' inputs (`cell_inputs`), each once."""
        return list(dict.fromkeys(path for cell in job.cells for path in self.cell_inputs(cell)))

    def cell_inputs(self, cell: Cell) -> list[str]:
        """What a cell's search learns from (its function graph), or what its detection reads
        (the selections and the task's file, which holds the structure it is scored against)."""
        first = cell.trials[0]
        if cell.analysis is None:
            if first.data_file is not None:
                model = first.data_file.model
                return [first.data_file.path, *([model] if model is not None else [])]
            return [str(paths.graph_file(first.graph))]
        selections = [
            str(path(t.key))
            for t in cell.trials
            for path in (paths.selected_json, paths.selected_npz)
        ]
        if first.data_file is not None:
            described = first.data_file.description
            return [*selections, *([described] if described is not None else [])]
        return [*selections, str(task_path(first.graph))]

    def trial(self, wildcards: Mapping[str, str]) -> Trial:
        """The trial whose folder the job's wildcards name."""
        key = paths.TRIAL_PATTERN.format(**wildcards)
        if key not in self.trials:
            raise PlanError(f"no trial of the config has the folder {key}")
        return self.trials[key]

    def search_inputs(self, wildcards: Mapping[str, str]) -> list[str]:
        """What a trial learns from: its function graph, or its composite MNIST dataset."""
        trial = self.trial(wildcards)
        if trial.dataset is not None:
            return [str(trial.dataset.path)]
        return [str(paths.graph_file(trial.graph))]

    def graph_pattern(self, mnist: bool) -> str:
        """A wildcard constraint matching the study's task names of one kind (MNIST or not), so
        that the search rule of that kind makes their trials."""
        names = sorted({g for e in (self.mnist if mnist else self.boolean) for g in e.graphs})
        return "|".join(names) if names else "(?!)"

    def mnist_root(self, dataset_path: str) -> str:
        if dataset_path not in self.datasets:
            raise PlanError(f"no experiment of the config uses the dataset {dataset_path}")
        return self.datasets[dataset_path].root

    def table_inputs(self, experiment: str) -> list[str]:
        """What an experiment's table is built from: every trial's selected.json, and for the
        modes that detect modules, the trial's score.json."""
        files = []
        for trial in self._experiment(experiment, "its table").trials:
            files.append(str(paths.selected_json(trial.key)))
            if trial.detects:
                files.append(str(paths.score_json(trial.key, trial.analysis)))
        return files

    def experiment_pattern(self, scored: bool) -> str:
        """A wildcard constraint matching the experiments whose trials are scored (their table job
        also draws their summary figure) or those whose trials are not."""
        names = sorted(
            e.name for e in self.study.values() if any(t.scored for t in e.trials) == scored
        )
        return "|".join(names) if names else "(?!)"

    def task_options(self, experiment: str, graph: str) -> str:
        """How `sculpt draw-cell` learns a dataset task (its description, or that it has none);
        nothing for the tasks config/ names. Quoted for the shell."""
        trial = next(
            (t for t in self._experiment(experiment, "its drawings").trials if t.graph == graph),
            None,
        )
        if trial is None or trial.data_file is None:
            return ""
        if trial.data_file.description is None:
            return "--undescribed"
        return f"--description {shlex.quote(trial.data_file.description)}"

    def drawing_inputs(self, experiment: str, graph: str, depth: int) -> list[str]:
        """What a cell's drawing is chosen from: the records of the experiment's trials of that
        graph and depth (not trials.csv, so the drawing runs beside the table job)."""
        files = []
        for trial in self._experiment(experiment, "its drawings").trials:
            if trial.graph == graph and trial.depth == int(depth) and trial.detects:
                files.append(str(paths.selected_json(trial.key)))
                files.append(str(paths.score_json(trial.key, trial.analysis)))
        if not files:
            raise PlanError(f"{experiment} has no scored trial of {graph} with {depth} layers")
        return files

    # --- figures --------------------------------------------------------------------------------

    def _experiment(self, name: str, target: str) -> Experiment:
        if name not in self.study:
            raise PlanError(f"{target} needs experiment {name!r}, which the config does not define")
        return self.study[name]

    def _needed(self, target: str) -> list[Experiment]:
        figure = catalogue.figure(target)
        if figure.kind == catalogue.LR_BATCH:
            # Tables 2 and 3 show the sweeps the config has (one graph each); one is enough.
            present = [e for e in figure.experiments if e in self.study]
            if present:
                return [self.study[e] for e in present]
        return [self._experiment(e, target) for e in figure.experiments]

    def figure_inputs(self, target: str) -> list[str]:
        """A success figure's inputs: the trials tables of the experiments it reads."""
        return [str(paths.trials_csv(e.name)) for e in self._needed(target)]

    def _structural_trials(self, target: str) -> list[Trial]:
        graph = catalogue.figure(target).graph
        trials = {t.key: t for e in self._needed(target) for t in e.trials if t.graph == graph}
        return list(trials.values())

    def structural_inputs(self, target: str) -> list[str]:
        """The selections (selected.json and the selected.npz the figures read) of the target's
        task's trials in the experiments it reads."""
        return [
            str(path(t.key))
            for t in self._structural_trials(target)
            for path in (paths.selected_json, paths.selected_npz)
        ]

    def clustering_inputs(self, target: str) -> list[str]:
        """The selections of the detecting trials of the target's graphs in its experiments."""
        graphs = set(catalogue.figure(target).graphs)
        trials = {t.key: t for e in self._needed(target) for t in e.trials
                  if t.detects and t.graph in graphs}  # fmt: skip
        return [
            str(path(key)) for key in trials for path in (paths.selected_json, paths.selected_npz)
        ]

    def structural_seed(self, target: str) -> int:
        """Seed 1, as the authors' figures, where the experiments have it; else their lowest."""
        seeds = {t.seed for t in self._structural_trials(target)}
        return 1 if 1 in seeds or not seeds else min(seeds)

    def drawing_figure_inputs(self, target: str) -> list[str]:
        """The drawings behind Fig. 32 or 33: every depth of the MNIST experiment they read."""
        return drawing_targets(self._needed(target))

    def check_targets(self, words: Iterable[str]) -> None:
        """Stop, in one line, on a figure target (a word of the command line) whose experiments
        the config lacks, before Snakemake meets it as a failing input function."""
        for word in words:
            if word not in catalogue.FIGURES:
                continue
            self._needed(word)  # raises PlanError naming the target and the experiment
            if not self._has_trials(word):
                graph = catalogue.FIGURES[word].graph
                raise PlanError(f"{word} needs trials of {graph}, which its experiments lack")

    def _has_trials(self, target: str) -> bool:
        """Whether the target's experiments hold the trials it draws: for a structural figure
        its task's, for Figs. 38-40 a detecting trial of its task with 3 hidden layers of
        width 24 (`edge_cases.py`)."""
        kind = catalogue.FIGURES[target].kind
        if kind == catalogue.STRUCTURAL:
            return bool(self._structural_trials(target))
        if kind == catalogue.EDGE_CASES:
            graph = catalogue.FIGURES[target].graph
            return any(
                t.graph == graph and t.detects and t.hidden == catalogue.EDGE_CASE_HIDDEN
                for e in self._needed(target)
                for t in e.trials
            )
        return True

    def available_figures(
        self, experiments: Iterable[Experiment], appendix: bool = False
    ) -> list[str]:
        """The paper figures (the main text's, or with `appendix` the appendix's) whose
        experiments (and, for the structural ones, trials of their task) the given experiments
        hold."""
        names = {e.name for e in experiments}
        targets = []
        for name, fig in catalogue.FIGURES.items():
            if fig.kind == catalogue.DRAWING or fig.appendix != appendix:
                continue
            wanted = set(fig.experiments)
            if not (wanted & names if fig.kind == catalogue.LR_BATCH else wanted <= names):
                continue
            if not self._has_trials(name):
                continue
            targets.append(str(paths.figure(name, "png")))
        return targets

    # --- top-level targets ----------------------------------------------------------------------

    def boolean_targets(self) -> list[str]:
        appendix = catalogue.appendix_only_experiments()
        experiments = [e for e in self.boolean if e.name not in appendix]
        return (
            graph_targets(experiments)
            + experiment_targets(experiments)
            + drawing_targets(experiments)
            + self.available_figures(experiments)
        )

    def mnist_targets(self) -> list[str]:
        experiments = self.mnist
        return (
            sorted(self.datasets)
            + experiment_targets(experiments)
            + drawing_targets(experiments)
            + self.available_figures(experiments)
        )

    def dataset_targets(self) -> list[str]:
        """The dataset experiments' tables, summary figures and drawings, and the dataset files
        the workflow builds for them."""
        experiments = self.dataset_experiments
        return (
            sorted(self.built_datasets())
            + experiment_targets(experiments)
            + drawing_targets(experiments)
        )

    def reproduction_inputs(self) -> list[str]:
        """What the reproduction report judges: the CSVs of every figure the config's Boolean
        experiments allow, the appendix's too except Tables 2 and 3 (their sweeps, 1,056
        trials, are judged when a run has made them, not run for the report), and the
        validation experiment's trials table (its densities)."""
        pngs = self.available_figures(self.boolean) + self.available_figures(
            self.study.values(), appendix=True
        )
        skip = set(catalogue.names(catalogue.LR_BATCH))
        files = [str(Path(p).with_suffix(".csv")) for p in pngs if Path(p).stem not in skip]
        if "validation" in self.study:
            files.append(str(paths.trials_csv("validation")))
        return files

    def appendix_targets(self) -> list[str]:
        """The appendix's tables and figures whose experiments the config defines, and the
        trials tables of the experiments only they read (Tables 2 and 3's sweeps)."""
        appendix = catalogue.appendix_only_experiments()
        own = [e for e in self.study.values() if e.name in appendix]
        return self.available_figures(self.study.values(), appendix=True) + experiment_targets(own)

    def all_targets(self) -> list[str]:
        experiments = list(self.study.values())
        return (
            graph_targets(self.boolean)
            + sorted(self.datasets)
            + sorted(self.built_datasets())
            + experiment_targets(experiments)
            + drawing_targets(experiments)
            + self.available_figures(experiments)
            + self.appendix_targets()
        )
