from __future__ import annotations

import pytest
import torch

from lab.models.protocol import SamplingConfig
from lab.neural.batching import batchify, get_batch, num_batches
from lab.neural.decoding import next_token, top_k_filter, top_p_filter

LOGITS = torch.tensor([[1.0, 3.0, 2.0, 0.0, -1.0]])


def test_greedy_is_argmax_and_respects_bans() -> None:
    greedy = SamplingConfig(greedy=True)
    assert next_token(LOGITS, greedy).tolist() == [1]
    assert next_token(LOGITS, greedy, banned_ids=[1]).tolist() == [2]


def test_banned_tokens_are_never_sampled() -> None:
    rng = torch.Generator().manual_seed(0)
    logits = torch.zeros(2000, 5)
    logits[:, 0] = 10.0  # the banned token would win almost always
    out = next_token(logits, SamplingConfig(temperature=2.0), generator=rng, banned_ids=[0, 1])
    assert not torch.isin(out, torch.tensor([0, 1])).any()


def test_top_k_keeps_k_best() -> None:
    kept = torch.isfinite(top_k_filter(LOGITS, 2))
    assert kept.tolist() == [[False, True, True, False, False]]
    rng = torch.Generator().manual_seed(1)
    draws = next_token(LOGITS.expand(500, -1), SamplingConfig(top_k=1), generator=rng)
    assert set(draws.tolist()) == {1}


def test_top_p_keeps_smallest_nucleus() -> None:
    logits = torch.log(torch.tensor([[0.5, 0.3, 0.15, 0.05]]))
    assert torch.isfinite(top_p_filter(logits, 0.5)).tolist() == [[True, False, False, False]]
    assert torch.isfinite(top_p_filter(logits, 0.8)).tolist() == [[True, True, False, False]]
    assert torch.isfinite(top_p_filter(logits, 0.81)).tolist() == [[True, True, True, False]]


def test_temperature_sharpens_and_flattens() -> None:
    rng = torch.Generator().manual_seed(2)
    batch = LOGITS.expand(4000, -1)
    cold = next_token(batch, SamplingConfig(temperature=0.05), generator=rng)
    hot = next_token(batch, SamplingConfig(temperature=5.0), generator=rng)
    assert (cold == 1).float().mean() > 0.99
    assert len(set(hot.tolist())) == 5
    assert (hot == 1).float().mean() < 0.5


def test_seed_reproduces_draws() -> None:
    def draw(seed: int) -> torch.Tensor:
        rng = torch.Generator().manual_seed(seed)
        return next_token(LOGITS.expand(50, -1), SamplingConfig(), generator=rng)

    assert torch.equal(draw(7), draw(7))
    assert not torch.equal(draw(7), draw(8))


@pytest.mark.parametrize(
    "bad",
    [
        dict(temperature=-1),
        dict(temperature=1e-9),
        dict(top_k=-1),
        dict(top_p=0.0),
        dict(top_p=1.5),
        dict(repetition_penalty=0),
        dict(no_repeat_ngram_size=-1),
    ],
)
def test_sampling_config_validates(bad: dict) -> None:
    with pytest.raises(ValueError):
        SamplingConfig(**bad)


def test_batchify_and_get_batch() -> None:
    src = batchify(list(range(26)), 4)  # 6 rows, 2 tokens dropped
    assert src.shape == (6, 4)
    assert src[:, 1].tolist() == [6, 7, 8, 9, 10, 11]
    x, y = get_batch(src, 0, 2)
    assert x[:, 0].tolist() == [0, 1] and y[:, 0].tolist() == [1, 2]
    x, y = get_batch(src, 4, 2)  # the last window is shorter
    assert x.shape[0] == 1 and y[:, 0].tolist() == [5]
    assert num_batches(src, 2) == 3
    with pytest.raises(ValueError):
        batchify([1, 2, 3], 4)
