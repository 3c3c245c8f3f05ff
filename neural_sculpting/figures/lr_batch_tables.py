"""Tables 2 and 3 (Appendix H.2): success rate per learning rate and batch size.

One panel per graph (Table 2: input_separable, reused; Table 3: separable_reused, non_modular),
one grid per depth: batch sizes down, learning rates across, each cell the share of its seeds
whose exact structure is recovered beside the paper's printed value. A setting whose epochs
search found no number of epochs up to 120 at which all four dense networks reach 100% is
untrainable (X, as in the paper): its trials train the dense network only (mode dense).
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from pathlib import Path

import numpy as np
import pandas as pd

from neural_sculpting.figures.rates import save_figure, wilson_interval  # (sets matplotlib's Agg)
from neural_sculpting.figures.success_captions import figure_path, write_caption
from neural_sculpting.study import lr_batch

import matplotlib.pyplot as plt  # isort: skip

COLUMNS = ["table", "panel", "graph", "depth", "lr", "batch_size", "epochs", "trials",
           "successes", "rate", "rate_low", "rate_high", "untrainable", "paper_rate",
           "paper_untrainable"]  # fmt: skip


def cell_rates(table: str, trials: pd.DataFrame) -> pd.DataFrame:
    """The tidy table: one row per (graph, depth, lr, batch size) of `table` that `trials` holds
    (the pooled trials.csv rows of its experiments)."""
    rows = []
    for graph in lr_batch.TABLES[table]:
        panel = lr_batch.panel(graph)
        mine = trials[trials["graph"] == graph]
        for (depth, lr, batch), cell in mine.groupby(["depth", "lr", "batch_size"]):
            if float(lr) not in lr_batch.LRS or int(batch) not in panel.batch_sizes:
                continue  # a setting the paper's table has no cell for
            untrainable = bool((cell["mode"] == "dense").all())
            scored = cell[cell["structure_match"].isin([True, False])]
            n, k = len(scored), int((scored["structure_match"] == True).sum())  # noqa: E712
            low, high = wilson_interval(k, n) if n else (math.nan, math.nan)
            paper = (
                panel.paper_rate(int(depth), float(lr), int(batch))
                if depth in panel.paper
                else math.nan
            )
            paper_x = paper is None
            rows.append({
                "table": table, "panel": panel.panel, "graph": graph, "depth": int(depth),
                "lr": float(lr), "batch_size": int(batch),
                "epochs": None if untrainable else int(cell["epochs"].iloc[0]),
                "trials": n, "successes": k, "rate": k / n if n else math.nan,
                "rate_low": low, "rate_high": high, "untrainable": untrainable,
                "paper_rate": math.nan if paper_x else paper, "paper_untrainable": paper_x,
            })  # fmt: skip
    out = pd.DataFrame(rows, columns=COLUMNS)
    out["epochs"] = out["epochs"].astype("Int64")
    return out


def _text(value: float | None, untrainable: bool = False) -> str:
    if untrainable or value is None:
        return "X"
    if isinstance(value, float) and math.isnan(value):
        return "?"
    return f"{value:.2f}".rstrip("0").rstrip(".") if value not in (0, 1) else f"{value:.1f}"


def plot_table(table: str, rates: pd.DataFrame):
    """One column per graph, one row per depth: heat maps of our rate, each cell 'ours (paper)'."""
    graphs = lr_batch.TABLES[table]
    depths = sorted(rates["depth"].unique()) or list(lr_batch.DEPTHS)
    fig, axes = plt.subplots(
        len(depths), len(graphs), figsize=(4.8 * len(graphs) + 0.8, 2.9 * len(depths) + 0.6),
        squeeze=False, layout="constrained",
    )  # fmt: skip
    cmap = plt.get_cmap("viridis").copy()
    cmap.set_bad("#d9d9d9")
    for col, graph in enumerate(graphs):
        panel = lr_batch.panel(graph)
        for row, depth in enumerate(depths):
            ax = axes[row][col]
            grid = np.full((len(panel.batch_sizes), len(lr_batch.LRS)), np.nan)
            cell = rates[(rates["graph"] == graph) & (rates["depth"] == depth)]
            for r in cell.itertuples():
                if not r.untrainable and r.trials:
                    grid[panel.batch_sizes.index(r.batch_size), lr_batch.LRS.index(r.lr)] = r.rate
            image = ax.imshow(grid, cmap=cmap, vmin=0, vmax=1, aspect="auto")
            for i, batch in enumerate(panel.batch_sizes):
                for j, lr in enumerate(lr_batch.LRS):
                    found = cell[(cell["batch_size"] == batch) & (cell["lr"] == lr)]
                    paper = panel.paper[depth][i][j] if depth in panel.paper else math.nan
                    ours = (
                        "-"
                        if found.empty
                        else _text(found["rate"].iloc[0], bool(found["untrainable"].iloc[0]))
                    )
                    light = (
                        not found.empty
                        and not found["untrainable"].iloc[0]
                        and (found["rate"].iloc[0] < 0.6)
                    )
                    ax.text(j, i, f"{ours}\n({_text(paper)})", ha="center", va="center",
                            fontsize=8, color="white" if light else "black")  # fmt: skip
            ax.set_xticks(range(len(lr_batch.LRS)), [f"{lr:g}" for lr in lr_batch.LRS])
            ax.set_yticks(range(len(panel.batch_sizes)), [str(b) for b in panel.batch_sizes])
            ax.set_xlabel("learning rate")
            ax.set_ylabel("batch size")
            layers = f"{depth} hidden layer{'s' if depth != 1 else ''}"
            ax.set_title(f"{panel.table}{panel.panel}: {graph}, {layers}", fontsize=9)
    fig.colorbar(image, ax=axes.ravel().tolist(), shrink=0.8, label="structure recovered (ours)")
    fig.suptitle(
        f"{'Table 2' if table == 'table2' else 'Table 3'}: structure recovered, ours (paper's); "
        "X untrainable, - not run",
        fontsize=10,
    )
    return fig


def lr_batch_table(
    table: str, trials_csvs: Mapping[str, Path] | list[Path], out_dir: Path, name: str
) -> pd.DataFrame:
    """Write `<name>.png/.pdf/.csv` and its caption from the experiments' trials tables."""
    paths = list(trials_csvs.values()) if isinstance(trials_csvs, Mapping) else list(trials_csvs)
    trials = pd.concat([pd.read_csv(p) for p in paths], ignore_index=True)
    rates = cell_rates(table, trials)
    seeds = ", ".join(map(str, sorted(trials["seed"].unique())))
    save_figure(plot_table(table, rates), figure_path(out_dir, name), rates)
    ran = rates[~rates["untrainable"]]
    agree = ran.dropna(subset=["paper_rate"])
    inside = int(((agree["rate_low"] <= agree["paper_rate"])
                  & (agree["paper_rate"] <= agree["rate_high"])).sum())  # fmt: skip
    x_ours = set(map(tuple, rates[rates["untrainable"]][["graph", "depth", "lr", "batch_size"]]
                     .itertuples(index=False)))  # fmt: skip
    x_paper = {
        (p.graph, d, lr, b)
        for p in (lr_batch.panel(g) for g in lr_batch.TABLES[table])
        for d, grid in p.paper.items()
        for i, b in enumerate(p.batch_sizes)
        for j, lr in enumerate(lr_batch.LRS)
        if grid[i][j] is None
    }
    covered = set(map(tuple, rates[["graph", "depth", "lr", "batch_size"]].itertuples(index=False)))
    write_caption(
        out_dir,
        name,
        [
            f"{'Table 2' if table == 'table2' else 'Table 3'} (paper Appendix H.2): share of "
            f"each setting's trials (seeds {seeds}) whose exact structure is recovered, per "
            "learning rate and batch size, width 24 (the paper: seeds 0, 1, 2, 5 and the full "
            "14 x 5 grid of Pu x Pe); the paper's value in brackets (? where its text is not "
            "legible).",
            "Epochs per setting: the fewest, at most 120, at which all four dense networks reach "
            "100% validation accuracy (config/appendix_epochs.csv, scripts/appendix_epochs.py); "
            "X where none does, as in the paper.",
            f"{len(covered)} settings run here; untrainable: {len(x_ours)} here, "
            f"{len(x_paper & covered)} of them in the paper "
            f"({len(x_ours & x_paper)} in both). Of {len(agree)} settings trained here with a "
            f"printed rate, the paper's rate is inside our 95% Wilson interval in {inside}.",
        ],
    )
    return rates
