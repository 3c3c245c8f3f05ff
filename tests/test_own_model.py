"""A researcher's own trained model (issue 28): taken in, sculpted, refused when it cannot be;
results read back as a DataFrame, a networkx graph and a torch model; the progress bar.

The two-block task is the paper's input-separable one (Fig. 1a): y0 = x0 XOR x1, y1 = NOT y0
depend on x0, x1 only; y2 = x2 XOR x3, y3 = NOT y2 on x2, x3 only. The model is trained here with
plain PyTorch, not the engine."""

from __future__ import annotations

import csv
import itertools
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
import torch
from torch import nn

import neural_sculpting as ns
from neural_sculpting.cli.main import main as sculpt_cli
from neural_sculpting.foundations.errors import SculptError

ROOT = Path(__file__).resolve().parents[1]
GRID = {"pu": [30, 50, 70], "pe": [1.0, 2.5]}
RETRAIN = {"lr": 0.1, "batch_size": 8, "epochs": 30}
BLOCKS = {(("x0", "x1"), ("y0", "y1")), (("x2", "x3"), ("y2", "y3"))}


def two_blocks() -> tuple[np.ndarray, np.ndarray]:
    x = np.array(list(itertools.product([0, 1], repeat=4)), dtype=np.float32)
    a, b = np.logical_xor(x[:, 0], x[:, 1]), np.logical_xor(x[:, 2], x[:, 3])
    return x, np.stack([a, ~a, b, ~b], axis=1).astype(np.float32)


@pytest.fixture(scope="module")
def trained() -> nn.Sequential:
    """A dense network trained by an ordinary PyTorch loop to 100% on the 16 rows."""
    x, y = two_blocks()
    torch.manual_seed(0)
    model = nn.Sequential(nn.Linear(4, 24), nn.ReLU(), nn.Linear(24, 4))
    optimiser = torch.optim.Adam(model.parameters(), lr=0.05)
    xs, ys = torch.from_numpy(x), torch.from_numpy(y)
    for _ in range(300):
        optimiser.zero_grad()
        nn.functional.binary_cross_entropy_with_logits(model(xs), ys).backward()
        optimiser.step()
    assert bool(((model(xs) > 0).float() == ys).all())
    assert all(bool((p != 0).all()) for p in model.parameters() if p.ndim == 2)  # dense
    return model


@pytest.fixture(scope="module")
def sculpted(trained, tmp_path_factory):
    x, y = two_blocks()
    out = tmp_path_factory.mktemp("own") / "trial"
    return ns.sculpt_model(trained, (x, y, x, y), **GRID, **RETRAIN, out_dir=out, progress=False)


def blocks(result) -> set:
    return {(m.inputs, m.outputs) for m in result.modules}


def test_a_model_trained_in_plain_pytorch_is_sculpted_into_its_two_blocks(sculpted):
    assert blocks(sculpted) == BLOCKS
    assert sculpted.selection.dense_val_accuracy == 100.0  # the model's own accuracy, taken in
    assert sculpted.selection.val_accuracy == 100.0
    assert sculpted.density < 0.2


def test_the_pruned_network_back_as_torch_and_networkx_keeps_its_masks(sculpted):
    x, y = two_blocks()
    model = sculpted.to_torch()
    linears = [layer for layer in model if isinstance(layer, nn.Linear)]
    for layer, mask in zip(linears, sculpted.masks, strict=True):
        assert np.array_equal(layer.weight.detach().numpy() != 0, mask)
    # The exported model computes the task as the selected network did: 100% on the table.
    with torch.no_grad():
        outputs = model(torch.from_numpy(x)).numpy()
    assert np.array_equal(outputs > 0, y > 0.5)
    graph = sculpted.graph()
    expected = {((k, int(i)), (k + 1, int(o))) for k, m in enumerate(sculpted.masks)
                for o, i in zip(*np.nonzero(m), strict=True)}  # fmt: skip
    assert set(graph.edges) == expected
    labels = sculpted.detection.module_labels
    for (layer, unit), data in graph.nodes(data=True):
        assert data["module"] == labels[layer][unit]
    # The two blocks share no edge: two weakly connected components.
    import networkx as nx

    assert nx.number_weakly_connected_components(graph) == 2


def test_modules_export_as_json(sculpted, tmp_path):
    import json

    path = sculpted.save_modules(tmp_path / "modules.json")
    record = json.loads(path.read_text())
    assert {(tuple(m["inputs"]), tuple(m["outputs"])) for m in record["modules"]} == BLOCKS
    assert record["arch"] == "4-24-4" and record["density"] == pytest.approx(sculpted.density)


