"""One batch per sweep (lab.neural.generation.decode_requests): every row goes through
the exercises' decoding loop and sampler with its request's settings, a request's
samples depend on its seed alone, generate is generate_batch of one request, and the
sweep asks for everything in one call."""

from __future__ import annotations

import pytest
import torch

from lab.evaluation.sweep import SweepConfig, sweep_generator
from lab.models.protocol import GenerationRequest, SamplingConfig
from lab.neural import decoding, generation
from lab.neural.generators import WordLSTMGenerator

GREEDY = SamplingConfig(greedy=True)


@pytest.fixture(scope="module")
def lstm(prose_text: str) -> WordLSTMGenerator:
    torch.manual_seed(0)
    gen = WordLSTMGenerator.from_options(
        {"embedding_dim": 16, "hidden_dim": 16, "epochs": 1, "min_freq": 1, "device": "cpu"}
    )
    gen.fit(prose_text)
    return gen


def request(prompt: str, sampling: SamplingConfig, seed: int, **kw: object) -> GenerationRequest:
    return GenerationRequest(
        prompt, max_tokens=12, sampling=sampling, num_samples=3, seed=seed, **kw
    )  # type: ignore[arg-type]


def test_a_requests_samples_depend_on_its_seed_not_on_its_batch(lstm: WordLSTMGenerator) -> None:
    hot = SamplingConfig(temperature=1.3)
    alone = lstm.generate_batch([request("the", hot, seed=7)])[0]
    mixed = lstm.generate_batch(
        [
            request("a long prompt of several words", GREEDY, seed=1),
            request("the", hot, seed=7),
            request("the", SamplingConfig(temperature=0.5, top_p=0.9), seed=3),
        ]
    )
    assert [s.text for s in mixed[1]] == [s.text for s in alone]
    other_seed = lstm.generate_batch([request("the", hot, seed=8)])[0]
    assert [s.text for s in other_seed] != [s.text for s in alone]


def test_batched_greedy_equals_generate(lstm: WordLSTMGenerator) -> None:
    batched = lstm.generate_batch(
        [request("the", SamplingConfig(temperature=1.0), seed=0), request("she said", GREEDY, 0)]
    )
    single = lstm.generate("she said", max_tokens=12, sampling=GREEDY)
    assert batched[1][0].text == single[0].text
    assert len({s.text for s in batched[1]}) == 1  # greedy rows are all the same


def test_each_request_keeps_its_own_length_and_stop(lstm: WordLSTMGenerator) -> None:
    short = GenerationRequest("the", max_tokens=3, sampling=SamplingConfig(), num_samples=2)
    stopping = GenerationRequest(
        "the", max_tokens=40, sampling=SamplingConfig(), num_samples=4, stop_at_eos=True
    )
    a, b = lstm.generate_batch([short, stopping])
    assert [len(s.tokens) for s in a] == [3, 3]
    for sample in b:
        assert len(sample.tokens) <= 40
        assert "<eos>" not in sample.tokens[:-1]


def test_the_sweep_asks_for_every_setting_in_one_call(lstm: WordLSTMGenerator, monkeypatch) -> None:
    calls: list[int] = []
    real = WordLSTMGenerator.generate_batch

    def spy(self, requests):  # type: ignore[no-untyped-def]
        calls.append(len(requests))
        return real(self, requests)

    monkeypatch.setattr(WordLSTMGenerator, "generate_batch", spy)
    config = SweepConfig(prompts=("the", "she"), num_samples=2, max_words=5)
    rows = sweep_generator("word-lstm", lstm, config)
    assert calls == [len(config.settings()) * 2]
    assert len(rows) == len(config.settings())
    assert rows == sweep_generator("word-lstm", lstm, config)  # and a seed reproduces it


@pytest.mark.parametrize(
    "sampling",
    [GREEDY, SamplingConfig(temperature=1.3), SamplingConfig(temperature=0.7, top_k=5, top_p=0.9)],
    ids=lambda s: s.label,
)
def test_generate_equals_generate_batch_for_the_same_seed(
    lstm: WordLSTMGenerator, sampling: SamplingConfig
) -> None:
    for prompt, stop in (("the", False), ("she said", True)):
        alone = lstm.generate(
            prompt, max_tokens=12, sampling=sampling, num_samples=3, seed=5, stop_at_eos=stop
        )
        batched = lstm.generate_batch([request(prompt, sampling, seed=5, stop_at_eos=stop)])[0]
        assert [s.tokens for s in alone] == [s.tokens for s in batched]


def test_batches_decode_through_the_exercises(lstm: WordLSTMGenerator, monkeypatch) -> None:
    """Every row of a mixed batch comes out of Exercise 8's loop, chosen by Exercise 6's
    next_token (no second decoder or sampler to keep in step with them)."""
    loops: list[int] = []
    draws: list[int] = []
    real_loop, real_next = generation.generate_ids, decoding.next_token

    def loop(*args, **kwargs):  # type: ignore[no-untyped-def]
        loops.append(kwargs["num_samples"])
        return real_loop(*args, **kwargs)

    def choose(logits, *args, **kwargs):  # type: ignore[no-untyped-def]
        draws.append(logits.size(0))
        return real_next(logits, *args, **kwargs)

    monkeypatch.setattr(generation, "generate_ids", loop)
    monkeypatch.setattr(decoding, "next_token", choose)  # imported where it is used
    lstm.generate_batch(
        [request("the", GREEDY, seed=1), request("a longer prompt", SamplingConfig(), seed=2)]
    )
    assert loops == [6]
    assert draws[:2] == [3, 3] and len(draws) == 2 * 12
