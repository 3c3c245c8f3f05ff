"""Every path the project reads or writes, named in one place.

The workflow (its wildcard patterns included), the library, the CLI and the tests build file names
only through these functions, so the layout of `results/` can be read here at a glance. A function
called with wildcard strings (`selected_json(TRIAL_PATTERN)`) gives the workflow's pattern.
"""

from __future__ import annotations

import functools
import os
import re
import sys
from pathlib import Path

from neural_sculpting.foundations.errors import UsageError

_PACKAGE_DIR = Path(__file__).resolve().parent


def package_data_root() -> Path:
    """Where the paper's own files are (its task files, `config/paper_choices.csv`, the config
    schema): inside an installed wheel, package data (`neural_sculpting/_data/`, which `setup.py`
    fills); run from a checkout, the checkout."""
    packaged = _PACKAGE_DIR.parent / "_data"
    return packaged if packaged.is_dir() else _PACKAGE_DIR.parents[1]


def config_dir() -> Path:
    """The paper's `config/`: its study, its task files, the authors' choices."""
    return package_data_root() / "config"


# --- task files: the user's project first, then the paper's -----------------------------------
# A task `<name>.yaml` is looked up in SCULPT_GRAPHS_DIR (graphs only) where set, then in
# `config/graphs/` or `config/tasks/` of the working directory (Snakemake's, or the shell's for
# `sculpt`), then among the paper's tasks. A project's own file may shadow a paper task (a
# warning says so).
TASK_KINDS = ("graphs", "tasks")  # function graphs; MNIST task descriptions


def task_search_path(kind: str) -> list[Path]:
    """The folders a task file of `kind` is looked up in, first first, each once."""
    folders = []
    env = os.environ.get("SCULPT_GRAPHS_DIR")
    if env and kind == "graphs":
        folders.append(Path(env))
    folders += [Path("config") / kind, config_dir() / kind]
    unique: dict[Path, Path] = {}
    for folder in folders:
        unique.setdefault(folder.resolve(), folder)
    return list(unique.values())


def searched(kind: str) -> str:
    """The folders of `task_search_path`, for a "not found" message."""
    return ", ".join(f"{folder}/" for folder in task_search_path(kind))


def find_task_file(name: str, kind: str) -> Path | None:
    """The first `<name>.yaml` of the search path, or None."""
    for folder in task_search_path(kind):
        path = folder / f"{name}.yaml"
        if path.is_file():
            _warn_if_shadowing(path, config_dir() / kind / f"{name}.yaml")
            return path
    return None


@functools.cache
def _warn_if_shadowing(found: Path, paper: Path) -> None:
    if paper.is_file() and found.resolve() != paper.resolve():
        print(f"warning: {found} shadows the paper's task {paper.stem} ({paper})", file=sys.stderr)


def task_names(kind: str) -> list[str]:
    """Every task name of `kind` on the search path, sorted."""
    return sorted({p.stem for folder in task_search_path(kind) for p in folder.glob("*.yaml")})


def graph_file(graph: str) -> Path:
    """A function graph's file: the first on the search path (where it would be written when
    none exists yet: the project's `config/graphs/`)."""
    return find_task_file(graph, "graphs") or task_search_path("graphs")[0] / f"{graph}.yaml"


def paper_choices_csv() -> Path:
    """The (Pu, Pe) the authors picked per trial (`mode: paper`)."""
    return config_dir() / "paper_choices.csv"


def appendix_epochs_csv() -> Path:
    """The epochs chosen per (graph, depth, lr, batch size) of Tables 2 and 3
    (`scripts/appendix_epochs.py`)."""
    return config_dir() / "appendix_epochs.csv"


def config_schema() -> Path:
    return package_data_root() / "workflow" / "schemas" / "config.schema.yaml"


def results_dir() -> Path:
    return Path(os.environ.get("SCULPT_RESULTS_DIR", "results"))


# --- results/graphs/<graph>/: derived from the graph file alone -------------------------------


def graph_results_dir(graph: str, root: Path | None = None) -> Path:
    return (root or results_dir()) / "graphs" / graph


def truth_table_csv(graph: str, root: Path | None = None) -> Path:
    return graph_results_dir(graph, root) / "truth_table.csv"


