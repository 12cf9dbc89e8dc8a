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
import math
from collections.abc import Mapping, Sequence
from typing import Any

from lab.evaluation.budget import FLAT, crossing_tokens, flattening, last_epoch_gain
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
            far = how_far(row, result, fit) if fit is not None else ""
            if far.startswith(NOT_BUDGET):  # training longer is not the fix
                lines.extend(loses_to_baseline(row, result.scores, cause=far))
            else:
                cause = flattening((fit or {}).get("history") or []) or UNDER
                lines.extend(loses_to_baseline(row, result.scores, cause=f"{cause} {far}"))
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
    (limit, remedy), epochs = LIMITS[reason], fit.get("epochs")
    count = f"{epochs} epoch{'' if epochs == 1 else 's'}" if epochs is not None else "training"
    # compare has no training flags: the fix is a longer run that compare then reuses.
    how = f"(textgen-lab train --out RUNS/{model}, then compare --runs RUNS)."
    gain = last_epoch_gain(fit.get("history") or [])
    if gain is not None and gain < FLAT:
        return [
            f"{model} stopped at {limit} after {count} with its validation curve nearly flat "
            f"(perplexity {gain:.1%} lower in the last epoch): close to converged, so more "
            f"training would change its figures little; to check, {remedy} {how}"
        ]
    by = f" (perplexity {gain:.1%} lower in the last epoch)" if gain is not None else ""
    return [
        f"{model} stopped at {limit} after {count} while validation was still improving{by}: "
        f"under-trained; {remedy} {how}"
    ]


#: The cause a loss to a baseline is given when nothing better is known.
UNDER = "probably from under-training; see how it stopped."


def loses_to_baseline(row: EvalRow, scores: Sequence[EvalRow], *, cause: str = UNDER) -> list[str]:
    """One warning if neural ``row`` is worse than the n-gram (closed perplexity on the
    same word tokens, or open bits/char) or than the unigram floor (open bits/char);
    ``cause`` ends it (see :func:`how_far`)."""
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
        f"that a neural model should beat the count models, {cause.strip()}"
    ]


#: How :func:`how_far` starts when more training would close the gap, and when it would not.
CROSSES, NOT_BUDGET = "By its own validation curve", "not from a short budget"
#: Farther than this many times its own budget, an extrapolated crossing is not a plan.
MAX_EXTRAPOLATION = 10.0


def how_far(row: EvalRow, result: CompareResult, fit: Mapping[str, Any]) -> str:
    """How far neural ``row`` is from the best count baseline, in training tokens.

    Its own validation curve (nats per token after each epoch) is fitted as a
    power law in training tokens, ``L(t) = b * t**-c``, over its last epochs
    (the first, steep one left out), and solved for the loss at which its test
    open bits/char would equal the best baseline's: the best validation loss
    lowered by the test gap, in nats per token of the model's own unit (the
    split-to-split offset is taken as constant). The sentence says the budget
    and the command that trains it, or why more training is not the fix."""
    base = _best_baseline(row, result.scores)
    if base is None:
        return ""
    history = [h for h in fit.get("history") or [] if math.isfinite(h.get("valid_nll", math.nan))]
    trained = int(fit.get("train_tokens") or 0)
    if len(history) < 2 or trained <= 0:
        return "Too few epochs to extrapolate its curve: train it longer to see."
    if fit.get("stop_reason") == "converged":
        return (
            "not from a short budget: its validation stopped improving (early stopping), so "
            "a larger budget will not "
            f"close the gap: {_remedy(row, _tokens_per_epoch(row, result, fit), result)}."
        )
    gap = (row.score.open_bits_per_char - base.score.open_bits_per_char) * math.log(2)
    gap *= row.score.num_chars / max(row.score.num_tokens, 1)  # nats per token of its unit
    per_epoch = _tokens_per_epoch(row, result, fit)
    curve = [(min(h["epoch"] * per_epoch, trained), h["valid_nll"]) for h in history]
    target = min(v for _, v in curve) - gap
    tokens = crossing_tokens(curve, target)
    if tokens is None:
        return (
            f"not from a short budget: its validation curve has flattened, so more tokens will not "
            f"reach {base.model}: {_remedy(row, per_epoch, result)}."
        )
    if tokens > MAX_EXTRAPOLATION * trained:
        return (
            f"not from a short budget alone: by its own curve it would need over "
            f"{MAX_EXTRAPOLATION:g}x its "
            f"{trained:,} training tokens to reach {base.model}: more of the same training "
            f"is not the fix; {_remedy(row, per_epoch, result)}."
        )
    budget = int(float(f"{tokens * 1.1:.2g}"))  # a margin, two significant digits
    epochs = math.ceil(budget / max(per_epoch, 1)) + 3
    return (
        f"{CROSSES} (a power law in training tokens) it would reach "
        f"{base.model} at about {tokens:,.0f} tokens ({tokens / trained:.1f}x its {trained:,}): "
        f"{train_command(row.model, result, budget, epochs)}"
    )


