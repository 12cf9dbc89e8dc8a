"""Exercise 9: perplexity from a total negative log-likelihood (``perplexity``)."""

from __future__ import annotations

import math

import pytest

from lab.grading.sandbox import Sandbox


@pytest.mark.points(1)
def test_uniform_model_has_perplexity_of_its_vocabulary(sandbox: Sandbox) -> None:
    """a model uniform over V tokens has perplexity V; a certain one has perplexity 1"""
    assert sandbox.call("scoring.perplexity", nll=50 * math.log(20), tokens=50) == pytest.approx(
        20.0
    )
    assert sandbox.call("scoring.perplexity", nll=0.0, tokens=7) == pytest.approx(1.0)


@pytest.mark.points(1)
def test_perplexity_is_token_weighted(sandbox: Sandbox) -> None:
    """perplexity of a whole text weights every token equally, not every part"""
    parts = [(1 * math.log(2), 1), (3 * math.log(8), 3)]
    nll, tokens = sum(p[0] for p in parts), sum(p[1] for p in parts)
    assert sandbox.call("scoring.perplexity", nll=nll, tokens=tokens) == pytest.approx(2**2.5)


# BEGIN HIDDEN TESTS
@pytest.mark.points(1)
def test_perplexity_rejects_zero_tokens(sandbox: Sandbox) -> None:
    """no predicted tokens is a ValueError, not a division by zero"""
    sandbox.raises("ValueError", "scoring.perplexity", nll=1.0, tokens=0)


@pytest.mark.points(1)
def test_hopeless_model_gives_a_huge_finite_perplexity(sandbox: Sandbox) -> None:
    """a mean NLL beyond 700 nats is capped at exp(700): a huge float, not an OverflowError"""
    huge = sandbox.call("scoring.perplexity", nll=1e6, tokens=1)
    assert isinstance(huge, float) and math.isfinite(huge)
    assert huge == pytest.approx(math.exp(700))


# END HIDDEN TESTS