def structure_json(graph: str, root: Path | None = None) -> Path:
    return graph_results_dir(graph, root) / "structure.json"


def function_graph_drawing(graph: str, suffix: str = "png", root: Path | None = None) -> Path:
    return graph_results_dir(graph, root) / f"function_graph.{suffix}"


# --- results/data/: cached datasets ---------------------------------------------------------------


def mnist_dataset(
    dataset: str, split: str, composites_per_pair: int | str, root: Path | None = None
) -> Path:
    """A composite MNIST dataset (`sculpt mnist-data`), named by what defines it."""
    return (root or results_dir()) / "data" / f"mnist_{dataset}_{split}_c{composites_per_pair}.npz"


# The dataset files the workflow builds itself (`sculpt digits-data`); any other dataset file an
# experiment names is the researcher's own.
DIGITS_TASK = "digits_two_digits"


def digits_dataset(composites_per_pair: int | str, root: Path | None = None) -> Path:
    """The two-digit composites of scikit-learn's 8x8 digits (`tasks/digits.py`)."""
    return (root or results_dir()) / "data" / f"{DIGITS_TASK}_c{composites_per_pair}.npz"


def built_dataset(path: str | Path) -> int | None:
    """The composites per pair of a digits dataset path the workflow builds, None for any other
    file."""
    path = Path(path)
    match = re.fullmatch(rf"{DIGITS_TASK}_c([0-9]+)\.npz", path.name)
    if match is None or path.parent.resolve() != (results_dir() / "data").resolve():
        return None
    return int(match.group(1))


# --- results/trials/<trial key>/: one trial's stages, keyed by what defines the trial -------------
# The key is `Trial.key`: <graph>/<arch>/<training>/<search>/s<seed>.
TRIAL_PATTERN = "{graph}/{arch}/{train}/{search}/s{seed}"

# What each wildcard of the workflow's patterns may match (the Snakefile's constraints).
WILDCARD_CONSTRAINTS = {
    "graph": r"[a-z0-9_]+",
    "fmt": r"png|svg|pdf",
    "experiment": r"[a-z0-9_]+",
    "arch": r"[0-9]+(-[0-9]+)+",
    "train": r"lr[0-9.e+-]+-b[0-9]+-e[0-9]+",
    "search": r"(grid|paper|edge-only|dense)-[0-9a-f]{8}",
    "seed": r"[0-9]+",
    "dataset": r"two_digits|hierarchical",
    "split": r"paper|disjoint",
    "n": r"[0-9]+",
    "analysis": r"detect_mm[^/]+",
    "depth": r"[0-9]+",
}


def cell_of(key: str) -> str:
    """The cell of a trial: its key without the seed (the trials one search job runs together)."""
    return key.rsplit("/", 1)[0]


def trial_dir(key: str, root: Path | None = None) -> Path:
    return (root or results_dir()) / "trials" / key


def stage_files(folder: Path, stage: str) -> tuple[Path, Path]:
    """A search stage's tensors and record in a trial folder: `<stage>.pt`, `<stage>.json`
    (stages: dense, units, edges, selected)."""
    return Path(folder) / f"{stage}.pt", Path(folder) / f"{stage}.json"


def state_file(folder: Path, stage: str) -> Path:
    """A pruning stage's per-round state, for a resume: `state-<stage>.pt`."""
    return Path(folder) / f"state-{stage}.pt"


def selected_npz_file(folder: Path) -> Path:
    """The selected network's masks and weights in NumPy's format, for the analysis."""
    return Path(folder) / "selected.npz"


def selected_npz(key: str, root: Path | None = None) -> Path:
    return selected_npz_file(trial_dir(key, root))


def selected_json(key: str, root: Path | None = None) -> Path:
    return stage_files(trial_dir(key, root), "selected")[1]


def selected_pt(key: str, root: Path | None = None) -> Path:
    return stage_files(trial_dir(key, root), "selected")[0]


def analysis_name(modularity_threshold: float, merge_threshold: float) -> str:
    """The analysis folder inside a trial, named after the detection thresholds."""
    return f"detect_mm{modularity_threshold:g}_merge{merge_threshold:g}"


