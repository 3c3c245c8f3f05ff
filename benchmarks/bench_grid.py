"""Time one full 14 x 5 grid trial lane by lane and batched (issue 3's benchmark; not a test).

    .venv/bin/python benchmarks/bench_grid.py                       # reused, 4-24-24-16, 40 epochs
    .venv/bin/python benchmarks/bench_grid.py --graph input_separable --lr 0.05 --epochs 10
    .venv/bin/python benchmarks/bench_grid.py --subset 5,35,70 --conv-subset 5,35,70   # quicker
    .venv/bin/python benchmarks/bench_grid.py --profile             # where the batched time goes
    .venv/bin/python benchmarks/bench_grid.py --seeds 0,1,2,5 --no-engine-one-lane   # one cell

Three sides, one after the other in one process, all on one thread (`--threads`, default 1):
(b)  batched: the whole grid (dense, 14 unit-pruning lanes, 14 edge starts, 70 edge-pruning lanes)
     as the engine runs it, every lane of a stage in one stacked-weight program.
(a1) conventional: one network at a time written the ordinary way (`conventional.py`: nn.Linear
     layers with masks, torch.optim.Adam, a plain minibatch loop). Not bitwise the engine's
     networks (other random numbers); checked to end at comparable densities at 100%.
(a2) engine, one lane: the engine with each lane in its own batch of one (custom foreach Adam, no
     data loader); checked to give bitwise the batched networks.
A lane-by-lane side runs the Pu values of its subset (`--conv-subset`, `--subset`; `all` is the
full grid); for a subset of k Pu values the full-grid time is estimated as dense + (14 / k) *
(units + edges), and the output says so. Each side reports wall-clock seconds (per stage) and
CPU seconds of this process: on one thread, CPU time is what a side costs whatever else shares the
cores, wall time also counts the waits for them. Not timed: imports and torch.optim's one-off
first use (about a second, paid before any side starts).

With `--seeds` (one cell, as the workflow runs it: e.g. 0,1,2,5) (b) runs each seed alone and
then all of them in ONE Search (all their lanes in one batch), while (a1) and (a2) run each
seed's grid one after the other (`--no-engine-one-lane` skips (a2)). The output gives the
per-trial ratios (first seed: a side / that seed alone batched, the figure without `--seeds`)
and the cell ratios (a side summed over the seeds / the cell in one Search), with the sanity
checks for every seed.
"""

from __future__ import annotations

import argparse
import cProfile
import datetime
import io
import platform
import pstats
import statistics
import sys
import time
from pathlib import Path

T0 = time.perf_counter()

import torch  # noqa: E402

sys.path.insert(0, str(Path(__file__).resolve().parent))

import conventional  # noqa: E402
from conventional import STAGES, Stopwatch  # noqa: E402

from neural_sculpting.engine.data import LaneData, graph_data  # noqa: E402
from neural_sculpting.engine.device import resolve_device  # noqa: E402
from neural_sculpting.engine.lanes import LaneMLP, parse_arch  # noqa: E402
from neural_sculpting.engine.pruning.edges import edge_schedules, prune_edges  # noqa: E402
from neural_sculpting.engine.pruning.units import prune_units, unit_schedules  # noqa: E402
from neural_sculpting.engine.search import Search, SearchSettings, SearchTrial  # noqa: E402
from neural_sculpting.engine.training import train_lanes  # noqa: E402
from neural_sculpting.study.hparams import SearchHparams, TrainingHparams  # noqa: E402


