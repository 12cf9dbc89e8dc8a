"""Per-token probabilities, for every registered kind: the next-token view is what the
sampler draws from, and the per-token log-probabilities add up to ``score``."""

from __future__ import annotations

import math

import pytest
from test_protocol import CASES, NEURAL, pretrained_model

from lab.errors import OptionError
from lab.models import registry
from lab.models.base import Generator
from lab.models.protocol import GREEDY, SamplingConfig
from lab.models.registry import KINDS, generator_class
from lab.text.splitting import split_corpus
from lab.text.vocabulary import EOS, PAD, UNK

#: Markov walks sample from chain counts but score with Kneser-Ney (see baselines.markov),
#: so only for the others is the "before" distribution the scored one.
SAMPLES_FROM_ANOTHER_MODEL = {"markov", "markov-char"}


@pytest.fixture(scope="module", params=list(CASES))
def fitted(
    request: pytest.FixtureRequest, prose_text: str, tiny_lstm: dict[str, object]
) -> tuple[str, Generator, str]:
    assert {kind for kind, _ in CASES.values()} == set(KINDS)
    parts = split_corpus(prose_text)
    kind, extra = CASES[request.param]
    options = {**(tiny_lstm if kind in NEURAL else {}), **extra, **pretrained_model(request)}
    gen = generator_class(kind).from_options(options)
    gen.fit(parts.train)
    return request.param, gen, parts.test


def _tolerance(gen: Generator) -> float:
    # The networks add float32 terms; the count models float64 ones.
    return 1e-5 if registry.kind(gen.kind).neural else 1e-10


def test_token_logprobs_add_up_to_the_score(fitted) -> None:
    _, gen, test = fitted
    text = test[:400] + " Zebras juxtapose."
    logprobs = gen.token_logprobs(text)
    score = gen.score(text)
    assert len(logprobs) == score.num_tokens
    assert [t.token for t in logprobs] == gen.tokenizer.tokenize(text)
    assert sum(t.oov for t in logprobs) == score.num_oov
    assert all(t.logprob <= 0 and math.isfinite(t.logprob) for t in logprobs)
    total = -math.fsum(t.logprob for t in logprobs)
    assert total == pytest.approx(score.nll_nats, rel=_tolerance(gen))
    assert gen.token_logprobs("") == []


def test_before_is_the_scored_distribution(fitted) -> None:
    case, gen, _ = fitted
    if case in SAMPLES_FROM_ANOTHER_MODEL:
        pytest.skip("a Markov walk samples from chain counts, not from its scoring model")
    tokens = gen.tokenizer.tokenize("Alice said the cat")
    last = gen.token_logprobs("Alice said the cat")[-1]
    dist = gen.next_token_distribution(tokens[:-1], top_n=len(gen.vocab))
    prob = {c.token: c.prob for c in dist.top}[gen.vocab.map_unknown([tokens[-1]])[0]]
    assert math.log(prob) == pytest.approx(last.logprob, rel=_tolerance(gen), abs=1e-6)


def test_after_is_what_the_settings_leave(fitted) -> None:
    _, gen, _ = fitted
    plain = gen.next_token_distribution("Alice", top_n=len(gen.vocab))
    assert plain.candidates >= len(plain.top) > 0
    probs = [c.prob for c in plain.top]
    assert probs == sorted(probs, reverse=True)
    assert math.fsum(probs) == pytest.approx(1.0)
    assert math.fsum(c.sampled_prob for c in plain.top) == pytest.approx(1.0)
    assert all(c.sampled_prob == 0 for c in plain.top if c.token in (UNK, PAD))
    greedy = gen.next_token_distribution("Alice", sampling=GREEDY)
    assert greedy.kept == 1 and len(greedy.top) == min(10, greedy.candidates)
    assert [c.sampled_prob for c in greedy.top if c.sampled_prob] == [1.0]
    top3 = gen.next_token_distribution("Alice", sampling=SamplingConfig(top_k=3), top_n=5)
    assert top3.kept == min(3, plain.kept)
    assert math.fsum(c.sampled_prob for c in top3.top) == pytest.approx(1.0)
    hot = gen.next_token_distribution("Alice", sampling=SamplingConfig(temperature=3.0))
    cold = gen.next_token_distribution("Alice", sampling=SamplingConfig(temperature=0.3))
    best = max(range(len(hot.top)), key=lambda i: hot.top[i].sampled_prob)
    assert cold.top[best].sampled_prob >= hot.top[best].sampled_prob
    with pytest.raises(OptionError):
        gen.next_token_distribution("Alice", top_n=0)


def test_greedy_steps_walk_as_generate(fitted) -> None:
    _, gen, _ = fitted
    tokens = gen.tokenizer.tokenize_prompt("Alice")
    walked: list[str] = []
    for _ in range(6):
        dist = gen.next_token_distribution([*tokens, *walked], sampling=GREEDY, top_n=3)
        walked.append(next(c.token for c in dist.top if c.sampled_prob == 1.0))
    assert tuple(walked) == gen.generate("Alice", max_tokens=6, sampling=GREEDY)[0].tokens


def test_a_walk_restarts_after_eos(fitted) -> None:
    _, gen, _ = fitted
    # Tokens given directly keep an <eos> that text would lose: the next sentence starts,
    # which for a count model means the context of a text's very start.
    after_eos = gen.next_token_distribution(["Alice", EOS])
    assert after_eos.context == ("Alice", EOS)
    if not registry.kind(gen.kind).neural:
        assert after_eos.top == gen.next_token_distribution([]).top


def test_sampled_next_token_is_seeded_and_kept(fitted) -> None:
    _, gen, _ = fitted
    sampling = SamplingConfig(temperature=1.5, top_k=4)
    dist = gen.next_token_distribution("The", sampling=sampling)
    kept = {c.token for c in dist.top if c.sampled_prob > 0}
    draws = [gen.sample_next_token("The", sampling=sampling, seed=s) for s in range(8)]
    assert set(draws) <= kept
    assert draws == [gen.sample_next_token("The", sampling=sampling, seed=s) for s in range(8)]
