"""Tokenizers: text to string tokens and back, at word or character level.

Word tokenizers split text with NLTK (Punkt sentences in the book's language,
:mod:`lab.text.sentences`, then the Treebank-style
``NLTKWordTokenizer``) so punctuation and clitics ("n't", "'s") become tokens,
and every sentence ends with ``<eos>``. The tokens keep what detokenization
needs (which way a quote faces, curly apostrophes; :mod:`lab.text.word_tokens`),
so generated text reads like the book, and prose keeps its paragraphs: a
``PARAGRAPH`` token follows the ``<eos>`` that ends a paragraph. Character tokenizers keep every
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
    "PARAGRAPH",
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
# A dash glued to the word ending a hard-wrapped line is glued to the next line's
# word too ("joke--\nit" is "joke--it"; a space would invent "joke-- it"). A spaced
# dash ("sanoi --\nja", Finnish editions) keeps its space.
_DASH_AT_LINE_END = re.compile(r"(?<=\S)(--|—)[ \t]*\n\s*")

PARAGRAPH = "\n"
"""The token after the ``<eos>`` that ends a paragraph (prose only, ``eos="sentence"``).

A newline: NLTK splits text at whitespace, so it never makes this token from
text, and it is not one of the vocabulary's ``SPECIALS``: a model learns and
emits it like a word (it round-trips through ``vocab.json`` as ``"\\n"``), and
:meth:`WordTokenizer.detokenize` writes it back as a blank line."""
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
        pretokenized: the text is already tokenized (Penn Treebank,
            WikiText): words are split on whitespace only, so token counts
            are those of the published tables; NLTK would split again.
        language: the text's language (``en fi sv ru pl tl``), for sentence
            splitting; ``None`` detects it from each text long enough to tell
            (:mod:`lab.text.sentences`), else splits as English.

    >>> WordTokenizer().tokenize("Alice wasn't there.")
    ['Alice', 'was', "n't", 'there', '.', '<eos>']
    """

    lowercase: bool = False
    eos: Literal["sentence", "line"] = "sentence"
    pretokenized: bool = False
    language: str | None = None
    kind: Literal["word"] = "word"

    def __post_init__(self) -> None:
        if self.eos not in ("sentence", "line"):
            raise ValueError(f"eos must be 'sentence' or 'line', not {self.eos!r}")
        if self.language is not None:
            from lab.text.language import language_name

            language_name(self.language)  # ValueError for a language outside the lesson

    @cached_property
    def _words(self) -> Any:
        from lab.text.word_tokens import RoundTripWordTokenizer

        return RoundTripWordTokenizer()

    def split_paragraphs(self, text: str) -> list[list[str]]:
        """The units of ``text`` (see :meth:`split_units`) grouped by paragraph.

        In line mode every unit is a paragraph of its own: one-sentence-per-line
        corpora have no paragraphs to keep.
        """
        from lab.text.sentences import book_language, sentence_splitter

        if self.eos == "line":
            return [[line.strip()] for line in text.splitlines() if line.strip()]
        split = sentence_splitter(book_language(text, self.language), text)
        paragraphs: list[list[str]] = []
        for paragraph in _PARAGRAPH_BREAK.split(text):
            joined = " ".join(_DASH_AT_LINE_END.sub(r"\1", paragraph).split())
            if joined:
                paragraphs.append(split(joined))
        return paragraphs

    def split_units(self, text: str) -> list[str]:
        """The sentences (or lines) of ``text``, each of which ends in ``<eos>``."""
        return [unit for paragraph in self.split_paragraphs(text) for unit in paragraph]

    def tokenize_unit(self, unit: str) -> list[str]:
        """Word tokens of one sentence, without the trailing ``<eos>``.

        Literal special tokens already in the text (PTB writes rare words as
        ``<unk>``) stay whole instead of becoming ``<``, ``unk``, ``>``.
        """
        if self.lowercase:
            unit = unit.lower()
        if self.pretokenized:
            return unit.split()
        tokens: list[str] = []
        for i, piece in enumerate(_SPECIAL_TOKEN.split(unit)):
            if i % 2:
                tokens.append(piece)
            else:
                tokens.extend(tok for tok in self._words.tokenize(piece) if tok)
        return tokens

    def tokenize(self, text: str) -> list[str]:
        """Tokens of every unit, each followed by ``<eos>``; in prose, ``PARAGRAPH``
        after the ``<eos>`` of each paragraph that another one follows."""
        tokens: list[str] = []
        for p, paragraph in enumerate(self.split_paragraphs(text)):
            if p and self.eos == "sentence":
                tokens.append(PARAGRAPH)
            for unit in paragraph:
                tokens.extend(self.tokenize_unit(unit))
                tokens.append(EOS)
        return tokens

    def tokenize_prompt(self, text: str) -> list[str]:
        """Tokens of a prompt: like :meth:`tokenize` but with no ``<eos>`` (or
        paragraph) after the last sentence, since generation continues it."""
        tokens = self.tokenize(text)
        while tokens and tokens[-1] in (EOS, PARAGRAPH):
            tokens.pop()
        return tokens

    def detokenize(self, tokens: Sequence[str]) -> str:
        """Readable text: sentences joined by a space, a blank line for ``PARAGRAPH``.

        Each sentence is joined by :func:`~lab.text.detokenize.detokenize_sentence`.
        Runs of paragraph tokens make one blank line, and none at either end.
        """
        from lab.text.detokenize import detokenize_sentence

        if self.pretokenized:  # the tokens are the text's own words
            return " ".join(t for t in tokens if t not in (EOS, PAD, PARAGRAPH))
        paragraphs: list[list[list[str]]] = [[[]]]
        for tok in tokens:
            if tok == PARAGRAPH:
                paragraphs.append([[]])
            elif tok == EOS:
                paragraphs[-1].append([])
            elif tok != PAD:
                paragraphs[-1][-1].append(tok)
        texts = (" ".join(detokenize_sentence(s) for s in p if s) for p in paragraphs)
        return "\n\n".join(t for t in texts if t)

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
    pretokenized: bool = False,
    language: str | None = None,
) -> AnyTokenizer:
    """The tokenizer for a model unit (``eos``, ``pretokenized`` and ``language``
    apply to words only)."""
    if unit == "char":
        return CharTokenizer(lowercase=lowercase)
    if unit == "word":
        return WordTokenizer(
            lowercase=lowercase, eos=eos, pretokenized=pretokenized, language=language
        )
    raise ValueError(f"unit must be 'word' or 'char', not {unit!r}")
