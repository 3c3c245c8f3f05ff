"""Retraining without dead units (engine/compaction.py): the same training, and lanes that never
depend on which lanes share their program."""

from __future__ import annotations

import shutil
from pathlib import Path

import pandas as pd
import pytest
import torch
from scripts_loader import load_script

from neural_sculpting.engine.compaction import COMPACT_MIN_WEIGHTS, compact_groups, live_units
from neural_sculpting.engine.data import LaneData, graph_data
from neural_sculpting.engine.lanes import LaneMLP
from neural_sculpting.engine.training import train_lanes
from neural_sculpting.study.hparams import TrainingHparams

ROOT = Path(__file__).resolve().parents[1]


def hand_network() -> LaneMLP:
    """2 inputs, hidden layers of 4 and 4, 1 output. Layer 1: a has an input edge and a bias; b
    neither (it outputs 0); c no input edge but a bias (it outputs a constant); g an input edge
    and no bias. Layer 2: d takes only b, no bias; e takes a; f takes c; h takes g and feeds
    nothing. The output takes e and f. Live by hand: a, c (through f), e, f."""
    model = LaneMLP.initialise((2, 4, 4, 1), [(0, "hand")])
    w0 = torch.tensor([[1, 0], [0, 0], [0, 0], [0, 1]], dtype=torch.float32)
    w1 = torch.tensor([[0, 1, 0, 0], [1, 0, 0, 0], [0, 0, 1, 0], [0, 0, 0, 1]], dtype=torch.float32)
    w2 = torch.tensor([[0, 1, 1, 0]], dtype=torch.float32)
    for mask, value in zip(model.weight_masks, (w0, w1, w2), strict=True):
        mask.copy_(value.unsqueeze(0))
    model.bias_masks[0].copy_(torch.tensor([[1.0, 0.0, 1.0, 0.0]]))
    model.bias_masks[1].copy_(torch.tensor([[0.0, 1.0, 0.0, 1.0]]))
    model.apply_masks_()
    return model


def test_live_units_are_the_units_that_carry_a_signal_to_an_output():
    first, second = live_units(hand_network())
    assert first.tolist() == [[True, False, True, False]]  # b outputs 0; g feeds a dead end
    assert second.tolist() == [[False, True, True, False]]  # d gets only b's 0; h feeds nothing


def sparse_model(widths, densities, seed: int = 0) -> LaneMLP:
    model = LaneMLP.initialise(widths, [(seed, lane, "init") for lane in range(len(densities))])
    gen = torch.Generator().manual_seed(seed)
    for lane, density in enumerate(densities):
        for mask in model.weight_masks:
            mask[lane] = (torch.rand(mask[lane].shape, generator=gen) < density).float()
        for mask in model.bias_masks[:-1]:
            mask[lane] = (torch.rand(mask[lane].shape, generator=gen) < 0.8).float()
    model.apply_masks_()
    return model


WIDTHS = (4, 48, 48, 48, 4)  # input_separable; 4,992 weights, so compacted
DENSITIES = [0.9, 0.05, 0.03, 0.02, 0.06, 1.0]


def test_packing_keeps_the_live_units_in_order_at_a_fraction_of_the_width():
    model = sparse_model(WIDTHS, DENSITIES)
    assert model.n_weights >= COMPACT_MIN_WEIGHTS
    live = live_units(model)
    groups = compact_groups(model)
    assert sorted(lane for g in groups for lane in g.lanes.tolist()) == list(range(6))
    for group in groups:
        packed = group.gather(model)
        for row, lane in enumerate(group.lanes.tolist()):
            counts = [int(a[lane].sum()) for a in live]
            # the smallest of 6, 12, 24, 48 units that holds every layer's live units
            level = next(p for p in (6, 12, 24, 48) if max(counts) <= p)
            assert group.widths == (4, level, level, level, 4)
            units = live[0][lane].nonzero().flatten()
            held = group.slots[1][row][group.real[1][row]]
            assert held.tolist() == units.tolist() or level == 48
        copy = model.clone()
        for t in copy.parameters():
            t.zero_()
        group.scatter(packed, copy)
        for mine, orig in zip(copy.parameters(), model.parameters(), strict=True):
            lanes = group.lanes
            held = mine[lanes] != 0
            assert torch.equal(mine[lanes][held], orig[lanes][held])


