"""Tests of scripts/time_report.py on small hand-made results folders.

Every benchmark value below is chosen by hand, so the expected sums are facts:

stage      files                                            core-s            trials
graphs     g1/truth_table (0.5), g1/draw_svg (1.5)          2.0
datasets   mnist_a (3.0)                                    3.0
search     cell gA (90, 3 seeds with selected.json),        90 + 20 + 30 = 140  3 + 2 = 5
           trial gB/s0 (20), trial gB/s1 (30)
detection  cell gA detect (9), gB/s0 two analyses (2, 1)    12.0                3 + 1 = 4
tables     experiments/paper/trials_table (1.0)             1.0
figures    structure_recovered (2), draw_cells (0.5),        5.0
           figures/fig3 (2.5)
other      misc/odd (1.0)                                   1.0
total      14 jobs                                          164.0               5 distinct
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from pathlib import Path
from types import ModuleType

import pytest
from scripts_loader import load_script

ROOT = Path(__file__).resolve().parents[1]
SCRIPT = ROOT / "scripts" / "time_report.py"
HEADER = "s\th:m:s\tmax_rss\tmax_vms\tmax_uss\tmax_pss\tio_in\tio_out\tmean_load\tcpu_time\n"
CELL_A = "gA/4-8-2/lr0.1-b8-e10/grid-abc"
CELL_B = "gB/4-8-2/lr0.1-b8-e10/grid-abc"


def _load_script() -> ModuleType:
    return load_script("time_report")


time_report = _load_script()


def write_benchmark(path: Path, wall_s: float, cpu_s: float, mtime: float | None = None) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    row = f"{wall_s}\t0:00:00\t100.0\t200.0\t50.0\t60.0\t0.01\t0.02\t80.0\t{cpu_s}\n"
    path.write_text(HEADER + row)
    if mtime is not None:
        os.utime(path, (mtime, mtime))


def make_trial(results: Path, trial: str, selected: bool = True) -> None:
    folder = results / "trials" / trial
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "dense.json").write_text(json.dumps({"wall_s": 0.7, "cpu_s": 0.5}))
    (folder / "edges.json").write_text(json.dumps({"wall_s": 3.0, "cpu_s": 2.0}))
    if selected:
        (folder / "selected.json").write_text("{}")


@pytest.fixture
def results(tmp_path: Path) -> Path:
    """A results folder with both layouts and every stage (see the module docstring)."""
    root = tmp_path / "results"
    bench = root / "benchmarks"
    write_benchmark(bench / "graphs/g1/truth_table.tsv", 1, 0.5)
    write_benchmark(bench / "graphs/g1/draw_svg.tsv", 2, 1.5)
    write_benchmark(bench / "data/mnist_a.tsv", 4, 3)
    # New layout: one search and one detection job for the seeds of cell A.
    write_benchmark(bench / "cells" / CELL_A / "search.tsv", 100, 90)
    write_benchmark(bench / "cells" / CELL_A / "detect-m-0.2-g0.9.tsv", 12, 9)
    for seed in (0, 1, 2):
        make_trial(root, f"{CELL_A}/s{seed}")
    make_trial(root, f"{CELL_A}/s3", selected=False)  # unfinished: not a trial yet
    # Old layout: one job per trial; trial s0 has two detection analyses.
    write_benchmark(bench / "trials" / CELL_B / "s0/search.tsv", 25, 20)
    write_benchmark(bench / "trials" / CELL_B / "s0/detect-m-0.2-g0.9.tsv", 3, 2)
    write_benchmark(bench / "trials" / CELL_B / "s0/detect-m-0.1-g0.8.tsv", 2, 1)
    write_benchmark(bench / "trials" / CELL_B / "s1/search.tsv", 35, 30)
    make_trial(root, f"{CELL_B}/s0")
    make_trial(root, f"{CELL_B}/s1")
    write_benchmark(bench / "experiments/paper/trials_table.tsv", 1, 1)
    write_benchmark(bench / "experiments/paper/structure_recovered.tsv", 2, 2)
    write_benchmark(bench / "experiments/paper/draw_cells.tsv", 1, 0.5)
    write_benchmark(bench / "figures/fig3.tsv", 3, 2.5)
    write_benchmark(bench / "misc/odd.tsv", 1, 1)
    return root


@pytest.fixture
def log(tmp_path: Path) -> Path:
    path = tmp_path / "run.log"
    path.write_text(
        "Building DAG of jobs...\n"
        "  Date: 2026-12-02 01:10:00\n"
        "[Wed Dec  2 01:14:05 2026]\n"
        "localrule search:\n"
        "    output: results/trials/x/selected.json\n"
        "[Wed Dec  2 01:15:45 2026]\n"
        "Finished jobid: 1 (Rule: search)\n"
    )
    return path


def run_main(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    status = time_report.main(list(argv))
    captured = capsys.readouterr()
    return status, captured.out, captured.err


def table_rows(report: str) -> dict[str, list[str]]:
    """Markdown table rows of the report, keyed by their first cell."""
    rows = {}
    for line in report.splitlines():
        if line.startswith("| ") and not line.startswith("| ---"):
            cells = [cell.strip() for cell in line.strip("|").split("|")]
            rows[cells[0]] = cells[1:]
    return rows


def test_stage_table_sums(results: Path) -> None:
    table = time_report.stage_table(time_report.collect_jobs(results))
    expected = {  # stage: (jobs, core-s, wall-s summed over jobs)
        "graphs": (2, 2.0, 3.0),
        "datasets": (1, 3.0, 4.0),
        "search": (3, 140.0, 160.0),
        "detection": (3, 12.0, 17.0),
        "tables": (1, 1.0, 1.0),
        "figures": (3, 5.0, 6.0),
        "other": (1, 1.0, 1.0),
        "total": (14, 164.0, 192.0),
    }
    assert list(table.index) == list(expected)
    for stage, (jobs, core_s, wall_s) in expected.items():
        assert table.loc[stage, "jobs"] == jobs, stage
        assert table.loc[stage, "core_s"] == pytest.approx(core_s), stage
        assert table.loc[stage, "wall_s"] == pytest.approx(wall_s), stage
    assert table.loc["search", "trials"] == 5
    assert table.loc["search", "core_s_per_trial"] == pytest.approx(28.0)
    assert table.loc["detection", "trials"] == 4
    assert table.loc["detection", "core_s_per_trial"] == pytest.approx(3.0)
    assert table.loc["total", "trials"] == 5


def test_report_text(results: Path, log: Path, capsys: pytest.CaptureFixture[str]) -> None:
    status, out, err = run_main(capsys, str(results), "--log", str(log), "--cores", "2")
    assert (status, err) == (0, "")
    rows = table_rows(out)
    assert rows["graphs"] == ["2", "2.0", "3.0", "", ""]
    assert rows["datasets"] == ["1", "3.0", "4.0", "", ""]
    assert rows["search"] == ["3", "140.0", "160.0", "5", "28.0"]
    assert rows["detection"] == ["3", "12.0", "17.0", "4", "3.0"]
    assert rows["tables"] == ["1", "1.0", "1.0", "", ""]
    assert rows["figures"] == ["3", "5.0", "6.0", "", ""]
    assert rows["other"] == ["1", "1.0", "1.0", "", ""]
    assert rows["**total**"][:4] == ["14", "164.0", "192.0", "5"]
    assert "- Trials: 5\n" in out
    assert "- Processes started: 14\n" in out
    assert "- Processes per trial: 2.80\n" in out
    # Wall from the log: 01:15:45 - 01:14:05 (the header's Date line is not a job line).
    assert "- Run wall time: 100 s (0:01:40), from the Snakemake log" in out
    assert "- Cores: 2\n" in out
    assert "core-s / (wall x cores): 82.0 %" in out  # 164 / (100 x 2)
    # Five searched trials whose records (written during their jobs) hold 0.5 CPU-s of dense
    # training and 2 of edge pruning each: 12.5 s over the three search jobs.
    assert "records hold): 12.5 s over the 3 search jobs that timed it" in out
    # No search job is under 15 s here, so no per-job overhead or estimate is given.
    assert "beyond its arithmetic" not in out


def test_the_overhead_of_a_search_job_comes_from_its_short_jobs(results: Path) -> None:
    # A 10-s cell job (sampled every 0.5 s, so its CPU is exact) whose trials' records hold
    # 2 x 2.5 CPU-s of arithmetic: 7 CPU-s - 5 = 2 s beyond it, the median of that one job.
    cell = "input_separable/4-8-4/lr0.05-b8-e2/grid-00000000"
    write_benchmark(results / "benchmarks" / "cells" / cell / "search.tsv", 10, 7)
    for seed in (0, 1):
        make_trial(results, f"{cell}/s{seed}")
    spent = time_report.arithmetic(results, time_report.collect_jobs(results))
    assert (spent.jobs, spent.short_jobs) == (4, 1)
    assert spent.arithmetic_s == pytest.approx(12.5 + 5.0)
    assert spent.overhead_s == pytest.approx(2.0)
    # 17.5 + 2 x 4 jobs + the detection of those cells (cell A's 9 and trial s0/s1 of cell B's
    # 2 + 1; cell B is old-layout: per trial) + graphs 2, datasets 3, tables 1, figures 5 and
    # other 1.
    detection = 9 + 2 + 1
    assert spent.estimated_core_s == pytest.approx(17.5 + 8 + detection + 12)


def test_costliest_searches(results: Path, capsys: pytest.CaptureFixture[str]) -> None:
    status, out, _ = run_main(capsys, str(results))
    assert status == 0
    section = out.split("costliest search jobs", 1)[1]
    rows = [line for line in section.splitlines() if line.startswith("| `")]
    assert [table_rows(row) for row in rows] == [
        {f"`{CELL_A}`": ["3", "90.0", "30.0"]},
        {f"`{CELL_B}/s1`": ["1", "30.0", "30.0"]},
        {f"`{CELL_B}/s0`": ["1", "20.0", "20.0"]},
    ]


def test_top_ten_only(tmp_path: Path) -> None:
    for seed in range(12):
        write_benchmark(tmp_path / f"benchmarks/trials/{CELL_B}/s{seed}/search.tsv", 1, seed)
    top = time_report.costliest_searches(time_report.collect_jobs(tmp_path))
    assert list(top["core_s"]) == [float(seed) for seed in range(11, 1, -1)]


def test_wall_estimated_from_file_times(tmp_path: Path, capsys: pytest.CaptureFixture[str]):
    # Job 1 ran 990..1000, job 2 ran 1095..1100: span 1100 - 990 = 110 s.
    write_benchmark(tmp_path / "benchmarks/graphs/g/truth_table.tsv", 10, 4, mtime=1000)
    write_benchmark(tmp_path / "benchmarks/data/mnist.tsv", 5, 7, mtime=1100)
    status, out, _ = run_main(capsys, str(tmp_path), "--cores", "1")
    assert status == 0
    assert "- Run wall time: 110 s (0:01:50), an estimate from the benchmark files' times" in out
    assert "core-s / (wall x cores): 10.0 %" in out  # 11 / (110 x 1)


def test_cores_not_stated(results: Path, capsys: pytest.CaptureFixture[str]) -> None:
    _, out, _ = run_main(capsys, str(results))
    assert "- Cores: not stated\n" in out
    assert "utilisation" not in out


def test_new_layout_cell_without_finished_trials(tmp_path: Path) -> None:
    write_benchmark(tmp_path / "benchmarks/cells" / CELL_A / "search.tsv", 5, 4)
    make_trial(tmp_path, f"{CELL_A}/s0", selected=False)
    table = time_report.stage_table(time_report.collect_jobs(tmp_path))
    assert table.loc["search", "jobs"] == 1
    assert table.loc["search", "trials"] == 0
    assert table.loc["search", "core_s_per_trial"] is None


def run_script(*argv: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, str(SCRIPT), *argv], capture_output=True, text=True, timeout=60
    )


def test_missing_benchmarks_folder(tmp_path: Path) -> None:
    proc = run_script(str(tmp_path))
    assert proc.returncode == 2
    assert proc.stdout == ""
    lines = proc.stderr.splitlines()
    assert len(lines) == 1
    assert str(tmp_path) in lines[0] and "no benchmarks/ folder" in lines[0]


def test_broken_tsv_subprocess(results: Path) -> None:
    broken = results / "benchmarks/figures/fig3.tsv"
    broken.write_text(HEADER + "3\t0:00:03\t1\t1\t1\t1\t0\t0\t50\toops\n")
    proc = run_script(str(results))
    assert proc.returncode == 2
    assert proc.stdout == ""
    lines = proc.stderr.splitlines()
    assert len(lines) == 1, proc.stderr
    assert str(broken) in lines[0] and "cpu_time" in lines[0]


@pytest.mark.parametrize(
    ("text", "problem"),
    [
        ("", "cannot parse"),
        (HEADER, "no data row"),
        ("wall\tcpu\n1\t2\n", "lacks column(s) s, cpu_time"),
        (HEADER + "1\t2\t3\n4\t5\t6\t7\t8\t9\t10\t11\t12\t13\t14\t15\n", "cannot parse"),
        (HEADER + "fast\t0:00:00\t1\t1\t1\t1\t0\t0\t50\t1\n", "non-numeric value in column 's'"),
    ],
)
def test_broken_tsv_message(
    results: Path, text: str, problem: str, capsys: pytest.CaptureFixture[str]
) -> None:
    broken = results / "benchmarks/data/mnist_a.tsv"
    broken.write_text(text)
    status, out, err = run_main(capsys, str(results))
    assert (status, out) == (2, "")
    assert err.count("\n") == 1
    assert str(broken) in err and problem in err


def test_log_without_timestamps(results: Path, tmp_path: Path, capsys) -> None:
    log = tmp_path / "empty.log"
    log.write_text("Building DAG of jobs...\n[Wed Dec  2 01:14:05 2026]\n")
    status, out, err = run_main(capsys, str(results), "--log", str(log))
    assert (status, out) == (2, "")
    assert str(log) in err and "fewer than two" in err


def test_arithmetic_counts_only_records_written_during_the_job(results: Path) -> None:
    # A record older than its job was loaded, not computed, by it; a record without cpu_s makes
    # the job unmeasured.
    old = results / "trials" / CELL_A / "s0" / "edges.json"
    os.utime(old, (old.stat().st_atime, old.stat().st_mtime - 3600))
    jobs = time_report.collect_jobs(results)
    (cell,) = [job for job in jobs if job.stage == "search" and job.unit == CELL_A]
    assert time_report.job_arithmetic(results, cell) == pytest.approx(3 * 0.5 + 2 * 2.0)
    (results / "trials" / CELL_A / "s1" / "dense.json").write_text(json.dumps({"wall_s": 1.0}))
    assert time_report.job_arithmetic(results, cell) is None


def test_arithmetic_by_experiment_sums_each_trials_stage_records(results: Path) -> None:
    # Experiment "paper": cell A's three trials (0.5 + 2.0 CPU-s each, by `make_trial`) and
    # gB/s1, whose units record has no CPU seconds (written before they existed): not timed.
    make_trial(results, f"{CELL_B}/s1")
    (results / "trials" / CELL_B / "s1" / "units.json").write_text(json.dumps({"wall_s": 1.0}))
    folder = results / "paper"
    folder.mkdir()
    dirs = [f"results/trials/{CELL_A}/s{seed}" for seed in (0, 1, 2)]
    dirs.append(f"results/trials/{CELL_B}/s1")
    (folder / "trials.csv").write_text("graph,trial_dir\n" + "".join(f"g,{d}\n" for d in dirs))
    table = time_report.experiment_arithmetic(results).set_index("experiment")
    assert table.loc["paper", "trials"] == 4
    assert table.loc["paper", "timed"] == 3
    assert table.loc["paper", "cpu_s_per_trial"] == pytest.approx(2.5)
    assert table.loc["paper", "cpu_h"] == pytest.approx(4 * 2.5 / 3600)
    report = time_report.render_report(results, time_report.collect_jobs(results), 1.0, "x", 2)
    assert "| paper | 4 | 3 | 2.50 | 0.003 |" in report


def test_a_job_of_several_cells_takes_its_trials_from_the_runs_plan(tmp_path, capsys):
    import yaml

    from neural_sculpting.workflow import Plan

    config = {"cells_per_job": 2, "experiments": {"e": {
        "graphs": ["input_separable"], "widths": [8, 12], "depths": [1], "seeds": [0, 3],
        "pu": [70], "pe": [2.5], "train": {"lr": 0.05, "batch_size": 8, "epochs": 2},
    }}}  # fmt: skip
    configfile = tmp_path / "config.yaml"
    configfile.write_text(yaml.safe_dump(config))
    (job,) = Plan.from_config(config).search_jobs()
    assert job.key.endswith("+1")
    root = tmp_path / "results"
    write_benchmark(root / "benchmarks" / "cells" / job.key / "search.tsv", 10, 8)
    for trial in job.trials:
        make_trial(root, trial.key)
    status, out, err = run_main(capsys, str(root), "--configfile", str(configfile))
    assert status == 0, err
    assert re.search(r"\| search \| 1 \| 8\.0 \| 10\.0 \| 4 \| 2\.0 \|", out), out
    status, out, err = run_main(capsys, str(root))
    assert status == 2 and out == ""
    assert err.count("\n") == 1 and "give the run's --configfile" in err
