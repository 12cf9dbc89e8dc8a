"""Scoring several generators on one held-out text, as rows of a table.

The conventions (what is predicted, how ``<unk>`` counts) are those of
:mod:`lab.models.scoring`, printed in every report.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, replace
from typing import Any

from lab.evaluation.spelling import SpellingModel, unknown_tokens
from lab.models import registry
from lab.models.base import Generator
from lab.models.scoring import ScoreResult
from lab.text.tokenizers import AnyTokenizer
from lab.text.vocabulary import Vocabulary


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


def evaluate_generator(
    name: str, generator: Generator, text: str, *, spelling: SpellingModel | None = None
) -> EvalRow:
    """Score ``text`` with ``generator`` and label the result; with ``spelling``, every
    ``<unk>`` token is also spelled out, so the open-vocabulary figures are those
    of the text itself (:mod:`lab.evaluation.spelling`)."""
    score = generator.score(text)
    if spelling is not None and score.num_oov:
        cost = spelling.oov_cost(unknown_tokens(generator, text), generator.vocab)
        score = replace(score, unk_spelling_nats=cost)
    return EvalRow(
        model=name,
        kind=generator.kind,
        tokenizer=generator.tokenizer.kind,
        vocab_size=len(generator.vocab),
        score=score,
    )


def evaluate_all(
    generators: Mapping[str, Generator], text: str, train_text: str | None = None
) -> list[EvalRow]:
    """Every generator on the same text, in the mapping's order. With ``train_text``,
    a spelling model per distinct tokenizer and vocabulary is learnt from it and the
    rows carry open-vocabulary scores too."""
    spellers: dict[tuple[AnyTokenizer, Vocabulary], SpellingModel] = {}
    rows = []
    for name, gen in generators.items():
        spelling = None
        if train_text is not None:
            key = (gen.tokenizer, gen.vocab)  # both hashable: one speller per pair
            if key not in spellers:
                spellers[key] = spelling_model_for(gen, train_text)
            spelling = spellers[key]
        rows.append(evaluate_generator(name, gen, text, spelling=spelling))
    return rows


def spelling_model_for(generator: Generator, train_text: str) -> SpellingModel:
    """The spelling model of ``generator``'s unknown tokens, learnt from ``train_text``."""
    tokens = generator.tokenizer.tokenize(train_text)
    return SpellingModel.for_vocabulary(tokens, generator.vocab)


def floor_score(generator: Generator, train_text: str, text: str) -> ScoreResult:
    """``text`` under the floor model (add-one unigram) of ``train_text``, counted with
    ``generator``'s own tokenizer and vocabulary, so the comparison is like for like
    (same tokens, same ``<unk>`` mapping, same ``<eos>`` counting) at any unit."""
    floor = registry.floor_kind().generator_class()(None, generator.vocab_config)
    floor._tokenizer = generator.tokenizer  # its own units (a pretrained model's subwords too)
    floor.fit(train_text, vocab=generator.vocab)
    return floor.score(text)
