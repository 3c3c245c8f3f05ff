"""The captions of the success figures (Sec. 5) and the files they are written to.

Each figure writes `<name>.png` (with the PDF and CSV beside it, `rates.save_figure`) and a caption
`<name>.txt`; the captions share the success rule, the note on rates and intervals, and the count
of trials scored, untrainable and left out.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import pandas as pd

from neural_sculpting.foundations import atomic

STRUCTURE_RULE = (
    "A trial succeeds when its detected modules match the task's structure exactly "
    "(structure_match: the input and output partitions match and the modules' signatures are "
    "exactly the sub-functions', with the sub-functions the graph's collapse entry merges at the "
    "network's depth counted as one). The paper judged its trials by eye; this is the automatic "
    "rule of scoring.py."
)
RATE_NOTE = (
    "Bars: success rate over scored trials; error bars: 95% Wilson intervals; labels: "
    "successes/scored trials, with untrainable trials (the dense network stayed below the "
    "accuracy threshold) counted apart and not as failures."
)


def counts_note(rows: pd.DataFrame, flag: str = "structure_match") -> str:
    untrainable = int((rows["trainable"] == False).sum())  # noqa: E712
    scored = int(rows[flag].notna().sum())
    unscored = len(rows) - scored - untrainable
    note = f"Trials: {len(rows)} in all, {scored} scored, {untrainable} untrainable"
    if unscored:
        note += f", {unscored} trainable but not (yet) scored and left out"
    return note + "."


def missing_note(rows: pd.DataFrame, graphs: Sequence[str]) -> str:
    missing = [g for g in graphs if g not in set(rows["graph"])]
    return f" No trials of: {', '.join(missing)}." if missing else ""


def write_caption(out_dir: Path, name: str, paragraphs: Sequence[str]) -> None:
    atomic.write_text(Path(out_dir) / f"{name}.txt", "\n\n".join(paragraphs) + "\n")


def figure_path(out_dir: Path, name: str) -> Path:
    return Path(out_dir) / f"{name}.png"
