"""Errors the command line reports as one line and a non-zero exit."""

from __future__ import annotations


class LabError(Exception):
    """A problem with the user's input (bad path, bad corpus, bad checkpoint).

    The CLI prints ``textgen-lab: error: <message>`` and exits with status 2;
    anything else is a bug and keeps its traceback.
    """


class CorpusError(LabError):
    """A corpus could not be found, read, downloaded or verified."""


class CheckpointError(LabError):
    """A run directory is missing, incomplete or of an unknown kind."""


class UnknownTokenWarning(UserWarning):
    """A prompt contained tokens outside the model's vocabulary (read as ``<unk>``)."""
