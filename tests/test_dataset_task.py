"""Dataset files as tasks: the file checks, the description format, the experiments that use them,
the dense-accuracy threshold, the digits task, and the Python API (README's example)."""

from __future__ import annotations

import json
import re
from pathlib import Path

import numpy as np
import pytest
from dataset_files import BLOCKS_DESCRIPTION, BLOCKS_SETTINGS, blocks_arrays, write_blocks

from neural_sculpting.cli.main import main
from neural_sculpting.study.experiments import ConfigError, load_study
from neural_sculpting.tasks.dataset_file import load_dataset_file
from neural_sculpting.tasks.dataset_task import TaskError, parse_dataset_task

ROOT = Path(__file__).resolve().parents[1]


def good(**changes) -> dict[str, np.ndarray]:
    arrays = blocks_arrays(repeats=2)
    arrays.update(changes)
    return arrays


def nan_inputs():
    x = good()["x_train"].copy()
    x[5, 2] = np.nan
    return good(x_train=x)


def int_labels(train, val):
    return good(y_train=np.full(32, train, np.int64), y_val=np.full(16, val, np.int64))


# Each bad file, and the words its one line must hold (the array and the problem).
BAD_FILES = {
    "missing_array": (
        lambda: {k: v for k, v in good().items() if k != "y_val"},
        "y_val is missing",
    ),
    "one_d_inputs": (lambda: good(x_val=np.zeros(16, np.float32)), "x_val must be 2-D"),
    "integer_inputs": (
        lambda: good(x_train=good()["x_train"].astype(np.int64)),
        "x_train has dtype int64",
    ),
    "nan": (nan_inputs, "x_train holds a NaN or an infinity (row 5)"),
    "not_01": (lambda: good(y_train=good()["y_train"] * 2), "y_train is not 0/1"),
    "widths": (
        lambda: good(x_val=np.zeros((16, 5), np.float32)),
        "x_train has 4 features but x_val has 5",
    ),
    "rows": (lambda: good(y_val=good()["y_val"][:10]), "x_val has 16 rows but y_val has 10"),
    "float_labels": (
        lambda: good(y_train=np.zeros(32, np.float32), y_val=np.zeros(16, np.float32)),
        "not integers",
    ),
    "negative_label": (lambda: int_labels(-1, 0), "negative class label"),
    "one_class": (lambda: int_labels(0, 0), "one class only"),
    "mixed_targets": (lambda: good(y_val=np.zeros(16, np.int64)), "both be class labels"),
    "mixed_scaling": (
        lambda: good(x_val=good()["x_val"].astype(np.uint8)),
        "x_train is float32 but x_val is uint8",
    ),
}


