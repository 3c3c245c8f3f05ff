"""Report where a finished workflow run's time went, from Snakemake's `benchmark:` files.

Usage:

    python scripts/time_report.py [RESULTS_DIR] [--log SNAKEMAKE_LOG] [--cores N]
                                  [--configfile CONFIG]

RESULTS_DIR defaults to `results`. Every rule writes a benchmark TSV under
`RESULTS_DIR/benchmarks/` (columns `s`, `h:m:s`, ..., `cpu_time`; one row per repeat). The
report, printed as markdown, gives:

1. jobs, core-seconds (sum of `cpu_time`) and wall-seconds summed over jobs (sum of `s`) by
   stage (graphs, datasets, search, detection, tables, figures, other), with core-seconds per
   trial for search and detection, and a total line;
2. the number of trials, of processes started, and processes per trial;
3. the run's wall time (from the timestamps of the Snakemake log given with `--log`, else
   estimated from the benchmark files' modification times), the cores (`--cores`) and their
   utilisation, core-seconds / (wall x cores);
4. the searches' own arithmetic: the CPU seconds (`cpu_s`) that the stage records (dense
   training, unit and edge pruning) written by each search job hold; a search job's CPU beyond
   it (median over the jobs short enough for Snakemake to sample exactly); and the trials'
   whole cost estimated from those, over their arithmetic;
5. per experiment (`RESULTS_DIR/<experiment>/trials.csv`), the searches' arithmetic per trial
   from the stage records and the whole experiment at that mean;
6. the ten costliest search jobs.

Layouts understood under `benchmarks/`:

- `cells/<graph>/<arch>/<train>/<search>/search.tsv`: one search job for all seeds of a cell;
  its trials are the `RESULTS_DIR/trials/<cell>/s*/` folders holding `selected.json`.
  Any other stem there is one detection job for all seeds of the cell. A folder `<search>+N`
  is a job of N + 1 cells (`cells_per_job`), that cell and the N after it in the plan of the
  run's config, which `--configfile` then names (its trials holding `selected.json`).
- `trials/<graph>/<arch>/<train>/<search>/s<seed>/search.tsv` (or `<analysis>.tsv`): one
  search (or detection) job for one trial.
- `graphs/<graph>/*.tsv`, `data/*.tsv`, `experiments/<experiment>/trials_table.tsv`,
  `experiments/<experiment>/{structure_recovered,draw_*}.tsv`, `figures/*.tsv`.

A stage's trials are the distinct trials its files cover (a trial with two detection analyses
counts once). Bad input (no `benchmarks/` folder, an unparsable TSV, an unreadable log) prints
one line on stderr and exits with status 2.
"""

from __future__ import annotations

import argparse
import json
import re
import sys
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path, PurePosixPath

import numpy as np
import pandas as pd

STAGES = ("graphs", "datasets", "search", "detection", "tables", "figures", "other")
TRIAL_STAGES = ("search", "detection")
CELL_DEPTH = 4  # <graph>/<arch>/<train>/<search>
TOP_SEARCH_JOBS = 10
LOG_TIMESTAMP = re.compile(r"^\[(\w{3} \w{3} +\d{1,2} \d{2}:\d{2}:\d{2} \d{4})\]\s*$")
REQUIRED_COLUMNS = ("s", "cpu_time")


class ReportError(Exception):
    """Bad input: the message names the path and the problem."""


@dataclass(frozen=True)
class Job:
    """One benchmark file: one process started by the workflow."""

    file: PurePosixPath  # relative to benchmarks/
    stage: str
    unit: str  # cell or trial path for search/detection jobs, else the file path
    trials: frozenset[str]  # trial paths (<cell>/s<seed>) the job covers
    wall_s: float
    cpu_s: float
    mtime: float


def read_benchmark(path: Path) -> tuple[float, float]:
    """Return (wall seconds, CPU seconds) of one benchmark TSV, summed over its repeats."""
    try:
        table = pd.read_csv(path, sep="\t")
    except (pd.errors.ParserError, pd.errors.EmptyDataError, UnicodeDecodeError, OSError) as exc:
        raise ReportError(f"{path}: cannot parse benchmark TSV ({_first_line(exc)})") from exc
    missing = [column for column in REQUIRED_COLUMNS if column not in table.columns]
    if missing:
        raise ReportError(f"{path}: benchmark TSV lacks column(s) {', '.join(missing)}")
    if table.empty:
        raise ReportError(f"{path}: benchmark TSV has no data row")
    values = {}
    for column in REQUIRED_COLUMNS:
        try:
            values[column] = pd.to_numeric(table[column], errors="raise")
        except (ValueError, TypeError) as exc:
            raise ReportError(
                f"{path}: non-numeric value in column {column!r} ({_first_line(exc)})"
            ) from exc
    # Snakemake writes NA where it measured nothing: count that as zero.
    return float(values["s"].fillna(0).sum()), float(values["cpu_time"].fillna(0).sum())


