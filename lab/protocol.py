"""The one contract every text generator meets, and the small records it trades in.

Training, sampling, evaluation and reports are free functions over
:class:`Generator`; adding a model means writing one class and one line in
:mod:`lab.registry`, never another ``if model == ...`` branch.

This module imports no torch, so the baselines can implement the protocol.
"""

from __future__ import annotations

import math
import warnings
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, ClassVar, Protocol, runtime_checkable

from lab.errors import UnknownTokenWarning
from lab.tokenization import UNK, AnyTokenizer, Vocabulary


@dataclass(frozen=True)
class SamplingConfig:
    """How the next token is chosen.

    ``greedy`` takes the arg-max and ignores the rest. Otherwise logits are
    divided by ``temperature`` (below 1 sharpens, above 1 flattens), then
    optionally cut to the ``top_k`` most likely tokens and/or the smallest set
    whose probability reaches ``top_p`` (nucleus sampling, Holtzman et al. 2020).
    """

    greedy: bool = False
    temperature: float = 1.0
    top_k: int | None = None
    top_p: float | None = None

    def __post_init__(self) -> None:
        if not (self.temperature > 0 and math.isfinite(self.temperature)):
            raise ValueError(f"temperature must be a positive number, not {self.temperature}")
        if self.top_k is not None and self.top_k < 1:
            raise ValueError(f"top_k must be >= 1, not {self.top_k}")
        if self.top_p is not None and not 0 < self.top_p <= 1:
            raise ValueError(f"top_p must be in (0, 1], not {self.top_p}")

    @property
    def label(self) -> str:
        """Short name for tables: ``greedy``, ``T=0.8``, ``T=1.0,k=40``."""
        if self.greedy:
            return "greedy"
        parts = [f"T={self.temperature:g}"]
        if self.top_k is not None:
            parts.append(f"k={self.top_k}")
        if self.top_p is not None:
            parts.append(f"p={self.top_p:g}")
        return ",".join(parts)


GREEDY = SamplingConfig(greedy=True)


@dataclass(frozen=True)
class Sample:
    """One generated continuation.

    ``tokens`` are the generated tokens only (prompt excluded; ``<eos>`` kept so
    sentence structure survives) and ``text`` is their readable form;
    ``full_text`` is prompt and continuation detokenized together, which is
    what a reader wants ("Alice was" + "n't" -> "Alice wasn't").
    """

    text: str
    tokens: tuple[str, ...]
    full_text: str = ""

    def __str__(self) -> str:
        return self.text


def make_sample(
    tokenizer: AnyTokenizer, prompt_tokens: Sequence[str], tokens: Sequence[str]
) -> Sample:
    """A :class:`Sample` of generated ``tokens``, readable alone and after the prompt."""
    return Sample(
        text=tokenizer.detokenize(tokens),
        tokens=tuple(tokens),
        full_text=tokenizer.detokenize([*prompt_tokens, *tokens]),
    )


def warn_unknown_prompt_tokens(prompt_tokens: Sequence[str], vocab: Vocabulary) -> None:
    """Warn (:class:`~lab.errors.UnknownTokenWarning`) that some prompt tokens will be read as ``<unk>``."""
    unknown = sorted({t for t in prompt_tokens if t not in vocab})
    if unknown:
        warnings.warn(
            f"prompt tokens not in the vocabulary, read as {UNK}: {' '.join(map(repr, unknown))}",
            UnknownTokenWarning,
            stacklevel=3,
        )


@dataclass(frozen=True)
class ScoreResult:
    """Total negative log-likelihood of a text under a model, in nats.

    ``num_tokens`` counts the predicted tokens of the model's own tokenizer
    (``<eos>`` included, the start context not), so perplexity is
    token-weighted over the whole stream. ``num_chars`` is the length of the
    scored text, which makes bits per character comparable between word and
    character models. ``num_oov`` counts tokens mapped to ``<unk>``.
    """

    nll_nats: float
    num_tokens: int
    num_chars: int
    num_oov: int = 0

    @property
    def nats_per_token(self) -> float:
        return self.nll_nats / max(self.num_tokens, 1)

    @property
    def ppl(self) -> float:
        """Per-token perplexity, ``exp(total NLL / tokens)``."""
        return math.exp(min(self.nats_per_token, 700.0))

    @property
    def bits_per_char(self) -> float:
        return self.nll_nats / max(self.num_chars, 1) / math.log(2)

    @property
    def oov_rate(self) -> float:
        return self.num_oov / max(self.num_tokens, 1)

    def to_dict(self) -> dict[str, float | int]:
        return {
            "nll_nats": self.nll_nats,
            "num_tokens": self.num_tokens,
            "num_chars": self.num_chars,
            "num_oov": self.num_oov,
            "ppl": self.ppl,
            "bits_per_char": self.bits_per_char,
            "oov_rate": self.oov_rate,
        }


@dataclass
class FitResult:
    """What training did: per-epoch history and the best validation score."""

    seconds: float
    epochs: int = 0
    best_valid: ScoreResult | None = None
    history: list[dict[str, float]] = field(default_factory=list)
    stopped_early: bool = False


@runtime_checkable
class Generator(Protocol):
    """A language model that can be trained, scored, sampled and saved.

    ``score`` returns natural-log likelihoods of held-out text; ``generate``
    primes the model with the prompt (tokenized by the model's own tokenizer)
    and continues it. Randomness comes only from ``seed``.
    """

    kind: ClassVar[str]

    @property
    def tokenizer(self) -> AnyTokenizer: ...

    @property
    def vocab(self) -> Vocabulary: ...

    def fit(
        self,
        train_text: str,
        valid_text: str | None = None,
        *,
        vocab: Vocabulary | None = None,
        progress: bool = False,
    ) -> FitResult: ...

    def score(self, text: str) -> ScoreResult: ...

    def generate(
        self,
        prompt: str,
        *,
        max_tokens: int = 50,
        sampling: SamplingConfig = GREEDY,
        num_samples: int = 1,
        seed: int = 0,
        stop_at_eos: bool = False,
    ) -> list[Sample]: ...

    def save(self, directory: Path) -> None: ...

    def describe(self) -> dict[str, Any]: ...
