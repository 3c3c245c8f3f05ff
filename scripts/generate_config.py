"""Write `config/config.yaml` (the paper's full study, Boolean and MNIST) and
`config/paper_choices.csv` from the published per-trial settings `paper_hparams.csv`, and the
learning-rate x batch-size sweeps of Tables 2 and 3 from `config/appendix_epochs.csv`
(`scripts/appendix_epochs.py`).

    python scripts/generate_config.py [--hparams ../shared/reference/paper_hparams.csv]
    python scripts/generate_config.py --check     # exit 1 if the committed files differ

Each experiment lists its graphs, architectures and seeds; the training settings the authors used
for each (graph, architecture) become `overrides` entries. `paper_choices.csv` keeps the (Pu, Pe)
pair the authors picked per trial (the first, where the file lists two), which `mode: paper` uses.
"""

from __future__ import annotations

import argparse
import io
import sys
from collections import Counter
from pathlib import Path

import pandas as pd

from neural_sculpting.study import lr_batch

ROOT = Path(__file__).resolve().parents[1]
DEFAULT_HPARAMS = ROOT.parent / "shared" / "reference" / "paper_hparams.csv"
USES = (1, 2, 4, 6, 8)


MNIST_TASKS = {
    "classifying_2_digits": "mnist_two_digits",
    "hierarchical_task": "mnist_hierarchical",
}
# Where MNIST/raw/ is, relative to the working directory (a checkout beside ../shared).
MNIST_ROOT = "../shared/data"


def graph_name(script: str, arch: list[int]) -> str | None:
    """The project's task name for a row of paper_hparams.csv: a graph, or an MNIST task."""
    family, _, task = script.partition("/")
    if family == "MNIST":
        return MNIST_TASKS.get(task)
    if family == "exemplars":
        return {"input_separable_reused": "separable_reused"}.get(task, task)
    if family == "non_separable_increasing_use":
        return f"reused_{task.replace('_', '')}"  # use_1 -> reused_use1
    if family == "input_overlap_exp":
        _, overlap, _, use = task.split("_")
        return f"overlap{overlap}_use{use}"
    if family == "increasing_hierarchical_levels":
        return f"hierarchy_use{arch[-1] // 2}"
    return None


def load_trials(hparams: Path) -> pd.DataFrame:
    table = pd.read_csv(hparams)
    table["arch_list"] = table["arch"].str.split().map(lambda a: [int(v) for v in a])
    table["graph"] = [graph_name(s, a) for s, a in zip(table.script, table.arch_list, strict=True)]
    table = table[table.graph.notna()].copy()
    table["hidden"] = table.arch_list.map(lambda a: tuple(a[1:-1]))
    # 13 overlap-3 trials are listed twice with different (Pu, Pe): keep the first.
    return table.drop_duplicates(["graph", "hidden", "seed"], keep="first")


def fmt_number(value: float) -> str:
    return str(int(value)) if float(value).is_integer() else repr(float(value))


def experiment_yaml(name: str, comment: str, rows: pd.DataFrame, body: list[str]) -> list[str]:
    """One experiment: its selection lines (`body`) and the authors' settings as overrides."""
    settings = rows.groupby(["graph", "hidden"])[["lr", "batch_size", "epochs"]].first()
    # The most common setting is the experiment's default; the others become overrides.
    common = Counter(map(tuple, settings.itertuples(index=False))).most_common(1)[0][0]
    body = [*body, "dense_must_reach_threshold: false"]
    lines = [f"  # {comment}", f"  {name}:", *[f"    {line}" for line in body]]
    lines.append(
        f"    train: {{lr: {fmt_number(common[0])}, batch_size: {int(common[1])}, "
        f"epochs: {int(common[2])}}}"
    )
    overrides = []
    for (graph, hidden), (lr, batch, epochs) in settings.iterrows():
        if (lr, batch, epochs) == common:
            continue
        arch = ", ".join(map(str, hidden))
        # An MNIST experiment has one task, so its overrides select by architecture alone.
        selector = "" if graph.startswith("mnist_") else f"graphs: [{graph}], "
        overrides.append(
            f"      - {{{selector}archs: [[{arch}]], train: {{lr: {fmt_number(lr)}, "
            f"batch_size: {int(batch)}, epochs: {int(epochs)}}}}}"
        )
    if overrides:
        lines.append("    overrides:")
        lines += overrides
    return lines


