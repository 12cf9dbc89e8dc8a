"""Training budgets that mean the same on every machine, and why each run stopped."""

from __future__ import annotations

from pathlib import Path

import pytest

from lab.neural.generators import WordLSTMGenerator
from lab.text.splitting import split_corpus


def tiny(tiny_lstm: dict[str, object], **extra: object) -> WordLSTMGenerator:
    return WordLSTMGenerator.from_options({**tiny_lstm, "eos": "line", "min_freq": 1, **extra})


def test_token_budget_stops_mid_epoch_at_the_same_place_every_time(
    synthetic_text: str, tiny_lstm: dict[str, object]
) -> None:
    parts = split_corpus(synthetic_text)
    budget = 3000  # fewer than one epoch's tokens of this corpus
    runs = []
    for _ in range(2):
        gen = tiny(tiny_lstm, epochs=5, max_tokens=budget)
        result = gen.fit(parts.train, parts.valid)
        runs.append((result, gen.score(parts.valid).nll_nats))
    (first, nll_a), (second, nll_b) = runs
    assert first.stop_reason == "token budget" and first.epochs == 1
    batch = 8 * 16  # batch_size x bptt of the tiny settings
    assert budget <= first.train_tokens < budget + batch
    assert first.train_tokens == second.train_tokens and nll_a == nll_b  # same model


def test_time_cap_is_checked_every_batch(synthetic_text: str, tiny_lstm: dict[str, object]) -> None:
    parts = split_corpus(synthetic_text)
    gen = tiny(tiny_lstm, epochs=50, max_minutes=1e-9)
    result = gen.fit(parts.train, parts.valid)
    assert result.stop_reason == "time cap"
    assert result.epochs == 1 and result.train_tokens == 8 * 16  # one batch, then stop


def test_stop_reasons_epochs_and_convergence(
    synthetic_text: str, tiny_lstm: dict[str, object], tmp_path: Path
) -> None:
    parts = split_corpus(synthetic_text)
    gen = tiny(tiny_lstm, epochs=2, lr=1e-2)
    result = gen.fit(parts.train, parts.valid, checkpoint_dir=tmp_path / "run")
    assert result.stop_reason == "epochs" and result.still_improving  # still learning at 2
    assert gen.metrics["stop_reason"] == "epochs" and gen.metrics["still_improving"]
    assert WordLSTMGenerator.load(tmp_path / "run").metrics["train_tokens"] == result.train_tokens
    # A learning rate too large to improve after the first epoch converges by patience.
    flat = tiny(tiny_lstm, epochs=30, lr=5.0, patience=1, lr_decay=1.0)
    stopped = flat.fit(parts.train, parts.valid)
    assert stopped.stop_reason == "converged" and stopped.epochs < 30


@pytest.mark.parametrize("bad", [0, -5])
def test_bad_budgets_are_refused(bad: int, tiny_lstm: dict[str, object]) -> None:
    with pytest.raises(ValueError, match="max_tokens"):
        tiny(tiny_lstm, max_tokens=bad)


def test_count_models_train_in_one_pass(prose_text: str) -> None:
    from baselines.ngram import NGramGenerator

    parts = split_corpus(prose_text)
    result = NGramGenerator.from_options({}).fit(parts.train, parts.valid)
    assert result.stop_reason == "one pass" and result.train_tokens > 0


def test_a_nan_loss_stops_training_and_keeps_the_last_good_weights(
    synthetic_text: str, tiny_lstm: dict[str, object], tmp_path: Path, monkeypatch
) -> None:
    import math

    from lab.errors import LabError
    from lab.neural import training

    parts = split_corpus(synthetic_text)
    real_step, calls = training.train_step, {"n": 0, "limit": 10**9}

    def step_that_breaks(*args, **kwargs):
        loss, hidden = real_step(*args, **kwargs)
        calls["n"] += 1
        return (math.nan if calls["n"] > calls["limit"] else loss), hidden

    monkeypatch.setattr(training, "train_step", step_that_breaks)
    tiny(tiny_lstm, epochs=1).fit(parts.train, parts.valid)
    calls["n"], calls["limit"] = 0, calls["n"] + 3  # break 3 batches into the second epoch
    gen = tiny(tiny_lstm, epochs=5)
    result = gen.fit(parts.train, parts.valid, checkpoint_dir=tmp_path / "run")
    assert result.stop_reason == "diverged" and result.best_epoch >= 1
    saved = WordLSTMGenerator.load(tmp_path / "run")
    assert math.isfinite(saved.score(parts.valid).nll_nats)  # the good epoch, not NaN weights
    calls["n"], calls["limit"] = 0, 3  # now break before any epoch ends
    with pytest.raises(LabError, match="diverged"):
        tiny(tiny_lstm, epochs=2).fit(parts.train, parts.valid)
