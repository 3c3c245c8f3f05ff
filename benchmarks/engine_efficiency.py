"""How close the engine runs to the cores' matmul rate (a benchmark, not a test).

    .venv/bin/python benchmarks/engine_efficiency.py            # the four named cells, whole
    .venv/bin/python benchmarks/engine_efficiency.py --seeds 1  # each cell's first seed only
    .venv/bin/python benchmarks/engine_efficiency.py --cells overlap validation

On one thread it prints first the cores' rate: `torch.mm` at 1024^3. Then for each cell of
`config/config.yaml` named below it runs the cell's search (dense training, unit and edge
pruning, selection: `Search.run()` in memory, every seed of the cell as one batch, as the
workflow runs it) and counts, from the shapes of what ran:

- training steps: forward 2*B*sum(in*out) per lane, backward 2*B*sum(in*out) for the weight
  gradients and 2*B*sum(in*out) over the layers after the first for the input gradients;
- evaluations: 2*V*sum(in*out) per lane (forward over the V validation rows).

Unit scores and the rest are not counted (under 5% of the search's time), so the achieved rate
is a slight underestimate. The achieved rate is those FLOPs over the CPU seconds of the whole
search. The reference is the same matmuls as bare `torch.baddbmm`/`torch.bmm` calls at exactly
the shapes the search ran (each distinct shape timed, best of `--repeats`, times its count):
`achieved / bmm` is the share of the search's time that the matmuls alone would take, 1.0 being
a search that is nothing but its matmuls. It also prints the microseconds per training step and
the mean lanes per step.

`--baseline DIR` also runs each cell's search with another checkout's engine (a process whose
`neural_sculpting` is DIR's, e.g. a worktree of 42e17cd, the autograd engine) and prints its CPU
seconds and its achieved / bmm on the same FLOPs (the engines run the same shapes: the written-out
step is bitwise the autograd one).
"""

from __future__ import annotations

import argparse
import datetime
import itertools
import json
import os
import platform
import subprocess
import sys
import time
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import torch
import yaml

# Through engine.search, which imports them: so the script also runs a checkout older than
# engine/settings.py (--baseline).
from neural_sculpting.engine.search import Search, SearchSettings, SearchTrial
from neural_sculpting.study.experiments import load_study
from neural_sculpting.study.trial import Trial

ROOT = Path(__file__).resolve().parent.parent

# name -> (experiment, graph, hidden widths): the cells the issue names.
CELLS = {
    "hierarchy_costliest": ("hierarchy", "hierarchy_use4", (60, 60, 60, 60)),
    "hierarchy_mid": ("hierarchy", "hierarchy_use8", (36, 36, 36)),
    "overlap": ("input_overlap", "overlap0_use1", (36,)),
    "validation": ("validation", "input_separable", (24, 24)),
}


@dataclass
class Counts:
    """Shapes of what a search ran: (lanes, rows, widths) -> calls, for steps and evaluations."""

    steps: Counter
    evals: Counter

    def flops(self) -> float:
        total = 0.0
        for (lanes, rows, widths), n in self.steps.items():
            total += n * lanes * step_flops(rows, widths)
        for (lanes, rows, widths), n in self.evals.items():
            total += n * lanes * 2 * rows * layer_products(widths)
        return total

    def lanes_per_step(self) -> float:
        calls = sum(self.steps.values())
        return sum(lanes * n for (lanes, _, _), n in self.steps.items()) / max(calls, 1)


def layer_products(widths: Sequence[int]) -> int:
    return sum(a * b for a, b in itertools.pairwise(widths))


def step_flops(rows: int, widths: Sequence[int]) -> float:
    """One lane's training step: forward, weight gradients, input gradients (not the first)."""
    forward = 2 * rows * layer_products(widths)
    return 2 * forward + 2 * rows * layer_products(widths[1:])


def counting(counts: Counts):
    """Wrap the engine's step and evaluation so that each call records its shape."""
    # Imported here: a baseline checkout (the autograd engine) has no step module.
    from neural_sculpting.engine import step as step_module
    from neural_sculpting.engine import training

    step, evaluate = step_module.LaneProgram.step, training.evaluate

    def counted_step(self, x, y):
        counts.steps[(x.shape[0], x.shape[1], self.model.widths)] += 1
        return step(self, x, y)

    def counted_evaluate(model, data, batch_size=None):
        counts.evals[(model.n_lanes, data.data.n_val, model.widths)] += 1
        return evaluate(model, data, batch_size)

    step_module.LaneProgram.step = counted_step
    training.evaluate = counted_evaluate

    def undo() -> None:
        step_module.LaneProgram.step, training.evaluate = step, evaluate

    return undo


def best_of(fn, repeats: int) -> float:
    """The least CPU seconds of `repeats` calls (CPU time, as the searches are timed, so that
    other work on the machine does not tilt the ratio)."""
    fn()
    times = []
    for _ in range(repeats):
        start = time.process_time()
        fn()
        times.append(time.process_time() - start)
    return min(times)


def bare_matmul_seconds(counts: Counts, repeats: int) -> float:
    """The counted FLOPs' matmuls as bare baddbmm (forward) and bmm (gradients) calls."""
    total = 0.0
    for kind, table in (("step", counts.steps), ("eval", counts.evals)):
        for (lanes, rows, widths), n in table.items():
            layers = list(itertools.pairwise(widths))
            xs = [torch.randn(lanes, rows, a) for a, _ in layers]
            ws = [torch.randn(lanes, b, a) for a, b in layers]
            bs = [torch.randn(lanes, b) for _, b in layers]
            gs = [torch.randn(lanes, rows, b) for _, b in layers]

            def run(xs=xs, ws=ws, bs=bs, gs=gs, kind=kind) -> None:
                for k, (x, w, b, g) in enumerate(zip(xs, ws, bs, gs, strict=True)):
                    torch.baddbmm(b.unsqueeze(1), x, w.transpose(1, 2))
                    if kind == "step":
                        torch.bmm(x.transpose(1, 2), g)
                        if k > 0:
                            torch.bmm(g, w)

            total += n * best_of(run, repeats)
    return total


