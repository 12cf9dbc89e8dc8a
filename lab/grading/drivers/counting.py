"""Drivers of the exercises without torch: the vocabulary, perplexity, the distinct-n metric."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from .wire import submission


def _vocab_call(itos: list[str], method: str, items: list[Any], as_iter: bool = False) -> Any:
    vocab = submission("lab.text.vocabulary").Vocabulary(itos)
    return getattr(vocab, method)(iter(items) if as_iter else items)


def _vocab_build(tokens: list[str], **options: Any) -> Any:
    vocab = submission("lab.text.vocabulary").Vocabulary.build(tokens, **options)
    return {"itos": list(vocab.itos), "stoi": dict(vocab.stoi)}


def _perplexity(nll: float, tokens: int) -> Any:
    return submission("lab.models.scoring").perplexity(nll, tokens)


def _distinct_n(samples: list[list[str]], n: int, **options: Any) -> Any:
    return submission("lab.evaluation.metrics").distinct_n(samples, n, **options)


DRIVERS: dict[str, Callable[..., Any]] = {
    "vocab.call": _vocab_call,
    "vocab.build": _vocab_build,
    "scoring.perplexity": _perplexity,
    "metrics.distinct_n": _distinct_n,
}
