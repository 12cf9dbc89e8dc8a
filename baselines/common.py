"""What the three count-based generators share: text handling, scoring, save/load.

Each baseline is a :class:`CountGenerator` that only says how to learn from
the training token ids, how to score ids, how to generate and how its tables
look as JSON. The rest (tokenizing, building or adopting the vocabulary,
the scoring convention, the run directory) lives here once, so the three
models cannot drift apart.

Scoring convention (the same as the LSTMs): the text is tokenized with the
model's :class:`~lab.tokenization.WordTokenizer` (every sentence ends in
``<eos>``), tokens outside the vocabulary become ``<unk>``, and every token,
``<eos>`` and ``<unk>`` included, is predicted and counted. Each sentence
starts from a fresh sentence-start context, written as ``<eos>`` padding (a
trigram sees ``(<eos>, <eos>)`` before the first word), both when counting
the training text and when scoring. ``<unk>`` tokens are counted in
``num_oov``.
"""

from __future__ import annotations

import json
import random
import time
from abc import ABC, abstractmethod
from collections.abc import Callable, Sequence
from dataclasses import asdict
from pathlib import Path
from typing import Any, ClassVar, TypeVar

from baselines.sampling import choose
from lab.checkpoint import read_manifest, read_tokenizer_and_vocab, write_manifest
from lab.config import VocabConfig, apply_options, from_fields
from lab.errors import CheckpointError, CorpusError, LabError
from lab.fileio import write_text_atomic
from lab.protocol import (
    GREEDY,
    FitResult,
    Sample,
    SamplingConfig,
    ScoreResult,
    make_sample,
    warn_unknown_prompt_tokens,
)
from lab.tokenization import EOS, AnyTokenizer, Vocabulary, WordTokenizer

MODEL_FILE = "model.json"
#: Count models default to words seen at least twice, as the word LSTM does.
DEFAULT_VOCAB = VocabConfig(min_freq=2)

G = TypeVar("G", bound="CountGenerator")


class NotFittedError(LabError, AttributeError):
    """A model was asked to score, generate or save before ``fit`` or ``load``.

    Also an ``AttributeError`` (as scikit-learn's is), so ``hasattr`` and
    ``isinstance(model, Generator)`` answer False for an unfitted model on
    Python 3.11 (whose protocol check reads the ``vocab`` property) instead of raising.
    """


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


