"""8-bit books are read in the encoding of their language, and the choice is said."""

from __future__ import annotations

from pathlib import Path

import pytest
from _multilingual_text import book

from lab.text.corpora import load_corpus
from lab.text.decoding import decode_bytes
from lab.text.encodings import choose_encoding
from lab.text.roundtrip import DEFAULT_SHARED
from lab.text.tokenizers import WordTokenizer
from lab.text.vocabulary import Vocabulary

MULTILINGUAL = DEFAULT_SHARED / "multilingual"
# Each language with the 8-bit encodings its older e-texts come in.
ENCODINGS = {
    "ru": ("cp1251", "koi8_r"),
    "pl": ("iso8859_2", "cp1250"),
    "fi": ("latin-1", "cp1252", "iso8859_15"),
    "sv": ("latin-1", "cp1252"),
}


def _saved_as(text: str, encoding: str) -> tuple[bytes, str]:
    """``text`` in ``encoding`` and the text it can hold (marks it lacks, like KOI8-R's
    em dash, become "?"): what a converter would have written."""
    data = text.encode(encoding, errors="replace")
    return data, data.decode(encoding)


@pytest.mark.parametrize(
    ("language", "encoding"), [(lang, enc) for lang, encs in ENCODINGS.items() for enc in encs]
)
def test_synthetic_book_decodes_to_the_same_text_in_each_encoding(
    language: str, encoding: str, capsys: pytest.CaptureFixture[str]
) -> None:
    data, held = _saved_as(book(language, 60), encoding)
    assert decode_bytes(data, name="book.txt") == held
    err = capsys.readouterr().err
    assert "note: book.txt is not UTF-8: read as" in err and "warning" not in err


def test_cp1251_is_not_read_as_koi8_r_or_cp1252() -> None:
    """The mojibake the issue saw: every candidate decodes, only one reads as Russian."""
    data = book("ru", 40).encode("cp1251")
    choice = choose_encoding(data)
    assert (choice.encoding, choice.language) == ("cp1251", "Russian")
    assert "Ðûáàê" not in choice.text and "Старик" in choice.text


def test_a_utf8_book_with_a_latin1_paragraph_is_utf8_with_the_paragraph_reported(
    capsys: pytest.CaptureFixture[str],
) -> None:
    text = book("fi", 80)
    pasted = "Ärrä söi öljyä ja jäätelöä.\n"
    data = text.encode() + pasted.encode("latin-1") + text.encode()
    assert decode_bytes(data, name="fi.txt") == text + pasted + text
    err = capsys.readouterr().err
    line = text.count("\n") + 1
    assert f"1 line(s) are not: line {line} ('Ärrä söi" in err and "cp1252" in err


def test_an_unconvincing_8bit_text_is_read_with_a_warning(
    capsys: pytest.CaptureFixture[str],
) -> None:
    data = bytes(range(0xA0, 0x100)) * 20 + b" plain words here\n"
    decode_bytes(data, name="odd.txt")
    err = capsys.readouterr().err
    assert "warning: odd.txt is not UTF-8, and no 8-bit encoding" in err and "iconv" in err


SHARED = {"ru": "ru_mertvye_dushi.txt", "pl": "pl_przedwiosnie.txt", "fi": "fi_juha.txt"}


@pytest.mark.parametrize(
    ("language", "encoding"),
    [(lang, enc) for lang in SHARED for enc in ENCODINGS[lang] if enc != "iso8859_15"],
)
def test_shared_book_in_8bit_reads_as_its_utf8_form(
    language: str, encoding: str, tmp_path: Path
) -> None:
    """The same book saved in each encoding: the same text, so the same vocabulary."""
    source = MULTILINGUAL / SHARED[language]
    if not source.is_file():
        pytest.skip(f"{source} not present")
    data, held = _saved_as(source.read_text(encoding="utf-8"), encoding)
    (tmp_path / "utf8.txt").write_text(held, encoding="utf-8", newline="")
    (tmp_path / "eight.txt").write_bytes(data)
    utf8 = load_corpus(str(tmp_path / "utf8.txt")).text
    eight_bit = load_corpus(str(tmp_path / "eight.txt")).text
    assert eight_bit == utf8
    if encoding == ENCODINGS[language][0]:  # the vocabulary itself, once per language
        sample = utf8[:60_000]
        tokens = WordTokenizer(language=language).tokenize
        assert Vocabulary.build(tokens(eight_bit[:60_000]), min_freq=2) == Vocabulary.build(
            tokens(sample), min_freq=2
        )
