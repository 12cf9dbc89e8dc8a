"""Exercise 10: the distinct-n diversity metric (``distinct_n``)."""

from __future__ import annotations

import pytest

from lab.grading.sandbox import Sandbox


@pytest.mark.points(1)
def test_distinct_n_divides_unique_ngrams_by_tokens(sandbox: Sandbox) -> None:
    """distinct-n is unique n-grams over generated tokens (Li et al. 2016)"""
    sample = [["a", "b", "a", "b"]]
    assert sandbox.call("metrics.distinct_n", samples=sample, n=1) == pytest.approx(2 / 4)
    assert sandbox.call("metrics.distinct_n", samples=sample, n=2) == pytest.approx(2 / 4)
    assert sandbox.call("metrics.distinct_n", samples=[["a", "b", "c"]], n=3) == pytest.approx(
        1 / 3
    )


@pytest.mark.points(1)
def test_distinct_n_pools_all_samples(sandbox: Sandbox) -> None:
    """n-grams are counted once across all samples, tokens are summed over samples"""
    assert sandbox.call(
        "metrics.distinct_n", samples=[["a", "b"], ["a", "b"]], n=2
    ) == pytest.approx(1 / 4)
    samples = [["a", "b"], ["c", "d"], ["e"]]
    assert sandbox.call("metrics.distinct_n", samples=samples, n=2) == pytest.approx(2 / 5)


# BEGIN HIDDEN TESTS
@pytest.mark.points(1)
def test_distinct_n_ngram_denominator_variant(sandbox: Sandbox) -> None:
    """denominator="ngrams" divides by the number of n-grams, len - n + 1 per sample"""
    sample = [["a", "b", "a", "b"]]
    assert sandbox.call(
        "metrics.distinct_n", samples=sample, n=2, denominator="ngrams"
    ) == pytest.approx(2 / 3)
    samples = [["a", "b"], ["c"]]
    assert sandbox.call(
        "metrics.distinct_n", samples=samples, n=2, denominator="ngrams"
    ) == pytest.approx(1.0)


@pytest.mark.points(1)
def test_distinct_n_of_empty_input_is_zero(sandbox: Sandbox) -> None:
    """no samples, or only empty ones, give 0.0 rather than a division by zero"""
    assert sandbox.call("metrics.distinct_n", samples=[], n=1) == 0.0
    assert sandbox.call("metrics.distinct_n", samples=[[]], n=2) == 0.0
    assert sandbox.call("metrics.distinct_n", samples=[["a"]], n=2, denominator="ngrams") == 0.0


# END HIDDEN TESTS
