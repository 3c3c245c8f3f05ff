"""`sculpt status`: what a results folder holds for each trial of a config."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from neural_sculpting.cli.main import main
from neural_sculpting.foundations import paths
from neural_sculpting.store import checkpoint
from neural_sculpting.study.experiments import load_study

CONFIG = {"experiments": {"mine": {
    "graphs": ["input_separable"], "widths": [8], "depths": [1], "seeds": [0, 1, 2],
    "train": {"lr": 0.05, "batch_size": 8, "epochs": 2}, "pu": [70], "pe": [2.5],
    "dense_must_reach_threshold": False,
}}}  # fmt: skip


@pytest.fixture
def results(tmp_path, monkeypatch) -> tuple[Path, list]:
    """Seed 0 done (searched and scored), seed 1 killed while edge pruning, seed 2 not begun."""
    monkeypatch.chdir(tmp_path)
    done, killed, _ = load_study(CONFIG)["mine"].trials
    assert main(["search", "--trial", done.to_json(), "--quiet"]) == 0
    assert main(["detect", "--trial", done.to_json()]) == 0
    bench = paths.benchmark_file("trials", done.key, "search.tsv")
    bench.parent.mkdir(parents=True)
    bench.write_text("s\th:m:s\tmax_rss\n30.0\t0:00:30\t100\n")
    # A kill during edge pruning leaves the round's state file and no edges or selection.
    with monkeypatch.context() as patch:
        patch.setattr(checkpoint, "remove_state", lambda *args: None)
        assert main(["search", "--trial", killed.to_json(), "--quiet", "--state-every", "0"]) == 0
    folder = paths.trial_dir(killed.key)
    for stage in ("edges", "selected"):
        for path in paths.stage_files(folder, stage):
            path.unlink()
    (tmp_path / "config.yaml").write_text(json.dumps(CONFIG))
    return tmp_path, [done, killed]


def test_status_counts_done_in_progress_and_pending_trials(results, capsys):
    folder, (_, killed) = results
    assert main(["status", "--configfile", str(folder / "config.yaml"), "--cores", "2"]) == 0
    out = capsys.readouterr().out.splitlines()
    assert out[1].split() == ["mine", "3", "1", "1", "1"]
    running = [line for line in out if killed.key in line]
    assert len(running) == 1 and ": edges, round " in running[0]
    assert "of 1 lanes pruning, density " in running[0]
    # Two trials left at the one finished search's 30 s, on two cores: 0.5 min.
    assert "time left: about 0.5 min of search for 2 trials on 2 core(s)" in "\n".join(out)
    assert "tail -f results/logs/cells/<cell>/search.log" in out[-1]


def test_time_left_counts_a_cell_job_as_its_trials_share(results, capsys):
    # Boolean trials are searched by cell: a cell job of 90 s for the cell's 3 trials is 30 s a
    # trial, so the two trials left take 1 minute on one core.
    folder, (done, _) = results
    paths.benchmark_file("trials", done.key, "search.tsv").unlink()
    bench = paths.benchmark_file("cells", paths.cell_of(done.key), "search.tsv")
    bench.parent.mkdir(parents=True)
    bench.write_text("s\th:m:s\tmax_rss\n90.0\t0:01:30\t100\n")
    assert main(["status", "--configfile", str(folder / "config.yaml"), "--cores", "1"]) == 0
    out = capsys.readouterr().out
    assert "time left: about 1.0 min of search for 2 trials on 1 core(s)" in out


def test_status_of_a_finished_study(tmp_path, monkeypatch, capsys):
    monkeypatch.chdir(tmp_path)
    config = {"experiments": {"one": {**CONFIG["experiments"]["mine"], "seeds": [0]}}}
    (trial,) = load_study(config)["one"].trials
    main(["search", "--trial", trial.to_json(), "--quiet"])
    main(["detect", "--trial", trial.to_json()])
    (tmp_path / "c.yaml").write_text(json.dumps(config))
    capsys.readouterr()
    assert main(["status", "--configfile", "c.yaml"]) == 0
    assert "every trial is done" in capsys.readouterr().out
