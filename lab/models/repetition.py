"""The repetition controls of the sampling rule (:mod:`lab.models.sampling`, steps 1-2).

HuggingFace ``generate``'s two remedies for a model that loops, with its exact
semantics, so a setting means here what it means there:

* ``repetition_penalty`` (CTRL, Keskar et al. 2019): every token already in the
  sequence, the prompt included, has its logit divided by the penalty if it is
  positive and multiplied by it otherwise (:func:`penalize_repeats`);
* ``no_repeat_ngram_size``: a token that would complete an n-gram already in the
  sequence is banned (:func:`banned_next`).

Each rule is written once, here, and every model reaches it: the count models
through :func:`repetition_weights` / :func:`repetition_array` (weights are
``exp(logit)``; a count model's logits are its log-probabilities), the networks'
batched sampler through :func:`lab.neural.decoding.repetition_controls` on their
raw logits, as HF applies them. Neither is an exercise: the lab's Exercises 6-8
stay the temperature, top-k/top-p and decoding loop they were.
"""

from __future__ import annotations

import math
from collections.abc import Hashable, Sequence
from typing import Any, TypeVar

import numpy as np

H = TypeVar("H", bound=Hashable)


def penalize_repeats(logits: Any, penalty: float) -> Any:
    """HF's repetition penalty (CTRL): ``logit / penalty`` where the logit is positive,
    ``logit * penalty`` elsewhere, so a penalty above 1 always makes the token less likely.

    The caller applies it to the logits of the tokens already in the sequence. One
    expression for a float, a numpy array or a torch tensor (``-inf`` stays ``-inf``),
    so the reference and the networks' batched sampler share it.

    >>> penalize_repeats(2.0, 2.0), penalize_repeats(-1.0, 2.0)
    (1.0, -2.0)
    """
    one = logits**0  # 1 in the logits' own type and precision (also for -inf)
    return logits * penalty ** (one - 2 * one * (logits > 0))  # 1/penalty if positive


def banned_next(history: Sequence[H], n: int) -> set[H]:
    """HF's ``no_repeat_ngram_size``: the tokens that would complete an ``n``-gram
    already in ``history`` (the sequence so far, prompt included), i.e. every token
    that followed an earlier occurrence of the last ``n - 1`` tokens (``n = 1``:
    every token seen).

    >>> sorted(banned_next("abcab", 3))  # "ab" was followed by "c" before
    ['c']
    """
    h = list(history)
    if n < 1 or len(h) < n:
        return set()
    tail = h[len(h) - n + 1 :]
    return {h[i + n - 1] for i in range(len(h) - n + 1) if h[i : i + n - 1] == tail}


def repetition_weights(
    candidates: Sequence[H],
    weights: Sequence[float],
    history: Sequence[H],
    penalty: float,
    ngram_size: int,
) -> list[float]:
    """``weights`` (``exp(logit)``) after the rule's steps 1 and 2: the penalty, then the
    n-gram ban, for ``candidates`` and a ``history`` in the same alphabet (ids, or a
    chain's words). A ban that would leave no positive weight is not applied."""
    out = [float(w) for w in weights]
    if not history:
        return out
    if penalty != 1.0:
        seen = set(history)
        for i, c in enumerate(candidates):
            if c in seen and out[i] > 0:
                out[i] = math.exp(penalize_repeats(math.log(out[i]), penalty))
    if ngram_size:
        banned = banned_next(history, ngram_size)
        kept = [0.0 if c in banned else w for c, w in zip(candidates, out, strict=True)]
        if any(kept):  # a ban that leaves nothing to draw is not applied
            out = kept
    return out


def repetition_array(
    w: np.ndarray, history: Sequence[int], penalty: float, ngram_size: int
) -> np.ndarray:
    """:func:`repetition_weights` over a whole vocabulary at once (the candidates are
    the ids): a new array, ``w`` untouched."""
    if not history:
        return w
    w = w.copy()
    if penalty != 1.0:
        seen = np.fromiter(set(history), dtype=np.int64)
        seen = seen[w[seen] > 0]
        w[seen] = np.exp(penalize_repeats(np.log(w[seen]), penalty))
    if ngram_size:
        banned = list(banned_next(history, ngram_size))
        kept = w.copy()
        kept[banned] = 0.0
        if kept.any():  # a ban that leaves nothing to draw is not applied
            w = kept
    return w
