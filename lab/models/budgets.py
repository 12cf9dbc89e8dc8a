"""Quick-preset values that follow the book: token budgets and options sized from the
training split, capped by a stated wall-clock target on an idle 2-core machine.

The registry's presets hold these objects; :meth:`lab.models.registry.ModelKind.preset`
resolves them for a book (training tokens, vocabulary size) before a comparison trains.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class Throughput:
    """Training tokens per second of a network on an idle 2-core machine (2 torch threads),
    as ``1 / (per_token + per_word * vocab_size)`` seconds: the recurrent layers cost the
    same per token, the softmax grows with the vocabulary. Measured with 1 thread in CPU
    seconds (``benchmarks/learn_per_token.py``), times the 1.6x of a second thread
    (``perf-notes.md``); a table of numbers, so a budget derived from it is the same on
    every machine."""

    per_token: float  # seconds
    per_word: float = 0.0  # seconds per token per vocabulary entry

    def tokens_per_second(self, vocab_size: int) -> float:
        return 1.0 / (self.per_token + self.per_word * vocab_size)


@dataclass(frozen=True)
class BookBudget:
    """A token budget that follows the book: ``passes`` epochs of its training split, at
    least ``floor`` tokens, and at most what ``speed`` trains in ``seconds`` on an idle
    2-core machine (the stated wall-clock target), rounded to 10,000 tokens.

    A fixed budget gave a 30k-word book 20 epochs and a 110k-word one 6 (issue 23); a
    number of passes alone would let a 1 MB book train for a quarter of an hour."""

    passes: float
    seconds: float
    speed: Throughput
    floor: int = 0

    def tokens(self, train_tokens: int, vocab_size: int) -> int:
        """The budget for a training split of ``train_tokens`` tokens over ``vocab_size``."""
        cap = self.seconds * self.speed.tokens_per_second(vocab_size)
        wanted = max(self.passes * train_tokens, self.floor)
        return max(10_000, int(round(min(wanted, cap), -4)))

    resolve = tokens


@dataclass(frozen=True)
class BySize:
    """An option whose value depends on the book: ``small`` for a training split of fewer
    than ``tokens`` tokens, ``large`` from there (e.g. less dropout for more text)."""

    tokens: int
    small: Any
    large: Any

    def resolve(self, train_tokens: int, vocab_size: int) -> Any:
        return self.small if train_tokens < self.tokens else self.large


#: The quick presets' budgets and the idle 2-core throughputs they are capped by. Word:
#: 2x200 tied LSTM, batch 10x35 (the softmax's cost grows with the vocabulary); char:
#: 2x256, batch 32x35. Measured with 1 thread in CPU seconds, per-epoch validation
#: included (benchmarks/learn_per_token.py: Alice, Thursday and Emma, V = 2.6k-4.2k, fit
#: 37 us + 13 ns x V per token at batch 20, 1.2x that at batch 10; char: 86 us on Alice's
#: quick compare, benchmarks/results/quick_books.md), divided by 1.6 for the second
#: thread (perf-notes.md), rounded up.
WORD_QUICK = BookBudget(passes=16, seconds=300, speed=Throughput(44e-6, 15.6e-9))
CHAR_QUICK = BookBudget(passes=5.6, seconds=150, speed=Throughput(60e-6))
#: Dropout 0.4 suits Alice-sized books; from 100k training tokens (about 550 KB of
#: English) 0.25 learns faster: on Emma (162k) validation 4.4836 after 2 passes at batch 10
#: against 4.5556 with 0.4, and 4.306 against 4.315 after 5 passes at batch 20.
WORD_DROPOUT = BySize(100_000, small=0.4, large=0.25)


def for_book(options: Mapping[str, Any], book: tuple[int, int] | None) -> dict[str, Any]:
    """``options`` with each :class:`BookBudget` or :class:`BySize` value resolved for
    ``book`` = (training tokens in the kind's unit, vocabulary size), or left out (the
    kind's default applies) when the book is not known."""
    resolved = {}
    for key, value in options.items():
        if isinstance(value, BookBudget | BySize):
            if book is None:
                continue
            value = value.resolve(*book)
        resolved[key] = value
    return resolved
