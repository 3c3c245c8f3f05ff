"""The study's compute floor: CPU-hours of its searches' arithmetic alone (a benchmark, not a test).

    .venv/bin/python benchmarks/compute_floor.py                      # 1 sampled trial each
    .venv/bin/python benchmarks/compute_floor.py --sample 2 --cells   # 2 each, and one cell batched
    .venv/bin/python benchmarks/compute_floor.py --experiments validation hierarchy
    .venv/bin/python benchmarks/compute_floor.py --config config/quickstart.yaml --cores 16
    .venv/bin/python benchmarks/compute_floor.py --repeats 3 --baseline ../engine-42e17cd

For every non-MNIST experiment of the config, this times the search (dense, unit and edge
pruning, selection: `Search.run()` in memory, no files) of `--sample` trials drawn with a fixed
random seed (`--seed`), one after the other in this one warm process on one thread
(`torch.set_num_threads(1)`), and multiplies the mean CPU seconds per trial by the
experiment's trial count. With `--repeats N` each sampled trial is timed N times and its least
CPU time kept, as engine_efficiency.py keeps the least of its repeats: on this project's VM one
timing of the same trial swings by up to a quarter from run to run, which the least of three
damps without favouring either engine. With `--cells` it also times the whole cell of the
first sampled trial (every seed of the same graph, architecture, training and search settings)
as ONE `Search`, the way the workflow runs a cell, and each of that cell's seeds in a Search of its
own: the ratio of the two (same work, batched / alone) is what batching the seeds saves, and
the "cells batched" floor is the plain floor times that ratio.

What the floor is: the arithmetic of the searches alone, measured as CPU time of one thread,
with no process start-up, imports, graph loading, stage files, Snakemake, module detection or
figures (imports and a small warm-up search run before anything is timed). It is the least a
run of the study can cost on this machine; a real run costs more. The wall-hours line assumes
perfect packing of that CPU time on `--cores` cores with nothing else running. MNIST
experiments are left out (they need the MNIST files and are another order of size).

Experiments share trials (same `Trial.key`, computed once by the workflow): the "new" column
counts the trials not already in an earlier experiment of the config, and the total is given
both as the sum of the experiments' floors and over unique trials.

`--baseline DIR` measures another checkout's engine too, in the same run and on the same sampled
trials (this script again, in a process whose `neural_sculpting` is DIR's), and prints both
floors side by side with their ratio, for example the engine before the written-out training
step: `git worktree add ../engine-42e17cd 42e17cd`, then `--baseline ../engine-42e17cd`.

Exit status 2 with one line for a missing config, a config that does not load, an unknown
experiment, or a baseline that is not a checkout of the project.
"""

from __future__ import annotations

import argparse
import dataclasses
import datetime
import json
import os
import platform
import random
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import torch
import yaml

# Through engine.search, which imports them: so the script also runs a checkout older than
# engine/settings.py (--baseline).
from neural_sculpting.engine.search import Search, SearchSettings, SearchTrial
from neural_sculpting.study.experiments import Experiment, load_study
from neural_sculpting.study.hparams import SearchHparams
from neural_sculpting.study.trial import Trial


@dataclass(frozen=True)
class Timing:
    """CPU and wall seconds of one Search over `n` trials."""

    cpu: float
    wall: float
    n: int

    @property
    def cpu_per_trial(self) -> float:
        return self.cpu / self.n

    @property
    def wall_per_trial(self) -> float:
        return self.wall / self.n


@dataclass(frozen=True)
class Row:
    """One experiment's measurements."""

    experiment: Experiment
    new_trials: int
    sampled: tuple[Trial, ...]
    alone: tuple[Timing, ...]
    cell: Timing | None  # the first sampled trial's cell, its seeds in one Search
    cell_alone: Timing | None  # the same seeds, each in a Search of its own, summed

    @property
    def cpu_per_trial(self) -> float:
        return statistics.mean(t.cpu_per_trial for t in self.alone)

    @property
    def wall_per_trial(self) -> float:
        return statistics.mean(t.wall_per_trial for t in self.alone)

    @property
    def batching(self) -> float:
        """CPU of the cell in one Search / CPU of its seeds one Search each (same work)."""
        if self.cell is None or self.cell_alone is None:
            return 1.0
        return self.cell.cpu / self.cell_alone.cpu

    def floor_hours(self, trials: int, batched: bool = False) -> float:
        """The floor of `trials` trials; `batched` scales it by the measured cell batching."""
        factor = self.batching if batched else 1.0
        return self.cpu_per_trial * factor * trials / 3600


