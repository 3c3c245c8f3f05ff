# Shared by all stages. The study expanded from the config, and the path names of every stage
# (all taken from neural_sculpting.study.paths, the one module that names paths).
import re
import shlex
import sys
from pathlib import Path

from snakemake.settings.types import DeploymentMethod

from neural_sculpting.study import paths
from neural_sculpting.study.config import ConfigError, load_study

try:
    STUDY = load_study(config)
except ConfigError as error:
    # One line naming the key, before any job runs.
    sys.stderr.write(f"{error}\n")
    sys.exit(2)

BOOLEAN = [e for e in STUDY.values() if e.task == "boolean"]
MNIST = [e for e in STUDY.values() if e.task != "boolean"]
# Jobs run the library from this checkout: with the Python that runs Snakemake, or with the conda
# environment's Python under `--sdm conda`.
USE_CONDA = DeploymentMethod.CONDA in workflow.deployment_settings.deployment_method
PYTHON = "python" if USE_CONDA else shlex.quote(sys.executable)
SCULPT = f"PYTHONPATH={shlex.quote(workflow.basedir)} {PYTHON} -m neural_sculpting.cli"
CPU_ENV = "../../envs/cpu.yaml"
GPU_ENV = "../../envs/cuda.yaml"
# MNIST task names start with mnist_ (config/tasks/); every other task is a function graph.
MNIST_GRAPH = r"mnist_[a-z0-9_]+"
BOOLEAN_GRAPH = r"(?!mnist_)[a-z0-9_]+"


# A trial folder is results/trials/<graph>/<arch>/<training>/<search>/s<seed> (Trial.key).
TRIAL_PATTERN = "{graph}/{arch}/{train}/{search}/s{seed}"
TRIALS = {
    trial.key: trial for experiment in STUDY.values() for trial in experiment.trials
}
DETECTING_MODES = ("grid", "paper")


# Which experiments (by their names in config/config.yaml) feed each figure of the paper.
FIGURE_EXPERIMENTS = {
    "fig7": ["validation"],
    "fig8": ["reuse_sweep"],
    "fig10": ["input_overlap"],
    "fig12a": ["hierarchy"],
    "fig12b": ["hierarchy"],
    "fig13b": ["mnist_hierarchical"],
}
# The appendix drawings of the MNIST networks (Figs. 32-33): one per depth of the experiment.
DRAWING_FIGURES = {"fig32": "mnist_two_digits", "fig33": "mnist_hierarchical"}
SUCCESS_FIGURES = tuple(FIGURE_EXPERIMENTS)
# The structural tests (Secs. 2-3, App. G) read networks of these experiments: dense, edge-only
# and unit-edge-pruned (grid) trials of the input-separable and reused tasks.
STRUCTURAL_EXPERIMENTS = {
    "table1": [
        "structural_dense_input_separable",
        "structural_edge_only_input_separable",
        "validation",
    ],
    "fig1b": ["structural_dense_input_separable"],
    "fig2b": ["structural_dense_reused"],
    "fig3a": ["structural_edge_only_input_separable"],
    "fig3b": ["structural_edge_only_reused"],
    "fig4a": ["validation"],
    "fig4b": ["validation", "reused_widths"],
    "fig35": ["structural_edge_only_input_separable"],
    "fig36": ["validation"],
}
# The task each structural target studies (Sec. 2.1: input separability; Sec. 2.2: reuse).
STRUCTURAL_GRAPH = {
    target: "reused" if target in ("fig2b", "fig3b", "fig4b") else "input_separable"
    for target in STRUCTURAL_EXPERIMENTS
}


def figure_inputs(target):
    missing = [e for e in FIGURE_EXPERIMENTS[target] if e not in STUDY]
    if missing:
        raise ValueError(
            f"{target} needs experiment {missing[0]!r}, which the config does not define"
        )
    return [str(paths.trials_csv(e)) for e in FIGURE_EXPERIMENTS[target]]


def structural_inputs(target):
    """selected.json of the target's task's trials in the experiments it reads."""
    missing = [e for e in STRUCTURAL_EXPERIMENTS[target] if e not in STUDY]
    if missing:
        raise ValueError(
            f"{target} needs experiment {missing[0]!r}, which the config does not define"
        )
    trials = {
        t.key: t
        for e in STRUCTURAL_EXPERIMENTS[target]
        for t in STUDY[e].trials
        if t.graph == STRUCTURAL_GRAPH[target]
    }
    return [str(paths.selected_json(key)) for key in trials]


def structural_seed(target):
    """Seed 1, as the authors' figures, where the experiments have it; else their lowest seed."""
    seeds = {
        t.seed
        for e in STRUCTURAL_EXPERIMENTS[target]
        if e in STUDY
        for t in STUDY[e].trials
    }
    return 1 if 1 in seeds or not seeds else min(seeds)


def available_figures(experiments):
    """The paper figures whose experiments (and, for the structural ones, task) the config has."""
    names = {e.name for e in experiments}
    targets = [t for t, needed in FIGURE_EXPERIMENTS.items() if set(needed) <= names]
    for target, needed in STRUCTURAL_EXPERIMENTS.items():
        if set(needed) <= names and structural_inputs(target):
            targets.append(target)
    return [str(paths.figure(target, "png")) for target in targets]


