"""Interpolated Kneser-Ney (baselines.kneser_ney): normalisation, hand-computed
probabilities, discounts, and that context helps on text from a sequential source."""

from __future__ import annotations

import math
import random

import pytest
from _synthetic_text import WORDS, source_sentences

from baselines.kneser_ney import KneserNey, count_ngrams
from lab.text.vocabulary import EOS, Vocabulary

# The hand-worked corpus: two sentences "a b" and "a c", six tokens with <eos>.
PAD, UNK, END, A, B, C = range(6)
TINY = [A, B, END, A, C, END]
D = 0.75


def encode(sentences: list[list[str]], vocab: Vocabulary) -> list[int]:
    return vocab.encode(tok for s in sentences for tok in [*s, EOS])


@pytest.fixture(scope="module")
def vocab() -> Vocabulary:
    # Every source word plus two the corpus never uses, so unseen words are in the support.
    return Vocabulary(["<pad>", "<unk>", EOS, ".", *WORDS, "never", "seen"])


@pytest.fixture(scope="module")
def train_ids(vocab: Vocabulary) -> list[int]:
    return encode(source_sentences(300, seed=1), vocab)


@pytest.fixture(scope="module")
def heldout_ids(vocab: Vocabulary) -> list[int]:
    return encode(source_sentences(150, seed=2), vocab)


def build(ids: list[int], order: int, vocab_size: int, **kwargs: object) -> KneserNey:
    return KneserNey(
        count_ngrams(ids, order, END),
        order=order,
        vocab_size=vocab_size,
        pad_id=PAD,
        eos_id=END,
        **kwargs,
    )  # type: ignore[arg-type]


def test_count_ngrams_gives_sentence_starts_one_start_symbol() -> None:
    counts = count_ngrams(TINY, 3, END)
    assert counts[(END, A)] == 2  # both sentences start "<s> a": a bigram, not padded
    assert (END, END, A) not in counts
    assert counts[(END, A, B)] == 1 and counts[(A, C, END)] == 1
    assert sum(counts.values()) == len(TINY)  # one n-gram per predicted token


def test_counts_padded_the_old_way_build_the_same_model() -> None:
    """Saved models from before kept every sentence padded with order - 1 <eos>."""
    padded = {(END, END, A): 2, (END, A, B): 1, (END, A, C): 1, (A, B, END): 1, (A, C, END): 1}
    old, new = (
        KneserNey(c, order=3, vocab_size=6, eos_id=END)
        for c in (padded, count_ngrams(TINY, 3, END))
    )
    assert old.counts == new.counts
    assert old.nll(TINY) == new.nll(TINY)


def test_hand_computed_bigram() -> None:
    """Bigram KN on the six-token corpus, worked through with the formula."""
    lm = build(TINY, 2, 6, discount=D)
    support = 5  # every id but <pad>
    # Unigram continuation counts: a after {<eos>}, b and c after {a}, <eos> after {b, c}.
    cont = {A: 1, B: 1, C: 1, END: 2, UNK: 0}
    cont_total, cont_types = 5, 4
    gamma1 = D * cont_types / cont_total

    def p1(w: int) -> float:
        return max(cont[w] - D, 0) / cont_total + gamma1 / support

    # Context "a": followers b and c once each (raw counts at the top order).
    gamma_a = D * 2 / 2
    assert lm.prob(B, (A,)) == pytest.approx((1 - D) / 2 + gamma_a * p1(B), abs=1e-12)
    assert lm.prob(B, (A,)) == pytest.approx(0.2525, abs=1e-12)  # the same, by hand
    assert lm.prob(UNK, (A,)) == pytest.approx(gamma_a * p1(UNK), abs=1e-12)
    assert lm.prob(A, (A,)) == pytest.approx(gamma_a * p1(A), abs=1e-12)
    # Sentence start: context <eos>, followed by a twice.
    assert lm.prob(A, ()) == pytest.approx((2 - D) / 2 + D * 1 / 2 * p1(A), abs=1e-12)
    assert lm.prob(A, (END,)) == lm.prob(A, ())
    # A context never seen in training falls back to the unigram level.
    assert lm.prob(B, (UNK,)) == pytest.approx(p1(B), abs=1e-12)
    assert lm.prob(PAD, (A,)) == 0.0


def test_hand_computed_trigram_keeps_raw_counts_at_sentence_start() -> None:
    lm = build(TINY, 3, 6, discount=D)
    p1_a = (1 - D) / 5 + (D * 4 / 5) / 5
    # Lower-order (<eos>, a) begins at the sentence start: raw count 2, not continuation 1.
    p2_a = (2 - D) / 2 + D * 1 / 2 * p1_a
    # The sentence's first word has the context (<s>,) alone: a bigram, discounted once.
    assert lm.prob(A, ()) == pytest.approx(p2_a, abs=1e-12)
    # Mid-sentence, the lower order uses continuation counts: (a, b) and (a, c) once each.
    p1_b = p1_a
    p2_b = (1 - D) / 2 + D * p1_b
    assert lm.prob(B, (END, A)) == pytest.approx((1 - D) / 2 + D * p2_b, abs=1e-12)


