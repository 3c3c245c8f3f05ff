"""Time one full 14 x 5 grid trial lane by lane and batched (issue 3's benchmark; not a test).

    .venv/bin/python benchmarks/bench_grid.py                       # reused, 4-24-24-16, 40 epochs
    .venv/bin/python benchmarks/bench_grid.py --graph input_separable --arch 24-24 --lr 0.05 \
        --epochs 10 --subset all
    .venv/bin/python benchmarks/bench_grid.py --profile             # where the batched time goes

Batched: the whole grid (dense, 14 unit-pruning lanes, 14 edge starts, 70 edge-pruning lanes) as
the engine runs it. Lane by lane: the same networks, each lane in its own batch of one; for the
Pu values of `--subset` only (say `all` for the full grid), scaled to 14 Pu values to estimate the
full lane-by-lane time. Every lane-by-lane network is checked to be bitwise the batched one.
"""

from __future__ import annotations

import argparse
import cProfile
import datetime
import io
import platform
import pstats
import time

T0 = time.perf_counter()

import torch  # noqa: E402

from neural_sculpting.data import LaneData, graph_data  # noqa: E402
from neural_sculpting.edge_pruning import edge_schedules, prune_edges  # noqa: E402
from neural_sculpting.hparams import SearchHparams, TrainingHparams  # noqa: E402
from neural_sculpting.masked_mlp import LaneMLP, parse_arch  # noqa: E402
from neural_sculpting.search import Experiment, Search, Trial, resolve_device  # noqa: E402
from neural_sculpting.training import train_lanes  # noqa: E402
from neural_sculpting.unit_pruning import prune_units, unit_schedules  # noqa: E402


def lane_by_lane(exp: Experiment, graph: str, seed: int, pus, device, batched: Search) -> dict:
    """Each lane alone; returns times and whether every network equals the batched one."""
    data = graph_data([graph], exp.training.noise_std)
    one = LaneData(data, [0], device)
    widths = batched.widths
    hp, threshold = exp.training, exp.pruning.accuracy_threshold
    times = {"dense": 0.0, "units": 0.0, "edges": 0.0}
    started = time.perf_counter()
    dense = LaneMLP.initialise(widths, [(seed, "init")], device)
    acc = float(train_lanes(dense, one, hp, [(seed, "dense")]).accuracy[0])
    times["dense"] = time.perf_counter() - started
    run = batched.runs[0]
    same = True
    for pu in pus:
        started = time.perf_counter()
        unit = prune_units(
            dense.clone(),
            one,
            hp,
            threshold,
            unit_schedules([(seed, pu)], [pu], dense.n_hidden_units, [acc]),
        )
        times["units"] += time.perf_counter() - started
        i = run.pu.index(pu)
        same &= all(
            torch.equal(a, b)
            for a, b in zip(unit.masks(), run.units.select([i]).masks(), strict=True)
        )
        started = time.perf_counter()
        start_acc = float(train_lanes(unit, one, hp, [(seed, pu, "edge-start")]).accuracy[0])
        for pe in run.pe:
            lanes = edge_schedules([(seed, pu, pe)], [pe], unit, [start_acc])
            edges = prune_edges(unit.clone(), one, hp, threshold, lanes)
            j = i * len(run.pe) + run.pe.index(pe)
            same &= all(
                torch.equal(a, b)
                for a, b in zip(edges.masks(), run.edges.select([j]).masks(), strict=True)
            )
        times["edges"] += time.perf_counter() - started
    return {"times": times, "same": same}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--graph", default="reused")
    parser.add_argument("--arch", default="24-24", help="hidden widths")
    parser.add_argument("--lr", type=float, default=0.1)
    parser.add_argument("--batch-size", type=int, default=8)
    parser.add_argument("--epochs", type=int, default=40)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--threads", type=int, default=1)
    parser.add_argument("--device", default="cpu", choices=("auto", "cpu", "cuda"))
    parser.add_argument(
        "--subset",
        default="5,35,70",
        help="Pu values timed lane by lane (comma list, or 'all' / 'none')",
    )
    parser.add_argument("--profile", action="store_true", help="cProfile the batched run")
    args = parser.parse_args()
    torch.set_num_threads(args.threads)
    device = resolve_device(args.device)
    exp = Experiment(
        parse_arch(args.arch),
        TrainingHparams(args.lr, args.batch_size, args.epochs),
        search=SearchHparams(),
    )
    startup = time.perf_counter() - T0
    print(
        f"# {datetime.date.today()} {platform.node()} {platform.processor() or platform.machine()}"
        f" torch {torch.__version__} device {device} threads {torch.get_num_threads()}"
    )
    print(
        f"task {args.graph}, hidden {args.arch}, lr {args.lr}, batch {args.batch_size}, "
        f"{args.epochs} epochs, seed {args.seed}; start-up (imports) {startup:.2f} s"
    )

    batched = Search([Trial(args.graph, args.seed)], exp, device)
    profiler = cProfile.Profile() if args.profile else None
    started = time.perf_counter()
    if profiler:
        profiler.enable()
    result = batched.run()[0]
    if profiler:
        profiler.disable()
    batched_s = time.perf_counter() - started
    stages = ", ".join(f"{k} {v:.2f} s" for k, v in batched.stage_seconds.items())
    print(
        f"batched grid ({len(exp.search.pu_values)} x {len(exp.search.pe_values)}): "
        f"{batched_s:.2f} s ({stages})"
    )
    print(
        f"  selected: {result['chosen']}, density {result['density']}, "
        f"val accuracy {result['val_accuracy']}"
    )
    if profiler:
        text = io.StringIO()
        pstats.Stats(profiler, stream=text).sort_stats("tottime").print_stats(12)
        print(text.getvalue())

    if args.subset == "none" or not result["pruned"]:
        return
    pus = (
        list(exp.search.pu_values)
        if args.subset == "all"
        else [float(p) for p in args.subset.split(",")]
    )
    lbl = lane_by_lane(exp, args.graph, args.seed, pus, device, batched)
    t = lbl["times"]
    measured = sum(t.values())
    scale = len(exp.search.pu_values) / len(pus)
    full = t["dense"] + scale * (t["units"] + t["edges"])
    kind = "full grid" if scale == 1 else f"SUBSET Pu {pus} ({len(pus) * 5 + len(pus)} lanes)"
    print(
        f"lane by lane, {kind}: {measured:.2f} s (dense {t['dense']:.2f} s, units "
        f"{t['units']:.2f} s, edges {t['edges']:.2f} s)"
    )
    if scale != 1:
        print(
            f"  estimated full lane-by-lane grid (units and edges scaled x{scale:.2f}): "
            f"{full:.2f} s"
        )
    print(f"  lane-by-lane networks bitwise equal to the batched ones: {lbl['same']}")
    print(f"ratio lane-by-lane / batched: {full / batched_s:.1f}x")


if __name__ == "__main__":
    main()