def fail(message: str) -> None:
    """One line on stderr, exit status 2."""
    print(f"compute_floor: {message}", file=sys.stderr)
    raise SystemExit(2)


def load(path: Path, names: Sequence[str] | None) -> dict[str, Experiment]:
    """The config's experiments (all, or those named), MNIST ones left out."""
    if not path.is_file():
        fail(f"config not found: {path}")
    try:
        study = load_study(yaml.safe_load(path.read_text()))
    except (ValueError, yaml.YAMLError) as exc:  # ConfigError is a ValueError
        fail(f"{path}: {str(exc).splitlines()[0]}")
    if names:
        unknown = [n for n in names if n not in study]
        if unknown:
            fail(f"unknown experiment(s) {', '.join(unknown)}; known: {', '.join(study)}")
        study = {n: study[n] for n in names}
    return study


def new_trial_counts(study: dict[str, Experiment]) -> dict[str, int]:
    """Per experiment, its trials not already in an earlier experiment (in config order)."""
    seen: set[str] = set()
    counts = {}
    for name, experiment in study.items():
        keys = {t.key for t in experiment.trials}
        counts[name] = len(keys - seen)
        seen |= keys
    return counts


def sample(experiment: Experiment, k: int, seed: int) -> tuple[Trial, ...]:
    """k trials of the experiment, drawn by a generator seeded by (seed, experiment name), so an
    experiment's sample does not depend on which others are run."""
    rng = random.Random(f"{seed}:{experiment.name}")
    return tuple(rng.sample(experiment.trials, min(k, len(experiment.trials))))


def cell_of(trial: Trial, experiment: Experiment) -> tuple[Trial, ...]:
    """Every seed of the trial's cell: same graph, architecture, training and search key."""

    def cell(t: Trial) -> tuple[str, ...]:
        return (t.graph, t.arch, t.train_key, t.search_key)

    return tuple(
        sorted((t for t in experiment.trials if cell(t) == cell(trial)), key=lambda t: t.seed)
    )


def time_search(batch: Sequence[Trial]) -> Timing:
    """CPU and wall seconds of one in-memory Search over these trials (one batch)."""
    search = Search(
        [SearchTrial(t.graph, t.seed, None) for t in batch], SearchSettings.of_trial(batch[0])
    )
    wall, cpu = time.perf_counter(), time.process_time()
    search.run()
    return Timing(time.process_time() - cpu, time.perf_counter() - wall, len(batch))


def warm_up(trial: Trial) -> float:
    """A small untimed search (one epoch, one (Pu, Pe) lane) so that lazy imports and first-use
    costs are paid before anything is timed; returns its wall seconds."""
    small = dataclasses.replace(
        trial,
        train=dataclasses.replace(trial.train, epochs=1),
        search=SearchHparams("grid", (50.0,), (2.0,)),
    )
    return time_search([small]).wall


def time_alone(experiment: Experiment, trial: Trial, repeats: int = 1) -> Timing:
    """One trial in a Search of its own, `repeats` times: the timing of least CPU, printed with
    every repeat's CPU seconds as it ends."""
    timings = [time_search([trial]) for _ in range(repeats)]
    timing = min(timings, key=lambda t: t.cpu)
    each = f" (least of {', '.join(f'{t.cpu:.2f}' for t in timings)})" if repeats > 1 else ""
    print(
        f"  {experiment.name}: {trial.key} alone: CPU {timing.cpu:.2f} s{each}, "
        f"wall {timing.wall:.2f} s",
        flush=True,
    )
    return timing


