"""One full 14 x 5 grid trial end to end through the workflow, from an empty folder (not a test).

    .venv/bin/python benchmarks/bench_trial_e2e.py            # 3 runs, prints each and the median
    .venv/bin/python benchmarks/bench_trial_e2e.py --runs 5 --cores 2

The trial: input_separable, 4-24-24-4, lr 0.05, batch 8, 10 epochs (the paper's setting), seed 0,
the full grid (14 Pu x 5 Pe). Each run writes a config holding just that trial into a fresh
temporary folder and times `snakemake all --cores N` there: Snakemake's start-up and DAG, the truth
table and the function-graph files, the search, the detection, the trials table, its figure and
the drawing. The jobs' own times come from their benchmark files (`scripts/time_report.py`).
"""

from __future__ import annotations

import argparse
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
CONFIG = """experiments:
  one_trial:
    graphs: [input_separable]
    widths: [24]
    depths: [2]
    seeds: [0]
    mode: grid
    train: {lr: 0.05, batch_size: 8, epochs: 10}
"""


def run_once(cores: int) -> tuple[float, str]:
    """Wall seconds of one run from an empty folder, and its time report."""
    with tempfile.TemporaryDirectory(prefix="bench_e2e_") as tmp:
        folder = Path(tmp)
        (folder / "one_trial.yaml").write_text(CONFIG)
        command = [
            str(Path(sys.executable).parent / "snakemake"), "all", "--cores", str(cores),
            "-s", str(ROOT / "Snakefile"), "-d", str(folder), "--quiet",
            "--configfile", str(folder / "one_trial.yaml"),
        ]  # fmt: skip
        started = time.perf_counter()
        done = subprocess.run(command, cwd=folder, capture_output=True, text=True)
        wall = time.perf_counter() - started
        if done.returncode != 0:
            sys.exit(f"snakemake failed:\n{done.stdout[-2000:]}{done.stderr[-2000:]}")
        report = subprocess.run(
            [sys.executable, str(ROOT / "scripts" / "time_report.py"), str(folder / "results")],
            capture_output=True,
            text=True,
        ).stdout
        return wall, report


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--cores", type=int, default=2)
    parser.add_argument("--report", action="store_true", help="print each run's time report")
    args = parser.parse_args(argv)
    walls = []
    for i in range(args.runs):
        wall, report = run_once(args.cores)
        walls.append(wall)
        print(f"run {i + 1}: {wall:.2f} s wall", flush=True)
        if args.report:
            print(report)
    print(f"median of {args.runs} runs: {statistics.median(walls):.2f} s wall, {args.cores} cores")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
