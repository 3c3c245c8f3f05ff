"""The tiny workflow through `profiles/slurm` on a real one-node SLURM cluster.

Runs as root on Debian: installs slurm-wlm and munge if missing, starts the daemons by hand
(tests/slurm_cluster.py), runs `all_boolean` on config/test.yaml through the profile and checks
that SLURM ran every job and that trials.csv equals a local run's. Skips, saying why, where it
cannot run (not root, no apt-get, no package registry).
"""

from __future__ import annotations

import csv
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest
import slurm_cluster

pytestmark = pytest.mark.slow

ROOT = Path(__file__).resolve().parents[1]
CONFIG = ROOT / "config" / "test.yaml"
PROFILE = ROOT / "profiles" / "slurm"
TARGET = "all_boolean"
TRIALS_CSV = Path("results", "validation", "trials.csv")
SUBMITTED = re.compile(r"Job (\S+) has been submitted with SLURM jobid (\d+)")
# What the profile needs on a one-node test cluster beyond its own settings: two jobs at a time
# (two CPUs), a first status check after 2 s instead of 40, and the logs of successful jobs.
TEST_OVERRIDES = (
    "--jobs", "2",
    "--slurm-init-seconds-before-status-checks", "2",
    "--slurm-keep-successful-logs",
)  # fmt: skip


@pytest.fixture(scope="module")
def cluster(tmp_path_factory: pytest.TempPathFactory):
    reason = slurm_cluster.unavailable_reason()
    if reason is not None:
        pytest.skip(reason)
    try:
        slurm_cluster.install_packages()
    except slurm_cluster.ClusterUnavailable as error:
        pytest.skip(f"cannot install slurm-wlm and munge: {error}")
    with slurm_cluster.one_node_cluster(tmp_path_factory.mktemp("slurm-state"), cpus=2) as running:
        yield running


def run_workflow(workdir: Path, *args: str) -> subprocess.CompletedProcess:
    env = {**os.environ, "SCULPT_RESULTS_DIR": "results"}
    command = [sys.executable, "-m", "snakemake", "-s", str(ROOT / "Snakefile"), "-d", str(workdir)]
    return subprocess.run(
        [*command, TARGET, *args, "--configfile", str(CONFIG)],
        capture_output=True, text=True, env=env, check=False, timeout=600,
    )  # fmt: skip


def read_rows(path: Path) -> list[dict[str, str]]:
    with path.open(newline="") as handle:
        return list(csv.DictReader(handle))


def test_tiny_workflow_on_slurm_equals_the_local_run(cluster, tmp_path):
    local = run_workflow(tmp_path / "local", "--cores", "2")
    assert local.returncode == 0, local.stderr[-3000:]
    on_slurm = run_workflow(tmp_path / "slurm", "--profile", str(PROFILE), *TEST_OVERRIDES)
    log = on_slurm.stdout + on_slurm.stderr
    assert on_slurm.returncode == 0, log[-4000:] + cluster.log("slurmctld")[-2000:]

    # SLURM ran the jobs: every submission the log names is a job slurmctld completed, and every
    # rule that ran locally (bar the target, which has no command) ran in one of them.
    submitted = dict(SUBMITTED.findall(log))
    assert submitted, log[-3000:]
    jobs = cluster.jobs()
    for slurm_id in submitted.values():
        assert jobs.get(slurm_id, ("", "missing"))[1] == "COMPLETED", (slurm_id, jobs)
    local_rules = set(re.findall(r"^localrule (\w+):", local.stdout + local.stderr, re.M))
    slurm_logs = tmp_path / "slurm" / ".snakemake" / "slurm_logs"
    # The plugin keeps each job's log under rule_<rule> or, for a group job, group_<group>_...
    log_dirs = sorted(p.name for p in slurm_logs.iterdir())
    # The group "trials" of workflow/rules/trials.smk: a cell's search and detection rules.
    grouped = {rule for rule in local_rules if rule.startswith(("search_", "detect_"))}
    assert len(grouped) == 2, local_rules
    expected = sorted(f"rule_{rule}" for rule in local_rules - {TARGET} - grouped)
    assert [d for d in log_dirs if d.startswith("rule_")] == expected
    group_dirs = [d for d in log_dirs if d.startswith("group_")]
    assert group_dirs == ["group_trials_" + "_".join(sorted(grouped))]
    assert len(list(slurm_logs.rglob("*.log"))) == len(submitted)
    assert not re.search(r"^localrule (search|detect)_", log, re.M)

    # The same table, column by column; no cell holds an absolute path (paths are relative to
    # the working folder), so no column needs leaving out.
    local_rows = read_rows(tmp_path / "local" / TRIALS_CSV)
    slurm_rows = read_rows(tmp_path / "slurm" / TRIALS_CSV)
    assert len(local_rows) == len(slurm_rows) == 1
    assert list(slurm_rows[0]) == list(local_rows[0])
    for column in local_rows[0]:
        for row in (*local_rows, *slurm_rows):
            assert not row[column].startswith("/") and str(tmp_path) not in row[column], column
        assert [r[column] for r in slurm_rows] == [r[column] for r in local_rows], column
