"""Which epoch a (re)training keeps: the authors' rule (their `utils/train.py`), checked against
hand-made epoch sequences, and their validation loss computed by hand."""

from __future__ import annotations

import pytest
import torch
from test_engine_lanes import xor_table

from neural_sculpting.engine import training
from neural_sculpting.engine.data import LaneData, boolean_data
from neural_sculpting.engine.lanes import LaneMLP
from neural_sculpting.engine.step import LaneProgram
from neural_sculpting.engine.training import Evaluation, train_lanes, validation_batch_loss
from neural_sculpting.study.hparams import TrainingHparams


def test_the_validation_loss_is_the_sum_of_batch_means_over_batches_minus_one():
    rows = torch.tensor([[1.0, 2.0, 3.0, 4.0, 5.0]])
    assert validation_batch_loss(rows[:, :4], 2).item() == 1.5 + 3.5  # two batches: / 1
    assert validation_batch_loss(rows, 2).item() == (1.5 + 3.5 + 5.0) / 2  # last batch of one
    assert validation_batch_loss(rows, 5).item() == float("inf")  # one batch: / 0
    assert validation_batch_loss(rows, 16).item() == float("inf")


def kept_epoch(monkeypatch, accuracies, losses, batch_size) -> int:
    """Train one lane on XOR for len(accuracies) epochs while each epoch's evaluation is the
    scripted (accuracy, selection loss); return the epoch whose weights the lane ends with."""
    inputs, outputs = xor_table()
    data = LaneData(boolean_data([("xor", inputs, outputs)]), [0], "cpu")
    model = LaneMLP.initialise((4, 8, 4), [(0, "init")])
    snapshots, scripted = [], iter(zip(accuracies, losses, strict=True))

    def evaluate(m, d, b=None):
        snapshots.append(m.weights[0].detach().clone())
        acc, loss = next(scripted)
        # Every row at the scripted loss, batched as the rule batches the validation table.
        selection = validation_batch_loss(torch.full((1, 16), float(loss)), b)
        return Evaluation(torch.tensor([acc], dtype=torch.float64), torch.tensor([0.5]),
                          torch.tensor([acc], dtype=torch.float64), None,
                          selection.double())  # fmt: skip

    monkeypatch.setattr(training, "evaluate", evaluate)
    hp = TrainingHparams(0.05, batch_size, len(accuracies))
    train_lanes(model, data, hp, [(0, "dense")])
    matches = [i for i, w in enumerate(snapshots) if torch.equal(w, model.weights[0])]
    assert len(matches) == 1
    return matches[0]


@pytest.mark.parametrize(
    ("accuracies", "losses", "expected"),
    [
        ([50, 100, 100, 75], [0.5, 0.3, 0.4, 0.2], 1),  # as accurate but a higher loss: kept 1
        ([50, 100, 100, 75], [0.5, 0.3, 0.3, 0.2], 2),  # an exact tie: the later epoch
        ([50, 100, 100, 75], [0.5, 0.3, 0.2, 0.1], 2),  # as accurate, lower loss
        ([100, 75, 100, 50], [0.2, 0.1, 0.3, 0.1], 0),  # the first 100% has the lower loss
    ],
)
def test_two_validation_batches_keep_the_best_accuracy_then_the_lower_loss(
    monkeypatch, accuracies, losses, expected
):
    # The 16-row table at batch 8: two batches, a finite loss (equal rows: their mean).
    assert kept_epoch(monkeypatch, accuracies, losses, 8) == expected


def test_a_table_in_one_batch_keeps_the_latest_epoch_with_the_highest_accuracy(monkeypatch):
    """16 rows at batch 16: the authors' loss divides by zero, so every epoch as accurate as the
    best replaces it, whatever its loss (the rule behind their reused 4-48-48-48-16 networks)."""
    assert kept_epoch(monkeypatch, [50, 100, 100, 75], [0.5, 0.1, 0.4, 0.2], 16) == 2
    assert kept_epoch(monkeypatch, [100, 100, 100, 100], [0.1, 0.2, 0.3, 0.4], 16) == 3


