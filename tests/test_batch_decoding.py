"""One batch per sweep (lab.neural.batch_decoding): every row follows the one sampling
rule with its own settings, a request's samples depend on its seed alone, and the
sweep asks for everything in one call."""

from __future__ import annotations

import random

import pytest
import torch
from test_sampler_parity import random_case, reference_distribution

from lab.evaluation.sweep import SweepConfig, sweep_generator
from lab.models.protocol import GenerationRequest, SamplingConfig
from lab.neural.batch_decoding import RowSampling, draw_rows, row_distribution
from lab.neural.decoding import ban_tokens
from lab.neural.generators import WordLSTMGenerator

GREEDY = SamplingConfig(greedy=True)


def batch_distribution(logits: torch.Tensor, settings: list[SamplingConfig], banned: list[int]):
    """The rows' distributions over ids, as draw_rows draws from them (float64)."""
    rows = RowSampling.of(settings, logits.size(-1))
    return row_distribution(ban_tokens(logits.double(), banned), rows)


def test_every_row_keeps_the_reference_support_and_probabilities() -> None:
    """500 random (logits, settings) cases, decoded 8 to a batch with mixed settings."""
    rng = random.Random(1)
    for group in range(60):
        vocab = rng.randint(2, 30)
        cases = []
        while len(cases) < 8:
            logits, sampling, banned = random_case(rng)
            if logits.size(-1) == vocab and not sampling.greedy:
                cases.append((logits, sampling))
        banned = rng.sample(range(vocab), k=rng.randint(0, min(2, vocab - 1)))
        batch = torch.cat([c[0] for c in cases])
        ours = batch_distribution(batch, [c[1] for c in cases], banned)
        for row, (logits, sampling) in enumerate(cases):
            reference = reference_distribution(logits, sampling, banned)
            context = (group, row, logits.tolist(), sampling, banned)
            assert [p > 0 for p in ours[row].tolist()] == [p > 0 for p in reference], context
            assert ours[row].tolist() == pytest.approx(reference, abs=1e-9), context


def test_greedy_rows_take_the_arg_max_with_ties_to_the_lower_id() -> None:
    logits = torch.tensor([[0.0, 3.0, 3.0, 1.0], [5.0, 0.0, 5.0, 0.0]])
    rows = RowSampling.of([GREEDY, GREEDY], 4)
    assert draw_rows(logits, rows, torch.rand(2, dtype=torch.float64)).tolist() == [1, 0]


def test_draws_follow_each_rows_distribution() -> None:
    """20,000 rows of the same logits, half at T=0.5 with top-k 3, half at T=2."""
    logits = torch.tensor([[2.0, 1.0, 0.5, 0.0, -1.0]]).expand(20_000, -1)
    settings = [SamplingConfig(temperature=0.5, top_k=3)] * 10_000 + [
        SamplingConfig(temperature=2.0)
    ] * 10_000
    rows = RowSampling.of(settings, 5)
    drawn = draw_rows(logits, rows, 1.0 - torch.rand(20_000, dtype=torch.float64))
    expected = batch_distribution(logits[[0, -1]], [settings[0], settings[-1]], [])
    for half, probs in zip((drawn[:10_000], drawn[10_000:]), expected, strict=True):
        freq = torch.bincount(half, minlength=5).double() / half.numel()
        assert freq.tolist() == pytest.approx(probs.tolist(), abs=0.015)
    assert int((drawn[:10_000] > 2).sum()) == 0  # top-k 3: ids 3 and 4 never drawn


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
