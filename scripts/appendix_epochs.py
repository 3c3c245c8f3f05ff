"""Choose the epochs of every (graph, depth, lr, batch size) of Tables 2 and 3 and write them to
`config/appendix_epochs.csv`, which `scripts/generate_config.py` reads.

    .venv/bin/python scripts/appendix_epochs.py             # all 4 graphs x 3 depths x lr x batch
    .venv/bin/python scripts/appendix_epochs.py --check [--graphs G ...]  # exit 1 if it differs

Per setting, the four seeds' dense networks train for 120 epochs as lanes of one batch, exactly as a
trial's dense stage trains them; the epochs are the fewest at which all four have reached 100%
validation accuracy, or empty (untrainable, the paper's X); `engine/dense_epochs.py` says why
one run of 120 epochs tells every number of epochs at once.
"""

from __future__ import annotations

import argparse
import csv
import io
import sys
import time
from pathlib import Path

import torch

from neural_sculpting.engine.dense_epochs import MAX_EPOCHS, choose_epochs
from neural_sculpting.foundations import atomic, paths
from neural_sculpting.study import lr_batch
from neural_sculpting.study.defaults import DEFAULTS


def table_text(graphs: list[str], max_epochs: int) -> str:
    base = DEFAULTS["boolean"].train
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(lr_batch.EPOCHS_COLUMNS)
    for graph in graphs:
        started = time.perf_counter()
        panel = lr_batch.panel(graph)
        for depth in lr_batch.DEPTHS:
            for lr in lr_batch.LRS:
                for batch in panel.batch_sizes:
                    train = type(base)(
                        lr=lr,
                        batch_size=batch,
                        epochs=max_epochs,
                        weight_decay=base.weight_decay,
                        noise_std=base.noise_std,
                    )
                    hidden = (lr_batch.WIDTH,) * depth
                    choice = choose_epochs(
                        graph, hidden, lr_batch.SEEDS, train, max_epochs=max_epochs
                    )
                    firsts = " ".join(
                        "-" if e is None else str(e) for e in choice.first_epoch_per_seed
                    )
                    epochs = "" if choice.epochs is None else str(choice.epochs)
                    writer.writerow([graph, depth, lr, batch, epochs, firsts])
        print(f"{graph}: {time.perf_counter() - started:.0f} s", file=sys.stderr, flush=True)
    return out.getvalue()


def checked(row: str) -> str:
    """What --check compares of a row: all of it for a trainable setting; for an untrainable
    one (no epochs), that it is untrainable. Its per-seed first epochs are then diagnostics
    only, and past 80 epochs of training they can differ from one machine's floating point to
    another's: two seeds' first epochs at 100% were never and 85 on one machine, 81 and 120 on
    another, where the autograd engine (42e17cd) gives the same as this one."""
    graph, depth, lr, batch, epochs, _ = row.split(",")
    return row if epochs else ",".join((graph, depth, lr, batch, "untrainable"))


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--check", action="store_true", help="compare with the committed file")
    parser.add_argument("--graphs", nargs="+", default=[p.graph for p in lr_batch.PANELS])
    parser.add_argument("--max-epochs", type=int, default=MAX_EPOCHS)
    parser.add_argument("-o", "--output", type=Path, default=paths.appendix_epochs_csv())
    args = parser.parse_args(argv)
    torch.set_num_threads(1)
    text = table_text(args.graphs, args.max_epochs)
    if args.check:  # the committed rows of the graphs asked for
        wanted = tuple(f"{graph}," for graph in args.graphs)
        committed = [line for line in args.output.read_text().splitlines()[1:]
                     if line.startswith(wanted)]  # fmt: skip
        differing = [
            f"{a} (computed: {b})"
            for a, b in zip(committed, text.splitlines()[1:], strict=False)
            if checked(a) != checked(b)
        ]
        if differing or len(committed) != len(text.splitlines()[1:]):
            print(f"{args.output} differs from what the script computes: "
                  f"{'; '.join(differing) or 'other rows'}", file=sys.stderr)  # fmt: skip
            return 1
        print(f"{args.output}: the rows of {', '.join(args.graphs)} are up to date")
        return 0
    atomic.write_text(args.output, text)
    print(f"wrote {args.output}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
