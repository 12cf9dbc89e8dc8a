"""Reading Kneser-Ney probabilities out of the per-level tables of
:mod:`baselines.kn_estimation`: one context, one distribution, or a whole stream.

A stream is scored for all positions at once, one ``np.searchsorted`` per level
and step. That has a fixed cost of a few dozen numpy calls, a loss for the
short texts some callers score by the thousand (the spelling model scores every
vocabulary word on its own), so short ones take a scalar path whose look-ups are
memoised: the contexts and n-grams such callers ask for repeat a lot. Both paths
do the same float arithmetic in the same order, ``p = mass + gamma * p`` from
the empty context up, so they agree to the last bit but for the logarithm.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

import numpy as np

from baselines.kn_estimation import Level
from baselines.ngram_counts import sentence_positions

#: Positions per vectorised step: bounds the temporary arrays on long texts.
SCORE_CHUNK = 1 << 17
#: Texts shorter than this take the memoised scalar path.
SHORT_TEXT = 32
#: Memoised contexts and n-grams kept before the memo starts over.
MEMO_SIZE = 1 << 15


class Lookup:
    """Probabilities from ``levels`` (n-gram lengths 1..order) over ids ``0..vocab_size - 1``."""

    def __init__(self, levels: list[Level], *, vocab_size: int, pad_id: int, eos_id: int) -> None:
        self.levels, self.order = levels, len(levels)
        self.vocab_size, self.pad_id, self.eos_id = vocab_size, pad_id, eos_id
        self.uniform = 1.0 / (vocab_size - 1)
        self._contexts: dict[tuple[int, ...], tuple[list[int], list[float]]] = {}
        self._masses: list[dict[int, float]] = [{} for _ in levels]  # per level
        # The unigram level's followers are the whole vocabulary: added densely, not by
        # index (the same sums, as unseen words add 0.0).
        self._unigram_mass = np.zeros(vocab_size)
        self._unigram_mass[levels[0].keys] = levels[0].mass

    def context(self, ctx: tuple[int, ...]) -> tuple[list[int], list[float]]:
        """The ids and gammas of ``ctx``'s suffixes, shortest (the empty one) first, up
        to the first one never seen in training (unseen there means unseen at every
        longer one: each context's suffix is a context)."""
        known = self._contexts.get(ctx)
        if known is not None:
            return known
        ids: list[int] = []
        if len(self.levels[0].context_keys):  # else nothing was counted: uniform
            ids.append(0)
            for k in range(1, len(ctx) + 1):
                word, keys = ctx[-k], self.levels[k].context_keys
                key = ids[-1] * self.vocab_size + word
                at = int(keys.searchsorted(key))
                if not 0 <= word < self.vocab_size or at == len(keys) or keys[at] != key:
                    break
                ids.append(at)
        gammas = [float(self.levels[k].gamma[cid]) for k, cid in enumerate(ids)]
        if len(self._contexts) >= MEMO_SIZE:
            self._contexts.clear()
        self._contexts[ctx] = ids, gammas
        return ids, gammas

    def mass(self, k: int, key: int) -> float:
        """The discounted share of the n-gram ``key`` (context id * V + word) of length
        ``k + 1``, 0 if unseen: memoised, as :meth:`prob` asks for the same ones again."""
        level = self.levels[k]
        at = int(level.keys.searchsorted(key))
        seen = at < len(level.keys) and level.keys[at] == key
        mass = float(level.mass[at]) if seen else 0.0
        memo = self._masses[k]
        if len(memo) >= MEMO_SIZE:
            memo.clear()
        memo[key] = mass
        return mass

    def prob(self, token: int, ctx: tuple[int, ...]) -> float:
        """``P(token | ctx)``, ``ctx`` already cut to the model's context (see ``context_of``)."""
        p, v, memos = self.uniform, self.vocab_size, self._masses
        ids, gammas = self.context(ctx)
        for k in range(len(ids)):
            key = ids[k] * v + token
            mass = memos[k].get(key)
            p = (self.mass(k, key) if mass is None else mass) + gammas[k] * p
        return p

    def distribution(self, ctx: tuple[int, ...]) -> np.ndarray:
        """``P(w | ctx)`` for every id ``w``. Unrolled interpolation: each level's mass
        is weighted by the gammas of the levels above it, so the full-vocabulary array
        is built once; a level's followers of one context are one contiguous slice."""
        ids, gammas = self.context(ctx)
        v = self.vocab_size
        dist = np.full(v, self.uniform * math.prod(gammas))
        dist[self.pad_id] = 0.0
        weight = 1.0
        for k in range(len(ids) - 1, 0, -1):
            level, base = self.levels[k], ids[k] * v
            lo, hi = level.keys.searchsorted((base, base + v))
            dist[level.keys[lo:hi] - base] += weight * level.mass[lo:hi]
            weight *= gammas[k]
        if ids:
            dist += weight * self._unigram_mass
        return dist

    def token_nlls(self, x: list[int] | np.ndarray) -> list[float]:
        """``-ln P`` of each token of a stream, the context restarting after each ``<eos>``."""
        if len(x) < SHORT_TEXT:
            if len(x) and not (min(x) >= 0 and max(x) < self.vocab_size):
                raise ValueError("token ids outside the vocabulary")
            return self._short_nlls(x)
        ids = np.asarray(x, dtype=np.int64)
        if ids.min() < 0 or ids.max() >= self.vocab_size:
            raise ValueError("token ids outside the vocabulary")
        # Context lengths available: the sentence so far plus its <eos> start, at most order - 1.
        reach = np.minimum(sentence_positions(ids, self.eos_id) + 1, self.order - 1)
        padded = np.concatenate((np.full(self.order - 1, self.eos_id, dtype=np.int64), ids))
        out = np.empty(len(ids))
        for lo in range(0, len(ids), SCORE_CHUNK):
            hi = min(lo + SCORE_CHUNK, len(ids))
            out[lo:hi] = -np.log(self._probs(padded, reach, lo, hi))
        return out.tolist()

    def _short_nlls(self, x: Sequence[int] | np.ndarray) -> list[float]:
        """:meth:`prob` of each token, inlined (this loop is what the memo is for)."""
        width, eos, v, uniform = self.order - 1, self.eos_id, self.vocab_size, self.uniform
        contexts, memos = self._contexts, self._masses
        start = (eos,) if width else ()
        history, out = start, []
        for token in x:
            known = contexts.get(history)
            ids, gammas = self.context(history) if known is None else known
            p = uniform
            for k in range(len(ids)):
                key = ids[k] * v + token
                mass = memos[k].get(key)
                p = (self.mass(k, key) if mass is None else mass) + gammas[k] * p
            out.append(-math.log(p))
            if token == eos:
                history = start
            elif width:
                history = (*history, token)[-width:]
        return out

    def _probs(self, padded: np.ndarray, reach: np.ndarray, lo: int, hi: int) -> np.ndarray:
        """``P`` of tokens ``lo..hi`` of the stream (``padded`` has ``order - 1`` leading
        ``<eos>``), the interpolation run upwards for all positions at once; a position
        leaves the loop at its first unseen context, as :meth:`context` stops."""
        v, shift = self.vocab_size, self.order - 1
        tokens = padded[lo + shift : hi + shift]
        p = np.full(hi - lo, self.uniform)
        if not len(self.levels[0].context_keys):
            return p
        where = np.arange(hi - lo)  # positions whose context of length k was seen
        cid = np.zeros(hi - lo, dtype=np.int64)
        for k, level in enumerate(self.levels):
            if k:
                longer = reach[lo + where] >= k
                where, cid = where[longer], cid[longer]
                key = cid * v + padded[lo + where + shift - k]
                cid, seen = _find(level.context_keys, key)
                where, cid = where[seen], cid[seen]
            at, hit = _find(level.keys, cid * v + tokens[where])
            mass = np.where(hit, level.mass[np.minimum(at, len(level.mass) - 1)], 0.0)
            p[where] = mass + level.gamma[cid] * p[where]
        return p


def _find(keys: np.ndarray, wanted: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Index of each wanted key in the sorted ``keys``, and whether it is there."""
    at = keys.searchsorted(wanted)
    if not len(keys):
        return at, np.zeros(len(wanted), dtype=bool)
    return at, keys[np.minimum(at, len(keys) - 1)] == wanted
