"""Errors the command line reports as one line and a non-zero exit, and one-line warnings."""

from __future__ import annotations

import sys


def warn(message: str) -> None:
    """Print ``textgen-lab: warning: <message>`` on stderr, as one line.

    For things the user must know but that do not stop the run (a download
    trusted on first use, a fallback to another source). Not
    :func:`warnings.warn`: that prints a file and line number and a second
    line of source code, and Python may hide repeats.
    """
    print(f"textgen-lab: warning: {' '.join(message.split())}", file=sys.stderr)


class LabError(Exception):
    """A problem with the user's input (bad path, bad corpus, bad checkpoint).

    The CLI prints ``textgen-lab: error: <message>`` and exits with status 2;
    anything else is a bug and keeps its traceback.
    """


class OptionError(LabError, ValueError):
    """An option or argument out of range (a temperature of 0, ``num_samples=0``).

    Also a ``ValueError``, what Python callers expect for a bad argument value.
    """


class NotFittedError(LabError, AttributeError):
    """A model was asked to score, generate or save before ``fit`` or ``load``.

    Also an ``AttributeError`` (as scikit-learn's is), so ``hasattr(model, "vocab")``
    answers False for an unfitted model instead of raising.
    """


class CorpusError(LabError):
    """A corpus could not be found, read, downloaded or verified."""


class CheckpointError(LabError):
    """A run directory is missing, incomplete or of an unknown kind."""


class UnknownTokenWarning(UserWarning):
    """A prompt contained tokens outside the model's vocabulary (read as ``<unk>``)."""
