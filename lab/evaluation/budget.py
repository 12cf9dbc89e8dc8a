"""How much more training a character model that loses to the n-gram would need, read
off its own validation curve.

A warning that a neural model "loses to a baseline" leaves the reader asking whether
a longer run would fix it. The curve answers in part: the last epochs' improvement
of validation bits per character, continued in a straight line, gives a lower bound
on the budget that closes the gap (learning curves flatten, so the true budget is
larger), and a curve that has stopped improving says that more of the same training
will not close it at all. Character models only: their validation perplexity is per
character, so it converts to bits per character exactly (a word model's would need
the validation text's length).
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from typing import Any

from lab.evaluation.evaluate import EvalRow
from lab.models import registry

#: Epochs over which the recent improvement is averaged.
RECENT_EPOCHS = 3
#: Below this gain per epoch (bits/char) a curve counts as flat.
FLAT_BITS = 0.005


def budget_notes(scores: Sequence[EvalRow], fits: Mapping[str, Mapping[str, Any]]) -> list[str]:
    """One sentence per character-level neural model whose open bits/char on the test
    split are above the n-gram's: the gap, its validation curve's recent rate and the
    training budget that rate implies (or that the curve is flat)."""
    baseline = registry.with_role("baseline").name
    baselines = [r for r in scores if r.kind == baseline]
    if not baselines:
        return []
    best = min(baselines, key=lambda r: r.score.open_bits_per_char)
    notes = []
    for row in scores:
        gap = row.score.open_bits_per_char - best.score.open_bits_per_char
        fit = fits.get(row.model, {})
        history = fit.get("history") or []
        if not (_neural(row.kind) and row.tokenizer == "char" and gap > 0 and len(history) >= 2):
            continue
        bits = [math.log2(h["valid_ppl"]) for h in history]
        best_so_far = [min(bits[: i + 1]) for i in range(len(bits))]
        span = min(RECENT_EPOCHS, len(bits) - 1)
        gain = (best_so_far[-1 - span] - best_so_far[-1]) / span
        tokens = fit.get("train_tokens") or 0
        per_epoch = tokens / max(fit.get("epochs") or len(history), 1)
        lead = (
            f"{row.model} is {gap:.3f} bits/char above {best.model} on the test split "
            f"({row.score.open_bits_per_char:.3f} against {best.score.open_bits_per_char:.3f}); "
            f"its validation bits/char went from {bits[0]:.3f} to {best_so_far[-1]:.3f} in "
            f"{len(bits)} epochs ({tokens:,} training tokens)"
        )
        if gain < FLAT_BITS:
            notes.append(
                f"{lead}, and improved less than {FLAT_BITS} bits/char per epoch over its last "
                f"{span}: its curve has flattened, so more of the same training will not close "
                "the gap; a larger model, stronger regularisation or more text might."
            )
            continue
        epochs = math.ceil(gap / gain)
        notes.append(
            f"{lead}, improving {gain:.3f} bits/char per epoch over its last {span}. At that "
            f"rate closing the gap takes at least {epochs} more epochs, about "
            f"{tokens + epochs * per_epoch:,.0f} training tokens in all (a straight-line "
            "extrapolation: learning curves flatten, so the budget needed is larger)."
        )
    return notes


def crossing_tokens(curve: Sequence[tuple[float, float]], target: float) -> float | None:
    """Tokens at which ``L(t) = b * t**-c``, fitted by least squares in log-log over the
    last (up to 4) points of ``curve`` after the first, reaches ``target``; ``None`` when
    the fitted curve does not fall (``c <= 0``) or ``target`` is not positive. A point at
    or below ``target`` already means the curve crossed it there.

    >>> round(crossing_tokens([(1e5, 5.0), (2e5, 4.0), (4e5, 3.2)], 2.0) / 1e6, 2)
    1.72
    """
    points = [(t, v) for t, v in curve if t > 0 and v > 0]
    below = [t for t, v in points if v <= target]
    if below:
        return below[0]
    if target <= 0 or len(points) < 2:
        return None
    use = points[1:][-4:] if len(points) > 2 else points
    xs = [math.log(t) for t, _ in use]
    ys = [math.log(v) for _, v in use]
    mx, my = sum(xs) / len(xs), sum(ys) / len(ys)
    sxx = sum((x - mx) ** 2 for x in xs)
    if sxx <= 0:
        return None
    slope = sum((x - mx) * (y - my) for x, y in zip(xs, ys, strict=True)) / sxx
    if slope >= 0:
        return None
    return math.exp(mx + (math.log(target) - my) / slope)


def _neural(kind: str) -> bool:
    entry = registry.KINDS.get(kind)
    return entry is not None and entry.neural


#: A last epoch that lowers validation perplexity by less than this counts as a flat curve.
FLAT = 0.005


def last_epoch_gain(history: Sequence[Mapping[str, Any]]) -> float | None:
    """How much lower the last epoch's validation perplexity is than the best before it
    (``None`` without two epochs): is the curve steep (under-trained) or flat?"""
    nll = [float(h["valid_nll"]) for h in history if h.get("valid_nll") is not None]
    if len(nll) < 2:
        return None
    return 1.0 - math.exp(min(nll[-1] - min(nll[:-1]), 0.0))


def flattening(history: Sequence[Mapping[str, Any]]) -> str:
    """The cause when the curve has nearly flattened (see :data:`FLAT`): more of the same
    training gains slowly, so under-training is not the whole story; else ``""``."""
    gain = last_epoch_gain(history)
    if gain is None or gain >= FLAT:
        return ""
    return (
        f"though its validation curve has nearly flattened (perplexity {gain:.1%} lower in "
        "its last epoch), so more of the same training gains slowly."
    )
