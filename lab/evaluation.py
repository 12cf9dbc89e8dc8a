"""Perplexity and bits per character: pure functions over the Generator protocol.

Conventions (also printed in every report):

* A text is scored with the model's own tokenizer after a ``<eos>`` start
  context; every token is predicted once, ``<eos>`` included, the start
  context not. Perplexity is ``exp(total NLL / predicted tokens)`` over the
  whole held-out stream (token-weighted, never a mean of per-batch values).
* ``<unk>`` is an ordinary class of a closed vocabulary: a word model pays for
  "some rare word", not for its spelling, which flatters word perplexity and
  bits per character. That is why the OOV rate stands beside every figure.
* Word models that share one vocabulary are compared by per-token
  perplexity; every model, word or character, by bits per character of the
  same text: ``total NLL / characters / ln 2``.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from lab.protocol import Generator, ScoreResult


def perplexity(nll_nats: float, num_tokens: int) -> float:
    """``exp(nll_nats / num_tokens)``: the effective branching factor.

    >>> round(perplexity(2 * math.log(4), 2), 6)
    4.0

    Exercise 6: ``exp`` of the mean NLL per token (capped at ``exp(700)``
    so a hopeless model gives a huge number, not an overflow); ``ValueError``
    for no tokens.
    """
    # BEGIN SOLUTION
    if num_tokens <= 0:
        raise ValueError("perplexity needs at least one predicted token")
    return math.exp(min(nll_nats / num_tokens, 700.0))
    # END SOLUTION


def bits_per_char(nll_nats: float, num_chars: int) -> float:
    """Total NLL in bits divided by the characters of the scored text.

    >>> bits_per_char(10 * math.log(2), 5)
    2.0
    """
    if num_chars <= 0:
        raise ValueError("bits per character needs a non-empty text")
    return nll_nats / num_chars / math.log(2)


@dataclass(frozen=True)
class EvalRow:
    """One model's scores on one held-out text, ready for a table."""

    model: str
    kind: str
    tokenizer: str
    vocab_size: int
    score: ScoreResult

    def to_dict(self) -> dict[str, Any]:
        return {
            "model": self.model,
            "kind": self.kind,
            "tokenizer": self.tokenizer,
            "vocab_size": self.vocab_size,
            **self.score.to_dict(),
        }


def evaluate_generator(name: str, generator: Generator, text: str) -> EvalRow:
    """Score ``text`` with ``generator`` and label the result."""
    return EvalRow(
        model=name,
        kind=generator.kind,
        tokenizer=generator.tokenizer.kind,
        vocab_size=len(generator.vocab),
        score=generator.score(text),
    )


def evaluate_all(generators: Mapping[str, Generator], text: str) -> list[EvalRow]:
    """Every generator on the same text, in the mapping's order."""
    return [evaluate_generator(name, gen, text) for name, gen in generators.items()]
