"""One sampling rule: the torch sampler keeps the same tokens with the same
probabilities as the pure-Python reference, over random logits and settings (HF's
repetition controls too).

The oracle here restates what Exercise 6's ``next_token`` draws from, so the handout
leaves this module out (``lab.grading.handout.EXCLUDED_PATHS``; tests/test_handout_twins.py).
"""

from __future__ import annotations

import random
from collections import Counter

import pytest
import torch

from lab.models.sampling import (
    SamplingConfig,
    choose,
    choose_index,
    sampling_distribution,
)
from lab.neural.decoding import ban_tokens, filter_logits, next_token, repetition_controls


def torch_distribution(logits: torch.Tensor, sampling: SamplingConfig, banned: list[int]):
    """What next_token draws from, as probabilities (float64 so rounding cannot matter)."""
    logits = ban_tokens(logits.double(), banned)
    if sampling.greedy:
        return torch.nn.functional.one_hot(logits.argmax(-1), logits.size(-1)).double()
    return torch.softmax(filter_logits(logits, sampling), dim=-1)


def reference_distribution(logits: torch.Tensor, sampling: SamplingConfig, banned: list[int]):
    weights = torch.softmax(logits.double(), dim=-1)[0].tolist()
    for i in banned:
        weights[i] = 0.0
    return sampling_distribution(weights, sampling)


def random_case(rng: random.Random) -> tuple[torch.Tensor, SamplingConfig, list[int]]:
    vocab = rng.randint(2, 40)
    values = [round(rng.gauss(0, 2), rng.choice([0, 1, 6])) for _ in range(vocab)]  # ties often
    banned = rng.sample(range(vocab), k=rng.randint(0, min(2, vocab - 1)))
    sampling = SamplingConfig(
        greedy=rng.random() < 0.15,
        temperature=rng.choice([1.0, rng.uniform(0.3, 2.5)]),
        top_k=rng.choice([None, rng.randint(1, vocab + 2)]),
        top_p=rng.choice([None, 1.0, rng.uniform(0.05, 0.99)]),
    )
    return torch.tensor([values]), sampling, banned


def test_torch_and_reference_keep_the_same_support_with_the_same_probabilities() -> None:
    rng = random.Random(0)
    for case in range(500):
        logits, sampling, banned = random_case(rng)
        ours = torch_distribution(logits, sampling, banned)[0].tolist()
        reference = reference_distribution(logits, sampling, banned)
        context = (case, logits.tolist(), sampling, banned)
        assert [p > 0 for p in ours] == [p > 0 for p in reference], context
        assert ours == pytest.approx(reference, abs=1e-9), context
        if sampling.top_k is not None and not sampling.greedy:
            assert sum(p > 0 for p in ours) <= sampling.top_k  # exactly k, never more


def test_top_k_keeps_exactly_k_and_breaks_ties_by_lower_id() -> None:
    logits = torch.tensor([[2.0, 1.0, 1.0, 0.0]])
    sampling = SamplingConfig(top_k=2)
    ours = torch_distribution(logits, sampling, [])[0]
    reference = reference_distribution(logits, sampling, [])
    assert (ours > 0).tolist() == [p > 0 for p in reference] == [True, True, False, False]


def test_both_samplers_draw_from_that_distribution() -> None:
    logits = torch.tensor([[1.5, 0.2, 0.2, -0.7, 1.1, 0.0]])
    sampling = SamplingConfig(temperature=0.7, top_k=4, top_p=0.9)
    expected = reference_distribution(logits, sampling, [5])
    n = 20_000
    gen = torch.Generator().manual_seed(3)
    torch_draws = next_token(logits.expand(n, -1), sampling, generator=gen, banned_ids=[5])
    weights = torch.softmax(logits.double(), -1)[0].tolist()
    weights[5] = 0.0
    pure_rng = random.Random(3)
    pure_draws = [choose(range(6), weights, sampling, pure_rng) for _ in range(n)]
    for draws in (Counter(torch_draws.tolist()), Counter(pure_draws)):
        assert set(draws) == {i for i, p in enumerate(expected) if p > 0}
        for i, p in enumerate(expected):
            assert draws[i] / n == pytest.approx(p, abs=0.015)


def test_numpy_path_matches_the_reference_and_draws_like_choose() -> None:
    """choose_index (the count models' whole-vocabulary sampler: numpy for greedy and
    temperature, the reference itself for top-k/top-p) picks, with the same seed, what
    choose picks."""
    rng = random.Random(1)
    for case in range(300):
        logits, sampling, banned = random_case(rng)
        weights = torch.softmax(logits.double(), dim=-1)[0].numpy().copy()
        weights[banned] = 0.0
        reference = sampling_distribution(weights.tolist(), sampling)
        picks = [choose_index(weights, sampling, random.Random(s)) for s in range(20)]
        assert all(reference[i] > 0 for i in picks)
        same = [
            choose(range(len(weights)), weights.tolist(), sampling, random.Random(s))
            for s in range(20)
        ]
        assert picks == same, (case, sampling)  # the same single draw on the same weights


def test_torch_and_reference_agree_with_the_controls_on_random_logits() -> None:
    rng = random.Random(1)
    for case in range(300):
        vocab = rng.randint(3, 12)
        logits = torch.tensor([[round(rng.gauss(0, 2), 1) for _ in range(vocab)]]).double()
        history = [rng.randrange(vocab) for _ in range(rng.randint(0, 12))]
        sampling = SamplingConfig(
            greedy=rng.random() < 0.2,
            temperature=rng.choice([1.0, 0.7, 1.5]),
            top_k=rng.choice([None, 2, 5]),
            top_p=rng.choice([None, 0.8]),
            repetition_penalty=rng.choice([1.0, 1.3, 0.8]),
            no_repeat_ngram_size=rng.choice([0, 1, 2, 3]),
        )
        seen = torch.zeros_like(logits, dtype=torch.bool)
        seen[0, history] = True
        controlled = repetition_controls(ban_tokens(logits, [0]), sampling, seen, [history])
        if sampling.greedy:
            ours = torch.nn.functional.one_hot(controlled.argmax(-1), vocab).double()[0].tolist()
        else:
            ours = torch.softmax(filter_logits(controlled, sampling), -1)[0].tolist()
        weights = [0.0, *logits[0, 1:].exp().tolist()]  # exp(logit), <pad> (id 0) banned
        reference = sampling_distribution(weights, sampling, history=history)
        assert ours == pytest.approx(reference, abs=1e-9), (case, sampling, history)