def _first_line(exc: BaseException) -> str:
    text = str(exc).strip()
    return text.splitlines()[0] if text else type(exc).__name__


def classify(rel: PurePosixPath) -> tuple[str, str | None]:
    """Return (stage, cell or trial path) of a benchmark file given relative to benchmarks/.

    The path is a cell (new layout) for `cells/...` files and a trial for `trials/...` files;
    None for the other stages.
    """
    parts = rel.parts
    top, stem = parts[0], rel.stem
    if top == "cells" and len(parts) == CELL_DEPTH + 2:
        return ("search" if stem == "search" else "detection"), "/".join(parts[1:-1])
    if top == "trials" and len(parts) == CELL_DEPTH + 3 and re.fullmatch(r"s.+", parts[-2]):
        return ("search" if stem == "search" else "detection"), "/".join(parts[1:-1])
    if top == "graphs" and len(parts) == 3:
        return "graphs", None
    if top == "data" and len(parts) == 2:
        return "datasets", None
    if top == "experiments" and len(parts) == 3:
        if stem == "trials_table":
            return "tables", None
        if stem == "structure_recovered" or stem.startswith("draw_"):
            return "figures", None
    if top == "figures" and len(parts) == 2:
        return "figures", None
    return "other", None


def cell_trials(results: Path, cell: str) -> frozenset[str]:
    """Trial paths of a cell: its `s*/` folders under results/trials/ holding selected.json."""
    folder = results / "trials" / cell
    return frozenset(f"{cell}/{marker.parent.name}" for marker in folder.glob("s*/selected.json"))


def plan_jobs(configfile: Path) -> dict[tuple[str, str], frozenset[str]]:
    """(job key, benchmark stem: "search" or the analysis) -> trials, for every search and
    detection job of the config's plan."""
    import yaml

    from neural_sculpting.foundations.errors import SculptError
    from neural_sculpting.workflow import Plan

    try:
        plan = Plan.from_config(yaml.safe_load(configfile.read_text()))
    except (OSError, yaml.YAMLError, SculptError) as exc:
        raise ReportError(f"{configfile}: cannot plan the run ({_first_line(exc)})") from exc
    jobs = {(job.key, "search"): job for job in plan.search_jobs()}
    jobs |= {(job.key, str(job.analysis)): job for job in plan.detect_jobs()}
    return {key: frozenset(t.key for t in job.trials) for key, job in jobs.items()}


def collect_jobs(
    results: Path, planned: dict[tuple[str, str], frozenset[str]] | None = None
) -> list[Job]:
    """Read every benchmark TSV under results/benchmarks/ into a Job (`planned`: the trials
    of the plan's jobs, `plan_jobs`, needed for jobs of several cells)."""
    benchmarks = results / "benchmarks"
    if not benchmarks.is_dir():
        raise ReportError(f"{results}: no benchmarks/ folder (is this a results folder?)")
    jobs = []
    for path in sorted(benchmarks.rglob("*.tsv")):
        rel = PurePosixPath(path.relative_to(benchmarks).as_posix())
        stage, unit = classify(rel)
        if unit is None:
            trials: frozenset[str] = frozenset()
        elif rel.parts[0] == "cells" and re.search(r"\+\d+$", unit):
            if planned is None or (unit, rel.stem) not in planned:
                why = (
                    "give the run's --configfile"
                    if planned is None
                    else "not in --configfile's plan"
                )
                raise ReportError(f"{path}: a job of several cells ({why})")
            trials = frozenset(
                t for t in planned[unit, rel.stem]
                if (results / "trials" / t / "selected.json").is_file()
            )  # fmt: skip
        elif rel.parts[0] == "cells":
            trials = cell_trials(results, unit)
        else:
            trials = frozenset({unit})
        wall_s, cpu_s = read_benchmark(path)
        jobs.append(Job(rel, stage, unit or str(rel), trials, wall_s, cpu_s, path.stat().st_mtime))
    return jobs


