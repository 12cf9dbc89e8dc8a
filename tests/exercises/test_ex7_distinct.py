"""Exercise 7: the distinct-n diversity metric (``distinct_n``)."""

from __future__ import annotations

import pytest

from lab.evaluation.metrics import distinct_n


@pytest.mark.points(1)
def test_distinct_n_divides_unique_ngrams_by_tokens() -> None:
    """distinct-n is unique n-grams over generated tokens (Li et al. 2016)"""
    sample = [["a", "b", "a", "b"]]
    assert distinct_n(sample, 1) == pytest.approx(2 / 4)
    assert distinct_n(sample, 2) == pytest.approx(2 / 4)  # ab, ba
    assert distinct_n([["a", "b", "c"]], 3) == pytest.approx(1 / 3)


@pytest.mark.points(1)
def test_distinct_n_pools_all_samples() -> None:
    """n-grams are counted once across all samples, tokens are summed over samples"""
    assert distinct_n([["a", "b"], ["a", "b"]], 2) == pytest.approx(1 / 4)
    assert distinct_n([["a", "b"], ["c", "d"], ["e"]], 2) == pytest.approx(2 / 5)


# BEGIN HIDDEN TESTS
@pytest.mark.points(1)
def test_distinct_n_variant_and_edge_cases() -> None:
    """the n-gram denominator variant, empty input, and bad arguments"""
    assert distinct_n([["a", "b", "a", "b"]], 2, denominator="ngrams") == pytest.approx(2 / 3)
    assert distinct_n([], 1) == 0.0
    assert distinct_n([[]], 2) == 0.0
    with pytest.raises(ValueError):
        distinct_n([["a"]], 0)
    with pytest.raises(ValueError):
        distinct_n([["a"]], 1, denominator="types")  # type: ignore[arg-type]


# END HIDDEN TESTS
