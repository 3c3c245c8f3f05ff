"""The compiled forward and backward passes (engine/kernels.py, csrc/lane_kernels.cpp): exact on
integer data against integer arithmetic, close to float64 autograd on real data, and each lane's
numbers independent of the lanes beside it, the thread count and the build's vector width."""

from __future__ import annotations

import itertools

import numpy as np
import pytest
import torch
import torch.nn.functional as F

from neural_sculpting.engine import kernels
from neural_sculpting.engine.data import LaneData, boolean_data
from neural_sculpting.engine.lanes import LaneMLP
from neural_sculpting.engine.step import LaneProgram
from neural_sculpting.engine.training import bce_terms, evaluate, evaluate_chunks

# Widths that leave every kind of remainder: 1-7 columns past a vector, rows past a block of four,
# single units, and 16+ columns.
SHAPES = [
    ((3, 1, 17, 9, 2), 5),
    ((8, 5, 5, 5, 16), 13),
    ((2, 36, 1), 37),
    ((6, 24, 24, 3), 64),
    ((1, 7, 1), 1),
]


def integer_lanes(widths, lanes, rows, seed):
    """Small integers (exact in float32, and so are all their sums and products here)."""
    gen = torch.Generator().manual_seed(seed)

    def ints(*shape, low=-2, high=3):
        return torch.randint(low, high, shape, generator=gen).float()

    x = ints(lanes, rows, widths[0])
    weights = [ints(lanes, b, a) for a, b in itertools.pairwise(widths)]
    biases = [ints(lanes, b, low=-3, high=4) for b in widths[1:]]
    return x, weights, biases


def exact_forward(x, weights, biases):
    """Per lane, in int64: the hidden activations (ReLU) and the logits."""
    h = x.numpy().astype(np.int64)
    hidden = []
    for k, (w, b) in enumerate(zip(weights, biases, strict=True)):
        h = np.einsum("lri,loi->lro", h, w.numpy().astype(np.int64)) + b.numpy()[:, None, :]
        if k < len(weights) - 1:
            h = np.maximum(h, 0)
            hidden.append(h)
    return hidden, h


@pytest.mark.parametrize("widths, rows", SHAPES)
def test_the_compiled_passes_are_exact_on_integers(widths, rows):
    lanes = 3
    x, weights, biases = integer_lanes(widths, lanes, rows, seed=rows)
    hidden_want, logits_want = exact_forward(x, weights, biases)
    hidden = [torch.empty(lanes, w, rows) for w in widths[1:-1]]  # feature-major
    logits = torch.empty(lanes, rows, widths[-1])
    kernels.lane_kernels().forward(x, weights, biases, hidden, logits)
    assert np.array_equal(logits.numpy(), logits_want)
    for got, want in zip(hidden, hidden_want, strict=True):
        assert np.array_equal(got.transpose(1, 2).numpy(), want)
    # Backward from an integer loss gradient: dW = g^T a, db = sum g, g <- (g W) * (a > 0).
    g = torch.randint(-2, 3, logits.shape, generator=torch.Generator().manual_seed(7)).float()
    grad_w = [torch.full_like(w, 99.0) for w in weights]
    grad_b = [torch.full_like(b, 99.0) for b in biases]
    kernels.lane_kernels().backward(g, x, hidden, weights, biases, grad_w, grad_b)
    inputs = [x.numpy().astype(np.int64), *hidden_want]
    up = g.numpy().astype(np.int64)
    for k in range(len(weights) - 1, -1, -1):
        assert np.array_equal(grad_w[k].numpy(), np.einsum("lro,lri->loi", up, inputs[k]))
        assert np.array_equal(grad_b[k].numpy(), up.sum(axis=1))
        up = np.einsum("lro,loi->lri", up, weights[k].numpy().astype(np.int64)) * (inputs[k] > 0)


def float64_gradients(model: LaneMLP, x, y):
    """The gradient of each lane's mean BCE by autograd in float64."""
    params = [p.detach().double().requires_grad_() for p in model.parameters()]
    n = len(model.weights)
    lanes = LaneMLP(model.widths, params[:n], params[n:], model.weight_masks, model.bias_masks)
    logits, _ = lanes.forward(x.double())
    loss = F.binary_cross_entropy_with_logits(logits, y.double(), reduction="none")
    loss.mean(dim=(1, 2)).sum().backward()
    return [p.grad for p in params]


@pytest.mark.parametrize("widths, rows", SHAPES)
def test_the_compiled_gradients_are_float64_autograds_to_float32_rounding(widths, rows):
    lanes = 4
    gen = torch.Generator().manual_seed(3)
    model = LaneMLP.initialise(widths, [(0, lane) for lane in range(lanes)])
    x = torch.randn(lanes, rows, widths[0], generator=gen)
    y = (torch.rand(lanes, rows, widths[-1], generator=gen) > 0.5).float()
    program = LaneProgram(model.clone(), lr=0.01, weight_decay=0.0, compiled=True)
    program.step(x, y)  # the gradients stay in `grads` (Adam then moves only the weights)
    for want, got in zip(float64_gradients(model, x, y), program.grads, strict=True):
        scale = want.abs().max().item() + 1e-12
        assert (got.double() - want).abs().max().item() <= 1e-5 * scale


