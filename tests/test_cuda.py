"""The CUDA paths, on a GPU only (marker `cuda`; skipped without one): the memory budget read from
the device, MNIST pixels kept as uint8 on it, and lanes that start bitwise as on the CPU and train
to within float32 rounding of it. scripts/gpu_check.sh runs these first on a lent GPU."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from neural_sculpting.engine.data import LaneData, MnistData, graph_data
from neural_sculpting.engine.device import default_memory_budget
from neural_sculpting.engine.lanes import LaneMLP
from neural_sculpting.engine.training import train_lanes
from neural_sculpting.study.hparams import TrainingHparams

pytestmark = pytest.mark.cuda
CUDA = torch.device("cuda")


def test_the_memory_budget_is_four_fifths_of_the_free_device_memory():
    free, total = torch.cuda.mem_get_info(CUDA)
    budget = default_memory_budget(CUDA)
    assert 0 < budget <= 0.8 * total
    assert abs(budget - 0.8 * free) <= 0.8 * 64 * 2**20  # free memory moves a little


def test_mnist_pixels_stay_uint8_on_the_device_and_become_floats_in_0_1():
    rng = np.random.default_rng(0)
    x = torch.from_numpy(rng.integers(0, 256, (1, 64, 1568), dtype=np.uint8))
    y = torch.zeros(1, 64, 20)
    data = MnistData(("two_digits",), x, y, x.clone(), y.clone(), ((0, 10), (10, 20)), True)
    lanes = LaneData(data, [0, 0], CUDA, "per_bit")
    assert lanes.train_x.dtype == torch.uint8 and lanes.train_x.device.type == "cuda"
    rows = data.inputs(lanes.train_x[:, :8])
    assert rows.dtype == torch.float32 and float(rows.min()) >= 0.0 and float(rows.max()) <= 1.0
    assert torch.equal(rows.cpu(), x[:, :8].float() / 255)


def test_lanes_start_bitwise_as_on_the_cpu_and_train_to_within_rounding():
    keys = [(seed, "init") for seed in (0, 1)]
    cpu = LaneMLP.initialise((4, 24, 24, 4), keys, torch.device("cpu"))
    gpu = LaneMLP.initialise((4, 24, 24, 4), keys, CUDA)
    for a, b in zip(cpu.parameters(), gpu.parameters(), strict=True):
        assert torch.equal(a, b.cpu())  # drawn on the CPU, then moved
    data = graph_data(["input_separable"], 0.1)
    hp = TrainingHparams(lr=0.05, batch_size=8, epochs=5)
    dense = [(seed, "dense") for seed in (0, 1)]
    train_lanes(cpu, LaneData(data, [0, 0], torch.device("cpu"), "per_bit"), hp, dense)
    train_lanes(gpu, LaneData(data, [0, 0], CUDA, "per_bit"), hp, dense)
    for a, b in zip(cpu.parameters(), gpu.parameters(), strict=True):
        assert torch.allclose(a, b.cpu(), rtol=1e-3, atol=1e-4)