def measure(
    experiment: Experiment, new_trials: int, k: int, seed: int, cells: bool, repeats: int = 1
) -> Row:
    """Time the sampled trials alone (each `repeats` times, the least kept); with `cells` also
    the first one's whole cell in one Search, and each of that cell's other seeds alone (so the
    batching is compared on the same work)."""
    sampled = sample(experiment, k, seed)
    alone = [time_alone(experiment, trial, repeats) for trial in sampled]
    if not cells:
        return Row(experiment, new_trials, sampled, tuple(alone), None, None)
    members = cell_of(sampled[0], experiment)
    each = [alone[0] if m == sampled[0] else time_alone(experiment, m) for m in members]
    cell_alone = Timing(sum(t.cpu for t in each), sum(t.wall for t in each), len(each))
    cell = time_search(members)
    print(
        f"  {experiment.name}: cell of {sampled[0].key} ({len(members)} seeds "
        f"{','.join(str(t.seed) for t in members)}) in one Search: CPU {cell.cpu:.2f} s "
        f"({cell.cpu_per_trial:.2f} s per trial), wall {cell.wall:.2f} s; the same seeds "
        f"alone: CPU {cell_alone.cpu:.2f} s, wall {cell_alone.wall:.2f} s; batched / alone "
        f"CPU {cell.cpu / cell_alone.cpu:.2f}x",
        flush=True,
    )
    return Row(experiment, new_trials, sampled, tuple(alone), cell, cell_alone)


def table(rows: Sequence[Row], cells: bool) -> list[str]:
    """The markdown table, one line per experiment."""
    head = ["experiment", "trials", "new", "mode", "sampled trial(s)", "CPU s/trial alone"]
    if cells:
        head += [
            "cell CPU s/trial: batched / alone (seeds)",
            "floor CPU-h",
            "floor CPU-h, cells batched",
        ]
    else:
        head += ["floor CPU-h"]
    lines = ["| " + " | ".join(head) + " |", "|" + "---|" * len(head)]
    for row in rows:
        e = row.experiment
        cells_text = [
            e.name,
            str(len(e.trials)),
            str(row.new_trials),
            e.trials[0].search.mode,
            "<br>".join(t.key for t in row.sampled),
            f"{row.cpu_per_trial:.3g}",
        ]
        if cells and row.cell and row.cell_alone:
            cells_text += [
                f"{row.cell.cpu_per_trial:.3g} / {row.cell_alone.cpu_per_trial:.3g} "
                f"({row.cell.n}): {row.batching:.2f}x",
                f"{row.floor_hours(len(e.trials)):.3g}",
                f"{row.floor_hours(len(e.trials), batched=True):.3g}",
            ]
        else:
            cells_text += [f"{row.floor_hours(len(e.trials)):.3g}"]
        lines.append("| " + " | ".join(cells_text) + " |")
    return lines


def totals(rows: Sequence[Row], cores: int, cells: bool) -> list[str]:
    """Total floor lines: sum of the experiments' floors and over unique trials."""
    lines = []
    variants = [("trials alone", False)] + ([("cells batched", True)] if cells else [])
    for label, batched in variants:
        summed = sum(r.floor_hours(len(r.experiment.trials), batched) for r in rows)
        unique = sum(r.floor_hours(r.new_trials, batched) for r in rows)
        lines.append(
            f"total floor ({label}): {summed:.2f} CPU-hours summed over experiments, "
            f"{unique:.2f} CPU-hours over unique trials; on {cores} core(s) with perfect "
            f"packing {summed / cores:.2f} / {unique / cores:.2f} wall hours"
        )
    return lines


