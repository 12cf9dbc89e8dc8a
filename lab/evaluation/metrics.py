"""Repetition and diversity metrics of generated text, as pure functions.

Perplexity says nothing about what a model writes: greedy decoding of a good
model still loops, and a model that memorised its training text copies it.
These metrics measure that on token sequences (words or characters; ``<eos>``
counts as a token if present). Sources: distinct-n, Li et al. 2016 "A
Diversity-Promoting Objective Function for Neural Conversation Models";
seq-rep-n and rep/l, Welleck et al. 2019 "Neural Text Generation with
Unlikelihood Training"; repetition % and the Zipf coefficient, Holtzman et al.
2020 "The Curious Case of Neural Text Degeneration".

``samples`` is a sequence of token sequences; a lone ``str`` counts as a
sequence of characters, so pass ``[tokens]``, not ``tokens``, for one sample.
"""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Hashable, Sequence
from dataclasses import dataclass
from typing import Literal

import numpy as np

from lab.evaluation.novelty import NoveltyResult, ngrams, novelty

Samples = Sequence[Sequence[str]]

METRIC_KEYS: tuple[str, ...] = (
    *("mean_length", "distinct_1", "distinct_2", "distinct_3", "distinct_4", "seq_rep_2"),
    *("seq_rep_4", "rep_16", "rep_32", "loop_rate", "mean_loop_period", "novel_4gram"),
    *("longest_copy", "zipf"),
)
"""Keys of :func:`repetition_metrics`, in table order."""

__all__ = [
    "METRIC_KEYS",
    "LoopResult",
    "NoveltyResult",
    "detect_loop",
    "distinct_n",
    "mean_rep_l",
    "mean_seq_rep_n",
    "ngrams",
    "novelty",
    "rep_l",
    "repetition_metrics",
    "repetition_rate",
    "seq_rep_n",
    "zipf_coefficient",
]


def distinct_n(
    samples: Samples, n: int, *, denominator: Literal["tokens", "ngrams"] = "tokens"
) -> float:
    """distinct-n: unique n-grams across all samples / total generated tokens.

    ``denominator="tokens"`` is Li et al. (2016); ``"ngrams"`` is the common
    variant dividing by the number of n-grams (``len - n + 1`` per sample),
    which reaches 1.0 when no n-gram repeats. 0.0 for empty input.

    >>> distinct_n([["a", "b", "a"]], 1)  # {a, b} / 3 tokens
    0.6666666666666666

    Exercise 10: collect the unique n-grams of every sample (use
    :func:`ngrams`) and divide by the chosen denominator.
    """
    # BEGIN SOLUTION
    if denominator not in ("tokens", "ngrams"):
        raise ValueError(f"denominator must be 'tokens' or 'ngrams', not {denominator!r}")
    unique: set[tuple[Hashable, ...]] = set()
    tokens = grams = 0
    for sample in samples:
        unique.update(ngrams(sample, n))
        tokens += len(sample)
        grams += max(0, len(sample) - n + 1)
    total = tokens if denominator == "tokens" else grams
    return len(unique) / total if total else 0.0
    # END SOLUTION


def seq_rep_n(sample: Sequence[str], n: int) -> float:
    """seq-rep-n (Welleck et al. 2019): 1 - unique n-grams / n-grams of one
    continuation (abab, n=2: ab ba ab -> 1 - 2/3); 0.0 without n-grams."""
    grams = list(ngrams(sample, n))
    return 1.0 - len(set(grams)) / len(grams) if grams else 0.0


def mean_seq_rep_n(samples: Samples, n: int) -> float:
    """Mean :func:`seq_rep_n` over the samples that have at least one n-gram
    (shorter ones have no defined value); 0.0 if none has."""
    values = [seq_rep_n(s, n) for s in samples if len(s) >= n]
    return sum(values) / len(values) if values else 0.0


def rep_l(sample: Sequence[str], l: int, *, context: Sequence[str] = ()) -> float:  # noqa: E741
    """rep/l (Welleck et al. 2019): share of positions whose token occurs among
    the previous ``l`` tokens. ``context`` (e.g. the prompt) may supply those
    previous tokens but its own positions are not counted; the first position
    of a sample without context never repeats. 0.0 for an empty sample.

    >>> rep_l(["a", "b", "a", "c"], 2)  # only the second "a" repeats
    0.25
    """
    if l < 1:
        raise ValueError(f"l must be >= 1, not {l}")
    if not sample:
        return 0.0
    seq = [*context, *sample]
    window: Counter[str] = Counter()  # tokens at positions t-l .. t-1
    hits = 0
    for t, tok in enumerate(seq):
        if t >= len(context) and window[tok] > 0:
            hits += 1
        window[tok] += 1
        if t >= l:
            window[seq[t - l]] -= 1
    return hits / len(sample)


def mean_rep_l(samples: Samples, l: int) -> float:  # noqa: E741
    """Mean :func:`rep_l` over non-empty samples; 0.0 if there are none."""
    values = [rep_l(s, l) for s in samples if s]
    return sum(values) / len(values) if values else 0.0


