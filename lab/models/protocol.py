"""The small records every generator trades in: requests, samples, training results,
and the checks on generation arguments.

The contract itself is one class, :class:`lab.models.base.GeneratorBase`
(``Generator`` in annotations); adding a model means writing one class on it and
one entry in :mod:`lab.models.registry`, never another ``if model == ...`` branch.
This module imports no torch, so the count baselines use it too.
"""

from __future__ import annotations

import functools
import warnings
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TypedDict

from lab.errors import UnknownTokenWarning
from lab.limits import check_generation_args  # the caps live with every other cap
from lab.models.probabilities import NextTokenDistribution, TokenLogprob
from lab.models.sampling import GREEDY, SamplingConfig
from lab.models.scoring import ScoreResult
from lab.text.tokenizers import AnyTokenizer
from lab.text.vocabulary import UNK, Vocabulary

__all__ = [
    "GREEDY",
    "EpochRecord",
    "FitRequest",
    "FitResult",
    "GenerationRequest",
    "NextTokenDistribution",
    "Sample",
    "SamplingConfig",
    "ScoreResult",
    "TokenCallback",
    "TokenLogprob",
    "check_generation_args",
    "make_sample",
    "warn_unknown_prompt_tokens",
]


def _join(tokens: Sequence[str]) -> str:
    return " ".join(tokens)


@dataclass(frozen=True)
class Sample:
    """One generated continuation.

    ``tokens`` are the generated tokens only (prompt excluded; ``<eos>`` kept so
    sentence structure survives) and ``text`` is their readable form;
    ``full_text`` is prompt and continuation detokenized together, which is
    what a reader wants ("Alice was" + "n't" -> "Alice wasn't").

    Both texts are made on first read and kept: a sweep generates hundreds of
    samples per model but shows a few (its metrics read ``tokens``), and
    detokenizing every one was a third of the time of decoding them.
    """

    tokens: tuple[str, ...]
    prompt_tokens: tuple[str, ...] = ()
    detokenize: Callable[[Sequence[str]], str] = field(default=_join, repr=False, compare=False)
    #: ``ln P`` of each generated token given the prompt and the tokens before it, under
    #: the model's own distribution (T = 1, before the repetition controls and the cuts,
    #: ``<unk>`` in the normalisation; a Markov walk's: the state it drew from), when
    #: asked for (``generate(..., logprobs=True)``), else ``None``.
    logprobs: tuple[float, ...] | None = field(default=None, repr=False, compare=False)

    @functools.cached_property
    def text(self) -> str:
        """The continuation, readable on its own."""
        return self.detokenize(self.tokens)

    @functools.cached_property
    def full_text(self) -> str:
        """Prompt and continuation detokenized together (``text`` without a prompt)."""
        return (
            self.detokenize([*self.prompt_tokens, *self.tokens])
            if self.prompt_tokens
            else self.text
        )

    def __str__(self) -> str:
        return self.text


def make_sample(
    tokenizer: AnyTokenizer,
    prompt_tokens: Sequence[str],
    tokens: Sequence[str],
    logprobs: Sequence[float] | None = None,
) -> Sample:
    """A :class:`Sample` of generated ``tokens``, readable alone and after the prompt."""
    kept = None if logprobs is None else tuple(logprobs[: len(tokens)])
    return Sample(tuple(tokens), tuple(prompt_tokens), tokenizer.detokenize, kept)


def warn_unknown_prompt_tokens(prompt_tokens: Sequence[str], vocab: Vocabulary) -> None:
    """Warn (:class:`~lab.errors.UnknownTokenWarning`) that some prompt tokens will be read as ``<unk>``."""
    unknown = sorted({t for t in prompt_tokens if t not in vocab})
    if unknown:
        from lab.text.unknown_words import case_hints

        hints = case_hints(unknown, vocab)
        hint = "; the book writes " + ", ".join(f"{f!r} for {t!r}" for t, f in hints.items())
        warnings.warn(
            f"prompt tokens not in the vocabulary, read as {UNK}: {' '.join(map(repr, unknown))}"
            + (hint if hints else ""),
            UnknownTokenWarning,
            stacklevel=3,
        )


#: ``on_token(sample_index, token)``: told each token as it is chosen (streaming).
TokenCallback = Callable[[int, str], None]


@dataclass(frozen=True)
class GenerationRequest:
    """The arguments of ``generate``, checked once on construction.

    ``logprobs`` asks for :attr:`Sample.logprobs`; ``on_token`` is called with each
    sample's tokens in order as they are chosen (up to ``max_tokens``, and up to the
    first ``<eos>`` with ``stop_at_eos``), how ``generate`` streams to a terminal."""

    prompt: str
    max_tokens: int = 50
    sampling: SamplingConfig = GREEDY
    num_samples: int = 1
    seed: int = 0
    stop_at_eos: bool = False
    logprobs: bool = False
    on_token: TokenCallback | None = field(default=None, compare=False, repr=False)

    def __post_init__(self) -> None:
        check_generation_args(self.max_tokens, self.num_samples)


@dataclass(frozen=True)
class FitRequest:
    """The arguments of ``fit``, as the base hands them to a model."""

    train_text: str
    valid_text: str | None = None
    vocab: Vocabulary | None = None
    progress: bool = False
    checkpoint_dir: Path | None = None
    resume: bool = False


class EpochRecord(TypedDict):
    """One line of training history, the same keys for every model.

    NLLs are nats per token; ``train_nll`` and ``lr`` are ``None`` for models
    that count rather than optimise. A plain dict, so it goes into JSON and
    ``torch.save`` as it is.
    """

    epoch: int
    train_nll: float | None
    valid_nll: float
    valid_ppl: float
    lr: float | None
    seconds: float


@dataclass
class FitResult:
    """What training did: per-epoch history and the best validation score."""

    seconds: float
    epochs: int = 0
    best_valid: ScoreResult | None = None
    history: list[EpochRecord] = field(default_factory=list)
    stopped_early: bool = False
    best_epoch: int = 0
    #: Why training ended: "converged" (no better validation for ``patience`` epochs),
    #: "epochs", "token budget", "time cap", or "one pass" for count models.
    stop_reason: str = ""
    #: Whether the last epoch was still the best one (more training would likely help).
    still_improving: bool = False
    train_tokens: int = 0
    #: CPU threads training used (chosen from the CPU share, ``lab/cpu_share.py``); 0: none.
    threads: int = 0

    def metrics(self) -> dict[str, Any]:
        """What ``fit`` measured, as ``config.json`` records it for every model."""
        return {
            "best_epoch": self.best_epoch,
            "epochs": self.epochs,
            "train_seconds": self.seconds,
            "valid": self.best_valid.to_dict() if self.best_valid else None,
            "history": list(self.history),
            "stop_reason": self.stop_reason,
            "still_improving": self.still_improving,
            "train_tokens": self.train_tokens,
            **({"threads": self.threads} if self.threads else {}),
        }
