from __future__ import annotations

import random
import re

import pytest

from lab.text.tokenizers import PARAGRAPH, CharTokenizer, WordTokenizer, tokenizer_from_dict
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
    assert tokens[tokens.index(EOS) + 1] == PARAGRAPH


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


# --- Round trip: detokenize(tokenize(s)) gives back s (whitespace-normalised) ---

ROUND_TRIP = {
    "straight single quotes": "'Hello,' said Alice, 'but why?' and 'twas so.",
    "straight double quotes": 'He said, "yes," and then "no."',
    "quote after a dash": 'said Emma, willing to let it pass--"you want to hear?"',
    "backtick opening quote": "I cannot possibly say `poor Miss Taylor.'",
    "curly quotes": "“Yes,” she said, “say ‘never’ to me.”",
    "curly apostrophes": "Don’t! O’Brien’s dog isn’t here; they’ll see ’em.",
    "dashes": "It was--as I said--late; it was—as I said—late, 1990–2000 – maybe.",
    "guillemets": "He said «bonjour» and «au revoir».",
    "nested quotes": "''Tis so,' said the Duchess: 'and the moral is--\"Oh, 'tis love!\"'",
    "latex quotes": "He said ``yes'' twice.",
    "double inside single": "'I heard him say \"never\",' she said.",
    "brackets": "(See [page 3] and {this}.) Costs $3.88, 50% off.",
    "ellipses": "Wait… what? Well... I never.... Really...",
    "contractions": "I cannot go, I can't, you won't, and d'ye see it's Jane's?",
}


@pytest.mark.parametrize("text", ROUND_TRIP.values(), ids=ROUND_TRIP.keys())
def test_round_trip_of_hand_written_cases(text: str) -> None:
    tok = WordTokenizer()
    assert tok.detokenize(tok.tokenize(text)) == text


def test_quotes_are_marked_opening_or_closing() -> None:
    """One character, two tokens: a model must know whether a quote opens or closes."""
    tokens = WordTokenizer().tokenize_unit("'Hi,' said Al, \"yes.\"")
    assert tokens == ["`'", "Hi", ",", "'", "said", "Al", ",", "``", "yes", ".", "''"]
    assert WordTokenizer().tokenize_unit("the dogs' bones")[2] == "'"


def test_curly_apostrophes_stay_on_their_clitics() -> None:
    tokens = WordTokenizer().tokenize_unit("Don’t, it’s Jane’s")
    assert tokens == ["Do", "n’t", ",", "it", "’s", "Jane", "’s"]


def test_guillemets_and_ellipsis_are_tokens_of_their_own() -> None:
    assert WordTokenizer().tokenize_unit("«Oui…»") == ["«", "Oui", "…", "»"]


def test_dash_ending_a_wrapped_line_stays_glued() -> None:
    """Gutenberg dashes are unspaced; joining wrapped lines must not add a space."""
    tok = WordTokenizer()
    assert tok.split_units("always cheerful--\nWeston came.") == ["always cheerful--Weston came."]
    assert tok.detokenize(tok.tokenize("always cheerful--\nWeston came.")) == (
        "always cheerful--Weston came."
    )


# --- Paragraphs ---


def test_paragraph_token_follows_the_eos_of_a_paragraphs_last_sentence() -> None:
    tok = WordTokenizer()
    tokens = tok.tokenize("A cat sat. It left.\n\nThe end\ncame.\n \n\nBye.\n\n")
    assert tokens == [
        *["A", "cat", "sat", ".", EOS, "It", "left", ".", EOS, PARAGRAPH],
        *["The", "end", "came", ".", EOS, PARAGRAPH, "Bye", ".", EOS],
    ]
    assert tok.detokenize(tokens) == "A cat sat. It left.\n\nThe end came.\n\nBye."


def test_no_paragraph_tokens_without_blank_lines_or_in_line_mode() -> None:
    assert PARAGRAPH not in WordTokenizer().tokenize("One line.\nAnother line. A third.")
    assert PARAGRAPH not in WordTokenizer(eos="line").tokenize("a b\n\nc d\n\n\ne\n")
    assert PARAGRAPH not in WordTokenizer().tokenize_unit("x\n\ny \n\t\n z")


def test_prompt_never_ends_with_a_paragraph_token() -> None:
    tok = WordTokenizer()
    assert tok.tokenize_prompt("It rained.\n\nThen") == [
        "It",
        "rained",
        ".",
        EOS,
        PARAGRAPH,
        "Then",
    ]
    assert tok.tokenize_prompt("It rained.\n\nIt stopped.\n\n")[-1] == "."


def test_detokenize_writes_one_blank_line_per_run_of_paragraph_tokens() -> None:
    tok = WordTokenizer()
    tokens = [PARAGRAPH, "Hi", ".", EOS, PARAGRAPH, PARAGRAPH, "Yes", PARAGRAPH]
    assert tok.detokenize(tokens) == "Hi.\n\nYes"


def test_paragraph_token_is_an_ordinary_vocabulary_token(tmp_path) -> None:
    """Not a special (the exercises rely on SPECIALS), and it survives vocab.json."""
    assert PARAGRAPH not in SPECIALS
    vocab = Vocabulary.build(WordTokenizer().tokenize("A b.\n\nC d.\n\nE."))
    assert PARAGRAPH in vocab
    vocab.save(tmp_path / "vocab.json")
    assert Vocabulary.load(tmp_path / "vocab.json").stoi[PARAGRAPH] == vocab.stoi[PARAGRAPH]


# --- Arbitrary text ---

_PIECES = (
    *("Alice", "don't", "cannot", "it's", "O’Brien", "isn’t", "3.88", "1990", "é", "naïve"),
    *(" ", " ", "  ", "\n", "\n\n", "\t", ".", ",", ";", ":", "!", "?", "...", "…", ". . ."),
    *("'", "'", '"', '"', "‘", "’", "“", "”", "«", "»", "„", "`", "``", "''"),
    *("--", "—", "–", "-", "(", ")", "[", "]", "{", "}", "<", ">", "$", "%", "#", "&", "*"),
    *("@", "/", "_", "<unk>", "Mr.", "e.g."),
)


@pytest.mark.parametrize("eos", ["sentence", "line"])
def test_arbitrary_text_round_trips_without_losing_a_word(eos: str) -> None:
    """Seeded random mixes of words, punctuation, quotes and whitespace: detokenize
    never fails and gives back every word character in order."""
    tok = WordTokenizer(eos=eos)  # type: ignore[arg-type]
    rng = random.Random(1234)
    for _ in range(400):
        text = "".join(rng.choice(_PIECES) for _ in range(rng.randint(0, 40)))
        back = tok.detokenize(tok.tokenize(text))
        assert re.findall(r"\w", back) == re.findall(r"\w", text), repr(text)
        if eos == "line":
            assert PARAGRAPH not in tok.tokenize(text)
