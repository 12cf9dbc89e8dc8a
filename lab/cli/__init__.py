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
    "lab.cli.playground",
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
    parser.add_argument(
        "--debug", action="store_true", help="show the full traceback of an internal error"
    )
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
    """Entry point; returns the process exit status.

    The one error boundary: a user error (:class:`LabError`) or a failure of the
    machine (any ``OSError``: a full disk, a read-only file system, a missing
    file) is one line and exit 2; anything else is a bug, reported as one line
    pointing to a log with the traceback (shown in full with ``--debug``).
    """
    parser = build_parser()
    args = parser.parse_args(argv)
    try:
        return int(args.func(args) or 0)
    except LabError as exc:
        print(f"textgen-lab: error: {one_line(str(exc))}", file=sys.stderr)
        return 2
    except OSError as exc:
        where = f": {exc.filename}" if exc.filename else ""
        print(f"textgen-lab: error: {one_line(f'{exc.strerror or exc}{where}')}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("textgen-lab: interrupted", file=sys.stderr)
        return 130
    except Exception as exc:
        if getattr(args, "debug", False):
            raise
        log = _write_crash_log()
        print(
            f"textgen-lab: internal error: {type(exc).__name__}: {exc} "
            f"(please report it with the log {log}; --debug shows the traceback)",
            file=sys.stderr,
        )
        return 3


def one_line(message: str) -> str:
    """``message`` with control characters escaped (``\\r``, ``\\n``, ...): a file name
    taken from a hostile run or corpus cannot break the error into several lines."""
    return "".join(c if c.isprintable() else repr(c)[1:-1] for c in message)


def _write_crash_log() -> str:
    """The current exception's traceback in a temporary file; returns its path."""
    import tempfile
    import traceback

    with tempfile.NamedTemporaryFile(
        "w", prefix="textgen-lab-crash-", suffix=".log", delete=False, encoding="utf-8"
    ) as handle:
        traceback.print_exc(file=handle)
    return handle.name


def _version() -> str:
    from lab import __version__

    return __version__
