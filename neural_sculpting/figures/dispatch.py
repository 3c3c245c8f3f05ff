"""The drawing function a catalogue entry names (`study.catalogue.Figure.draw`), resolved."""

from __future__ import annotations

import importlib
from collections.abc import Callable

from neural_sculpting.study.catalogue import Figure


def drawing_function(entry: Figure) -> Callable:
    """The function that draws `entry`; an entry naming none is a catalogue error."""
    if entry.draw is None:
        raise LookupError(f"the catalogue names no drawing function for {entry.name}")
    module, _, name = entry.draw.rpartition(".")
    return getattr(importlib.import_module(module), name)