def render_config(trials: pd.DataFrame) -> str:
    def rows(graphs, hidden_filter=lambda h: True):
        picked = trials[trials.graph.isin(graphs) & trials.hidden.map(hidden_filter)]
        assert len(picked), graphs
        return picked

    validation = ["input_separable", "reused", "separable_reused", "non_modular"]
    reuse = [f"reused_use{u}" for u in USES if u != 8] + ["reused"]
    overlap = [f"overlap{k}_use{u}" for k in range(5) for u in USES]
    hierarchy = [f"hierarchy_use{u}" for u in USES]
    standard = lambda h: h[0] in (24, 36, 48)  # noqa: E731
    narrow_reused = lambda h: len(h) == 2 and h[0] in (8, 12, 16, 20)  # noqa: E731
    structural = lambda h: h[0] in (24, 36, 48) or narrow_reused(h)  # noqa: E731

    def graphs_line(names):
        return f"graphs: [{', '.join(names)}]"

    seeds = "seeds: [0, 1, 2, 5]"
    lines = [
        "# The paper's full study (Sections 2, 3 and 5). Generated by scripts/generate_config.py",
        "# from the authors' published settings; run the quick start with config/quickstart.yaml.",
        "# Keys an experiment leaves out take the defaults of workflow/schemas/config.schema.yaml.",
        "# dense_must_reach_threshold: false follows the authors' code, which prunes every dense",
        "# network: with one pass over the truth table per epoch some dense networks stop short of",
        "# 100% (e.g. 4 of 10 seeds of input_separable 4-24-24-4 at 10 epochs) and pruning's",
        "# retraining carries on from there (Appendix H.1).",
        "experiments:",
    ]
    lines += experiment_yaml(
        "validation",
        "Fig. 7 and Figs. 4, 36 (unit-edge-pruned): the four validation graphs, 36 trials each",
        rows(validation, standard),
        [graphs_line(validation), "widths: [24, 36, 48]", "depths: [1, 2, 3]", seeds, "mode: grid"],
    )
    lines += experiment_yaml(
        "reused_widths",
        "Figs. 2b, 3b, 4b: the reused task at narrow widths, two hidden layers",
        rows(["reused"], narrow_reused),
        [graphs_line(["reused"]), "widths: [8, 12, 16, 20]", "depths: [2]", seeds, "mode: grid"],
    )
    for mode, comment in (
        ("dense", "Table 1, Figs. 1b, 2b: dense networks of the structural tests"),
        (
            "edge_only",
            "Figs. 3a, 3b, 35: edge-only pruning (Pe 5.0 ... 0.5), the Sec. 3.1 baseline",
        ),
    ):
        for graph, widths, depths, keep in (
            ("input_separable", "[24, 36, 48]", "[1, 2, 3]", standard),
            ("reused", "[8, 12, 16, 20, 24, 36, 48]", "[2]", structural),
        ):
            lines += experiment_yaml(
                f"structural_{mode}_{graph}",
                comment,
                rows(
                    [graph],
                    lambda h, keep=keep, graph=graph: (
                        keep(h) and (graph != "reused" or len(h) == 2)
                    ),
                ),
                [
                    graphs_line([graph]),
                    f"widths: {widths}",
                    f"depths: {depths}",
                    seeds,
                    f"mode: {mode}",
                ],
            )
    lines += experiment_yaml(
        "reuse_sweep",
        "Fig. 8: one sub-function reused 1-8 times",
        rows(reuse, standard),
        [graphs_line(reuse), "widths: [24, 36, 48]", "depths: [1, 2, 3]", seeds, "mode: grid"],
    )
    lines += experiment_yaml(
        "input_overlap",
        "Figs. 9, 10: input overlap 0-4 x use 1-8",
        rows(overlap, standard),
        [graphs_line(overlap), "widths: [24, 36, 48]", "depths: [1, 2, 3]", seeds, "mode: grid"],
    )
    lines += experiment_yaml(
        "hierarchy",
        "Figs. 11, 12: five-level hierarchy, 1-4 hidden layers, use 1-8",
        rows(hierarchy),
        [
            graphs_line(hierarchy),
            "widths: [36, 48, 60]",
            "depths: [1, 2, 3, 4]",
            seeds,
            "mode: grid",
        ],
    )
    for task, threshold, depths, comment in (
        ("mnist_two_digits", 99, "[2, 3, 4]",
         "Sec. 5.5, Fig. 32: classify two MNIST digits; two separate modules expected"),
        ("mnist_hierarchical", 98, "[2, 3, 4, 5]",
         "Sec. 5.5, Figs. 13b, 33: the hierarchical MNIST task (digits 0-7, d1 XOR d2)"),
    ):  # fmt: skip
        lines += experiment_yaml(
            task,
            comment,
            rows([task]),
            [
                f"task: {task}",
                "split: paper",
                "composites_per_pair: 1000",
                f"mnist_root: {MNIST_ROOT}",
                "widths: [392, 784, 1568]",
                f"depths: {depths}",
                seeds,
                "mode: grid",
                f"accuracy_threshold: {threshold}",
                "accuracy_measure: per_bit",
                "detection: {modularity_threshold: -0.3, merge_threshold: 0.6}",
            ],
        )
    lines += digits_yaml()
    lines += lr_batch_yaml(lr_batch.read_epochs())
    return "\n".join(lines) + "\n"


