"""The MNIST path through the batched engine: uint8 data, chunked validation, accuracy measures,
lanes that stay independent, and `sculpt search --mnist`."""

from __future__ import annotations

import argparse
import json
from pathlib import Path

import numpy as np
import pytest
import torch

from neural_sculpting.cli import engine as engine_cli
from neural_sculpting.engine import data as data_module
from neural_sculpting.engine.data import DataError, LaneData, TaskData, boolean_data, mnist_data
from neural_sculpting.engine.lanes import LaneMLP
from neural_sculpting.engine.pruning.units import unit_scores
from neural_sculpting.engine.search import Search
from neural_sculpting.engine.settings import SearchSettings, SearchTrial
from neural_sculpting.engine.training import digits_right, evaluate, lane_memory_bytes, train_lanes
from neural_sculpting.study.hparams import (
    HparamsError,
    PruningHparams,
    SearchHparams,
    TrainingHparams,
)
from neural_sculpting.tasks import composites, mnist_files

ROOT = Path(__file__).resolve().parents[1]
MNIST_ROOT = ROOT.parent / "shared" / "data"
FAST = TrainingHparams(0.01, 64, 3, noise_std=0.0)


@pytest.fixture(scope="module")
def images() -> mnist_files.MnistImages:
    return mnist_files.load_mnist(MNIST_ROOT)


@pytest.fixture(scope="module")
def two_digits(images) -> composites.CompositeDataset:
    # 10 per pair: 800 training and 200 validation composites.
    return composites.build_composites(images, "two_digits", composites_per_pair=10)


@pytest.fixture(scope="module")
def hierarchical(images) -> composites.CompositeDataset:
    return composites.build_composites(images, "hierarchical", composites_per_pair=5)


# --- data -------------------------------------------------------------------------------------


def test_mnist_data_keeps_uint8_pixels_and_scales_them_when_gathered(two_digits):
    data = mnist_data(two_digits)
    assert data.names == ("mnist_two_digits",)
    assert data.train_x.dtype == torch.uint8 and data.val_x.dtype == torch.uint8
    assert not data.draws_noise
    lanes = LaneData(data, [0, 0], "cpu")
    plan = lanes.epoch_plan([(0, "e"), (1, "e")])
    x, y = lanes.batch(plan, 0, 5)
    rows = plan.order[:, :5].numpy()
    for lane in range(2):
        expected = two_digits.train_x[rows[lane]].astype(np.float32) / np.float32(255)
        assert np.array_equal(
            x[lane].numpy(), expected
        )  # float32 / 255, as the engine scales pixels
        assert np.array_equal(y[lane].numpy(), two_digits.train_y[rows[lane]])
    assert float(x.max()) <= 1.0 and x.dtype == torch.float32


def test_validation_memory_does_not_grow_with_the_lanes(two_digits):
    data = mnist_data(two_digits)

    def stored_bytes(lanes: LaneData) -> int:
        tensors = (lanes.train_x, lanes.train_y, lanes.task_val_x, lanes.task_val_y)
        return sum(t.numel() * t.element_size() for t in tensors)

    one, many = LaneData(data, [0], "cpu"), LaneData(data, [0] * 12, "cpu")
    assert many.task_val_x.shape == (1, 200, 1568) and many.task_val_x.dtype == torch.uint8
    assert stored_bytes(many) == stored_bytes(one)
    # A selected subset shares the same storage instead of copying it.
    assert many.select([3, 5]).task_val_x.data_ptr() == many.task_val_x.data_ptr()
    # Validation comes in chunks of at most eval_rows rows per lane, covering every row once.
    chunked = LaneData(data, [0] * 12, "cpu", eval_rows=64)
    sizes = [x.shape for x, *_ in chunked.val_chunks()]
    assert sizes == [(12, 64, 1568)] * 3 + [(12, 8, 1568)]


