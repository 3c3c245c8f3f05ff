"""Edge pruning's walk against network width, exact and bounded (a benchmark, not a test).

    .venv/bin/python benchmarks/walk_scaling.py                              # 64 and 128
    .venv/bin/python benchmarks/walk_scaling.py --widths 64 128 256 --floors none 0.05
    .venv/bin/python benchmarks/walk_scaling.py --pu 50 --pe 2.5 --depth 2 --seed 0

Under the authors' rule a rejected edge-pruning step halves down to one weight, and the run ends
only when a one-weight step fails, so it ends walking one weight a round: the rounds grow with
the weight count. `edge_min_step` (config key, percent of the weights) stops the halving
earlier. For each width and each floor (`none` is the authors' rule) this runs one trial of the
digits two-digit task (`tasks/digits.py`, built in memory: scikit-learn's 8x8 digits side by
side, 128 inputs, 20 outputs) at one (Pu, Pe), with the dataset tasks' training defaults, on
one thread, and prints the edge stage's rounds and CPU seconds, the whole search's CPU seconds,
the final density and validation accuracy (per class). The dense and unit stages are the same
for every floor of a width; they run once and are reused.
"""

from __future__ import annotations

import argparse
import dataclasses
import datetime
import sys
import tempfile
import time
from collections.abc import Sequence
from pathlib import Path

import torch

from neural_sculpting.engine.data import dataset_data

# Through engine.search, which imports them: so the script also runs a checkout older than
# engine/settings.py (--baseline).
from neural_sculpting.engine.search import Search, SearchSettings, SearchTrial
from neural_sculpting.study.defaults import DEFAULTS
from neural_sculpting.study.hparams import SearchHparams
from neural_sculpting.tasks.dataset_file import check_arrays
from neural_sculpting.tasks.digits import build_digits


def floor_value(text: str) -> float | None:
    if text == "none":
        return None
    value = float(text)
    if not 0 < value < 100:
        raise argparse.ArgumentTypeError(f"a floor is none or a percent in (0, 100), got {text}")
    return value


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--widths", type=int, nargs="+", default=[64, 128])
    parser.add_argument("--floors", type=floor_value, nargs="+", default=[None, 0.05])
    parser.add_argument("--depth", type=int, default=2, help="hidden layers (default 2)")
    parser.add_argument("--pu", type=float, default=50.0)
    parser.add_argument("--pe", type=float, default=2.5)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--composites", type=int, default=100, help="per digit pair (100)")
    args = parser.parse_args(argv)
    if min(args.widths) < 1 or args.depth < 1:
        print("walk_scaling: widths and depth must be positive", file=sys.stderr)
        return 2
    torch.set_num_threads(1)
    arrays = check_arrays(
        {k: v for k, v in build_digits(args.composites).items() if k.startswith(("x_", "y_"))}
    )
    data = dataset_data("digits_two_digits", arrays)
    defaults = DEFAULTS["dataset"]
    print(f"# {datetime.date.today()}, torch {torch.__version__}, one thread; digits task, "
          f"{arrays.x_train.shape[0]} training rows, Pu {args.pu:g}, Pe {args.pe:g}, "
          f"seed {args.seed}, {defaults.train}")  # fmt: skip
    print("| width | edge_min_step | weights | edge rounds | edge CPU s | search CPU s | density "
          "| val accuracy |")  # fmt: skip
    print("|---|---|---|---|---|---|---|---|")
    for width in args.widths:
        with tempfile.TemporaryDirectory() as tmp:
            stages_before = None  # CPU s of the dense and unit stages, shared by the floors
            for floor in args.floors:
                settings = SearchSettings(
                    hidden=(width,) * args.depth,
                    training=defaults.train,
                    pruning=dataclasses.replace(
                        defaults.pruning, edge_min_step=floor, accuracy_threshold=None
                    ),
                    search=SearchHparams("grid", (args.pu,), (args.pe,)),
                )
                trial = SearchTrial("digits_two_digits", args.seed, Path(tmp))
                search = Search([trial], settings, data=data)
                cpu = time.process_time()
                search.run(until="units")
                before_edges = time.process_time()
                # Later floors load the dense and unit stages from the trial's files.
                stages_before = stages_before or before_edges - cpu
                (result,) = search.run()
                edge_cpu = time.process_time() - before_edges
                lanes = search.runs[0].edge_lanes
                rounds = sum(lane["rounds"] for lane in lanes)
                floor_text = "one weight" if floor is None else f"{floor:g}%"
                n_weights = search.runs[0].edges.n_weights if search.runs[0].edges else 0
                total = stages_before + edge_cpu
                print(f"| {width} | {floor_text} | {n_weights} | {rounds} | {edge_cpu:.0f} | "
                      f"{total:.0f} | {100 * result.density:.2f}% | {result.val_accuracy:.2f}% |",
                      flush=True)  # fmt: skip
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
