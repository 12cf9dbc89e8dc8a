"""Exercise 6: perplexity from a total negative log-likelihood (``perplexity``)."""

from __future__ import annotations

import math

import pytest

from lab.models.scoring import perplexity


@pytest.mark.points(1)
def test_uniform_model_has_perplexity_of_its_vocabulary() -> None:
    """a model uniform over V tokens has perplexity V; a certain one has perplexity 1"""
    assert perplexity(50 * math.log(20), 50) == pytest.approx(20.0)
    assert perplexity(0.0, 7) == pytest.approx(1.0)


@pytest.mark.points(1)
def test_perplexity_is_token_weighted() -> None:
    """perplexity of a whole text weights every token equally, not every part"""
    parts = [(1 * math.log(2), 1), (3 * math.log(8), 3)]
    total = perplexity(sum(p[0] for p in parts), sum(p[1] for p in parts))
    assert total == pytest.approx(2**2.5)  # not the mean of 2 and 8


# BEGIN HIDDEN TESTS
@pytest.mark.points(1)
def test_perplexity_edge_cases() -> None:
    """no tokens is an error; a hopeless model gives a huge finite number, not an overflow"""
    with pytest.raises(ValueError):
        perplexity(1.0, 0)
    huge = perplexity(1e6, 1)
    assert math.isfinite(huge) and huge > 1e300


# END HIDDEN TESTS