def test_nll_restarts_context_after_eos() -> None:
    lm = build(TINY, 3, 6)
    expected = 0.0
    for sentence in ([A, B, END], [A, C, END]):
        for i, w in enumerate(sentence):
            expected -= math.log(lm.prob(w, sentence[:i]))
    assert lm.nll(TINY) == pytest.approx(expected, rel=1e-12)


@pytest.mark.parametrize("modified", [False, True])
@pytest.mark.parametrize("order", [1, 2, 3, 4, 5])
def test_distribution_sums_to_one_in_seen_and_unseen_contexts(
    order: int, modified: bool, vocab: Vocabulary, train_ids: list[int]
) -> None:
    lm = build(train_ids, order, len(vocab), modified=modified)
    rng = random.Random(order)
    seen = [tuple(train_ids[i - 4 : i]) for i in rng.sample(range(4, len(train_ids)), 15)]
    unseen = [tuple(rng.randrange(1, len(vocab)) for _ in range(4)) for _ in range(15)]
    for context in [(), (END,), (vocab.unk_id,), *seen, *unseen]:
        dist = lm.distribution(context)
        assert len(dist) == len(vocab)
        assert math.fsum(dist) == pytest.approx(1.0, abs=1e-9)
        assert dist[PAD] == 0.0
        assert all(p > 0 for i, p in enumerate(dist) if i != PAD)
        for w in rng.sample(range(1, len(vocab)), 5):
            assert lm.prob(w, context) == pytest.approx(dist[w], rel=1e-12)


def test_unseen_words_and_contexts_get_finite_nll(vocab: Vocabulary, train_ids: list[int]) -> None:
    lm = build(train_ids, 3, len(vocab))
    never, seen_ = vocab.stoi["never"], vocab.stoi["seen"]
    text = [never, seen_, vocab.unk_id, END, vocab.unk_id, never, END]
    assert math.isfinite(lm.nll(text)) and lm.nll(text) > 0


def test_context_helps_on_heldout_text(
    vocab: Vocabulary, train_ids: list[int], heldout_ids: list[int]
) -> None:
    ppl = {
        order: math.exp(build(train_ids, order, len(vocab)).nll(heldout_ids) / len(heldout_ids))
        for order in (1, 2, 3)
    }
    # The source is first-order Markov with three successors per word: context must
    # cut perplexity far below the unigram's (over ~50 words).
    assert ppl[2] < 0.5 * ppl[1]
    assert ppl[3] < 0.5 * ppl[1]


def test_modified_discounts_from_count_of_counts() -> None:
    # Unigram counts with n1=4, n2=2, n3=1, n4=1: Y = 4/8, D1 = 1 - 2Y*2/4,
    # D2 = 2 - 3Y*1/2, D3+ = 3 - 4Y*1/1.
    counts = {(3,): 1, (4,): 1, (5,): 1, (6,): 1, (7,): 2, (8,): 2, (9,): 3, (10,): 4}
    lm = KneserNey(counts, order=1, vocab_size=11, modified=True)
    assert lm.discounts[0] == pytest.approx((0.5, 1.25, 1.0))
    assert math.fsum(lm.distribution()) == pytest.approx(1.0, abs=1e-12)
    # Too few counts to estimate (no n4): fall back to the plain discount.
    del counts[(10,)]
    assert KneserNey(counts, order=1, vocab_size=11, modified=True, discount=0.6).discounts[0] == (
        0.6,
        0.6,
        0.6,
    )


@pytest.mark.parametrize(
    "kwargs",
    [{"order": 0}, {"order": 6}, {"discount": 0.0}, {"discount": 1.5}, {"vocab_size": 1}],
)
def test_rejects_bad_settings(kwargs: dict[str, float]) -> None:
    settings = {"order": 2, "vocab_size": 6, "discount": 0.75, **kwargs}
    with pytest.raises(ValueError):
        KneserNey({(A, B): 1}, **settings)  # type: ignore[arg-type]


def test_rejects_pad_and_wrong_length_ngrams() -> None:
    with pytest.raises(ValueError):
        KneserNey({(A, PAD): 1}, order=2, vocab_size=6)
    with pytest.raises(ValueError):
        KneserNey({(A,): 1}, order=2, vocab_size=6)


@pytest.mark.parametrize("order", [1, 2, 3, 5])
def test_distribution_array_is_distribution(
    train_ids: list[int], vocab: Vocabulary, order: int
) -> None:
    """Sampling reads the numpy form; it must be the list form, context for context."""
    lm = build(train_ids, order, len(vocab), modified=True)
    rng = random.Random(order)
    contexts = [(), (END,), *(tuple(rng.sample(train_ids, k=rng.randint(1, 4))) for _ in range(30))]
    for context in contexts * 2:  # the second round reads the cached arrays
        assert lm.distribution_array(context).tolist() == pytest.approx(
            lm.distribution(context), abs=1e-15
        )