def test_chunked_evaluation_and_unit_scores_equal_the_whole_set(two_digits):
    data = mnist_data(two_digits)
    model = LaneMLP.initialise((1568, 16, 16, 20), [(0, "init"), (1, "init")])
    train_lanes(model, LaneData(data, [0, 0], "cpu"), FAST, [(0, "d"), (1, "d")])
    whole = LaneData(data, [0, 0], "cpu", accuracy_measure="per_digit")  # 200 rows: one chunk
    parts = LaneData(data, [0, 0], "cpu", accuracy_measure="per_digit", eval_rows=48)
    a, b = evaluate(model, whole), evaluate(model, parts)
    assert torch.equal(a.accuracy, b.accuracy) and torch.equal(a.per_bit, b.per_bit)
    torch.testing.assert_close(a.loss, b.loss, rtol=1e-6, atol=0)
    torch.testing.assert_close(unit_scores(model, whole), unit_scores(model, parts))


# --- accuracy measures ------------------------------------------------------------------------


def one_hot(d1: int, d2: int) -> list[float]:
    row = [0.0] * 20
    row[d1], row[10 + d2] = 1.0, 1.0
    return row


def test_per_digit_accuracy_counts_digits_by_hand():
    y = torch.tensor([[one_hot(3, 7), one_hot(0, 9), one_hot(5, 5)]])
    logits = torch.full((1, 3, 20), -2.0)
    logits[0, 0, 3], logits[0, 0, 17] = 1.0, 0.5  # both digits right
    logits[0, 1, 4], logits[0, 1, 19] = 3.0, -1.0  # first wrong (4), second right (argmax 19)
    logits[0, 2, 5], logits[0, 2, 12] = -0.5, 2.0  # first right (argmax 5), second wrong (2)
    task = TaskData(("t",), y, y, y, y, digit_groups=((0, 10), (10, 20)), digit_one_hot=True)
    assert digits_right(logits, y, task).tolist() == [4]  # of 6 digits
    # Hierarchical: a sample is right when all three XOR bits are.
    code_y = torch.tensor([[[1.0, 0.0, 1.0], [0.0, 0.0, 0.0], [1.0, 1.0, 0.0]]])
    code_logits = torch.tensor([[[2.0, -1.0, 0.5], [-1.0, 3.0, -2.0], [1.0, 1.0, -1.0]]])
    code = TaskData(("h",), code_y, code_y, code_y, code_y, digit_groups=((0, 3),))
    assert digits_right(code_logits, code_y, code).tolist() == [2]  # of 3 samples


def test_evaluate_reports_the_chosen_measure_and_both():
    # Two samples, constant logits from the output bias: digit 3 and digit 7 predicted.
    y = torch.tensor([[one_hot(3, 7), one_hot(3, 2)]])
    x = torch.zeros(1, 2, 4)
    task = TaskData(("t",), x, y, x, y, digit_groups=((0, 10), (10, 20)), digit_one_hot=True)
    model = LaneMLP.initialise((4, 2, 20), [(0, "init")])
    with torch.no_grad():
        model.weights[0].zero_()
        model.biases[1].copy_(torch.tensor([one_hot(3, 7)]) * 2 - 1)
    per_digit = evaluate(model, LaneData(task, [0], "cpu", accuracy_measure="per_digit"))
    per_bit = evaluate(model, LaneData(task, [0], "cpu"))
    # Digits right: 3, 7 | 3 (7 vs 2 wrong) = 3 of 4. Bits right: 20 + 18 of 40.
    assert float(per_digit.accuracy[0]) == 75.0
    assert float(per_bit.accuracy[0]) == 95.0
    assert float(per_digit.per_bit[0]) == 95.0 and float(per_bit.per_digit[0]) == 75.0


def test_per_digit_is_refused_for_boolean_tasks_and_unknown_measures():
    table = boolean_data([("t", np.eye(2, dtype=np.uint8), np.eye(2, dtype=np.uint8))])
    with pytest.raises(DataError, match="per_digit"):
        LaneData(table, [0], "cpu", accuracy_measure="per_digit")
    with pytest.raises(HparamsError, match="accuracy_measure"):
        PruningHparams(accuracy_measure="per_pixel")


# --- lanes and the search -------------------------------------------------------------------


