"""The base of every user-facing error.

A `SculptError` is a problem with what the user gave (a config, a file, a flag, a task) and
carries one line that names it; the command line prints that line and exits with status 2.
Anything else that goes wrong is a bug and keeps its traceback. It subclasses `ValueError`, the
exception a bad value has always raised here, so callers that catch that still do.
"""

from __future__ import annotations


class SculptError(ValueError):
    """A problem with the user's input, told in one line."""


class UsageError(SculptError):
    """Options that do not go together, or a request that cannot be met as asked."""
