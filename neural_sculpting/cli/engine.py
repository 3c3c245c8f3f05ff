"""`sculpt train | prune-units | prune-edges | select | search`: the engine's stages.

The workflow hands each job trials of the study as `--trial JSON` (`Trial.to_json()`): one
cell's (trials that differ only by seed, searched as one batch), or several cells', searched
one cell after another in this one process; a trial's folder is `results/trials/<trial key>/`.
By hand, a trial is given by flags instead: one or several `--graph` (or `--mnist FILE.npz`, a
composite dataset from `sculpt mnist-data`, whose task is `mnist_two_digits` or
`mnist_hierarchical`) and `--seed`, with the settings' flags, whose names, defaults and help come
from the settings' dataclasses (`study/hparams.py`); each trial's folder comes from the `--out`
template (placeholders `{graph}` and `{seed}`), and all trials of one call run their lanes in one
batch. `search` runs every stage, reusing a stage's files where they exist and match the
request; the single-stage commands compute only their own stage and need the earlier stages'
files.
"""

from __future__ import annotations

import argparse
import dataclasses
import json
from pathlib import Path
from typing import TYPE_CHECKING

from neural_sculpting.cli.flags import add_settings_flags, given
from neural_sculpting.foundations import paths
from neural_sculpting.foundations.errors import SculptError
from neural_sculpting.study.defaults import STATE_EVERY_S
from neural_sculpting.study.hparams import (
    PruningHparams,
    SearchHparams,
    SearchMode,
    TrainingHparams,
)
from neural_sculpting.study.paper_choices import paper_choice
from neural_sculpting.study.trial import Trial, trials_from_json
from neural_sculpting.study.trial_settings import trial_settings

if TYPE_CHECKING:
    from neural_sculpting.engine.data import TaskData
    from neural_sculpting.engine.settings import SearchSettings, SearchTrial
    from neural_sculpting.store.records import Selection


class EngineUsageError(SculptError):
    """A command-line request the engine cannot run."""


_STAGES = {
    "train": ("dense", ("dense",)),
    "prune-units": ("units", ("units",)),
    "prune-edges": ("edges", ("edges",)),
    "select": ("selected", ("selected",)),
    "search": ("selected", ("dense", "units", "edges", "selected")),
}


def _add_common(parser: argparse.ArgumentParser) -> None:
    task = parser.add_mutually_exclusive_group(required=True)
    task.add_argument(
        "--trial",
        metavar="JSON",
        help="one trial of a study as Trial.to_json() writes it, or a JSON list of trials (what "
        "the workflow passes): those that differ only by seed or task, a cell of the study, are "
        "searched as one batch, the cells one after another; their settings replace every flag "
        "below",
    )
    task.add_argument(
        "--graph",
        action="append",
        metavar="NAME",
        help="task (config/graphs/NAME.yaml); repeat to batch tasks of one shape",
    )
    task.add_argument(
        "--mnist",
        type=Path,
        metavar="FILE.npz",
        help="MNIST composite dataset (sculpt mnist-data) instead of --graph",
    )
    task.add_argument(
        "--data",
        type=Path,
        metavar="FILE.npz",
        help="a dataset file of your own (x_train, y_train, x_val, y_val) instead of --graph; "
        "its task is named after the file, or after --description; training flags left out "
        "take the dataset defaults (config/README.md), the threshold is dense",
    )
    parser.add_argument(
        "--description",
        metavar="NAME|FILE.yaml",
        help="with --data: the dataset task's description (its name and class groups)",
    )
    parser.add_argument("--arch", help="hidden widths, e.g. 24-24 (required without --trial)")
    parser.add_argument(
        "--seed",
        action="append",
        type=int,
        metavar="N",
        help="trial seed; repeat to batch several (default 0)",
    )
    # The settings' flags, made from their fields (cli/flags.py); left out, the task kind's
    # defaults apply (a dataset file's with --data).
    for settings in (TrainingHparams, SearchHparams, PruningHparams):
        add_settings_flags(parser, settings)
    parser.add_argument(
        "--paper-csv",
        type=Path,
        default=None,
        help="choices table (graph,arch,seed,pu,pe) for --mode paper without --pu/--pe "
        "(default config/paper_choices.csv)",
    )
    parser.add_argument("--device", choices=("auto", "cpu", "cuda"), default="auto")
    parser.add_argument("--threads", type=int, default=None, help="torch CPU threads")
    parser.add_argument(
        "--memory-budget-gb",
        type=float,
        default=None,
        metavar="GB",
        help="memory a stage's lanes may use at once; more lanes run in sequential groups "
        "(default: 80%% of free CUDA memory, or half the RAM on CPU)",
    )
    parser.add_argument(
        "--out-dir",
        "--out",
        dest="out",
        help="trial folder template with {graph} and {seed} (required without --trial, whose "
        "folder is results/trials/<trial key>); folders are --out-dir, files -o/--output "
        "throughout sculpt",
    )
    parser.add_argument(
        "--state-every",
        type=float,
        default=STATE_EVERY_S,
        metavar="SECONDS",
        help="save pruning state for a resume at most this often (0: after every round; "
        f"default {STATE_EVERY_S:g})",
    )
    parser.add_argument("--quiet", action="store_true", help="no progress lines")
    parser.add_argument("--json", action="store_true", help="print the selections as JSON")


