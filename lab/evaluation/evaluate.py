"""Scoring several generators on one held-out text, as rows of a table.

The conventions (what is predicted, how ``<unk>`` counts) are those of
:mod:`lab.models.scoring`, printed in every report.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from lab.models import registry
from lab.models.protocol import Generator
from lab.models.scoring import ScoreResult


@dataclass(frozen=True)
class EvalRow:
    """One model's scores on one held-out text, ready for a table."""

    model: str
    kind: str
    tokenizer: str
    vocab_size: int
    score: ScoreResult

    def to_dict(self) -> dict[str, Any]:
        return {
            "model": self.model,
            "kind": self.kind,
            "tokenizer": self.tokenizer,
            "vocab_size": self.vocab_size,
            **self.score.to_dict(),
        }


def evaluate_generator(name: str, generator: Generator, text: str) -> EvalRow:
    """Score ``text`` with ``generator`` and label the result."""
    return EvalRow(
        model=name,
        kind=generator.kind,
        tokenizer=generator.tokenizer.kind,
        vocab_size=len(generator.vocab),
        score=generator.score(text),
    )


def evaluate_all(generators: Mapping[str, Generator], text: str) -> list[EvalRow]:
    """Every generator on the same text, in the mapping's order."""
    return [evaluate_generator(name, gen, text) for name, gen in generators.items()]


def floor_score(generator: Generator, train_text: str, text: str) -> ScoreResult:
    """``text`` under the floor model (add-one unigram) of ``train_text``, counted with
    ``generator``'s own tokenizer and vocabulary, so the comparison is like for like
    (same tokens, same ``<unk>`` mapping, same ``<eos>`` counting) at any unit."""
    floor = registry.floor_kind().generator_class()(None, generator.vocab_config)
    floor.fit(train_text, vocab=generator.vocab)
    return floor.score(text)
