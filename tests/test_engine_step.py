"""The written-out training step (engine/step.py) against autograd and torch.optim.Adam (its fused
kernel): the batched step (CUDA lanes; rules 4's step) bitwise. The compiled passes of CPU lanes
are tested in test_lane_kernels.py."""

from __future__ import annotations

import pytest
import torch
import torch.nn.functional as F
from scripts_loader import load_script

from neural_sculpting.engine import data as data_module
from neural_sculpting.engine.adam import FLOAT32_MIN_NORMAL, LaneAdam, sqrt_floor
from neural_sculpting.engine.data import LaneData, boolean_data
from neural_sculpting.engine.lanes import LaneMLP
from neural_sculpting.engine.step import FUSED_CHUNK, LaneProgram


def masked_model(widths: tuple[int, ...], lanes: int, seed: int = 0) -> LaneMLP:
    model = LaneMLP.initialise(widths, [(seed, lane, "init") for lane in range(lanes)])
    gen = torch.Generator().manual_seed(seed)
    for mask in model.masks():
        mask.copy_((torch.rand(mask.shape, generator=gen) > 0.25).float())
    model.apply_masks_()
    return model


def autograd_steps(model: LaneMLP, batches, lr: float, weight_decay: float) -> None:
    """The textbook step: autograd through the lanes, torch's own fused Adam on one flat
    parameter (zero-padded to whole vector bodies, as the engine's buffer is), then the masks."""
    tensors = model.parameters()
    sizes = [t.numel() for t in tensors]
    flat = torch.zeros(-(-sum(sizes) // FUSED_CHUNK) * FUSED_CHUNK)
    flat[: sum(sizes)] = torch.cat([t.reshape(-1) for t in tensors])
    flat.requires_grad_()
    adam = torch.optim.Adam([flat], lr=lr, weight_decay=weight_decay, fused=True)
    mask = torch.ones_like(flat)
    mask[: sum(sizes)] = torch.cat([m.reshape(-1) for m in model.masks()])
    for x, y in batches:
        parts = zip(flat[: sum(sizes)].split(sizes), tensors, strict=True)
        views = [v.view(t.shape) for v, t in parts]
        n = len(model.weights)
        lanes = LaneMLP(model.widths, views[:n], views[n:], model.weight_masks, model.bias_masks)
        logits, _ = lanes.forward(x)
        loss = F.binary_cross_entropy_with_logits(logits, y, reduction="none")
        adam.zero_grad()
        loss.mean(dim=(1, 2)).sum().backward()
        adam.step()
        with torch.no_grad():
            flat.mul_(mask)
    with torch.no_grad():
        for t, v in zip(tensors, flat[: sum(sizes)].split(sizes), strict=True):
            t.copy_(v.view(t.shape))


@pytest.mark.parametrize(
    "widths, lanes, rows, weight_decay",
    [
        ((4, 24, 4), 3, 8, 1e-4),
        ((6, 36, 4), 21, 32, 1e-4),
        ((8, 36, 36, 36, 8), 5, 64, 0.0),
        ((4, 24, 24, 16), 7, 5, 1e-4),  # an odd batch, as an epoch's last one can be
        ((10, 60, 60, 60, 60, 7), 2, 16, 1e-4),
    ],
)
def test_the_batched_step_is_bitwise_autograd_and_torch_adam(widths, lanes, rows, weight_decay):
    gen = torch.Generator().manual_seed(1)
    batches = [
        (
            torch.randn(lanes, rows, widths[0], generator=gen),
            (torch.rand(lanes, rows, widths[-1], generator=gen) > 0.5).float(),
        )
        for _ in range(25)
    ]
    reference = masked_model(widths, lanes)
    program = LaneProgram(reference.clone(), lr=0.05, weight_decay=weight_decay, compiled=False)
    autograd_steps(reference, batches, 0.05, weight_decay)
    for x, y in batches:
        program.step(x, y)
    for theirs, ours in zip(reference.parameters(), program.model.parameters(), strict=True):
        assert torch.equal(theirs.detach(), ours)
    # Masked weights stay exactly zero, and were trained nowhere else.
    for p, m in zip(program.model.parameters(), program.model.masks(), strict=True):
        assert not bool(p[m == 0].any())


@pytest.mark.parametrize("tensors", [2, 1])  # a list of tensors, or one flat buffer
@pytest.mark.parametrize("weight_decay", [0.0, 1e-4])
def test_adam_with_vanishing_gradients_is_bitwise_torch_adam(tensors, weight_decay):
    """Gradients so small that the second moments fall below the smallest normal float32 (where
    the floor before the square root acts), exact zeros, and ordinary ones mixed."""
    gen = torch.Generator().manual_seed(0)
    start = [torch.randn(6, 9, 5, generator=gen), torch.zeros(6, 9)]
    if tensors == 1:  # weights and zero biases in one buffer, as the lane program holds them
        start = [torch.cat([p.flatten() for p in start])]
    theirs = [p.clone().requires_grad_() for p in start]
    mine = [p.clone() for p in start]
    reference = torch.optim.Adam(theirs, lr=0.05, weight_decay=weight_decay, foreach=True)
    ours = LaneAdam(mine, lr=0.05, weight_decay=weight_decay)
    assert ours.sqrt_floor == FLOAT32_MIN_NORMAL
    subnormal_seen = False
    for i in range(40):
        grads = []
        for p in start:
            g = torch.randn(p.shape, generator=gen)
            scale = torch.tensor([1.0, 1e-20, 1e-22, 1e-25, 0.0])[torch.arange(p.numel()) % 5]
            grads.append(g * scale.view(p.shape) * (1.0 if i % 3 else 1e-3))
        for p, g in zip(theirs, grads, strict=True):
            p.grad = g.clone()
        reference.step()
        ours.step([g.clone() for g in grads])
        v = torch.cat([s.flatten() for s in ours.exp_avg_sqs])
        subnormal_seen |= bool(((v > 0) & (v < FLOAT32_MIN_NORMAL)).any())
    assert subnormal_seen
    for a, b in zip(theirs, mine, strict=True):
        assert torch.equal(a.detach(), b)


def test_the_floor_is_used_only_where_it_cannot_change_the_update():
    assert sqrt_floor(1e-8, 0.999) == FLOAT32_MIN_NORMAL
    assert sqrt_floor(0.0, 0.999) == 0.0  # no eps: the denominator is sqrt(v) alone
    assert sqrt_floor(1e-30, 0.999) == 0.0  # an eps too small to absorb sqrt(floor)


@pytest.mark.parametrize("rows, batch", [(16, 4), (16, 5), (16, 32), (64, 8)])
@pytest.mark.parametrize("gather_values", [1, 1 << 20])
def test_epoch_batches_are_the_single_batches(monkeypatch, rows, batch, gather_values):
    monkeypatch.setattr(data_module, "GATHER_VALUES", gather_values)
    gen = torch.Generator().manual_seed(2)
    n = rows.bit_length() - 1
    tables = []
    for name in ("a", "b"):
        x = (torch.rand(rows, n, generator=gen) > 0.5).to(torch.uint8).numpy()
        y = (torch.rand(rows, 3, generator=gen) > 0.5).to(torch.uint8).numpy()
        tables.append((name, x, y))
    lanes = LaneData(boolean_data(tables), [0, 1, 1], "cpu")
    assert lanes._compiled_gather  # Boolean tables: `batches` gathers by the compiled call
    plan = lanes.epoch_plan([(0, "e"), (1, "e"), (2, "e")])
    got = list(lanes.batches(plan, batch))
    starts = list(range(0, rows, batch))
    assert len(got) == len(starts)
    for (x, y), start in zip(got, starts, strict=True):
        want_x, want_y = lanes.batch(plan, start, start + batch)
        assert x.is_contiguous() and torch.equal(x, want_x) and torch.equal(y, want_y)


def test_the_epoch_plan_draws_each_lane_from_its_own_key():
    tables = [("t", (torch.arange(8).view(8, 1) % 2).to(torch.uint8).numpy(), None)]
    tables = [("t", tables[0][1], tables[0][1])]
    lanes = LaneData(boolean_data(tables, noise_std=0.1), [0, 0], "cpu")
    both = lanes.epoch_plan([(0, "e"), (1, "e")])
    alone = lanes.select([1]).epoch_plan([(1, "e")])
    assert torch.equal(both.order[1], alone.order[0])
    assert torch.equal(both.noise[1], alone.noise[0])
    gen = torch.Generator().manual_seed(0)
    from neural_sculpting.engine.seeding import derive_seed

    gen.manual_seed(derive_seed(1, "e"))
    order = torch.randperm(8, generator=gen)
    noise = torch.randn(8, 1, generator=gen) * 0.1
    assert torch.equal(both.order[1], order) and torch.equal(both.noise[1], noise)


@pytest.mark.parametrize("inputs, noise_std", [(4, 0.1), (8, 0.25), (3, 0.0)])
def test_every_lanes_plan_is_torchs_shuffle_then_randn_from_its_seed(inputs, noise_std):
    """The compiled plan against torch's documented calls, lane by lane: at 16 to 256 rows the
    noise goes through torch's vector normal path, and the last lanes through its remainder."""
    rows = 1 << inputs
    x = (torch.arange(rows * inputs).view(rows, inputs) % 3 == 0).to(torch.uint8).numpy()
    lanes = LaneData(boolean_data([("t", x, x[:, :2])], noise_std=noise_std), [0] * 5, "cpu")
    seeds = [(1 << 62) + 977 * lane for lane in range(5)]
    plan = lanes.seeded_plan(seeds)
    for lane, seed in enumerate(seeds):
        gen = torch.Generator().manual_seed(seed)
        assert torch.equal(plan.order[lane], torch.randperm(rows, generator=gen))
        if noise_std:
            noise = torch.randn(rows, inputs, generator=gen) * noise_std
            assert torch.equal(plan.noise[lane], noise)
    assert (plan.noise is None) == (noise_std == 0)


def test_plans_drawn_into_reused_buffers_are_the_fresh_plans():
    """A training's epochs draw into one set of buffers; each plan must equal a fresh draw, and a
    selection of other lanes (or another lane count) must not reuse the buffers."""
    x = (torch.arange(32).view(16, 2) % 3 == 0).to(torch.uint8).numpy()
    lanes = LaneData(boolean_data([("t", x, x[:, :1])], noise_std=0.1), [0, 0, 0], "cpu")
    for epoch in range(3):
        seeds = [10 * epoch + lane for lane in range(3)]
        reused, fresh = lanes.seeded_plan(seeds, reuse=True), lanes.seeded_plan(seeds)
        assert torch.equal(reused.order, fresh.order) and torch.equal(reused.noise, fresh.noise)
    first = lanes.seeded_plan([1, 2, 3], reuse=True)
    kept_order = first.order.clone()
    two = lanes.select([0, 1]).seeded_plan([7, 8], reuse=True)
    fewer = lanes.seeded_plan([7, 8], reuse=True)
    assert torch.equal(first.order, kept_order)  # neither draw wrote into the first's buffers
    assert torch.equal(two.order, fewer.order) and two.order.data_ptr() != first.order.data_ptr()


def test_keep_lanes_copies_the_flagged_lanes_and_their_loose_parameters_only():
    model = masked_model((3, 5, 2), lanes=3)
    tail_lanes = torch.tensor([2, 0, 2, 1])
    program = LaneProgram(model, lr=0.1, weight_decay=0.0, tail=torch.arange(1.0, 5.0),
                          tail_lanes=tail_lanes)  # fmt: skip
    kept = torch.full_like(program.flat, -7.0)
    program.keep_lanes(kept, torch.tensor([True, False, True]))
    tensors = program.model.parameters()
    at = 0
    for t in tensors:
        block = kept[at : at + t.numel()].view(t.shape)
        assert torch.equal(block[0], t[0]) and torch.equal(block[2], t[2])
        assert bool((block[1] == -7.0).all())
        at += t.numel()
    tail = kept[at : at + 4]
    assert tail.tolist() == [1.0, 2.0, 3.0, -7.0]  # lanes 2, 0, 2 kept; lane 1's left alone


def test_the_evaluation_loss_terms_are_torchs_bce_with_logits_bitwise():
    from neural_sculpting.engine.training import bce_terms

    specials = [0.0, -0.0, 1e-45, -1e-45, 1e-38, 16.6, -17.0, 88.7, -89.0, 104.0, -104.0, 1e30]
    specials += [float("inf"), float("-inf")]
    z = torch.tensor(specials).repeat_interleave(4).view(1, -1, 4)
    y = torch.tensor([0.0, 1.0, 0.5, 0.25]).repeat(len(specials)).view(1, -1, 4)
    gen = torch.Generator().manual_seed(3)
    wide = torch.randn(7, 33, 5, generator=gen) * torch.logspace(-4, 2, 5)
    cases = [(z, y), (wide, (torch.rand(7, 33, 5, generator=gen) > 0.5).float())]
    for logits, targets in cases:
        want = F.binary_cross_entropy_with_logits(logits, targets, reduction="none")
        assert torch.equal(bce_terms(logits, targets).view(torch.int32), want.view(torch.int32))
        kept = bce_terms(logits, targets, 1 - targets)  # the complement made once, beforehand
        assert torch.equal(kept.view(torch.int32), want.view(torch.int32))


def loop_validation_batch_loss(row_losses: torch.Tensor, batch_size: int) -> torch.Tensor:
    """The rule as its definition reads: each batch's mean, added in batch order."""
    n_rows = row_losses.shape[1]
    batches = -(-n_rows // batch_size)
    total = torch.zeros(row_losses.shape[0], dtype=torch.float64)
    for start in range(0, n_rows, batch_size):
        total += row_losses[:, start : start + batch_size].double().mean(dim=1)
    return torch.full_like(total, float("inf")) if batches == 1 else total / (batches - 1)


@pytest.mark.parametrize(
    "rows, batch", [(256, 64), (256, 32), (100, 8), (100, 7), (16, 16), (5, 8)]
)
def test_the_batched_validation_loss_is_the_loop_bitwise(rows, batch):
    from neural_sculpting.engine.training import validation_batch_loss

    losses = torch.rand(9, rows, generator=torch.Generator().manual_seed(rows + batch)) * 3
    assert torch.equal(
        validation_batch_loss(losses, batch), loop_validation_batch_loss(losses, batch)
    )


# --- the whole engine against the one it replaced -------------------------------------------------


def load_pins_script():
    return load_script("engine_pins")


def test_a_changed_pin_is_reported():
    pins = load_pins_script()
    want = [{"trial": "a/s0", "density": 0.1, "network_sha256": "ab"}]
    assert pins.differences(want, [dict(want[0])]) == []
    changed = [{**want[0], "network_sha256": "cd"}]
    assert pins.differences(want, changed) == ["a/s0: network_sha256 pinned 'ab', now 'cd'"]
    assert pins.differences(want, [{**want[0], "trial": "b/s0"}]) != []


@pytest.mark.slow
def test_the_engine_gives_the_results_pinned_by_the_engine_it_replaced(capsys):
    """Nine trials of the validation, input_overlap and hierarchy experiments, searched whole:
    selected (Pu, Pe), densities, every lane's rounds and the selected network's bytes are those
    engine rules 4 gave when the pins were written."""
    assert load_pins_script().main(["--check"]) == 0, capsys.readouterr().err