def test_a_lanes_training_and_loss_do_not_depend_on_the_lanes_beside_it():
    """Trained weights, logits and loss terms of a lane alone, among a few, or among all: bit for
    bit the same (also the lane count's tail in the sigmoid and log-sigmoid, `kernels.padded`)."""
    widths, rows, lanes = (5, 19, 11, 3), 21, 9
    gen = torch.Generator().manual_seed(5)
    model = LaneMLP.initialise(widths, [(1, lane) for lane in range(lanes)])
    xs = torch.randn(lanes, rows, widths[0], generator=gen)
    ys = (torch.rand(lanes, rows, widths[-1], generator=gen) > 0.5).float()

    def trained(lane_ids):
        program = LaneProgram(model.select(lane_ids), lr=0.05, weight_decay=1e-4)
        for _ in range(6):
            program.step(xs[lane_ids].contiguous(), ys[lane_ids].contiguous())
        logits = program.model.logits(xs[lane_ids])
        return program.model.parameters(), logits, bce_terms(logits, ys[lane_ids])

    params_all, logits_all, loss_all = trained(list(range(lanes)))
    params_again, logits_again, _ = trained(list(range(lanes)))  # and run to run
    assert all(torch.equal(a, b) for a, b in zip(params_all, params_again, strict=True))
    assert torch.equal(logits_all, logits_again)
    for subset in ([4], [7, 2], [0, 8, 3, 5]):
        params, logits, loss = trained(subset)
        for a, b in zip(params_all, params, strict=True):
            assert torch.equal(a[subset], b)
        assert torch.equal(logits_all[subset], logits)
        assert torch.equal(loss_all[subset], loss)


def test_the_compiled_passes_do_not_depend_on_the_thread_count():
    widths, rows, lanes = (7, 30, 13, 5), 24, 64
    gen = torch.Generator().manual_seed(6)
    model = LaneMLP.initialise(widths, [(3, lane) for lane in range(lanes)])
    x = torch.randn(lanes, rows, widths[0], generator=gen)
    g = torch.randn(lanes, rows, widths[-1], generator=gen)

    def passes(threads):
        before = torch.get_num_threads()
        torch.set_num_threads(threads)
        try:
            hidden = [torch.empty(lanes, w, rows) for w in widths[1:-1]]
            logits = torch.empty(lanes, rows, widths[-1])
            kernels.lane_kernels().forward(x, model.weights, model.biases, hidden, logits)
            grads = [torch.empty_like(p) for p in model.parameters()]
            n = len(model.weights)
            kernels.lane_kernels().backward(
                g, x, hidden, model.weights, model.biases, grads[:n], grads[n:]
            )
            return [logits, *hidden, *grads]
        finally:
            torch.set_num_threads(before)

    for a, b in zip(passes(1), passes(3), strict=True):
        assert torch.equal(a, b)


def test_the_compiled_step_trains_as_the_batched_one_to_float32_rounding():
    widths, rows, lanes = (6, 36, 36, 4), 32, 5
    gen = torch.Generator().manual_seed(9)
    model = LaneMLP.initialise(widths, [(2, lane) for lane in range(lanes)])
    compiled = LaneProgram(model.clone(), lr=0.01, weight_decay=1e-4, compiled=True)
    batched = LaneProgram(model.clone(), lr=0.01, weight_decay=1e-4, compiled=False)
    for _ in range(5):
        x = torch.randn(lanes, rows, widths[0], generator=gen)
        y = (torch.rand(lanes, rows, widths[-1], generator=gen) > 0.5).float()
        compiled.step(x, y)
        batched.step(x, y)
    assert (compiled.flat - batched.flat).abs().max().item() < 1e-5
    assert not torch.equal(compiled.flat, batched.flat)  # two programs, not one path taken twice


def test_bad_shapes_are_refused_with_a_message():
    x, weights, biases = integer_lanes((3, 4, 2), 2, 5, seed=0)
    strided = [weights[0], weights[1][:, :, :3]]  # not contiguous, and one input short
    with pytest.raises(RuntimeError, match="weight 1"):
        kernels.lane_kernels().forward(x, strided, biases, [], torch.empty(2, 5, 2))
    with pytest.raises(RuntimeError, match="logits"):
        kernels.lane_kernels().forward(x, weights, biases, [], torch.empty(2, 5, 3))