@dataclass(frozen=True)
class LoopResult:
    """The last ``span`` tokens, from index ``onset``, repeat with ``period``."""

    period: int
    onset: int
    span: int

    @property
    def repeats(self) -> float:
        """Copies of the cycle in the tail (fractional if it ends mid-cycle)."""
        return self.span / self.period


def detect_loop(
    sample: Sequence[str],
    *,
    min_period: int = 1,
    max_period: int | None = None,
    min_repeats: int = 2,
    min_span: int = 6,
) -> LoopResult | None:
    """Whether ``sample`` ends in a repeating loop, and which.

    Rule: the tail ``sample[onset:]`` has period p (each token equals the one p
    before it; the last cycle may be cut short by a length limit) and covers
    at least ``max(min_repeats * p, min_span)`` tokens. ``min_span`` keeps
    natural repeats ("very very") out: by default period 1 needs 6 copies,
    period 2 needs 3, longer periods 2. Raise it for character tokens.
    Returns the smallest qualifying period with its earliest onset, or None.

    >>> detect_loop(list("xababab"))
    LoopResult(period=2, onset=1, span=6)

    Exercise 11: ``ValueError`` unless ``min_period >= 1`` and
    ``min_repeats >= 2``. Try each period ``p`` from ``min_period`` up to
    ``len(sample) // min_repeats`` (and at most ``max_period`` if given). For
    a period ``p``, let ``f`` be the smallest index ``>= p`` such that every
    token from ``f`` to the end equals the token ``p`` places before it
    (``f = len(sample)`` if the last token does not); the loop then starts
    at ``onset = f - p`` (its first copy) and spans ``len(sample) - onset``
    tokens. Return the first ``p`` whose span is at least
    ``max(min_repeats * p, min_span)``.
    """
    # BEGIN SOLUTION
    if min_period < 1 or min_repeats < 2:
        raise ValueError("need min_period >= 1 and min_repeats >= 2")
    n = len(sample)
    top = n // min_repeats if max_period is None else min(max_period, n // min_repeats)
    for p in range(min_period, top + 1):
        j = n - 1  # walk back while each token equals the one p before it
        while j >= p and sample[j] == sample[j - p]:
            j -= 1
        onset = j + 1 - p
        if n - onset >= max(min_repeats * p, min_span):
            return LoopResult(period=p, onset=onset, span=n - onset)
    return None
    # END SOLUTION


def repetition_rate(samples: Samples, **loop_options: int) -> float:
    """Holtzman et al.'s repetition %, as a fraction: the share of samples that
    end in a loop by :func:`detect_loop` (options passed on). 0.0 if empty."""
    if not samples:
        return 0.0
    return sum(detect_loop(s, **loop_options) is not None for s in samples) / len(samples)


def zipf_coefficient(samples: Samples) -> float:
    """Zipf coefficient (Holtzman et al. 2020): minus the least-squares slope
    of ln(count) against ln(rank) over the generated tokens' frequencies.
    Human English is near 1; larger means a more repetitive, top-heavy
    vocabulary. NaN with fewer than two distinct tokens (no slope exists).
    """
    counts = sorted(Counter(tok for s in samples for tok in s).values(), reverse=True)
    if len(counts) < 2:
        return math.nan
    ranks = np.arange(1, len(counts) + 1)
    slope = np.polyfit(np.log(ranks), np.log(np.asarray(counts, dtype=float)), 1)[0]
    return float(-slope)


def repetition_metrics(
    samples: Samples, training_tokens: Sequence[str] | None = None
) -> dict[str, float]:
    """Every metric above under the stable names of :data:`METRIC_KEYS`.

    ``distinct_k`` divides by tokens (Li et al.); ``rep_16``/``rep_32`` are
    rep/l; ``loop_rate`` is the repetition share with default loop options and
    ``mean_loop_period`` the mean period of the looping samples (NaN if none
    loops); ``novel_4gram`` and ``longest_copy`` are NaN without training text.
    """
    loops = [loop for s in samples if (loop := detect_loop(s)) is not None]
    result = {
        "mean_length": sum(map(len, samples)) / len(samples) if samples else 0.0,
        **{f"distinct_{k}": distinct_n(samples, k) for k in (1, 2, 3, 4)},
        **{f"seq_rep_{k}": mean_seq_rep_n(samples, k) for k in (2, 4)},
        **{f"rep_{k}": mean_rep_l(samples, k) for k in (16, 32)},
        "loop_rate": len(loops) / len(samples) if samples else 0.0,
        "mean_loop_period": sum(x.period for x in loops) / len(loops) if loops else math.nan,
        "novel_4gram": math.nan,
        "longest_copy": math.nan,
        "zipf": zipf_coefficient(samples),
    }
    if training_tokens is not None:
        found = novelty(samples, training_tokens, n=4)
        result["novel_4gram"] = found.novel_ngram_share
        result["longest_copy"] = float(found.longest_copy)
    return {key: float(result[key]) for key in METRIC_KEYS}
