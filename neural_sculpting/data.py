"""Task data for lane training: fixed train/validation tensors plus optional per-epoch augmentation.

`TaskData` holds T tasks with the same shapes stacked ([T, N, n_inputs] etc.); `LaneData` maps each
lane to one task and keeps the tensors on the training device. A later dataset (MNIST) implements
the same interface: fixed tensors, and `epoch_augmentation` returning None (no noise) or a tensor.

Boolean tasks (tasks.md, "Training"): training rows = the full truth table, with fresh N(0, 0.1)
noise on the inputs every epoch, shuffled; validation = the clean table.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import torch

from neural_sculpting.seeding import KeyPart, generator


class DataError(ValueError):
    """Task data that cannot be used (mismatched shapes, no rows)."""


@dataclass(frozen=True)
class TaskData:
    """T tasks stacked: train_x [T, N, n], train_y [T, N, m], val_x [T, V, n], val_y [T, V, m]."""

    names: tuple[str, ...]
    train_x: torch.Tensor
    train_y: torch.Tensor
    val_x: torch.Tensor
    val_y: torch.Tensor

    @property
    def n_inputs(self) -> int:
        return self.train_x.shape[2]

    @property
    def n_outputs(self) -> int:
        return self.train_y.shape[2]

    @property
    def n_train(self) -> int:
        return self.train_x.shape[1]

    def epoch_augmentation(self, gen: torch.Generator) -> torch.Tensor | None:
        """Additive input noise for one lane's epoch, [N, n] in the epoch's shuffled order
        (None: no augmentation). Must draw only from `gen`."""
        return None


@dataclass(frozen=True)
class BooleanData(TaskData):
    noise_std: float = 0.1

    def epoch_augmentation(self, gen: torch.Generator) -> torch.Tensor | None:
        if self.noise_std == 0:
            return None
        return torch.randn(self.n_train, self.n_inputs, generator=gen) * self.noise_std


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
    from neural_sculpting.function_graph import load_graph
    from neural_sculpting.truth_table import truth_table

    tables = []
    for name in graph_names:
        table = truth_table(load_graph(name))
        tables.append((name, table.inputs, table.outputs))
    return boolean_data(tables, noise_std)


@dataclass(frozen=True)
class EpochPlan:
    """Per-lane row order [L, N] and input noise [L, N, n] (or None), already on the device."""

    order: torch.Tensor
    noise: torch.Tensor | None


class LaneData:
    """The tensors lanes train on, on the device; lane i uses task `task_index[i]`."""

    def __init__(
        self, data: TaskData, task_index: Sequence[int], device: torch.device | str
    ) -> None:
        self.data = data
        self.device = torch.device(device)
        self.task_index = torch.as_tensor(list(task_index), dtype=torch.long)
        if self.task_index.numel() and (
            self.task_index.min() < 0 or self.task_index.max() >= len(data.names)
        ):
            raise DataError("task index out of range")
        self.train_x = data.train_x.to(self.device)
        self.train_y = data.train_y.to(self.device)
        self._task_dev = self.task_index.to(self.device)
        # Validation is small and fixed: gather each lane's copy once.
        self.val_x = data.val_x.to(self.device).index_select(0, self._task_dev)
        self.val_y = data.val_y.to(self.device).index_select(0, self._task_dev)

    @property
    def n_lanes(self) -> int:
        return self.task_index.numel()

    def select(self, lanes: Sequence[int]) -> LaneData:
        return LaneData(self.data, [int(self.task_index[i]) for i in lanes], self.device)

    def epoch_plan(self, keys: Sequence[tuple[KeyPart, ...]]) -> EpochPlan:
        """Each lane's shuffle then noise, drawn on CPU from its own key's generator."""
        orders, noises = [], []
        for key in keys:
            gen = generator(*key)
            orders.append(torch.randperm(self.data.n_train, generator=gen))
            noises.append(self.data.epoch_augmentation(gen))
        order = torch.stack(orders).to(self.device)
        noise = None if noises[0] is None else torch.stack(noises).to(self.device)
        return EpochPlan(order, noise)

    def batch(self, plan: EpochPlan, start: int, stop: int) -> tuple[torch.Tensor, torch.Tensor]:
        """Rows start..stop of every lane's epoch order: x [L, b, n], y [L, b, m] (one gather)."""
        rows = plan.order[:, start:stop]
        tasks = self._task_dev.unsqueeze(1)
        x = self.train_x[tasks, rows]
        if plan.noise is not None:
            x = x + plan.noise[:, start:stop]
        return x, self.train_y[tasks, rows]
