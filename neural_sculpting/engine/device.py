"""Where the lanes run, and how much memory they may take there."""

from __future__ import annotations

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
