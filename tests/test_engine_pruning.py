"""Unit and edge pruning: scores, percentiles, masks and the step schedule (Algorithms 1 and 2)."""

from __future__ import annotations

import itertools

import numpy as np
import pytest
import torch
import torch.nn.functional as F
from test_engine_lanes import xor_table

from neural_sculpting.engine.data import LaneData, boolean_data
from neural_sculpting.engine.lanes import LaneMLP
from neural_sculpting.engine.pruning.edges import edge_schedules, prune_edges_at
from neural_sculpting.engine.pruning.schedule import (
    LaneSchedule,
    above,
    percentile_thresholds,
    run_schedule,
)
from neural_sculpting.engine.pruning.units import prune_units_at, unit_scores
from neural_sculpting.engine.training import train_lanes
from neural_sculpting.study.hparams import TrainingHparams


@pytest.fixture(scope="module")
def trained():
    """Two dense 4-24-24-4 lanes trained on the input-separable task."""
    torch.set_num_threads(1)
    inputs, outputs = xor_table()
    data = LaneData(boolean_data([("xor", inputs, outputs)]), [0, 0], "cpu")
    model = LaneMLP.initialise((4, 24, 24, 4), [(0, "init"), (2, "init")])
    ev = train_lanes(model, data, TrainingHparams(0.05, 8, 10), [(0, "dense"), (2, "dense")])
    return model, data, ev


def test_percentile_is_numpy_linear_and_ties_are_pruned():
    scores = torch.tensor([[0.0, 1.0, 2.0, 3.0, 4.0], [5.0, 5.0, 5.0, 1.0, 0.0]])
    t = percentile_thresholds(scores, [50.0, 10.0])
    # Hand-computed: median of 0..4 is 2; 10th percentile of [0,1,5,5,5] is 0 + 0.4 * 1.
    assert t[0] == 2.0
    assert t[1] == pytest.approx(0.4)


def test_unit_scores_are_per_sample_means_of_activation_times_gradient(trained):
    model, data, _ = trained
    scores = unit_scores(model, data)
    # Brute force, one lane and one sample at a time, with an ordinary autograd MLP.
    for lane in range(2):
        w = [t[lane].clone().requires_grad_() for t in model.weights]
        b = [t[lane].clone().requires_grad_() for t in model.biases]
        total = torch.zeros(48, dtype=torch.float64)
        for r in range(16):
            x = data.val_x[lane, r : r + 1].clone()
            h1 = torch.relu(F.linear(x, w[0], b[0]))
            h2 = torch.relu(F.linear(h1, w[1], b[1]))
            h1.retain_grad()
            h2.retain_grad()
            out = F.linear(h2, w[2], b[2])
            F.binary_cross_entropy(torch.sigmoid(out), data.val_y[lane, r : r + 1]).backward()
            total += torch.cat([(h1 * h1.grad).abs()[0], (h2 * h2.grad).abs()[0]]).double()
        torch.testing.assert_close(scores[lane].double(), total / 16, rtol=1e-4, atol=1e-7)


def test_unit_pruning_masks_whole_units_and_never_inputs_or_outputs(trained):
    model, data, _ = trained
    net = model.clone()
    prune_units_at(net, data, [25.0, 25.0])
    # 48 hidden units, 25%: percentile index 0.25 * 47 = 11.75 -> the 12 lowest scores go.
    alive = torch.cat(net.unit_alive(), dim=1)
    assert alive.sum(dim=1).tolist() == [36, 36]
    prune_units_at(net, data, [50.0, 50.0])
    # Cumulative and relative to the original 48: 50% -> 24 units in all, not 36 * 0.5 more.
    alive1, alive2 = net.unit_alive()
    assert torch.cat([alive1, alive2], dim=1).sum(dim=1).tolist() == [24, 24]
    w1, w2, w3 = net.weight_masks
    for lane in range(2):
        dead1, dead2 = ~alive1[lane], ~alive2[lane]
        assert float(w1[lane][dead1].sum()) == 0 and float(w2[lane][:, dead1].sum()) == 0
        assert float(w2[lane][dead2].sum()) == 0 and float(w3[lane][:, dead2].sum()) == 0
        assert float(net.weights[0][lane][dead1].abs().sum()) == 0
        assert float(net.biases[0][lane][dead1].abs().sum()) == 0
        # Live units keep all their input edges; every output unit keeps its bias.
        assert float(w1[lane][~dead1].min()) == 1
    assert float(net.bias_masks[2].min()) == 1


