"""Sweep prompts drawn from the book, and seeds that do not tie the settings together."""

from __future__ import annotations

from lab.evaluation.prompts import book_prompts
from lab.evaluation.sweep import SweepConfig
from lab.text.tokenizers import WordTokenizer
from lab.text.vocabulary import Vocabulary


def test_prompts_are_clean_openings_of_the_held_out_text(prose_text: str) -> None:
    vocab = Vocabulary.build(WordTokenizer().tokenize(prose_text), min_freq=2)
    prompts = book_prompts(prose_text, vocab, count=3, seed=0)
    assert len(set(prompts)) == 3
    sentences = [" ".join(u.split()) for u in WordTokenizer().split_units(prose_text)]
    for prompt in prompts:
        assert any(s.startswith(prompt) for s in sentences), prompt
        assert all(w in vocab for w in WordTokenizer().tokenize_prompt(prompt))
    assert book_prompts(prose_text, vocab, count=3, seed=0) == prompts  # seeded
    assert any(book_prompts(prose_text, vocab, count=3, seed=s) != prompts for s in range(1, 6))


def test_prompts_never_carry_tokenizer_artefacts() -> None:
    text = "\"Well,\" said Emma. ``Oh dear.'' She laughed. 1 2 3.\n"
    vocab = Vocabulary.build(WordTokenizer().tokenize(text * 3), min_freq=1)
    for prompt in book_prompts(text, vocab, count=5):
        assert "``" not in prompt and "''" not in prompt and prompt[0] not in "\"'`"


def test_a_text_without_usable_openings_falls_back_to_a_sentence_start() -> None:
    vocab = Vocabulary.build(["a"], min_freq=1)
    assert book_prompts("Zzz qqq.\n", vocab) == ("",)


def test_settings_get_independent_seeds_unless_common_random_numbers() -> None:
    sweep = SweepConfig(prompts=("a",), seed=7)
    seeds = {sweep.seed_for(s, p) for s in range(7) for p in range(3)}
    assert len(seeds) == 21
    crn = SweepConfig(prompts=("a",), seed=7, common_random_numbers=True)
    assert {crn.seed_for(s, 0) for s in range(7)} == {crn.seed_for(0, 0)}
    assert crn.seed_for(0, 0) != crn.seed_for(0, 1)
