"""Repetition and diversity metrics against small hand-computed examples."""

from __future__ import annotations

import math
import random
import time

import pytest

from lab.evaluation.metrics import (
    METRIC_KEYS,
    LoopResult,
    detect_loop,
    distinct_n,
    mean_rep_l,
    mean_seq_rep_n,
    novelty,
    rep_l,
    repetition_metrics,
    repetition_rate,
    seq_rep_n,
    zipf_coefficient,
)


def words(text: str) -> list[str]:
    return text.split()


ABAB_AC = [["a", "b", "a", "b"], ["a", "c"]]  # 6 tokens


@pytest.mark.parametrize(
    ("n", "by_tokens", "by_ngrams"),
    [
        (1, 3 / 6, 3 / 6),  # {a, b, c}; 6 unigrams
        (2, 3 / 6, 3 / 4),  # {ab, ba, ac}; n-grams ab ba ab + ac = 4
        (3, 2 / 6, 2 / 2),  # {aba, bab}; the 2-token sample has none
        (5, 0.0, 0.0),  # n longer than every sample
    ],
)
def test_distinct_n_by_hand(n: int, by_tokens: float, by_ngrams: float) -> None:
    assert distinct_n(ABAB_AC, n) == pytest.approx(by_tokens)
    assert distinct_n(ABAB_AC, n, denominator="ngrams") == pytest.approx(by_ngrams)


def test_distinct_n_counts_ngrams_across_samples_once() -> None:
    assert distinct_n([["a", "b"], ["a", "b"]], 2) == pytest.approx(1 / 4)


def test_distinct_n_edge_cases() -> None:
    assert distinct_n([], 1) == 0.0
    assert distinct_n([[]], 2) == 0.0
    with pytest.raises(ValueError):
        distinct_n(ABAB_AC, 0)
    with pytest.raises(ValueError):
        distinct_n(ABAB_AC, 1, denominator="types")  # type: ignore[arg-type]


def test_seq_rep_n_by_hand() -> None:
    abab = ["a", "b", "a", "b"]
    assert seq_rep_n(abab, 2) == pytest.approx(1 - 2 / 3)  # ab ba ab
    assert seq_rep_n(abab, 1) == pytest.approx(1 - 2 / 4)
    assert seq_rep_n(["a"] * 5, 2) == pytest.approx(1 - 1 / 4)
    assert seq_rep_n(["a", "b", "c"], 2) == 0.0
    assert seq_rep_n(abab, 5) == 0.0
    assert seq_rep_n([], 1) == 0.0


def test_mean_seq_rep_n_skips_samples_too_short() -> None:
    samples = [["a", "b", "a", "b"], ["x", "y", "z"], ["q"]]
    assert mean_seq_rep_n(samples, 2) == pytest.approx((1 / 3 + 0.0) / 2)
    assert mean_seq_rep_n([], 2) == 0.0
    assert mean_seq_rep_n([["q"]], 2) == 0.0


def test_rep_l_by_hand() -> None:
    assert rep_l(["a", "b", "a", "c"], 2) == pytest.approx(1 / 4)  # the 2nd "a"
    assert rep_l(["a", "b", "a", "c"], 1) == 0.0  # "a" is 2 back, outside l=1
    assert rep_l(["a", "a", "a"], 1) == pytest.approx(2 / 3)
    assert rep_l([], 4) == 0.0
    with pytest.raises(ValueError):
        rep_l(["a"], 0)


def test_rep_l_context_supplies_history_but_is_not_counted() -> None:
    assert rep_l(["a"], 3, context=["a", "x"]) == 1.0
    assert rep_l(["a"], 1, context=["a", "x"]) == 0.0  # "a" is 2 back
    assert rep_l(["x", "y"], 4, context=["x", "x", "x"]) == pytest.approx(1 / 2)


def test_mean_rep_l_averages_nonempty_samples() -> None:
    assert mean_rep_l([["a", "a"], ["a", "b"], []], 1) == pytest.approx((1 / 2 + 0) / 2)
    assert mean_rep_l([], 1) == 0.0


@pytest.mark.parametrize(
    ("tokens", "expected"),
    [
        ("ababab", LoopResult(period=2, onset=0, span=6)),
        ("xababab", LoopResult(period=2, onset=1, span=6)),
        # the last cycle cut short, as at a generation length limit
        ("sabcabcab", LoopResult(period=3, onset=1, span=8)),
        ("aaaaaaaa", LoopResult(period=1, onset=0, span=8)),  # smallest period wins
        ("xyzabcabc", LoopResult(period=3, onset=3, span=6)),
    ],
)
def test_detect_loop_by_hand(tokens: str, expected: LoopResult) -> None:
    assert detect_loop(list(tokens)) == expected


def test_detect_loop_reports_repeats() -> None:
    loop = detect_loop(list("sabcabcab"))
    assert loop is not None and loop.repeats == pytest.approx(8 / 3)


@pytest.mark.parametrize(
    "tokens",
    [
        words("the cat sat on the mat"),
        ["very", "very"],  # too short to be a loop (min_span)
        list("abab"),  # 4 tokens < min_span 6
        list("aaaaa"),  # period 1 needs 6 copies
        [],
    ],
)
def test_detect_loop_rejects_non_loops(tokens: list[str]) -> None:
    assert detect_loop(tokens) is None


def test_detect_loop_options() -> None:
    assert detect_loop(list("abab"), min_span=4) == LoopResult(2, 0, 4)
    assert detect_loop(list("abcabc"), min_repeats=3) is None
    assert detect_loop(list("abcabc"), max_period=2) is None
    assert detect_loop(list("aaaaaaaa"), min_period=2) == LoopResult(2, 0, 8)
    with pytest.raises(ValueError):
        detect_loop(list("abab"), min_repeats=1)


