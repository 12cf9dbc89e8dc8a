"""Where a report's numbers came from: the command, the software and the machine.

A figure means little without the versions and the command that produced it (a
torch or nltk upgrade changes tokens and timings); the report prints these, and
``metrics.json`` keeps them, so a report read on its own can be reproduced.
Versions are read from the installed distributions' metadata, never by importing
them (the report never pays for importing torch).
"""

from __future__ import annotations

import os
import platform
import shlex
import sys
from collections.abc import Mapping, Sequence
from importlib import metadata
from pathlib import Path
from typing import Any

#: Distributions whose versions a reader needs: the package itself first.
PACKAGES: tuple[str, ...] = ("textgen-lab", "torch", "nltk", "markovify", "numpy", "matplotlib")


def command_line(argv: Sequence[str] | None = None) -> str:
    """The command that ran, as a reader would type it: ``python -m lab`` and the
    ``textgen-lab`` script both read ``textgen-lab ...``; anything else (a notebook,
    a test runner) is shown as it was started."""
    args = list(sys.argv if argv is None else argv)
    if not args:
        return ""
    program = Path(args[0])
    if program.name == "textgen-lab" or (
        program.name == "__main__.py" and program.parent.name == "lab"
    ):
        return shlex.join(["textgen-lab", *args[1:]])
    return shlex.join([program.name, *args[1:]])


def versions(packages: Sequence[str] = PACKAGES) -> dict[str, str]:
    """Python's version and each installed package's ("not installed" if absent)."""
    found = {"python": platform.python_version()}
    for name in packages:
        try:
            found[name] = metadata.version(name)
        except metadata.PackageNotFoundError:
            found[name] = "not installed"
    return found


def environment(argv: Sequence[str] | None = None) -> dict[str, Any]:
    """The command line, versions and machine of this process, for ``metrics.json``."""
    return {
        "command": command_line(argv),
        "versions": versions(),
        "platform": platform.platform(terse=True),
        "machine": platform.machine(),
        "cpu_count": os.cpu_count(),
    }


def environment_line(env: Mapping[str, Any]) -> str:
    """One sentence of :func:`environment`, for the report's header."""
    names = ", ".join(f"{k} {v}" for k, v in env.get("versions", {}).items())
    return f"Software: {names}. Machine: {env.get('platform')} ({env.get('cpu_count')} CPUs)."


def compact_config(config: Mapping[str, Any]) -> str:
    """A saved configuration (``{"model": {...}, "train": {...}, "vocab": {...}}``) on one
    line: ``model: hidden_dim=200, ...; train: lr=0.003, ...``; ``–`` if not recorded."""
    if not config:
        return "–"
    parts = []
    for section, values in config.items():
        if isinstance(values, Mapping):
            if not values:
                continue  # a model with no settings of its own (the unigram)
            inner = ", ".join(f"{k}={_value(v)}" for k, v in values.items())
            parts.append(f"{section}: {inner}")
        else:
            parts.append(f"{section}={_value(values)}")
    return "; ".join(parts) or "–"


def _value(value: Any) -> str:
    if value is None:
        return "none"
    if isinstance(value, float):
        return f"{value:g}"
    if isinstance(value, (list, tuple)):
        return "[" + ", ".join(map(_value, value)) + "]"
    return str(value)
