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

from lab.evaluation.diagnosis import is_neural
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
        if not (is_neural(row.kind) and row.tokenizer == "char" and gap > 0 and len(history) >= 2):
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
