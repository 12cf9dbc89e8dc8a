"""Edition matter cut and named, unknown words said and reduced, languages told apart."""

from __future__ import annotations

import random
import warnings
from pathlib import Path

import pytest
from _multilingual_text import PARAGRAPHS, book

from lab.errors import CorpusError, UnknownTokenWarning
from lab.evaluation.diagnosis import unknown_words
from lab.evaluation.evaluate import EvalRow
from lab.models.protocol import warn_unknown_prompt_tokens
from lab.models.scoring import ScoreResult
from lab.text.corpora import load_corpus
from lab.text.edition import strip_edition
from lab.text.language import detect_language
from lab.text.unknown_words import book_min_freq, case_hints
from lab.text.vocabulary import Vocabulary


@pytest.mark.parametrize("language", sorted(PARAGRAPHS))
def test_each_language_is_detected(language: str) -> None:
    guess = detect_language(book(language, 40))
    assert guess.code == language and guess.confident


def test_notes_colophon_and_title_block_are_cut_and_named(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    body = book("pl", 300)
    text = (
        "Autor\nTytuł\nISBN 978-83-000-0000-1\n\n" + body + "\nPrzypisy\n\n1\n\nObjaśnienie.\n\n"
        "-----\nTa lektura pochodzi z Wolne Lektury i jest w domenie publicznej.\n"
    )
    path = tmp_path / "ksiazka.txt"
    path.write_text(text, encoding="utf-8")
    corpus = load_corpus(str(path))
    assert corpus.text == body
    err = capsys.readouterr().err
    assert "cut the library's colophon" in err and "'-----'" in err
    assert "cut the notes section" in err and "'Przypisy' ... 'Objaśnienie.'" in err
    assert "cut the title block" in err and "'Autor' ... 'ISBN 978-83-000-0000-1'" in err
    assert len(corpus.cuts) == 3


def test_user_cuts_and_inline_notes() -> None:
    text = "Front matter\nSTART\n" + "Она ушла.[1 - Примечание.] Было тихо.\n" * 50 + "END\nback\n"
    body, cuts = strip_edition(text, start_after="START", end_before="END")
    assert body.startswith("Она ушла. Было тихо.") and "END" not in body
    assert [c.what for c in cuts] == [
        "the text before --start-after",
        "the text from --end-before",
        "50 inline notes",
    ]
    with pytest.raises(CorpusError, match="not found"):
        strip_edition(text, start_after="nowhere")


def test_an_inflected_book_gets_a_lower_min_freq() -> None:
    """Many word forms seen once: min_freq 2 would leave too many held out words unknown."""
    rng = random.Random(0)
    forms = [f"sana{rng.randrange(4000)}" for _ in range(8000)]  # each form about twice
    tokens = [t for form in forms for t in (rng.choice(["ja", "hän", "."]), form)]
    min_freq, expected = book_min_freq(tokens)
    assert min_freq == 1 and expected <= 0.10
    assert book_min_freq(["a", "b", "a", "c", "."] * 500)[0] == 2


def _row(oov: int, tokens: int = 1000) -> EvalRow:
    return EvalRow(
        "word-lstm",
        "word-lstm",
        "word",
        500,
        ScoreResult(1000.0, tokens, num_chars=5 * tokens, num_oov=oov),
    )


def test_report_warns_above_ten_percent_oov_and_says_what_to_do() -> None:
    assert unknown_words([_row(100)]) == []
    (line,) = unknown_words([_row(297)])
    assert "29.7% of the test split's word tokens are <unk>" in line
    assert "open-vocabulary bits/char" in line and "longer book" in line


def test_a_prompt_word_unknown_only_by_case_gets_a_hint() -> None:
    vocab = Vocabulary.build(["старик", "вышел", "Alice"])
    assert case_hints(["Старик", "alice", "x"], vocab) == {"Старик": "старик", "alice": "Alice"}
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        warn_unknown_prompt_tokens(["Старик", "вышел"], vocab)
    assert "the book writes 'старик' for 'Старик'" in str(caught[0].message)
    assert caught[0].category is UnknownTokenWarning


def test_the_catalog_has_a_book_in_each_language_of_the_lesson() -> None:
    from lab.text.catalog import catalog_entries
    from lab.text.language import LANGUAGES

    entries = catalog_entries()
    assert {e.language for e in entries} >= set(LANGUAGES)
    assert all(e.has_digests for e in entries if e.language != "en")  # verified like alice


@pytest.mark.parametrize(
    ("name", "file"),
    [
        ("kejsarn", "sv_kejsarn_av_portugallien.txt"),
        ("mertvye-dushi", "ru_mertvye_dushi.txt"),
        ("przedwiosnie", "pl_przedwiosnie.txt"),
    ],
)
def test_catalog_digest_is_the_shared_copy_of_its_source(name: str, file: str) -> None:
    import hashlib

    from lab.text.catalog import load_catalog
    from lab.text.roundtrip import DEFAULT_SHARED

    path = DEFAULT_SHARED / "multilingual" / file
    if not path.is_file():
        pytest.skip(f"{path} not present")
    assert hashlib.sha256(path.read_bytes()).hexdigest() == load_catalog()[name].sha256
