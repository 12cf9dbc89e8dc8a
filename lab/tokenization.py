"""Tokenizers and the vocabulary shared by every model.

Word models split text with NLTK (Punkt sentences, then the Treebank-style
``NLTKWordTokenizer``) so punctuation and clitics ("n't", "'s") become tokens,
and every sentence ends with ``<eos>``. Character models keep every character,
newlines included. Both map tokens to ids through one :class:`Vocabulary`
whose special tokens are never sampled.

This module imports no torch: the Markov and n-gram baselines use it too.
"""

from __future__ import annotations

import json
import re
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import asdict, dataclass
from functools import cached_property
from pathlib import Path
from typing import Any, Literal, Protocol

PAD = "<pad>"
UNK = "<unk>"
EOS = "<eos>"
SPECIALS: tuple[str, ...] = (PAD, UNK, EOS)

_PARAGRAPH_BREAK = re.compile(r"\n\s*\n")
_SPECIAL_TOKEN = re.compile("(" + "|".join(re.escape(t) for t in SPECIALS) + ")")


class Tokenizer(Protocol):
    """Splits text into string tokens and joins generated tokens back into text."""

    @property
    def kind(self) -> str: ...

    def tokenize(self, text: str) -> list[str]: ...

    def detokenize(self, tokens: Sequence[str]) -> str: ...

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


class Vocabulary:
    """Token <-> id mapping. Specials come first (``<pad>``=0, ``<unk>``=1,
    ``<eos>``=2), then tokens by descending frequency (ties alphabetical), so
    ids are frequency-ranked as adaptive softmax and Zipf plots want.

    >>> v = Vocabulary.build(["a", "b", "a"], min_freq=1)
    >>> v.encode(["a", "zzz"])
    [3, 1]
    """

    def __init__(self, tokens: Sequence[str]) -> None:
        if tuple(tokens[: len(SPECIALS)]) != SPECIALS:
            raise ValueError(f"a vocabulary must start with {SPECIALS}")
        if len(set(tokens)) != len(tokens):
            raise ValueError("duplicate tokens in vocabulary")
        self.itos: list[str] = list(tokens)
        self.stoi: dict[str, int] = {tok: i for i, tok in enumerate(self.itos)}

    @classmethod
    def build(
        cls, tokens: Iterable[str], *, min_freq: int = 1, max_size: int | None = None
    ) -> Vocabulary:
        """Vocabulary of the tokens seen at least ``min_freq`` times, at most
        ``max_size`` entries including the specials.

        Exercise 1: rank the non-special tokens by descending count (ties
        alphabetical), keep those seen at least ``min_freq`` times, cut to
        ``max_size`` entries including the specials, and put the specials first.
        """
        # BEGIN SOLUTION
        if min_freq < 1:
            raise ValueError("min_freq must be >= 1")
        if max_size is not None and max_size <= len(SPECIALS):
            raise ValueError(f"max_size must exceed the {len(SPECIALS)} special tokens")
        counts = Counter(t for t in tokens if t not in SPECIALS)
        ranked = sorted(counts.items(), key=lambda kv: (-kv[1], kv[0]))
        kept = [tok for tok, n in ranked if n >= min_freq]
        if max_size is not None:
            kept = kept[: max_size - len(SPECIALS)]
        return cls([*SPECIALS, *kept])
        # END SOLUTION

    def __len__(self) -> int:
        return len(self.itos)

    def __contains__(self, token: object) -> bool:
        return token in self.stoi

    @property
    def pad_id(self) -> int:
        return self.stoi[PAD]

    @property
    def unk_id(self) -> int:
        return self.stoi[UNK]

    @property
    def eos_id(self) -> int:
        return self.stoi[EOS]

    @property
    def never_emit_ids(self) -> tuple[int, ...]:
        """Ids a generator must never produce."""
        return (self.pad_id, self.unk_id)

    def encode(self, tokens: Iterable[str]) -> list[int]:
        """Exercise 1: the id of each token, ``<unk>``'s id for tokens not in the vocabulary."""
        # BEGIN SOLUTION
        unk = self.unk_id
        return [self.stoi.get(t, unk) for t in tokens]
        # END SOLUTION

    def decode(self, ids: Iterable[int]) -> list[str]:
        """Exercise 1: the token of each id (the inverse of :meth:`encode` for known tokens)."""
        # BEGIN SOLUTION
        return [self.itos[i] for i in ids]
        # END SOLUTION

    def map_unknown(self, tokens: Iterable[str]) -> list[str]:
        """Tokens with out-of-vocabulary ones replaced by ``<unk>``."""
        return [t if t in self.stoi else UNK for t in tokens]

    def to_json(self) -> str:
        return json.dumps({"tokens": self.itos}, ensure_ascii=False)

    @classmethod
    def from_json(cls, text: str) -> Vocabulary:
        data = json.loads(text)
        if not isinstance(data, dict) or not isinstance(data.get("tokens"), list):
            raise ValueError("vocabulary JSON must be an object with a 'tokens' list")
        return cls([str(t) for t in data["tokens"]])

    def save(self, path: Path) -> None:
        from lab.fileio import write_text_atomic

        write_text_atomic(path, self.to_json())

    @classmethod
    def load(cls, path: Path) -> Vocabulary:
        return cls.from_json(Path(path).read_text(encoding="utf-8"))

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Vocabulary) and self.itos == other.itos

    def __hash__(self) -> int:
        return hash(tuple(self.itos))


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