def test_an_already_sparse_model_is_detected_without_pruning():
    # Two blocks by hand: hidden units 0-1 see x0, x1 and feed y0, y1; units 2-3 the others.
    model = nn.Sequential(nn.Linear(4, 4), nn.ReLU(), nn.Linear(4, 4))
    with torch.no_grad():
        block = torch.zeros(4, 4)
        block[:2, :2] = block[2:, 2:] = 1.0
        model[0].weight.copy_(block * 0.7)
        model[2].weight.copy_(block * -0.4)
    result = ns.detect_modules(model)
    assert result.selection is None
    assert blocks(result) == BLOCKS
    assert [int(m.sum()) for m in result.masks] == [8, 8]


@pytest.mark.parametrize(
    ("model", "data_inputs", "message"),
    [
        (nn.Sequential(nn.Conv1d(1, 1, 3), nn.ReLU(), nn.Linear(2, 4)), 4, "layer 0 is Conv1d"),
        (nn.Sequential(nn.Linear(5, 8), nn.ReLU(), nn.Linear(8, 4)), 4, "takes 5 inputs"),
        ("nan", 4, "NaN"),
        (nn.Sequential(nn.Linear(4, 8), nn.Dropout(), nn.Linear(8, 4)), 4, "layer 1 is Dropout"),
        (nn.Sequential(nn.Linear(4, 8), nn.Linear(8, 4)), 4, "layer 1 is Linear where a ReLU"),
    ],
    ids=["conv", "input-width", "nan", "dropout", "no-relu"],
)
def test_a_model_the_engine_cannot_take_is_refused_in_one_line(
    model, data_inputs, message, tmp_path
):
    if model == "nan":
        model = nn.Sequential(nn.Linear(4, 8), nn.ReLU(), nn.Linear(8, 4))
        with torch.no_grad():
            model[2].weight[0, 0] = float("nan")
    x, y = two_blocks()
    out = tmp_path / "never"
    with pytest.raises(SculptError, match=message) as caught:
        ns.sculpt_model(model, (x, y, x, y), **GRID, out_dir=out, progress=False)
    assert "\n" not in str(caught.value)
    assert not out.exists()


def _dataset_file(tmp_path: Path) -> Path:
    x, y = two_blocks()
    path = tmp_path / "two_blocks.npz"
    np.savez(path, x_train=x, y_train=y.astype(np.uint8), x_val=x, y_val=y.astype(np.uint8))
    return path


def test_the_cli_sculpts_a_torchscript_file_and_refuses_a_conv_model(trained, tmp_path, capsys):
    data = _dataset_file(tmp_path)
    scripted = tmp_path / "model.pt"
    torch.jit.script(trained).save(str(scripted))
    out = tmp_path / "trial"
    args = ["sculpt-model", "--model", str(scripted), "--data", str(data), "-o", str(out),
            "--pu", "30", "50", "70", "--pe", "1", "2.5", "--lr", "0.1", "--batch-size", "8",
            "--epochs", "30", "--quiet"]  # fmt: skip
    assert sculpt_cli(args) == 0
    assert (out / "detect" / "modules.json").is_file() and (out / "network.png").is_file()
    result = ns.load_trial(out)
    assert blocks(result) == BLOCKS

    conv = tmp_path / "conv.pt"
    torch.jit.script(nn.Sequential(nn.Conv1d(1, 1, 3), nn.ReLU(), nn.Linear(2, 4))).save(str(conv))
    capsys.readouterr()
    refused = tmp_path / "refused"
    args[2], args[6] = str(conv), str(refused)
    assert sculpt_cli(args) == 2
    err = capsys.readouterr().err.strip()
    assert err.count("\n") == 0 and "Conv1d" in err
    assert not refused.exists()


def test_a_saved_state_dict_is_taken_in_as_the_same_network(trained, tmp_path):
    from neural_sculpting.tasks.model_file import from_module, load_model_file

    path = tmp_path / "state.pt"
    torch.save(trained.state_dict(), path)
    from_file, direct = load_model_file(path), from_module(trained)
    assert from_file.sha256 == direct.sha256 and from_file.widths == (4, 24, 4)