def test_a_lane_alone_and_in_a_batch_end_with_the_same_masks(two_digits, monkeypatch):
    # Small validation chunks, so the chunked path is the one compared.
    monkeypatch.setattr(data_module, "EVAL_ROWS", 64)
    data = mnist_data(two_digits)
    exp = SearchSettings(
        (16, 16),
        FAST,
        PruningHparams(45.0, accuracy_measure="per_digit"),
        SearchHparams(pu_values=(30.0, 50.0), pe_values=(40.0,)),
    )
    name = data.names[0]
    batched = Search([SearchTrial(name, s) for s in (3, 0, 2)], exp, data=data)
    batched.run()
    alone = Search([SearchTrial(name, 0)], exp, data=data)
    alone.run()
    a, b = alone.runs[0], batched.runs[1]
    assert a.result.pruned and a.result == b.result
    assert any(not step["kept"] for lane in a.unit_lanes for step in lane["steps"])
    for mine, theirs in zip(a.edges.masks() + a.edges.parameters(),
                            b.edges.masks() + b.edges.parameters(), strict=True):  # fmt: skip
        assert torch.equal(mine, theirs)
    assert [x["steps"] for x in a.edge_lanes] == [x["steps"] for x in b.edge_lanes]


def test_hierarchical_task_runs_with_per_digit_threshold(hierarchical):
    data = mnist_data(hierarchical)
    assert data.names == ("mnist_hierarchical",) and data.digit_groups == ((0, 3),)
    exp = SearchSettings(
        (16, 16),
        FAST,
        PruningHparams(10.0, accuracy_measure="per_digit"),
        SearchHparams(pu_values=(50.0,), pe_values=(40.0,)),
    )
    result = Search([SearchTrial("mnist_hierarchical", 1)], exp, data=data).run()[0]
    # 8 XOR codes: the threshold counts whole codes, so chance is 12.5%, far below per-bit's 50%.
    assert result.accuracy_measure == "per_digit" and result.val_accuracy >= 10.0


def parse(argv: list[str]) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="sculpt")
    engine_cli.register(parser.add_subparsers(dest="command", required=True))
    return parser.parse_args(argv)


def search_args(file: Path, out: Path, *extra: str) -> argparse.Namespace:
    return parse(
        ["search", "--mnist", str(file), "--arch", "16-16", "--lr", "0.01", "--batch-size", "64",
         "--epochs", "2", "--pu", "50", "--pe", "40", "--device", "cpu", "--quiet", "--json",
         "--out", str(out / "{graph}" / "seed{seed}"), *extra]
    )  # fmt: skip


def test_search_cli_runs_mnist_end_to_end(two_digits, tmp_path, capsys):
    file = tmp_path / "two_digits.npz"
    two_digits.save(file)
    args = search_args(file, tmp_path, "--accuracy-measure", "per_digit",
                       "--accuracy-threshold", "30")  # fmt: skip
    assert engine_cli.run_command("search", args) == 0
    printed = json.loads(capsys.readouterr().out)
    trial = tmp_path / "mnist_two_digits" / "seed0"
    record = json.loads((trial / "selected.json").read_text())
    assert record["accuracy_measure"] == "per_digit"
    assert record["config"]["graph"] == "mnist_two_digits"
    assert record["config"]["pruning"]["accuracy_measure"] == "per_digit"
    assert record["result"] == printed and printed["graph"] == "mnist_two_digits"
    assert printed["accuracy_measure"] == "per_digit" and printed["pruned"]
    content = torch.load(trial / "selected.pt", weights_only=True)
    assert content["model"]["widths"] == [1568, 16, 16, 20]
    dense = json.loads((trial / "dense.json").read_text())["lanes"][0]
    assert dense["val_accuracy"] == dense["val_accuracy_per_digit"]
    assert dense["val_accuracy_per_bit"] > dense["val_accuracy_per_digit"]

    # Both measures of the selected network, recomputed here in numpy from its weights.
    model = content["model"]
    x = two_digits.val_x.astype(np.float64) / 255.0
    layers = zip(model["weights"], model["weight_masks"], model["biases"], model["bias_masks"],
                 strict=True)  # fmt: skip
    for w, m, b, bm in layers:
        x = x @ (w[0] * m[0]).double().numpy().T + (b[0] * bm[0]).double().numpy()
        if w is not model["weights"][-1]:
            x = np.maximum(x, 0.0)
    bits = (x > 0) == (two_digits.val_y > 0)
    by_argmax = (x[:, :10].argmax(1) == two_digits.val_digits[:, 0]).astype(int) + (
        x[:, 10:].argmax(1) == two_digits.val_digits[:, 1]
    )
    assert printed["val_accuracy_per_bit"] == pytest.approx(100 * bits.mean())
    assert printed["val_accuracy_per_digit"] == pytest.approx(100 * by_argmax.sum() / (2 * len(x)))
    assert printed["val_accuracy"] == pytest.approx(printed["val_accuracy_per_digit"])