def cell_trials(name: str, seeds: int) -> list[Trial]:
    experiment, graph, hidden = CELLS[name]
    config = yaml.safe_load((ROOT / "config" / "config.yaml").read_text())
    study = load_study(config)
    trials = [t for t in study[experiment].trials if t.graph == graph and t.hidden == hidden]
    if not trials:
        sys.exit(f"engine_efficiency: no trial of {graph} {hidden} in {experiment}")
    return sorted(trials, key=lambda t: t.seed)[:seeds]


def new_search(name: str, seeds: int) -> tuple[list[Trial], Search]:
    trials = cell_trials(name, seeds)
    search = Search(
        [SearchTrial(t.graph, t.seed, None) for t in trials], SearchSettings.of_trial(trials[0])
    )
    return trials, search


def baseline_cpu(root: Path, name: str, seeds: int) -> float:
    """CPU seconds of the cell's search by the checkout at `root`, in a process of its own."""
    code = (
        "import json, sys, time, torch, neural_sculpting; torch.set_num_threads(1); "
        "sys.path.insert(1, sys.argv[1]); import engine_efficiency as e; "
        "_, s = e.new_search(sys.argv[2], int(sys.argv[3])); c = time.process_time(); s.run(); "
        "print(json.dumps([time.process_time() - c, neural_sculpting.__file__]))"
    )
    env = {**os.environ, "PYTHONPATH": str(root)}
    here = str(Path(__file__).resolve().parent)
    out = subprocess.run(
        [sys.executable, "-c", code, here, name, str(seeds)],
        env=env, cwd=root, check=True, capture_output=True, text=True,
    ).stdout  # fmt: skip
    cpu, library = json.loads(out.strip().splitlines()[-1])
    if not Path(library).resolve().is_relative_to(root):
        sys.exit(f"engine_efficiency: the baseline process imported {library}")
    return cpu


def measure(name: str, seeds: int, repeats: int) -> dict:
    trials, search = new_search(name, seeds)
    counts = Counts(Counter(), Counter())
    undo = counting(counts)
    try:
        cpu = time.process_time()
        search.run()
        cpu = time.process_time() - cpu
    finally:
        undo()
    flops = counts.flops()
    bare = bare_matmul_seconds(counts, repeats)
    hp = trials[0].train
    return {
        "cell": name,
        "shape": f"{trials[0].graph} {'-'.join(map(str, trials[0].hidden))}, batch "
        f"{hp.batch_size}, {hp.epochs} epochs, {len(trials)} seed(s)",
        "cpu_s": cpu,
        "gflops": flops / 1e9,
        "achieved": flops / cpu / 1e9,
        "bmm": flops / bare / 1e9,
        "ratio": bare / cpu,
        "us_step": 1e6 * cpu / max(sum(counts.steps.values()), 1),
        "lanes": counts.lanes_per_step(),
    }


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--cells", nargs="+", choices=sorted(CELLS), default=list(CELLS))
    parser.add_argument("--seeds", type=int, default=4, help="seeds of each cell (default 4)")
    parser.add_argument("--repeats", type=int, default=3, help="bare matmul repeats, best kept")
    parser.add_argument("--baseline", type=Path, metavar="DIR", help="another checkout to compare")
    args = parser.parse_args(argv)
    if args.baseline is not None and not (args.baseline / "neural_sculpting").is_dir():
        print(f"engine_efficiency: --baseline {args.baseline}: not a checkout", file=sys.stderr)
        return 2
    if args.seeds < 1 or args.repeats < 1:
        print("engine_efficiency: --seeds and --repeats must be at least 1", file=sys.stderr)
        return 2
    torch.set_num_threads(1)
    a, b = torch.randn(1024, 1024), torch.randn(1024, 1024)
    mm = 2 * 1024**3 / best_of(lambda: torch.mm(a, b), 5) / 1e9
    print(f"# {datetime.date.today()} {platform.processor() or platform.machine()}, torch "
          f"{torch.__version__}, one thread")  # fmt: skip
    print(f"torch.mm 1024^3: {mm:.1f} GFLOP/s\n")
    extra = " baseline CPU s | baseline / bmm | speed-up |" if args.baseline else ""
    print("| cell | shape | CPU s | GFLOP | engine GFLOP/s | bmm GFLOP/s | engine / bmm "
          f"| us a step | lanes a step |{extra}")  # fmt: skip
    print("|---|---|---|---|---|---|---|---|---|" + ("---|---|---|" if extra else ""))
    for name in args.cells:
        r = measure(name, args.seeds, args.repeats)
        line = (f"| {r['cell']} | {r['shape']} | {r['cpu_s']:.1f} | {r['gflops']:.1f} | "
                f"{r['achieved']:.1f} | {r['bmm']:.1f} | {r['ratio']:.2f} | {r['us_step']:.0f} | "
                f"{r['lanes']:.1f} |")  # fmt: skip
        if args.baseline is not None:
            cpu = baseline_cpu(args.baseline.resolve(), name, args.seeds)
            line += f" {cpu:.1f} | {r['ratio'] * r['cpu_s'] / cpu:.2f} | {cpu / r['cpu_s']:.2f}x |"
        print(line, flush=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
