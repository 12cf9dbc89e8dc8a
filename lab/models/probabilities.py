"""What a model says about single tokens: the next-token choice, and each token's log-probability.

Two views that make a model's behaviour visible (the playground draws them):

* :class:`NextTokenDistribution`, the top candidates for the next token with
  their probability *before* the sampling settings (the model's own
  distribution) and *after* them (what one draw is actually taken from). The
  "after" column is :func:`lab.models.sampling.sampling_distribution` of the
  very weights and candidate order the model's sampler uses, so greedy ties,
  top-k cuts and the top-p nucleus are exactly those of ``generate``.
* :class:`TokenLogprob`, one per predicted token of a text, whose negated sum
  is the ``nll_nats`` of :meth:`~lab.models.base.GeneratorBase.score` (the
  same tokens, the same start context, the same ``<unk>`` convention).

The models supply raw weights through one hook each (see
:class:`lab.models.base.GeneratorBase`); the ranking here is shared.
"""

from __future__ import annotations

import math
import random
from abc import ABC, abstractmethod
from collections.abc import Collection, Sequence
from dataclasses import dataclass

from lab.errors import OptionError
from lab.models.sampling import SamplingConfig, choose, sampling_distribution
from lab.text.tokenizers import AnyTokenizer
from lab.text.vocabulary import Vocabulary

__all__ = [
    "NextTokenDistribution",
    "TokenChoice",
    "TokenLogprob",
    "TokenProbabilities",
    "rank_next_tokens",
]

#: More rows than anyone reads, and a cap on the work one request can ask for.
MAX_TOP_N = 1000


@dataclass(frozen=True)
class TokenChoice:
    """One candidate next token.

    ``prob`` is the model's probability before the settings; ``sampled_prob``
    the probability the sampler gives it after greedy, temperature, top-k and
    top-p (0 for a token cut away, or one never emitted such as ``<unk>``).
    """

    token: str
    prob: float
    sampled_prob: float


@dataclass(frozen=True)
class NextTokenDistribution:
    """The ``top`` candidates after ``context``, most likely first (ties: sampler order).

    ``kept`` is how many tokens the settings leave with a chance of being
    drawn (1 for greedy), over the whole vocabulary, not only the ``top`` shown.
    The settings keep the likeliest tokens, so the kept ones lead this order
    (after any never-emitted ``<unk>``, whose ``sampled_prob`` is 0).
    """

    context: tuple[str, ...]
    sampling: SamplingConfig
    top: tuple[TokenChoice, ...]
    kept: int
    candidates: int

    def to_dict(self) -> dict[str, object]:
        """JSON-friendly form (the playground's API)."""
        return {
            "context": list(self.context),
            "sampling": self.sampling.label,
            "kept": self.kept,
            "candidates": self.candidates,
            "top": [
                {"token": c.token, "prob": c.prob, "sampled_prob": c.sampled_prob} for c in self.top
            ],
        }


@dataclass(frozen=True)
class TokenLogprob:
    """A predicted token of a scored text and ``ln P(token | all before it)``.

    ``token`` is as the tokenizer wrote it; ``oov`` marks one outside the
    vocabulary, whose probability is that of the ``<unk>`` class.
    """

    token: str
    logprob: float
    oov: bool = False

    @property
    def surprisal_bits(self) -> float:
        """``-log2 P``: how surprised the model was, in bits."""
        return -self.logprob / math.log(2)


def rank_next_tokens(
    context: Sequence[str],
    candidates: Sequence[str],
    weights: Sequence[float],
    sampling: SamplingConfig,
    *,
    top_n: int = 10,
    never_emit: Collection[str] = (),
    vocab_history: Sequence[str] | None = None,
) -> NextTokenDistribution:
    """Rank ``candidates`` by ``weights`` and apply ``sampling`` as the sampler would
    (the repetition controls read ``vocab_history``, default ``context``: the sequence
    so far in the candidates' alphabet, unknown words as ``<unk>``).

    ``candidates`` must be in the order the model's sampler sees them (it breaks
    ties by position); ``weights`` are the model's probabilities or counts
    before any setting (normalised here). Tokens in ``never_emit`` keep their
    ``prob`` but get ``sampled_prob`` 0, because generation zeroes them first.

    >>> d = rank_next_tokens((), ["a", "b", "c"], [1, 2, 1], SamplingConfig(top_k=2), top_n=2)
    >>> [(c.token, c.prob, round(c.sampled_prob, 3)) for c in d.top], d.kept
    ([('b', 0.5, 0.667), ('a', 0.25, 0.333)], 2)
    """
    if not 1 <= top_n <= MAX_TOP_N:
        raise OptionError(f"top_n must be 1..{MAX_TOP_N}, not {top_n}")
    if len(candidates) != len(weights):
        raise ValueError(f"{len(candidates)} candidates but {len(weights)} weights")
    total = math.fsum(weights)
    if not candidates or not math.isfinite(total) or total <= 0 or min(weights) < 0:
        raise ValueError("the model gave no usable next-token weights")
    emit = [
        0.0 if tok in never_emit else float(w) for tok, w in zip(candidates, weights, strict=True)
    ]
    if not any(emit):  # only <unk>/<pad> possible: nothing the sampler could draw
        raise ValueError("every possible next token is one that is never emitted")
    history = vocab_history if vocab_history is not None else context
    after = sampling_distribution(emit, sampling, candidates=candidates, history=history)
    # Descending model probability, ties by candidate position: the order the sampler's
    # own cuts use, so the tokens the settings keep come first.
    order = sorted(range(len(candidates)), key=lambda i: -weights[i])[:top_n]
    top = tuple(TokenChoice(candidates[i], weights[i] / total, after[i]) for i in order)
    return NextTokenDistribution(
        context=tuple(context),
        sampling=sampling,
        top=top,
        kept=sum(1 for p in after if p > 0),
        candidates=len(candidates),
    )


