"""Where the lanes run, and how much memory they may take there."""

from __future__ import annotations

import contextlib
import os

import torch

from neural_sculpting.foundations.errors import SculptError


class DeviceError(SculptError):
    """A device that was asked for but is not there."""


def resolve_device(name: str) -> torch.device:
    """ "auto" (CUDA when available), "cpu" or "cuda"."""
    if name == "auto":
        return torch.device("cuda" if torch.cuda.is_available() else "cpu")
    if name == "cpu":
        return torch.device("cpu")
    if name == "cuda":
        if not torch.cuda.is_available():
            raise DeviceError("--device cuda was asked for but no CUDA device is available")
        return torch.device("cuda")
    raise DeviceError(f"device must be auto, cpu or cuda, got {name!r}")


def default_memory_budget(device: torch.device) -> float:
    """Bytes the lanes of a stage may use: 80% of the free CUDA memory, or half the RAM."""
    if device.type == "cuda":
        free, _ = torch.cuda.mem_get_info(device)
        return 0.8 * free
    return 0.5 * os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES")


@contextlib.contextmanager
def torch_threads(threads: int | None):
    """Run the block with `threads` intra-op threads (None: as it is), then restore the count.
    The engine batches lanes, not rows: one thread is its design, and on a busy machine more
    threads only spin (measured: a small search took 79 CPU-s with torch's default 2 threads on
    2 loaded cores, 1.4 with one)."""
    if threads is None:
        yield
        return
    if threads < 1:
        raise DeviceError(f"threads must be at least 1, got {threads}")
    before = torch.get_num_threads()
    torch.set_num_threads(threads)
    try:
        yield
    finally:
        torch.set_num_threads(before)
