"""The pure-Python reference sampler (:func:`lab.models.sampling.choose`) the count models use."""

from __future__ import annotations

import math
import random
from collections import Counter

import pytest

from lab.models.protocol import GREEDY, SamplingConfig
from lab.models.sampling import choose

SAMPLED = SamplingConfig(temperature=1.0)

# --- lab.models.sampling.choose ---------------------------------------------------------


def test_choose_greedy_is_argmax_first_on_ties() -> None:
    rng = random.Random(0)
    assert choose([10, 11, 12, 13], [0.1, 0.5, 0.2, 0.5], GREEDY, rng) == 11
    assert rng.random() == random.Random(0).random()  # greedy used no randomness


def test_choose_top_k_one_equals_greedy() -> None:
    weights = [3.0, 1.0, 7.0, 2.0, 7.0]
    for seed in range(20):
        pick = choose(range(5), weights, SamplingConfig(top_k=1), random.Random(seed))
        assert pick == choose(range(5), weights, GREEDY, random.Random(seed)) == 2


def test_choose_small_temperature_approaches_greedy() -> None:
    weights = [1.0, 2.0, 3.0]
    cold = SamplingConfig(temperature=0.01)
    assert {choose("abc", weights, cold, random.Random(s)) for s in range(200)} == {"c"}
    hot = SamplingConfig(temperature=1.0)
    assert {choose("abc", weights, hot, random.Random(s)) for s in range(200)} == set("abc")


def test_choose_top_p_keeps_the_smallest_nucleus() -> None:
    weights = [0.2, 0.5, 0.3]

    def picks(top_p: float) -> set[str]:
        config = SamplingConfig(top_p=top_p)
        return {choose("abc", weights, config, random.Random(s)) for s in range(300)}

    assert picks(0.5) == {"b"}
    assert picks(0.75) == {"b", "c"}
    assert picks(0.81) == {"a", "b", "c"}


def test_choose_follows_the_weights_and_skips_zeros() -> None:
    rng = random.Random(3)
    draws = Counter(choose("abc", [1.0, 0.0, 3.0], SAMPLED, rng) for _ in range(4000))
    assert draws["b"] == 0
    assert 0.2 < draws["a"] / 4000 < 0.3


def test_choose_is_reproducible_with_a_seed() -> None:
    config = SamplingConfig(temperature=1.3, top_k=4, top_p=0.9)
    weights = [5, 1, 4, 2, 8, 3]

    def run(seed: int) -> list[int]:
        rng = random.Random(seed)
        return [choose(range(6), weights, config, rng) for _ in range(50)]

    assert run(7) == run(7)
    assert run(7) != run(8)


@pytest.mark.parametrize(
    ("candidates", "weights"),
    [([], []), ([1, 2], [1.0]), ([1, 2], [0.0, 0.0]), ([1], [-1.0]), ([1], [math.nan])],
)
def test_choose_rejects_bad_input(candidates: list[int], weights: list[float]) -> None:
    with pytest.raises(ValueError):
        choose(candidates, weights, SAMPLED, random.Random(0))
