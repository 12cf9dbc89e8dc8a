"""Choosing the next token from counts or probabilities, in pure Python.

The neural models sample from logit tensors; the count-based baselines hold
plain Python weights (Markov follower counts, Kneser-Ney probabilities), so
they share this one small function instead. It applies a
:class:`lab.protocol.SamplingConfig` the same way the neural sampler does:
greedy arg-max, else temperature, then top-k, then top-p (nucleus), then one
draw from the caller's ``random.Random`` (never the global one, so a seed
reproduces a sample).

>>> import random
>>> from lab.protocol import GREEDY
>>> choose(["a", "b", "c"], [1, 5, 2], GREEDY, random.Random(0))
'b'
"""

from __future__ import annotations

import bisect
import itertools
import math
import random
from collections.abc import Sequence
from typing import TypeVar

from lab.protocol import SamplingConfig

T = TypeVar("T")

# Cumulative sums of normalised floats can land a hair below top_p; without a
# tolerance a nucleus of exactly p would take one token too many.
_TOP_P_TOLERANCE = 1e-12


def choose(
    candidates: Sequence[T],
    weights: Sequence[float],
    sampling: SamplingConfig,
    rng: random.Random,
) -> T:
    """Pick one of ``candidates``; ``weights`` are unnormalised probabilities or counts.

    Greedy returns the first candidate of largest weight (ties broken by
    position, so the result is deterministic and uses no randomness).
    Otherwise weights become ``w ** (1 / temperature)`` (computed in log space
    so tiny temperatures do not overflow), are cut to the ``top_k`` largest
    (ties by position) and to the smallest set whose probability reaches
    ``top_p``, and exactly one ``rng.random()`` draw picks among the rest.
    Zero weights are never chosen.

    Raises:
        ValueError: no candidates, mismatched lengths, a negative or
            non-finite weight, or no positive weight at all.
    """
    if len(candidates) != len(weights):
        raise ValueError(f"{len(candidates)} candidates but {len(weights)} weights")
    if not candidates:
        raise ValueError("nothing to choose from: no candidates")
    total = sum(weights)
    if min(weights) < 0 or not math.isfinite(total):  # a NaN or infinity spoils the sum
        raise ValueError("weights must be finite and non-negative")
    if total <= 0:
        raise ValueError("nothing to choose from: every weight is zero")
    if sampling.greedy:
        return candidates[weights.index(max(weights))]  # index() finds the first maximum
    if sampling.temperature == 1.0 and sampling.top_k is None and (sampling.top_p or 1.0) >= 1:
        return candidates[_draw(range(len(weights)), weights, rng)]  # plain sampling, C speed
    kept = [(i, float(w)) for i, w in enumerate(weights) if w > 0]
    if sampling.temperature != 1.0:
        kept = _apply_temperature(kept, sampling.temperature)
    if sampling.top_k is not None and sampling.top_k < len(kept):
        kept = sorted(kept, key=lambda iw: -iw[1])[: sampling.top_k]
    if sampling.top_p is not None and sampling.top_p < 1.0:
        kept = _nucleus(kept, sampling.top_p)
    return candidates[_draw([i for i, _ in kept], [w for _, w in kept], rng)]


def _apply_temperature(
    kept: list[tuple[int, float]], temperature: float
) -> list[tuple[int, float]]:
    """``w ** (1/T)`` scaled so the largest weight is 1 (no overflow for small T).

    Weights that underflow to zero drop out, which is the greedy limit."""
    log_max = max(math.log(w) for _, w in kept)
    scaled = [(i, math.exp((math.log(w) - log_max) / temperature)) for i, w in kept]
    return [(i, w) for i, w in scaled if w > 0]


def _nucleus(kept: list[tuple[int, float]], top_p: float) -> list[tuple[int, float]]:
    """The smallest prefix, by descending weight, whose share reaches ``top_p``."""
    ranked = sorted(kept, key=lambda iw: -iw[1])
    total = sum(w for _, w in ranked)
    nucleus: list[tuple[int, float]] = []
    cumulative = 0.0
    for item in ranked:
        nucleus.append(item)
        cumulative += item[1] / total
        if cumulative >= top_p - _TOP_P_TOLERANCE:
            break
    return nucleus


def _draw(indices: Sequence[int], weights: Sequence[float], rng: random.Random) -> int:
    """One of ``indices``, drawn with probability proportional to its weight.

    A zero weight adds an empty interval to the cumulative sums, which
    ``bisect_right`` can never land in."""
    cumulative = list(itertools.accumulate(weights))
    position = bisect.bisect_right(cumulative, rng.random() * cumulative[-1])
    if position == len(indices):  # the draw rounded up to the total: take the last non-zero
        position = max(i for i, w in enumerate(weights) if w > 0)
    return indices[position]