def test_edge_pruning_is_global_magnitude_and_leaves_biases():
    model = LaneMLP.initialise((2, 2, 1), [(0, "init")])
    with torch.no_grad():
        model.weights[0].copy_(torch.tensor([[[-1.0, 6.0], [3.0, -4.0]]]))
        model.weights[1].copy_(torch.tensor([[[2.0, -5.0]]]))
        model.biases[0].fill_(0.5)
    prune_edges_at(model, None, [50.0])
    # |w| = 1, 6, 3, 4, 2, 5 -> 50th percentile 3.5 -> 1, 2, 3 pruned.
    assert model.weight_masks[0][0].tolist() == [[0.0, 1.0], [0.0, 1.0]]
    assert model.weight_masks[1][0].tolist() == [[0.0, 1.0]]
    assert model.weights[0][0].tolist() == [[0.0, 6.0], [0.0, -4.0]]
    assert model.biases[0].tolist() == [[0.5, 0.5]]
    schedule = edge_schedules([(0, 0.0, 1.0)], [1.0], model, [100.0])[0]
    assert schedule.p_kept == pytest.approx(50.0)
    assert schedule.p_min == pytest.approx(100 / 6)


def test_schedule_halves_on_failure_and_restores_the_last_kept_network(trained):
    """Algorithm 1 by hand with Pu = 40 and 48 units (p_min = 100/48), where any try above 50%
    wipes the network (so it fails) and any other try changes nothing (so it succeeds):
    40 ok, 80 fail (step 20), 60 fail (10), 50 ok, 60 fail (5), 55 fail (2.5), 52.5 fail (1.25 is
    below p_min, so the step becomes p_min = 2.08), 52.08 fail (the step was p_min: stop)."""
    model, data, _ = trained
    net = model.select([0])
    lane_data = data.select([0])

    def prune_at(m, d, p):
        if p[0] > 50:
            with torch.no_grad():
                for mask in m.masks():
                    mask.zero_()
            m.apply_masks_()

    snapshots = []

    def on_round(m, lanes):
        snapshots.append((m.clone(), lanes[0].history[-1]["kept"]))

    lane = LaneSchedule(key=(0, 40.0), step=40.0, p_min=100 / 48, accuracy=100.0)
    run_schedule(net, lane_data, TrainingHparams(0.05, 8, 3), 75.0, [lane], prune_at, on_round)
    tried = [step["p"] for step in lane.history]
    assert tried == [40, 80, 60, 50, 60, 55, 52.5, 50 + 100 / 48]
    assert [step["kept"] for step in lane.history] == [True, False, False, True, False, False,
                                                       False, False]  # fmt: skip
    assert lane.done and lane.p_kept == 50 and lane.step == 100 / 48
    # After each rejected round the model is exactly the network kept before it.
    for (before, _), (after, kept) in itertools.pairwise(snapshots):
        if not kept:
            for x, y in zip(before.parameters() + before.masks(),
                            after.parameters() + after.masks(), strict=True):  # fmt: skip
                assert torch.equal(x, y)
    assert float(net.weight_masks[0].min()) == 1  # the wiped tries were all undone


