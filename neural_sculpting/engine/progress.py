"""Progress of a long stage: lanes still running, density, elapsed time.

On a terminal the line is redrawn in place; otherwise (a workflow's log file) one plain line is
written every `interval_s` seconds, so logs stay short but show that the job is alive.
"""

from __future__ import annotations

import sys
import time
from typing import TextIO


class Progress:
    def __init__(
        self,
        stage: str,
        total_lanes: int,
        stream: TextIO | None = None,
        interval_s: float | None = None,
        enabled: bool = True,
    ) -> None:
        self.stage = stage
        self.total = total_lanes
        self.stream = stream if stream is not None else sys.stderr
        self.tty = bool(getattr(self.stream, "isatty", lambda: False)())
        self.interval_s = interval_s if interval_s is not None else (0.2 if self.tty else 30.0)
        self.enabled = enabled
        self.started = time.perf_counter()
        self._last = float("-inf")
        self._drawn = False

    def line(self, running: int, density: float | None) -> str:
        elapsed = time.perf_counter() - self.started
        dens = "" if density is None else f", mean density {100 * density:.2f}%"
        return f"[{self.stage}] {running}/{self.total} lanes running{dens}, {elapsed:.1f} s"

    def update(self, running: int, density: float | None = None, force: bool = False) -> None:
        if not self.enabled:
            return
        now = time.perf_counter()
        if not force and now - self._last < self.interval_s:
            return
        self._last = now
        text = self.line(running, density)
        if self.tty:
            self.stream.write("\r\033[K" + text)
            self._drawn = True
        else:
            self.stream.write(text + "\n")
        self.stream.flush()

    def close(self, density: float | None = None) -> None:
        if not self.enabled:
            return
        self.update(0, density, force=True)
        if self.tty and self._drawn:
            self.stream.write("\n")
            self.stream.flush()


class ProgressBar:
    """The same reports as a tqdm bar, which notebooks render: the stage's lanes finished out of
    all, with the round and the running lanes' mean density beside it (the API's long calls)."""

    def __init__(self, stage: str, total_lanes: int, enabled: bool = True) -> None:
        self.total = total_lanes
        self.rounds = 0
        self.bar = None
        if enabled:
            from tqdm.auto import tqdm

            self.bar = tqdm(total=total_lanes, desc=f"{stage} pruning", unit="lane", leave=True)

    def update(self, running: int, density: float | None = None, force: bool = False) -> None:
        if self.bar is None:
            return
        self.rounds += 1
        self.bar.update(self.total - running - self.bar.n)
        dens = "" if density is None else f", mean density {100 * density:.2f}%"
        self.bar.set_postfix_str(f"round {self.rounds}{dens}")

    def close(self, density: float | None = None) -> None:
        if self.bar is None:
            return
        self.bar.update(self.total - self.bar.n)
        self.bar.close()
