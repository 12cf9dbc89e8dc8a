"""Exercise 5: greedy and temperature sampling (``apply_temperature``, ``next_token``)."""

from __future__ import annotations

import pytest
import torch

from lab.models.protocol import GREEDY, SamplingConfig
from lab.neural.decoding import apply_temperature, next_token


@pytest.mark.points(1)
def test_apply_temperature_divides_logits() -> None:
    """apply_temperature divides by T, leaves its input alone and rejects T <= 0"""
    logits = torch.tensor([[1.0, -2.0, 4.0]])
    original = logits.clone()
    torch.testing.assert_close(apply_temperature(logits, 2.0), torch.tensor([[0.5, -1.0, 2.0]]))
    torch.testing.assert_close(apply_temperature(logits, 0.5), torch.tensor([[2.0, -4.0, 8.0]]))
    assert torch.equal(logits, original)
    for bad in (0.0, -1.0):
        with pytest.raises(ValueError):
            apply_temperature(logits, bad)


@pytest.mark.points(1)
def test_greedy_takes_the_argmax_of_each_row() -> None:
    """greedy decoding returns the most likely id of every row, shape (B,)"""
    logits = torch.tensor([[0.1, 2.0, -1.0, 0.0], [5.0, 1.0, 1.0, 1.0], [0.0, 0.0, 0.0, 3.0]])
    chosen = next_token(logits, GREEDY)
    assert chosen.shape == (3,)
    assert chosen.tolist() == [1, 0, 3]


# BEGIN HIDDEN TESTS
@pytest.mark.points(1)
def test_banned_ids_are_never_chosen() -> None:
    """banned ids are skipped by greedy decoding and never drawn when sampling"""
    logits = torch.tensor([[9.0, 8.0, 1.0, 0.5]]).repeat(300, 1)
    assert set(next_token(logits, GREEDY, banned_ids=(0,)).tolist()) == {1}
    gen = torch.Generator().manual_seed(0)
    drawn = next_token(logits, SamplingConfig(temperature=3.0), generator=gen, banned_ids=(0, 1))
    assert set(drawn.tolist()) == {2, 3}


@pytest.mark.points(1)
def test_sampling_follows_the_tempered_softmax() -> None:
    """draws follow softmax(logits / T) and the same seed repeats them"""
    row = torch.tensor([0.0, 1.0, 2.0, 3.0])
    logits = row.repeat(20_000, 1)
    sampling = SamplingConfig(temperature=2.0)
    draws = next_token(logits, sampling, generator=torch.Generator().manual_seed(7))
    freqs = torch.bincount(draws, minlength=4).float() / draws.numel()
    torch.testing.assert_close(freqs, torch.softmax(row / 2.0, dim=0), atol=0.015, rtol=0)
    again = next_token(logits, sampling, generator=torch.Generator().manual_seed(7))
    assert torch.equal(draws, again)
    cold = next_token(logits[:500], SamplingConfig(temperature=0.05), generator=torch.Generator())
    assert set(cold.tolist()) == {3}


# END HIDDEN TESTS