def test_a_try_at_100_percent_fails_without_training(trained):
    model, data, _ = trained
    calls = []

    def prune_at(m, d, p):
        calls.append(list(p))

    lane = LaneSchedule(key=(0, 70.0), step=70.0, p_min=30.0, accuracy=100.0)
    run_schedule(model.select([0]), data.select([0]), TrainingHparams(0.05, 8, 1), 0.0, [lane],
                 prune_at)  # fmt: skip
    # 70 ok; 140 >= 100 fails untrained (step 35); 105 fails untrained (17.5 < 30: step 30);
    # 100 fails untrained (the step was p_min: stop).
    assert calls == [[70.0]]
    assert [s["p"] for s in lane.history] == [70.0, 140.0, 105.0, 100.0]
    assert [s["val_accuracy"] is None for s in lane.history] == [False, True, True, True]


def test_a_run_ends_only_after_a_rejected_p_min_step(trained):
    """p_min = 6, Pu = 20, tries above 47% fail: 20 ok, 40 ok, 60 fail (10), 50 fail (5 is below
    p_min: 6), 46 ok, 52 fail with the step at p_min: stop. (The rule the published networks were
    pruned by; stopping as soon as the halved step fell below p_min would have ended at 50, with
    40% kept.)"""
    model, data, _ = trained

    def prune_at(m, d, p):
        if p[0] > 47:
            with torch.no_grad():
                for mask in m.masks():
                    mask.zero_()
            m.apply_masks_()

    lane = LaneSchedule(key=(0, 20.0), step=20.0, p_min=6.0, accuracy=100.0)
    run_schedule(model.select([0]), data.select([0]), TrainingHparams(0.05, 8, 3), 75.0, [lane],
                 prune_at)  # fmt: skip
    assert [step["p"] for step in lane.history] == [20, 40, 60, 50, 46, 52]
    assert lane.p_kept == 46 and lane.done
    last = lane.history[-1]
    assert not last["kept"] and last["step"] == lane.p_min


def test_percentile_thresholds_match_numpy_on_random_scores():
    rng = np.random.default_rng(0)
    scores = torch.from_numpy(rng.random((3, 50)).astype(np.float32))
    p = [12.5, 50.0, 97.5]
    t = percentile_thresholds(scores, p)
    # Independent: sorted-order interpolation by hand.
    for i in range(3):
        s = np.sort(scores[i].numpy().astype(np.float64))
        pos = p[i] / 100 * 49
        lo = int(np.floor(pos))
        expected = s[lo] + (pos - lo) * (s[min(lo + 1, 49)] - s[lo])
        assert t[i] == pytest.approx(expected, rel=1e-6)


def test_lanes_sharing_a_percentile_get_numpys_per_lane_thresholds():
    """`percentile_thresholds` calls numpy once per distinct p; each lane's threshold, and what it
    keeps, must be numpy.percentile of that lane alone (ties, NaN, p of 0 and 100, and p as a
    Python float, an int or a NumPy float64, whose precisions differ)."""
    rng = np.random.default_rng(0)
    for case in range(300):
        lanes, n = int(rng.integers(1, 12)), int(rng.integers(1, 60))
        values = rng.standard_normal((lanes, n)).astype(np.float32)
        if case % 3 == 0:
            values = np.abs(np.round(values, 1))  # many ties
        if case % 7 == 0:
            values[rng.integers(0, lanes), rng.integers(0, n)] = np.nan
        picks = [float(x) for x in rng.choice([0.0, 5.0, 12.5, 33.3, 50.0, 99.9, 100.0], lanes)]
        p = [q if lane % 3 else np.float64(q) for lane, q in enumerate(picks)]
        if case % 5 == 0:
            p = [int(q) for q in picks]
        want = np.array([np.percentile(values[lane], p[lane]) for lane in range(lanes)])
        got = percentile_thresholds(torch.from_numpy(values), p)
        assert np.array_equal(got, want.astype(np.float64), equal_nan=True)
        kept = above(torch.from_numpy(values), got)
        assert torch.equal(kept, torch.from_numpy(values > want[:, None]))
