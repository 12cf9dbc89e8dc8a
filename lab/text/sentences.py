"""Sentences by the book's language: Punkt for that language, dialogue kept whole.

English rules cut other languages' sentences wrongly (English abbreviations,
and nothing of ``т. е.`` or ``esim.``). So a text is split with NLTK's Punkt
model for its language when that model is installed, and otherwise with a
Punkt model trained, unsupervised, on the text itself
(:class:`nltk.tokenize.punkt.PunktTrainer`: it learns the book's
abbreviations from how often a word is followed by a period). Short texts
(prompts, tests) are too small to learn from and get the untrained model.

Whatever the model, a unit that starts in lower case is joined to the one
before it. In every language of the lesson a sentence starts with a capital;
a lower-case start follows ``?``/``!`` and a dash or a closing quote when a
speech verb comes after a question (``'...?' asked Alice``, ``— Tak? — spytał``,
``»Nej!» sa han``), or an abbreviation Punkt missed. Cut there, the
attribution becomes a unit of its own, a paragraph of its own in samples and
a prompt (``kysyi hän``, "he asked").

>>> split_sentences("'Why?' asked Alice. It was late.", "en")
["'Why?' asked Alice.", 'It was late.']
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from functools import lru_cache

from lab.text.language import LANGUAGES, detect_language

__all__ = [
    "MIN_TRAINING_CHARS",
    "book_language",
    "join_lower_case_starts",
    "sentence_splitter",
    "split_sentences",
]

#: Texts at least this long train their own Punkt model when their language has none installed.
MIN_TRAINING_CHARS = 20_000
#: An abbreviation Punkt learns from one book longer than this is more likely a word
#: that ends many sentences ("комедия."); real abbreviations are short.
MAX_ABBREVIATION_CHARS = 5

Splitter = Callable[[str], list[str]]


def book_language(text: str, language: str | None = None) -> str | None:
    """``language`` if given (checked), else the detected language of ``text`` when the
    guess is confident, else ``None`` (too short or unclear)."""
    if language is not None:
        if language not in LANGUAGES:
            raise ValueError(f"unknown language {language!r}: choose from {', '.join(LANGUAGES)}")
        return language
    guess = detect_language(text)
    return guess.code if guess.confident else None


def split_sentences(paragraph: str, language: str | None, *, book: str = "") -> list[str]:
    """The sentences of one ``paragraph`` (whitespace already normalised); see
    :func:`sentence_splitter`, which is quicker for many paragraphs of one book."""
    return sentence_splitter(language, book)(paragraph)


def sentence_splitter(language: str | None, book: str = "") -> Splitter:
    """A function from a paragraph (whitespace normalised) to its sentences.

    ``language`` chooses the Punkt model (``None``: English, as NLTK's default);
    ``book`` is the whole text the paragraphs come from, which a language without
    an installed model learns its model from.
    """
    punkt = _splitter(language, book)
    return lambda paragraph: join_lower_case_starts(punkt(paragraph))


def join_lower_case_starts(units: list[str]) -> list[str]:
    """``units`` with each one that starts in lower case joined to the one before.

    The first letter decides, after any dashes, quotes and brackets
    (``— spytał``, ``' said Alice``). Digits or no letter at all: left alone.

    >>> join_lower_case_starts(["— Tak?", "— spytał.", "Nie."])
    ['— Tak? — spytał.', 'Nie.']
    """
    joined: list[str] = []
    for unit in units:
        first = next((c for c in unit if c.isalnum()), "")
        if joined and first.isalpha() and first.islower():
            joined[-1] = f"{joined[-1]} {unit}"
        else:
            joined.append(unit)
    return joined


def _splitter(language: str | None, book: str) -> Splitter:
    installed = _installed_punkt(LANGUAGES.get(language or "en", "english"))
    if installed is not None:
        return installed
    if len(book) >= MIN_TRAINING_CHARS:
        return _trained_punkt(hashlib.sha256(book.encode("utf-8")).hexdigest(), book)
    return _untrained_punkt()


@lru_cache(maxsize=8)
def _installed_punkt(name: str) -> Splitter | None:
    """NLTK's pretrained Punkt model for ``name`` (``punkt_tab``), if installed."""
    try:
        from nltk.tokenize import PunktTokenizer

        tokenizer = PunktTokenizer(name)
    except (LookupError, ImportError, OSError, ValueError):
        return None
    splitter: Splitter = tokenizer.tokenize
    return splitter


@lru_cache(maxsize=1)
def _untrained_punkt() -> Splitter:
    from nltk.tokenize.punkt import PunktSentenceTokenizer

    splitter: Splitter = PunktSentenceTokenizer().tokenize
    return splitter


@lru_cache(maxsize=4)
def _trained_punkt(digest: str, book: str) -> Splitter:
    """Punkt trained on ``book`` (cached by its digest: train, valid and test of one
    book each train once per process), keeping only short abbreviations."""
    from nltk.tokenize.punkt import PunktSentenceTokenizer, PunktTrainer

    trainer = PunktTrainer()
    trainer.train(book, finalize=True)
    params = trainer.get_params()
    params.abbrev_types = {a for a in params.abbrev_types if len(a) <= MAX_ABBREVIATION_CHARS}
    splitter: Splitter = PunktSentenceTokenizer(params).tokenize
    return splitter
