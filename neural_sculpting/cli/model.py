"""`sculpt sculpt-model`: a researcher's own trained model, pruned and its modules detected.

    sculpt sculpt-model --model model.pt --data data.npz -o out/ [--pu 50 --pe 2.5]

The model file is TorchScript of an `nn.Sequential` of Linear and ReLU layers (optionally ending
in Sigmoid), or a `torch.save`d state_dict of one; the data a dataset file (x_train, y_train,
x_val, y_val; `sculpt check-data` says what it makes). The trial's files go to `-o`, with the
detection (modules.json, score.json in `detect/`) and a drawing (`network.png`). A model the
engine cannot take in, or one that does not fit the data, stops with one line (exit status 2)
before anything is written.
"""

from __future__ import annotations

import argparse
from pathlib import Path


def register(subparsers: argparse._SubParsersAction) -> None:
    """Add `sculpt-model` to the `sculpt` parser."""
    text = "prune a trained model of your own (Linear/ReLU nn.Sequential) and detect its modules"
    parser = subparsers.add_parser("sculpt-model", help=text, description=text)
    parser.add_argument("--model", required=True, type=Path, metavar="FILE.pt",
                        help="TorchScript of an nn.Sequential, or a state_dict")  # fmt: skip
    parser.add_argument("--data", required=True, type=Path, metavar="FILE.npz",
                        help="its dataset file: x_train, y_train, x_val, y_val")  # fmt: skip
    parser.add_argument(
        "--description",
        metavar="NAME|FILE.yaml",
        help="the task's description (its input groups and expected modules)",
    )
    parser.add_argument("-o", "--out-dir", required=True, type=Path, help="the trial's folder")
    parser.add_argument("--seed", type=int, default=0, help="the pruning's noise and data order")
    parser.add_argument("--pu", type=float, nargs="+", help="unit-pruning steps (%%): the grid's")
    parser.add_argument("--pe", type=float, nargs="+", help="edge-pruning steps (%%): the grid's")
    parser.add_argument("--lr", type=float, help="retraining's learning rate")
    parser.add_argument("--batch-size", type=int, help="retraining's batch size")
    parser.add_argument("--epochs", type=int, help="retraining's epochs per pruning round")
    parser.add_argument("--threshold", help='accuracy to keep: "dense" (the model\'s) or a percent')
    parser.add_argument("--device", default="cpu")
    parser.add_argument("--threads", type=int, default=1, help="torch threads (default 1)")
    parser.add_argument("--quiet", action="store_true", help="no progress lines")
    parser.set_defaults(handler=_sculpt_model)


def _sculpt_model(args: argparse.Namespace) -> int:
    import torch

    from neural_sculpting.analysis.trial import write_analysis
    from neural_sculpting.engine.data import dataset_data
    from neural_sculpting.engine.device import torch_threads
    from neural_sculpting.engine.search import Search
    from neural_sculpting.engine.settings import SearchSettings, SearchTrial
    from neural_sculpting.figures.trial_drawing import draw_trial
    from neural_sculpting.study.trial_settings import trial_settings
    from neural_sculpting.tasks.catalog import dataset_task
    from neural_sculpting.tasks.dataset_file import load_dataset_file
    from neural_sculpting.tasks.dataset_task import task_name_of_file
    from neural_sculpting.tasks.model_file import load_model_file

    # Everything is checked before the first file is written.
    network = load_model_file(args.model)
    arrays = load_dataset_file(args.data)
    task = dataset_task(task_name_of_file(args.data), args.description, arrays.n_inputs,
                        arrays.n_outputs)  # fmt: skip
    network.check_widths(arrays.n_inputs, arrays.n_outputs)
    chosen = trial_settings(
        "dataset",
        train={"lr": args.lr, "batch_size": args.batch_size, "epochs": args.epochs},
        mode="grid",
        pu=tuple(args.pu) if args.pu else None,
        pe=tuple(args.pe) if args.pe else None,
        accuracy_threshold=args.threshold,
        dense_must_reach_threshold=False,
    )
    settings = SearchSettings(network.hidden, chosen.train, chosen.pruning, chosen.search)
    data = dataset_data(task.name, arrays, task.class_groups)
    trial = SearchTrial(task.name, args.seed, args.out_dir, imported=network)
    with torch_threads(args.threads):
        Search([trial], settings, torch.device(args.device), data,
               show_progress=not args.quiet).run()  # fmt: skip
    analysis = args.out_dir / "detect"
    score = write_analysis(args.out_dir, analysis, task, chosen.detection)
    drawing = args.out_dir / "network.png"
    if score.trainable:
        draw_trial(args.out_dir, analysis, task, drawing, with_graph=False)
    print(
        f"{args.out_dir}: density {100 * score.density:.2f}%, {score.n_modules} hidden "
        f"module(s); {analysis}/modules.json" + (f", {drawing}" if score.trainable else "")
    )
    for line in score.detected or []:
        print(f"  {line}")
    return 0
