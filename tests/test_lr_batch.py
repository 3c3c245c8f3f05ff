"""Tables 2 and 3 (Appendix H.2): the lr x batch-size sweep, the epochs chosen per setting, and the
tables beside the paper's printed rates."""

from __future__ import annotations

import math
import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest
import yaml
from scripts_loader import load_script

from neural_sculpting.engine.data import LaneData, graph_data
from neural_sculpting.engine.dense_epochs import fewest_epochs
from neural_sculpting.engine.lanes import LaneMLP
from neural_sculpting.engine.search import Search
from neural_sculpting.engine.settings import SearchSettings, SearchTrial
from neural_sculpting.engine.training import train_lanes
from neural_sculpting.figures.lr_batch_tables import cell_rates
from neural_sculpting.study import catalogue, lr_batch
from neural_sculpting.study.experiments import ConfigError, load_study
from neural_sculpting.study.hparams import SearchHparams, TrainingHparams
from neural_sculpting.workflow import Plan

ROOT = Path(__file__).resolve().parents[1]


def test_fewest_epochs_is_the_first_epoch_every_seed_has_reached_the_threshold():
    # Seed 0 first reaches 100 at epoch 2 (and drops after: its best so far stays 100); seed 1
    # at epoch 4. So 4 epochs; with a cap of 3 epochs, none.
    histories = [[50.0, 100.0, 75.0, 75.0, 100.0], [25.0, 50.0, 75.0, 100.0, 100.0]]
    assert fewest_epochs(histories, 100.0) == 4
    assert fewest_epochs([h[:3] for h in histories], 100.0) is None
    assert fewest_epochs([[100.0]], 100.0) == 1
    with pytest.raises(ValueError):
        fewest_epochs([[1.0], [1.0, 2.0]], 100.0)


def test_a_run_of_e_epochs_is_the_first_e_epochs_of_a_longer_run():
    # What lets one 120-epoch run per seed tell every number of epochs: the kept (best) accuracy
    # of a 4-epoch training equals the best of the first 4 epochs of a 9-epoch one.
    data = graph_data(["input_separable"], 0.1)
    keys = [(seed, "init") for seed in (0, 1, 2)]
    epochs_seen: list[list[float]] = [[], [], []]

    def record(epoch, ev):
        for lane, accuracy in enumerate(ev.accuracy.tolist()):
            epochs_seen[lane].append(accuracy)

    def run(epochs, on_epoch=None):
        model = LaneMLP.initialise((4, 24, 4), keys, "cpu")
        lanes = LaneData(data, [0, 0, 0], "cpu", "per_bit")
        hp = TrainingHparams(lr=0.01, batch_size=4, epochs=epochs)
        dense = [(seed, "dense") for seed in (0, 1, 2)]
        return train_lanes(model, lanes, hp, dense, on_epoch=on_epoch)

    short = run(4)
    run(9, record)
    assert all(len(h) == 9 for h in epochs_seen)
    assert short.accuracy.tolist() == [max(h[:4]) for h in epochs_seen]


@pytest.mark.parametrize(
    ("graph", "depth", "lr", "batch"),
    [("input_separable", 1, 0.05, 8), ("non_modular", 2, 0.05, 4), ("reused", 1, 0.1, 16)],
)
def test_the_committed_epochs_are_the_fewest_at_which_the_searchs_dense_networks_reach_100(
    graph, depth, lr, batch
):
    # Checked with the search's own dense stage, not the epochs script: at the chosen E all four
    # seeds reach 100%, at E - 1 one of them does not.
    epochs = lr_batch.read_epochs()[(graph, depth, lr, batch)]
    assert epochs is not None

    def dense_accuracies(e: int) -> list[float]:
        settings = SearchSettings(
            (lr_batch.WIDTH,) * depth,
            TrainingHparams(lr=lr, batch_size=batch, epochs=e),
            search=SearchHparams(mode="dense"),
        )
        trials = [SearchTrial(graph, seed) for seed in lr_batch.SEEDS]
        return [r.dense_val_accuracy for r in Search(trials, settings).run()]

    assert all(a == 100.0 for a in dense_accuracies(epochs))
    if epochs > 1:
        assert min(dense_accuracies(epochs - 1)) < 100.0


def test_the_epochs_table_covers_every_setting_of_both_tables():
    chosen = lr_batch.read_epochs()
    expected = {
        (p.graph, d, lr, b)
        for p in lr_batch.PANELS
        for d in lr_batch.DEPTHS
        for lr in lr_batch.LRS
        for b in p.batch_sizes
    }
    assert set(chosen) == expected
    assert all(e is None or 1 <= e <= lr_batch.MAX_EPOCHS for e in chosen.values())


def test_the_papers_transcribed_rates_have_the_tables_shape_and_known_cells():
    for panel in lr_batch.PANELS:
        assert sorted(panel.paper) == list(lr_batch.DEPTHS)
        for rows in panel.paper.values():
            assert len(rows) == len(panel.batch_sizes)
            assert all(len(row) == len(lr_batch.LRS) for row in rows)
    # Cells read off the paper's text (Appendix H.2).
    assert lr_batch.panel("input_separable").paper_rate(1, 0.01, 1) is None  # X
    assert lr_batch.panel("reused").paper_rate(2, 0.01, 2) == 0.0
    assert lr_batch.panel("reused").paper_rate(1, 0.05, 8) == 0.75
    assert lr_batch.panel("separable_reused").paper_rate(2, 0.1, 32) == 0.5
    assert lr_batch.panel("non_modular").paper_rate(3, 0.005, 1) == 0.25
    assert math.isnan(lr_batch.panel("separable_reused").paper_rate(3, 0.05, 1))
    assert lr_batch.TABLES == {
        "table2": ("input_separable", "reused"),
        "table3": ("separable_reused", "non_modular"),
    }


