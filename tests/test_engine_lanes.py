"""The lane MLP, seeding, data and training: lanes are independent networks."""

from __future__ import annotations

import math

import numpy as np
import pytest
import torch
import torch.nn.functional as F

from neural_sculpting.engine.data import LaneData, boolean_data
from neural_sculpting.engine.lanes import ArchitectureError, LaneMLP, parse_arch
from neural_sculpting.engine.search import Search
from neural_sculpting.engine.seeding import derive_seed
from neural_sculpting.engine.settings import SearchSettings, SearchTrial
from neural_sculpting.engine.training import evaluate, train_lanes
from neural_sculpting.study.hparams import HparamsError, SearchHparams, TrainingHparams


def xor_table() -> tuple[np.ndarray, np.ndarray]:
    """The paper's input-separable task (Fig. 1a) by hand: y0 = x0^x1, y1 = ~y0, y2 = x2^x3,
    y3 = ~y2."""
    rows = np.array([[(r >> (3 - i)) & 1 for i in range(4)] for r in range(16)], dtype=np.uint8)
    y0 = rows[:, 0] ^ rows[:, 1]
    y2 = rows[:, 2] ^ rows[:, 3]
    return rows, np.stack([y0, 1 - y0, y2, 1 - y2], axis=1).astype(np.uint8)


def test_forward_is_an_ordinary_mlp_per_lane():
    model = LaneMLP.initialise((4, 5, 3, 2), [(0, "init"), (1, "init"), (2, "init")])
    with torch.no_grad():
        for b in model.biases:
            b.normal_()
    x = torch.randn(3, 7, 4)
    logits, hidden = model.forward(x, keep_hidden=True)
    for lane in range(3):
        h = x[lane]
        for k in range(3):
            h = F.linear(h, model.weights[k][lane], model.biases[k][lane])
            if k < 2:
                h = torch.relu(h)
                torch.testing.assert_close(hidden[k][lane], h)
        torch.testing.assert_close(logits[lane], h)


def test_initialisation_is_kaiming_normal_with_zero_biases():
    model = LaneMLP.initialise((400, 300, 2), [(0, "init")])
    w = model.weights[0]
    assert abs(float(w.std()) - math.sqrt(2 / 400)) < 0.002
    assert abs(float(w.mean())) < 0.002
    assert all(float(b.abs().max()) == 0 for b in model.biases)
    # Same key -> same network (all lanes of a trial start from one dense network).
    same = LaneMLP.initialise((4, 6, 2), [(3, "init"), (3, "init"), (4, "init")])
    assert torch.equal(same.weights[0][0], same.weights[0][1])
    assert not torch.equal(same.weights[0][0], same.weights[0][2])


def test_seed_keys_distinguish_types_and_values():
    assert derive_seed(0, 5.0, 1) == derive_seed(0, 5.0, 1)
    assert derive_seed(0, 5.0, 1) != derive_seed(0, 5, 1)
    assert derive_seed(0, "5", 1) != derive_seed(0, 5, 1)
    assert derive_seed(1, "init") != derive_seed(0, "init")


def test_accuracy_is_the_share_of_output_bits_right():
    inputs, outputs = xor_table()
    data = LaneData(boolean_data([("xor", inputs, outputs)]), [0], "cpu")
    model = LaneMLP.initialise((4, 3, 4), [(0, "init")])
    with torch.no_grad():
        for w in model.weights:
            w.zero_()
        model.biases[1].copy_(torch.tensor([[1.0, 1.0, -1.0, 1.0]]))
    ev = evaluate(model, data)
    # Constant predictions 1, 1, 0, 1: each column of the table is half ones -> 50% of all bits.
    assert float(ev.accuracy[0]) == 50.0
    # BCE of a constant logit z against a half-ones column: (softplus(-z) + softplus(z)) / 2.
    expected = float(F.softplus(torch.tensor(1.0)) + F.softplus(torch.tensor(-1.0))) / 2
    assert float(ev.loss[0]) == pytest.approx(expected, rel=1e-6)