def engine_one_lane(
    exp: SearchSettings, graph: str, seed: int, pus, device, batched: Search, index: int = 0
) -> dict:
    """(a2) Each lane alone in the engine; returns the stopwatch and whether every network equals
    the batched one (trial `index` of `batched`, whose seed is `seed`)."""
    data = graph_data([graph], exp.training.noise_std)
    one = LaneData(data, [0], device)
    hp, threshold = exp.training, exp.pruning.accuracy_threshold
    clock = Stopwatch()
    with clock.stage("dense"):
        dense = LaneMLP.initialise(batched.widths, [(seed, "init")], device)
        acc = float(train_lanes(dense, one, hp, [(seed, "dense")]).accuracy[0])
    run = batched.runs[index]
    same = True
    for pu in pus:
        with clock.stage("units"):
            schedule = unit_schedules([(seed, pu)], [pu], dense.n_hidden_units, [acc])
            unit = prune_units(dense.clone(), one, hp, threshold, schedule)
        i = run.pu.index(pu)
        same &= all(
            torch.equal(a, b)
            for a, b in zip(unit.masks(), run.units.select([i]).masks(), strict=True)
        )
        with clock.stage("edges"):
            start = train_lanes(unit, one, hp, [(seed, pu, "edge-start")])
            for pe in run.pe:
                lanes = edge_schedules([(seed, pu, pe)], [pe], unit, [float(start.accuracy[0])])
                edges = prune_edges(unit.clone(), one, hp, threshold, lanes)
                j = i * len(run.pe) + run.pe.index(pe)
                same &= all(
                    torch.equal(a, b)
                    for a, b in zip(edges.masks(), run.edges.select([j]).masks(), strict=True)
                )
    return {"clock": clock, "same": same}


def warm_up_torch_optim() -> float:
    """Seconds of torch.optim's one-off start-up (its first Adam costs about a second of lazy
    imports); paid here so that the conventional side's dense stage does not carry it."""
    started = time.perf_counter()
    p = torch.nn.Parameter(torch.zeros(2))
    opt = torch.optim.Adam([p], lr=0.1, weight_decay=1e-4)
    p.grad = torch.ones(2)
    opt.step()
    return time.perf_counter() - started


def estimate(seconds: dict[str, float], k: int, n_pu: int) -> float:
    """Full-grid seconds from a run of k of the n_pu Pu values: units and edges scale by n_pu / k
    (each Pu value brings one unit-pruning lane, one edge start and its Pe lanes)."""
    return seconds["dense"] + n_pu / k * (seconds["units"] + seconds["edges"])


def stage_text(seconds: dict[str, float]) -> str:
    return (
        f"{sum(seconds.values()):.2f} s ("
        + ", ".join(f"{k} {v:.2f}" for k, v in seconds.items())
        + ")"
    )


def pick(parser: argparse.ArgumentParser, text: str, pu_values: tuple[float, ...]) -> list[float]:
    """A subset option's Pu values ('all', 'none' or a comma list of grid values)."""
    if text == "all":
        return list(pu_values)
    if text == "none":
        return []
    try:
        pus = [float(p) for p in text.split(",")]
    except ValueError:
        parser.error(f"a subset is 'all', 'none' or a comma list of Pu values, got {text!r}")
    unknown = [p for p in pus if p not in pu_values]
    if unknown:
        parser.error(f"subset Pu values {unknown} are not in the grid {list(pu_values)}")
    return pus


def describe(name: str, clock: Stopwatch, pus: list[float], n_pu: int, n_pe: int) -> dict:
    """Print a lane-by-lane side's times; return its full-grid wall and CPU seconds (measured
    for the full grid, else estimated from the subset, and the text says which)."""
    k = len(pus)
    if k == n_pu:
        print(f"{name}, FULL GRID ({n_pu} unit-pruning + {n_pu * n_pe} edge-pruning lanes):")
    else:
        print(
            f"{name}, SUBSET Pu {pus} ({k} of {n_pu} unit-pruning and {k * n_pe} of "
            f"{n_pu * n_pe} edge-pruning lanes):"
        )
    print(f"    wall {stage_text(clock.wall)}; CPU {stage_text(clock.cpu)}")
    full = {"wall": estimate(clock.wall, k, n_pu), "cpu": estimate(clock.cpu, k, n_pu)}
    if k != n_pu:
        print(
            f"    full grid ESTIMATED as dense + {n_pu}/{k} x (units + edges): "
            f"wall {full['wall']:.2f} s, CPU {full['cpu']:.2f} s"
        )
    return full


