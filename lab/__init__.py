"""textgen-lab: generative text with recurrent networks, the word-level lab.

The public API, imported lazily so that ``import lab`` (and the torch-free
baselines and command line) stay fast and never pull in torch until a neural
model is actually used. The layers, each a subpackage whose imports only point
down: :mod:`lab.storage` <- :mod:`lab.text` <- :mod:`lab.models` <- :mod:`lab.neural`
and :mod:`baselines` <- :mod:`lab.evaluation` <- :mod:`lab.cli`, with
:mod:`lab.grading` beside them::

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
    # the contract every model meets (GeneratorBase; Generator in annotations) and its records
    "Generator": "lab.models.base",
    "GeneratorBase": "lab.models.base",
    "Sample": "lab.models.protocol",
    "FitResult": "lab.models.protocol",
    "SamplingConfig": "lab.models.sampling",
    "GREEDY": "lab.models.sampling",
    "ScoreResult": "lab.models.scoring",
    "perplexity": "lab.models.scoring",
    "bits_per_char": "lab.models.scoring",
    "VocabConfig": "lab.models.config",
    "load_generator": "lab.models.checkpoint",
    "generator_class": "lab.models.registry",
    # text
    "WordTokenizer": "lab.text.tokenizers",
    "CharTokenizer": "lab.text.tokenizers",
    "Vocabulary": "lab.text.vocabulary",
    "Corpus": "lab.text.corpora",
    "load_corpus": "lab.text.corpora",
    "CorpusSplit": "lab.text.splitting",
    "split_corpus": "lab.text.splitting",
    # the recurrent generators (importing these imports torch)
    "ModelConfig": "lab.neural.config",
    "TrainConfig": "lab.neural.config",
    "NeuralConfig": "lab.neural.config",
    "WordLSTMGenerator": "lab.neural.generators",
    "CharLSTMGenerator": "lab.neural.generators",
    "RNNLanguageModel": "lab.neural.network",
    # the transformer (imports torch too)
    "TransformerGenerator": "lab.transformer.generator",
    "TransformerConfig": "lab.transformer.config",
    "TransformerShape": "lab.transformer.config",
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
