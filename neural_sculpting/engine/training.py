"""Training and evaluation of all lanes at once (Appendix H.1).

Loss: binary cross-entropy, mean over all output bits of each lane's batch, SUMMED over lanes, so
each lane's gradient is exactly its own. Adam (L2 weight decay as torch's Adam applies it) is
elementwise, so one optimiser over the stacked tensors updates every lane as if it were alone.
A fresh optimiser at every (re)training. The best epoch is kept by the authors' rule (their
`utils/train.py`, Appendix H.1): an epoch replaces the kept one when its validation accuracy is
higher, or when it is at least as high and its validation loss at most as low, so a later epoch
wins an exact tie. That loss is theirs too (`validation_batch_loss`): the validation rows in batches
of the training batch size, the sum of the batches' mean losses divided by (batches - 1), which is
infinite when the whole table fits in one batch; then the latest epoch with the highest accuracy is
kept. (Their batch losses come from sigmoid probabilities with a 1e-8 guard, ours from the logits;
that changes the loss by far less than the gaps the rule compares.)
"""

from __future__ import annotations

import itertools
from collections.abc import Callable, Sequence
from dataclasses import dataclass

import torch
import torch.nn.functional as F

from neural_sculpting.engine import kernels
from neural_sculpting.engine.compaction import COMPACT_MIN_WEIGHTS, compact_groups
from neural_sculpting.engine.data import LaneData, TaskData
from neural_sculpting.engine.lanes import LaneMLP
from neural_sculpting.engine.seeding import KeyPart, KeySeeds
from neural_sculpting.engine.step import LaneProgram
from neural_sculpting.study.hparams import TrainingHparams


@dataclass(frozen=True)
class Evaluation:
    """Per lane: accuracy in percent by the lanes' measure (`LaneData.accuracy_measure`), mean
    BCE, both measures (`per_digit` None for tasks without digits), and the loss the best-epoch
    rule compares (`validation_batch_loss`; None unless a batch size was given)."""

    accuracy: torch.Tensor
    loss: torch.Tensor
    per_bit: torch.Tensor | None = None
    per_digit: torch.Tensor | None = None
    selection_loss: torch.Tensor | None = None


def one_batch_loss(n_lanes: int) -> torch.Tensor:
    """[L] the authors' validation loss of a table that fits in one batch: their sum of batch
    means over (batches - 1) divides by zero, so inf (every epoch as accurate is then kept)."""
    return torch.full((n_lanes,), float("inf"), dtype=torch.float64)