def analysis_dir(key: str, analysis: str, root: Path | None = None) -> Path:
    return trial_dir(key, root) / analysis


def score_file(folder: Path) -> Path:
    """The score of an analysis folder (`<trial>/<analysis>/score.json`)."""
    return Path(folder) / "score.json"


def modules_file(folder: Path) -> Path:
    """The detected modules of an analysis folder (`<trial>/<analysis>/modules.json`)."""
    return Path(folder) / "modules.json"


def find_analysis(trial_folder: Path) -> Path:
    """The one analysis of a trial folder: where `sculpt detect` wrote modules.json (the trial
    folder itself, or the one analysis folder inside it). Several analyses: a one-line error
    naming them, to choose from with --analysis-dir."""
    trial_folder = Path(trial_folder)
    found = sorted(p.parent for p in trial_folder.glob("*/modules.json"))
    if modules_file(trial_folder).is_file():
        found.insert(0, trial_folder)
    if len(found) > 1:
        names = ", ".join(p.name for p in found)
        raise UsageError(
            f"{trial_folder}: several analyses ({names}); choose one with --analysis-dir"
        )
    return found[0] if found else trial_folder


def trial_of_analysis(folder: Path) -> Path:
    """The trial folder an analysis folder (or a file in it, such as score.json) belongs to."""
    folder = Path(folder)
    return folder.parent.parent if folder.suffix else folder.parent


def score_json(key: str, analysis: str, root: Path | None = None) -> Path:
    return score_file(analysis_dir(key, analysis, root))


def modules_json(key: str, analysis: str, root: Path | None = None) -> Path:
    return modules_file(analysis_dir(key, analysis, root))


# --- results/<experiment>/: tables and figures of one experiment ------------------------------


def experiment_dir(experiment: str, root: Path | None = None) -> Path:
    return (root or results_dir()) / experiment


def trials_csv(experiment: str, root: Path | None = None) -> Path:
    return experiment_dir(experiment, root) / "trials.csv"


def experiment_figure(experiment: str, suffix: str = "png", root: Path | None = None) -> Path:
    """Structure recovered per graph and depth: the experiment's summary figure."""
    return experiment_dir(experiment, root) / f"structure_recovered.{suffix}"


def experiment_figure_csv(experiment: str, root: Path | None = None) -> Path:
    return experiment_dir(experiment, root) / "structure_recovered.csv"


def log_file(*parts: str, root: Path | None = None) -> Path:
    return (root or results_dir()) / "logs" / Path(*parts)


def benchmark_file(*parts: str, root: Path | None = None) -> Path:
    return (root or results_dir()) / "benchmarks" / Path(*parts)


# --- results/figures/: the paper's figures and drawings -------------------------------------


def figures_dir(root: Path | None = None) -> Path:
    return (root or results_dir()) / "figures"


def drawing_cell(
    experiment: str, graph: str, depth: int | str, suffix: str = "png", root: Path | None = None
) -> Path:
    """The appendix-style drawing of one (graph, depth) cell of an experiment."""
    return figures_dir(root) / "drawings" / experiment / f"{graph}_h{depth}.{suffix}"


def reproduction_dir(root: Path | None = None) -> Path:
    """The reproduction report: `results/reproduction/` (README.md, verdicts.csv, its figures)."""
    return (root or results_dir()) / "reproduction"


def authors_scores_md() -> Path:
    """The authors' published networks scored by this project's rule (a committed summary)."""
    return package_data_root() / "docs" / "authors_networks_scores.md"


def authors_table4_csv() -> Path:
    """Table 4's clustering choices on the authors' published networks (a committed summary,
    `scripts/authors_table4.py`)."""
    return package_data_root() / "docs" / "authors_table4.csv"


def authors_networks_dir() -> Path:
    """The authors' published networks, in the checkout's `../shared/reference/`."""
    return package_data_root().parent / "shared" / "reference" / "authors_networks"


def figure(target: str, suffix: str = "png", root: Path | None = None) -> Path:
    """A paper figure or table: `results/figures/<target>.<suffix>` (png, pdf, csv, txt)."""
    return figures_dir(root) / f"{target}.{suffix}"
