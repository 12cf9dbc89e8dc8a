"""textgen-lab: generative text with recurrent networks, the word-level lab.

The public API, imported lazily so that ``import lab`` (and the torch-free
baselines that use :mod:`lab.tokenization`) stay fast and never pull in torch
until a neural model is actually used::

    from lab import WordLSTMGenerator, SamplingConfig, load_corpus, split_corpus

    corpus = load_corpus("alice")
    parts = split_corpus(corpus.text)
    gen = WordLSTMGenerator()
    gen.fit(parts.train, parts.valid)
    print(gen.score(parts.test).ppl)
    for s in gen.generate("Alice was", sampling=SamplingConfig(temperature=0.8), seed=1):
        print(s.text)
"""

from __future__ import annotations

import importlib
from typing import Any

_EXPORTS: dict[str, str] = {
    # protocol and records
    "Generator": "lab.protocol",
    "SamplingConfig": "lab.protocol",
    "GREEDY": "lab.protocol",
    "Sample": "lab.protocol",
    "ScoreResult": "lab.protocol",
    "FitResult": "lab.protocol",
    # tokenization
    "WordTokenizer": "lab.tokenization",
    "CharTokenizer": "lab.tokenization",
    "Vocabulary": "lab.tokenization",
    # corpora
    "Corpus": "lab.corpora",
    "CorpusSplit": "lab.corpora",
    "load_corpus": "lab.corpora",
    "split_corpus": "lab.corpora",
    # models
    "ModelConfig": "lab.config",
    "TrainConfig": "lab.config",
    "WordLSTMGenerator": "lab.neural",
    "CharLSTMGenerator": "lab.neural",
    "RNNLanguageModel": "lab.model",
    "load_generator": "lab.registry",
    "generator_class": "lab.registry",
}

__all__ = sorted(_EXPORTS)
__version__ = "0.1.0"


def __getattr__(name: str) -> Any:
    """PEP 562 lazy attribute access for the names in ``__all__``."""
    module = _EXPORTS.get(name)
    if module is None:
        raise AttributeError(f"module 'lab' has no attribute {name!r}")
    return getattr(importlib.import_module(module), name)


def __dir__() -> list[str]:
    return __all__
