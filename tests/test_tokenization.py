from __future__ import annotations

import pytest

from lab.text.tokenizers import CharTokenizer, WordTokenizer, tokenizer_from_dict
from lab.text.vocabulary import EOS, SPECIALS, UNK, Vocabulary


def test_word_tokenizer_splits_punctuation_and_clitics() -> None:
    tokens = WordTokenizer().tokenize("Alice wasn't there, said the Hatter. She left!")
    assert tokens == [
        "Alice",
        "was",
        "n't",
        "there",
        ",",
        "said",
        "the",
        "Hatter",
        ".",
        EOS,
        "She",
        "left",
        "!",
        EOS,
    ]


def test_word_tokenizer_joins_hard_wrapped_lines_and_breaks_paragraphs() -> None:
    text = "Alice was\nbeginning to get\nvery tired\n\nSo she was considering"
    tokens = WordTokenizer().tokenize(text)
    assert tokens.count(EOS) == 2
    assert tokens[:5] == ["Alice", "was", "beginning", "to", "get"]


def test_line_mode_puts_eos_at_each_line() -> None:
    assert WordTokenizer(eos="line").tokenize("a b\n\nc\n") == ["a", "b", EOS, "c", EOS]


def test_lowercase_option() -> None:
    assert WordTokenizer(lowercase=True).tokenize("The Cat")[:2] == ["the", "cat"]


def test_detokenize_reassembles_contractions_and_punctuation() -> None:
    tok = WordTokenizer()
    text = tok.detokenize(tok.tokenize("Alice wasn't there, she said. It's late!"))
    assert text == "Alice wasn't there, she said. It's late!"
    assert "was n't" not in tok.detokenize(["Alice", "was", "n't", "here"])


def test_prompt_has_no_trailing_eos() -> None:
    assert WordTokenizer().tokenize_prompt("Alice was") == ["Alice", "was"]


def test_char_tokenizer_round_trip() -> None:
    tok = CharTokenizer()
    assert tok.tokenize("Hi\n") == ["H", "i", "\n"]
    assert tok.detokenize(tok.tokenize("a b\nc")) == "a b\nc"


@pytest.mark.parametrize("tok", [WordTokenizer(lowercase=True, eos="line"), CharTokenizer()])
def test_tokenizer_dict_round_trip(tok: WordTokenizer | CharTokenizer) -> None:
    assert tokenizer_from_dict(tok.to_dict()) == tok


def test_vocabulary_orders_by_frequency_and_maps_unknowns() -> None:
    vocab = Vocabulary.build(["b", "a", "b", "c", "b", "a"], min_freq=1)
    assert vocab.itos[: len(SPECIALS)] == list(SPECIALS)
    assert vocab.itos[3:] == ["b", "a", "c"]
    assert vocab.encode(["a", "zzz"]) == [vocab.stoi["a"], vocab.unk_id]
    assert vocab.decode(vocab.encode(["c", "b"])) == ["c", "b"]
    assert vocab.map_unknown(["a", "q"]) == ["a", UNK]


def test_vocabulary_min_freq_and_max_size() -> None:
    tokens = ["a"] * 5 + ["b"] * 3 + ["c"]
    assert "c" not in Vocabulary.build(tokens, min_freq=2)
    assert len(Vocabulary.build(tokens, max_size=4)) == 4
    with pytest.raises(ValueError):
        Vocabulary.build(tokens, min_freq=0)


def test_vocabulary_json_round_trip(tmp_path) -> None:
    vocab = Vocabulary.build(["the", "cat", "sat", "on", "the", "mat"])
    path = tmp_path / "vocab.json"
    vocab.save(path)
    assert Vocabulary.load(path) == vocab
    with pytest.raises(ValueError):
        Vocabulary.from_json('{"tokens": ["x"]}')


def test_literal_special_tokens_stay_whole() -> None:
    """PTB marks rare words as <unk>; they must not become '<', 'unk', '>'."""
    assert WordTokenizer(eos="line").tokenize("the <unk> said\n") == ["the", UNK, "said", EOS]
