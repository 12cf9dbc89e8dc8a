"""Interpolated Kneser-Ney n-gram probabilities (orders 1-5), in plain dicts.

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
Penn Treebank that over-smoothing cost the 5-gram 3% of perplexity. Scoring is a few
dict look-ups per token; ``nltk.lm`` is avoided on purpose (slow, and infinite
perplexity for any unseen word). The :class:`lab.models.protocol.Generator` around
this is :class:`baselines.ngram.NGramGenerator`.
"""

from __future__ import annotations

import gc
import math
from collections import Counter
from collections.abc import Iterable, Iterator, Mapping, Sequence
from contextlib import contextmanager

import numpy as np

MAX_ORDER = 5
#: Contexts whose follower arrays :meth:`KneserNey.distribution_array` keeps.
ARRAY_CACHE_SIZE = 4096

# Per context: (discounted probability mass of each seen follower, back-off weight gamma).
_Entry = tuple[dict[int, float], float]


def count_ngrams(ids: Iterable[int], order: int, eos_id: int) -> Counter[tuple[int, ...]]:
    """Counts of the n-grams of a token stream that :class:`KneserNey` is built from:
    for each token, the token with its context in the sentence, up to ``order - 1``
    ids long and starting with one ``<eos>`` (the sentence start) while the sentence
    is shorter than that. The context restarts after each ``<eos>``.

    >>> sorted(count_ngrams([5, 6, 2], order=3, eos_id=2).items())
    [((2, 5), 1), ((2, 5, 6), 1), ((5, 6, 2), 1)]
    """
    width = order - 1
    start = (eos_id,) if width else ()
    history = start
    counts: Counter[tuple[int, ...]] = Counter()
    for token in ids:
        counts[(*history, token)] += 1
        if token == eos_id:
            history = start
        elif width:
            history = (*history, token)[-width:]
    return counts