SEARCH_STAGES = ("dense", "units", "edges")


def job_arithmetic(results: Path, job: Job) -> float | None:
    """CPU seconds a search job spent in the searches' own stages (dense, units, edges): the
    `cpu_s` of its trials' stage records written while it ran (records it only loaded were
    computed by an earlier job). None where such a record has no `cpu_s` (written before it
    existed)."""
    started, ended = job.mtime - job.wall_s - 1.0, job.mtime + 1.0
    total = 0.0
    for trial in job.trials:
        for stage in SEARCH_STAGES:
            path = results / "trials" / trial / f"{stage}.json"
            if not path.is_file() or not started <= path.stat().st_mtime <= ended:
                continue
            seconds = _record_cpu(path)
            if seconds is None:
                return None
            total += seconds
    return total


# Snakemake samples a job's CPU time every 0.5 s for its first 15 s, then every 30 s, so the
# cpu_time of a longer job can miss up to 30 s at its end; the fixed cost of a search job
# (start-up, imports, files) is therefore measured on its short jobs.
SAMPLED_EXACTLY_S = 15.0


@dataclass(frozen=True)
class Arithmetic:
    """The search jobs whose stage records carry CPU seconds: their arithmetic (exact, from the
    records), the median CPU a job spends beyond it (from the jobs under 15 s), and the cores
    the run would take for those trials: arithmetic + that median per job + their detection +
    every table, figure and graph job."""

    jobs: int
    arithmetic_s: float
    overhead_s: float | None
    short_jobs: int
    estimated_core_s: float | None


def arithmetic(results: Path, jobs: Sequence[Job]) -> Arithmetic:
    timed = [(job, job_arithmetic(results, job)) for job in jobs if job.stage == "search"]
    timed = [(job, seconds) for job, seconds in timed if seconds is not None]
    total = sum(seconds for _, seconds in timed)
    short = [job.cpu_s - seconds for job, seconds in timed if job.wall_s < SAMPLED_EXACTLY_S]
    overhead = float(np.median(short)) if short else None
    estimated = None
    if overhead is not None:
        cells = {job.unit for job, _ in timed}
        detection = sum(j.cpu_s for j in jobs if j.stage == "detection" and j.unit in cells)
        rest = sum(j.cpu_s for j in jobs if j.stage not in ("search", "detection"))
        estimated = total + overhead * len(timed) + detection + rest
    return Arithmetic(len(timed), total, overhead, len(short), estimated)


def experiment_arithmetic(results: Path) -> pd.DataFrame:
    """Per experiment (`RESULTS_DIR/<experiment>/trials.csv`): its trials, those whose stage
    records all hold CPU seconds, their mean arithmetic (dense + units + edges `cpu_s`) and the
    whole experiment at that mean. A trial shared by two experiments counts in both."""
    rows = []
    for table in sorted(results.glob("*/trials.csv")):
        trials = pd.read_csv(table, usecols=["trial_dir"])["trial_dir"]
        timed = []
        for trial_dir in trials:
            folder = results / "trials" / str(trial_dir).split("trials/", 1)[-1]
            seconds = [_record_cpu(folder / f"{stage}.json") for stage in SEARCH_STAGES]
            if all(s is not None for s in seconds):
                timed.append(sum(seconds))
        mean = float(np.mean(timed)) if timed else None
        rows.append(
            {"experiment": table.parent.name, "trials": len(trials), "timed": len(timed),
             "cpu_s_per_trial": mean,
             "cpu_h": None if mean is None else mean * len(trials) / 3600}
        )  # fmt: skip
    return pd.DataFrame(rows)


def _record_cpu(path: Path) -> float | None:
    """A stage record's CPU seconds; 0 for a stage the trial does not have (dense mode)."""
    if not path.is_file():
        return 0.0
    try:
        seconds = json.loads(path.read_text()).get("cpu_s")
    except (OSError, ValueError, AttributeError) as exc:
        raise ReportError(f"{path}: unreadable stage record ({_first_line(exc)})") from None
    return None if seconds is None else float(seconds)


def render_experiments(table: pd.DataFrame) -> str:
    rows = [
        (r.experiment, str(r.trials), str(r.timed), _number(r.cpu_s_per_trial, 2),
         _number(r.cpu_h, 3))
        for r in table.itertuples()
    ]  # fmt: skip
    total_h = table["cpu_h"].sum()
    rows.append(("**all**", str(table["trials"].sum()), str(table["timed"].sum()), "",
                 _number(total_h, 2)))  # fmt: skip
    headers = ("experiment", "trials", "with CPU-timed records", "arithmetic CPU-s / trial",
               "whole experiment (CPU-h)")  # fmt: skip
    return markdown_table(headers, rows, "lrrrr")


