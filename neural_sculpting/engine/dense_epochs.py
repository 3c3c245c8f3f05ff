"""How many epochs a learning rate and batch size need (Appendix H.2, Tables 2 and 3).

The paper trains with each (learning rate, batch size) for "the fewest epochs, at most 120, at
which the dense networks of all four seeds reach 100% validation accuracy". A trial's dense
network is trained exactly as the search trains it (same initialisation and per-epoch keys), and
epoch e of a run draws only from (seed, "dense", e), so a run of E epochs is the first E epochs of a
run of 120: one 120-epoch run per seed tells every E at once. The dense network a trial keeps is
its best epoch, so what counts at E is the best accuracy reached by epoch E.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import torch

from neural_sculpting.engine.data import LaneData, graph_data
from neural_sculpting.engine.lanes import LaneMLP
from neural_sculpting.engine.training import Evaluation, train_lanes
from neural_sculpting.foundations.errors import UsageError
from neural_sculpting.study.hparams import TrainingHparams
from neural_sculpting.study.lr_batch import MAX_EPOCHS


def fewest_epochs(best_by_epoch: Sequence[Sequence[float]], threshold: float) -> int | None:
    """The fewest epochs E (1-based) at which every seed's best accuracy so far reaches
    `threshold`, from each seed's accuracy per epoch; None if no epoch of the run does."""
    if not best_by_epoch:
        raise UsageError("no seed given")
    lengths = {len(history) for history in best_by_epoch}
    if len(lengths) != 1:
        raise UsageError("every seed needs the same number of epochs")
    best = [float("-inf")] * len(best_by_epoch)
    for epoch in range(lengths.pop()):
        best = [max(b, h[epoch]) for b, h in zip(best, best_by_epoch, strict=True)]
        if all(b >= threshold for b in best):
            return epoch + 1
    return None


@dataclass(frozen=True)
class EpochsChoice:
    """One (graph, hidden layers, lr, batch size): the epochs chosen (None: untrainable within
    `max_epochs`) and, per seed, the first epoch its dense network reached the threshold."""

    epochs: int | None
    first_epoch_per_seed: tuple[int | None, ...]


def choose_epochs(
    graph: str,
    hidden: Sequence[int],
    seeds: Sequence[int],
    train: TrainingHparams,
    threshold: float = 100.0,
    max_epochs: int = MAX_EPOCHS,
    device: str = "cpu",
) -> EpochsChoice:
    """Train the seeds' dense networks (as lanes of one batch) for `max_epochs` at `train`'s lr and
    batch size, exactly as a trial's dense stage does, and pick the epochs."""
    data = graph_data([graph], train.noise_std)
    widths = (data.n_inputs, *hidden, data.n_outputs)
    model = LaneMLP.initialise(widths, [(seed, "init") for seed in seeds], torch.device(device))
    lanes = LaneData(data, [0] * len(seeds), torch.device(device), "per_bit")
    history: list[list[float]] = [[] for _ in seeds]

    def record(epoch: int, ev: Evaluation) -> None:
        for lane, accuracy in enumerate(ev.accuracy.tolist()):
            history[lane].append(float(accuracy))

    hp = TrainingHparams(
        lr=train.lr,
        batch_size=train.batch_size,
        epochs=max_epochs,
        weight_decay=train.weight_decay,
        noise_std=train.noise_std,
    )
    train_lanes(model, lanes, hp, [(seed, "dense") for seed in seeds], on_epoch=record)
    per_seed = tuple(fewest_epochs([h], threshold) for h in history)
    return EpochsChoice(fewest_epochs(history, threshold), per_seed)
