"""Open-vocabulary scoring: the spelling model is a proper distribution, and spelling
out unknown words makes every model pay for the exact text."""

from __future__ import annotations

import math

import pytest

from baselines.ngram import NGramGenerator
from lab.evaluation.evaluate import evaluate_all, evaluate_generator, spelling_model_for
from lab.evaluation.spelling import SpellingModel
from lab.text.splitting import split_corpus
from lab.text.vocabulary import Vocabulary

WORDS = ["ab", "ba", "aab", "b", "abba", "bab", "aa"]


def test_spelling_model_sums_to_one_over_all_strings() -> None:
    """Mass of the words up to length L plus that of the unfinished prefixes of length L
    is exactly 1 for every L: no probability is lost or invented."""
    spell = SpellingModel(WORDS, order=3)
    chars, kn = spell.chars, spell._kn
    letters = [chars.stoi["a"], chars.stoi["b"], chars.unk_id]  # <unk>: every unseen char
    end = chars.eos_id
    first = 1 / math.exp(spell._log_nonempty)  # words are non-empty
    finished, prefixes = 0.0, {(): first}
    for _ in range(6):
        grown = {}
        for prefix, mass in prefixes.items():
            finished += mass * kn.prob(end, prefix) if prefix else 0.0
            for c in letters:
                grown[(*prefix, c)] = mass * kn.prob(c, prefix)
        prefixes = grown
        unfinished = sum(m * (1 - kn.prob(end, p)) for p, m in prefixes.items())
        ended_now = sum(m * kn.prob(end, p) for p, m in prefixes.items())
        assert finished + ended_now + unfinished == pytest.approx(1.0, abs=1e-9)
    # ... and log_prob agrees with that walk for a word with an unseen character.
    word = "abz"
    ids = [chars.stoi["a"], chars.stoi["b"], chars.unk_id]
    walk = first
    for i, c in enumerate([*ids, end]):
        walk *= kn.prob(c, tuple(ids[:i]))
    assert spell.log_prob(word) == pytest.approx(math.log(walk) - math.log(spell._unseen))


def test_oov_cost_is_renormalised_over_strings_outside_the_vocabulary() -> None:
    spell = SpellingModel(WORDS, order=3)
    vocab = Vocabulary.build(["ab", "ba"], min_freq=1)
    inside = math.exp(spell.log_prob("ab")) + math.exp(spell.log_prob("ba"))
    cost = spell.oov_cost(["abba"], vocab)
    assert cost == pytest.approx(-spell.log_prob("abba") + math.log(1 - inside))
    assert cost > 0  # spelling always costs something
    assert spell.oov_cost([], vocab) == 0.0


def test_spelling_learns_rare_words_and_falls_back_to_all_types() -> None:
    tokens = ["the", "cat", "the", "zyx"] * 10 + ["qwv"]
    vocab = Vocabulary.build(tokens, min_freq=2)  # "qwv" is <unk>
    spell = SpellingModel.for_vocabulary(tokens, vocab)  # too few rare tokens: all types
    assert spell.log_prob("the") > spell.log_prob("eht")


def test_open_bits_per_char_never_below_closed(prose_text: str) -> None:
    parts = split_corpus(prose_text)
    gen = NGramGenerator.from_options({"order": 2, "min_freq": 3})
    gen.fit(parts.train)
    text = parts.test + "Zebras quizzically juxtapose xylophones.\n"
    closed = evaluate_generator("ngram", gen, text)
    opened = evaluate_generator("ngram", gen, text, spelling=spelling_model_for(gen, parts.train))
    assert closed.score.num_oov > 0 and closed.score.unk_spelling_nats == 0
    assert opened.score.unk_spelling_nats > 0
    assert (
        opened.score.open_bits_per_char > opened.score.bits_per_char == closed.score.bits_per_char
    )
    assert opened.score.ppl == closed.score.ppl  # the closed figures are unchanged


def test_a_bigger_vocabulary_cannot_win_by_hiding_words_in_unk(prose_text: str) -> None:
    """With min_freq high, most words are <unk>: closed bits/char look great, open ones do not."""
    parts = split_corpus(prose_text)
    text = parts.test + "Zebras quizzically juxtapose xylophones.\n"
    models = {}
    for min_freq in (1, 1000):
        gen = NGramGenerator.from_options({"order": 2, "min_freq": min_freq})
        gen.fit(parts.train)
        models[f"min_freq={min_freq}"] = gen
    rows = {r.model: r.score for r in evaluate_all(models, text, parts.train)}
    full, hidden = rows["min_freq=1"], rows["min_freq=1000"]
    assert hidden.bits_per_char < full.bits_per_char  # the closed figure is flattered
    assert hidden.open_bits_per_char > full.open_bits_per_char  # the open one is not