def all_trials(jobs: Iterable[Job]) -> frozenset[str]:
    """Distinct trials covered by the search and detection jobs."""
    return frozenset().union(*(job.trials for job in jobs))


def stage_table(jobs: Sequence[Job]) -> pd.DataFrame:
    """Jobs, core-seconds, summed wall-seconds, trials and core-seconds per trial by stage.

    Indexed by stage, in STAGES order ("other" only when present), then "total".
    """
    rows = []
    for stage in STAGES:
        members = [job for job in jobs if job.stage == stage]
        if stage == "other" and not members:
            continue
        trials = len(all_trials(members)) if stage in TRIAL_STAGES else None
        rows.append(_stage_row(stage, members, trials))
    rows.append(_stage_row("total", jobs, len(all_trials(jobs))))
    return pd.DataFrame(rows).set_index("stage")


def _stage_row(stage: str, jobs: Sequence[Job], trials: int | None) -> dict[str, object]:
    core_s = sum(job.cpu_s for job in jobs)
    return {
        "stage": stage,
        "jobs": len(jobs),
        "core_s": core_s,
        "wall_s": sum(job.wall_s for job in jobs),
        "trials": trials,
        "core_s_per_trial": core_s / trials if trials else None,
    }


def costliest_searches(jobs: Sequence[Job], top: int = TOP_SEARCH_JOBS) -> pd.DataFrame:
    """The `top` search jobs with the most core-seconds, costliest first."""
    rows = [
        {
            "job": job.unit,
            "trials": len(job.trials),
            "core_s": job.cpu_s,
            "core_s_per_trial": job.cpu_s / len(job.trials) if job.trials else None,
        }
        for job in jobs
        if job.stage == "search"
    ]
    table = pd.DataFrame(rows, columns=["job", "trials", "core_s", "core_s_per_trial"])
    return table.sort_values(["core_s", "job"], ascending=[False, True]).head(top)


def log_wall_seconds(log: Path) -> float:
    """Last minus first `[Wed Dec  2 01:14:05 2026]` timestamp of a Snakemake log."""
    try:
        text = log.read_text(errors="replace")
    except OSError as exc:
        raise ReportError(f"{log}: cannot read Snakemake log ({exc.strerror})") from exc
    stamps = [
        datetime.strptime(" ".join(match.group(1).split()), "%a %b %d %H:%M:%S %Y")
        for match in map(LOG_TIMESTAMP.match, text.splitlines())
        if match
    ]
    if len(stamps) < 2:
        raise ReportError(f"{log}: fewer than two [timestamp] lines in the Snakemake log")
    return (stamps[-1] - stamps[0]).total_seconds()


def estimated_wall_seconds(jobs: Sequence[Job]) -> float:
    """max(mtime) - min(mtime - s) over the benchmark files: a run's span from file times."""
    if not jobs:
        return 0.0
    return max(job.mtime for job in jobs) - min(job.mtime - job.wall_s for job in jobs)


def _number(value: object, digits: int = 1) -> str:
    if value is None or pd.isna(value):
        return ""
    if isinstance(value, int):
        return str(value)
    return f"{float(value):,.{digits}f}"


def _hms(seconds: float) -> str:
    whole = round(seconds)
    return f"{whole // 3600}:{whole % 3600 // 60:02d}:{whole % 60:02d}"


def markdown_table(headers: Sequence[str], rows: Iterable[Sequence[str]], align: str) -> str:
    """A markdown table; `align` holds one 'l' or 'r' per column."""
    rule = ["---" if side == "l" else "--:" for side in align]
    lines = [headers, rule, *rows]
    return "\n".join("| " + " | ".join(line) + " |" for line in lines)


def render_stages(table: pd.DataFrame) -> str:
    rows = []
    for stage, row in table.iterrows():
        name = f"**{stage}**" if stage == "total" else str(stage)
        trials = None if pd.isna(row["trials"]) else int(row["trials"])
        rows.append(
            [
                name,
                _number(int(row["jobs"])),
                _number(row["core_s"]),
                _number(row["wall_s"]),
                _number(trials),
                _number(row["core_s_per_trial"]),
            ]
        )
    headers = ["stage", "jobs", "core-s", "wall-s (sum over jobs)", "trials", "core-s / trial"]
    return markdown_table(headers, rows, "lrrrrr")