#: What the playground and the tests mean by "no settings": the model's own distribution.
PLAIN = SamplingConfig()


class TokenProbabilities(ABC):
    """The per-token views of a model, written once for every kind.

    A model supplies two hooks: :meth:`_next_token_weights` (the candidates
    and weights its sampler picks from after a prompt) and
    :meth:`_token_logprob_values` (``ln P`` of each token of a tokenized
    text, exactly as its ``score`` adds them up). :class:`GeneratorBase
    <lab.models.base.GeneratorBase>` inherits this class.
    """

    @property
    @abstractmethod
    def tokenizer(self) -> AnyTokenizer: ...

    @property
    @abstractmethod
    def vocab(self) -> Vocabulary: ...

    def next_token_distribution(
        self,
        prompt: str | Sequence[str],
        *,
        sampling: SamplingConfig | None = None,
        top_n: int = 10,
    ) -> NextTokenDistribution:
        """The ``top_n`` likeliest next tokens after ``prompt``, before and after ``sampling``.

        ``prompt`` is text (tokenized as ``generate`` does) or the model's own
        tokens, ``<eos>`` allowed: how a step-by-step walk keeps its place.
        ``sampling=None`` means the model's own distribution (T = 1, no cuts).
        """
        tokens = self._prompt_tokens(prompt)
        candidates, weights = self._next_token_weights(tokens)
        return rank_next_tokens(
            tokens,
            candidates,
            weights,
            PLAIN if sampling is None else sampling,
            top_n=top_n,
            never_emit=self._never_emit(),
            vocab_history=self.vocab.map_unknown(tokens),
        )

    def sample_next_token(
        self, prompt: str | Sequence[str], *, sampling: SamplingConfig | None = None, seed: int = 0
    ) -> str:
        """One next token drawn by the reference rule from what
        :meth:`next_token_distribution` shows (``<unk>``/``<pad>`` never)."""
        tokens = self._prompt_tokens(prompt)
        candidates, weights = self._next_token_weights(tokens)
        banned = self._never_emit()
        emit = [0.0 if t in banned else float(w) for t, w in zip(candidates, weights, strict=True)]
        rule = PLAIN if sampling is None else sampling
        history = self.vocab.map_unknown(tokens)
        return choose(candidates, emit, rule, random.Random(seed), history=history)

    def token_logprobs(self, text: str) -> list[TokenLogprob]:
        """``ln P`` of every predicted token of ``text``, ``<eos>`` included.

        The same tokens and context as ``score(text)``: the negated sum is its
        ``nll_nats`` (up to float rounding), so a surprisal view adds up to the
        perplexity reported elsewhere.
        """
        tokens = self.tokenizer.tokenize(text)
        values = self._token_logprob_values(tokens) if tokens else []
        vocab = self.vocab
        return [TokenLogprob(t, v, t not in vocab) for t, v in zip(tokens, values, strict=True)]

    def _prompt_tokens(self, prompt: str | Sequence[str]) -> list[str]:
        if isinstance(prompt, str):
            return self.tokenizer.tokenize_prompt(prompt)
        return list(prompt)

    def _never_emit(self) -> frozenset[str]:
        vocab = self.vocab
        return frozenset(vocab.itos[i] for i in vocab.never_emit_ids)

    @abstractmethod
    def _next_token_weights(
        self, prompt_tokens: list[str]
    ) -> tuple[Sequence[str], Sequence[float]]:
        """Candidates in the order the sampler sees them (it breaks ties by
        position) and their weights before any setting, ``<unk>`` included."""

    @abstractmethod
    def _token_logprob_values(self, tokens: list[str]) -> list[float]:
        """``ln P`` of each of ``tokens`` (a whole tokenized text), as ``score`` sums them."""
