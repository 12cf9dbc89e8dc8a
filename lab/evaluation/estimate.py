"""How long a comparison should take, said before it starts.

A student who starts ``compare`` on a book of their own should know whether
to wait two minutes or twenty. The networks' training dominates; its time is
the planned token budget over the idle throughput the registry records for
each kind (:class:`~lab.models.budgets.Throughput`, measured on the lab's
2-core machine), plus per-epoch validation. The count models, the scoring and
the sample sweep are a few seconds plus a cost per character of the book,
measured the same way (``benchmarks/quick_books.py``). The estimate is for an
idle 2-core machine; the line says when this one is busier than that.
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from typing import TYPE_CHECKING

from lab.models import registry
from lab.text.vocabulary import SPECIALS, Vocabulary

if TYPE_CHECKING:
    from lab.evaluation.comparison import CompareConfig

#: Count models, scoring and the sweep on an idle 2-core machine: seconds, and seconds per
#: character of the book (all splits). On Alice (144k characters) they took about 4% of
#: the quick compare's 131 CPU-seconds (benchmarks/results/quick_books.md); rounded up.
REST_SECONDS, REST_PER_CHAR = 8.0, 25e-6
#: Per-epoch validation on top of the registry's throughputs, which already include it
#: (they were measured over whole epochs, validation and all).
VALIDATION_SHARE = 0.0


def book_sizes(
    word_tokens: Sequence[str], vocab: Vocabulary, train_text: str
) -> dict[str, tuple[int, int]]:
    """Per unit, (training tokens, vocabulary size): what a book-scaled budget follows.
    The characters are counted as the char LSTM reads them (one token each), with the
    vocabulary's special tokens."""
    return {
        "word": (len(word_tokens) + 1, len(vocab)),
        "char": (len(train_text), len(set(train_text)) + len(SPECIALS)),
    }


def neural_seconds(kind: str, tokens: int, vocab_size: int) -> float:
    """Idle 2-core seconds to train network ``kind`` on ``tokens`` tokens over
    ``vocab_size`` (validation included); 0 for a kind without a measured speed."""
    entry = registry.kind(kind)
    budget = entry.budget("quick") or entry.budget("full")
    if budget is None:
        return 0.0
    return tokens / budget.speed.tokens_per_second(vocab_size) * (1 + VALIDATION_SHARE)


def estimate_seconds(config: CompareConfig, held_out_chars: int = 0) -> float:
    """Idle 2-core seconds for the whole comparison ``config`` (its ``book`` sizes set)."""
    total = REST_SECONDS
    for kind in config.models:
        entry = registry.kind(kind)
        size = config.book.get(entry.unit)
        if size is None:
            continue
        if not entry.neural:
            continue
        options = config.model_options(kind)
        epochs = int(options.get("epochs") or entry.default_value("epochs"))
        tokens = options.get("max_tokens") or epochs * size[0]
        total += neural_seconds(kind, min(int(tokens), epochs * size[0]), size[1])
    chars = config.book.get("char", (0, 0))[0] + held_out_chars
    return total + REST_PER_CHAR * chars


def estimate_line(config: CompareConfig, held_out_chars: int = 0) -> str:
    """One line: the planned budget of each network and the time the comparison should
    take on an idle 2-core machine, with a caution when this machine is busy."""
    budgets = []
    for kind in config.models:
        entry = registry.kind(kind)
        size = config.book.get(entry.unit)
        tokens = config.model_options(kind).get("max_tokens")
        if entry.neural and size and tokens:
            budgets.append(f"{kind} {tokens:,} {entry.unit}s ({tokens / size[0]:.1f} passes)")
    seconds = estimate_seconds(config, held_out_chars)
    when = f"~{seconds / 60:.1f} min" if seconds >= 90 else f"~{seconds:.0f}s"
    line = "plan: " + ("; ".join(budgets) + "; " if budgets else "")
    line += f"estimated {when} on an idle 2-core machine"
    busy = _busy_note()
    return line + (f" ({busy})" if busy else "")


def _busy_note() -> str:
    """What the load says about this machine, or ``""`` when it is about idle."""
    try:
        load = os.getloadavg()[0]
        cores = len(os.sched_getaffinity(0))
    except (OSError, AttributeError):
        return ""
    if load <= 0.5 * cores:
        return ""
    return f"this machine: {cores} cores at load {load:.1f}, so expect longer"
