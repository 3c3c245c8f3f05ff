"""Files of the stages, written atomically (temporary file in the same folder, then os.replace).

One trial folder (`--out`, e.g. results/runs/{graph}/seed{seed}) holds:

- `dense.pt`, `dense.json`       dense training (one lane)
- `units.pt`, `units.json`       unit pruning, one lane per Pu (grid and paper modes)
- `edges.pt`, `edges.json`       edge pruning, one lane per (Pu, Pe) (Pu = 0 in edge_only mode)
- `selected.pt`, `selected.json` the trial's result: the chosen network (one lane) and its summary
- `state-units.pt`, `state-edges.pt`  the pruning loop's per-lane state after the last finished
  round (weights, masks, schedules); a rerun resumes from it; removed when the stage completes.

`.pt` files hold plain tensors, lists and dicts only, so `torch.load(path, weights_only=True)` reads
them: {"format", "stage", "config", "model": {"widths", "weights": [L x out x in], "biases",
"weight_masks" (bool), "bias_masks" (bool)}, "lanes": [per-lane summary]}. `.json` files hold
{"stage", "config" (graph, seed, arch, hyperparameters, search values), "provenance" (project
commit, torch version, device, ...), "wall_s", "lanes": [per-lane record: pu, pe, every pruning step
tried with p, step, val accuracy, density and whether it was kept, final density, wall time]}. The
.pt is written before the .json; a stage counts as done only when both exist and their configs
match the request, and the .pt's SHA-256 (stored in the .json) matches: a truncated or corrupted
file is reported with one line naming it and recomputed, never used.
"""

from __future__ import annotations

import functools
import json
import platform
import subprocess
import sys
from pathlib import Path
from typing import Any

import numpy as np
import torch

from neural_sculpting.foundations import atomic, paths
from neural_sculpting.foundations.atomic import file_sha256
from neural_sculpting.foundations.errors import SculptError

FORMAT = 1
STAGES = ("dense", "units", "edges", "selected")


class CheckpointError(SculptError):
    """A stage file that is missing, unreadable or fails its checksum; the message says which."""


def atomic_torch_save(obj: Any, path: Path, durable: bool = True) -> None:
    atomic.write_with(path, lambda handle: torch.save(obj, handle), binary=True, durable=durable)


def torch_load(path: Path) -> Any:
    return torch.load(path, map_location="cpu", weights_only=True)


def report_unreadable(path: Path, why: str) -> None:
    """One line on stderr: a checkpoint that cannot be trusted is recomputed, never used."""
    print(f"{path}: unreadable checkpoint ({why}); recomputing it", file=sys.stderr)


@functools.cache
def project_commit() -> str | None:
    """The project's git commit (with "-dirty" if the tree has changes), None outside git."""
    root = Path(__file__).resolve().parents[2]
    try:
        head = subprocess.run(
            ["git", "rev-parse", "HEAD"], cwd=root, capture_output=True, text=True, timeout=10
        )
        if head.returncode != 0:
            return None
        dirty = subprocess.run(
            ["git", "--no-optional-locks", "status", "--porcelain", "--untracked-files=no"],
            cwd=root, capture_output=True, text=True, timeout=10,
        )  # fmt: skip
    except (OSError, subprocess.SubprocessError):
        return None
    return head.stdout.strip() + ("-dirty" if dirty.stdout.strip() else "")


def provenance(device: torch.device | str) -> dict[str, Any]:
    device = torch.device(device)
    name = platform.processor() or platform.machine()
    if device.type == "cuda":
        name = torch.cuda.get_device_name(device)
    return {
        "project_commit": project_commit(),
        "torch": torch.__version__,
        "numpy": np.__version__,
        "python": platform.python_version(),
        "device": str(device),
        "device_name": name,
        "threads": torch.get_num_threads(),
        "host": platform.node(),
    }


def save_stage(
    out_dir: Path,
    stage: str,
    config: dict[str, Any],
    model_state: dict[str, Any],
    lanes: list[dict[str, Any]],
    record: dict[str, Any],
) -> None:
    """Write `<stage>.pt` (tensors and lane summaries), then `<stage>.json` (the full record)."""
    pt, js = paths.stage_files(out_dir, stage)
    atomic_torch_save(
        {"format": FORMAT, "stage": stage, "config": config, "model": model_state, "lanes": lanes},
        pt,
    )
    record = {**record, "pt_sha256": file_sha256(pt)}
    atomic.write_json(js, {"stage": stage, "config": config, **record})


def read_stage(out_dir: Path, stage: str) -> tuple[dict[str, Any], dict[str, Any]]:
    """A stage's .pt content and .json record, verified: both exist, the record parses, the
    .pt's SHA-256 is the one the record holds and it is a stage file of this format. Raises
    `CheckpointError` naming the file and the reason."""
    pt, js = paths.stage_files(out_dir, stage)
    for path in (pt, js):
        if not path.is_file():
            raise CheckpointError(f"{path}: missing")
    try:
        record = json.loads(js.read_text())
    except (OSError, ValueError) as exc:
        raise CheckpointError(f"{js}: unreadable ({type(exc).__name__})") from None
    if not isinstance(record, dict) or record.get("pt_sha256") != file_sha256(pt):
        raise CheckpointError(f"{pt}: checksum differs from its record")
    try:
        content = torch_load(pt)
    except Exception as exc:  # any unpickling failure means the file cannot be used
        raise CheckpointError(f"{pt}: unreadable ({type(exc).__name__})") from None
    if not isinstance(content, dict) or content.get("format") != FORMAT:
        raise CheckpointError(f"{pt}: not a stage file of this format")
    return content, record


def load_stage(out_dir: Path, stage: str, config: dict[str, Any]) -> dict[str, Any] | None:
    """The stage's .pt content (with its record under "record") for reuse: None when the files
    are absent, made with another config, or untrustworthy (reported in one line)."""
    pt, js = paths.stage_files(out_dir, stage)
    if not (pt.is_file() and js.is_file()):
        return None
    try:
        content, record = read_stage(out_dir, stage)
    except CheckpointError as exc:
        path, _, why = str(exc).partition(": ")
        report_unreadable(Path(path), why)
        return None
    if content.get("config") != config or record.get("config") != config:
        return None
    content["record"] = record
    return content


def save_state(out_dir: Path, stage: str, config: dict[str, Any], state: dict[str, Any]) -> None:
    atomic_torch_save(
        {"format": FORMAT, "config": config, **state},
        paths.state_file(out_dir, stage),
        durable=False,
    )


def load_state(out_dir: Path, stage: str, config: dict[str, Any]) -> dict[str, Any] | None:
    path = paths.state_file(out_dir, stage)
    if not path.is_file():
        return None
    try:
        state = torch_load(path)
    except Exception as exc:  # a state file cut short by a kill is simply not resumed from
        report_unreadable(path, type(exc).__name__)
        return None
    if not isinstance(state, dict) or state.get("config") != config:
        return None
    return state


def remove_state(out_dir: Path, stage: str) -> None:
    paths.state_file(out_dir, stage).unlink(missing_ok=True)
