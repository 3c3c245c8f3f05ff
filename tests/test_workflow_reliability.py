"""The workflow survives being killed, and two runs of one config agree to the bit."""

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

ROOT = Path(__file__).resolve().parents[1]
# Pruning states saved after every round, so that the kill below finds one in these short searches.
CONFIG = """\
state_every: 0
experiments:
  resilience:
    graphs: [reused]
    widths: [24]
    depths: [2]
    seeds: [0, 1]
    train: {lr: 0.1, batch_size: 8, epochs: 40}
    pu: [60, 70]
    pe: [0.5, 1.0]
"""


def snakemake(workdir: Path, *extra: str, **popen) -> list[str]:
    (workdir / "config.yaml").write_text(CONFIG)
    return [
        sys.executable, "-m", "snakemake", "-s", str(ROOT / "Snakefile"), "-d", str(workdir),
        "--configfile", str(workdir / "config.yaml"), "--cores", "2", "all_boolean", *extra,
    ]  # fmt: skip


def run(workdir: Path, *extra: str) -> subprocess.CompletedProcess:
    result = subprocess.run(snakemake(workdir, *extra), capture_output=True, text=True, timeout=900)
    assert result.returncode == 0, result.stderr[-3000:]
    return result


def masks(workdir: Path) -> dict[str, list[torch.Tensor]]:
    found = {}
    for path in sorted((workdir / "results" / "trials").rglob("selected.pt")):
        stored = torch.load(path, weights_only=True)
        found[str(path.relative_to(workdir))] = stored["model"]["weight_masks"]
    return found


@pytest.fixture(scope="module")
def uninterrupted(tmp_path_factory) -> Path:
    workdir = tmp_path_factory.mktemp("whole")
    run(workdir)
    return workdir


def table(workdir: Path) -> str:
    return (workdir / "results" / "resilience" / "trials.csv").read_text()


@pytest.mark.slow
def test_two_runs_give_identical_tables_and_masks(uninterrupted, tmp_path):
    run(tmp_path)
    assert table(tmp_path) == table(uninterrupted)
    ours, theirs = masks(tmp_path), masks(uninterrupted)
    assert ours.keys() == theirs.keys() and len(ours) == 2
    for key, layers in ours.items():
        assert all(torch.equal(a, b) for a, b in zip(layers, theirs[key], strict=True))


@pytest.mark.slow
def test_killed_run_reruns_to_the_same_table(uninterrupted, tmp_path):
    """SIGKILL the whole process group while a search is pruning, rerun the same command."""
    process = subprocess.Popen(
        snakemake(tmp_path), start_new_session=True,
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )  # fmt: skip
    trials = tmp_path / "results" / "trials"
    deadline = time.monotonic() + 600
    while process.poll() is None and time.monotonic() < deadline:
        if trials.is_dir() and any(trials.rglob("state-edges.pt")):
            break
        time.sleep(0.02)
    os.killpg(process.pid, signal.SIGKILL)
    process.wait()
    assert not (tmp_path / "results" / "resilience" / "trials.csv").exists(), "killed too late"

    # The kill left Snakemake's lock: the same command refuses to run until `--unlock`.
    locked = subprocess.run(snakemake(tmp_path), capture_output=True, text=True, timeout=300)
    assert locked.returncode != 0 and "unlock" in locked.stderr.lower()
    run(tmp_path, "--unlock")
    run(tmp_path)  # the same command; the default profile reruns incomplete jobs
    assert table(tmp_path) == table(uninterrupted)
    resumed = [
        json.loads(p.read_text()).get("resumed_from_round") for p in trials.rglob("edges.json")
    ]
    assert any(r for r in resumed), "no search resumed from its saved state"