def test_load_results_gives_the_trials_table_typed(sculpted, tmp_path):
    results = tmp_path / "results"
    (results / "mine").mkdir(parents=True)
    trial = sculpted.out_dir
    score = trial / "score.json"
    from neural_sculpting.analysis.trial import write_analysis
    from neural_sculpting.study.hparams import DetectionSettings

    write_analysis(trial, trial, sculpted.task, DetectionSettings())
    table = results / "mine" / "trials.csv"
    assert sculpt_cli(["table", str(trial / "selected.json"), str(score), "-o", str(table)]) == 0
    frame = ns.load_results(results)
    with table.open() as handle:
        rows = list(csv.DictReader(handle))
    assert len(frame) == len(rows) == 1
    for column, text in rows[0].items():
        value = frame.iloc[0][column]
        if text == "":
            assert value is None or value is np.nan or str(value) in ("<NA>", "nan", "None")
        elif text in ("True", "False"):
            assert bool(value) == (text == "True") and str(frame[column].dtype) == "boolean"
        else:
            try:
                assert float(value) == pytest.approx(float(text))
            except ValueError:
                assert str(value) == text
    assert frame.iloc[0]["experiment"] == "mine"
    assert blocks(ns.load_trial(frame.iloc[0], results=tmp_path)) == BLOCKS


def test_the_progress_bar_shows_and_can_be_turned_off(trained, capsys):
    x, y = two_blocks()
    small = {"pu": [50], "pe": [2.5]}
    ns.sculpt_model(trained, (x, y, x, y), **small, **RETRAIN, progress=True)
    shown = capsys.readouterr().err
    assert "units pruning" in shown and "edges pruning" in shown and "lane" in shown
    ns.sculpt_model(trained, (x, y, x, y), **small, **RETRAIN, progress=False)
    assert capsys.readouterr().err == ""


def test_the_example_runs_and_finds_two_modules(tmp_path):
    picture = tmp_path / "own_model.png"
    run = subprocess.run([sys.executable, str(ROOT / "examples" / "own_model.py"), "--small",
                          "-o", str(picture)], capture_output=True, text=True)  # fmt: skip
    assert run.returncode == 0, run.stdout + run.stderr
    assert "2 modules" in run.stdout and picture.is_file()


def test_a_description_scores_the_sculpted_model(trained, tmp_path):
    # The README's two-block description: each block reads its two inputs, writes its outputs.
    description = tmp_path / "two_blocks.yaml"
    description.write_text(
        "name: two_blocks\nkind: dataset\ninputs: 4\n"
        "input_groups:\n  a: {range: [0, 1]}\n  b: {indices: [2, 3]}\n"
        "outputs: [a_xor, a_xnor, b_xor, b_xnor]\n"
        "subfunctions:\n  block_a: {reads: [a], writes: [a_xor, a_xnor]}\n"
        "  block_b: {reads: [b], writes: [b_xor, b_xnor]}\n"
    )
    x, y = two_blocks()
    result = ns.sculpt_model(trained, (x, y, x, y), description=description, **GRID, **RETRAIN,
                             progress=False)  # fmt: skip
    assert result.structure_match is True
    assert {(m.inputs, m.outputs) for m in result.modules} == {
        (("a",), ("a_xor", "a_xnor")),
        (("b",), ("b_xor", "b_xnor")),
    }


def test_a_model_experiment_takes_its_architecture_from_the_model(trained, tmp_path):
    from neural_sculpting.study.experiments import ConfigError, load_study
    from neural_sculpting.study.trial import Trial

    data = _dataset_file(tmp_path)
    torch.save(trained.state_dict(), tmp_path / "model.pt")
    spec = {"task": "dataset", "data": str(data), "model": str(tmp_path / "model.pt"),
            "seeds": [0, 1]}  # fmt: skip
    (experiment,) = load_study({"experiments": {"mine": spec}}).values()
    assert [t.hidden for t in experiment.trials] == [(24,), (24,)]
    trial = experiment.trials[0]
    assert Trial.from_json(trial.to_json()) == trial  # the model travels with the trial
    # A trial without a model keeps the JSON it had before models existed.
    plain = load_study({"experiments": {"x": {"task": "dataset", "data": str(data)}}})
    assert '"model"' not in plain["x"].trials[0].to_json()
    with pytest.raises(ConfigError, match=r"experiments\.mine\.widths: an experiment with a model"):
        load_study({"experiments": {"mine": {**spec, "widths": [8]}}})
    with pytest.raises(ConfigError, match=r"experiments\.b\.model: applies to task dataset only"):
        load_study({"experiments": {"b": {"graphs": ["reused"], "model": "m.pt"}}})