class KneserNey:
    """Interpolated Kneser-Ney probabilities built from highest-order n-gram counts.

    Args:
        ngram_counts: raw counts of ``order``-grams of vocabulary ids, as made by
            :func:`count_ngrams`. Lower-order counts are derived from them, which
            is exact because every token has a full (padded) context.
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
        self.counts: Counter[tuple[int, ...]] = Counter()
        for gram, count in ngram_counts.items():
            gram = _sentence_start_once(tuple(gram), eos_id)
            full = len(gram) == order or (1 < len(gram) < order and gram[0] == eos_id)
            if not full or count < 1 or not all(0 <= i < vocab_size for i in gram):
                raise ValueError(f"bad {order}-gram count {gram}: {count}")
            if pad_id in gram:
                raise ValueError("<pad> cannot occur in n-gram counts")
            self.counts[gram] += count
        self.order = order
        self.vocab_size = vocab_size
        self.pad_id = pad_id
        self.eos_id = eos_id
        self._uniform = 1.0 / (vocab_size - 1)
        self._arrays: dict[tuple[int, ...], tuple[np.ndarray, np.ndarray]] = {}
        fixed = (discount, discount, discount)
        self.discounts: list[tuple[float, float, float]] = [fixed] * order
        self._tables: list[dict[tuple[int, ...], _Entry]] = [{} for _ in range(order)]
        with _gc_paused():
            for n, adjusted in self._adjusted_counts():
                if modified:
                    self.discounts[n - 1] = _estimate_discounts(adjusted.values(), discount)
                self._tables[n - 1] = _context_table(adjusted, self.discounts[n - 1])

    def _adjusted_counts(self) -> Iterator[tuple[int, Counter[tuple[int, ...]]]]:
        """``(n, counts of n-grams)`` from the top order down: raw counts at the top,
        continuation counts below, except for n-grams that start at a sentence start:
        nothing can precede ``<s>``, so theirs stay raw (as in SRILM and KenLM).

        Lower-order raw counts are suffix sums of the order above plus the sentence-start
        n-grams counted at that length; only two orders are held at a time, which
        matters for a 5-gram model of a million tokens."""
        by_length: list[Counter[tuple[int, ...]]] = [Counter() for _ in range(self.order + 1)]
        for gram, count in self.counts.items():
            by_length[len(gram)][gram] = count
        upper = by_length[self.order]
        yield self.order, upper
        for n in range(self.order - 1, 0, -1):
            raw = by_length[n]  # sentence-start n-grams: raw counts, no left extension
            adjusted = Counter(raw)  # plus the number of distinct left extensions
            for gram, count in upper.items():
                raw[gram[1:]] += count
                adjusted[gram[1:]] += 1
            yield n, adjusted
            upper, by_length[n + 1] = raw, Counter()  # the order above is done with

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
        p = self._uniform
        for mass, gamma in self._levels(self.context_of(context)):
            p = mass.get(token_id, 0.0) + gamma * p
        return p

    def _levels(self, ctx: tuple[int, ...]) -> list[_Entry]:
        """The table entries of ``ctx``'s suffixes, shortest first, up to the first
        one never seen in training (unseen there means unseen at every longer one)."""
        levels: list[_Entry] = []
        for n in range(len(ctx) + 1):  # n = context length
            entry = self._tables[n].get(ctx[len(ctx) - n :])
            if entry is None:
                break
            levels.append(entry)
        return levels

    def distribution(self, context: Sequence[int] = ()) -> list[float]:
        """``P(w | context)`` for every id ``w`` (``<pad>`` gets 0); sums to 1."""
        levels = self._levels(self.context_of(context))
        # Unrolled interpolation: each level's mass is weighted by the gammas of the
        # levels above it, so the full-vocabulary list is built once, not per order.
        weight = math.prod(gamma for _, gamma in levels)
        dist = [self._uniform * weight] * self.vocab_size
        dist[self.pad_id] = 0.0
        weight = 1.0
        for mass, gamma in reversed(levels):
            for token, m in mass.items():
                dist[token] += weight * m
            weight *= gamma
        return dist

    def distribution_array(self, context: Sequence[int] = ()) -> np.ndarray:
        """:meth:`distribution` as a float64 numpy array, from per-context arrays
        made once: what sampling calls at every step, so it must not build a
        Python list over the whole vocabulary."""
        ctx = self.context_of(context)
        levels = self._levels(ctx)
        weight = math.prod(gamma for _, gamma in levels)
        dist = np.full(self.vocab_size, self._uniform * weight)
        dist[self.pad_id] = 0.0
        weight = 1.0
        for n in range(len(levels) - 1, -1, -1):
            ids, shares = self._level_arrays(ctx[len(ctx) - n :], levels[n][0])
            dist[ids] += weight * shares
            weight *= levels[n][1]
        return dist

    def _level_arrays(
        self, key: tuple[int, ...], mass: dict[int, float]
    ) -> tuple[np.ndarray, np.ndarray]:
        arrays = self._arrays.get(key)
        if arrays is None:
            if len(self._arrays) >= ARRAY_CACHE_SIZE:
                self._arrays.clear()
            arrays = (
                np.fromiter(mass.keys(), dtype=np.int64),
                np.fromiter(mass.values(), dtype=np.float64),
            )
            self._arrays[key] = arrays
        return arrays

    def nll(self, ids: Iterable[int]) -> float:
        """Total ``-ln P`` of a token stream, restarting the context after each ``<eos>``.

        The inner loop repeats :meth:`prob` inline: scoring speed is the point."""
        width, eos, tables, uniform = self.order - 1, self.eos_id, self._tables, self._uniform
        start = (eos,) if width else ()
        history, total = start, 0.0
        for token in ids:
            p = uniform
            h = len(history)
            for n in range(h + 1):
                entry = tables[n].get(history[h - n :])
                if entry is None:
                    break
                p = entry[0].get(token, 0.0) + entry[1] * p
            total -= math.log(p)
            if token == eos:
                history = start
            elif width:
                history = (*history, token)[-width:]
        return total

    def token_nlls(self, ids: Iterable[int]) -> list[float]:
        """``-ln P`` of each token of a stream, in the context :meth:`nll` uses; they
        sum to :meth:`nll`. Built on :meth:`prob` (the same arithmetic), for views
        of one text at a time where :meth:`nll`'s inlined speed does not matter.

        >>> lm = KneserNey(count_ngrams([3, 4, 2], 2, eos_id=2), order=2, vocab_size=5)
        >>> round(sum(lm.token_nlls([3, 4, 2])) - lm.nll([3, 4, 2]), 12)
        0.0
        """
        width = self.order - 1
        history: tuple[int, ...] = ()
        out: list[float] = []
        for token in ids:
            out.append(-math.log(self.prob(token, history)))
            keep = max(len(history) + 1 - width, 0)  # the last ``width`` ids, as nll() keeps
            history = () if token == self.eos_id else (*history, token)[keep:]
        return out

    def num_ngrams(self) -> list[int]:
        """Number of distinct n-grams with followers, per order (1..order)."""
        return [sum(len(mass) for mass, _ in table.values()) for table in self._tables]


def _sentence_start_once(gram: tuple[int, ...], eos_id: int) -> tuple[int, ...]:
    """``gram`` with a run of leading ``<eos>`` in its context cut to one: the form
    older saved models used (every sentence padded with ``order - 1`` of them) read
    as the sentence-start n-gram it stands for.

    >>> _sentence_start_once((2, 2, 2, 7), eos_id=2)
    (2, 7)
    """
    while len(gram) > 2 and gram[0] == gram[1] == eos_id:
        gram = gram[1:]
    return gram


@contextmanager
def _gc_paused() -> Iterator[None]:
    """Pause the cyclic garbage collector while building millions of small dicts and
    tuples (none of them cyclic): the collections they would trigger are pure overhead,
    a fifth or so of a 5-gram build. The previous setting is restored, even on error."""
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_enabled:
            gc.enable()


def _estimate_discounts(counts: Iterable[int], fallback: float) -> tuple[float, float, float]:
    """Chen & Goodman's (D1, D2, D3+) from the count-of-counts n1..n4, or
    ``fallback`` thrice when a count-of-count is zero or an estimate is out of range."""
    n = Counter(min(c, 5) for c in counts)
    if min(n[1], n[2], n[3], n[4]) == 0:
        return (fallback,) * 3
    y = n[1] / (n[1] + 2 * n[2])
    d = (1 - 2 * y * n[2] / n[1], 2 - 3 * y * n[3] / n[2], 3 - 4 * y * n[4] / n[3])
    if not all(0 < dk <= k for k, dk in enumerate(d, start=1)):
        return (fallback,) * 3
    return d


def _context_table(
    adjusted: Mapping[tuple[int, ...], int], discounts: tuple[float, float, float]
) -> dict[tuple[int, ...], _Entry]:
    """For each context: each follower's discounted share, and the left-over weight gamma."""
    followers: dict[tuple[int, ...], dict[int, float]] = {}
    for gram, count in adjusted.items():
        followers.setdefault(gram[:-1], {})[gram[-1]] = count
    table: dict[tuple[int, ...], _Entry] = {}
    d1, d2, d3 = discounts
    for context, counts in followers.items():
        total = sum(counts.values())
        taken = 0.0
        for w, c in counts.items():  # counts become shares in place: no second dict
            d = d1 if c == 1 else d2 if c == 2 else d3
            taken += d
            counts[w] = (c - d) / total
        table[context] = (counts, taken / total)
    return table