def test_masked_weights_stay_exactly_zero_through_training():
    inputs, outputs = xor_table()
    data = LaneData(boolean_data([("xor", inputs, outputs)]), [0, 0], "cpu")
    model = LaneMLP.initialise((4, 8, 4), [(0, "init"), (1, "init")])
    with torch.no_grad():
        model.weight_masks[0][:, :4] = 0
        model.bias_masks[0][:, :4] = 0
        model.apply_masks_()
    before = model.clone()
    train_lanes(model, data, TrainingHparams(0.05, 8, 5), [(0, "t"), (1, "t")])
    assert float(model.weights[0][:, :4].abs().max()) == 0
    assert float(model.biases[0][:, :4].abs().max()) == 0
    assert not torch.equal(model.weights[0][:, 4:], before.weights[0][:, 4:])


def test_a_lane_alone_and_inside_a_batch_ends_with_the_same_networks():
    """Dense training, unit pruning, the edge start and edge pruning of one trial give bitwise the
    same masks and weights whether the trial runs alone or batched with other trials."""
    exp = SearchSettings(
        (24, 24),
        TrainingHparams(0.05, 8, 10),
        search=SearchHparams(pu_values=(50.0, 70.0), pe_values=(2.5,)),
    )
    inputs, outputs = xor_table()
    data = boolean_data([("xor", inputs, outputs)])
    batched = Search([SearchTrial("xor", s) for s in (3, 0, 2)], exp, data=data)
    batched.run()
    alone = Search([SearchTrial("xor", 0)], exp, data=data)
    alone.run()
    b, a = batched.runs[1], alone.runs[0]
    assert a.result.pruned
    assert a.result == b.result
    for mine, theirs in zip(a.edges.masks() + a.edges.parameters(),
                            b.edges.masks() + b.edges.parameters(), strict=True):  # fmt: skip
        assert torch.equal(mine, theirs)

    def steps(lanes):
        return [lane["steps"] for lane in lanes]

    assert steps(a.edge_lanes) == steps(b.edge_lanes)
    assert steps(a.unit_lanes) == steps(b.unit_lanes)


def test_bad_settings_raise_value_errors():
    with pytest.raises(HparamsError):
        TrainingHparams(lr=0, batch_size=8, epochs=10)
    with pytest.raises(HparamsError):
        SearchHparams(mode="exhaustive")
    with pytest.raises(ArchitectureError):
        parse_arch("24-x")
    assert parse_arch("24-24") == (24, 24)


def test_lane_adam_updates_are_bitwise_torch_adam():
    from neural_sculpting.engine.adam import LaneAdam

    gen = torch.Generator().manual_seed(0)
    start = [torch.randn(5, 7, 3, generator=gen), torch.randn(5, 7, generator=gen)]
    theirs = [p.clone().requires_grad_() for p in start]
    mine = [p.clone() for p in start]
    reference = torch.optim.Adam(theirs, lr=0.05, weight_decay=1e-4, foreach=True)
    ours = LaneAdam(mine, lr=0.05, weight_decay=1e-4)
    for i in range(30):
        grads = [torch.randn(p.shape, generator=gen) * 10.0 ** -(i % 7) for p in start]
        for p, g in zip(theirs, grads, strict=True):
            p.grad = g.clone()
        reference.step()
        ours.step([g.clone() for g in grads])
    for a, b in zip(theirs, mine, strict=True):
        assert torch.equal(a.detach(), b)


def test_key_seeds_are_the_derived_seeds_of_the_keys_extended():
    from neural_sculpting.engine.seeding import KeySeeds

    keys = [(), (0,), (5, "edges", 12.5, 2.0, 3), ("s", 1.0), (7, "units", 0.1)]
    seeds = KeySeeds(keys)
    for last in (0, 39, 2.5, "x"):
        assert seeds.seeds(last) == [derive_seed(*key, last) for key in keys]
    # Not the same as hashing the key alone or with another last part.
    assert seeds.seeds(0)[1] not in (derive_seed(0), derive_seed(0, 1))