def offers(gen: torch.Generator, lanes: int, epochs: int, digits: bool) -> list[Evaluation]:
    """Scripted evaluations with many exact ties: accuracies from three values, selection losses
    from four (inf as for one batch, NaN as from a diverged lane)."""
    accuracies = torch.tensor([50.0, 75.0, 100.0], dtype=torch.float64)
    losses = torch.tensor([0.1, 0.2, float("inf"), float("nan")], dtype=torch.float64)
    out = []
    for _ in range(epochs):
        acc = accuracies[torch.randint(0, 3, (lanes,), generator=gen)]
        per_digit = acc.flip(0).clone() if digits else None
        selection = losses[torch.randint(0, 4, (lanes,), generator=gen)]
        loss = torch.rand(lanes, generator=gen)
        out.append(Evaluation(acc, loss, acc * 0.5, per_digit, selection))
    return out


def same_bits(a: torch.Tensor, b: torch.Tensor) -> bool:
    """Equal bit for bit (NaN included)."""
    ints = {torch.float64: torch.int64, torch.float32: torch.int32}
    return a.dtype == b.dtype and torch.equal(a.view(ints[a.dtype]), b.view(ints[b.dtype]))


def kept_by_hand(evaluations: list[Evaluation], lane: int) -> int:
    """The epoch the authors' rule keeps for one lane, in Python floats."""
    best, best_acc, best_loss = -1, -1.0, float("inf")
    for epoch, ev in enumerate(evaluations):
        acc, loss = float(ev.accuracy[lane]), float(ev.selection_loss[lane])
        if acc > best_acc or (acc >= best_acc and loss <= best_loss):
            best, best_acc, best_loss = epoch, acc, loss
    return best


def lane_parameters(program: LaneProgram, flat: torch.Tensor, lane: int) -> torch.Tensor:
    """One lane's parameters in a buffer laid out as `program.flat`, loose ones last."""
    parts, at = [], 0
    for size in program.sizes:
        parts.append(flat[at : at + size].view(program.model.n_lanes, -1)[lane])
        at += size
    loose = flat[program.tail_at : program.tail_at + len(program.tail_lanes)]
    parts.append(loose[program.tail_lanes == lane])
    return torch.cat(parts)


@pytest.mark.parametrize("digits", [False, True])
def test_the_compiled_rule_keeps_what_the_tensor_rule_keeps(digits):
    """The compiled `KeptEpochs` (CPU lanes) against the same rule in tensor operations (any
    device), epoch by epoch on scripted evaluations with many ties: the same measures, and the
    parameters, loose ones (`tail`) included, of the epoch the rule keeps by hand."""
    lanes, gen = 5, torch.Generator().manual_seed(3)
    model = LaneMLP.initialise((3, 6, 2), [(0, lane) for lane in range(lanes)])
    tail, tail_lanes = torch.randn(7, generator=gen), torch.tensor([0, 0, 1, 4, 4, 4, 1])
    programs = [
        LaneProgram(model.clone(), 0.1, 0.0, tail.clone(), tail_lanes, compiled=compiled)
        for compiled in (True, False)
    ]
    kept = [training.KeptEpochs(program, digits) for program in programs]
    assert programs[0].compiled and not programs[1].compiled
    evaluations, snapshots = offers(gen, lanes, 12, digits), []
    for epoch, ev in enumerate(evaluations):
        step = torch.randn(programs[0].flat.shape, generator=gen)  # every parameter moves
        for program, rule in zip(programs, kept, strict=True):
            program.flat.add_(step)
            rule.offer(ev)
        snapshots.append(programs[0].flat.clone())
        for name in ("accuracy", "loss", "selection", "per_bit", "per_digit", "flat"):
            a, b = (getattr(rule, name) for rule in kept)
            assert (a is None) == (b is None) and (a is None or same_bits(a, b)), (epoch, name)
    chosen = [kept_by_hand(evaluations, lane) for lane in range(lanes)]
    assert len(set(chosen)) > 1  # the script makes lanes keep different epochs
    for lane, epoch in enumerate(chosen):
        want = lane_parameters(programs[0], snapshots[epoch], lane)
        assert torch.equal(lane_parameters(programs[0], kept[0].flat, lane), want)
        assert kept[0].accuracy[lane] == evaluations[epoch].accuracy[lane]
        assert kept[0].loss[lane] == evaluations[epoch].loss[lane]
