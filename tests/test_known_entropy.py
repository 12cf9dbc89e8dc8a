"""Perplexity code checked against ground truth: a source whose entropy rate is known.

The synthetic order-2 Markov source (lab.text.synthetic) has an exact entropy rate H,
so exp(H) is the perplexity a perfect model reaches. A Kneser-Ney model of the
source's order must land within 3% of it and the word LSTM within 10%; a bug in
token counting (a missed <eos>, an off-by-one target, a mean of batch
perplexities) moves the figure by more than that.
"""

from __future__ import annotations

import math

import pytest

from baselines.ngram import NGramConfig, NGramGenerator
from lab.evaluation.evaluate import evaluate_generator
from lab.models.config import VocabConfig
from lab.neural.generators import WordLSTMGenerator
from lab.text.synthetic import MarkovSource, SourceConfig, entropy_rate, sample_text


@pytest.fixture(scope="module")
def source_texts() -> tuple[float, str, str, str]:
    source = MarkovSource.build(SourceConfig(seed=0, order=2))
    true_ppl = math.exp(entropy_rate(source))
    return (
        true_ppl,
        sample_text(source, 100_000, 1),
        sample_text(source, 10_000, 2),
        sample_text(source, 30_000, 3),
    )


def test_kneser_ney_of_the_source_order_is_within_3_percent(source_texts) -> None:
    true_ppl, train, valid, test = source_texts
    model = NGramGenerator(NGramConfig(order=3), VocabConfig(min_freq=1, eos="line"))
    model.fit(train, valid)
    row = evaluate_generator("ngram", model, test)
    assert row.score.num_oov == 0
    assert abs(row.score.ppl / true_ppl - 1) < 0.03, (row.score.ppl, true_ppl)


def test_lower_order_model_is_measurably_worse(source_texts) -> None:
    """The check has teeth: a bigram model of an order-2 source misses by far more than 3%."""
    true_ppl, train, valid, test = source_texts
    model = NGramGenerator(NGramConfig(order=2), VocabConfig(min_freq=1, eos="line"))
    model.fit(train, valid)
    assert model.score(test).ppl / true_ppl > 1.03


@pytest.mark.slow
def test_word_lstm_is_within_10_percent(source_texts) -> None:
    true_ppl, train, valid, test = source_texts
    model = WordLSTMGenerator.from_options(
        dict(
            embedding_dim=128,
            hidden_dim=128,
            num_layers=1,
            dropout=0.0,
            eos="line",
            min_freq=1,
            epochs=4,
            lr=1e-2,
            batch_size=32,
            bptt=35,
            device="cpu",
            seed=0,
        )
    )
    model.fit(train, valid)
    ppl = model.score(test).ppl
    assert ppl / true_ppl < 1.10, (ppl, true_ppl)
    assert ppl / true_ppl > 0.97  # nothing beats the true source by more than sampling noise
