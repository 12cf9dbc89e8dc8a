"""Quick budgets that follow the book, the time said before a comparison starts, and how far
a network that loses to a baseline is from crossing it (issue 23). No training here."""

from __future__ import annotations

import math
from dataclasses import replace
from pathlib import Path
from typing import Any

from lab.evaluation.budget import crossing_tokens
from lab.evaluation.comparison import CompareConfig, CompareResult
from lab.evaluation.diagnosis import warnings
from lab.evaluation.estimate import estimate_line, estimate_seconds
from lab.evaluation.evaluate import EvalRow
from lab.models import registry
from lab.models.budgets import BookBudget, BySize, Throughput
from lab.models.scoring import ScoreResult
from lab.text.corpora import Corpus


def test_the_budget_follows_the_book_up_to_its_time_target() -> None:
    budget = BookBudget(passes=20, seconds=100, speed=Throughput(1e-4))  # 10k tokens/s
    assert budget.tokens(30_000, 50) == 600_000  # 20 passes
    assert budget.tokens(40_000, 50) == 800_000  # a bigger book, more tokens
    assert budget.tokens(200_000, 50) == 1_000_000  # capped by 100 s at 10k/s
    # A larger vocabulary trains slower, so the same seconds hold fewer tokens.
    slower = BookBudget(passes=20, seconds=100, speed=Throughput(1e-4, 1e-8))
    assert slower.tokens(200_000, 10_000) == 500_000
    floored = BookBudget(passes=2, seconds=100, speed=Throughput(1e-4), floor=50_000)
    assert floored.tokens(1_000, 50) == 50_000


def test_a_by_size_option_switches_at_its_threshold() -> None:
    rule = BySize(100, small="a", large="b")
    assert (rule.resolve(99, 5), rule.resolve(100, 5)) == ("a", "b")


def test_presets_resolve_for_the_book_and_keep_alice_where_it_was() -> None:
    word, char = registry.kind("word-lstm"), registry.kind("char-lstm")
    alice = word.preset("quick", (29_354, 2_625))["max_tokens"]
    assert 400_000 <= alice <= 650_000  # 14-20 epochs: where Alice's curve flattens
    novel = word.preset("quick", (110_000, 4_000))["max_tokens"]
    assert novel > alice and novel / 110_000 > 10  # a bigger book keeps >10 passes
    huge = word.preset("quick", (2_000_000, 30_000))["max_tokens"]
    assert huge < 2_000_000  # the time target caps it below one pass of a huge book
    assert "max_tokens" not in word.preset("quick")  # book unknown: no number invented
    assert "max_tokens" not in word.preset("full", (29_354, 2_625))
    assert 600_000 <= char.preset("quick", (115_532, 80))["max_tokens"] <= 700_000
    # Less dropout for a longer book; the kind's default when the book is unknown.
    assert (
        word.preset("quick", (29_354, 2_625))["dropout"]
        > word.preset("quick", (160_000, 4_000))["dropout"]
    )
    assert "dropout" not in word.preset("quick")


def _config(word: tuple[int, int], chars: int) -> CompareConfig:
    return CompareConfig(quick=True, book={"word": word, "char": (chars, 80)}, word_min_freq=1)


def test_the_estimate_grows_with_the_book_and_names_the_budgets() -> None:
    small, big = _config((29_354, 2_625), 115_532), _config((180_000, 6_000), 700_000)
    assert 60 < estimate_seconds(small, 30_000) < 150  # Alice: within issue 23's 150 s
    assert estimate_seconds(small) < estimate_seconds(big) < 600  # 1 MB: within 10 minutes
    line = estimate_line(small)
    assert line.startswith("plan: word-lstm 470,000 words (16.0 passes); char-lstm")
    assert "on an idle 2-core machine" in line


def test_crossing_tokens_solves_the_fitted_power_law() -> None:
    # valid = 10 * t**-0.2 exactly: reaches 2.0 at t = 5**5 = 3125.
    curve = [(t, 10 * t**-0.2) for t in (10.0, 100.0, 200.0, 400.0, 800.0)]
    assert math.isclose(crossing_tokens(curve, 2.0) or 0, 3125, rel_tol=1e-6)
    assert crossing_tokens(curve, 5.0) == 100.0  # already below the target there
    flat = [(100.0, 3.0), (200.0, 3.0), (300.0, 3.05)]
    assert crossing_tokens(flat, 2.0) is None


