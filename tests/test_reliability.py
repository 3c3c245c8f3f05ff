"""Reliability: corrupt checkpoints are reported and recomputed, a killed search resumes to the
same result, reruns are deterministic, and bad output paths stop with one line."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
import torch

SCULPT = [sys.executable, "-m", "neural_sculpting.cli"]
# A small trial: input_separable, one hidden layer of 8, one grid point.
SEARCH = [
    "search", "--graph", "input_separable", "--arch", "8", "--seed", "3", "--lr", "0.05",
    "--batch-size", "8", "--epochs", "8", "--pu", "50", "--pe", "2.5", "--allow-untrainable",
    "--device", "cpu", "--threads", "1", "--quiet",
]  # fmt: skip


def sculpt(*args: str, check: bool = True) -> subprocess.CompletedProcess:
    result = subprocess.run([*SCULPT, *args], capture_output=True, text=True, timeout=600)
    if check:
        assert result.returncode == 0, result.stderr[-2000:]
    return result


def masks(trial: Path) -> list[torch.Tensor]:
    stored = torch.load(trial / "selected.pt", weights_only=True)
    return [m.clone() for m in stored["model"]["weight_masks"]]


def same_masks(a: Path, b: Path) -> bool:
    return all(torch.equal(x, y) for x, y in zip(masks(a), masks(b), strict=True))


@pytest.fixture(scope="module")
def reference(tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("reference") / "trial"
    sculpt(*SEARCH, "--out", str(out))
    return out


def test_rerun_in_a_fresh_folder_gives_identical_masks(reference, tmp_path):
    sculpt(*SEARCH, "--out", str(tmp_path / "trial"))
    assert same_masks(reference, tmp_path / "trial")


def test_truncated_stage_file_is_reported_and_recomputed(reference, tmp_path):
    trial = tmp_path / "trial"
    sculpt(*SEARCH, "--out", str(trial))
    units = trial / "units.pt"
    units.write_bytes(units.read_bytes()[: units.stat().st_size // 2])
    for name in ("edges", "selected"):  # so that the search must load units again
        (trial / f"{name}.pt").unlink()
        (trial / f"{name}.json").unlink()
    result = sculpt(*SEARCH, "--out", str(trial))
    lines = [line for line in result.stderr.splitlines() if "unreadable checkpoint" in line]
    assert lines == [f"{units}: unreadable checkpoint (checksum differs from its record); "
                     "recomputing it"]  # fmt: skip
    assert same_masks(reference, trial)


def test_corrupt_selected_network_stops_detection_and_is_removed(reference, tmp_path):
    trial = tmp_path / "trial"
    sculpt(*SEARCH, "--out", str(trial))
    selected = trial / "selected.npz"  # what detection reads (no torch)
    data = bytearray(selected.read_bytes())
    data[len(data) // 2] ^= 0xFF  # one flipped byte: no longer the saved network
    selected.write_bytes(bytes(data))
    result = sculpt("detect", "--trial-dir", str(trial), "--graph", "input_separable", check=False)
    assert result.returncode == 2
    assert result.stderr.count("\n") == 1 and str(selected) in result.stderr
    assert "corrupt selection" in result.stderr and "Traceback" not in result.stderr
    assert not selected.exists() and not (trial / "selected.json").exists()
    assert not (trial / "selected.pt").exists()
    # The next run recomputes the selection from the stage files.
    sculpt(*SEARCH, "--out", str(trial))
    assert same_masks(reference, trial)


def test_a_selection_without_its_arrays_is_made_again(reference, tmp_path):
    # Trial folders written before selected.npz existed (or with it lost): the search selects
    # again from the stage files instead of calling the selection done.
    trial = tmp_path / "trial"
    sculpt(*SEARCH, "--out", str(trial))
    before = (trial / "selected.pt").read_bytes()
    (trial / "selected.npz").unlink()
    sculpt(*SEARCH, "--out", str(trial))
    assert (trial / "selected.npz").is_file()
    assert (trial / "selected.pt").read_bytes() == before
    result = sculpt("detect", "--trial-dir", str(trial), "--graph", "input_separable")
    assert result.returncode == 0


@pytest.mark.slow
def test_search_killed_mid_pruning_resumes_to_the_same_network(tmp_path):
    """SIGKILL the search once it has saved an edge-pruning state; the rerun resumes from that
    round (as its record says) and ends with the uninterrupted run's network."""
    args = [
        "search", "--graph", "reused", "--arch", "24-24", "--seed", "0", "--lr", "0.1",
        "--batch-size", "8", "--epochs", "40", "--pu", "70", "--pe", "0.5", "--device", "cpu",
        "--threads", "1", "--quiet", "--state-every", "0",
    ]  # fmt: skip
    whole = tmp_path / "whole"
    sculpt(*args, "--out", str(whole))

    killed = tmp_path / "killed"
    process = subprocess.Popen(
        [*SCULPT, *args, "--out", str(killed)], start_new_session=True,
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )  # fmt: skip
    state = killed / "state-edges.pt"
    deadline = time.monotonic() + 300
    while not state.exists() and process.poll() is None and time.monotonic() < deadline:
        time.sleep(0.02)
    os.killpg(process.pid, signal.SIGKILL)
    process.wait()
    assert state.exists() and not (killed / "selected.json").exists(), "killed too late"

    sculpt(*args, "--out", str(killed))
    record = json.loads((killed / "edges.json").read_text())
    assert record["resumed_from_round"] >= 1
    assert same_masks(whole, killed)
    assert not state.exists()  # removed once the stage completed


