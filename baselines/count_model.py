"""What the count-based generators share on top of :class:`lab.models.base.GeneratorBase`.

Each baseline is a :class:`CountGenerator` that only says how to learn from
the training token ids, how to score ids, how to generate and how its tables
look as JSON. The rest (tokenizing, building or adopting the vocabulary,
the scoring convention, the run directory) lives here once, so the three
models cannot drift apart.

Scoring convention (the same as the LSTMs): the text is tokenized with the
model's :mod:`tokenizer <lab.text.tokenizers>` (every sentence ends in
``<eos>``), tokens outside the vocabulary become ``<unk>``, and every token,
``<eos>`` and ``<unk>`` included, is predicted and counted. Each sentence
starts from a fresh sentence-start context, one ``<eos>`` as in SRILM (the
first word of a sentence is predicted from ``(<eos>,)``, the second from
``(<eos>, w1)``: never from repeated padding), both when counting the
training text and when scoring. ``<unk>`` tokens are counted in
``num_oov``.
"""

from __future__ import annotations

import json
import math
import random
import time
from abc import abstractmethod
from collections.abc import Sequence
from pathlib import Path
from typing import Any, ClassVar, TypeVar

import numpy as np

from lab.errors import CheckpointError, CorpusError
from lab.models.base import GeneratorBase
from lab.models.protocol import (
    EpochRecord,
    FitRequest,
    FitResult,
    GenerationRequest,
    Sample,
    ScoreResult,
    make_sample,
    warn_unknown_prompt_tokens,
)
from lab.models.sampling import choose_index
from lab.storage.files import write_text_atomic
from lab.text.vocabulary import EOS

MODEL_FILE = "model.json"

ConfigT = TypeVar("ConfigT")


def split_sentences(ids: Sequence[int], eos_id: int) -> list[list[int]]:
    """Sentences of a token-id stream, each keeping its final ``<eos>``
    (a trailing piece without one is kept as the last sentence).

    >>> split_sentences([5, 6, 2, 7, 2], eos_id=2)
    [[5, 6, 2], [7, 2]]
    """
    sentences: list[list[int]] = [[]]
    for token in ids:
        sentences[-1].append(token)
        if token == eos_id:
            sentences.append([])
    return [s for s in sentences if s]


def prompt_tail(tokens: Sequence[str]) -> list[str]:
    """The unfinished sentence at the end of a tokenized prompt: a model that
    restarts its context at every ``<eos>`` only conditions on this part."""
    last_eos = max((i for i, tok in enumerate(tokens) if tok == EOS), default=-1)
    return list(tokens[last_eos + 1 :])


