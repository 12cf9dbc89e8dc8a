"""The playground's shared units (lab.playground.units): words and bits per character."""

from __future__ import annotations

import math

import pytest

from lab.errors import OptionError
from lab.models.protocol import Sample, SamplingConfig
from lab.models.registry import generator_class
from lab.playground.units import count_words, cut_to_words, generate_words, shown, surprisal
from lab.text.splitting import split_corpus


@pytest.fixture(scope="module")
def models(prose_text: str) -> dict:
    parts = split_corpus(prose_text)
    out = {}
    for name, kind, options in (
        ("word", "ngram", {"order": 3}),
        ("char", "ngram", {"order": 4, "unit": "char"}),
        ("markov", "markov", {"state_size": 2}),
    ):
        gen = generator_class(kind).from_options(options)
        gen.fit(parts.train, parts.valid)
        out[name] = gen
    return out


@pytest.mark.parametrize("name", ["word", "char", "markov"])
@pytest.mark.parametrize("words", [1, 7, 25])
def test_every_model_writes_the_words_asked_for(models: dict, name: str, words: int) -> None:
    sample = generate_words(models[name], "Alice", words, SamplingConfig(temperature=1.0), seed=3)
    assert count_words(sample.text) == words
    assert sample.full_text.startswith("Alice")


def test_a_character_sample_stops_before_its_next_word() -> None:
    text = "the cat sat, and the dog ran"
    sample = Sample(tuple(text), detokenize="".join)
    assert cut_to_words(sample, 3).text == "the cat sat"
    assert cut_to_words(sample, 4).text == "the cat sat,"
    assert cut_to_words(sample, 50) is sample


def test_word_counts_leave_out_sentence_ends() -> None:
    assert count_words("Alice wasn't here. She left.\n\nThen") == 9


def test_lengths_are_checked(models: dict) -> None:
    with pytest.raises(OptionError, match=r"words must be 1\.\.500"):
        generate_words(models["word"], "Alice", 0, SamplingConfig(), seed=0)


def test_surprisal_is_per_character_and_charges_spelling(models: dict) -> None:
    text = "Alice said Zyxwv quux."
    for gen in models.values():
        out = surprisal(gen, text)
        score = gen.score(text)
        assert out["chars"] == len(text) == score.num_chars
        assert out["nll_nats"] == pytest.approx(score.nll_nats, rel=1e-6)
        closed = score.nll_nats / math.log(2) / len(text)
        assert out["closed_bits_per_char"] == pytest.approx(closed, rel=1e-6)
        spelled = sum(t["spelling_bits"] for t in out["tokens"])
        assert out["bits_per_char"] == pytest.approx(closed + spelled / len(text), rel=1e-6)
        if gen.tokenizer.kind == "word":
            by_token = {t["token"]: t for t in out["tokens"]}
            unknown, known = by_token["Zyxwv"], by_token["said"]
            assert unknown["oov"] and unknown["spelling_bits"] > 10 and not known["oov"]
            per_char = (unknown["bits"] + unknown["spelling_bits"]) / unknown["chars"]
            assert per_char > known["bits"] / known["chars"]


def test_tokens_are_shown_as_text(models: dict) -> None:
    word, char = models["word"], models["char"]
    assert shown(word, "``") == '"' and shown(word, "<eos>") == "" and shown(word, "\n") == ""
    assert shown(word, "said") == "said"
    assert shown(char, " ") == " " and shown(char, "\n") == "\n"
