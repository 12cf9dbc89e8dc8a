"""The ``textgen-lab`` command line (also ``python -m lab``).

Each sub-command lives in this package as a module with
``register(subparsers)``, which adds its parser and sets ``func`` to a
function taking the parsed arguments and returning an exit status.
User errors (:class:`lab.errors.LabError`, a missing file, bad flag values)
print one line and exit non-zero; only bugs show a traceback. Building the
parser imports no torch: commands import it when they run, if they need it.
"""

from __future__ import annotations

import argparse
import importlib
import sys
from collections.abc import Sequence
from typing import NoReturn

from lab.errors import LabError

COMMAND_MODULES: tuple[str, ...] = (
    "lab.cli.train",
    "lab.cli.generate",
    "lab.cli.corpus",
    "lab.cli.evaluate",
    "lab.cli.compare",
    "lab.cli.handout",
    "lab.cli.grade",
)


class OneLineParser(argparse.ArgumentParser):
    """An argument parser whose errors are one line (with a pointer to ``--help``),
    not the whole usage text: a bad flag reads like every other error."""

    def error(self, message: str) -> NoReturn:
        self.exit(2, f"{self.prog}: error: {message} (see {self.prog} --help)\n")


def build_parser() -> argparse.ArgumentParser:
    """The full argument parser, with every available sub-command registered."""
    parser = OneLineParser(
        prog="textgen-lab",
        description="Train, sample and compare recurrent text generators (word/char LSTM, Markov, n-gram).",
    )
    parser.add_argument("--version", action="version", version=f"%(prog)s {_version()}")
    subparsers = parser.add_subparsers(
        dest="command", metavar="COMMAND", required=True, parser_class=OneLineParser
    )
    for name in COMMAND_MODULES:
        try:
            module = importlib.import_module(name)
        except ModuleNotFoundError as exc:
            if exc.name == name:  # command not written yet in this checkout
                continue
            raise
        module.register(subparsers)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point; returns the process exit status."""
    parser = build_parser()
    args = parser.parse_args(argv)
    try:
        return int(args.func(args) or 0)
    except LabError as exc:
        print(f"textgen-lab: error: {exc}", file=sys.stderr)
        return 2
    except (FileNotFoundError, IsADirectoryError, PermissionError) as exc:
        print(f"textgen-lab: error: {exc.strerror or exc}: {exc.filename}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("textgen-lab: interrupted", file=sys.stderr)
        return 130


def _version() -> str:
    from lab import __version__

    return __version__
