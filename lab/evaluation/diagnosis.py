"""Warnings in words: what a reader of a comparison must know before believing it.

A table of numbers does not say that the LSTM was cut off while it was still
learning, or that it lost to a count model, which contradicts what the lab
sets out to show. These checks read only the scores and how each model
stopped (:attr:`CompareResult.fits`), so they are pure and are tested on
hand-built results; the report prints them first and ``metrics.json`` keeps them.
The "findings" are the same kind of statement about the sweep: whether greedy
decoding repeats and temperature diversifies, as the lesson says they should.
"""

from __future__ import annotations

import itertools
from collections.abc import Mapping, Sequence
from typing import Any

from lab.evaluation.comparison import CompareResult
from lab.evaluation.evaluate import EvalRow
from lab.evaluation.sweep import SweepRow
from lab.models import registry
from lab.text.unknown_words import unknown_words_warning

#: Stop reasons that mean "a limit was hit", with how the report names the limit and its flag.
LIMITS: Mapping[str, tuple[str, str]] = {
    "epochs": ("its epoch limit", "raise --epochs"),
    "token budget": ("its token budget", "raise --max-tokens (and --epochs if that binds next)"),
    "time cap": ("its time cap", "raise --max-minutes or use a faster machine"),
}


def is_neural(kind: str) -> bool:
    """Whether ``kind`` is one of the LSTMs (unknown kinds are not)."""
    entry = registry.KINDS.get(kind)
    return entry is not None and entry.neural


def warnings(result: CompareResult) -> list[str]:
    """Every warning about ``result``: too many unknown words first, then by model in
    score order: under-training, then any loss to a baseline."""
    lines: list[str] = unknown_words(result.scores)
    for row in result.scores:
        fit = result.fits.get(row.model)
        if fit is not None:
            lines.extend(undertrained(row.model, fit))
        if is_neural(row.kind):
            lines.extend(loses_to_baseline(row, result.scores))
    return lines


def unknown_words(scores: Sequence[EvalRow]) -> list[str]:
    """One warning when the word models' test split has more than 10% ``<unk>`` tokens
    (the word models share one vocabulary, so one row says it for all)."""
    word = [r for r in scores if r.tokenizer == "word" and r.score.num_tokens]
    if not word:
        return []
    row = max(word, key=lambda r: r.score.oov_rate)
    return unknown_words_warning(row.score.oov_rate, row.vocab_size)


def undertrained(model: str, fit: Mapping[str, Any]) -> list[str]:
    """One warning if ``model`` hit a limit (epochs, token budget, time cap) while its
    last epoch was still its best: the figures are those of an unfinished model."""
    reason = str(fit.get("stop_reason"))
    if reason not in LIMITS or not fit.get("still_improving"):
        return []
    limit, remedy = LIMITS[reason]
    epochs = fit.get("epochs")
    count = f"{epochs} epoch{'' if epochs == 1 else 's'}" if epochs is not None else "training"
    # compare has no training flags: the fix is a longer run that compare then reuses.
    return [
        f"{model} stopped at {limit} after {count} while validation was still improving: "
        f"under-trained; {remedy} (textgen-lab train --out RUNS/{model}, then compare --runs RUNS)."
    ]


def loses_to_baseline(row: EvalRow, scores: Sequence[EvalRow]) -> list[str]:
    """One warning if neural ``row`` is worse than the n-gram (closed perplexity on the
    same word tokens, or open bits/char) or than the unigram floor (open bits/char)."""
    losses: list[str] = []
    above: list[str] = []  # baselines with lower open-vocabulary bits/char
    floor = registry.floor_kind().name
    # The count baseline a neural model must beat on closed-vocabulary perplexity and bits/char.
    baseline = registry.with_role("baseline").name
    for base in scores:
        if base.kind not in (baseline, floor) or base.model == row.model:
            continue
        if base.kind == baseline and _same_tokens(row, base) and row.score.ppl > base.score.ppl:
            losses.append(
                f"closed-vocabulary perplexity {row.score.ppl:.2f} is above {base.model}'s "
                f"{base.score.ppl:.2f}"
            )
        if row.score.open_bits_per_char > base.score.open_bits_per_char:
            above.append(f"{base.model}'s {base.score.open_bits_per_char:.3f}")
    if above:
        losses.append(
            f"open-vocabulary bits/char {row.score.open_bits_per_char:.3f} is above "
            + " and ".join(above)
        )
    if not losses:
        return []
    return [
        f"{row.model} loses to a baseline ({'; '.join(losses)}): this contradicts the lesson "
        "that a neural model should beat the count models; see how it stopped and, in the "
        "notes, whether its validation curve was still falling."
    ]


def _same_tokens(row: EvalRow, base: EvalRow) -> bool:
    """Per-token perplexities compare only over the same word tokens and vocabulary."""
    return (
        row.tokenizer == base.tokenizer == "word"
        and row.vocab_size == base.vocab_size
        and row.score.num_tokens == base.score.num_tokens
    )


def findings(rows: Sequence[SweepRow]) -> list[str]:
    """Plain statements checked against the numbers: does greedy repeat more
    than T=1.0, and does distinct-2 rise with temperature?"""
    lines = []
    for model in dict.fromkeys(r.model for r in rows):
        mine = [r for r in rows if r.model == model]
        greedy = next((r for r in mine if r.temperature is None), None)
        t1 = next((r for r in mine if r.temperature == 1.0), None)
        if greedy and t1:
            g, s = greedy.metrics["seq_rep_4"], t1.metrics["seq_rep_4"]
            verdict = "above" if g > s else "NOT above"
            lines.append(f"{model}: greedy seq-rep-4 {g:.3f} is {verdict} T=1.0's {s:.3f}.")
        temps = sorted(
            (r.temperature, r.metrics["distinct_2"]) for r in mine if r.temperature is not None
        )
        if len(temps) >= 2:
            values = [d for _, d in temps]
            rises = sum(b > a for a, b in itertools.pairwise(values))
            trend = "rises" if values[-1] > values[0] else "does NOT rise"
            lines.append(
                f"{model}: distinct-2 {trend} with temperature ({values[0]:.3f} at T={temps[0][0]:g} to "
                f"{values[-1]:.3f} at T={temps[-1][0]:g}; {rises} of {len(values) - 1} steps up)."
            )
    return lines