def train(model: LaneMLP, lanes: list[int], compact: bool):
    data = graph_data(["input_separable"], 0.1)
    lane_data = LaneData(data, [0] * len(lanes), "cpu")
    part = model.select(lanes)
    hp = TrainingHparams(lr=0.05, batch_size=8, epochs=6)
    ev = train_lanes(part, lane_data, hp, [(7, lane, "t") for lane in lanes], compact=compact)
    return part, ev


def test_training_without_dead_units_matches_training_with_them():
    model = sparse_model(WIDTHS, DENSITIES)
    assert any(g.widths != WIDTHS for g in compact_groups(model))
    lanes = list(range(6))
    full, ev_full = train(model, lanes, compact=False)
    packed, ev_packed = train(model, lanes, compact=True)
    assert torch.equal(ev_full.accuracy, ev_packed.accuracy)
    live = live_units(model)
    for k, (a, b) in enumerate(zip(full.weights, packed.weights, strict=True)):
        assert torch.allclose(a, b, atol=1e-5)
        # A dead unit's weights are moved by weight decay alone, the same in both.
        if k < len(live):
            dead_rows = ~live[k]
            assert torch.equal(a[dead_rows], b[dead_rows])
    for a, b, mask in zip(full.parameters(), packed.parameters(), model.masks(), strict=True):
        assert not bool(b[mask == 0].any())  # masked parameters stay exactly zero
        assert torch.equal(a[mask == 0], b[mask == 0])


def test_weight_decay_reaches_the_dead_units_loose_weights():
    model = sparse_model(WIDTHS, DENSITIES)
    before = model.clone()
    packed, _ = train(model, list(range(6)), compact=True)
    live = live_units(before)
    lane = 3  # almost nothing left: mostly loose weights
    loose = (before.weight_masks[0][lane] > 0) & ~live[0][lane].unsqueeze(1)
    assert bool(loose.any())
    moved = packed.weights[0][lane][loose].abs() < before.weights[0][lane][loose].abs()
    assert bool(moved.all())


@pytest.mark.parametrize("compact", [True, False])
def test_a_lane_trains_the_same_whichever_lanes_share_its_program(compact):
    model = sparse_model(WIDTHS, DENSITIES)
    together, _ = train(model, list(range(6)), compact)
    for lanes in ([2], [4, 2], [2, 5, 0]):
        alone, _ = train(model, lanes, compact)
        row = lanes.index(2)
        for a, b in zip(alone.parameters(), together.parameters(), strict=True):
            assert torch.equal(a[row], b[2])


def load_comparison():
    return load_script("engine_comparison")


def test_the_engine_comparison_flags_a_cell_that_differs(tmp_path):
    comparison = load_comparison()
    old = ROOT / "docs" / "engine" / "rules3_trials"
    new = tmp_path / "new"
    for experiment in ("validation",):
        (new / experiment).mkdir(parents=True)
        shutil.copy(old / experiment / "trials.csv", new / experiment / "trials.csv")
    out = tmp_path / "out"
    args = ["--rules", "3", "--old", str(old), "--new", str(new), "--out", str(out)]
    args += ["--experiments", "validation"]
    assert comparison.main(args) == 0
    # One cell's four recoveries lost, and another's densities doubled: both rules fire.
    table = pd.read_csv(new / "validation" / "trials.csv")
    cell = table[(table["graph"] == "input_separable") & (table["arch"] == "4-24-24-4")].index
    assert table.loc[cell, "structure_match"].all() and len(cell) == 4
    table.loc[cell, "structure_match"] = False
    table.to_csv(new / "validation" / "trials.csv", index=False)
    assert comparison.main(args) == 1
    report = (out / "rules4_comparison.md").read_text()
    assert "the engines differ" in report
    assert "| validation | input_separable | 4-24-24-4 | 0.05 | 8 | 10 | 4 | 4 | 0 |" in report
    table["structure_match"] = pd.read_csv(old / "validation" / "trials.csv")["structure_match"]
    table["density"] *= 1.05
    table.to_csv(new / "validation" / "trials.csv", index=False)
    assert comparison.main(args) == 1