def digits_yaml() -> list[str]:
    """The two-digit task on scikit-learn's 8x8 digits (README "Your own task"), a dataset-file
    experiment (all_datasets): the dataset defaults, with the threshold each dense network's own
    accuracy, and a grid of 4 x 2 (Pu, Pe) pairs so that a trial takes minutes on a CPU."""
    return [
        "  # README \"Your own task\": Sec. 5.5's two-digit task on scikit-learn's 8x8 digits,",
        "  # laptop-sized (all_datasets); two separate modules expected, as for MNIST (33 of 36",
        "  # in the paper).",
        "  digits_two_digits:",
        "    task: dataset",
        "    data: results/data/digits_two_digits_c100.npz",
        "    description: digits_two_digits",
        "    widths: [64, 128]",
        "    depths: [2, 3, 4]",
        "    seeds: [0, 1, 2, 5]",
        "    pu: [10, 30, 50, 70]",
        "    pe: [1.0, 2.5]",
    ]


def lr_batch_yaml(epochs: dict[lr_batch.EpochsKey, int | None]) -> list[str]:
    """Tables 2 and 3's sweeps (all_appendix, not all_boolean): one experiment per graph, its
    epochs per (depth, lr, batch size) from config/appendix_epochs.csv; untrainable settings
    train the dense network only."""
    lines = []
    lrs = ", ".join(fmt_number(lr) for lr in lr_batch.LRS)
    for panel in lr_batch.PANELS:
        cells = {
            (depth, lr, batch): epochs[(panel.graph, depth, lr, batch)]
            for depth in lr_batch.DEPTHS
            for lr in lr_batch.LRS
            for batch in panel.batch_sizes
        }
        common = Counter(e for e in cells.values() if e is not None).most_common(1)[0][0]
        batches = ", ".join(map(str, panel.batch_sizes))
        lines += [
            f"  # Appendix H.2, Table {panel.table[-1]}{panel.panel}: {panel.graph}, "
            "learning rate x batch size (all_appendix)",
            f"  {panel.experiment}:",
            f"    graphs: [{panel.graph}]",
            f"    widths: [{lr_batch.WIDTH}]",
            f"    depths: [{', '.join(map(str, lr_batch.DEPTHS))}]",
            f"    seeds: [{', '.join(map(str, lr_batch.SEEDS))}]",
            "    mode: grid",
            f"    sweep: {{lrs: [{lrs}], batch_sizes: [{batches}]}}",
            f"    train: {{epochs: {common}}}",
            "    overrides:",
        ]
        for (depth, lr, batch), chosen in cells.items():
            where = f"depths: [{depth}], lrs: [{fmt_number(lr)}], batch_sizes: [{batch}]"
            if chosen is None:
                lines.append(
                    f"      - {{{where}, mode: dense, train: {{epochs: {lr_batch.MAX_EPOCHS}}}}}"
                )
            elif chosen != common:
                lines.append(f"      - {{{where}, train: {{epochs: {chosen}}}}}")
    return lines


def render_choices(trials: pd.DataFrame) -> str:
    table = pd.DataFrame(
        {
            "graph": trials.graph,
            "arch": trials.arch.str.replace(" ", "-"),
            "seed": trials.seed,
            "pu": trials.chosen_pu.map(float),
            "pe": trials.chosen_pe.map(float),
        }
    ).sort_values(["graph", "arch", "seed"])
    out = io.StringIO()
    table.to_csv(out, index=False)
    return out.getvalue()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--hparams", type=Path, default=DEFAULT_HPARAMS)
    parser.add_argument("--check", action="store_true", help="compare instead of writing")
    args = parser.parse_args(argv)
    trials = load_trials(args.hparams)
    outputs = {
        ROOT / "config" / "config.yaml": render_config(trials),
        ROOT / "config" / "paper_choices.csv": render_choices(trials),
    }
    stale = [p.name for p, text in outputs.items() if not p.is_file() or p.read_text() != text]
    if args.check:
        if stale:
            print(f"out of date: {', '.join(stale)} (run python scripts/generate_config.py)")
        return 1 if stale else 0
    for path, text in outputs.items():
        path.write_text(text)
    return 0


if __name__ == "__main__":
    sys.exit(main())