class CountGenerator(GeneratorBase[ConfigT]):
    """Base class of the baselines: a :class:`lab.models.base.GeneratorBase` whose state is
    a vocabulary plus JSON-serialisable count tables (``model.json``)."""

    state_files: ClassVar[tuple[str, ...]] = (MODEL_FILE,)

    # --- the parts each model supplies -------------------------------------------------
    @abstractmethod
    def _fit_ids(self, ids: list[int]) -> None:
        """Learn from the vocabulary-mapped training token ids."""

    @abstractmethod
    def _nll_of_ids(self, ids: list[int]) -> float:
        """Total negative log-likelihood (nats) of ids under the convention above."""

    @abstractmethod
    def _token_nlls_of_ids(self, ids: list[int]) -> list[float]:
        """``-ln P`` of each id under the same convention; they add up to :meth:`_nll_of_ids`."""

    @abstractmethod
    def _tables_to_json(self) -> dict[str, Any]:
        """The learned tables as plain JSON data."""

    @abstractmethod
    def _tables_from_json(self, data: dict[str, Any]) -> None:
        """Inverse of :meth:`_tables_to_json` (``self.vocab`` is already set)."""

    # --- the Generator protocol ---------------------------------------------------------
    def _fit(self, request: FitRequest) -> FitResult:
        """Count the training text in one pass (``progress`` has nothing to show).

        With ``request.vocab`` given, that vocabulary is adopted unchanged (how all
        word models share one); otherwise one is built from the training tokens
        with the config's ``min_freq`` and ``max_size``.
        """
        start = time.perf_counter()
        tokens = self.tokenizer.tokenize(request.train_text)
        if not tokens:
            raise CorpusError("the training text contains no tokens")
        vocab = self._adopt_vocab(tokens, request.vocab)
        self._fit_ids(vocab.encode(tokens))
        history: list[EpochRecord] = []
        best_valid = None
        if request.valid_text is not None:
            best_valid = self.score(request.valid_text)
            history.append(
                EpochRecord(
                    epoch=1,
                    train_nll=None,
                    valid_nll=best_valid.nats_per_token,
                    valid_ppl=best_valid.ppl,
                    lr=None,
                    seconds=time.perf_counter() - start,
                )
            )
        return FitResult(
            seconds=time.perf_counter() - start,
            epochs=1,
            best_valid=best_valid,
            history=history,
            best_epoch=1,
            stop_reason="one pass",
            train_tokens=len(tokens),
        )

    def score(self, text: str) -> ScoreResult:
        """Natural-log likelihood of ``text`` (see the module docstring for the convention)."""
        ids = self.vocab.encode(self.tokenizer.tokenize(text))
        unk = self.vocab.unk_id
        return ScoreResult(
            nll_nats=self._nll_of_ids(ids) if ids else 0.0,
            num_tokens=len(ids),
            num_chars=len(text),
            num_oov=sum(1 for i in ids if i == unk),
        )

    def prompt_ids(self, prompt: str) -> list[int]:
        """Vocabulary ids of the prompt's unfinished last sentence (warns about
        words outside the vocabulary, which are read as ``<unk>``)."""
        tail = prompt_tail(self.tokenizer.tokenize_prompt(prompt))
        warn_unknown_prompt_tokens(tail, self.vocab)
        return self.vocab.encode(tail)

    # --- generation from a full next-token distribution ------------------------------
    def _next_distribution(self, context: tuple[int, ...]) -> Sequence[float] | np.ndarray:
        """One probability per vocabulary id after ``context`` (the last
        :meth:`_context_size` ids of the current sentence, fewer at its start).
        Models that sample some other way override :meth:`_generate` instead."""
        raise NotImplementedError(f"{self.kind} overrides _generate instead")

    def _context_size(self) -> int:
        """How many previous ids of the sentence :meth:`_next_distribution` reads."""
        return 0

    def _generate(self, request: GenerationRequest) -> list[Sample]:
        """Sample token by token from :meth:`_next_distribution`.

        ``<pad>`` and ``<unk>`` get zero weight, so they are never chosen. After
        ``<eos>`` the context restarts, as in scoring, but the repetition controls
        read the whole sequence, prompt included. All samples come in turn from
        one ``random.Random(seed)``.
        """
        vocab, context_size = self.vocab, self._context_size()
        banned = list(vocab.never_emit_ids)
        cache: dict[tuple[int, ...], tuple[np.ndarray, float]] = {}  # greedy revisits contexts

        def weights_for(context: tuple[int, ...]) -> tuple[np.ndarray, float]:
            """The emittable weights after ``context`` and the model's total before the ban."""
            if context not in cache:
                if len(cache) >= 512:
                    cache.clear()
                weights = np.array(self._next_distribution(context), dtype=np.float64)
                total = float(weights.sum())
                weights[banned] = 0.0  # zero weight: never chosen
                cache[context] = (weights, total)
            return cache[context]

        rng = random.Random(request.seed)
        sampling, on_token = request.sampling, request.on_token
        # Unknown prompt words deserve a warning even where the prompt cannot matter.
        prompt_ids = self.prompt_ids(request.prompt)
        start = tuple(prompt_ids[-context_size:]) if context_size else ()
        prompt_tokens = self.tokenizer.tokenize_prompt(request.prompt)
        # The repetition controls read the whole sequence, the prompt included.
        history = vocab.encode(prompt_tokens) if sampling.reads_history else []
        samples = []
        for row in range(request.num_samples):
            context, out, logprobs = start, list[int](), list[float]()
            while len(out) < request.max_tokens:
                weights, total = weights_for(context)
                so_far = [*history, *out] if sampling.reads_history else ()
                token = choose_index(weights, sampling, rng, history=so_far)
                out.append(token)
                if request.logprobs:  # the model's own probability, before any setting
                    logprobs.append(math.log(weights[token] / total))
                if on_token is not None:
                    on_token(row, vocab.itos[token])
                if token == vocab.eos_id:
                    if request.stop_at_eos:
                        break
                    context = ()
                elif context_size:
                    context = (*context, token)[-context_size:]
            kept = logprobs if request.logprobs else None
            samples.append(make_sample(self.tokenizer, prompt_tokens, vocab.decode(out), kept))
        return samples

    # --- per-token views (lab.models.probabilities) -------------------------------------
    def _token_logprob_values(self, tokens: list[str]) -> list[float]:
        return [-nll for nll in self._token_nlls_of_ids(self.vocab.encode(tokens))]

    def _next_token_weights(
        self, prompt_tokens: list[str]
    ) -> tuple[Sequence[str], Sequence[float]]:
        """What :meth:`_generate` draws the first token from: :meth:`_next_distribution`
        after the prompt's unfinished sentence, over the vocabulary in id order."""
        ids = self.vocab.encode(prompt_tail(prompt_tokens))
        size = self._context_size()
        weights = self._next_distribution(tuple(ids[-size:]) if size else ())
        return self.vocab.itos, [float(w) for w in weights]

    def _save_state(self, directory: Path) -> None:
        text = json.dumps(self._tables_to_json(), ensure_ascii=False)
        write_text_atomic(directory / MODEL_FILE, text)

    def _load_state(self, directory: Path, manifest: dict[str, Any]) -> None:
        path = directory / MODEL_FILE
        try:
            self._tables_from_json(json.loads(path.read_text(encoding="utf-8")))
        except FileNotFoundError:
            raise CheckpointError(f"{directory} has no {MODEL_FILE}") from None
        except (OSError, ValueError, KeyError, TypeError, IndexError) as exc:
            raise CheckpointError(f"cannot read {path}: {exc}") from None