def log_path(*parts):
    return str(paths.log_file(*parts))


def benchmark_path(*parts):
    return str(paths.benchmark_file(*parts))


def trial_of(wildcards):
    key = TRIAL_PATTERN.format(**wildcards)
    if key not in TRIALS:
        raise ValueError(f"no trial of the config has the folder {key}")
    return TRIALS[key]


# The composite MNIST datasets of the study, by path (mnist_data rule), and where the MNIST files
# for each are (the first experiment naming a dataset gives it).
DATASETS = {}
for _trial in TRIALS.values():
    if _trial.dataset is not None:
        DATASETS.setdefault(str(_trial.dataset.path), _trial.dataset)


def mnist_root_of(dataset_path):
    if dataset_path not in DATASETS:
        raise ValueError(f"no experiment of the config uses the dataset {dataset_path}")
    return DATASETS[dataset_path].root


def search_inputs(wildcards):
    """What a trial learns from: its function graph, or its composite MNIST dataset."""
    trial = trial_of(wildcards)
    if trial.dataset is not None:
        return [str(trial.dataset.path)]
    return [str(paths.graphs_dir() / f"{trial.graph}.yaml")]


def search_args(trial):
    """The `sculpt search` options of a trial (every value validated by the config schema)."""
    t, s = trial.train, trial.search
    if trial.dataset is not None:
        task = ["--mnist", str(trial.dataset.path),
                "--accuracy-measure", trial.pruning.accuracy_measure]  # fmt: skip
    else:
        task = ["--graph", trial.graph]
    args = [
        *task,
        "--arch", "-".join(map(str, trial.hidden)),
        "--seed", str(trial.seed),
        "--lr", repr(t.lr),
        "--batch-size", str(t.batch_size),
        "--epochs", str(t.epochs),
        "--mode", s.mode,
        "--accuracy-threshold", repr(trial.pruning.accuracy_threshold),
    ]  # fmt: skip
    if s.mode in DETECTING_MODES:
        args += ["--pu", *map(repr, s.pu_values), "--pe", *map(repr, s.pe_values)]
    elif s.mode == "edge_only":
        args += ["--pe", *map(repr, s.edge_only_pe)]
    if not trial.pruning.require_trainable_dense:
        args.append("--allow-untrainable")
    return " ".join(shlex.quote(a) for a in args)


def analysis_of(trial):
    d = trial.detection
    return paths.analysis_name(d.modularity_threshold, d.merge_threshold)


def detection_args(analysis):
    match = re.fullmatch(r"detect_mm(-?[0-9.e+-]+)_merge([0-9.e+-]+)", analysis)
    if match is None:
        raise ValueError(f"not an analysis folder name: {analysis}")
    return f"--modularity-threshold {float(match[1])!r} --merge-threshold {float(match[2])!r}"


def experiment_trial_files(name):
    """What an experiment's table is built from: every trial's selected.json, and for the modes
    that detect modules, the trial's score.json."""
    files = []
    for trial in STUDY[name].trials:
        files.append(str(paths.selected_json(trial.key)))
        if trial.search.mode in DETECTING_MODES:
            files.append(str(paths.score_json(trial.key, analysis_of(trial))))
    return files


def graph_targets(experiments):
    graphs = sorted({g for e in experiments for g in e.graphs})
    return (
        [str(paths.truth_table_csv(g)) for g in graphs]
        + [str(paths.structure_json(g)) for g in graphs]
        + [str(paths.function_graph_drawing(g, "png")) for g in graphs]
        + [str(paths.function_graph_drawing(g, "svg")) for g in graphs]
    )


def experiment_targets(experiments):
    targets = []
    for experiment in experiments:
        targets.append(str(paths.trials_csv(experiment.name)))
        if any(t.search.mode in DETECTING_MODES for t in experiment.trials):
            targets.append(str(paths.experiment_figure(experiment.name, "png")))
    return targets


def drawing_targets(experiments):
    targets = []
    for experiment in experiments:
        cells = {
            (t.graph, t.depth)
            for t in experiment.trials
            if t.search.mode in DETECTING_MODES
        }
        targets += [
            str(paths.drawing_cell(experiment.name, g, d)) for g, d in sorted(cells)
        ]
    return targets


def mnist_targets():
    return (
        sorted(DATASETS)
        + experiment_targets(MNIST)
        + drawing_targets(MNIST)
        + available_figures(MNIST)
    )


def drawing_figure_inputs(target):
    """The drawings behind Fig. 32 or 33: every depth of the MNIST experiment named after the
    task."""
    name = DRAWING_FIGURES[target]
    if name not in STUDY:
        raise ValueError(
            f"{target} needs experiment {name!r}, which the config does not define"
        )
    return drawing_targets([STUDY[name]])


def boolean_targets():
    return (
        graph_targets(BOOLEAN)
        + experiment_targets(BOOLEAN)
        + drawing_targets(BOOLEAN)
        + available_figures(BOOLEAN)
    )


def all_targets():
    experiments = list(STUDY.values())
    return (
        graph_targets(BOOLEAN)
        + sorted(DATASETS)
        + experiment_targets(experiments)
        + drawing_targets(experiments)
        + available_figures(experiments)
    )
