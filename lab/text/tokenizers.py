"""Tokenizers: text to string tokens and back, at word or character level.

Word tokenizers split text with NLTK (Punkt sentences, then the Treebank-style
``NLTKWordTokenizer``) so punctuation and clitics ("n't", "'s") become tokens,
and every sentence ends with ``<eos>``. Character tokenizers keep every
character, newlines included. Which one a model uses is a
:class:`~lab.models.config.VocabConfig` setting (``unit``), so any count model
can also run at character level.

This module imports no torch: the Markov and n-gram baselines use it too.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import asdict, dataclass
from functools import cached_property
from typing import Any, Literal, Protocol

from lab.text.vocabulary import EOS, PAD, SPECIALS, UNK

__all__ = [
    "EOS",
    "PAD",
    "SPECIALS",
    "UNK",
    "AnyTokenizer",
    "CharTokenizer",
    "Tokenizer",
    "WordTokenizer",
    "make_tokenizer",
    "tokenizer_from_dict",
]

_PARAGRAPH_BREAK = re.compile(r"\n\s*\n")
_SPECIAL_TOKEN = re.compile("(" + "|".join(re.escape(t) for t in SPECIALS) + ")")


class Tokenizer(Protocol):
    """Splits text into string tokens and joins generated tokens back into text."""

    @property
    def kind(self) -> str: ...

    def tokenize(self, text: str) -> list[str]: ...

    def tokenize_prompt(self, text: str) -> list[str]: ...

    def detokenize(self, tokens: Sequence[str]) -> str: ...

    def tokens_for_words(self, words: int, *, chars_per_word: int = 6) -> int: ...

    def to_dict(self) -> dict[str, Any]: ...


@dataclass(frozen=True)
class WordTokenizer:
    """NLTK word tokenizer with ``<eos>`` after each sentence (or each line).

    Args:
        lowercase: fold case; shrinks the vocabulary of a small book a lot.
        eos: ``"sentence"`` splits prose with Punkt (hard-wrapped Gutenberg
            lines are joined first); ``"line"`` treats every non-blank line
            as one unit, for corpora that are already one sentence per line.

    >>> WordTokenizer().tokenize("Alice wasn't there.")
    ['Alice', 'was', "n't", 'there', '.', '<eos>']
    """

    lowercase: bool = False
    eos: Literal["sentence", "line"] = "sentence"
    kind: Literal["word"] = "word"

    def __post_init__(self) -> None:
        if self.eos not in ("sentence", "line"):
            raise ValueError(f"eos must be 'sentence' or 'line', not {self.eos!r}")

    @cached_property
    def _words(self) -> Any:
        from nltk.tokenize import NLTKWordTokenizer

        return NLTKWordTokenizer()

    @cached_property
    def _sentences(self) -> Any:
        return _punkt_sentence_splitter()

    def split_units(self, text: str) -> list[str]:
        """The sentences (or lines) of ``text``, each of which ends in ``<eos>``."""
        if self.eos == "line":
            return [line.strip() for line in text.splitlines() if line.strip()]
        units: list[str] = []
        for paragraph in _PARAGRAPH_BREAK.split(text):
            joined = " ".join(paragraph.split())
            if joined:
                units.extend(self._sentences(joined))
        return units

    def tokenize_unit(self, unit: str) -> list[str]:
        """Word tokens of one sentence, without the trailing ``<eos>``.

        Literal special tokens already in the text (PTB writes rare words as
        ``<unk>``) stay whole instead of becoming ``<``, ``unk``, ``>``.
        """
        if self.lowercase:
            unit = unit.lower()
        tokens: list[str] = []
        for i, piece in enumerate(_SPECIAL_TOKEN.split(unit)):
            if i % 2:
                tokens.append(piece)
            else:
                tokens.extend(tok for tok in self._words.tokenize(piece) if tok)
        return tokens

    def tokenize(self, text: str) -> list[str]:
        tokens: list[str] = []
        for unit in self.split_units(text):
            tokens.extend(self.tokenize_unit(unit))
            tokens.append(EOS)
        return tokens

    def tokenize_prompt(self, text: str) -> list[str]:
        """Tokens of a prompt: like :meth:`tokenize` but with no ``<eos>`` appended
        after the last sentence, since generation continues it."""
        tokens = self.tokenize(text)
        if tokens and tokens[-1] == EOS:
            tokens.pop()
        return tokens

    def detokenize(self, tokens: Sequence[str]) -> str:
        """Readable text: Treebank detokenization per sentence, ``<eos>`` as a space."""
        from nltk.tokenize.treebank import TreebankWordDetokenizer

        detok = TreebankWordDetokenizer()
        sentences: list[list[str]] = [[]]
        for tok in tokens:
            if tok == EOS:
                sentences.append([])
            elif tok not in (PAD,):
                sentences[-1].append(tok)
        text = " ".join(detok.detokenize(s) for s in sentences if s)
        return _tidy_quotes(text)

    def tokens_for_words(self, words: int, *, chars_per_word: int = 6) -> int:
        """How many tokens make a sample of about ``words`` words: one per word."""
        return words

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


@dataclass(frozen=True)
class CharTokenizer:
    """Every character is a token; newlines are kept as characters.

    >>> CharTokenizer().tokenize("Hi\\n")
    ['H', 'i', '\\n']
    """

    lowercase: bool = False
    kind: Literal["char"] = "char"

    def tokenize(self, text: str) -> list[str]:
        return list(text.lower() if self.lowercase else text)

    def tokenize_prompt(self, text: str) -> list[str]:
        return self.tokenize(text)

    def detokenize(self, tokens: Sequence[str]) -> str:
        return "".join(t for t in tokens if t not in SPECIALS)

    def tokens_for_words(self, words: int, *, chars_per_word: int = 6) -> int:
        """How many tokens make a sample of about ``words`` words: ``chars_per_word``
        characters per word (English averages about 5 letters plus a space)."""
        return words * chars_per_word

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


AnyTokenizer = WordTokenizer | CharTokenizer


def tokenizer_from_dict(data: dict[str, Any]) -> AnyTokenizer:
    """Rebuild a tokenizer saved with ``to_dict`` (checkpoints store this as JSON)."""
    fields = dict(data)
    kind = fields.pop("kind", None)
    if kind == "word":
        return WordTokenizer(**fields)
    if kind == "char":
        return CharTokenizer(**fields)
    raise ValueError(f"unknown tokenizer kind {kind!r}")


def make_tokenizer(
    unit: Literal["word", "char"],
    *,
    lowercase: bool = False,
    eos: Literal["sentence", "line"] = "sentence",
) -> AnyTokenizer:
    """The tokenizer for a model unit (``eos`` applies to word tokenizers only)."""
    if unit == "char":
        return CharTokenizer(lowercase=lowercase)
    if unit == "word":
        return WordTokenizer(lowercase=lowercase, eos=eos)
    raise ValueError(f"unit must be 'word' or 'char', not {unit!r}")


def _punkt_sentence_splitter() -> Any:
    """NLTK's pretrained English Punkt model when its data is installed, else an
    untrained Punkt tokenizer: a little worse on abbreviations ("Mr."), but the
    package then works offline with no NLTK data at all."""
    try:
        from nltk.tokenize import PunktTokenizer

        return PunktTokenizer("english").tokenize
    except (LookupError, ImportError, OSError):
        from nltk.tokenize.punkt import PunktSentenceTokenizer

        return PunktSentenceTokenizer().tokenize


_OPEN_QUOTE_SPACE = re.compile(r"(^|\s)' (?=\w)")


def _tidy_quotes(text: str) -> str:
    """Treebank detokenization leaves "' Alice" after an opening single quote
    (British dialogue quotes are ambiguous with apostrophes); glue it back."""
    return _OPEN_QUOTE_SPACE.sub(r"\1'", text)
