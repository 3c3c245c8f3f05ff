"""Task data for lane training: fixed train/validation tensors plus optional per-epoch augmentation.

`TaskData` holds T tasks with the same shapes stacked ([T, N, n_inputs] etc.); `LaneData` maps each
lane to one task and keeps the tensors on the training device. A later dataset (MNIST) implements
the same interface: fixed tensors, and optional per-epoch input noise (`draws_noise`).

`LaneData` keeps ONE copy of each task's tensors on the device, however many lanes use it:
training batches are gathered per lane ([L, batch, n]), and validation is served in chunks of a
fixed number of rows (`val_chunks`), so neither grows with lanes x validation rows (MNIST: 20,000
rows x 1568 pixels would be 125 MB per lane). The chunking depends on the data only, never on the
number of lanes, so a lane's numbers are bitwise the same alone or in a batch.

Dataset files (`dataset_data`) keep their own train/validation rows, without noise.

Boolean tasks (Appendix H.1): training rows = the full truth table, with fresh N(0, 0.1)
noise on the inputs every epoch, shuffled; validation = the clean table.
"""

from __future__ import annotations

import copy
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np
import torch

from neural_sculpting.engine import kernels
from neural_sculpting.engine.seeding import KeyPart, derive_seed
from neural_sculpting.foundations.errors import SculptError
from neural_sculpting.study.hparams import ACCURACY_MEASURES
from neural_sculpting.tasks.composites import task_name

if TYPE_CHECKING:
    from neural_sculpting.tasks.composites import CompositeDataset
    from neural_sculpting.tasks.dataset_file import DatasetArrays


# Validation rows evaluated at once: bounds activations to lanes x EVAL_ROWS x width. Boolean
# tables (<= 2^n rows, n small) fit in one chunk, so their evaluation is unchanged.
EVAL_ROWS = 2048
# Input and target values gathered at once for training batches (`LaneData.batches`): several
# small batches share one gather; large ones (MNIST) are gathered one at a time.
GATHER_VALUES = 1 << 20


class DataError(SculptError):
    """Task data that cannot be used (mismatched shapes, no rows)."""


@dataclass(frozen=True)
class TaskData:
    """T tasks stacked: train_x [T, N, n], train_y [T, N, m], val_x [T, V, n], val_y [T, V, m].

    Inputs may be stored compactly (uint8); `inputs` turns gathered rows into model inputs.
    `digit_groups` are output slices [a, b) that the per-digit accuracy scores as one unit: a
    one-hot digit (`digit_one_hot`: right when the argmax matches) or a code (right when all its
    bits are); empty for tasks without digits (Boolean tasks).
    """

    names: tuple[str, ...]
    train_x: torch.Tensor
    train_y: torch.Tensor
    val_x: torch.Tensor
    val_y: torch.Tensor
    digit_groups: tuple[tuple[int, int], ...] = ()
    digit_one_hot: bool = False
    # Per task, the SHA-256 of the file its rows come from where that file defines the task (a
    # dataset file); empty: the task's own file does (`stage_records.task_sha256`).
    sha256: tuple[str | None, ...] = ()

    @property
    def n_inputs(self) -> int:
        return self.train_x.shape[2]

    @property
    def n_outputs(self) -> int:
        return self.train_y.shape[2]

    @property
    def n_train(self) -> int:
        return self.train_x.shape[1]

    @property
    def n_val(self) -> int:
        return self.val_x.shape[1]

    def inputs(self, x: torch.Tensor) -> torch.Tensor:
        """Stored input rows -> float model inputs (identity for float storage)."""
        return x

    # Additive input noise per epoch: standard normal draws per lane (after its shuffle, from its
    # generator), which `scale_noise` then scales, all lanes at once.
    draws_noise = False

    def scale_noise(self, noise: torch.Tensor) -> None:
        """Scale the drawn noise [L, N, n] in place (elementwise)."""


@dataclass(frozen=True)
class BooleanData(TaskData):
    noise_std: float = 0.1

    @property
    def draws_noise(self) -> bool:
        return self.noise_std != 0

    def scale_noise(self, noise: torch.Tensor) -> None:
        noise.mul_(self.noise_std)


