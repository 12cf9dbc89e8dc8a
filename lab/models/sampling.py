"""How the next token is chosen: the settings, and the reference sampler in pure Python.

:class:`SamplingConfig` is the one description of a decoding rule for every
model. The rule, in HuggingFace ``generate``'s order:

1. **repetition penalty** and 2. **no-repeat n-gram ban**, HF's
   ``repetition_penalty`` and ``no_repeat_ngram_size`` on the sequence so far,
   prompt included (:mod:`lab.models.repetition`);
3. **greedy** takes the arg-max of what is left; among equal weights the
   lowest token id (the first candidate) wins, so greedy decoding uses no
   randomness, and steps 4-6 do not apply (temperature 0 means greedy);
4. **temperature** ``T`` turns weights into ``w ** (1 / T)`` (logits divided
   by ``T``): below 1 sharpens, above 1 flattens;
5. **top-k** keeps exactly the ``k`` largest weights; ties at the cut are
   broken by position (lower id first), so never more than ``k`` survive
   (``k = 0``: off);
6. **top-p** (nucleus, Holtzman et al. 2020) keeps the smallest prefix, by
   descending weight (ties by position), whose share reaches ``p``, with a
   tolerance of 1e-12 for float rounding;
7. one draw from what is left, proportional to the weights.

Zero weights (banned tokens such as ``<pad>`` and ``<unk>``) are never chosen.
Weights are ``exp(logit)``: a network's exponentiated output scores, a count
model's probabilities (a seen token's ``p`` becomes ``p ** penalty``). Only
the penalty reads the weights' scale (HF's rule looks at the logit's sign).
This module is the reference: the count models sample with :func:`choose`
(:func:`choose_index` is its numpy form for whole vocabularies), and the
networks' torch sampler, the lab's Exercises 6 and 7 (:mod:`lab.neural.decoding`),
is tested to keep the same support with the same probabilities
(``tests/test_sampler_parity.py``).

>>> import random
>>> choose(["a", "b", "c"], [1, 5, 2], GREEDY, random.Random(0))
'b'
"""

from __future__ import annotations

import bisect
import itertools
import math
import random
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, TypeVar

import numpy as np

from lab.errors import OptionError
from lab.limits import MIN_TEMPERATURE
from lab.models.repetition import repetition_array, repetition_weights

T = TypeVar("T")

#: Sums of normalised floats land a hair below top_p: a nucleus of p would take a token too many.
TOP_P_TOLERANCE = 1e-12


