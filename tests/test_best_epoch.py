"""Which epoch a (re)training keeps: the authors' rule (their `utils/train.py`), checked against
hand-made epoch sequences, and their validation loss computed by hand."""

from __future__ import annotations

import pytest
import torch
from test_engine_lanes import xor_table

from neural_sculpting.engine import training
from neural_sculpting.engine.data import LaneData, boolean_data
from neural_sculpting.engine.lanes import LaneMLP
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