def boolean_data(
    tables: Sequence[tuple[str, np.ndarray, np.ndarray]], noise_std: float = 0.1
) -> BooleanData:
    """(name, inputs uint8 [2^n, n], outputs uint8 [2^n, m]) per task -> stacked float tensors."""
    if not tables:
        raise DataError("no task given")
    shapes = {(np.shape(i), np.shape(o)) for _, i, o in tables}
    if len(shapes) != 1:
        raise DataError(
            "tasks batched together need the same numbers of inputs and outputs, got "
            + ", ".join(f"{name}: {np.shape(i)[1]}->{np.shape(o)[1]}" for name, i, o in tables)
        )
    xs = torch.stack([torch.as_tensor(np.asarray(i, dtype=np.float32)) for _, i, _ in tables])
    ys = torch.stack([torch.as_tensor(np.asarray(o, dtype=np.float32)) for _, _, o in tables])
    if xs.shape[1] == 0:
        raise DataError("a truth table has no rows")
    return BooleanData(
        names=tuple(name for name, _, _ in tables),
        train_x=xs,
        train_y=ys,
        val_x=xs.clone(),
        val_y=ys.clone(),
        noise_std=float(noise_std),
    )


def graph_data(graph_names: Sequence[str], noise_std: float = 0.1) -> BooleanData:
    """Truth tables of named function graphs (config/graphs/<name>.yaml), stacked."""
    from neural_sculpting.tasks.function_graph import load_graph
    from neural_sculpting.tasks.truth_table import truth_table

    tables = []
    for name in graph_names:
        table = truth_table(load_graph(name))
        tables.append((name, table.inputs, table.outputs))
    return boolean_data(tables, noise_std)


@dataclass(frozen=True)
class MnistData(TaskData):
    """Composite MNIST digits: pixels stay uint8 on the device (a quarter of float32's memory)
    and become float32 / 255 (Section 5.5: scaled to [0, 1]) only when rows are gathered. No
    per-epoch noise."""

    def inputs(self, x: torch.Tensor) -> torch.Tensor:
        return x.to(torch.float32) / 255


def mnist_data(dataset: CompositeDataset) -> MnistData:
    """One MNIST task (`mnist_two_digits` or `mnist_hierarchical`) from a composite dataset.

    Per-digit groups: two_digits = the two one-hot groups of ten outputs; hierarchical = the
    3-bit XOR code as one group (a sample is right when all three bits are)."""
    from neural_sculpting.tasks.composites import TASK_OUTPUTS

    if dataset.task not in TASK_OUTPUTS or dataset.n_outputs != TASK_OUTPUTS[dataset.task]:
        raise DataError(f"not an MNIST composite task: {dataset.task!r}")
    if dataset.task == "two_digits":
        groups, one_hot = ((0, 10), (10, 20)), True
    else:
        groups, one_hot = ((0, dataset.n_outputs),), False

    def pixels(x: np.ndarray) -> torch.Tensor:
        return torch.from_numpy(np.ascontiguousarray(x, dtype=np.uint8)).unsqueeze(0)

    def targets(y: np.ndarray) -> torch.Tensor:
        return torch.from_numpy(np.asarray(y, dtype=np.float32)).unsqueeze(0)

    if len(dataset.train_x) == 0 or len(dataset.val_x) == 0:
        raise DataError("an MNIST dataset needs training and validation rows")
    return MnistData(
        names=(task_name(dataset.task),),
        train_x=pixels(dataset.train_x),
        train_y=targets(dataset.train_y),
        val_x=pixels(dataset.val_x),
        val_y=targets(dataset.val_y),
        digit_groups=groups,
        digit_one_hot=one_hot,
    )


@dataclass(frozen=True)
class PixelData(TaskData):
    """A dataset file's uint8 inputs: kept uint8 on the device, float32 / 255 when gathered."""

    def inputs(self, x: torch.Tensor) -> torch.Tensor:
        return x.to(torch.float32) / 255


def dataset_data(
    name: str, arrays: DatasetArrays, class_groups: Sequence[tuple[int, int]] = ()
) -> TaskData:
    """One dataset task (`tasks/dataset_file.py`) from its checked arrays: no per-epoch noise.
    `class_groups` are the one-hot output slices the per-class accuracy scores (the file's own
    for class labels, else what the task's description says)."""
    groups = tuple(class_groups) or arrays.class_groups

    def rows(x: np.ndarray, dtype) -> torch.Tensor:
        return torch.from_numpy(np.ascontiguousarray(x, dtype=dtype)).unsqueeze(0)

    kind, x_type = (PixelData, np.uint8) if arrays.pixels else (TaskData, np.float32)
    return kind(
        names=(name,),
        train_x=rows(arrays.x_train, x_type),
        train_y=rows(arrays.y_train, np.float32),
        val_x=rows(arrays.x_val, x_type),
        val_y=rows(arrays.y_val, np.float32),
        digit_groups=groups,
        digit_one_hot=bool(groups),
        sha256=(arrays.sha256,),
    )


