"""How much of a generated text is new, and how much is copied from the training text.

A model that memorised its book copies it: novelty is the share of generated
n-grams never seen in training, and the longest verbatim copy is the longest
span of a sample found in the training stream (rolling hashes in numpy, so a
10^5-token training text costs well under a second).
"""

from __future__ import annotations

from collections.abc import Hashable, Iterator, Sequence
from dataclasses import dataclass

import numpy as np

Samples = Sequence[Sequence[str]]


def ngrams(tokens: Sequence[Hashable], n: int) -> Iterator[tuple[Hashable, ...]]:
    """The ``len(tokens) - n + 1`` contiguous n-grams (none if ``n > len``)."""
    if n < 1:
        raise ValueError(f"n must be >= 1, not {n}")
    return zip(*(tokens[i:] for i in range(n)), strict=False)


@dataclass(frozen=True)
class NoveltyResult:
    """``novel_ngram_share``: generated n-grams (with multiplicity) absent from
    the training text, 0.0 if there are none; ``longest_copy``: the longest
    token span of one sample found verbatim in the training text."""

    n: int
    novel_ngram_share: float
    longest_copy: int
    num_ngrams: int


def novelty(samples: Samples, training_tokens: Sequence[str], n: int = 4) -> NoveltyResult:
    """Novel n-gram share and longest verbatim copy from ``training_tokens``
    (one stream). The copy length is found by binary search over the span
    length with rolling hashes in numpy, so a 10^5-token training text costs
    well under a second; every hash match is confirmed token by token."""
    train_grams = set(ngrams(training_tokens, n))
    grams = [gram for sample in samples for gram in ngrams(sample, n)]
    share = sum(g not in train_grams for g in grams) / len(grams) if grams else 0.0
    return NoveltyResult(n, share, _longest_copy(samples, training_tokens), len(grams))


_BASE = 0x9E3779B97F4A7C15  # odd, so invertible modulo 2**64


def _powers(base: int, count: int) -> np.ndarray:
    """``base ** k`` modulo 2**64 for k in ``range(count)``."""
    out = np.full(count, base, dtype=np.uint64)
    out[:1] = 1
    return np.cumprod(out, dtype=np.uint64)


class _RollingHash:
    """Polynomial hashes modulo 2**64 of every window of an id array.

    With prefix sums ``Q[k] = sum_{j<k} t_j B^-j`` a window's hash is
    ``(Q[i+L] - Q[i]) * B^(i+L-1)``: O(len) numpy work per window length.
    uint64 arithmetic wraps, which is exactly the modulus we want.
    """

    def __init__(self, ids: np.ndarray) -> None:
        self.ids = ids
        self.powers = _powers(_BASE, len(ids) + 1)
        self.prefix = np.zeros(len(ids) + 1, dtype=np.uint64)
        np.cumsum(ids * _powers(pow(_BASE, -1, 2**64), len(ids)), out=self.prefix[1:])

    def windows(self, length: int) -> np.ndarray:
        end = np.arange(length, len(self.ids) + 1)
        diff = self.prefix[end] - self.prefix[end - length]
        return np.asarray(diff * self.powers[end - 1])


def _longest_copy(samples: Samples, training_tokens: Sequence[str]) -> int:
    """Length of the longest span of a sample found verbatim in the training
    stream. Monotone (a copied span's sub-spans are copied too), so binary
    search over the length, testing one length with sorted hashes."""
    vocab: dict[str, int] = {}
    train = np.array([vocab.setdefault(t, len(vocab) + 1) for t in training_tokens], np.uint64)
    # Tokens unseen in training get id 0: never equal to a training id.
    gens = [np.array([vocab.get(t, 0) for t in s], np.uint64) for s in samples if s]
    if not gens or not len(train):
        return 0
    train_hash = _RollingHash(train)
    gen_hashes = [_RollingHash(g) for g in gens]

    def copied(length: int) -> bool:
        ht = train_hash.windows(length)
        order = np.argsort(ht, kind="stable")
        sorted_ht = ht[order]
        for gh in gen_hashes:
            hg = gh.windows(length)
            left = np.searchsorted(sorted_ht, hg, "left")
            right = np.searchsorted(sorted_ht, hg, "right")
            for i in np.flatnonzero(right > left):
                for j in order[left[i] : right[i]]:  # confirm: hashes can collide
                    if np.array_equal(gh.ids[i : i + length], train[j : j + length]):
                        return True
        return False

    lo, hi = 0, min(len(train), max(len(g) for g in gens))
    while lo < hi:
        mid = (lo + hi + 1) // 2
        if copied(mid):
            lo = mid
        else:
            hi = mid - 1
    return lo
