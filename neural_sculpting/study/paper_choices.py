"""The (Pu, Pe) pair the authors picked per trial, for `mode: paper`.

`config/paper_choices.csv` (graph, arch, seed, pu, pe) is generated from the published
`paper_hparams.csv` by `scripts/generate_config.py`; where the authors list two picks for one
trial, it keeps the first.
"""

from __future__ import annotations

import csv
import functools
from pathlib import Path

from neural_sculpting.foundations import paths
from neural_sculpting.foundations.errors import SculptError


class PaperChoiceError(SculptError):
    """No published choice for a trial, or an unreadable choices file."""


@functools.cache
def paper_choices(path: Path | None = None) -> dict[tuple[str, str, int], tuple[float, float]]:
    """(graph, arch like `4-24-24-16`, seed) -> (Pu, Pe)."""
    path = path or paths.paper_choices_csv()
    try:
        with open(path, newline="") as handle:
            return {
                (row["graph"], row["arch"], int(row["seed"])): (float(row["pu"]), float(row["pe"]))
                for row in csv.DictReader(handle)
            }
    except (OSError, KeyError, ValueError) as exc:
        raise PaperChoiceError(f"{path}: not a readable paper-choices table ({exc})") from None


def paper_choice(graph: str, arch: str, seed: int, path: Path | None = None) -> tuple[float, float]:
    choice = paper_choices(path).get((graph, arch, seed))
    if choice is None:
        raise PaperChoiceError(
            f"no published (Pu, Pe) for {graph} {arch} seed {seed} "
            f"(see {path or paths.paper_choices_csv()}); give --pu and --pe"
        )
    return choice
