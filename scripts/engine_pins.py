"""Pins of the engine's results on a sample of the paper's trials, to hold any rewrite of the
engine to the results of the engine it replaces, bit for bit.

    .venv/bin/python scripts/engine_pins.py --check            # this checkout against the pins
    PYTHONPATH=../other-checkout python scripts/engine_pins.py --write   # pins from another engine

For each sampled cell of `config/config.yaml` (every seed of one graph, architecture and
setting, searched as one batch as the workflow does, in memory) it records per trial the selected
(Pu, Pe), density, kept weights and validation accuracy, and the SHA-256 of the selected
network's weights and masks; and per pruning lane its rounds and final density. The committed
pins (`tests/engine_pins.json`) were written by engine rules 5 (the CPU lanes' passes compiled,
`engine/kernels.py`), which changed results below the last bit, as rules 4 (dead units dropped
from retraining, fused Adam) did before it; between such changes the pins hold every rewrite to
the engine it replaces bit for bit. Across a rules change the comparison is statistical instead
(`scripts/engine_comparison.py`). Exit status 1 lists what differs; 2 for bad usage.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import sys
from pathlib import Path
from typing import Any

import torch
import yaml

from neural_sculpting.engine.search import Search
from neural_sculpting.engine.settings import SearchSettings, SearchTrial
from neural_sculpting.study.experiments import load_study

ROOT = Path(__file__).resolve().parent.parent
PINS = ROOT / "tests" / "engine_pins.json"

# (experiment, graph, hidden widths, seeds): two validation cells, an input_overlap cell and a
# hierarchy cell, a few CPU-seconds each.
SAMPLE = (
    ("validation", "input_separable", (24,), (0, 1, 2, 5)),
    ("validation", "reused", (24, 24), (0, 1)),
    ("input_overlap", "overlap0_use2", (24,), (0, 1)),
    ("hierarchy", "hierarchy_use1", (36,), (0,)),
)


def network_digest(state: dict[str, Any]) -> str:
    digest = hashlib.sha256()
    for name in ("weights", "biases", "weight_masks", "bias_masks"):
        for tensor in state[name]:
            digest.update(tensor.contiguous().numpy().tobytes())
    return digest.hexdigest()


def cell_pins(experiment: str, graph: str, hidden: tuple[int, ...], seeds) -> list[dict]:
    config = yaml.safe_load((ROOT / "config" / "config.yaml").read_text())
    trials = [
        t
        for t in load_study(config)[experiment].trials
        if t.graph == graph and t.hidden == hidden and t.seed in seeds
    ]
    trials.sort(key=lambda t: t.seed)
    search = Search(
        [SearchTrial(t.graph, t.seed, None) for t in trials], SearchSettings.of_trial(trials[0])
    )
    search.run()
    pins = []
    for trial, run in zip(trials, search.runs, strict=True):
        result = run.result
        selected = run.edges.select([0]) if run.edges is not None else run.dense
        if result.chosen is not None and run.edges is not None:
            index = next(
                i
                for i, lane in enumerate(run.edge_lanes)
                if (lane["pu"], lane["pe"]) == (result.chosen["pu"], result.chosen["pe"])
            )
            selected = run.edges.select([index])
        pins.append(
            {
                "trial": trial.key,
                "chosen": result.chosen,
                "density": result.density,
                "kept_weights": result.kept_weights,
                "val_accuracy": result.val_accuracy,
                "network_sha256": network_digest(selected.state()),
                "unit_lanes": [[lane["rounds"], lane["final_density"]] for lane in run.unit_lanes],
                "edge_lanes": [[lane["rounds"], lane["final_density"]] for lane in run.edge_lanes],
            }
        )
    return pins


def all_pins() -> list[dict]:
    torch.set_num_threads(1)
    return [pin for cell in SAMPLE for pin in cell_pins(*cell)]


def differences(want: list[dict], got: list[dict]) -> list[str]:
    if [p["trial"] for p in want] != [p["trial"] for p in got]:
        return ["the sampled trials differ from the pinned ones"]
    lines = []
    for a, b in zip(want, got, strict=True):
        for key in a:
            if a[key] != b[key]:
                lines.append(f"{a['trial']}: {key} pinned {a[key]!r}, now {b[key]!r}")
    return lines


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    what = parser.add_mutually_exclusive_group(required=True)
    what.add_argument("--check", action="store_true", help="compare with tests/engine_pins.json")
    what.add_argument("--write", action="store_true", help="write tests/engine_pins.json")
    args = parser.parse_args(argv)
    got = all_pins()
    if args.write:
        PINS.write_text("[\n" + ",\n".join(json.dumps(pin) for pin in got) + "\n]\n")
        print(f"wrote {len(got)} trials' pins to {PINS.relative_to(ROOT)}")
        return 0
    lines = differences(json.loads(PINS.read_text()), json.loads(json.dumps(got)))
    for line in lines:
        print(line, file=sys.stderr)
    print(f"{len(got)} trials: {'all as pinned' if not lines else f'{len(lines)} differences'}")
    return 1 if lines else 0


if __name__ == "__main__":
    raise SystemExit(main())
