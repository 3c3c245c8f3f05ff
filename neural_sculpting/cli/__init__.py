"""`sculpt`, the command line of every stage (`main.py`); subcommands import their stage lazily."""

from neural_sculpting.cli.main import main

__all__ = ["main"]
