"""Grid mode, their code against ours: the authors' code run over the full 14 x 5 (Pu, Pe) grid
for three-hidden-layer trials of reused and separable_reused, its networks scored by our
detector and rule, beside our grid mode on the same trials and their published networks.

    AUTHORS_GRID=/path/to/export python scripts/grid_differential.py \
        --ours docs/differential/depth3_seeds.csv

The export (made outside this repository from a run of their code, docs/differential/RUN.md):
one JSON file per task, a list of trials, each {task, arch, seed, picked: {pu, pe}, lanes: [{pu,
pe, density, prune_percentage, masks}] for the 70 (Pu, Pe)}. `picked` is their notebooks'
selection (the first maximum of the prune percentage, Pe from high to low, then Pu from high to
low), the selection their published networks went through; our grid mode selects the same way.

Decided by the rule of the first differential study, stated before the runs: the two processes
*agree* when, per task and pooled, Fisher's exact test on the structure counts (our grid mode
against their code's picks, same trials) gives p >= 0.05 and the median per-trial ratio of
densities lies in [0.9, 1.1]. With four trials a task the test can only catch large
differences; the tied-lane columns say how much each verdict rests on the tie-break. Writes
docs/differential/grid.md and grid.csv.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import sys
from pathlib import Path

import numpy as np
import pandas as pd

from neural_sculpting.analysis.module_detection import detect_modules
from neural_sculpting.analysis.scoring import score_modules
from neural_sculpting.reproduction.verdicts import fisher_p, fmt_rate
from neural_sculpting.study.hparams import DetectionSettings
from neural_sculpting.tasks.function_graph import load_graph
from neural_sculpting.tasks.hierarchy import task_hierarchy

ROOT = Path(__file__).resolve().parents[1]
STORED = ROOT.parent / "shared" / "reference" / "authors_networks"
OUT = ROOT / "docs" / "differential"
TASKS = ("reused", "separable_reused")
AGREE_P, AGREE_RATIO = 0.05, (0.9, 1.1)


def recovered(task: str, masks) -> bool:
    masks = [np.asarray(m, dtype=bool) for m in masks]
    expected = task_hierarchy(load_graph(task), len(masks) - 1)
    labels = detect_modules(masks, DetectionSettings()).module_labels
    return bool(score_modules(masks, labels, expected).structure_match)


def their_trials(export: Path) -> pd.DataFrame:
    rows = []
    for task in TASKS:
        path = export / f"{task}.json"
        if not path.is_file():
            continue
        for trial in json.loads(path.read_text()):
            lanes = trial["lanes"]
            picked = next(
                lane for lane in lanes
                if (lane["pu"], lane["pe"]) == (trial["picked"]["pu"], trial["picked"]["pe"])
            )  # fmt: skip
            lowest = min(lane["density"] for lane in lanes)
            tied = [lane for lane in lanes if lane["density"] == lowest]
            rows.append({
                "graph": task, "arch": "-".join(map(str, trial["arch"])), "seed": trial["seed"],
                "code_pu": picked["pu"], "code_pe": picked["pe"],
                "code_density": picked["density"],
                "code_structure": recovered(task, picked["masks"]),
                "code_tied_lanes": len(tied),
                "code_tied_recovered": sum(recovered(task, lane["masks"]) for lane in tied),
                "code_lanes_recovered": sum(recovered(task, lane["masks"]) for lane in lanes),
            })  # fmt: skip
    return pd.DataFrame(rows)


def stored(task: str, arch: str, seed: int) -> tuple[float | None, bool | None]:
    for trial in json.loads((STORED / f"{task}.json").read_text()):
        if "-".join(map(str, trial["arch"])) == arch and trial["seed"] == seed:
            return trial["density"], recovered(task, trial["masks"])
    return None, None


def verdict_lines(table: pd.DataFrame) -> list[str]:
    lines, agree_all = [], True
    for task, part in [*table.groupby("graph"), ("pooled", table)]:
        ours = (int(part["ours_structure"].sum()), len(part))
        code = (int(part["code_structure"].sum()), len(part))
        p = fisher_p(ours, code)
        ratio = statistics.median(part["ours_density"] / part["code_density"])
        agree = p >= AGREE_P and AGREE_RATIO[0] <= ratio <= AGREE_RATIO[1]
        agree_all &= agree
        lines.append(
            f"- {task}: structure recovered, ours {fmt_rate(*ours)}, their code "
            f"{fmt_rate(*code)}, their stored networks "
            f"{int(part['stored_structure'].sum())}/{len(part)}; Fisher p = {p:.2f}; median "
            f"density ratio (ours / their code) {ratio:.3f}: {'agree' if agree else 'differ'}"
        )
    verdict = "agree" if agree_all else "differ"
    lines += ["", f"Overall: the two processes in grid mode **{verdict}** by the rule above."]
    return lines


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--ours", type=Path, required=True, help="our grid-mode trials (CSV)")
    parser.add_argument("--export", type=Path, default=os.environ.get("AUTHORS_GRID"))
    args = parser.parse_args(argv)
    if args.export is None or not Path(args.export).is_dir():
        print("give the export folder of their code's grid runs (--export or AUTHORS_GRID)")
        return 2
    theirs = their_trials(Path(args.export))
    if theirs.empty:
        print(f"{args.export}: no trials")
        return 2
    ours = pd.read_csv(args.ours)
    ours = ours.rename(columns={"pu": "ours_pu", "pe": "ours_pe", "density": "ours_density",
                                "structure_match": "ours_structure",
                                "tied_lanes": "ours_tied_lanes",
                                "tied_lanes_recovered": "ours_tied_recovered"})  # fmt: skip
    keep = ["graph", "arch", "seed", "ours_pu", "ours_pe", "ours_density", "ours_structure",
            "ours_tied_lanes", "ours_tied_recovered"]  # fmt: skip
    table = theirs.merge(ours[keep], on=["graph", "arch", "seed"], how="left")
    table["stored_density"], table["stored_structure"] = zip(
        *(stored(r.graph, r.arch, int(r.seed)) for r in table.itertuples()), strict=True
    )
    table["ours_structure"] = table["ours_structure"].astype(bool)
    lines = [
        "# Grid mode: their code against ours at three hidden layers",
        "",
        "Generated by `scripts/grid_differential.py` (its docstring gives the commands and the",
        "decision rule, stated before the runs); how their code was run: [RUN.md](RUN.md).",
        "",
        "## Verdict",
        "",
        *verdict_lines(table),
        "",
        "## Per trial",
        "",
        table.to_markdown(index=False, floatfmt=".4g"),
    ]
    OUT.mkdir(parents=True, exist_ok=True)
    (OUT / "grid.md").write_text("\n".join(lines) + "\n")
    table.to_csv(OUT / "grid.csv", index=False)
    print(OUT / "grid.md")
    return 0


if __name__ == "__main__":
    sys.exit(main())