@pytest.mark.parametrize("case", sorted(BAD_FILES))
def test_a_bad_dataset_file_is_one_line_and_status_2(tmp_path, capsys, case):
    make, words = BAD_FILES[case]
    path = tmp_path / "bad.npz"
    np.savez(path, **make())
    assert main(["check-data", str(path)]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and err.startswith(f"sculpt: error: {path}: ")
    assert words in err


def test_missing_and_unreadable_files_are_one_line(tmp_path, capsys):
    assert main(["check-data", str(tmp_path / "none.npz")]) == 2
    assert "none.npz: no such dataset file" in capsys.readouterr().err
    junk = tmp_path / "junk.npz"
    junk.write_text("not a zip")
    assert main(["check-data", str(junk)]) == 2
    assert "junk.npz: not an .npz file" in capsys.readouterr().err
    objects = tmp_path / "objects.npz"
    np.savez(objects, **good(x_train=np.array([{"a": 1}] * 32, dtype=object)))
    assert main(["check-data", str(objects)]) == 2
    assert "holds Python objects" in capsys.readouterr().err


def test_class_labels_become_one_hot_outputs(tmp_path):
    labels = np.array([0, 2, 1, 2])
    path = tmp_path / "labels.npz"
    np.savez(path, x_train=np.eye(4, dtype=np.float32), y_train=labels,
             x_val=np.eye(4, dtype=np.float32)[:2], y_val=labels[:2])  # fmt: skip
    arrays = load_dataset_file(path)
    assert arrays.n_outputs == 3 and arrays.class_groups == ((0, 3),)
    assert arrays.y_train.tolist() == [[1, 0, 0], [0, 0, 1], [0, 1, 0], [0, 0, 1]]


def test_uint8_inputs_are_pixels_scaled_by_255(tmp_path):
    from neural_sculpting.engine.data import dataset_data

    x = np.array([[0, 255], [51, 102]], dtype=np.uint8)
    path = tmp_path / "px.npz"
    np.savez(path, x_train=x, y_train=np.array([[0], [1]]), x_val=x, y_val=np.array([[0], [1]]))
    data = dataset_data("px", load_dataset_file(path))
    np.testing.assert_allclose(data.inputs(data.train_x[0]).numpy(), [[0, 1], [0.2, 0.4]])


# --- descriptions ---------------------------------------------------------------------------------


def describe(**changes):
    import yaml

    data = yaml.safe_load(BLOCKS_DESCRIPTION)
    data.update(changes)
    return data


def test_a_description_names_groups_by_ranges_indices_and_image_columns():
    task = parse_dataset_task(describe(), "d.yaml")
    assert task.input_groups == {"a": frozenset({0, 1}), "b": frozenset({2, 3})}
    groups = {"left": {"columns": [0, 0]}, "rest": {"ranges": [[1, 2], [4, 5]]}}
    image = describe(
        inputs=6, image={"height": 2, "width": 3}, input_groups=groups, subfunctions=None
    )
    task = parse_dataset_task(image, "d.yaml")
    assert task.input_groups == {"left": frozenset({0, 3}), "rest": frozenset({1, 2, 4, 5})}
    assert not task.scored


@pytest.mark.parametrize(
    ("changes", "words"),
    [
        ({"input_groups": {"a": {"range": [0, 2]}, "b": {"indices": [2, 3]}}}, "groups overlap"),
        ({"input_groups": {"a": {"range": [0, 1]}, "b": {"indices": [2, 9]}}}, "beyond the 4"),
        ({"input_groups": {"a": {"columns": [0, 1]}}}, "columns need `image`"),
        ({"classes": [[0, 5]]}, "classes: [0, 5] must be two or more of the outputs 0-3"),
        (
            {"subfunctions": {"s": {"reads": ["c"], "writes": ["a_xor"]}}},
            "'c' is not an input group",
        ),
        ({"kind": "mnist"}, "kind"),
    ],
)
def test_a_bad_description_is_one_line_naming_the_key(changes, words):
    with pytest.raises(TaskError) as error:
        parse_dataset_task(describe(**changes), "d.yaml")
    assert words in str(error.value) and "\n" not in str(error.value)


# --- experiments ----------------------------------------------------------------------------------


def experiment(tmp_path, **spec) -> dict:
    data, description = write_blocks(tmp_path)
    spec = {"task": "dataset", "data": str(data), **BLOCKS_SETTINGS, **spec}
    if spec.get("description") == "blocks.yaml":
        spec["description"] = str(description)
    return {"experiments": {"mine": spec}}


def test_a_dataset_experiment_takes_its_kinds_defaults(tmp_path):
    spec = experiment(tmp_path)
    for key in ("train", "detection", "widths"):
        del spec["experiments"]["mine"][key]
    (trial,) = load_study(spec)["mine"].trials
    assert trial.graph == "blocks" and trial.arch == "4-64-4"  # named after the file
    assert trial.pruning.accuracy_threshold is None  # the dense network's own accuracy
    assert (trial.train.lr, trial.train.noise_std) == (0.001, 0.0)
    assert not trial.scored and trial.detects


def test_a_described_experiment_is_scored_and_named_after_its_description(tmp_path):
    (trial,) = load_study(experiment(tmp_path, description="blocks.yaml"))["mine"].trials
    assert trial.graph == "two_blocks" and trial.scored


@pytest.mark.parametrize(
    ("spec", "words"),
    [
        ({"data": "nowhere.npz"}, "experiments.mine.data: nowhere.npz: no such dataset file"),
        ({"description": "no_such_task"}, "experiments.mine.description: no dataset task"),
        ({"description": "mnist_two_digits"}, "experiments.mine.description: no dataset task"),
        ({"accuracy_measure": "per_digit"}, "per_digit needs class groups"),
        ({"graphs": ["reused"]}, "task dataset takes no graphs"),
        ({"split": "paper"}, "applies to MNIST tasks only"),
        ({"accuracy_threshold": "denser"}, "accuracy_threshold"),
    ],
)
def test_a_bad_dataset_experiment_is_one_config_line(tmp_path, spec, words):
    config = experiment(tmp_path, **spec)
    with pytest.raises(ConfigError) as error:
        load_study(config)
    assert words in str(error.value) and "\n" not in str(error.value)


def test_a_dataset_named_like_a_function_graph_is_refused(tmp_path):
    data = tmp_path / "reused.npz"
    np.savez(data, **blocks_arrays(repeats=1))
    with pytest.raises(ConfigError, match="name 'reused' is a function graph's"):
        load_study({"experiments": {"mine": {"task": "dataset", "data": str(data)}}})


def test_a_description_that_does_not_fit_the_file_is_refused(tmp_path):
    config = experiment(tmp_path, description="blocks.yaml")
    Path(config["experiments"]["mine"]["description"]).write_text(
        BLOCKS_DESCRIPTION.replace("inputs: 4", "inputs: 5")
    )
    with pytest.raises(ConfigError, match="inputs: 5 differs from the file's 4"):
        load_study(config)


# --- the dense-accuracy threshold (Algorithms 1-2's A_v) ------------------------------------------


def test_each_trial_prunes_against_its_own_dense_accuracy(tmp_path):
    """Two seeds in one batch, dense networks trained too briefly to reach 100%: every step a
    trial kept reached its own dense accuracy, every step it undid fell below it."""
    from neural_sculpting.engine.data import dataset_data
    from neural_sculpting.engine.search import Search
    from neural_sculpting.engine.settings import SearchSettings, SearchTrial
    from neural_sculpting.study.hparams import PruningHparams, SearchHparams, TrainingHparams
    from neural_sculpting.tasks.dataset_file import check_arrays

    data = dataset_data("blocks", check_arrays(blocks_arrays(repeats=1)))
    settings = SearchSettings(
        hidden=(12,),
        training=TrainingHparams(lr=0.02, batch_size=8, epochs=2, noise_std=0.0),
        pruning=PruningHparams(accuracy_threshold=None, require_trainable_dense=False),
        search=SearchHparams("grid", (30.0,), (5.0,)),
    )
    trials = [SearchTrial("blocks", seed, tmp_path / f"s{seed}") for seed in (0, 1)]
    Search(trials, settings, "cpu", data).run()
    dense = {}
    for seed in (0, 1):
        folder = tmp_path / f"s{seed}"
        dense[seed] = json.loads((folder / "dense.json").read_text())["lanes"][0]["val_accuracy"]
        rounds = [
            step
            for stage in ("units", "edges")
            for lane in json.loads((folder / f"{stage}.json").read_text())["lanes"]
            for step in lane["steps"]
            if step["val_accuracy"] is not None
        ]
        assert rounds, "the search made no pruning step"
        for step in rounds:
            assert step["kept"] == (step["val_accuracy"] >= dense[seed]), step
    assert dense[0] < 100 or dense[1] < 100  # the rule was exercised below 100%


# --- the digits task ---------------------------------------------------------------------------


def test_digits_composites_keep_training_and_validation_images_apart():
    from sklearn.datasets import load_digits

    from neural_sculpting.tasks.digits import build_digits

    arrays = build_digits(composites_per_pair=10, seed=3)
    source = load_digits()
    assert arrays["x_train"].shape == (800, 128) and arrays["x_val"].shape == (200, 128)
    train, val = set(arrays["train_sources"].ravel()), set(arrays["val_sources"].ravel())
    assert not train & val  # no image in both splits
    # per digit, at most 80% of its images can train (the split comes before composing)
    for digit in range(10):
        pool = np.flatnonzero(source.target == digit)
        assert len(train & set(pool)) <= len(pool) * 4 // 5
    # a composite is its two source images side by side, pixels / 16, and their labels one-hot
    row, (left, right) = 123, arrays["train_sources"][123]
    image = arrays["x_train"][row].reshape(8, 16)
    np.testing.assert_allclose(image[:, :8], source.images[left] / 16, rtol=1e-6)
    np.testing.assert_allclose(image[:, 8:], source.images[right] / 16, rtol=1e-6)
    y = arrays["y_train"][row]
    assert y[:10].argmax() == source.target[left] and y[10:].argmax() == source.target[right]
    assert y.sum() == 2


def test_the_digits_description_fits_the_built_file(tmp_path):
    from neural_sculpting.tasks.catalog import load_task
    from neural_sculpting.tasks.digits import write_digits

    path = tmp_path / "digits.npz"
    write_digits(path, composites_per_pair=2)
    task = load_task("digits_two_digits")
    arrays = load_dataset_file(path)
    task.check_sizes(arrays.n_inputs, arrays.n_outputs, "digits")
    assert task.input_groups["d1"] == frozenset(r * 16 + c for r in range(8) for c in range(8))
    assert task.class_groups == ((0, 10), (10, 20))


# --- the Python API -----------------------------------------------------------------------------


def readme_example() -> str:
    text = (ROOT / "README.md").read_text()
    section = text[text.index("## Your own task") :]
    return re.search(r"```python\n(.*?)```", section, re.S).group(1)


def test_the_readme_api_example_runs_and_finds_the_two_blocks(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    namespace: dict = {}
    exec(compile(readme_example(), "README.md", "exec"), namespace)
    result = namespace["result"]
    found = {(m.inputs, m.outputs) for m in result.modules}
    assert found == {(("x0", "x1"), ("y0", "y1")), (("x2", "x3"), ("y2", "y3"))}
    # every module's hidden units, and only they, counted: width 24 pruned to a few
    assert all(0 < m.hidden_units == len(m.units[1]) for m in result.modules)
    assert (tmp_path / "net.png").stat().st_size > 0


def test_a_dataset_file_by_hand_through_the_cli(tmp_path, capsys):
    data, description = write_blocks(tmp_path)
    trial = tmp_path / "trial"
    settings = ["--lr", "0.05", "--batch-size", "8", "--epochs", "4", "--pu", "70", "--pe", "2.5"]
    search = ["search", "--data", str(data), "--description", str(description), "--arch", "24"]
    assert main([*search, *settings, "--out", str(trial), "--quiet"]) == 0
    detect = ["detect", "--trial-dir", str(trial), "--graph", "two_blocks"]
    assert main([*detect, "--description", str(description)]) == 0
    assert "structure_match True" in capsys.readouterr().out
    assert main([*detect, "--undescribed", "--out-dir", str(tmp_path / "unscored")]) == 0
    out = capsys.readouterr().out
    assert "2 hidden modules (unscored)" in out and "inputs {x2-x3} -> outputs {y2-y3}" in out
    # --description without --data is refused in one line
    assert main(["search", "--graph", "reused", "--description", str(description),
                 "--arch", "24", "--out", str(tmp_path / "x")]) == 2  # fmt: skip
    assert "--description goes with --data" in capsys.readouterr().err
