"""Exercise 6: greedy and temperature sampling (``apply_temperature``, ``next_token``).

The driver swaps Exercise 7's ``top_k_filter``/``top_p_filter`` for stand-ins
built on the pure-Python sampler, so ``next_token`` is graded apart from them.
"""

from __future__ import annotations

import pytest
import torch

from lab.grading.drivers import to_data
from lab.grading.sandbox import Sandbox


@pytest.mark.points(1)
def test_apply_temperature_divides_logits(sandbox: Sandbox) -> None:
    """apply_temperature divides by T, leaves its input alone and rejects T <= 0"""
    logits = torch.tensor([[1.0, -2.0, 4.0]])
    for temperature, expected in ((2.0, [[0.5, -1.0, 2.0]]), (0.5, [[2.0, -4.0, 8.0]])):
        out = sandbox.call(
            "decoding.apply_temperature", logits=to_data(logits), temperature=temperature
        )
        torch.testing.assert_close(out["out"], torch.tensor(expected))
        assert torch.equal(out["input_after"], logits)
    for bad in (0.0, -1.0):
        sandbox.raises(
            "ValueError", "decoding.apply_temperature", logits=to_data(logits), temperature=bad
        )


@pytest.mark.points(1)
def test_greedy_takes_the_argmax_of_each_row(sandbox: Sandbox) -> None:
    """greedy decoding returns the most likely id of every row, shape (B,)"""
    logits = torch.tensor([[0.1, 2.0, -1.0, 0.0], [5.0, 1.0, 1.0, 1.0], [0.0, 0.0, 0.0, 3.0]])
    chosen = sandbox.call("decoding.next_token", logits=to_data(logits))
    assert chosen.shape == (3,)
    assert chosen.tolist() == [1, 0, 3]


# BEGIN HIDDEN TESTS
@pytest.mark.points(1)
def test_banned_ids_are_never_chosen(sandbox: Sandbox) -> None:
    """banned ids are skipped by greedy decoding and never drawn when sampling"""
    logits = to_data(torch.tensor([[9.0, 8.0, 1.0, 0.5]]))
    greedy = sandbox.call("decoding.next_token", logits=logits, banned_ids=[0], repeat=300)
    assert set(greedy.tolist()) == {1}
    drawn = sandbox.call(
        "decoding.next_token", logits=logits, temperature=3.0, seed=0, banned_ids=[0, 1], repeat=300
    )
    assert drawn.shape == (300,) and set(drawn.tolist()) == {2, 3}


@pytest.mark.points(1)
def test_sampling_follows_the_tempered_softmax(sandbox: Sandbox) -> None:
    """draws follow softmax(logits / T) and the same seed repeats them"""
    row = torch.tensor([0.0, 1.0, 2.0, 3.0])
    sample = {"logits": to_data(row[None]), "temperature": 2.0, "seed": 7, "repeat": 20_000}
    draws = sandbox.call("decoding.next_token", **sample)
    assert draws.shape == (20_000,)
    freqs = torch.bincount(draws, minlength=4).float() / draws.numel()
    torch.testing.assert_close(freqs, torch.softmax(row / 2.0, dim=0), atol=0.015, rtol=0)
    assert torch.equal(draws, sandbox.call("decoding.next_token", **sample))  # a second call
    cold = sandbox.call("decoding.next_token", **sample | {"temperature": 0.05, "repeat": 500})
    assert set(cold.tolist()) == {3}


@pytest.mark.points(1)
def test_sampling_draws_only_from_the_top_k_and_top_p_cut(sandbox: Sandbox) -> None:
    """with top_k or top_p set, draws come only from the tokens the filters keep"""
    row = to_data(torch.tensor([[0.0, 1.0, 2.0, 3.0]]))  # softmax: .03 .09 .24 .64
    sample = {"logits": row, "temperature": 1.0, "seed": 3, "repeat": 2000}
    assert set(sandbox.call("decoding.next_token", **sample, top_k=2).tolist()) == {2, 3}
    assert set(sandbox.call("decoding.next_token", **sample, top_p=0.5).tolist()) == {3}
    assert set(sandbox.call("decoding.next_token", **sample, top_p=0.8).tolist()) == {2, 3}


# END HIDDEN TESTS
