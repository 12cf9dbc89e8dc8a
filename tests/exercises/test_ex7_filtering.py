"""Exercise 7 (extension): top-k and top-p filtering (``top_k_filter``, ``top_p_filter``).

The filters are called directly, never through ``next_token``, so this
exercise is graded apart from Exercise 6. Expected supports are written out
here from the rule in ``lab.models.sampling``.
"""

from __future__ import annotations

import math

import pytest
import torch

from lab.grading.drivers import to_data
from lab.grading.sandbox import Sandbox

# softmax of these logits: 0.5, 0.3, 0.15, 0.05 (ids 2, 0, 3, 1 by probability)
NUCLEUS = torch.log(torch.tensor([[0.3, 0.05, 0.5, 0.15]]))


def _kept(out: torch.Tensor) -> list[list[int]]:
    """The ids each row keeps (finite logits)."""
    return [torch.nonzero(torch.isfinite(row)).flatten().tolist() for row in out]


def _assert_kept_unchanged(out: torch.Tensor, logits: torch.Tensor) -> None:
    """Every kept logit is the input's, every other one is -inf."""
    finite = torch.isfinite(out)
    assert torch.equal(out[finite], logits[finite])
    assert bool((out[~finite] == -math.inf).all())


def _top_k(sandbox: Sandbox, logits: torch.Tensor, k: int) -> torch.Tensor:
    out: torch.Tensor = sandbox.call("decoding.top_k_filter", logits=to_data(logits), k=k)["out"]
    assert out.shape == logits.shape
    return out


def _top_p(sandbox: Sandbox, logits: torch.Tensor, p: float) -> torch.Tensor:
    out: torch.Tensor = sandbox.call("decoding.top_p_filter", logits=to_data(logits), p=p)["out"]
    assert out.shape == logits.shape
    return out


@pytest.mark.points(1)
def test_top_k_keeps_the_k_largest_logits_of_each_row(sandbox: Sandbox) -> None:
    """top_k_filter keeps each row's k largest logits unchanged and sets the rest to -inf"""
    logits = torch.tensor([[1.0, 3.0, 2.0, 0.0, -1.0], [0.0, -1.0, 5.0, 4.0, 3.0]])
    out = _top_k(sandbox, logits, 2)
    assert _kept(out) == [[1, 2], [2, 3]]
    _assert_kept_unchanged(out, logits)
    assert _kept(_top_k(sandbox, logits, 1)) == [[1], [2]]


@pytest.mark.points(1)
def test_top_p_keeps_the_smallest_nucleus(sandbox: Sandbox) -> None:
    """top_p_filter keeps the most likely tokens until their probabilities reach p"""
    out = _top_p(sandbox, NUCLEUS, 0.7)
    assert _kept(out) == [[0, 2]]
    _assert_kept_unchanged(out, NUCLEUS)
    assert _kept(_top_p(sandbox, NUCLEUS, 0.9)) == [[0, 2, 3]]
    assert _kept(_top_p(sandbox, NUCLEUS, 0.99)) == [[0, 1, 2, 3]]


# BEGIN HIDDEN TESTS
@pytest.mark.points(1)
def test_top_k_breaks_ties_by_lower_id(sandbox: Sandbox) -> None:
    """exactly k survive when logits tie at the cut: the lower ids"""
    logits = torch.tensor([[2.0, 5.0, 5.0, 5.0, 1.0], [3.0, 3.0, 3.0, 3.0, 3.0]])
    assert _kept(_top_k(sandbox, logits, 2)) == [[1, 2], [0, 1]]
    assert _kept(_top_k(sandbox, logits, 4)) == [[0, 1, 2, 3], [0, 1, 2, 3]]


@pytest.mark.points(1)
def test_top_k_of_at_least_the_vocabulary_keeps_everything(sandbox: Sandbox) -> None:
    """k >= V cuts nothing"""
    logits = torch.tensor([[1.0, 3.0, 2.0], [0.0, 0.0, -2.0]])
    for k in (3, 10):
        assert torch.equal(_top_k(sandbox, logits, k), logits)


@pytest.mark.points(1)
def test_top_p_always_keeps_the_most_likely_token(sandbox: Sandbox) -> None:
    """a p below the top token's probability keeps that token alone, never nothing"""
    for p in (0.4, 0.05, 1e-9):
        assert _kept(_top_p(sandbox, NUCLEUS, p)) == [[2]]


@pytest.mark.points(1)
def test_top_p_ranks_equal_probabilities_by_lower_id(sandbox: Sandbox) -> None:
    """a nucleus reaching p exactly stops there, equal tokens taken in id order, row by row"""
    logits = torch.tensor([[1.0, 1.0, 1.0, 1.0], [0.0, 2.0, 2.0, 0.0]])
    assert _kept(_top_p(sandbox, logits, 0.5)) == [[0, 1], [1, 2]]


@pytest.mark.points(1)
def test_filters_leave_their_input_unchanged(sandbox: Sandbox) -> None:
    """neither filter modifies the logits it is given"""
    logits = torch.tensor([[1.0, 3.0, 2.0, 0.0], [0.5, -1.0, 4.0, 4.0]])
    for name, option in (
        ("decoding.top_k_filter", {"k": 2}),
        ("decoding.top_p_filter", {"p": 0.5}),
    ):
        out = sandbox.call(name, logits=to_data(logits), **option)
        assert torch.equal(out["input_after"], logits), name


# END HIDDEN TESTS
