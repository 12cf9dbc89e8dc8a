"""The vocabulary every model maps tokens through, and its special tokens.

Specials come first (``<pad>`` = 0, ``<unk>`` = 1, ``<eos>`` = 2), then tokens
by descending frequency, so ids are frequency-ranked as adaptive softmax and
Zipf plots want. ``<pad>`` and ``<unk>`` are never generated.
"""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Iterable, Sequence
from pathlib import Path

from lab.storage.files import write_text_atomic

PAD = "<pad>"
UNK = "<unk>"
EOS = "<eos>"
SPECIALS: tuple[str, ...] = (PAD, UNK, EOS)


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

        ``tokens`` is usually a training stream, so it holds ``<eos>`` (the
        most frequent token of all) and perhaps ``<unk>``: the specials are
        placed first, never counted, so they neither appear twice nor take a
        place that ``max_size`` leaves for a word. A ``min_freq`` below 1 or a
        ``max_size`` with no room beyond the specials is a mistake in the
        options, reported rather than silently giving a vocabulary without words.

        Exercise 1: rank the non-special tokens by descending count (ties
        alphabetical), keep those seen at least ``min_freq`` times, cut to
        ``max_size`` entries including the specials, and put the specials first
        (skip any specials in ``tokens``). ``ValueError`` if ``min_freq < 1`` or
        ``max_size <= len(SPECIALS)``.
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
        write_text_atomic(path, self.to_json())

    @classmethod
    def load(cls, path: Path) -> Vocabulary:
        return cls.from_json(Path(path).read_text(encoding="utf-8"))

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Vocabulary) and self.itos == other.itos

    def __hash__(self) -> int:
        return hash(tuple(self.itos))
