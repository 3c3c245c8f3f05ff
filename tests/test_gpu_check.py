"""scripts/gpu_check.sh, the prepared GPU run, as a dry run on the CPU with tiny settings: every
step runs, and what it brings back holds the trials' records and scores."""

from __future__ import annotations

import os
import subprocess
import sys
import tarfile
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]


@pytest.mark.slow
def test_the_gpu_script_runs_every_step_and_packs_its_results(tmp_path):
    mnist = ROOT.parent / "shared" / "data"
    env = {**os.environ, "GPU_CHECK_DEVICE": "cpu", "GPU_CHECK_QUICK": "1", "OUT": str(tmp_path),
           "PY": sys.executable, "GPU_CHECK_MNIST_ROOT": str(mnist)}  # fmt: skip
    done = subprocess.run(
        ["bash", str(ROOT / "scripts" / "gpu_check.sh")],
        env=env, capture_output=True, text=True, timeout=900, check=False,
    )  # fmt: skip
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-2000:]
    summary = (tmp_path / "summary.txt").read_text()
    steps = [line for line in summary.splitlines() if line.startswith("step ")]
    names = [line.split(":")[0].removeprefix("step ") for line in steps]
    assert names == ["cuda_tests", "composites", "smoke_search", "smoke_detect",
                     "devices_compare", "benchmark", "study_detect_48-48"]  # fmt: skip
    failed = [line for line in steps if ": rc 0," not in line]
    assert not failed, summary
    assert "study cells searched and detected: 1" in summary
    with tarfile.open(tmp_path / "gpu_check.tar.gz") as tar:
        members = set(tar.getnames())
    assert "./trials/smoke/mnist_two_digits/s0/selected.json" in members
    assert "./trials/smoke/mnist_two_digits/s0/score.json" in members
    seeds = {m.split("/")[5] for m in members if m.startswith("./trials/study/48-48/") and
             m.endswith("score.json")}  # fmt: skip
    assert seeds == {"s0", "s1", "s2", "s5"}
    with tarfile.open(tmp_path / "gpu_arrays.tar.gz") as tar:
        assert "trials/smoke/mnist_two_digits/s0/selected.npz" in tar.getnames()