def register(subparsers: argparse._SubParsersAction) -> None:
    """Add the engine's subcommands to the `sculpt` parser."""
    helps = {
        "train": "train the dense network of each trial",
        "prune-units": "unit pruning (Algorithm 1) for every Pu",
        "prune-edges": "edge pruning (Algorithm 2) for every (Pu, Pe)",
        "select": "choose each trial's lowest-density network",
        "search": "all stages of one or several trials in one process",
    }
    for name, text in helps.items():
        parser = subparsers.add_parser(name, help=text, description=text)
        _add_common(parser)
        parser.set_defaults(handler=_handler(name))


def _handler(command: str):
    def handle(args: argparse.Namespace) -> int:
        return run_command(command, args)

    return handle


def _mnist_data(path: Path) -> TaskData:
    from neural_sculpting.engine.data import mnist_data
    from neural_sculpting.tasks.composites import CompositeDataset

    return mnist_data(CompositeDataset.load(path))  # one-line errors of its own


def _file_data(path: str | Path, name: str, class_groups=()) -> TaskData:
    from neural_sculpting.engine.data import dataset_data
    from neural_sculpting.tasks.dataset_file import load_dataset_file

    return dataset_data(name, load_dataset_file(path), class_groups)  # one-line errors of its own


def _described_file_data(path: Path, description: str | None) -> TaskData:
    """A dataset file by hand: named after its description (whose `classes` count for the
    per-class accuracy), or after the file."""
    from neural_sculpting.tasks.catalog import description_file
    from neural_sculpting.tasks.dataset_task import load_dataset_task, task_name_of_file

    if description is None:
        return _file_data(path, task_name_of_file(path))
    task = load_dataset_task(description_file(description))
    data = _file_data(path, task.name, task.class_groups)
    task.check_sizes(data.n_inputs, data.n_outputs, str(description))
    return data


def _from_trials(args: argparse.Namespace) -> list[tuple]:
    """The searches of the trials given as JSON, one per cell (trials sharing their
    architecture, settings and data), in the order of each cell's first trial: each as
    (trials, settings, data)."""
    from neural_sculpting.engine.settings import SearchSettings

    cells: dict[tuple, list[Trial]] = {}
    for trial in trials_from_json(args.trial):
        key = (SearchSettings.of_trial(trial), trial.dataset or trial.data_file)
        cells.setdefault(key, []).append(trial)
    return [_cell_search(settings, trials) for (settings, _), trials in cells.items()]


def _cell_search(settings, trials: list[Trial]) -> tuple:
    """One cell's search: its trials' folders, with its data and imported network if any."""
    from neural_sculpting.engine.settings import SearchTrial

    first = trials[0]
    data = None
    if first.data_file is not None:
        data = _file_data(first.data_file.path, first.graph, first.data_file.class_groups)
    elif first.dataset is not None:
        data = _mnist_data(first.dataset.path)
    imported = None
    if first.data_file is not None and first.data_file.model is not None:
        from neural_sculpting.tasks.model_file import load_model_file

        imported = load_model_file(Path(first.data_file.model))
    runs = [SearchTrial(t.graph, t.seed, paths.trial_dir(t.key), imported=imported) for t in trials]
    return runs, settings, data


