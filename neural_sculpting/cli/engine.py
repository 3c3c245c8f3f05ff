"""`sculpt train | prune-units | prune-edges | select | search`: the engine's stages.

Each trial is one (graph, seed) with its own folder from the `--out` template (placeholders
`{graph}` and `{seed}`); all trials of one call run their lanes in one batch. `--mnist FILE.npz`
(a composite dataset from `sculpt mnist-data`) replaces `--graph`: the trial's graph is then the
dataset's task, `mnist_two_digits` or `mnist_hierarchical`. `search` runs every
stage, reusing a stage's files where they exist and match the request; the single-stage commands
compute only their own stage and need the earlier stages' files.
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path
from typing import TYPE_CHECKING

from neural_sculpting.study.hparams import (
    ACCURACY_MEASURES,
    SEARCH_MODES,
    PruningHparams,
    SearchHparams,
    TrainingHparams,
)
from neural_sculpting.study.paper_choices import paper_choice

if TYPE_CHECKING:
    from neural_sculpting.engine.search import SearchSettings, SearchTrial


class EngineUsageError(ValueError):
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
    parser.add_argument("--arch", required=True, help="hidden widths, e.g. 24-24")
    parser.add_argument(
        "--seed",
        action="append",
        type=int,
        metavar="N",
        help="trial seed; repeat to batch several (default 0)",
    )
    parser.add_argument("--lr", type=float, required=True)
    parser.add_argument("--batch-size", type=int, required=True)
    parser.add_argument("--epochs", type=int, required=True)
    parser.add_argument("--weight-decay", type=float, default=1e-4)
    parser.add_argument(
        "--noise-std",
        type=float,
        default=None,
        help="input noise of Boolean tasks (default 0.1; MNIST trains without noise)",
    )
    parser.add_argument("--mode", choices=SEARCH_MODES, default="grid")
    parser.add_argument("--pu", type=float, nargs="+", help="unit-pruning steps (percent)")
    parser.add_argument("--pe", type=float, nargs="+", help="edge-pruning steps (percent)")
    parser.add_argument(
        "--accuracy-threshold",
        type=float,
        default=100.0,
        help="percent a pruning step must keep (default 100)",
    )
    parser.add_argument(
        "--accuracy-measure",
        choices=ACCURACY_MEASURES,
        default="per_bit",
        help="what the threshold counts: output bits (default, the paper's) or digits (MNIST)",
    )
    parser.add_argument(
        "--allow-untrainable",
        action="store_true",
        help="prune dense networks below the threshold instead of skipping them",
    )
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
        "--out", required=True, help="trial folder template with {graph} and {seed}"
    )
    parser.add_argument(
        "--state-every",
        type=float,
        default=0.0,
        metavar="SECONDS",
        help="save pruning state for a resume at most this often (default 0: every round)",
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


def _trials(args: argparse.Namespace, exp: SearchSettings, graphs: list[str]) -> list[SearchTrial]:
    from neural_sculpting.engine.search import SearchTrial

    seeds = list(dict.fromkeys(args.seed or [0]))
    template = args.out
    if len(graphs) > 1 and "{graph}" not in template:
        raise EngineUsageError("--out needs a {graph} placeholder when several graphs are given")
    if len(seeds) > 1 and "{seed}" not in template:
        raise EngineUsageError("--out needs a {seed} placeholder when several seeds are given")
    trials = []
    for graph in graphs:
        for seed in seeds:
            try:
                out = Path(template.format(graph=graph, seed=seed))
            except (KeyError, IndexError, ValueError):
                raise EngineUsageError(
                    f"--out template {template!r} may only use {{graph}} and {{seed}}"
                ) from None
            pu = pe = None
            if exp.search.mode == "paper" and args.pu and args.pe:
                pu, pe = (args.pu[0],), (args.pe[0],)
            # Without --pu/--pe, paper mode looks the pair up once the widths are known.
            trials.append(SearchTrial(graph, seed, out, pu, pe))
    return trials


def run_command(command: str, args: argparse.Namespace) -> int:
    # torch is imported here, not at module level, so `sculpt graph ...` starts fast.
    import torch

    from neural_sculpting.engine.lanes import arch_name, parse_arch
    from neural_sculpting.engine.search import Search, SearchSettings, SearchTrial, resolve_device

    if args.threads is not None:
        if args.threads < 1:
            raise EngineUsageError("--threads must be at least 1")
        torch.set_num_threads(args.threads)
    device = resolve_device(args.device)
    hidden = parse_arch(args.arch)
    data = None
    if args.mnist is not None:
        from neural_sculpting.engine.data import mnist_data
        from neural_sculpting.tasks.mnist import CompositeDataset

        if args.noise_std not in (None, 0.0):
            raise EngineUsageError("--noise-std is for Boolean tasks; MNIST trains without noise")
        data = mnist_data(CompositeDataset.load(args.mnist))  # one-line errors of its own
        graphs, noise_std = list(data.names), 0.0
    else:
        if args.accuracy_measure != "per_bit":
            raise EngineUsageError("--accuracy-measure per_digit needs an --mnist task")
        graphs = list(dict.fromkeys(args.graph))
        noise_std = 0.1 if args.noise_std is None else args.noise_std
    search = SearchHparams(mode=args.mode)
    if args.mode == "grid" and (args.pu or args.pe):
        search = SearchHparams(
            mode="grid",
            pu_values=tuple(args.pu or search.pu_values),
            pe_values=tuple(args.pe or search.pe_values),
        )
    elif args.mode == "edge_only" and args.pe:
        search = SearchHparams(mode="edge_only", edge_only_pe=tuple(args.pe))
    exp = SearchSettings(
        hidden=hidden,
        training=TrainingHparams(
            lr=args.lr,
            batch_size=args.batch_size,
            epochs=args.epochs,
            weight_decay=args.weight_decay,
            noise_std=noise_std,
        ),
        pruning=PruningHparams(
            accuracy_threshold=args.accuracy_threshold,
            require_trainable_dense=not args.allow_untrainable,
            accuracy_measure=args.accuracy_measure,
        ),
        search=search,
    )
    trials = _trials(args, exp, graphs)
    if args.state_every < 0:
        raise EngineUsageError("--state-every must not be negative")
    budget = None
    if args.memory_budget_gb is not None:
        if not args.memory_budget_gb > 0:
            raise EngineUsageError("--memory-budget-gb must be positive")
        budget = args.memory_budget_gb * 2**30
    runner = Search(
        trials, exp, device, data, not args.quiet, args.state_every, memory_budget_bytes=budget
    )
    if args.mode == "paper" and not (args.pu and args.pe):
        arch = arch_name(runner.widths)
        picked = [paper_choice(t.graph, arch, t.seed, args.paper_csv) for t in trials]
        trials = [SearchTrial(t.graph, t.seed, t.out_dir, (pu,), (pe,)) for t, (pu, pe) in zip(
            trials, picked, strict=True)]  # fmt: skip
        runner = Search(trials, exp, device, runner.data, not args.quiet, args.state_every, budget)
    until, compute = _STAGES[command]
    results = runner.run(until, compute)
    if until == "selected":
        for result in results:
            if args.json:
                print(json.dumps(result))
            else:
                print(_describe(result))
    else:
        seconds = runner.stage_seconds.get(until, 0.0)
        print(f"{command}: {len(trials)} trial(s), stage {until} done in {seconds:.1f} s")
    return 0


def _describe(result: dict) -> str:
    head = f"{result['graph']} seed {result['seed']} {result['arch']}"
    if not result["pruned"]:
        state = "trainable" if result["trainable"] else "untrainable"
        return f"{head}: not pruned ({state}, dense val accuracy {result['dense_val_accuracy']}%)"
    chosen = result["chosen"]
    return (
        f"{head}: Pu {chosen['pu']:g} Pe {chosen['pe']:g}, density {100 * result['density']:.2f}%,"
        f" val accuracy {result['val_accuracy']}%"
    )
