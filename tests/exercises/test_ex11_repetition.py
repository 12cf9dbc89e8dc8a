"""Exercise 11: detecting greedy cycles (``detect_loop``).

Greedy decoding of a trained model tends to fall into a loop ("the queen
said the queen said ..."); the repetition rate of Holtzman et al. (2020) is
the share of samples that end in one. The sandbox returns the submission's
``(period, onset, span)`` or ``None``; the expected answers are worked out
here by hand from the rule in the docstring.
"""

from __future__ import annotations

import pytest

from lab.grading.sandbox import Sandbox


def _loop(sandbox: Sandbox, sample: str | list[str], **options: object) -> list[int] | None:
    tokens = sample.split() if isinstance(sample, str) else sample
    return sandbox.call("metrics.detect_loop", sample=tokens, **options)  # type: ignore[no-any-return]


@pytest.mark.points(1)
def test_finds_a_loop_at_the_end(sandbox: Sandbox) -> None:
    """a sample ending in a repeated cycle gives (period, onset, span); one without, None"""
    assert _loop(sandbox, "x a b a b a b") == [2, 1, 6]
    assert _loop(sandbox, "the queen said to alice that the cat was gone") is None
    assert _loop(sandbox, []) is None


@pytest.mark.points(1)
def test_smallest_period_and_earliest_onset(sandbox: Sandbox) -> None:
    """of the periods that qualify the smallest wins, with the loop's first copy as onset"""
    said = "she said the queen said the queen said the queen said the queen"
    assert _loop(sandbox, said) == [3, 1, 12]  # period 6 also repeats; 3 is smaller
    assert _loop(sandbox, "a b c d e f d e f d e f") == [3, 3, 9]


# BEGIN HIDDEN TESTS
@pytest.mark.points(1)
def test_min_span_keeps_natural_repeats_out(sandbox: Sandbox) -> None:
    """short repeats do not count: period 1 needs 6 copies by default, and min_span is honoured"""
    assert _loop(sandbox, "it was very very very good good") is None
    assert _loop(sandbox, "and so so so so so so") == [1, 1, 6]
    assert _loop(sandbox, "and so so so so so so", min_span=7) is None
    assert _loop(sandbox, "x y z y z", min_span=4) == [2, 1, 4]


@pytest.mark.points(1)
def test_a_cycle_cut_short_still_counts(sandbox: Sandbox) -> None:
    """a length limit may stop mid-cycle: the partial copy belongs to the loop"""
    assert _loop(sandbox, "o a b c a b c a b") == [3, 1, 8]
    assert _loop(sandbox, "o a b c a b c a b", min_repeats=3) is None


@pytest.mark.points(1)
def test_period_options_and_their_checks(sandbox: Sandbox) -> None:
    """min_period and max_period bound the periods tried; bad options raise ValueError"""
    tokens = ["x", *["a"] * 12]
    assert _loop(sandbox, tokens) == [1, 1, 12]
    assert _loop(sandbox, tokens, min_period=2) == [2, 1, 12]
    assert _loop(sandbox, "q a b a b a b a b", max_period=1) is None
    for bad in ({"min_period": 0}, {"min_repeats": 1}):
        sandbox.raises("ValueError", "metrics.detect_loop", sample=["a"], **bad)


@pytest.mark.points(1)
def test_a_loop_from_the_first_token(sandbox: Sandbox) -> None:
    """a sample that loops from its very first token has onset 0"""
    assert _loop(sandbox, "a b a b a b") == [2, 0, 6]
    assert _loop(sandbox, ["so"] * 6) == [1, 0, 6]
    assert _loop(sandbox, "x y z x y z x") == [3, 0, 7]


# END HIDDEN TESTS