class CountGenerator(ABC):
    """Base class of the baselines: a :class:`lab.protocol.Generator` whose state is
    a vocabulary plus JSON-serialisable count tables (``model.json``)."""

    kind: ClassVar[str]
    config_class: ClassVar[type]

    @classmethod
    def option_classes(cls) -> tuple[type, ...]:
        """Dataclasses whose fields are this model's CLI options."""
        return (cls.config_class, VocabConfig)

    @classmethod
    def from_options(cls: type[G], options: dict[str, Any]) -> G:
        """A generator with the default config except for ``options`` (field -> value)."""
        config, vocab_config = apply_options(
            (cls.config_class(), DEFAULT_VOCAB), options, kind=cls.kind
        )
        return cls(config, vocab_config)

    def __init__(self, config: Any = None, vocab_config: VocabConfig | None = None) -> None:
        self.config = config if config is not None else self.config_class()
        self.vocab_config = vocab_config or DEFAULT_VOCAB
        self._tokenizer: AnyTokenizer = WordTokenizer(
            lowercase=self.vocab_config.lowercase, eos=self.vocab_config.eos
        )
        self._vocab: Vocabulary | None = None

    @property
    def tokenizer(self) -> AnyTokenizer:
        return self._tokenizer

    @property
    def vocab(self) -> Vocabulary:
        if self._vocab is None:
            raise NotFittedError(f"the {self.kind} model has not been fitted or loaded yet")
        return self._vocab

    # --- the parts each model supplies -------------------------------------------------
    @abstractmethod
    def _fit_ids(self, ids: list[int]) -> None:
        """Learn from the vocabulary-mapped training token ids."""

    @abstractmethod
    def _nll_of_ids(self, ids: list[int]) -> float:
        """Total negative log-likelihood (nats) of ids under the convention above."""

    @abstractmethod
    def _tables_to_json(self) -> dict[str, Any]:
        """The learned tables as plain JSON data."""

    @abstractmethod
    def _tables_from_json(self, data: dict[str, Any]) -> None:
        """Inverse of :meth:`_tables_to_json` (``self.vocab`` is already set)."""

    @abstractmethod
    def _describe_tables(self) -> dict[str, Any]:
        """Sizes of the learned tables, for :meth:`describe`."""

    # --- the Generator protocol ---------------------------------------------------------
    def fit(
        self,
        train_text: str,
        valid_text: str | None = None,
        *,
        vocab: Vocabulary | None = None,
        progress: bool = False,
    ) -> FitResult:
        """Count the training text (one pass, so ``progress`` has nothing to show).

        With ``vocab`` given, that vocabulary is adopted unchanged (how all word
        models share one); otherwise one is built from the training tokens with
        the config's ``min_freq`` and ``max_size``.
        """
        start = time.perf_counter()
        tokens = self.tokenizer.tokenize(train_text)
        if not tokens:
            raise CorpusError("the training text contains no tokens")
        if vocab is None:
            vocab = Vocabulary.build(
                tokens, min_freq=self.vocab_config.min_freq, max_size=self.vocab_config.max_size
            )
        self._vocab = vocab
        self._fit_ids(vocab.encode(tokens))
        history: list[dict[str, float]] = []
        best_valid = None
        if valid_text is not None:
            best_valid = self.score(valid_text)
            history.append(
                {
                    "epoch": 1.0,
                    "valid_nats_per_token": best_valid.nats_per_token,
                    "valid_ppl": best_valid.ppl,
                }
            )
        return FitResult(
            seconds=time.perf_counter() - start, epochs=1, best_valid=best_valid, history=history
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

    def save(self, directory: Path) -> None:
        """``config.json`` + ``vocab.json`` + ``model.json``, each written atomically."""
        data = self._tables_to_json()
        write_manifest(
            Path(directory),
            kind=self.kind,
            config={"model": asdict(self.config), "vocab": asdict(self.vocab_config)},
            tokenizer=self.tokenizer,
            vocab=self.vocab,
        )
        write_text_atomic(Path(directory) / MODEL_FILE, json.dumps(data, ensure_ascii=False))

    @classmethod
    def load(cls: type[G], directory: Path) -> G:
        """Rebuild a model saved with :meth:`save`; never unpickles anything."""
        directory = Path(directory)
        manifest = read_manifest(directory)
        if manifest["kind"] != cls.kind:
            raise CheckpointError(
                f"{directory} holds a {manifest['kind']!r} model, not {cls.kind!r}"
            )
        try:
            config: Any = from_fields(cls.config_class, manifest["config"]["model"])
            vocab_config = from_fields(VocabConfig, manifest["config"]["vocab"])
        except (KeyError, TypeError, ValueError) as exc:
            raise CheckpointError(f"{directory}: bad {cls.kind} configuration ({exc})") from None
        tokenizer, vocab = read_tokenizer_and_vocab(directory, manifest)
        model = cls(config, vocab_config)
        model._tokenizer = tokenizer
        model._vocab = vocab
        path = directory / MODEL_FILE
        try:
            model._tables_from_json(json.loads(path.read_text(encoding="utf-8")))
        except FileNotFoundError:
            raise CheckpointError(f"{directory} has no {MODEL_FILE}") from None
        except (OSError, ValueError, KeyError, TypeError, IndexError) as exc:
            raise CheckpointError(f"cannot read {path}: {exc}") from None
        return model

    def describe(self) -> dict[str, Any]:
        """Kind, configuration, tokenizer and table sizes (JSON-friendly)."""
        info: dict[str, Any] = {
            "kind": self.kind,
            "config": asdict(self.config),
            "tokenizer": self.tokenizer.to_dict(),
            "fitted": self._vocab is not None,
        }
        if self._vocab is not None:
            info["vocab_size"] = len(self._vocab)
            info.update(self._describe_tables())
        return info


def generate_from_distribution(
    model: CountGenerator,
    next_probs: Callable[[tuple[int, ...]], Sequence[float]],
    context_size: int,
    prompt: str,
    *,
    max_tokens: int = 50,
    sampling: SamplingConfig = GREEDY,
    num_samples: int = 1,
    seed: int = 0,
    stop_at_eos: bool = False,
) -> list[Sample]:
    """Generation for models that give a full distribution over the vocabulary.

    ``next_probs(context)`` returns one probability per vocabulary id for the
    last ``context_size`` ids of the current sentence (fewer at a sentence
    start). ``<pad>`` and ``<unk>`` get zero weight, so they are never chosen.
    After ``<eos>`` the context restarts, as in scoring. All samples come in
    turn from one ``random.Random(seed)``.
    """
    check_generation_args(max_tokens, num_samples)
    vocab = model.vocab
    candidates = range(len(vocab))
    cache: dict[tuple[int, ...], list[float]] = {}  # greedy decoding revisits contexts

    def weights_for(context: tuple[int, ...]) -> list[float]:
        if context not in cache:
            if len(cache) >= 512:
                cache.clear()
            probs = next_probs(context)
            weights = list(probs)
            for banned in vocab.never_emit_ids:  # zero weight: choose() never picks it
                weights[banned] = 0.0
            cache[context] = weights
        return cache[context]

    rng = random.Random(seed)
    start = tuple(model.prompt_ids(prompt)[-context_size:]) if context_size else ()
    if not context_size:  # the prompt cannot matter, but its unknown words still deserve a warning
        model.prompt_ids(prompt)
    samples = []
    for _ in range(num_samples):
        context, out = start, list[int]()
        while len(out) < max_tokens:
            token = choose(candidates, weights_for(context), sampling, rng)
            out.append(token)
            if token == vocab.eos_id:
                if stop_at_eos:
                    break
                context = ()
            elif context_size:
                context = (*context, token)[-context_size:]
        tokens = vocab.decode(out)
        samples.append(
            make_sample(model.tokenizer, model.tokenizer.tokenize_prompt(prompt), tokens)
        )
    return samples


def check_generation_args(max_tokens: int, num_samples: int) -> None:
    """Reject nonsensical generation lengths early, with a clear message."""
    if max_tokens < 0:
        raise ValueError(f"max_tokens must be >= 0, not {max_tokens}")
    if num_samples < 1:
        raise ValueError(f"num_samples must be >= 1, not {num_samples}")
