"""Add-one (Laplace) smoothed unigram model: the perplexity floor every model must beat.

``P(w) = (count(w) + 1) / (N + V)`` where ``N`` is the number of training
tokens (``<eos>`` and ``<unk>`` included) and ``V`` the vocabulary size minus
``<pad>``, so every token, an unseen word mapped to ``<unk>`` included, has a
finite probability. It ignores context entirely, which is exactly why it is a
useful floor: a model no better than this has learned nothing about order.
Generation samples words independently (greedy repeats the most frequent token).
"""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from baselines.count_model import CountGenerator


@dataclass(frozen=True)
class UnigramConfig:
    """The unigram model has nothing to tune; its tokenizer and vocabulary
    settings are the :class:`lab.models.config.VocabConfig` passed beside it."""


class UnigramGenerator(CountGenerator[UnigramConfig]):
    """Laplace-smoothed unigram :class:`lab.models.base.GeneratorBase`.

    >>> from lab.models.config import VocabConfig
    >>> lm = UnigramGenerator(UnigramConfig(), VocabConfig(min_freq=1))
    >>> _ = lm.fit("a a b.")
    >>> lm.generate("", max_tokens=2)[0].tokens
    ('a', 'a')
    """

    _counts: list[int] | None = None

    @property
    def counts(self) -> list[int]:
        """Training count of each vocabulary id."""
        return self._fitted(self._counts)

    def distribution(self) -> list[float]:
        """``P(w)`` for every vocabulary id (0 for ``<pad>``); sums to 1."""
        counts, pad = self.counts, self.vocab.pad_id
        denominator = sum(counts) + len(counts) - 1
        return [0.0 if i == pad else (c + 1) / denominator for i, c in enumerate(counts)]

    def _set_counts(self, counts: list[int]) -> None:
        if len(counts) != len(self.vocab) or any(c < 0 for c in counts):
            raise ValueError("unigram counts do not match the vocabulary")
        self._counts = counts

    def _fit_ids(self, ids: list[int]) -> None:
        seen = Counter(i for i in ids if i != self.vocab.pad_id)
        self._set_counts([seen[i] for i in range(len(self.vocab))])

    def _nll_of_ids(self, ids: list[int]) -> float:
        log_probs = [math.log(p) if p > 0 else -math.inf for p in self.distribution()]
        return -sum(log_probs[i] for i in ids)

    def _token_nlls_of_ids(self, ids: list[int]) -> list[float]:
        nlls = [-math.log(p) if p > 0 else math.inf for p in self.distribution()]
        return [nlls[i] for i in ids]

    def _next_distribution(self, context: tuple[int, ...]) -> Sequence[float]:
        """Independent draws: the prompt and the context cannot matter."""
        return self.distribution()

    def _tables_to_json(self) -> dict[str, Any]:
        # Keyed by token so the file reads on its own; zero counts are left out.
        return {"counts": {self.vocab.itos[i]: c for i, c in enumerate(self.counts) if c}}

    def _tables_from_json(self, data: dict[str, Any]) -> None:
        counts = [0] * len(self.vocab)
        for token, count in data["counts"].items():
            counts[self.vocab.stoi[token]] = int(count)
        self._set_counts(counts)

    def _describe_state(self) -> dict[str, Any]:
        return {"train_tokens": sum(self.counts), "seen_types": sum(1 for c in self.counts if c)}