def _from_flags(args: argparse.Namespace):
    """The search of the trials given by flags (use by hand)."""
    from neural_sculpting.engine.lanes import parse_arch
    from neural_sculpting.engine.settings import SearchSettings

    if args.arch is None or args.out is None:
        raise EngineUsageError("--arch and --out-dir are needed without --trial")
    data = None
    if args.description is not None and args.data is None:
        raise EngineUsageError("--description goes with --data")
    if args.mnist is not None or args.data is not None:
        if args.noise_std not in (None, 0.0):
            raise EngineUsageError("--noise-std is for Boolean tasks; datasets train without noise")
        if args.mnist is not None:
            data = _mnist_data(args.mnist)
        else:
            data = _described_file_data(args.data, args.description)
        graphs, noise_std = list(data.names), 0.0
    else:
        if args.accuracy_measure not in (None, "per_bit"):
            raise EngineUsageError("--accuracy-measure per_digit needs an --mnist or --data task")
        graphs = list(dict.fromkeys(args.graph))
        noise_std = args.noise_std
    search = given(args, SearchHparams)
    mode = search.get("mode", SearchHparams().mode)
    train = given(args, TrainingHparams) | ({} if noise_std is None else {"noise_std": noise_std})
    chosen = trial_settings(
        "dataset" if args.data is not None else "boolean",
        train=train,
        mode=mode,
        # Pu only where units are pruned by the grid; Pe where edges are (paper mode takes the
        # pair per trial, below).
        pu=search.get("pu_values") if mode == SearchMode.GRID else None,
        pe=search.get("pe_values") if mode in (SearchMode.GRID, SearchMode.EDGE_ONLY) else None,
        accuracy_threshold=args.accuracy_threshold,
        dense_must_reach_threshold=args.require_trainable_dense,
        accuracy_measure=args.accuracy_measure,
        edge_min_step=args.edge_min_step,
    )
    exp = SearchSettings(parse_arch(args.arch), chosen.train, chosen.pruning, chosen.search)
    if data is None:
        from neural_sculpting.engine.data import graph_data

        data = graph_data(graphs, exp.training.noise_std)
    trials = _trials(args, exp, graphs)
    if exp.search.mode == SearchMode.PAPER and not (args.pu_values and args.pe_values):
        widths = (data.n_inputs, *exp.hidden, data.n_outputs)
        trials = _paper_pairs(trials, widths, args.paper_csv)
    return trials, exp, data


def _trials(args: argparse.Namespace, exp: SearchSettings, graphs: list[str]) -> list[SearchTrial]:
    from neural_sculpting.engine.settings import SearchTrial

    seeds = list(dict.fromkeys(args.seed or [0]))
    template = args.out
    if len(graphs) > 1 and "{graph}" not in template:
        raise EngineUsageError(
            "--out-dir needs a {graph} placeholder when several graphs are given"
        )
    if len(seeds) > 1 and "{seed}" not in template:
        raise EngineUsageError("--out-dir needs a {seed} placeholder when several seeds are given")
    trials = []
    for graph in graphs:
        for seed in seeds:
            try:
                out = Path(template.format(graph=graph, seed=seed))
            except (KeyError, IndexError, ValueError):
                raise EngineUsageError(
                    f"--out-dir template {template!r} may only use {{graph}} and {{seed}}"
                ) from None
            pu = pe = None
            if exp.search.mode == SearchMode.PAPER and args.pu_values and args.pe_values:
                pu, pe = (args.pu_values[0],), (args.pe_values[0],)
            # Without --pu/--pe, paper mode looks the pair up once the widths are known.
            trials.append(SearchTrial(graph, seed, out, pu, pe))
    return trials


def _paper_pairs(trials: list[SearchTrial], widths, csv: Path | None) -> list[SearchTrial]:
    """Paper mode by hand without --pu/--pe: each trial's published (Pu, Pe)."""
    from neural_sculpting.engine.lanes import arch_name

    arch = arch_name(widths)
    picked = [paper_choice(t.graph, arch, t.seed, csv) for t in trials]
    return [
        dataclasses.replace(t, pu=(pu,), pe=(pe,))
        for t, (pu, pe) in zip(trials, picked, strict=True)
    ]


def run_command(command: str, args: argparse.Namespace) -> int:
    # torch is imported here, not at module level, so `sculpt graph ...` starts fast.
    import torch

    from neural_sculpting.engine.device import resolve_device
    from neural_sculpting.engine.search import Search

    if args.threads is not None:
        if args.threads < 1:
            raise EngineUsageError("--threads must be at least 1")
        torch.set_num_threads(args.threads)
    if args.state_every < 0:
        raise EngineUsageError("--state-every must not be negative")
    budget = None
    if args.memory_budget_gb is not None:
        if not args.memory_budget_gb > 0:
            raise EngineUsageError("--memory-budget-gb must be positive")
        budget = args.memory_budget_gb * 2**30
    device = resolve_device(args.device)
    searches = _from_trials(args) if args.trial is not None else [_from_flags(args)]
    until, compute = _STAGES[command]
    for trials, exp, data in searches:
        runner = Search(trials, exp, device, data, not args.quiet, args.state_every, budget)
        results = runner.run(until, compute)
        if until == "selected":
            for result in results:
                print(json.dumps(result.to_json()) if args.json else describe(result))
        else:
            seconds = runner.stage_seconds.get(until, 0.0)
            print(f"{command}: {len(trials)} trial(s), stage {until} done in {seconds:.1f} s")
    return 0


def describe(result: Selection) -> str:
    head = f"{result.graph} seed {result.seed} {result.arch}"
    if not result.pruned:
        state = "trainable" if result.dense_reached_threshold else "untrainable"
        return f"{head}: not pruned ({state}, dense val accuracy {result.dense_val_accuracy}%)"
    chosen = result.chosen
    return (
        f"{head}: Pu {chosen['pu']:g} Pe {chosen['pe']:g}, density {100 * result.density:.2f}%,"
        f" val accuracy {result.val_accuracy}%"
    )