@dataclass(frozen=True)
class SamplingConfig:
    """How the next token is chosen (the module docstring gives the exact rule).

    ``repetition_penalty`` 1 and ``no_repeat_ngram_size`` 0 are off. As in HF and
    nanoGPT, ``temperature=0`` is greedy and ``top_k=0`` is no cut, stored in that
    form (``SamplingConfig(temperature=0) == GREEDY``).
    """

    greedy: bool = False
    temperature: float = 1.0
    top_k: int | None = None
    top_p: float | None = None
    repetition_penalty: float = 1.0
    no_repeat_ngram_size: int = 0

    def __post_init__(self) -> None:
        if self.temperature == 0:  # the greedy limit, as HF and nanoGPT users write it
            object.__setattr__(self, "greedy", True)
            object.__setattr__(self, "temperature", 1.0)
        if self.top_k == 0:
            object.__setattr__(self, "top_k", None)
        t, k, p, rp, n = self.temperature, self.top_k, self.top_p, *self.controls
        for ok, problem in (
            (t > 0 and math.isfinite(t), f"temperature must be a positive number (or 0), not {t}"),
            # below it logits / T overflow float32: greedy is the limit
            (t >= MIN_TEMPERATURE, f"temperature must be >= {MIN_TEMPERATURE:g} (or 0), not {t:g}"),
            (k is None or k >= 0, f"top_k must be >= 0 (0 = off), not {k}"),
            (p is None or 0 < p <= 1, f"top_p must be in (0, 1], not {p}"),
            (rp > 0 and math.isfinite(rp), f"repetition_penalty must be positive, not {rp}"),
            (n >= 0, f"no_repeat_ngram_size must be >= 0 (0 = off), not {n}"),
        ):
            if not ok:
                raise OptionError(problem)

    @property
    def label(self) -> str:
        """Short name for tables: ``greedy``, ``T=0.8``, ``T=1.0,k=40``, ``greedy,no-repeat-3``."""
        parts = ["greedy"] if self.greedy else [f"T={self.temperature:g}"]
        if self.top_k is not None and not self.greedy:
            parts.append(f"k={self.top_k}")
        if self.top_p is not None and not self.greedy:
            parts.append(f"p={self.top_p:g}")
        if self.repetition_penalty != 1.0:
            parts.append(f"rep={self.repetition_penalty:g}")
        if self.no_repeat_ngram_size:
            parts.append(f"no-repeat-{self.no_repeat_ngram_size}")
        return ",".join(parts)

    @property
    def reads_history(self) -> bool:
        """Whether the choice depends on the sequence so far (a penalty or an n-gram ban)."""
        return self.repetition_penalty != 1.0 or self.no_repeat_ngram_size > 0

    @property
    def controls(self) -> tuple[float, int]:
        """The repetition controls' arguments (:mod:`lab.models.repetition`)."""
        return self.repetition_penalty, self.no_repeat_ngram_size

    @property
    def is_plain(self) -> bool:
        """True for pure sampling from the model's own distribution (T = 1, no cuts)."""
        return (
            not self.greedy
            and self.temperature == 1.0
            and self.top_k is None
            and (self.top_p or 1.0) >= 1
            and not self.reads_history
        )


GREEDY = SamplingConfig(greedy=True)


