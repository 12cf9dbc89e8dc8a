"""The synthetic Markov source: reproducible, normalised, and its exact entropy
rate agrees with the average NLL of its own samples."""

from __future__ import annotations

import math
import re

import numpy as np
import pytest

from lab.text.synthetic import (
    MarkovSource,
    SourceConfig,
    entropy_rate,
    make_synthetic_corpus,
    render_text,
    sample_text,
    sample_tokens,
    stationary_distribution,
    true_cross_entropy,
)
from lab.text.tokenizers import WordTokenizer
from lab.text.vocabulary import EOS


@pytest.fixture(scope="module")
def source() -> MarkovSource:
    return MarkovSource.build(SourceConfig(seed=0))


def test_same_seed_same_source_and_sample(source: MarkovSource) -> None:
    again = MarkovSource.build(SourceConfig(seed=0))
    assert again.words == source.words
    assert np.array_equal(again.prob, source.prob)
    assert sample_tokens(source, 500, seed=3) == sample_tokens(again, 500, seed=3)


def test_different_seeds_differ(source: MarkovSource) -> None:
    other = MarkovSource.build(SourceConfig(seed=1))
    assert other.words != source.words
    assert sample_tokens(source, 500, seed=3) != sample_tokens(source, 500, seed=4)


def test_words_are_distinct_lowercase_letters(source: MarkovSource) -> None:
    assert len(source.words) == len(set(source.words)) == source.config.vocab_size
    assert all(re.fullmatch(r"[a-z]+", w) for w in source.words)


@pytest.mark.parametrize("order", [1, 2, 3])
def test_rows_are_distributions_and_contexts_have_the_right_length(order: int) -> None:
    src = MarkovSource.build(SourceConfig(seed=2, order=order))
    assert np.allclose(src.prob.sum(axis=1), 1.0, atol=1e-12)
    assert (src.prob >= 0).all()
    assert all(len(ctx) == order for ctx in src.contexts)
    # Every context but the start can end the sentence: that is what makes the
    # chain irreducible and aperiodic, and gives <eos> real entropy.
    eos_mass = np.where(src.succ == 0, src.prob, 0.0).sum(axis=1)
    assert eos_mass[0] == 0.0  # no empty sentences (they would vanish as blank lines)
    assert (eos_mass[1:] > 0).all()


@pytest.mark.parametrize("order", [1, 2, 3])
def test_stationary_distribution_is_a_fixed_point(order: int) -> None:
    src = MarkovSource.build(SourceConfig(seed=5, order=order))
    pi = stationary_distribution(src)
    pushed = np.bincount(src.nxt.ravel(), (pi[:, None] * src.prob).ravel(), minlength=len(pi))
    assert pi.sum() == pytest.approx(1.0)
    assert (pi > 0).all()
    assert np.abs(pushed - pi).sum() < 1e-10


def test_empirical_nll_matches_entropy_rate(source: MarkovSource) -> None:
    h = entropy_rate(source)
    tokens = sample_tokens(source, 200_000, seed=11)
    assert true_cross_entropy(source, tokens) == pytest.approx(h, rel=0.01)


def test_entropy_rate_of_a_one_word_source_in_closed_form() -> None:
    # One word w: start -> w surely, then w repeats with 1 - q or the sentence
    # ends with q. Per sentence: 1 visit to the start, 1/q visits to (w,), so
    # pi(w) = 1 / (1 + q) and H = pi(w) * h(q), with h the binary entropy.
    src = MarkovSource.build(SourceConfig(vocab_size=1, successors=1, starters=1, order=1))
    assert len(src.contexts) == 2
    q = float(src.prob[1][src.succ[1] == 0][0])
    h_q = -(q * math.log(q) + (1 - q) * math.log(1 - q))
    assert entropy_rate(src) == pytest.approx(h_q / (1 + q), rel=1e-12)


def test_stationary_distribution_matches_a_dense_eigenvector() -> None:
    src = MarkovSource.build(SourceConfig(seed=3, order=1, vocab_size=30))
    n = len(src.contexts)
    dense = np.zeros((n, n))
    for c in range(n):
        np.add.at(dense[c], src.nxt[c], src.prob[c])
    values, vectors = np.linalg.eig(dense.T)
    top = vectors[:, np.argmin(np.abs(values - 1))].real
    assert np.allclose(stationary_distribution(src), top / top.sum(), atol=1e-10)


def test_sample_ends_at_a_sentence_end_after_enough_tokens(source: MarkovSource) -> None:
    tokens = sample_tokens(source, 1000, seed=1)
    assert len(tokens) >= 1000
    assert tokens[-1] == EOS
    assert EOS not in tokens[999:-1]  # stopped at the first sentence end after 1000


def test_text_round_trips_through_the_line_tokenizer(source: MarkovSource) -> None:
    tokens = sample_tokens(source, 5000, seed=7)
    text = render_text(tokens)
    assert text == sample_text(source, 5000, seed=7)
    assert text.count("\n") == tokens.count(EOS)
    assert WordTokenizer(eos="line").tokenize(text) == tokens


def test_render_text_by_hand() -> None:
    assert render_text(["ba", "ko", EOS, "ti", EOS]) == "ba ko\nti\n"
    assert render_text([]) == ""
    with pytest.raises(ValueError):
        render_text(["ba"])  # an unfinished sentence would gain an <eos> when read back


def test_true_cross_entropy_rejects_foreign_and_impossible_tokens(source: MarkovSource) -> None:
    with pytest.raises(ValueError, match="not a token"):
        true_cross_entropy(source, ["zzz", EOS])
    assert true_cross_entropy(source, [EOS]) == math.inf  # empty sentence: impossible


def test_next_distribution_matches_the_scored_probability(source: MarkovSource) -> None:
    tokens = sample_tokens(source, 50, seed=2)
    dist = source.next_distribution(tokens[:10])
    assert sum(dist.values()) == pytest.approx(1.0)
    step = (
        true_cross_entropy(source, tokens[:11]) * 11 - true_cross_entropy(source, tokens[:10]) * 10
    )
    assert -math.log(dist[tokens[10]]) == pytest.approx(step)


def test_make_synthetic_corpus_returns_text_and_true_perplexity() -> None:
    text, ppl = make_synthetic_corpus(seed=4, num_tokens=2000)
    src = MarkovSource.build(SourceConfig(seed=4))
    assert ppl == pytest.approx(math.exp(entropy_rate(src)))
    assert 1 < ppl < len(src.tokens)
    assert len(WordTokenizer(eos="line").tokenize(text)) >= 2000


@pytest.mark.parametrize(
    "bad", [{"order": 4}, {"vocab_size": 0}, {"successors": 0}, {"alpha": 0.0}]
)
def test_config_validation(bad: dict[str, float]) -> None:
    with pytest.raises(ValueError):
        SourceConfig(**bad)  # type: ignore[arg-type]