@dataclass(frozen=True)
class EpochPlan:
    """Per-lane row order [L, N] and input noise [L, N, n] (or None), already on the device."""

    order: torch.Tensor
    noise: torch.Tensor | None


class LaneData:
    """The tensors lanes train on, on the device; lane i uses task `task_index[i]`.

    `accuracy_measure` says what `training.evaluate` reports as accuracy: "per_bit" (share of
    output bits right at 0.5, the paper's) or "per_digit" (see `TaskData.digit_groups`).
    """

    def __init__(
        self,
        data: TaskData,
        task_index: Sequence[int],
        device: torch.device | str,
        accuracy_measure: str = "per_bit",
        eval_rows: int | None = None,
    ) -> None:
        if accuracy_measure not in ACCURACY_MEASURES:
            raise DataError(
                f"accuracy measure must be one of {', '.join(ACCURACY_MEASURES)}, "
                f"got {accuracy_measure!r}"
            )
        if accuracy_measure == "per_digit" and not data.digit_groups:
            raise DataError(
                "per_digit accuracy needs a task with digit or class outputs (MNIST, or a "
                "dataset with class labels or `classes` in its description)"
            )
        eval_rows = EVAL_ROWS if eval_rows is None else eval_rows
        if eval_rows < 1:
            raise DataError(f"eval_rows must be at least 1, got {eval_rows}")
        self.data = data
        self.device = torch.device(device)
        self.accuracy_measure = accuracy_measure
        self.eval_rows = int(eval_rows)
        # One copy per task, shared by all lanes (and by `select`ed subsets).
        self.train_x = data.train_x.to(self.device)
        self.train_y = data.train_y.to(self.device)
        # The same rows as [T * N, width]: a batch is one `index_select` of flat row numbers
        # (a third of the time of indexing [T, N] with two index tensors at these sizes).
        self._rows_x = self.train_x.reshape(-1, self.train_x.shape[2])
        self._rows_y = self.train_y.reshape(-1, self.train_y.shape[2])
        # Float rows used as they are (every Boolean table): `kernels.py` gathers the batches.
        self._compiled_gather = (
            type(data).inputs is TaskData.inputs
            and kernels.runs_on(self._rows_x)
            and kernels.runs_on(self._rows_y)
        )
        self.task_val_x = data.val_x.to(self.device)
        self.task_val_y = data.val_y.to(self.device)
        self._set_lanes(task_index)

    def _set_lanes(self, task_index: Sequence[int]) -> None:
        self.task_index = torch.as_tensor(list(task_index), dtype=torch.long)
        if self.task_index.numel() and (
            self.task_index.min() < 0 or self.task_index.max() >= len(self.data.names)
        ):
            raise DataError("task index out of range")
        self._task_dev = self.task_index.to(self.device)
        self._row_base = self._task_dev * self.data.n_train  # a lane's first flat row
        self._val_chunk: tuple[torch.Tensor, ...] | None = None
        self._plan_buffers: tuple | None = None

    @property
    def n_lanes(self) -> int:
        return self.task_index.numel()

    def select(self, lanes: Sequence[int]) -> LaneData:
        """The given lanes, sharing this object's device tensors (nothing is copied)."""
        chosen = copy.copy(self)
        chosen._set_lanes([int(self.task_index[i]) for i in lanes])
        return chosen

    def val_chunks(self) -> Iterator[tuple[torch.Tensor, ...]]:
        """Every lane's clean validation rows, `eval_rows` at a time: x [L, c, n] (model inputs),
        y [L, c, m], y > 0.5 and 1 - y. Only one chunk per lane exists at a time, except that a
        single chunk (every Boolean table) is kept: it is the same at every evaluation."""
        if self._val_chunk is not None:
            yield self._val_chunk
            return
        for start in range(0, self.data.n_val, self.eval_rows):
            stop = start + self.eval_rows
            x = self.task_val_x[:, start:stop].index_select(0, self._task_dev)
            y = self.task_val_y[:, start:stop].index_select(0, self._task_dev)
            chunk = (self.data.inputs(x), y, y > 0.5, torch.rsub(y, 1))
            if stop >= self.data.n_val and start == 0:
                self._val_chunk = chunk
            yield chunk

    @property
    def val_x(self) -> torch.Tensor:
        """All lanes' validation inputs [L, V, n] at once, for inspection (this one does scale
        with the lanes; the engine uses `val_chunks`)."""
        return self.data.inputs(self.task_val_x.index_select(0, self._task_dev))

    @property
    def val_y(self) -> torch.Tensor:
        """All lanes' validation targets [L, V, m] (see `val_x`)."""
        return self.task_val_y.index_select(0, self._task_dev)

    def epoch_plan(self, keys: Sequence[tuple[KeyPart, ...]]) -> EpochPlan:
        """Each lane's shuffle then noise, drawn on CPU from its own key's generator (into one
        buffer per kind: the same numbers as drawing each lane's tensors and stacking them)."""
        return self.seeded_plan([derive_seed(*key) for key in keys])

    def seeded_plan(self, seeds: Sequence[int], reuse: bool = False) -> EpochPlan:
        """`epoch_plan` from the lanes' derived seeds. With `reuse`, into the buffers of the last
        `reuse` plan of as many lanes, overwritten (a training's epochs, each used up in turn)."""
        n_rows, n_in, n_lanes = self.data.n_train, self.data.n_inputs, len(seeds)
        buffers = self._plan_buffers if reuse else None
        if buffers is None or buffers[0].shape[0] != n_lanes:
            order = torch.empty(n_lanes, n_rows, dtype=torch.long)
            noise = torch.empty(n_lanes, n_rows, n_in) if self.data.draws_noise else None
            buffers = (order, noise)
            self._plan_buffers = buffers if reuse else self._plan_buffers
        order, noise = buffers
        # Per lane: its seed into one generator (`seeding.generator`'s stream), the shuffle, the
        # noise: torch's own calls, made by `kernels.py` (half the cost of making them from Python
        # at a table's sixteen rows; the rest is the generator's own reseeding and draws).
        kernels.lane_kernels().epoch_plan(torch.Generator(device="cpu"), seeds, order, noise)
        if noise is not None:
            self.data.scale_noise(noise)
            noise = noise.to(self.device)
        return EpochPlan(order.to(self.device), noise)

    def batch(self, plan: EpochPlan, start: int, stop: int) -> tuple[torch.Tensor, torch.Tensor]:
        """Rows start..stop of every lane's epoch order: x [L, b, n], y [L, b, m] (one gather)."""
        x, y = self._gather(plan.order[:, start:stop] + self._row_base.unsqueeze(1))
        if plan.noise is not None:
            x = x + plan.noise[:, start:stop]
        return x, y

    def _gather(self, flat_rows: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        """Training rows by flat row number (task * N + row), shaped like `flat_rows` plus the
        width: x (model inputs) and y."""
        index = flat_rows.reshape(-1)
        x = self._rows_x.index_select(0, index).view(*flat_rows.shape, self._rows_x.shape[1])
        y = self._rows_y.index_select(0, index).view(*flat_rows.shape, self._rows_y.shape[1])
        return self.data.inputs(x), y

    def batches(
        self, plan: EpochPlan, batch_size: int
    ) -> Iterator[tuple[torch.Tensor, torch.Tensor]]:
        """The epoch's batches in order, each as `batch` gives it (contiguous, same values), but
        gathered several batches at a time: one gather [k, L, b, n] serves k steps."""
        n_rows, lanes = self.data.n_train, self.n_lanes
        per_batch = max(1, lanes * batch_size * (self.data.n_inputs + self.data.n_outputs))
        k = max(1, GATHER_VALUES // per_batch)
        full = (n_rows // batch_size) * batch_size
        base = self._row_base.view(1, -1, 1)
        for start in range(0, full, k * batch_size):
            stop = min(full, start + k * batch_size)
            count = (stop - start) // batch_size
            if self._compiled_gather:  # the same gather and sum, in one call
                x = torch.empty(count, lanes, batch_size, self.data.n_inputs)
                y = torch.empty(count, lanes, batch_size, self.data.n_outputs)
                gather = kernels.lane_kernels().gather_batches
                gather(plan.order, plan.noise, self._rows_x, self._rows_y, base, start, x, y)
            else:  # [count, L, b]: batch j's rows of every lane; each [L, b, n] slab contiguous
                rows = plan.order[:, start:stop].reshape(lanes, count, batch_size)
                x, y = self._gather(rows.transpose(0, 1) + base)
                if plan.noise is not None:  # into a contiguous buffer, not the noise's strides
                    noise = plan.noise[:, start:stop].reshape(lanes, count, batch_size, -1)
                    x = torch.add(x, noise.transpose(0, 1), out=torch.empty_like(x))
            yield from zip(x, y, strict=True)
        if full < n_rows:
            yield self.batch(plan, full, n_rows)