def test_search_cli_stops_with_one_line_on_bad_mnist_input(two_digits, tmp_path):
    with pytest.raises(ValueError) as missing:
        engine_cli.run_command("search", search_args(tmp_path / "none.npz", tmp_path))
    assert "none.npz" in str(missing.value) and "\n" not in str(missing.value)
    corrupt = tmp_path / "corrupt.npz"
    corrupt.write_bytes(b"not a zip file")
    with pytest.raises(ValueError) as bad:
        engine_cli.run_command("search", search_args(corrupt, tmp_path))
    assert "corrupt.npz" in str(bad.value) and "\n" not in str(bad.value)
    file = tmp_path / "ok.npz"
    two_digits.save(file)
    with pytest.raises(engine_cli.EngineUsageError, match="noise"):
        engine_cli.run_command("search", search_args(file, tmp_path, "--noise-std", "0.1"))
    with pytest.raises(SystemExit):  # --graph and --mnist together: argparse refuses
        parse(["search", "--graph", "xor", "--mnist", str(file), "--arch", "4", "--lr", "1",
               "--batch-size", "1", "--epochs", "1", "--out", "x"])  # fmt: skip


# --- memory budget ----------------------------------------------------------------------------


def test_lane_memory_estimate_by_hand():
    # 4-3-2: 4*3 + 3 + 3*2 + 2 = 23 parameters x 8 arrays; max(8, 16) rows x 9 units x 3 arrays.
    assert lane_memory_bytes((4, 3, 2), batch_size=8, eval_rows=16) == 4 * (23 * 8 + 16 * 9 * 3)


def test_lanes_split_into_groups_give_bitwise_the_one_batch_result(two_digits, tmp_path):
    data = mnist_data(two_digits)
    exp = SearchSettings(
        (16, 16),
        FAST,
        PruningHparams(30.0, accuracy_measure="per_digit"),
        SearchHparams(pu_values=(30.0, 50.0), pe_values=(60.0,)),
    )
    trials = [SearchTrial(data.names[0], s) for s in (0, 2)]
    one = Search(trials, exp, data=data)
    one.run()
    # A budget of 1.5 lanes: every stage runs its lanes one group of one after another. Stage
    # files and pruning state (saved every round) go through the grouped hook too.
    per_lane = lane_memory_bytes(one.widths, FAST.batch_size, data_module.EVAL_ROWS)
    split_trials = [SearchTrial(t.graph, t.seed, tmp_path / f"seed{t.seed}") for t in trials]
    split = Search(split_trials, exp, data=data, state_every_s=0.0,
                   memory_budget_bytes=1.5 * per_lane)  # fmt: skip
    split.run()
    assert all(run.trainable for run in one.runs)
    assert one.stage_groups == {"dense": 1, "units": 1, "edge-start": 1, "edges": 1}
    assert split.stage_groups == {"dense": 2, "units": 4, "edge-start": 4, "edges": 4}
    for a, b in zip(one.runs, split.runs, strict=True):
        assert a.result == b.result
        assert [x["steps"] for x in a.edge_lanes] == [x["steps"] for x in b.edge_lanes]
        for mine, theirs in zip(a.edges.masks() + a.edges.parameters(),
                                b.edges.masks() + b.edges.parameters(), strict=True):  # fmt: skip
            assert torch.equal(mine, theirs)
    record = json.loads((tmp_path / "seed0" / "edges.json").read_text())
    assert record["lane_groups"] == 4
    assert not (tmp_path / "seed0" / "state-edges.pt").exists()  # removed when the stage ended
