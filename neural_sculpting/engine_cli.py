"""`sculpt train | prune-units | prune-edges | select | search`: the engine's stages.

Each trial is one (graph, seed) with its own folder from the `--out` template (placeholders
`{graph}` and `{seed}`); all trials of one call run their lanes in one batch. `search` runs every
stage, reusing a stage's files where they exist and match the request; the single-stage commands
compute only their own stage and need the earlier stages' files.
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path
from typing import TYPE_CHECKING

from neural_sculpting.hparams import (
    SEARCH_MODES,
    PruningHparams,
    SearchHparams,
    TrainingHparams,
)
from neural_sculpting.paper import paper_choice

if TYPE_CHECKING:
    from neural_sculpting.search import SearchSettings, SearchTrial


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
    parser.add_argument(
        "--graph",
        action="append",
        required=True,
        metavar="NAME",
        help="task (config/graphs/NAME.yaml); repeat to batch tasks of one shape",
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
    parser.add_argument("--noise-std", type=float, default=0.1)
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


def _trials(args: argparse.Namespace, exp: SearchSettings) -> list[SearchTrial]:
    from neural_sculpting.search import SearchTrial

    graphs = list(dict.fromkeys(args.graph))
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

    from neural_sculpting.masked_mlp import arch_name, parse_arch
    from neural_sculpting.search import Search, SearchSettings, SearchTrial, resolve_device

    if args.threads is not None:
        if args.threads < 1:
            raise EngineUsageError("--threads must be at least 1")
        torch.set_num_threads(args.threads)
    device = resolve_device(args.device)
    hidden = parse_arch(args.arch)
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
            noise_std=args.noise_std,
        ),
        pruning=PruningHparams(
            accuracy_threshold=args.accuracy_threshold,
            require_trainable_dense=not args.allow_untrainable,
        ),
        search=search,
    )
    trials = _trials(args, exp)
    if args.state_every < 0:
        raise EngineUsageError("--state-every must not be negative")
    runner = Search(
        trials, exp, device, show_progress=not args.quiet, state_every_s=args.state_every
    )
    if args.mode == "paper" and not (args.pu and args.pe):
        arch = arch_name(runner.widths)
        picked = [paper_choice(t.graph, arch, t.seed, args.paper_csv) for t in trials]
        trials = [SearchTrial(t.graph, t.seed, t.out_dir, (pu,), (pe,)) for t, (pu, pe) in zip(
            trials, picked, strict=True)]  # fmt: skip
        runner = Search(
            trials, exp, device, runner.data, not args.quiet, state_every_s=args.state_every
        )
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
