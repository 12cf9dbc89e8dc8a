"""Open-vocabulary scoring: what it costs to spell out the words a model calls ``<unk>``.

A closed-vocabulary word model predicts "some rare word" (``<unk>``) instead of
the word itself, so its bits per character leave out the cost of the word's
letters and look better than a character model's, which pays for every letter.
To score the exact text, each ``<unk>`` token ``w`` is followed by its spelling,
drawn from a :class:`SpellingModel`: a character-level model of words trained
on the training text's rare words (those the vocabulary maps to ``<unk>``).

``P_open(w | context) = P(<unk> | context) * P_spell(w) / (1 - S)`` for ``w``
outside the vocabulary, where ``S`` is the spelling probability of the words
inside it: the spelling distribution renormalised over exactly the strings
``<unk>`` stands for. The spelling cost of ``w`` is therefore
``-ln P_spell(w) + ln(1 - S) >= 0``, so open-vocabulary bits per character are
never below the closed-vocabulary figure.

The spelling model itself is an interpolated Kneser-Ney character n-gram
(:class:`baselines.kneser_ney.KneserNey`) over each word's characters followed
by an end-of-word mark, with every character seen in training as a class and
all other Unicode characters sharing the ``<unk>`` class uniformly, so it is a
proper distribution over all non-empty strings (the first character is drawn
given that the word is not empty).
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Sequence

from baselines.kneser_ney import KneserNey, count_ngrams
from lab.models.base import Generator
from lab.text.vocabulary import SPECIALS, Vocabulary

#: Unicode scalar values (code points minus surrogates): the alphabet of any text.
UNICODE_SIZE = 0x110000 - 0x800
#: Below this many rare-word tokens in the training text, every word type is learnt instead.
MIN_RARE_TOKENS = 50


class SpellingModel:
    """``P_spell(word)``: a character n-gram model of spellings ending in an end mark.

    >>> spell = SpellingModel(["cat", "cart", "care"], order=3)
    >>> spell.log_prob("car") > spell.log_prob("rac") > spell.log_prob("qqq")
    True
    """

    def __init__(self, words: Iterable[str], *, order: int = 4) -> None:
        words = [w for w in words if w]
        self.chars = Vocabulary.build((c for w in words for c in w), min_freq=1)
        end = self.chars.eos_id  # <eos> marks the end of a word
        ids: list[int] = []
        for word in words:
            ids.extend(self.chars.encode(word))
            ids.append(end)
        self.order = order
        self._kn = KneserNey(
            count_ngrams(ids, order, end),
            order=order,
            vocab_size=len(self.chars),
            pad_id=self.chars.pad_id,
            eos_id=end,
            modified=True,
        )
        # The <unk> class stands for every character never seen in training.
        self._unseen = max(UNICODE_SIZE - (len(self.chars) - len(SPECIALS)), 1)
        self._log_outside: dict[Vocabulary, float] = {}
        # Words are never empty: the first character is drawn given "not the end yet".
        self._log_nonempty = math.log1p(-self._kn.prob(end, ()))

    def log_prob(self, word: str) -> float:
        """``ln P_spell(word)``; ``-inf`` only for the empty string (not a word)."""
        if not word:
            return -math.inf
        ids = [*self.chars.encode(word), self.chars.eos_id]
        unknown = sum(1 for i in ids if i == self.chars.unk_id)
        return -self._kn.nll(ids) - unknown * math.log(self._unseen) - self._log_nonempty

    def oov_cost(self, words: Sequence[str], vocab: Vocabulary) -> float:
        """Total nats of spelling ``words`` (all outside ``vocab``), renormalised over
        the strings ``<unk>`` stands for (see the module docstring)."""
        if not words:
            return 0.0
        if vocab not in self._log_outside:  # once per vocabulary, not per model scored
            inside = sum(math.exp(self.log_prob(v)) for v in vocab.itos if v not in SPECIALS)
            self._log_outside[vocab] = math.log1p(-min(inside, 1.0 - 1e-12))
        log_outside = self._log_outside[vocab]
        return sum(-self.log_prob(w) + log_outside for w in words)

    @classmethod
    def for_vocabulary(cls, tokens: Sequence[str], vocab: Vocabulary) -> SpellingModel:
        """Learn from the training ``tokens`` that ``vocab`` maps to ``<unk>`` (what
        unknown words look like), or from every word type when there are few."""
        rare = [t for t in tokens if t not in vocab and t not in SPECIALS]
        if len(rare) < MIN_RARE_TOKENS:
            rare = sorted({t for t in tokens if t not in SPECIALS})
        return cls(rare)


def unknown_tokens(generator: Generator, text: str) -> list[str]:
    """The tokens of ``text`` that ``generator``'s vocabulary reads as ``<unk>``."""
    vocab = generator.vocab
    return [t for t in generator.tokenizer.tokenize(text) if t not in vocab]
