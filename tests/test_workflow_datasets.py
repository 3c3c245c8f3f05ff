"""Dataset files through the workflow (`all_datasets`): a file whose structure is known, with and
without its description, the digits task of config/test.yaml, and a bad file's one line."""

from __future__ import annotations

import csv
import json
from pathlib import Path

from dataset_files import BLOCKS_SETTINGS, write_blocks
from test_workflow import ROOT, run_snakemake


def rows_of(folder: Path, experiment: str) -> list[dict[str, str]]:
    with (folder / "results" / experiment / "trials.csv").open() as handle:
        return list(csv.DictReader(handle))


def test_two_blocks_give_two_modules_with_and_without_a_description(tmp_path):
    data, description = write_blocks(tmp_path)
    common = {"task": "dataset", "data": data.name, **BLOCKS_SETTINGS}
    config = {"experiments": {
        "described": {**common, "description": description.name},
        "undescribed": common,
    }}  # fmt: skip
    (tmp_path / "blocks.json").write_text(json.dumps(config))
    result = run_snakemake(
        tmp_path, "all_datasets", "--cores", "2", "--configfile", str(tmp_path / "blocks.json")
    )
    assert result.returncode == 0, result.stderr[-3000:]

    (described,) = rows_of(tmp_path, "described")
    assert described["graph"] == "two_blocks"
    assert described["structure_match"] == "True"
    assert described["modules_found"] == "block_a;block_b"
    assert described["n_modules"] == "2"

    # Nothing expected: the same two modules reported by their inputs and outputs, unscored.
    (undescribed,) = rows_of(tmp_path, "undescribed")
    assert undescribed["graph"] == "blocks"  # named after the file
    assert undescribed["structure_match"] == "" and undescribed["modules_found"] == ""
    assert undescribed["n_modules"] == "2"
    assert undescribed["detected"] == (
        "inputs {x0-x1} -> outputs {y0-y1} | inputs {x2-x3} -> outputs {y2-y3}"
    )
    results = tmp_path / "results"
    drawings = results / "figures" / "drawings"
    for path in (
        drawings / "described" / "two_blocks_h1.png",
        drawings / "undescribed" / "blocks_h1.png",
    ):
        assert path.read_bytes().startswith(b"\x89PNG")
    # A summary figure of success rates only where there is something to score.
    assert (results / "described" / "structure_recovered.png").is_file()
    assert not (results / "undescribed" / "structure_recovered.png").exists()


def test_the_digits_task_runs_through_the_workflow(tmp_path):
    config = str(ROOT / "config" / "test.yaml")
    result = run_snakemake(tmp_path, "all_datasets", "--cores", "2", "--configfile", config)
    assert result.returncode == 0, result.stderr[-3000:]
    assert (tmp_path / "results" / "data" / "digits_two_digits_c10.npz").is_file()
    (row,) = rows_of(tmp_path, "digits_two_digits")
    assert (row["graph"], row["arch"]) == ("digits_two_digits", "128-16-16-20")
    assert row["structure_match"] in ("True", "False")  # scored against its description
    drawing = tmp_path / "results" / "figures" / "drawings" / "digits_two_digits"
    assert (drawing / "digits_two_digits_h2.png").read_bytes().startswith(b"\x89PNG")
    # all_boolean leaves dataset experiments alone
    plan = run_snakemake(tmp_path, "all_boolean", "-n", "--cores", "1", "--configfile", config)
    assert "digits_two_digits" not in plan.stdout


def test_a_bad_dataset_file_stops_the_workflow_with_one_line(tmp_path):
    bad = tmp_path / "bad.npz"
    bad.write_bytes(b"not an npz")
    (tmp_path / "bad.json").write_text(
        json.dumps({"experiments": {"mine": {"task": "dataset", "data": "bad.npz"}}})
    )
    result = run_snakemake(
        tmp_path, "all_datasets", "--cores", "1", "--configfile", str(tmp_path / "bad.json")
    )
    assert result.returncode == 2
    lines = [line for line in result.stderr.splitlines() if line.strip() and "profile" not in line]
    assert lines == [
        "config: experiments.mine.data: bad.npz: not an .npz file (numpy.savez writes one)"
    ]
    assert not (tmp_path / "results").exists()


def _trained_blocks_model(path: Path) -> None:
    """A 4-24-4 network trained on the two-block table with plain PyTorch, saved as a
    state_dict (the workflow's `model:`)."""
    import itertools

    import numpy as np
    import torch
    from torch import nn

    x = np.array(list(itertools.product([0, 1], repeat=4)), dtype=np.float32)
    a, b = x[:, 0] != x[:, 1], x[:, 2] != x[:, 3]
    xs = torch.from_numpy(x)
    ys = torch.from_numpy(np.stack([a, ~a, b, ~b], axis=1).astype(np.float32))
    torch.manual_seed(0)
    model = nn.Sequential(nn.Linear(4, 24), nn.ReLU(), nn.Linear(24, 4))
    optimiser = torch.optim.Adam(model.parameters(), lr=0.05)
    for _ in range(300):
        optimiser.zero_grad()
        nn.functional.binary_cross_entropy_with_logits(model(xs), ys).backward()
        optimiser.step()
    torch.save(model.state_dict(), path)


def test_a_model_of_your_own_is_sculpted_by_the_workflow(tmp_path):
    data, description = write_blocks(tmp_path)
    _trained_blocks_model(tmp_path / "blocks_model.pt")
    settings = {k: v for k, v in BLOCKS_SETTINGS.items() if k not in ("widths", "depths")}
    settings |= {"train": {"lr": 0.1, "batch_size": 8, "epochs": 30}, "pu": [30, 50, 70],
                 "pe": [1.0, 2.5]}  # fmt: skip
    mine = {"task": "dataset", "data": data.name, "description": description.name,
            "model": "blocks_model.pt", **settings}  # fmt: skip
    (tmp_path / "model.json").write_text(json.dumps({"experiments": {"mine": mine}}))
    result = run_snakemake(
        tmp_path, "all_datasets", "--cores", "1", "--configfile", str(tmp_path / "model.json")
    )
    assert result.returncode == 0, result.stderr[-3000:]
    (row,) = rows_of(tmp_path, "mine")
    assert row["arch"] == "4-24-4"  # the model's
    assert row["structure_match"] == "True" and row["modules_found"] == "block_a;block_b"
    dense = json.loads(next((tmp_path / "results" / "trials").rglob("dense.json")).read_text())
    assert dense["lanes"][0]["imported"] is True and "imported_sha256" in dense["config"]

    # A model that does not fit the data stops the run in one line, before any job.
    import torch
    from torch import nn

    torch.save(nn.Sequential(nn.Linear(5, 8), nn.ReLU(), nn.Linear(8, 4)).state_dict(),
               tmp_path / "wide.pt")  # fmt: skip
    mine["model"] = "wide.pt"
    (tmp_path / "wide.json").write_text(json.dumps({"experiments": {"wider": mine}}))
    result = run_snakemake(
        tmp_path, "all_datasets", "--cores", "1", "--configfile", str(tmp_path / "wide.json")
    )
    assert result.returncode == 2
    lines = [line for line in result.stderr.splitlines() if line.strip() and "profile" not in line]
    assert lines == [
        "config: experiments.wider.model: the model takes 5 inputs, the data has 4 input columns"
    ]
    assert not (tmp_path / "results" / "wider").exists()
