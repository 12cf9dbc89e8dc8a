"""Interpolated Kneser-Ney n-gram probabilities (orders 1-5), looked up in numpy arrays.

The smoothing follows Chen & Goodman (1998), "An empirical study of smoothing
techniques for language modeling", section 3 (interpolated Kneser-Ney):

    P_n(w | h) = max(a(h w) - D, 0) / sum_v a(h v)  +  gamma(h) * P_{n-1}(w | h')
    gamma(h)   = D * N1+(h •) / sum_v a(h v)

where ``h'`` drops the oldest word of ``h``, ``N1+(h •)`` is the number of
distinct words seen after ``h``, and ``a`` is the raw count at the highest
order but the *continuation count* (number of distinct words seen before the
n-gram) at lower orders, which is what makes Kneser-Ney better than plain
absolute discounting. Lower-order n-grams that begin at a sentence start keep
their raw counts, since nothing can precede the start (as KenLM does).
Below order 1 sits the uniform distribution over the vocabulary (every id but
``<pad>``; ``<unk>`` is an ordinary class), so every token has a finite,
non-zero probability in every context, seen or not. A context never seen in
training is skipped (its weight goes entirely to the lower order).

The discount is *plain* by default: one ``D`` (``discount``, 0.75) for all
orders. ``modified=True`` uses Chen & Goodman's modified Kneser-Ney: three
discounts per order for n-grams seen once, twice and three or more times,
estimated from the count-of-counts (``D1 = 1 - 2Y n2/n1`` etc., ``Y = n1/(n1 +
2 n2)``), falling back to ``discount`` for an order with too few counts.

Sentences are modelled one at a time, as SRILM does: the context restarts after
every ``<eos>``, and a sentence's first words have the short contexts ``(<s>,)``,
``(<s>, w1)``, ... (``<eos>`` standing for ``<s>``), not a padding of ``order - 1``
start symbols. Padding would put each of those words through ``order - 1`` levels
of interpolation between identical counts, each taking its discount again: on
Penn Treebank that over-smoothing cost the 5-gram 3% of perplexity.

The parts: :mod:`baselines.ngram_counts` counts (numpy arrays of ids, not dicts
of tuples: a Penn Treebank 5-gram model in a few hundred MB less), and
:mod:`baselines.kn_estimation` turns counts into per-level tables of sorted
keys, which :mod:`baselines.kn_lookup` searches (``np.searchsorted``, over a
whole text at once when scoring); this module is the model those make up. ``nltk.lm`` is avoided on purpose (slow, and
infinite perplexity for any unseen word). The :class:`lab.models.base.GeneratorBase`
around this is :class:`baselines.ngram.NGramGenerator`.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping, Sequence

import numpy as np

from baselines.kn_estimation import Discounts, Level, build_levels
from baselines.kn_lookup import Lookup
from baselines.ngram_counts import FILLER, NGramCounts, count_ngrams

__all__ = ["MAX_ORDER", "KneserNey", "NGramCounts", "count_ngrams"]

MAX_ORDER = 5


class KneserNey:
    """Interpolated Kneser-Ney probabilities built from highest-order n-gram counts.

    Args:
        ngram_counts: raw counts of ``order``-grams of vocabulary ids, as made by
            :func:`count_ngrams` (or any ``{id tuple: count}`` mapping of the same
            n-grams). Lower-order counts are derived from them, which is exact
            because every token has its whole sentence context.
        order: 1 (unigram) to 5.
        vocab_size: ids are ``0 .. vocab_size - 1``; all but ``pad_id`` are in the support.
        discount: the plain discount ``D`` in (0, 1] (also the modified fallback).
        modified: use modified Kneser-Ney discounts (see the module docstring).
    """

    def __init__(
        self,
        ngram_counts: Mapping[tuple[int, ...], int],
        *,
        order: int,
        vocab_size: int,
        pad_id: int = 0,
        eos_id: int = 2,
        discount: float = 0.75,
        modified: bool = False,
    ) -> None:
        if not 1 <= order <= MAX_ORDER:
            raise ValueError(f"order must be 1..{MAX_ORDER}, not {order}")
        if not 0 < discount <= 1:
            raise ValueError(f"discount must be in (0, 1], not {discount}")
        if vocab_size < 2:
            raise ValueError("the vocabulary needs at least one id besides <pad>")
        if not isinstance(ngram_counts, NGramCounts) or ngram_counts.order > order:
            ngram_counts = NGramCounts.from_mapping(ngram_counts, order=order, eos_id=eos_id)
        self.counts = _checked(_full_order(ngram_counts, order, eos_id), vocab_size, pad_id, eos_id)
        self.order = order
        self.vocab_size = vocab_size
        self.pad_id = pad_id
        self.eos_id = eos_id
        self._levels: list[Level]
        self.discounts: list[Discounts]
        self._levels, self.discounts = build_levels(
            self.counts, vocab_size=vocab_size, discount=discount, modified=modified
        )
        self._lookup = Lookup(self._levels, vocab_size=vocab_size, pad_id=pad_id, eos_id=eos_id)

    def context_of(self, context: Sequence[int]) -> tuple[int, ...]:
        """The last ``order - 1`` ids of ``context``; a shorter context means the
        sentence started just before it, so it gets the one ``<eos>`` that stands
        for the sentence start.

        >>> KneserNey({(2, 3): 1, (2, 3, 2): 1}, order=3, vocab_size=4).context_of([3])
        (2, 3)
        """
        width = self.order - 1
        if width == 0:
            return ()
        tail = tuple(context)[-width:]
        return tail if len(tail) == width else (self.eos_id, *tail)

    def prob(self, token_id: int, context: Sequence[int] = ()) -> float:
        """``P(token_id | context)``; 0 only for ``<pad>``.

        >>> lm = KneserNey(count_ngrams([3, 4, 2], 2, eos_id=2), order=2, vocab_size=5)
        >>> round(sum(lm.prob(w, (3,)) for w in range(5)), 12)
        1.0
        """
        if not 0 <= token_id < self.vocab_size:
            raise ValueError(f"token id {token_id} is outside the vocabulary")
        if token_id == self.pad_id:
            return 0.0
        return self._lookup.prob(token_id, self.context_of(context))

    def distribution(self, context: Sequence[int] = ()) -> list[float]:
        """``P(w | context)`` for every id ``w`` (``<pad>`` gets 0); sums to 1."""
        return self.distribution_array(context).tolist()

    def distribution_array(self, context: Sequence[int] = ()) -> np.ndarray:
        """:meth:`distribution` as a float64 numpy array: what sampling calls at every
        step, so it never builds a Python list over the vocabulary."""
        return self._lookup.distribution(self.context_of(context))

    def nll(self, ids: Iterable[int]) -> float:
        """Total ``-ln P`` of a token stream, restarting the context after each ``<eos>``
        (vectorised over the stream: see :mod:`baselines.kn_lookup`)."""
        return math.fsum(self.token_nlls(ids))

    def token_nlls(self, ids: Iterable[int]) -> list[float]:
        """``-ln P`` of each token of a stream, in the context :meth:`nll` uses; they
        sum to :meth:`nll`.

        >>> lm = KneserNey(count_ngrams([3, 4, 2], 2, eos_id=2), order=2, vocab_size=5)
        >>> round(sum(lm.token_nlls([3, 4, 2])) - lm.nll([3, 4, 2]), 12)
        0.0
        """
        return self._lookup.token_nlls(ids if isinstance(ids, (list, np.ndarray)) else list(ids))

    def num_ngrams(self) -> list[int]:
        """Number of distinct n-grams with followers, per order (1..order)."""
        return [len(level.keys) for level in self._levels]


def _full_order(counts: NGramCounts, order: int, eos_id: int) -> NGramCounts:
    """``counts`` with one (empty) table per length up to ``order``, and with old-style
    padded sentence starts (``<eos> <eos> ...``) read as the short n-grams they stand for."""
    padded_start = any(
        g.shape[1] > 2 and bool(np.any((g[:, 0] == eos_id) & (g[:, 1] == eos_id)))
        for g in counts.grams
    )
    if counts.order == order and not padded_start:
        return counts
    rows, lengths, weights = counts.padded()
    flat = rows[rows != FILLER]  # row-major: each n-gram's ids in order, end to end
    return NGramCounts.from_flat(flat, lengths, weights, order=order, eos_id=eos_id)


def _checked(counts: NGramCounts, vocab_size: int, pad_id: int, eos_id: int) -> NGramCounts:
    """``counts`` if every n-gram is one the model can hold: full length, or shorter
    and starting at the sentence start; ids in the vocabulary, no ``<pad>``; counts >= 1."""
    order = counts.order
    for length, (grams, c) in enumerate(counts.items_by_length(), start=1):
        bad = (grams < 0).any(axis=1) | (grams >= vocab_size).any(axis=1) | (c < 1)
        if length == 1 < order:
            bad[:] = True  # a unigram is only ever the whole n-gram of a unigram model
        elif length < order:
            bad |= grams[:, 0] != eos_id
        if bad.any():
            i = int(np.flatnonzero(bad)[0])
            raise ValueError(f"bad {order}-gram count {tuple(grams[i].tolist())}: {c[i]}")
        if (grams == pad_id).any():
            raise ValueError("<pad> cannot occur in n-gram counts")
    return counts