def test_repetition_rate_is_the_share_of_looping_samples() -> None:
    samples = [list("ababab"), words("the cat sat on the mat"), list("aaaaaaaa"), []]
    assert repetition_rate(samples) == pytest.approx(2 / 4)
    assert repetition_rate(samples, min_span=7) == pytest.approx(1 / 4)
    assert repetition_rate([]) == 0.0


def test_zipf_coefficient_recovers_exact_power_laws() -> None:
    # counts 12/r: 12, 6, 4, 3 -> ln count = ln 12 - 1 * ln rank
    harmonic = [["a"] * 12 + ["b"] * 6, ["c"] * 4 + ["d"] * 3]
    assert zipf_coefficient(harmonic) == pytest.approx(1.0)
    # counts 36/r^2: 36, 9, 4
    assert zipf_coefficient([["a"] * 36 + ["b"] * 9 + ["c"] * 4]) == pytest.approx(2.0)
    assert zipf_coefficient([["a", "b"]]) == pytest.approx(0.0)  # flat


def test_zipf_coefficient_is_nan_without_two_distinct_tokens() -> None:
    assert math.isnan(zipf_coefficient([["a", "a"]]))
    assert math.isnan(zipf_coefficient([]))


def test_novelty_by_hand() -> None:
    train = words("a b c d e f")
    samples = [["a", "b", "c", "x"], ["c", "d", "e", "f"]]
    bigrams = novelty(samples, train, n=2)  # ab bc cx | cd de ef: only cx is new
    assert bigrams.novel_ngram_share == pytest.approx(1 / 6)
    assert bigrams.num_ngrams == 6
    assert bigrams.longest_copy == 4  # "c d e f"
    assert novelty(samples, train, n=4).novel_ngram_share == pytest.approx(1 / 2)


def test_novelty_copies_do_not_span_two_samples() -> None:
    assert novelty([["a", "b"], ["c", "d"]], list("abcd"), n=2).longest_copy == 2


def test_novelty_edge_cases() -> None:
    train = list("abcdef")
    assert novelty([], train) == novelty([[]], train)
    assert novelty([], train).novel_ngram_share == 0.0
    assert novelty([], train).longest_copy == 0
    assert novelty([["z", "z"]], train).longest_copy == 0  # unseen tokens
    assert novelty([["z", "a", "z"]], train).longest_copy == 1
    assert novelty([train], train).longest_copy == 6
    assert novelty([list("abc")], []).longest_copy == 0


def _brute_longest_copy(samples: list[list[str]], train: list[str]) -> int:
    best = 0
    for s in samples:
        for i in range(len(s)):
            for j in range(i + 1, len(s) + 1):
                span = s[i:j]
                if any(train[k : k + len(span)] == span for k in range(len(train))):
                    best = max(best, j - i)
    return best


@pytest.mark.parametrize("seed", range(5))
def test_longest_copy_matches_brute_force(seed: int) -> None:
    rng = random.Random(seed)
    train = [rng.choice("abc") for _ in range(120)]
    samples = [[rng.choice("abcd") for _ in range(rng.randrange(0, 25))] for _ in range(4)]
    assert novelty(samples, train).longest_copy == _brute_longest_copy(samples, train)


def test_novelty_is_fast_on_a_100k_token_training_stream() -> None:
    rng = random.Random(0)
    train = [f"w{rng.randrange(3000)}" for _ in range(100_000)]
    copied = train[40_000:40_150]
    samples = [["<new>", *copied, "<new>"]] + [
        [f"w{rng.randrange(3000)}" for _ in range(200)] for _ in range(50)
    ]
    start = time.perf_counter()
    result = novelty(samples, train)
    assert time.perf_counter() - start < 2.0
    assert result.longest_copy == 150
    assert result.novel_ngram_share > 0.9  # random 4-grams over 3000 words are new


def test_repetition_metrics_has_stable_keys_and_consistent_values() -> None:
    samples = [list("ababab"), words("the cat sat on the mat")]
    metrics = repetition_metrics(samples)
    assert tuple(metrics) == METRIC_KEYS
    assert metrics["distinct_2"] == pytest.approx(distinct_n(samples, 2))
    assert metrics["seq_rep_4"] == pytest.approx(mean_seq_rep_n(samples, 4))
    assert metrics["rep_16"] == pytest.approx(mean_rep_l(samples, 16))
    assert metrics["loop_rate"] == pytest.approx(1 / 2)
    assert metrics["mean_loop_period"] == 2.0
    assert metrics["mean_length"] == 6.0
    assert math.isnan(metrics["novel_4gram"]) and math.isnan(metrics["longest_copy"])

    with_train = repetition_metrics(samples, words("on the mat and the cat"))
    assert with_train["longest_copy"] == 3.0  # "on the mat"
    assert with_train["novel_4gram"] == pytest.approx(1.0)  # no 4-gram is shared


def test_repetition_metrics_of_nothing() -> None:
    metrics = repetition_metrics([])
    assert tuple(metrics) == METRIC_KEYS
    assert metrics["distinct_1"] == 0.0 and metrics["loop_rate"] == 0.0
    assert math.isnan(metrics["mean_loop_period"])


def test_loops_score_as_more_repetitive_than_varied_text() -> None:
    loop = [("the queen said off with her head " * 6).split()]
    varied = [words("alice was beginning to get very tired of sitting by her sister")]
    for key in ("seq_rep_2", "seq_rep_4", "rep_16", "loop_rate"):
        assert repetition_metrics(loop)[key] > repetition_metrics(varied)[key]
    assert repetition_metrics(loop)["distinct_4"] < repetition_metrics(varied)["distinct_4"]