def choose(
    candidates: Sequence[T],
    weights: Sequence[float],
    sampling: SamplingConfig,
    rng: random.Random,
    *,
    history: Sequence[T] = (),
) -> T:
    """Pick one of ``candidates``; ``weights`` are unnormalised probabilities or counts
    (``exp(logit)``: see the module docstring), ``history`` the sequence so far in the
    candidates' alphabet, read by the repetition penalty and the n-gram ban.

    Greedy returns the first candidate of largest weight (ties by position: no
    randomness). Otherwise temperature (in log space, so tiny ones do not
    overflow), top-k and top-p apply and one ``rng.random()`` draw picks.

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
    if sampling.reads_history:
        weights = repetition_weights(candidates, weights, history, *sampling.controls)
    if sampling.greedy:
        return candidates[weights.index(max(weights))]  # index() finds the first maximum
    if sampling.is_plain:
        return candidates[_draw(range(len(weights)), weights, rng)]  # plain sampling, C speed
    kept = _filtered(weights, sampling)
    return candidates[_draw([i for i, _ in kept], [w for _, w in kept], rng)]


def sampling_distribution(
    weights: Sequence[float],
    sampling: SamplingConfig,
    *,
    candidates: Sequence[Any] | None = None,
    history: Sequence[Any] = (),
) -> list[float]:
    """The probabilities :func:`choose` draws from, one per weight (zeros for cut tokens);
    ``candidates`` (default: the indices) and ``history`` as :func:`choose` takes them:
    the definition the torch sampler is tested against.

    >>> sampling_distribution([2.0, 1.0, 1.0], SamplingConfig(top_k=2))
    [0.6666666666666666, 0.3333333333333333, 0.0]
    """
    if not weights or min(weights) < 0 or not math.isfinite(sum(weights)) or sum(weights) <= 0:
        raise ValueError("weights must be finite, non-negative and not all zero")
    if sampling.reads_history:
        names = range(len(weights)) if candidates is None else candidates
        weights = repetition_weights(names, weights, history, *sampling.controls)
    if sampling.greedy:
        best = list(weights).index(max(weights))
        return [1.0 if i == best else 0.0 for i in range(len(weights))]
    kept = _filtered(weights, sampling)
    total = sum(w for _, w in kept)
    probs = [0.0] * len(weights)
    for i, w in kept:
        probs[i] = w / total
    return probs


def choose_index(
    weights: np.ndarray,
    sampling: SamplingConfig,
    rng: random.Random,
    *,
    history: Sequence[int] = (),
) -> int:
    """:func:`choose` for a whole vocabulary's weights at once: the index chosen
    (``history``: the ids so far, for the repetition penalty and the n-gram ban).

    What the n-gram and unigram models call at every token. Greedy and temperature
    run in numpy with :func:`choose`'s single ``rng.random()`` draw; a top-k or top-p
    cut goes through :func:`choose`, the one definition of the cuts outside torch.
    """
    w = _check_array(weights)
    if sampling.reads_history:
        w = repetition_array(w, history, *sampling.controls)
    if sampling.greedy:
        return int(np.argmax(w))  # the first maximum, as choose() takes
    if sampling.top_k is not None or (sampling.top_p or 1.0) < 1.0:
        return choose(range(len(w)), w.tolist(), sampling, rng)
    if sampling.temperature != 1.0:  # w ** (1/T), scaled so the largest weight is 1
        kept = w > 0
        log_w = np.log(w[kept])
        w = np.zeros_like(w)
        w[kept] = np.exp((log_w - log_w.max()) / sampling.temperature)
    cumulative = np.cumsum(w / w.sum())
    # side="right" skips zero-weight entries, whose interval is empty (as bisect_right).
    index = int(np.searchsorted(cumulative, rng.random() * cumulative[-1], side="right"))
    if index >= len(w):  # the draw rounded up to the total: the last non-zero entry
        index = int(np.flatnonzero(w)[-1])
    return index


def _check_array(weights: np.ndarray) -> np.ndarray:
    w = np.asarray(weights, dtype=np.float64)
    total = float(w.sum()) if w.size else 0.0
    if not w.size or float(w.min()) < 0 or not math.isfinite(total) or total <= 0:
        raise ValueError("weights must be finite, non-negative and not all zero")
    return w


def _filtered(weights: Sequence[float], sampling: SamplingConfig) -> list[tuple[int, float]]:
    """``(index, weight)`` of the tokens that survive temperature, top-k and top-p."""
    kept = [(i, float(w)) for i, w in enumerate(weights) if w > 0]
    if sampling.temperature != 1.0:
        kept = _apply_temperature(kept, sampling.temperature)
    if sampling.top_k is not None and sampling.top_k < len(kept):
        kept = sorted(kept, key=lambda iw: -iw[1])[: sampling.top_k]  # stable: ties by id
    if sampling.top_p is not None and sampling.top_p < 1.0:
        kept = _nucleus(kept, sampling.top_p)
    return kept


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
        if cumulative >= top_p - TOP_P_TOLERANCE:
            break
    return nucleus


def _draw(indices: Sequence[int], weights: Sequence[float], rng: random.Random) -> int:
    """One of ``indices``, drawn with probability proportional to its weight."""
    return indices[draw_cumulative(list(itertools.accumulate(weights)), rng)]


def draw_cumulative(cumulative: Sequence[float], rng: random.Random) -> int:
    """The index drawn, with one ``rng.random()``, with probability proportional to
    its weight, given the running sums of the weights (precomputed by callers that
    draw from the same weights again and again).

    A zero weight adds an empty interval to the cumulative sums, which
    ``bisect_right`` can never land in.

    >>> sorted({draw_cumulative([0.0, 2.0, 2.0, 3.0], random.Random(s)) for s in range(50)})
    [1, 3]
    """
    position = bisect.bisect_right(cumulative, rng.random() * cumulative[-1])
    if position == len(cumulative):  # the draw rounded up to the total: the last non-zero
        position = bisect.bisect_left(cumulative, cumulative[-1])
    return position