def trainings(run, pus: list[float]) -> int:
    """(Re)trainings the engine ran for these Pu values: dense, unit tries, one edge start per
    Pu, edge tries (as conventional.run_grid counts; a try at p >= 100 trains nothing)."""
    units = sum(lane["rounds"] for lane in run.unit_lanes if lane["pu"] in pus)
    edges = sum(lane["rounds"] for lane in run.edge_lanes if lane["pu"] in pus)
    return 1 + units + len(pus) + edges


def sanity(conv: conventional.GridResult, run, pus: list[float], threshold: float) -> None:
    """Print whether the conventional lanes end like the batched ones: accuracy, densities and
    the number of (re)trainings on the same (Pu, Pe) lanes."""
    ours = {(lane["pu"], lane["pe"]): lane for lane in run.edge_lanes if lane["pu"] in pus}
    conv_d = [lane.density for lane in conv.lanes]
    ours_d = [lane["final_density"] for lane in ours.values()]
    conv_ok = sum(lane.accuracy >= threshold for lane in conv.lanes)
    ours_ok = sum((lane["val_accuracy"] or 0) >= threshold for lane in ours.values())
    unit_ours = [lane["final_density"] for lane in run.unit_lanes if lane["pu"] in pus]
    ours_trainings = trainings(run, pus)
    ratio = statistics.median(conv_d) / statistics.median(ours_d)
    comparable = conv_ok == len(conv.lanes) and 2 / 3 <= ratio <= 3 / 2
    print(
        f"  sanity (a1 vs batched, same {len(conv.lanes)} edge lanes): at {threshold:g}% "
        f"{conv_ok}/{len(conv.lanes)} vs {ours_ok}/{len(ours)}; dense accuracy "
        f"{conv.dense_accuracy:.1f}% vs {run.dense_accuracy:.1f}%"
    )
    print(
        f"    edge-pruned density median {statistics.median(conv_d):.4f} vs "
        f"{statistics.median(ours_d):.4f}, min {min(conv_d):.4f} vs {min(ours_d):.4f}, "
        f"max {max(conv_d):.4f} vs {max(ours_d):.4f}"
    )
    print(
        f"    unit-pruned density median {statistics.median(conv.unit_density.values()):.4f} vs "
        f"{statistics.median(unit_ours):.4f}; (re)trainings {conv.retrainings} vs "
        f"{ours_trainings}"
    )
    print(
        f"    comparable (all a1 lanes at {threshold:g}%, median density ratio {ratio:.2f} "
        f"within [0.67, 1.5]): {'yes' if comparable else 'NO'}"
    )


def parse_seeds(parser: argparse.ArgumentParser, text: str | None, seed: int) -> list[int]:
    """`--seeds` as a list of distinct ints (None: the single `--seed`)."""
    if text is None:
        return [seed]
    try:
        seeds = [int(s) for s in text.split(",")]
    except ValueError:
        parser.error(f"--seeds is a comma list of integers, got {text!r}")
    if len(set(seeds)) != len(seeds):
        parser.error(f"--seeds has repeated values: {text}")
    return seeds


def run_batched(
    graph: str,
    seeds: list[int],
    exp: SearchSettings,
    device,
    profiler: cProfile.Profile | None = None,
) -> tuple[Search, list, dict[str, float]]:
    """(b) One Search of the given seeds (all their lanes in one batch); returns it, its
    selections and its wall and CPU seconds."""
    search = Search([SearchTrial(graph, seed) for seed in seeds], exp, device)
    wall, cpu = time.perf_counter(), time.process_time()
    if profiler:
        profiler.enable()
    results = search.run()
    if profiler:
        profiler.disable()
    return search, results, {"wall": time.perf_counter() - wall, "cpu": time.process_time() - cpu}


def describe_batched(label: str, search: Search, results: list, took: dict[str, float]) -> None:
    stages = {k: search.stage_seconds.get(k, 0.0) for k in (*STAGES, "selected")}
    print(f"{label}:")
    print(f"    wall {stage_text(stages)}; CPU {took['cpu']:.2f} s")
    for run, result in zip(search.runs, results, strict=True):
        print(
            f"    seed {run.trial.seed} selected: {result.chosen}, density "
            f"{result.density}, val accuracy {result.val_accuracy}"
        )


