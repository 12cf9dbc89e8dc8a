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
def test_distinct_n_variant_and_edge_cases(sandbox: Sandbox) -> None:
    """the n-gram denominator variant, empty input, and bad arguments"""
    sample = [["a", "b", "a", "b"]]
    assert sandbox.call(
        "metrics.distinct_n", samples=sample, n=2, denominator="ngrams"
    ) == pytest.approx(2 / 3)
    assert sandbox.call("metrics.distinct_n", samples=[], n=1) == 0.0
    assert sandbox.call("metrics.distinct_n", samples=[[]], n=2) == 0.0
    sandbox.raises("ValueError", "metrics.distinct_n", samples=[["a"]], n=0)
    sandbox.raises("ValueError", "metrics.distinct_n", samples=[["a"]], n=1, denominator="types")


# END HIDDEN TESTS
