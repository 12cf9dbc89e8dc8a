"""The report's budget line for a character model that loses to the n-gram."""

from __future__ import annotations

import math

from lab.evaluation.budget import budget_notes
from lab.evaluation.evaluate import EvalRow
from lab.models.scoring import ScoreResult

CHARS = 10_000


def _row(model: str, kind: str, unit: str, bits_per_char: float) -> EvalRow:
    score = ScoreResult(bits_per_char * CHARS * math.log(2), CHARS, CHARS)
    return EvalRow(model, kind, unit, 80, score)


def _fit(valid_bits: list[float], tokens_per_epoch: int = 115_000) -> dict:
    history = [{"epoch": e, "valid_ppl": 2**b} for e, b in enumerate(valid_bits, start=1)]
    return {
        "history": history,
        "epochs": len(history),
        "train_tokens": tokens_per_epoch * len(history),
    }


#: Validation bits/char of the char LSTM's quick preset on Alice, measured (2x256, BPTT 35,
#: lr 5e-3, batch 32): the first six epochs still fall, the epochs after nine are flat.
ALICE_QUICK = [3.104, 2.583, 2.322, 2.207, 2.153, 2.108]
ALICE_LONG = [*ALICE_QUICK, 2.084, 2.088, 2.044, 2.048, 2.041, 2.043]


def test_a_falling_curve_gives_a_lower_bound_on_the_budget() -> None:
    scores = [_row("char-lstm", "char-lstm", "char", 2.20), _row("ngram", "ngram", "word", 2.01)]
    (line,) = budget_notes(scores, {"char-lstm": _fit(ALICE_QUICK)})
    # best so far fell 2.322 -> 2.108 over the last 3 epochs: 0.0713 bits/char per epoch;
    # the gap 0.19 takes ceil(0.19 / 0.0713) = 3 more epochs: 9 x 115,000 tokens.
    assert "0.190 bits/char above ngram" in line and "improving 0.071 bits/char" in line
    assert "at least 3 more epochs, about 1,035,000 training tokens in all" in line


def test_a_flat_curve_says_more_training_will_not_close_the_gap() -> None:
    scores = [_row("char-lstm", "char-lstm", "char", 2.15), _row("ngram", "ngram", "word", 2.01)]
    (line,) = budget_notes(scores, {"char-lstm": _fit(ALICE_LONG)})
    assert "curve has flattened" in line and "will not close the gap" in line


def test_no_note_when_the_model_wins_or_is_not_a_char_model() -> None:
    fits = {"char-lstm": _fit(ALICE_QUICK), "word-lstm": _fit(ALICE_QUICK)}
    winning = [_row("char-lstm", "char-lstm", "char", 1.9), _row("ngram", "ngram", "word", 2.0)]
    assert budget_notes(winning, fits) == []
    words = [_row("word-lstm", "word-lstm", "word", 2.5), _row("ngram", "ngram", "word", 2.0)]
    assert budget_notes(words, fits) == []
    assert budget_notes([_row("char-lstm", "char-lstm", "char", 2.5)], fits) == []