@pytest.mark.slow
def test_the_scalar_build_gives_the_vector_builds_numbers():
    """A build without AVX2 (one column at a time, `std::fma`) against the vector build, bit for
    bit, on real-valued data through every remainder path."""
    if "-mavx2" not in kernels.compile_flags():
        pytest.skip("this CPU has no AVX2 build to compare with")
    scalar, vector = kernels.lane_kernels(vector=False), kernels.lane_kernels(vector=True)
    gen = torch.Generator().manual_seed(11)
    for widths, rows in SHAPES:
        lanes = 3
        model = LaneMLP.initialise(widths, [(4, lane) for lane in range(lanes)])
        x = torch.randn(lanes, rows, widths[0], generator=gen)
        g = torch.randn(lanes, rows, widths[-1], generator=gen)
        results = []
        for module in (scalar, vector):
            hidden = [torch.empty(lanes, w, rows) for w in widths[1:-1]]
            logits = torch.empty(lanes, rows, widths[-1])
            module.forward(x, model.weights, model.biases, hidden, logits)
            grads = [torch.empty_like(p) for p in model.parameters()]
            n = len(model.weights)
            module.backward(g, x, hidden, model.weights, model.biases, grads[:n], grads[n:])
            results.append([logits, *hidden, *grads])
        for a, b in zip(*results, strict=True):
            assert torch.equal(a, b)


@pytest.mark.parametrize("rows, outputs", [(16, 1), (7, 3), (256, 16), (5, 13)])
def test_the_bits_right_are_the_sign_tests_count(rows, outputs):
    """Per lane, (logits > 0) == truth counted, through the eight-wide body and the tail, with
    zeros of both signs, infinities and NaN (never above zero) among the logits."""
    gen = torch.Generator().manual_seed(rows * outputs)
    lanes = 3
    logits = torch.randn(lanes, rows, outputs, generator=gen)
    specials = torch.tensor([0.0, -0.0, float("inf"), float("-inf"), float("nan"), 1e-45])
    pick = torch.randint(0, 4 * len(specials), logits.shape, generator=gen)
    logits = torch.where(pick < len(specials), specials[pick.clamp(max=len(specials) - 1)], logits)
    truth = torch.rand(lanes, rows, outputs, generator=gen) > 0.5
    got = kernels.lane_kernels().bits_right(logits, truth)
    for lane in range(lanes):
        want = sum(
            (float(z) > 0) == bool(t)
            for z, t in zip(logits[lane].flatten(), truth[lane].flatten(), strict=True)
        )
        assert got[lane].item() == want


@pytest.mark.parametrize(
    "widths, batch_size",
    [((4, 9, 3), None), ((4, 9, 3), 16), ((5, 12, 7, 6), 8), ((6, 24, 24, 16), 32), ((3, 5, 2), 3)],
)
def test_the_compiled_evaluation_is_the_chunked_one(widths, batch_size):
    """`evaluate` of a whole truth table by one compiled call against `evaluate_chunks`, bit for
    bit (accuracy, mean BCE, the best-epoch rule's loss: none, one batch, several, an uneven last
    one), for all lanes and for a lane alone; and against float64 by hand. Two tasks, lanes with
    dead units, and large weights, so that some logits saturate the log-sigmoid."""
    n_in, n_out, lanes = widths[0], widths[-1], 7
    inputs = np.array([[(r >> i) & 1 for i in range(n_in)] for r in range(2**n_in)], np.uint8)
    tables = [(f"t{t}", inputs, (np.random.default_rng(t).random((2**n_in, n_out)) > 0.5))
              for t in range(2)]  # fmt: skip
    data = LaneData(boolean_data([(n, i, o.astype(np.uint8)) for n, i, o in tables]),
                    [lane % 2 for lane in range(lanes)], "cpu")  # fmt: skip
    model = LaneMLP.initialise(widths, [(6, lane) for lane in range(lanes)])
    with torch.no_grad():
        model.weights[0][2:4, :, 0] = 0.0  # lanes 2 and 3: input 0 pruned
        model.weights[-1][5].mul_(40.0)  # lane 5: logits far into the saturated range
    compiled, chunked = evaluate(model, data, batch_size), evaluate_chunks(model, data, batch_size)
    for name in ("accuracy", "loss", "per_bit", "selection_loss"):
        a, b = getattr(compiled, name), getattr(chunked, name)
        assert (a is None) == (b is None) == (name == "selection_loss" and batch_size is None)
        if a is not None:
            assert a.dtype == b.dtype and torch.equal(a, b), name
    alone = evaluate(model.select([5]), data.select([5]), batch_size)
    assert torch.equal(alone.loss, compiled.loss[5:6])
    logits = model.forward(data.val_x)[0].double()  # autograd's forward
    y = data.val_y.double()
    right = ((logits > 0) == (y > 0.5)).double().mean(dim=(1, 2)) * 100
    assert torch.allclose(compiled.accuracy, right, rtol=0, atol=1e-9)
    bce = F.binary_cross_entropy_with_logits(logits, y, reduction="none")
    assert torch.allclose(compiled.loss.double(), bce.mean(dim=(1, 2)), rtol=1e-5)
    if batch_size is not None and 2**n_in > batch_size:
        means = [b.mean(dim=(1, 2)) for b in bce.split(batch_size, dim=1)]
        by_hand = torch.stack(means).sum(dim=0) / (len(means) - 1)
        assert torch.allclose(compiled.selection_loss, by_hand, rtol=1e-5)
    elif batch_size is not None:
        assert bool(torch.isinf(compiled.selection_loss).all())
