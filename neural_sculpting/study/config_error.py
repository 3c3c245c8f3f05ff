"""The config's error: one line naming the key (`experiments.py` and the modules it uses)."""

from __future__ import annotations

from neural_sculpting.foundations.errors import SculptError


class ConfigError(SculptError):
    """A config problem; the message is one line naming the key."""