SWEEP = {
    "graphs": ["input_separable", "reused"],
    "widths": [24],
    "depths": [1, 2],
    "seeds": [0, 1],
    "sweep": {"lrs": [0.01, 0.1], "batch_sizes": [1, 4, 8]},
    "train": {"lr": 0.5, "batch_size": 2, "epochs": 30},
    "overrides": [
        {"lrs": [0.01], "batch_sizes": [4], "depths": [2], "train": {"epochs": 77}},
        {"graphs": ["reused"], "lrs": [0.1], "batch_sizes": [1], "mode": "dense"},
    ],
}


def test_a_sweep_runs_every_trial_at_every_lr_and_batch_size_and_overrides_select_points():
    (experiment,) = load_study({"experiments": {"lrb": SWEEP}}).values()
    trials = experiment.trials
    assert len(trials) == 2 * 2 * (2 * 3) * 2  # graphs x depths x sweep points x seeds
    points = {(t.train.lr, t.train.batch_size) for t in trials}
    assert points == {(lr, b) for lr in (0.01, 0.1) for b in (1, 4, 8)}  # train's 0.5, 2 replaced
    long = [t for t in trials if t.train.epochs == 77]
    assert len(long) == 2 * 2  # both graphs, both seeds, at depth 2, lr 0.01, batch 4
    assert {(t.depth, t.train.lr, t.train.batch_size) for t in long} == {(2, 0.01, 4)}
    dense = [t for t in trials if t.search.mode == "dense"]
    assert len(dense) == 2 * 2 and {t.graph for t in dense} == {"reused"}
    assert {(t.train.lr, t.train.batch_size) for t in dense} == {(0.1, 1)}
    assert len({t.key for t in trials}) == len(trials)  # every trial its own folder


def test_an_override_may_not_select_a_setting_the_experiment_does_not_sweep():
    spec = {**SWEEP, "sweep": {"lrs": [0.01, 0.1]}}
    with pytest.raises(ConfigError, match=r"overrides\[0\]\.batch_sizes: the experiment sweeps"):
        load_study({"experiments": {"lrb": spec}})


def _row(graph, depth, lr, batch, seed, match, mode="grid", epochs=12):
    return {"graph": graph, "depth": depth, "lr": lr, "batch_size": batch, "seed": seed,
            "structure_match": match, "mode": mode, "epochs": epochs}  # fmt: skip


def test_cell_rates_count_successes_mark_untrainable_settings_and_show_the_papers_rate():
    trials = pd.DataFrame(
        [_row("reused", 1, 0.05, 8, s, m) for s, m in zip((0, 1, 2, 5), (True, True, False, True),
                                                          strict=True)]
        + [_row("reused", 1, 0.005, 8, s, None, mode="dense", epochs=120) for s in (0, 1)]
        + [_row("input_separable", 2, 0.1, 16, s, True) for s in (0, 1)]
        + [_row("input_separable", 2, 0.1, 32, 0, True)]  # not a setting of Table 2
    )  # fmt: skip
    rates = cell_rates("table2", trials).set_index(["graph", "depth", "lr", "batch_size"])
    assert len(rates) == 3
    cell = rates.loc[("reused", 1, 0.05, 8)]
    assert (cell.trials, cell.successes, cell.rate) == (4, 3, 0.75)
    assert cell.paper_rate == 0.75 and not cell.untrainable and cell.epochs == 12
    assert cell.rate_low < 0.75 < cell.rate_high
    x = rates.loc[("reused", 1, 0.005, 8)]
    assert x.untrainable and x.trials == 0 and x.paper_untrainable  # X in both
    assert rates.loc[("input_separable", 2, 0.1, 16)].paper_rate == 1.0


def test_the_sweeps_are_in_all_appendix_and_not_in_all_boolean():
    config = yaml.safe_load((ROOT / "config" / "config.yaml").read_text())
    plan = Plan.from_config(config)
    sweeps = catalogue.appendix_only_experiments()
    assert sweeps == {p.experiment for p in lr_batch.PANELS}
    assert not any(f"results/{name}/" in t for t in plan.boolean_targets() for name in sweeps)
    appendix = plan.appendix_targets()
    assert "results/figures/table2.png" in appendix and "results/figures/table3.png" in appendix
    assert all(f"results/{name}/trials.csv" in appendix for name in sweeps)
    # 1,056 trials: 4 lr x (5 + 5 + 7 + 5) batch sizes x 3 depths x 4 seeds.
    assert sum(len(plan.study[name].trials) for name in sweeps) == 4 * 22 * 3 * 4


@pytest.mark.slow
def test_the_committed_epochs_of_input_separable_are_what_the_script_computes():
    # The script trains every setting's four dense networks for 120 epochs (about 25 s for one
    # graph); the committed rows must be its output, so that config.yaml follows from it.
    done = subprocess.run(
        [sys.executable, str(ROOT / "scripts" / "appendix_epochs.py"), "--check",
         "--graphs", "input_separable"],
        capture_output=True, text=True, check=False, timeout=600,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr[-2000:]


def test_the_epochs_check_compares_trainable_rows_whole_and_untrainable_ones_by_status():
    script = load_script("appendix_epochs")
    trained = "input_separable,1,0.005,1,43,36 25 43 20"
    assert script.checked(trained) != script.checked(trained.replace(",43,", ",44,"))
    assert script.checked(trained) != script.checked(trained.replace("36 25", "35 25"))
    never = "input_separable,2,0.05,1,,- - 13 -"
    assert script.checked(never) == script.checked("input_separable,2,0.05,1,,- - 13 81")
    assert script.checked(never) != script.checked("input_separable,2,0.05,1,90,- - 13 90")
