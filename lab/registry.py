"""Model kinds by name. The only place that knows which class is which model.

Entries are import paths, so listing the kinds or loading a Markov run never
imports torch.
"""

from __future__ import annotations

import importlib
from pathlib import Path
from typing import Any

from lab.checkpoint import read_manifest
from lab.errors import CheckpointError, LabError

MODELS: dict[str, str] = {
    "word-lstm": "lab.neural:WordLSTMGenerator",
    "char-lstm": "lab.neural:CharLSTMGenerator",
    "markov": "baselines.markov:MarkovGenerator",
    "ngram": "baselines.ngram:NGramGenerator",
    "unigram": "baselines.unigram:UnigramGenerator",
}


def generator_class(kind: str) -> Any:
    """The class registered for ``kind`` (e.g. ``"word-lstm"``)."""
    try:
        module_name, _, attr = MODELS[kind].partition(":")
    except KeyError:
        raise LabError(f"unknown model {kind!r}; choose from {', '.join(MODELS)}") from None
    return getattr(importlib.import_module(module_name), attr)


def load_generator(directory: Path) -> Any:
    """Load any saved run, whatever its kind, from its ``config.json``."""
    kind = read_manifest(directory)["kind"]
    if kind not in MODELS:
        raise CheckpointError(f"{directory} holds an unknown model kind {kind!r}")
    return generator_class(kind).load(Path(directory))