@pytest.mark.parametrize(
    "command",
    [
        ["graph", "truth-table", "reused", "-o", "{blocked}/table.csv"],
        ["graph", "draw", "reused", "-o", "{blocked}/graph.png"],
        ["graph", "structure", "reused", "-o", "{blocked}/structure.json"],
    ],
)
def test_unwritable_output_stops_with_one_line(tmp_path, command):
    blocked = tmp_path / "a-file"  # a folder path that runs through a plain file
    blocked.write_text("")
    result = sculpt(*[part.format(blocked=blocked) for part in command], check=False)
    assert result.returncode == 2
    lines = [line for line in result.stderr.splitlines() if not line.startswith("Fontconfig")]
    assert len(lines) == 1 and lines[0].startswith("sculpt: error: ")
    assert str(blocked) in lines[0]
    assert sorted(p.name for p in tmp_path.iterdir()) == ["a-file"]


def test_cuda_without_a_gpu_stops_with_one_line(tmp_path):
    if torch.cuda.is_available():
        pytest.skip("a GPU is present")
    args = [a if a != "cpu" else "cuda" for a in SEARCH]
    result = sculpt(*args, "--out", str(tmp_path / "trial"), check=False)
    assert result.returncode == 2 and result.stderr.count("\n") == 1
    assert "cuda" in result.stderr.lower()
    assert not (tmp_path / "trial").exists()


def test_stage_files_and_results_are_readable_by_colleagues(tmp_path):
    """Checkpoints and records take the umask's permissions, not mkstemp's 0600."""
    import os

    from neural_sculpting.engine.search import Search
    from neural_sculpting.engine.settings import SearchSettings, SearchTrial
    from neural_sculpting.foundations import atomic
    from neural_sculpting.study.hparams import SearchHparams, TrainingHparams

    old = os.umask(0o022)
    try:
        out = tmp_path / "trial"
        dense = SearchSettings((8,), TrainingHparams(0.05, 8, 1), search=SearchHparams("dense"))
        Search([SearchTrial("input_separable", 0, out)], dense).run()
        atomic.write_json(tmp_path / "score.json", {"a": 1})
    finally:
        os.umask(old)
    for path in (
        out / "dense.pt",
        out / "dense.json",
        out / "selected.pt",
        tmp_path / "score.json",
    ):
        assert path.stat().st_mode & 0o777 == 0o644, path.name