def same_networks(a, b) -> bool:
    """Whether two runs of one trial (alone and in a cell batch) kept bitwise the same masks."""
    for part in ("units", "edges"):
        x, y = getattr(a, part), getattr(b, part)
        if x is None or y is None:  # not pruned (dense below the threshold)
            if x is not y:
                return False
            continue
        if not all(torch.equal(p, q) for p, q in zip(x.masks(), y.masks(), strict=True)):
            return False
    return True


def ratio_line(
    name: str, side: dict[str, float], ours: dict[str, float], b: str = "b batched"
) -> str:
    return (
        f"ratio ({name}) / ({b}), full grid: wall {side['wall']:.2f} / "
        f"{ours['wall']:.2f} s = {side['wall'] / ours['wall']:.1f}x; CPU "
        f"{side['cpu']:.2f} / {ours['cpu']:.2f} s = {side['cpu'] / ours['cpu']:.1f}x"
    )


def summed(sides: list[dict[str, float]]) -> dict[str, float]:
    return {k: sum(side[k] for side in sides) for k in ("wall", "cpu")}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--graph", default="reused")
    parser.add_argument("--arch", default="24-24", help="hidden widths")
    parser.add_argument("--lr", type=float, default=0.1)
    parser.add_argument("--batch-size", type=int, default=8)
    parser.add_argument("--epochs", type=int, default=40)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument(
        "--seeds",
        help="comma list of seeds, one cell: (b) runs them all in ONE Search, (a1) and (a2) "
        "each seed's grid one after the other (default: the single --seed)",
    )
    parser.add_argument("--threads", type=int, default=1, help="torch threads, all sides")
    parser.add_argument("--device", default="cpu", choices=("auto", "cpu", "cuda"))
    parser.add_argument(
        "--conv-subset",
        default="all",
        help="Pu values run by (a1) conventional (comma list, or 'all' / 'none')",
    )
    parser.add_argument(
        "--subset",
        default="all",
        help="Pu values run by (a2) engine one lane (comma list, or 'all' / 'none')",
    )
    parser.add_argument(
        "--no-engine-one-lane", action="store_true", help="skip (a2) (same as --subset none)"
    )
    parser.add_argument("--profile", action="store_true", help="cProfile the batched run")
    args = parser.parse_args()
    torch.set_num_threads(args.threads)
    device = resolve_device(args.device)
    exp = SearchSettings(
        parse_arch(args.arch),
        TrainingHparams(args.lr, args.batch_size, args.epochs),
        search=SearchHparams(),
    )
    pu_values, pe_values = exp.search.pu_values, exp.search.pe_values
    n_pu, n_pe = len(pu_values), len(pe_values)
    conv_pus = pick(parser, args.conv_subset, pu_values)
    lane_pus = [] if args.no_engine_one_lane else pick(parser, args.subset, pu_values)
    seeds = parse_seeds(parser, args.seeds, args.seed)
    cell = len(seeds) > 1
    startup = time.perf_counter() - T0
    warm = warm_up_torch_optim()
    print(
        f"# {datetime.date.today()} {platform.node()} {platform.processor() or platform.machine()}"
        f" torch {torch.__version__} device {device}; torch.set_num_threads({args.threads}):"
        f" {torch.get_num_threads()} thread(s), every side"
    )
    print(
        f"task {args.graph}, hidden {args.arch}, lr {args.lr}, batch {args.batch_size}, "
        f"{args.epochs} epochs, seed{'s' if cell else ''} {','.join(map(str, seeds))}; not timed: "
        f"start-up (imports) {startup:.2f} s, torch.optim first use {warm:.2f} s"
    )
    grid = f"{n_pu} unit-pruning + {n_pu * n_pe} edge-pruning lanes"
    profiler = cProfile.Profile() if args.profile else None

    # (b) each seed alone (the first one is today's per-trial figure), then with --seeds all
    # of them in one Search, the unit the workflow runs.
    alone = []
    for seed in seeds:
        search, results, took = run_batched(
            args.graph, [seed], exp, device, None if cell else profiler
        )
        describe_batched(
            f"(b) batched, seed {seed} alone, FULL GRID ({grid}, every lane of a stage in one "
            "program)",
            search,
            results,
            took,
        )
        alone.append((search, results, took))
    if cell:
        batched, results, ours_cell = run_batched(args.graph, seeds, exp, device, profiler)
        describe_batched(
            f"(b) batched CELL, seeds {','.join(map(str, seeds))} in ONE Search "
            f"({len(seeds)} x {grid}, all in one batch)",
            batched,
            results,
            ours_cell,
        )
        same = [same_networks(a[0].runs[0], r) for a, r in zip(alone, batched.runs, strict=True)]
        per_trial = summed([a[2] for a in alone])
        print(
            f"    cell vs seeds alone: CPU {ours_cell['cpu']:.2f} s vs {per_trial['cpu']:.2f} s "
            f"({ours_cell['cpu'] / per_trial['cpu']:.2f}x), wall {ours_cell['wall']:.2f} s vs "
            f"{per_trial['wall']:.2f} s; networks bitwise equal to the seeds' alone: {all(same)}"
        )
    else:
        batched, results, ours_cell = alone[0]
    if profiler:
        text = io.StringIO()
        pstats.Stats(profiler, stream=text).sort_stats("tottime").print_stats(12)
        print(text.getvalue())
    missed = [seed for seed, r in zip(seeds, results, strict=True) if not r.pruned]
    if missed:
        print(
            f"the batched dense network of seed(s) {missed} missed the threshold: nothing "
            "pruned, nothing compared"
        )
        return

    threshold = exp.pruning.accuracy_threshold
    a1: list[dict[str, float]] = []
    a1_equal: list[dict[str, float]] = []
    a2: list[dict[str, float]] = []
    data = graph_data([args.graph], exp.training.noise_std)
    x, y = data.val_x[0], data.val_y[0]  # the clean truth table
    for i, seed in enumerate(seeds):
        run = batched.runs[i]
        if conv_pus:
            conv = conventional.run_grid(
                x, y, exp.hidden, exp.training, seed, conv_pus, pe_values, threshold
            )
            a1.append(
                describe(
                    f"(a1) conventional, one network at a time, seed {seed}",
                    conv.clock,
                    conv_pus,
                    n_pu,
                    n_pe,
                )
            )
            sanity(conv, run, conv_pus, threshold)
            # a1's own random numbers give schedules of other lengths than the engine's, so
            # also compare at equal work: a1's seconds per (re)training times the engine's count.
            count = trainings(run, list(pu_values))
            a1_equal.append(
                {
                    k: sum(getattr(conv.clock, k).values()) / conv.retrainings * count
                    for k in ("wall", "cpu")
                }
            )
            print(f"    engine (re)trainings, full grid: {count}")
        if lane_pus:
            lane = engine_one_lane(exp, args.graph, seed, lane_pus, device, batched, i)
            a2.append(
                describe(
                    f"(a2) engine, one lane per batch, seed {seed}",
                    lane["clock"],
                    lane_pus,
                    n_pu,
                    n_pe,
                )
            )
            print(f"    a2 networks bitwise equal to the batched ones: {lane['same']}")

    first = alone[0][2]
    label = f"per trial, seed {seeds[0]}" if cell else "per trial"
    print(f"{label} (b: that seed alone in one Search):")
    for name, sides in (("a1 conventional", a1), ("a1 at equal work", a1_equal), ("a2", a2)):
        if sides:
            print("  " + ratio_line(name, sides[0], first))
    if cell:
        print(
            f"cell, seeds {','.join(map(str, seeds))} (a sides: sum over the seeds one after "
            f"the other; b: all {len(seeds)} seeds in ONE Search):"
        )
        for name, sides in (("a1 conventional", a1), ("a1 at equal work", a1_equal), ("a2", a2)):
            if sides:
                print("  " + ratio_line(f"{name}, summed", summed(sides), ours_cell))
        if a1:
            each = summed([a[2] for a in alone])
            print(
                "  "
                + ratio_line(
                    "a1 conventional, summed", summed(a1), each, "b, each seed alone, summed"
                )
            )


if __name__ == "__main__":
    main()