def validation_batch_loss(row_losses: torch.Tensor, batch_size: int) -> torch.Tensor:
    """[L] the authors' validation loss from per-row mean losses [L, V]: the rows in consecutive
    batches of `batch_size`, the sum of the batch means over (batches - 1); inf for one batch."""
    n_lanes, n_rows = row_losses.shape
    batches = -(-n_rows // batch_size)
    if batches == 1:
        return one_batch_loss(n_lanes)
    full = (n_rows // batch_size) * batch_size
    # The full batches' means at once, then summed in batch order (a running sum, as a loop
    # adding them one by one would: cumsum adds sequentially).
    parts = [row_losses[:, :full].double().view(n_lanes, -1, batch_size).mean(dim=2)]
    if full < n_rows:
        parts.append(row_losses[:, full:].double().mean(dim=1, keepdim=True))
    means = torch.cat(parts, dim=1) if len(parts) > 1 else parts[0]
    return means.cumsum(dim=1)[:, -1] / (batches - 1)


def digits_right(logits: torch.Tensor, y: torch.Tensor, data: TaskData) -> torch.Tensor:
    """[L] digits right: per `data.digit_groups` slice and sample, a one-hot group is right when
    its argmax is the target's, a code group when every bit is right at 0.5."""
    right = torch.zeros(logits.shape[0], dtype=torch.long, device=logits.device)
    for a, b in data.digit_groups:
        if data.digit_one_hot:
            ok = logits[..., a:b].argmax(dim=2) == y[..., a:b].argmax(dim=2)
        else:
            ok = ((logits[..., a:b] > 0) == (y[..., a:b] > 0.5)).all(dim=2)
        right += ok.sum(dim=1)
    return right


def bce_terms(
    logits: torch.Tensor, y: torch.Tensor, complement: torch.Tensor | None = None
) -> torch.Tensor:
    """Elementwise BCE with logits, (1 - y) * z - log(sigmoid(z)): bitwise
    `F.binary_cross_entropy_with_logits(z, y, reduction="none")` (ATen's own composition,
    checked on 83 million values including infinities, subnormals and fractional targets), in
    place where it can be, which at the validation table's shapes takes 0.6 of its time.
    `complement` is 1 - y made before (`LaneData.val_chunks` keeps it). The log-sigmoid runs
    over padded logits' whole buffer (`kernels.lanewise`)."""
    terms = (1 - y).mul_(logits) if complement is None else torch.mul(complement, logits)
    return terms.sub_(kernels.lanewise(F.logsigmoid, logits))


def bits_right(logits: torch.Tensor, y_true: torch.Tensor) -> torch.Tensor:
    """[L] output bits right: sigmoid(z) > 0.5 exactly when z > 0, and counting bits keeps 100%
    exact in floating point (by `kernels.py` on the CPU: the same integers)."""
    if kernels.runs_on(logits) and logits.is_contiguous() and y_true.is_contiguous():
        return kernels.lane_kernels().bits_right(logits, y_true)
    return ((logits > 0) == y_true).sum(dim=(1, 2))


@torch.no_grad()
def evaluate(model: LaneMLP, data: LaneData, batch_size: int | None = None) -> Evaluation:
    """Accuracy and loss of every lane on its clean validation set; with `batch_size`, also the
    loss the best-epoch rule compares. A validation table of one chunk without digits (every
    Boolean table) on the CPU is evaluated by one compiled call (`kernels.py`: the operations
    of `evaluate_chunks`, issued from C++, so the same numbers), anything else by
    `evaluate_chunks`."""
    if data.data.n_val <= data.eval_rows and not data.data.digit_groups:
        x, _, y_true, complement = next(data.val_chunks())
        if kernels.runs_on(x) and kernels.runs_on(model.weights[0]) and x.is_contiguous():
            weights = [w.contiguous() for w in model.weights]
            biases = [b.contiguous() for b in model.biases]
            per_bit, loss, selection = kernels.lane_kernels().evaluate_table(
                x, weights, biases, y_true, complement, batch_size, kernels.VECTOR_BODY
            )
            return Evaluation(per_bit, loss, per_bit, None, selection)
    return evaluate_chunks(model, data, batch_size)


@torch.no_grad()
def evaluate_chunks(model: LaneMLP, data: LaneData, batch_size: int | None = None) -> Evaluation:
    """`evaluate` on any device, a chunk of validation rows at a time (`LaneData.val_chunks`)."""
    one_chunk = data.data.n_val <= data.eval_rows
    bits = digits = 0
    sums, means, rows = [], [], []
    # The rows' losses matter only to a loss over several batches (one batch: infinite).
    several_batches = batch_size is not None and data.data.n_val > batch_size
    for x, y, y_true, complement in data.val_chunks():
        logits = model.logits(x)
        loss = bce_terms(logits, y, complement)
        if one_chunk:  # (every Boolean table) the mean exactly as before chunking existed
            means.append(loss.mean(dim=(1, 2)))
        else:
            sums.append(loss.sum(dim=(1, 2)))
        if several_batches:
            rows.append(loss.mean(dim=2).cpu())
        right = bits_right(logits, y_true)
        bits = right if one_chunk else bits + right
        if data.data.digit_groups:
            right = digits_right(logits, y, data.data)
            digits = right if one_chunk else digits + right
    n_val, n_out = data.data.n_val, data.data.n_outputs
    mean_loss = means[0] if one_chunk else torch.stack(sums).sum(dim=0) / (n_val * n_out)
    per_bit = (bits.double() * 100.0 / (n_val * n_out)).cpu()
    per_digit = None
    if data.data.digit_groups:
        per_digit = (digits.double() * 100.0 / (n_val * len(data.data.digit_groups))).cpu()
    accuracy = per_digit if data.accuracy_measure == "per_digit" else per_bit
    selection = None
    if several_batches:
        selection = validation_batch_loss(rows[0] if one_chunk else torch.cat(rows, 1), batch_size)
    elif batch_size is not None:  # one batch: no row losses were needed
        selection = one_batch_loss(len(per_bit))
    return Evaluation(accuracy, mean_loss.cpu(), per_bit, per_digit, selection)


# Per-parameter float32 arrays a lane holds during pruning: the last kept network's weights and
# masks, the trial network's weights and masks, gradients, Adam's m and v, the best epoch's copy.
ARRAYS_PER_PARAMETER = 8
# Per activation value of a batch: the value, its gradient and one temporary (ReLU, loss terms).
ARRAYS_PER_ACTIVATION = 3


def lane_memory_bytes(widths: Sequence[int], batch_size: int, eval_rows: int) -> int:
    """Estimated device memory of one lane while it trains or is pruned: its parameters times
    `ARRAYS_PER_PARAMETER`, plus the activations of the larger of a training batch and a
    validation chunk (all float32). The task data itself is shared by the lanes, not counted."""
    n_params = sum(a * b + b for a, b in itertools.pairwise(widths))
    rows = max(batch_size, eval_rows)
    return 4 * (n_params * ARRAYS_PER_PARAMETER + rows * sum(widths) * ARRAYS_PER_ACTIVATION)


def train_lanes(
    model: LaneMLP,
    data: LaneData,
    hp: TrainingHparams,
    keys: Sequence[tuple[KeyPart, ...]],
    on_epoch: Callable[[int, Evaluation], None] | None = None,
    compact: bool = True,
) -> Evaluation:
    """Train every lane for `hp.epochs` epochs in place; leave each at its best epoch.

    Lane i's epoch e draws its shuffle and noise from keys[i] + (e,), so a run of E epochs is the
    first E epochs of any longer one. Returns the kept epochs' validation accuracy (by the data's
    measure), loss and both measures; `on_epoch(e, evaluation)` sees each epoch's own (all lanes
    then train as one program). With `compact`, lanes of a network of at least
    `COMPACT_MIN_WEIGHTS` weights train without their dead units (`compaction.py`), grouped by
    their packed widths.
    """
    if len(keys) != model.n_lanes or data.n_lanes != model.n_lanes:
        raise ValueError("one key and one data lane per model lane are needed")
    if on_epoch is not None or not compact or model.n_weights < COMPACT_MIN_WEIGHTS:
        return _train(model, data, hp, keys, on_epoch)
    groups = compact_groups(model)
    if len(groups) == 1 and groups[0].widths == model.widths:
        return _train(model, data, hp, keys)
    parts: list[tuple[torch.Tensor, Evaluation]] = []
    for group in groups:
        lanes = group.lanes.tolist()
        sub_keys = [keys[i] for i in lanes]
        if group.widths == model.widths:  # nothing to drop: the lanes as they are laid out
            part = model.select(lanes)
            parts.append((group.lanes, _train(part, data.select(lanes), hp, sub_keys)))
            model.put(lanes, part)
            continue
        packed, loose = group.gather(model), group.loose(model)
        tail, tail_lanes = group.take_loose(model, loose)
        ev = _train(packed, data.select(lanes), hp, sub_keys, tail=tail, tail_lanes=tail_lanes)
        parts.append((group.lanes, ev))
        group.scatter(packed, model)
        group.put_loose(model, loose, tail)
    return gathered(parts, model.n_lanes)


def gathered(parts: list[tuple[torch.Tensor, Evaluation]], n_lanes: int) -> Evaluation:
    """One evaluation of all lanes from the groups' own (lane indices, evaluation); the groups'
    kept-epoch fields only (accuracy, loss and both measures)."""
    order = torch.cat([lanes.cpu() for lanes, _ in parts])

    def field(name: str) -> torch.Tensor | None:
        values = [getattr(ev, name) for _, ev in parts]
        if values[0] is None:
            return None
        joined = torch.cat(values)
        out = torch.empty(n_lanes, dtype=joined.dtype)
        out[order] = joined
        return out

    return Evaluation(field("accuracy"), field("loss"), field("per_bit"), field("per_digit"))


def _train(
    model: LaneMLP,
    data: LaneData,
    hp: TrainingHparams,
    keys: Sequence[tuple[KeyPart, ...]],
    on_epoch: Callable[[int, Evaluation], None] | None = None,
    tail: torch.Tensor | None = None,
    tail_lanes: torch.Tensor | None = None,
) -> Evaluation:
    """`train_lanes` of one program: every lane at the model's widths; `tail` (parameters outside
    the model, of lanes `tail_lanes`) trained beside it with a zero gradient, in place."""
    program = LaneProgram(
        model, lr=hp.lr, weight_decay=hp.weight_decay, tail=tail, tail_lanes=tail_lanes
    )
    current = program.model
    kept = KeptEpochs(program, digits=bool(data.data.digit_groups))
    seeds = KeySeeds(keys)
    for epoch in range(hp.epochs):
        plan = data.seeded_plan(seeds.seeds(epoch), reuse=True)
        for x, y in data.batches(plan, hp.batch_size):
            program.step(x, y)
        ev = evaluate(current, data, hp.batch_size)
        if on_epoch is not None:
            on_epoch(epoch, ev)
        kept.offer(ev)
    program.restore(kept.flat, model)
    if tail is not None:
        tail.copy_(program.tail)
    return Evaluation(kept.accuracy, kept.loss, kept.per_bit, kept.per_digit)


class KeptEpochs:
    """Each lane's kept epoch of a training by the authors' rule: an epoch replaces the kept one
    when its validation accuracy is higher, or as high with a selection loss at most as low (so
    a later epoch wins a tie, and every epoch as accurate when that loss is infinite). Holds the
    kept epochs' measures and parameters (`flat`, laid out as the program's)."""

    def __init__(self, program: LaneProgram, digits: bool) -> None:
        n = program.model.n_lanes
        self.program = program
        self.flat = program.flat.clone()
        self.accuracy = torch.full((n,), -1.0, dtype=torch.float64)
        self.loss = torch.full((n,), float("inf"))
        self.selection = torch.full((n,), float("inf"), dtype=torch.float64)
        # Both measures at each lane's kept epoch, for the records (NaN until an epoch is kept).
        self.per_bit = torch.full((n,), float("nan"), dtype=torch.float64)
        self.per_digit = self.per_bit.clone() if digits else None
        self._compiled = None
        if program.compiled:  # the same comparisons and copies, in one call an epoch
            self._compiled = kernels.lane_kernels().KeptEpochs(
                program.flat, self.flat, program.sizes, n, program.tail_at, program.tail_lanes,
                self.accuracy, self.selection, self.loss, self.per_bit, self.per_digit,
            )  # fmt: skip

    def offer(self, ev: Evaluation) -> None:
        """Keep this epoch (its measures and the program's current parameters) for every lane it
        is better for."""
        if self._compiled is not None:
            self._compiled.offer(ev.accuracy, ev.selection_loss, ev.loss, ev.per_bit, ev.per_digit)
            return
        better = (ev.accuracy > self.accuracy) | (
            (ev.accuracy >= self.accuracy) & (ev.selection_loss <= self.selection)
        )
        if not bool(better.any()):
            return
        pairs = [(ev.accuracy, self.accuracy), (ev.loss, self.loss), (ev.per_bit, self.per_bit)]
        pairs.append((ev.selection_loss, self.selection))
        if self.per_digit is not None:
            pairs.append((ev.per_digit, self.per_digit))
        for new, best in pairs:
            torch.where(better, new, best, out=best)
        self.program.keep_lanes(self.flat, better.to(self.program.flat.device))
