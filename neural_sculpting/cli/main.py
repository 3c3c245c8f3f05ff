"""`sculpt`: every stage of the pipeline as a subcommand, the same from a shell, a rule or a test.

Errors the user can fix (bad input, a malformed graph, a missing file) print one line on stderr and
exit with status 2; nothing half-written is left behind, since every result is written atomically.
"""

from __future__ import annotations

import argparse
import signal
import sys
from collections.abc import Sequence

from neural_sculpting import __version__
from neural_sculpting.cli import analysis as analysis_cli
from neural_sculpting.cli import datasets as datasets_cli
from neural_sculpting.cli import engine as engine_cli
from neural_sculpting.cli import figures as figures_cli
from neural_sculpting.cli import graphs as graphs_cli
from neural_sculpting.cli import mnist as mnist_cli
from neural_sculpting.cli import model as model_cli
from neural_sculpting.cli import status as status_cli
from neural_sculpting.cli import tables as tables_cli
from neural_sculpting.foundations.errors import SculptError


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="sculpt", description="Neural Sculpting: the pipeline's stages."
    )
    parser.add_argument("--version", action="version", version=f"%(prog)s {__version__}")
    subparsers = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    # Each command group adds its subcommands, in the order `sculpt --help` lists them.
    for group in (graphs_cli, engine_cli, analysis_cli, tables_cli, figures_cli, mnist_cli,
                  datasets_cli, model_cli, status_cli):  # fmt: skip
        group.register(subparsers)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    if hasattr(signal, "SIGPIPE"):
        signal.signal(signal.SIGPIPE, signal.SIG_DFL)  # `sculpt graph show X | head` ends quietly
    args = build_parser().parse_args(argv)
    try:
        return args.handler(args)
    except (SculptError, OSError) as exc:
        # One line, no traceback: these are problems with the input. Anything else is a bug and
        # keeps its traceback.
        if isinstance(exc, OSError) and exc.filename:
            message = f"{exc.filename}: {exc.strerror or type(exc).__name__}"
        else:
            message = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
        print(f"sculpt: error: {message}", file=sys.stderr)
        return 2


if __name__ == "__main__":
    sys.exit(main())