def render_searches(table: pd.DataFrame) -> str:
    rows = [
        [
            f"`{row['job']}`",
            _number(int(row["trials"])),
            _number(row["core_s"]),
            _number(row["core_s_per_trial"]),
        ]
        for _, row in table.iterrows()
    ]
    return markdown_table(["search job", "trials", "core-s", "core-s / trial"], rows, "lrrr")


def render_report(
    results: Path, jobs: Sequence[Job], wall_s: float, wall_source: str, cores: int | None
) -> str:
    """The whole markdown report."""
    stages = stage_table(jobs)
    total = stages.loc["total"]
    trials = int(total["trials"])
    per_trial = f"{len(jobs) / trials:.2f}" if trials else "n/a"
    lines = [
        f"## Where the time went: `{results}`",
        "",
        render_stages(stages),
        "",
        f"- Trials: {trials}",
        f"- Processes started: {len(jobs)}",
        f"- Processes per trial: {per_trial}",
        f"- Run wall time: {wall_s:,.0f} s ({_hms(wall_s)}), {wall_source}",
    ]
    if cores is None:
        lines.append("- Cores: not stated")
    else:
        capacity = wall_s * cores
        usage = f"{100 * total['core_s'] / capacity:.1f} %" if capacity > 0 else "n/a"
        lines.append(f"- Cores: {cores}")
        lines.append(f"- Cores' utilisation, core-s / (wall x cores): {usage}")
    spent = arithmetic(results, jobs)
    if spent.jobs:
        lines.append(
            f"- The searches' own arithmetic (dense, units, edges; the CPU seconds their stage "
            f"records hold): {spent.arithmetic_s:,.1f} s over the {spent.jobs} search jobs "
            f"that timed it"
        )
    if spent.overhead_s is not None and spent.arithmetic_s > 0:
        lines += [
            f"- A search job's CPU beyond its arithmetic (start-up, imports, files): median "
            f"{spent.overhead_s:.2f} s over its {spent.short_jobs} jobs under "
            f"{SAMPLED_EXACTLY_S:.0f} s (Snakemake samples longer jobs' CPU every 30 s)",
            f"- Those trials' whole cost, estimated (arithmetic + that per search job + their "
            f"detection + every table, figure and graph job): {spent.estimated_core_s:,.1f} "
            f"core-s, {spent.estimated_core_s / spent.arithmetic_s:.2f}x their arithmetic "
            f"(Snakemake's own process is not in the benchmark files)",
        ]
    experiments = experiment_arithmetic(results)
    if len(experiments):
        lines += ["", "### The searches' arithmetic by experiment", ""]
        lines.append(render_experiments(experiments))
    searches = costliest_searches(jobs)
    lines += ["", f"### The {TOP_SEARCH_JOBS} costliest search jobs", ""]
    lines.append(render_searches(searches) if len(searches) else "No search job.")
    return "\n".join(lines) + "\n"


def parse_args(argv: Sequence[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("results", nargs="?", default="results", type=Path, help="results folder")
    parser.add_argument("--log", type=Path, help="Snakemake log of the run (for the wall time)")
    parser.add_argument("--cores", type=int, help="cores the run was given")
    parser.add_argument(
        "--configfile", type=Path, help="the run's config (for jobs of several cells)"
    )
    args = parser.parse_args(argv)
    if args.cores is not None and args.cores < 1:
        parser.error("--cores must be at least 1")
    return args


def main(argv: Sequence[str] | None = None) -> int:
    args = parse_args(argv)
    try:
        planned = plan_jobs(args.configfile) if args.configfile is not None else None
        jobs = collect_jobs(args.results, planned)
        if args.log is not None:
            wall_s = log_wall_seconds(args.log)
            source = f"from the Snakemake log `{args.log}` (last - first timestamp)"
        else:
            wall_s = estimated_wall_seconds(jobs)
            source = "an estimate from the benchmark files' times (max mtime - min(mtime - s))"
    except ReportError as exc:
        print(f"time_report: error: {exc}", file=sys.stderr)
        return 2
    sys.stdout.write(render_report(args.results, jobs, wall_s, source, args.cores))
    return 0


if __name__ == "__main__":
    sys.exit(main())
