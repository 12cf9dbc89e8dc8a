"""What a score is: the negative log-likelihood of a text, and the two numbers read from it.

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

:func:`perplexity` and :func:`bits_per_char` are the only place these formulas
are written; :class:`ScoreResult`, training and reports all call them.
"""

from __future__ import annotations

import math
from dataclasses import dataclass


def perplexity(nll_nats: float, num_tokens: int) -> float:
    """``exp(nll_nats / num_tokens)``: the effective branching factor.

    >>> round(perplexity(2 * math.log(4), 2), 6)
    4.0

    Exercise 9: ``exp`` of the mean NLL per token (capped at ``exp(700)``
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
class ScoreResult:
    """Total negative log-likelihood of a text under a model, in nats.

    ``num_tokens`` counts the predicted tokens of the model's own tokenizer
    (``<eos>`` included, the start context not), so perplexity is
    token-weighted over the whole stream. ``num_chars`` is the length of the
    scored text, which makes bits per character comparable between word and
    character models. ``num_oov`` counts tokens mapped to ``<unk>``. An empty
    text scores perplexity 1 and 0 bits per character (nothing was predicted).
    """

    nll_nats: float
    num_tokens: int
    num_chars: int
    num_oov: int = 0
    #: Nats of spelling out each ``<unk>`` token (see :mod:`lab.evaluation.spelling`):
    #: with it, the score is that of the text itself, not of its closed-vocabulary tokens.
    unk_spelling_nats: float = 0.0

    @property
    def nats_per_token(self) -> float:
        return self.nll_nats / max(self.num_tokens, 1)

    @property
    def ppl(self) -> float:
        """Per-token perplexity, ``exp(total NLL / tokens)``."""
        return perplexity(self.nll_nats, max(self.num_tokens, 1))

    @property
    def bits_per_char(self) -> float:
        return bits_per_char(self.nll_nats, max(self.num_chars, 1))

    @property
    def oov_rate(self) -> float:
        return self.num_oov / max(self.num_tokens, 1)

    @property
    def open_nll_nats(self) -> float:
        """Total NLL of the text with every ``<unk>`` spelled out (open vocabulary)."""
        return self.nll_nats + self.unk_spelling_nats

    @property
    def open_bits_per_char(self) -> float:
        """Bits per character of the text itself: comparable across word and character
        models, and never below :attr:`bits_per_char` (spelling costs something)."""
        return bits_per_char(self.open_nll_nats, max(self.num_chars, 1))

    def to_dict(self) -> dict[str, float | int]:
        return {
            "nll_nats": self.nll_nats,
            "num_tokens": self.num_tokens,
            "num_chars": self.num_chars,
            "num_oov": self.num_oov,
            "ppl": self.ppl,
            "bits_per_char": self.bits_per_char,
            "oov_rate": self.oov_rate,
            "unk_spelling_nats": self.unk_spelling_nats,
            "open_bits_per_char": self.open_bits_per_char,
        }