#: A word vocabulary above this share of the training tokens has most words seen once or
#: twice: too few examples for a network's embeddings, while an n-gram backs off.
SPARSE_VOCAB = 0.1


def _remedy(row: EvalRow, train_tokens: float, result: CompareResult) -> str:
    """What could close the gap, in words: the vocabulary when it keeps words seen once
    (``min_freq`` 1, chosen for a short book or an inflected language to keep unknown
    words near 10%) or is too large for the text, else the usual levers.

    Measured on Alice (benchmarks/results/learn_per_token.jsonl): with ``min_freq`` 1
    (2,625 words) the word LSTM ends 0.17 nats/token above the n-gram on validation;
    with ``min_freq`` 2 (1,381 words) it ends 0.19 below it."""
    if row.tokenizer != "word":
        return "try less dropout, a larger model or more text"
    words = f"its vocabulary ({row.vocab_size:,} words for {train_tokens:,.0f} training tokens)"
    if result.config.word_min_freq == 1:
        return (
            f"{words} keeps every word seen once, so that fewer words are unknown; the "
            "network learns little from one example, while the n-gram backs off to "
            "shorter contexts. A vocabulary of words seen at least twice (more <unk>, "
            "spelled out in the open-vocabulary score) or a longer text should let it win "
            "(on Alice, min_freq 2 turned this loss into a win)"
        )
    if row.vocab_size > SPARSE_VOCAB * train_tokens > 0:
        return (
            f"{words} leaves most words seen once or twice, too few examples for the "
            "network, while the n-gram backs off to shorter contexts; more text is the fix"
        )
    return "try less dropout, a larger model or more text"


def train_command(model: str, result: CompareResult, max_tokens: int, epochs: int) -> str:
    """The commands that train ``model`` on this book with ``max_tokens`` and then
    compare with it reused (the same text settings and word vocabulary as compare's)."""
    entry = registry.kind(model)
    spec = result.corpus.record()["spec"]
    options = {
        k: v
        for k, v in result.config.model_options(model).items()
        if k not in ("max_tokens", "epochs")
    }
    if entry.unit == "word" and result.config.word_min_freq is not None:
        options["min_freq"] = result.config.word_min_freq
    flags = "".join(f" {_flag(k, v)}" for k, v in options.items())
    quick = " --quick" if result.config.quick else ""
    return (
        f"textgen-lab train --model {model} --corpus {spec} --out RUNS/{model} "
        f"--max-tokens {max_tokens} --epochs {epochs}{flags}, then textgen-lab compare"
        f"{quick} --corpus {spec} --runs RUNS."
    )


def _flag(name: str, value: Any) -> str:
    flag = "--" + name.replace("_", "-")
    if isinstance(value, bool):
        return flag if value else "--no-" + flag[2:]
    return f"{flag} {value}"


def _best_baseline(row: EvalRow, scores: Sequence[EvalRow]) -> EvalRow | None:
    """The count model with the lowest open bits/char below ``row``'s (the one to reach)."""
    counts = [r for r in scores if not is_neural(r.kind) and r.model != row.model]
    better = [r for r in counts if r.score.open_bits_per_char < row.score.open_bits_per_char]
    return min(better, key=lambda r: r.score.open_bits_per_char, default=None)


def _tokens_per_epoch(row: EvalRow, result: CompareResult, fit: Mapping[str, Any]) -> float:
    """Training tokens in one epoch: the book's size in the model's unit when the
    comparison recorded it, else the tokens trained over the epochs run."""
    size = result.config.book.get(registry.kind(row.kind).unit)
    if size:
        return float(size[0])
    return int(fit.get("train_tokens") or 0) / max(int(fit.get("epochs") or 1), 1)


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
