"""Text reads back as written in every language of the lesson (issue 19's targets).

On project-made prose in the six languages always, and on the shared
development books when they are present: >= 97% of paragraphs and >= 99% of
sentences come back from ``detokenize(tokenize(...))`` unchanged (whitespace
normalised), and at most 1% of sentence units start in lower case where no
paragraph starts (a sentence of the source cut in two).
"""

from __future__ import annotations

from pathlib import Path

import pytest
from _multilingual_text import PARAGRAPHS, book

from lab.text.roundtrip import DEFAULT_SHARED, measure_book, read_book, shared_books
from lab.text.tokenizers import WordTokenizer


@pytest.mark.parametrize("language", sorted(PARAGRAPHS))
def test_synthetic_prose_reads_back_as_written(language: str) -> None:
    result = measure_book(book(language, 300))
    assert result.failures == []
    assert result.paragraph_share == 1.0 and result.lower_share == 0.0


@pytest.mark.parametrize(
    ("text", "tokens"),
    [
        ("— Czekaj — odrzekł.", ["—`", "Czekaj", "`—`", "odrzekł", "."]),
        ("Rzymie—odrzekł", ["Rzymie", "—", "odrzekł"]),
        ("om »den där» sa", ["om", "`»", "den", "där", "»`", "sa"]),
        ("¡Ang ganda!", ["¡", "Ang", "ganda", "!"]),
        ("EU:n ja n:o 326, XIII:s", ["EU:n", "ja", "n:o", "326", ",", "XIII:s"]),
        ("куртку[11] и", ["куртку", "[", "11", "]`", "и"]),
        ("olla ... milloin", ["olla", "`...`", "milloin"]),
    ],
)
def test_marks_record_their_spacing(text: str, tokens: list[str]) -> None:
    tok = WordTokenizer()
    assert tok.tokenize_unit(text) == tokens
    assert tok.detokenize(tokens) == text


def test_inverted_marks_share_the_word_entry() -> None:
    """``¡Ang`` and ``Ang`` are one vocabulary entry."""
    tok = WordTokenizer()
    assert "Ang" in tok.tokenize_unit("¡Ang ganda!") and "Ang" in tok.tokenize_unit("Ang ganda.")


def test_dialogue_attribution_stays_in_its_sentence() -> None:
    tok = WordTokenizer()
    assert tok.split_units("'Why?' asked Alice. It was late.") == [
        "'Why?' asked Alice.",
        "It was late.",
    ]
    assert tok.split_units("— Dokąd? — spytała matka. Było cicho.") == [
        "— Dokąd? — spytała matka.",
        "Było cicho.",
    ]
    assert tok.split_units("»Nej!» sa han. Sedan gick han.") == [
        "»Nej!» sa han.",
        "Sedan gick han.",
    ]


BOOKS = shared_books(DEFAULT_SHARED)


@pytest.mark.slow  # whole books: 10-40 s each
@pytest.mark.skipif(not BOOKS, reason=f"no shared books under {DEFAULT_SHARED}")
@pytest.mark.parametrize("path", BOOKS, ids=[p.name for p in BOOKS])
def test_shared_book_reads_back_as_written(path: Path) -> None:
    result = measure_book(read_book(path))
    assert result.paragraph_share >= 0.97, result.failures[:5]
    assert result.sentence_share >= 0.99, result.failures[:5]
    assert result.lower_share <= 0.01