def parse(argv: Sequence[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--config", type=Path, default=Path("config/config.yaml"))
    parser.add_argument("--sample", type=int, default=1, help="trials timed per experiment")
    parser.add_argument("--seed", type=int, default=0, help="seed of the trial sampling")
    parser.add_argument(
        "--repeats", type=int, default=1, help="times each sampled trial is timed (least kept)"
    )
    parser.add_argument("--cells", action="store_true", help="also time one whole cell batched")
    parser.add_argument("--cores", type=int, default=2, help="cores for the wall-hours line")
    parser.add_argument("--experiments", nargs="+", metavar="NAME", help="only these")
    parser.add_argument("--baseline", type=Path, metavar="DIR", help="another checkout to compare")
    parser.add_argument("--json", type=Path, help=argparse.SUPPRESS)  # the baseline's answer
    args = parser.parse_args(argv)
    if args.sample < 1 or args.cores < 1 or args.repeats < 1:
        parser.error("--sample, --cores and --repeats must be at least 1")
    return args


def main(argv: Sequence[str] | None = None) -> int:
    args = parse(argv)
    study = load(args.config, args.experiments)
    new = new_trial_counts(study)
    # The Boolean study's floor: MNIST and dataset-file experiments are timed by their own runs.
    boolean = {n: e for n, e in study.items() if e.task == "boolean"}
    skipped = [n for n, e in study.items() if e.task != "boolean"]
    if not boolean:
        fail("no Boolean experiment to time")
    torch.set_num_threads(1)
    started_wall, started_cpu = time.perf_counter(), time.process_time()
    warm = warm_up(next(iter(boolean.values())).trials[0])
    print(
        f"# compute floor, {datetime.date.today()}; {platform.platform()}, "
        f"{platform.processor() or platform.machine()}, os.cpu_count() {os.cpu_count()}; "
        f"torch {torch.__version__}, {torch.get_num_threads()} thread; config {args.config}; "
        f"--sample {args.sample} --repeats {args.repeats} --seed {args.seed}"
        f"{' --cells' if args.cells else ''}"
    )
    print(f"untimed warm-up search: {warm:.2f} s wall", flush=True)
    rows = [
        measure(e, new[n], args.sample, args.seed, args.cells, args.repeats)
        for n, e in boolean.items()
    ]
    print()
    print("\n".join(table(rows, args.cells)))
    print()
    print("\n".join(totals(rows, args.cores, args.cells)))
    if skipped:
        print(f"left out (MNIST): {', '.join(skipped)}")
    print(
        f"this measurement: {time.process_time() - started_cpu:.0f} s CPU, "
        f"{time.perf_counter() - started_wall:.0f} s wall"
    )
    floors = {
        row.experiment.name: [
            row.floor_hours(len(row.experiment.trials), batched=args.cells),
            row.floor_hours(row.new_trials, batched=args.cells),
        ]
        for row in rows
    }
    if args.json is not None:
        import neural_sculpting

        args.json.write_text(json.dumps({"library": neural_sculpting.__file__, "floors": floors}))
    if args.baseline is not None:
        side_by_side(floors, baseline_floors(args, argv), args.baseline, args.cells)
    return 0


def baseline_floors(args: argparse.Namespace, argv: Sequence[str] | None) -> dict[str, list]:
    """The same measurement by the baseline checkout's library, in a process of its own."""
    root = args.baseline.resolve()
    if not (root / "neural_sculpting" / "engine").is_dir():
        fail(f"--baseline {args.baseline}: not a checkout of this project")
    words = list(sys.argv[1:] if argv is None else argv)
    at = words.index("--baseline")
    words = words[:at] + words[at + 2 :]
    with tempfile.TemporaryDirectory() as tmp:
        out = Path(tmp) / "floors.json"
        env = {**os.environ, "PYTHONPATH": str(root)}
        print(f"\n# baseline: {root}", flush=True)
        subprocess.run([sys.executable, __file__, *words, "--json", str(out)], env=env, check=True)
        answer = json.loads(out.read_text())
    if not Path(answer["library"]).resolve().is_relative_to(root):
        fail(f"--baseline {args.baseline}: its process imported {answer['library']}")
    return answer["floors"]


def side_by_side(ours: dict, theirs: dict, baseline: Path, cells: bool) -> None:
    kind = "cells batched" if cells else "trials alone"
    print(f"\n## floors ({kind}), CPU-hours: the baseline ({baseline}) and this checkout\n")
    print("| experiment | baseline | this | this / baseline |")
    print("|---|---|---|---|")
    for name in ours:
        b, t = theirs[name][0], ours[name][0]
        print(f"| {name} | {b:.3g} | {t:.3g} | {t / b:.2f} |")
    b = sum(v[1] for v in theirs.values())
    t = sum(v[1] for v in ours.values())
    print(f"| all (unique trials) | {b:.3g} | {t:.3g} | {t / b:.2f} |")


if __name__ == "__main__":
    sys.exit(main())