def _row(model: str, nll: float, unit: str = "word") -> EvalRow:
    tokens = 100 if unit == "word" else 500
    return EvalRow(model, model, unit, 50, ScoreResult(nll, tokens, 500))


def _result(fit: dict[str, Any]) -> CompareResult:
    config = _config((1_000, 50), 5_000)
    # The LSTM's test NLL is 0.1 nats/token above the n-gram's (over 100 word tokens).
    scores = [_row("ngram", 300.0), _row("word-lstm", 310.0), _row("unigram", 500.0)]
    corpus = Corpus("book", "text", "file:/books/book.txt", spec="/books/book.txt")
    return CompareResult(corpus, {}, config, scores, [], {}, [], fits={"word-lstm": fit})


def _fit(valid: list[float], reason: str = "token budget") -> dict[str, Any]:
    history = [{"epoch": e, "valid_nll": v} for e, v in enumerate(valid, start=1)]
    return {
        "stop_reason": reason,
        "still_improving": True,
        "epochs": len(valid),
        "train_tokens": 1_000 * len(valid),
        "history": history,
    }


def test_a_losing_network_is_told_the_budget_that_crosses_and_how_to_train_it() -> None:
    # valid nll = 6 * t**-0.1 per 1,000-token epoch; the target is the best (epoch 4) - 0.1.
    valid = [6 * (1000 * e) ** -0.1 for e in range(1, 5)]
    (line,) = [w for w in warnings(_result(_fit(valid))) if w.startswith("word-lstm loses")]
    target = valid[-1] - 0.1
    expected = (6 / target) ** 10
    assert f"at about {expected:,.0f} tokens" in line and "probably from under-training" in line
    budget = int(float(f"{expected * 1.1:.2g}"))
    assert (
        f"textgen-lab train --model word-lstm --corpus /books/book.txt --out RUNS/word-lstm "
        f"--max-tokens {budget} --epochs {math.ceil(budget / 1000) + 3} --batch-size 10 --dropout 0.4 --min-freq 1, then "
        "textgen-lab compare --quick --corpus /books/book.txt --runs RUNS." in line
    )


def test_a_loss_with_a_nearly_flat_last_epoch_is_not_blamed_on_under_training_alone() -> None:
    # A falling curve whose last epoch gains only 0.3% of perplexity, yet whose power law
    # crosses within 10x: the warning says both, and not "probably from under-training".
    valid = [6 * (1000 * e) ** -0.1 for e in range(1, 5)]
    valid.append(valid[-1] - 0.003)  # as Alice's transformer after its learning-rate decay
    (line,) = [w for w in warnings(_result(_fit(valid))) if w.startswith("word-lstm loses")]
    assert "nearly flattened (perplexity 0.3% lower in its last epoch)" in line
    assert "probably from under-training" not in line and "By its own validation curve" in line


def test_a_flat_or_converged_curve_says_why_more_tokens_will_not_help() -> None:
    flat = warnings(_result(_fit([4.0, 3.9, 3.9, 3.9])))
    assert any("has flattened" in w and "--max-tokens" not in w for w in flat)
    done = warnings(_result(_fit([4.0, 3.5, 3.6, 3.7], reason="converged")))
    assert any("early stopping" in w and "under-training" not in w for w in done)
    far = warnings(_result(_fit([4.0, 3.99, 3.98, 3.97])))  # crawling: far beyond 10x
    assert any("over 10x" in w and "seen once" in w for w in far)  # min_freq 1 here
    # A vocabulary too large for the text is named as the reason.
    result = _result(_fit([4.0, 3.5, 3.6, 3.7], reason="converged"))
    result.config = replace(result.config, word_min_freq=2)
    result.scores[1] = EvalRow("word-lstm", "word-lstm", "word", 400, ScoreResult(310.0, 100, 500))
    assert any("vocabulary (400 words for 1,000 training tokens)" in w for w in warnings(result))


def test_compare_prints_the_plan_and_estimate_before_training(
    prose_file: Path, tmp_path: Path, capsys: Any
) -> None:
    from lab.cli import main

    args = ["compare", "--corpus", str(prose_file), "--models", "markov", "--num-samples", "1"]
    assert main([*args, "--out", str(tmp_path / "a"), "--quick"]) == 0
    err = capsys.readouterr().err
    assert "plan: estimated" in err and "on an idle 2-core machine" in err
    assert err.index("plan:") < err.index("[1/1] markov: training")
