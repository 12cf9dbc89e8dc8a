"""Pre-split corpora (a folder of train/valid/test files) and pre-tokenized text, as the
published language-modelling tables use them (Penn Treebank, WikiText)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from baselines.ngram import NGramGenerator
from lab.cli import main
from lab.errors import CorpusError
from lab.text.corpora import load_corpus
from lab.text.tokenizers import WordTokenizer

PTB_LIKE = {  # Mikolov's layout: leading space, <unk> for rare words, N for numbers
    "train": " the cat sat on the mat \n the <unk> ran N miles \n a cat 's hat \n" * 20,
    "valid": " the cat ran \n a <unk> sat \n",
    "test": " the mat sat on a cat \n the dog 's N \n",
}


def write_ptb(folder: Path, names: str = "ptb.{part}.txt") -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    for part, text in PTB_LIKE.items():
        (folder / names.format(part=part)).write_text(text, encoding="utf-8")
    return folder


@pytest.mark.parametrize("names", ["ptb.{part}.txt", "{part}.txt", "wiki.{part}.tokens"])
def test_a_folder_of_parts_is_used_as_given(tmp_path: Path, names: str) -> None:
    corpus = load_corpus(str(write_ptb(tmp_path / "ptb", names)))
    parts = corpus.split()
    assert (parts.train, parts.valid, parts.test) == tuple(PTB_LIKE.values())
    assert corpus.source.startswith("dir:")


def test_missing_or_ambiguous_parts_are_one_clear_error(tmp_path: Path) -> None:
    folder = write_ptb(tmp_path / "ptb")
    (folder / "ptb.test.txt").unlink()
    with pytest.raises(CorpusError, match="no test file"):
        load_corpus(str(folder))
    (folder / "test.txt").write_text("a\n")
    (folder / "x.test.txt").write_text("b\n")
    with pytest.raises(CorpusError, match="2 candidate test file"):
        load_corpus(str(folder))


def test_pretokenized_text_keeps_its_tokens() -> None:
    tok = WordTokenizer(eos="line", pretokenized=True)
    assert tok.tokenize(PTB_LIKE["test"]) == [
        *["the", "mat", "sat", "on", "a", "cat"], "<eos>", "the", "dog", "'s", "N", "<eos>"
    ]  # fmt: skip
    assert WordTokenizer(eos="line").tokenize(" the <unk> 's\n")[1] == "<unk>"
    assert tok.tokenize(" don't stop \n") == ["don't", "stop", "<eos>"]  # NLTK would split it
    assert tok.detokenize(["a", "'s", "<eos>", "b"]) == "a 's b"


def test_counts_match_the_files_word_for_word(tmp_path: Path) -> None:
    corpus = load_corpus(str(write_ptb(tmp_path / "ptb")))
    gen = NGramGenerator.from_options({"eos": "line", "pretokenized": True, "min_freq": 1})
    gen.fit(corpus.split().train)
    score = gen.score(corpus.split().test)
    words = sum(len(line.split()) + 1 for line in PTB_LIKE["test"].splitlines())
    assert score.num_tokens == words  # every word and one <eos> per line, as in the papers


def test_train_and_evaluate_on_a_folder_from_the_cli(tmp_path: Path, capsys) -> None:
    folder = write_ptb(tmp_path / "ptb")
    run = tmp_path / "run"
    args = ["train", "--model", "ngram", "--order", "3", "--corpus", str(folder), "--out", str(run)]
    assert main([*args, "--eos", "line", "--pretokenized", "--min-freq", "1", "--quiet"]) == 0
    capsys.readouterr()
    assert main(["evaluate", str(run), "--num-samples", "1", "--max-words", "3"]) == 0
    assert "ngram on the test split" in capsys.readouterr().out


def test_a_folder_is_read_as_given_without_flags_and_flags_override(tmp_path: Path, capsys) -> None:
    """The pytorch/examples convention for the layout: whitespace tokens, <eos> per line,
    every token kept; the train command says so, and a flag given wins."""
    folder = write_ptb(tmp_path / "ptb")
    words = sum(len(line.split()) + 1 for line in PTB_LIKE["test"].splitlines())
    base = ["train", "--model", "ngram", "--order", "3", "--corpus", str(folder), "--quiet"]
    assert main([*base, "--out", str(tmp_path / "given")]) == 0
    assert "read as given (--pretokenized --eos line --min-freq 1)" in capsys.readouterr().out
    given = NGramGenerator.load(tmp_path / "given")
    assert given.vocab_config.pretokenized and given.vocab_config.eos == "line"
    assert given.score(PTB_LIKE["test"]).num_tokens == words
    assert "<unk>" in given.vocab.stoi and "'s" in given.vocab.stoi  # tokens kept as they are
    assert (
        main([*base, "--out", str(tmp_path / "nltk"), "--no-pretokenized", "--eos", "sentence"])
        == 0
    )
    assert "read as given (--min-freq 1)" in capsys.readouterr().out
    retokenized = NGramGenerator.load(tmp_path / "nltk")
    assert not retokenized.vocab_config.pretokenized
    assert retokenized.vocab_config.eos == "sentence"


def test_compare_records_the_tokenizer_settings_of_a_folder(tmp_path: Path, capsys) -> None:
    """metrics.json says how the text was read: the pre-split folder's settings survive the
    prompts being filled in (a hand-kept field list once dropped them, recording ``{}``)."""
    folder = write_ptb(tmp_path / "ptb")
    out = tmp_path / "report"
    args = ["compare", "--corpus", str(folder), "--models", "markov", "--out", str(out)]
    assert main([*args, "--num-samples", "1", "--max-words", "3", "--num-prompts", "2"]) == 0
    capsys.readouterr()
    config = json.loads((out / "metrics.json").read_text(encoding="utf-8"))["config"]
    assert config["text_options"] == {"pretokenized": True, "eos": "line", "min_freq": 1}
    assert config["sweep"]["prompts"]  # drawn from the book, so the config was replaced
    assert config["resolved_options"]["markov"]["pretokenized"] is True
