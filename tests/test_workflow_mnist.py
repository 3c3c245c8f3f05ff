"""The MNIST stages of the workflow (Sec. 5.5): the paper's MNIST study plans, and the small MNIST
config runs every stage end to end on the real MNIST files (slow)."""

from __future__ import annotations

import json
import re
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import yaml
from test_workflow import ROOT, run_snakemake

MNIST_ROOT = ROOT.parent / "shared" / "data"


def job_counts(output: str) -> dict[str, int]:
    """The 'Job stats' table of a Snakemake dry run."""
    table = output.split("Job stats:", 1)[1]
    return {m[1]: int(m[2]) for m in re.finditer(r"^(\w+)\s+(\d+)$", table, flags=re.MULTILINE)}


def test_the_papers_mnist_study_plans(tmp_path):
    paper = str(ROOT / "config" / "config.yaml")
    result = run_snakemake(tmp_path, "all_mnist", "-n", "--cores", "32", "--configfile", paper)
    assert result.returncode == 0, result.stderr[-3000:]
    counts = job_counts(result.stdout)
    # Two composite datasets; 36 two-digit trials (3 widths x 2-4 layers x 4 seeds) and 48
    # hierarchical ones (2-5 layers), each searched once; detected by cell (the 4 seeds of a
    # width and depth: 9 + 12 jobs), each trial once; one drawing per depth.
    assert counts["mnist_data"] == 2
    assert counts["search_mnist"] == 36 + 48 and "search" not in counts
    assert sum(n for rule, n in counts.items() if rule.startswith("detect_")) == 9 + 12
    scores = set(re.findall(r"results/trials/\S+/score\.json", result.stdout))
    assert len(scores) == 36 + 48
    assert counts["trials_table"] == 2 and counts["paper_figure"] == 1  # fig13b
    # One drawing job per experiment: its 3 and 4 depths' drawings.
    assert sum(n for rule, n in counts.items() if rule.startswith("draw_")) == 2
    drawings = set(re.findall(r"results/figures/drawings/mnist\S+\.png", result.stdout))
    assert len(drawings) == 3 + 4
    assert "results/data/mnist_two_digits_paper_c1000.npz" in result.stdout
    # Each job gets its trial as JSON, with the paper's MNIST settings filled in.
    assert '"accuracy_threshold":98.0' in result.stdout
    assert '"modularity_threshold":-0.3,"merge_threshold":0.6' in result.stdout


def test_on_a_gpu_cluster_each_mnist_search_asks_for_a_gpu(tmp_path):
    paper = str(ROOT / "config" / "config.yaml")
    result = run_snakemake(
        tmp_path, "all_mnist", "-n", "--cores", "32", "--configfile", paper,
        "--config", "device=cuda",
    )  # fmt: skip
    assert result.returncode == 0, result.stderr[-3000:]
    jobs = result.stdout.split("\n\n")
    searches = [j for j in jobs if "rule search_mnist:" in j]
    assert len(searches) == 84
    assert all(re.search(r"resources: .*\bgpu=1\b", j) for j in searches)
    assert all("--device cuda" in j for j in searches)


def small_config(tmp_path: Path) -> Path:
    config = yaml.safe_load((ROOT / "config" / "mnist_small.yaml").read_text())
    for experiment in config["experiments"].values():
        experiment["mnist_root"] = str(MNIST_ROOT)
    path = tmp_path / "mnist_small.yaml"
    path.write_text(yaml.safe_dump(config))
    return path


@pytest.mark.slow
def test_small_mnist_config_runs_every_stage(tmp_path):
    config = small_config(tmp_path)
    result = run_snakemake(tmp_path, "all_mnist", "--cores", "2", "--configfile", str(config))
    assert result.returncode == 0, result.stderr[-3000:]
    results = tmp_path / "results"

    # The dataset stage: uint8 composites, 20 per ordered pair split 16 / 4.
    with np.load(results / "data" / "mnist_two_digits_paper_c20.npz") as data:
        assert data["train_x"].dtype == np.uint8 and data["train_x"].shape == (100 * 16, 1568)
        assert data["val_y"].shape == (100 * 4, 20)
        assert (data["val_y"].sum(axis=1) == 2).all()  # one-hot digit 1 and one-hot digit 2
    with np.load(results / "data" / "mnist_hierarchical_paper_c20.npz") as data:
        assert data["train_x"].shape == (64 * 16, 1568) and data["train_y"].shape[1] == 3
        digits, codes = data["train_digits"], data["train_y"]
        xor = digits[:, 0] ^ digits[:, 1]
        assert (codes == np.stack([(xor >> 2) & 1, (xor >> 1) & 1, xor & 1], axis=1)).all()

    two = pd.read_csv(results / "mnist_two_digits" / "trials.csv")
    hier = pd.read_csv(results / "mnist_hierarchical" / "trials.csv")
    assert len(two) == 1 and sorted(hier["depth"]) == [2, 3]
    assert "category_two_modules" in two.columns
    for column in ("category_input_separable", "category_output_modules", "category_middle_layers"):
        assert hier[column].isin([True, False]).all()
    for table, threshold in ((two, 93), (hier, 62)):
        assert (table["arch"].str.startswith("1568-48-48")).all()
        assert table["structure_match"].isin([True, False]).all()  # every trial detected
        assert (table["density"] <= 1).all()
        # The thresholds sit below these small networks' dense accuracy, so every trial prunes,
        # and keeps a network only at or above the threshold.
        assert (table["density"] < 0.5).all()
        assert (table["val_accuracy"] >= threshold).all()

    score = json.loads(
        next((results / "trials" / "mnist_hierarchical").rglob("score.json")).read_text()
    )
    assert set(score["categories"]) == {"input_separable", "output_modules", "middle_layers"}
    assert score["modularity_threshold"] == -0.3 and score["merge_threshold"] == 0.6
    record = json.loads(
        next((results / "trials" / "mnist_two_digits").rglob("selected.json")).read_text()
    )
    assert record["result"]["accuracy_measure"] == "per_bit"

    figures = results / "figures"
    fig13b = pd.read_csv(figures / "fig13b.csv")
    assert sorted(set(fig13b["depth"])) == [2, 3] and len(set(fig13b["category"])) == 3
    for drawing in (
        "mnist_two_digits/mnist_two_digits_h2",
        "mnist_hierarchical/mnist_hierarchical_h3",
    ):
        assert (figures / "drawings" / f"{drawing}.png").read_bytes().startswith(b"\x89PNG")

    # One figure target again: nothing to redo.
    again = run_snakemake(tmp_path, "fig33", "-n", "--cores", "1", "--configfile", str(config))
    assert again.returncode == 0 and "Nothing to be done" in again.stdout + again.stderr
