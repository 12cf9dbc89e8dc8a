""":class:`GeneratorBase`: what every model shares, written once.

A generator is a configuration (one dataclass, or a dataclass of sections),
a :class:`~lab.models.config.VocabConfig` that fixes its tokenizer, the
vocabulary learnt by ``fit``, and its own tables or weights. The base builds
the first three from options and the registry's defaults; saving and loading are
:mod:`lab.models.checkpoint`'s, each model adding its own files through the hooks
``_save_state`` and ``_load_state``. It raises one
:class:`~lab.errors.NotFittedError` for a model never fitted or loaded, and every
``fit`` returns the same :class:`~lab.models.protocol.FitResult` shape.
"""

from __future__ import annotations

from abc import abstractmethod
from collections.abc import Iterable, Mapping, Sequence
from pathlib import Path
from typing import Any, ClassVar, Generic, TypeAlias, TypeVar

from lab.errors import NotFittedError, OptionError
from lab.models import registry
from lab.models.checkpoint import restore_generator, save_generator
from lab.models.config import VocabConfig, config_to_dict
from lab.models.probabilities import TokenProbabilities
from lab.models.protocol import (
    GREEDY,
    FitRequest,
    FitResult,
    GenerationRequest,
    Sample,
    SamplingConfig,
    TokenCallback,
)
from lab.models.scoring import ScoreResult
from lab.settings import one_num_samples
from lab.text.tokenizers import AnyTokenizer, make_tokenizer, tokenizer_from_dict
from lab.text.vocabulary import Vocabulary

ConfigT = TypeVar("ConfigT")
G = TypeVar("G", bound="GeneratorBase[Any]")
V = TypeVar("V")


class GeneratorBase(TokenProbabilities, Generic[ConfigT]):
    """The one contract every model meets (``Generator`` in annotations): built from
    options, trained (``fit``), scored in natural-log likelihoods of held-out text
    (``score``), sampled after a prompt tokenized by its own tokenizer, randomness
    only from ``seed`` (``generate``, ``generate_batch``), saved and loaded, with
    the per-token views of :class:`~lab.models.probabilities.TokenProbabilities`.
    A model implements ``_fit``, ``score``, ``_generate``, ``_save_state`` and
    ``_load_state`` and the two per-token hooks."""

    #: The registry entry's name, set for each class an entry names (:func:`registry.kind_of`).
    kind: ClassVar[str] = ""
    #: The files ``_save_state`` writes, whose digests ``config.json`` records.
    state_files: ClassVar[tuple[str, ...]] = ()
    #: Run files the save at the end of ``fit`` keeps (the LSTM's state for ``--resume``).
    carried_files: ClassVar[tuple[str, ...]] = ()

    def __init__(self, config: ConfigT | None = None, vocab_config: VocabConfig | None = None):
        if config is None or vocab_config is None:
            default_config, default_vocab = registry.kind(self.kind).configs({})
            config = default_config if config is None else config
            vocab_config = default_vocab if vocab_config is None else vocab_config
        entry = registry.kind(self.kind)
        if vocab_config.unit not in entry.units:
            raise OptionError(
                f"{self.kind} works on {' or '.join(entry.units)} tokens, not {vocab_config.unit}"
            )
        self.config: ConfigT = config
        self._vocab_config = vocab_config
        self._tokenizer: AnyTokenizer = make_tokenizer(**vocab_config.tokenizer_options())
        self._vocab: Vocabulary | None = None
        self.metrics: dict[str, Any] = {}  #: what the last ``fit`` measured (in ``config.json``)
        #: ``config.json`` fields of every save, even mid-training: corpus and data (``train``).
        self.run_record: dict[str, Any] = {}
        #: Whether training ended (budget, early stopping, convergence): saved as
        #: ``"complete"``, false in the checkpoints written while it runs.
        self.complete = False

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        cls.kind = registry.kind_of(cls) or cls.kind  # a subclass of a kind keeps its kind

    # -- construction ------------------------------------------------------------
    @classmethod
    def from_options(cls: type[G], options: Mapping[str, Any]) -> G:
        """A generator with this kind's defaults except for ``options`` (field -> value).

        An unknown option or a bad value is an :class:`~lab.errors.OptionError`.
        """
        config, vocab = registry.kind(cls.kind).configs(options)
        return cls(config, vocab)

    # -- what every model has ----------------------------------------------------
    @property
    def tokenizer(self) -> AnyTokenizer:
        return self._tokenizer

    @property
    def vocab_config(self) -> VocabConfig:
        return self._vocab_config

    @property
    def vocab(self) -> Vocabulary:
        return self._fitted(self._vocab)

    def _fitted(self, value: V | None) -> V:
        """``value``, or the one not-fitted error if it is not there yet."""
        if value is None:
            raise NotFittedError(f"this {self.kind} model has not been fitted or loaded yet")
        return value

    def _adopt_vocab(self, tokens: Iterable[str], vocab: Vocabulary | None) -> Vocabulary:
        """Take ``vocab`` unchanged (how models share one) or build one from ``tokens``."""
        if vocab is None:
            vocab = Vocabulary.build(
                tokens, min_freq=self.vocab_config.min_freq, max_size=self.vocab_config.max_size
            )
        self._vocab = vocab
        return vocab

    # -- training and generation: checked here, done by each model ---------------------
    def fit(
        self,
        train_text: str,
        valid_text: str | None = None,
        *,
        vocab: Vocabulary | None = None,
        progress: bool = False,
        checkpoint_dir: Path | None = None,
        resume: bool = False,
    ) -> FitResult:
        """Learn from ``train_text``, selecting on ``valid_text`` if given.

        With ``checkpoint_dir`` the fitted model is saved there at the end (and,
        for models trained in epochs, as it improves); ``resume=True`` continues
        the run saved there, for the kinds the registry marks resumable.
        """
        if resume and not registry.kind(self.kind).resumable:
            raise OptionError(f"{self.kind} trains in one pass; there is nothing to resume")
        if resume and checkpoint_dir is None:
            raise OptionError("resume needs the run directory to resume from")
        request = FitRequest(train_text, valid_text, vocab, progress, checkpoint_dir, resume)
        self.complete = False  # until _fit returns: an interrupt leaves only checkpoints
        result = self._fit(request)
        self.metrics = result.metrics()
        self.complete = True
        if checkpoint_dir is not None and self._writes_runs():
            self.save(Path(checkpoint_dir), keep=self.carried_files)
        return result

    def generate(
        self,
        prompt: str,
        *,
        max_tokens: int = 50,
        sampling: SamplingConfig = GREEDY,
        num_samples: int = 1,
        seed: int = 0,
        stop_at_eos: bool = False,
        num_return_sequences: int | None = None,
        logprobs: bool = False,
        on_token: TokenCallback | None = None,
    ) -> list[Sample]:
        """``num_samples`` (HF: ``num_return_sequences``) continuations of ``prompt``, primed
        with it, with :attr:`Sample.logprobs` if ``logprobs``, streamed to ``on_token``
        (:class:`~lab.models.protocol.GenerationRequest`); bad lengths are an
        :class:`~lab.errors.OptionError` before any work."""
        if num_return_sequences is not None:  # 1 is the default, not a choice
            num_samples = one_num_samples(
                num_samples if num_samples != 1 else None, num_return_sequences
            )
        request = GenerationRequest(
            prompt, max_tokens, sampling, num_samples, seed, stop_at_eos, logprobs, on_token
        )
        return self._generate(request)

    def generate_batch(self, requests: Sequence[GenerationRequest]) -> list[list[Sample]]:
        """The samples of several requests, one list per request, each reproducible from
        its own seed whatever else is in the batch (the LSTMs decode all rows at once)."""
        return self._generate_batch(list(requests))

    def _generate_batch(self, requests: list[GenerationRequest]) -> list[list[Sample]]:
        """One request at a time; models that decode faster in one batch override this."""
        return [self._generate(r) for r in requests]

    @abstractmethod
    def _fit(self, request: FitRequest) -> FitResult:
        """Train or count; the vocabulary comes from :meth:`_adopt_vocab`."""

    @abstractmethod
    def _generate(self, request: GenerationRequest) -> list[Sample]:
        """The samples ``request`` asks for (its arguments are already checked)."""

    @abstractmethod
    def score(self, text: str) -> ScoreResult:
        """Total NLL (nats) of ``text`` after a ``<eos>`` start, ``<eos>`` included."""

    def _writes_runs(self) -> bool:
        """Whether this process writes run directories (not so on torchrun's other ranks)."""
        return True

    # -- persistence: the run's files are lab.models.checkpoint's ---------------------
    def save(self, directory: Path, *, keep: Iterable[str] = ()) -> None:
        """Write the run (``config.json``, ``vocab.json``, the model's files, ``keep`` carried over)
        as one transaction: old run or new, never a mix (:func:`~lab.models.checkpoint.save_generator`)."""
        save_generator(self, Path(directory), keep=keep)

    @classmethod
    def load(cls: type[G], directory: Path) -> G:
        """Rebuild a model saved with :meth:`save`; never unpickles anything."""
        return restore_generator(cls, Path(directory))

    @abstractmethod
    def _save_state(self, directory: Path) -> None:
        """Write the model's own files (weights or tables) into ``directory``."""

    @abstractmethod
    def _load_state(self, directory: Path, manifest: dict[str, Any]) -> None:
        """Read them back (``self.vocab`` is already set); raise ``CheckpointError``."""

    @classmethod
    def _saved_tokenizer(cls, data: dict[str, Any]) -> AnyTokenizer:
        """The tokenizer ``config.json`` recorded (a pretrained model keeps its own in its
        files and fills it in :meth:`_load_state`)."""
        return tokenizer_from_dict(data)

    def _manifest_extra(self) -> dict[str, Any]:
        """Extra top-level ``config.json`` fields (e.g. the parameter count)."""
        return {}

    # -- description -----------------------------------------------------------------
    def describe(self) -> dict[str, Any]:
        """Kind, configuration, tokenizer and sizes (JSON-friendly)."""
        info: dict[str, Any] = {
            "kind": self.kind,
            "config": config_to_dict(self.config, self.vocab_config),
            "tokenizer": self.tokenizer.to_dict(),
            "fitted": self._vocab is not None,
        }
        if self._vocab is not None:
            info["vocab_size"] = len(self._vocab)
            info.update(self._describe_state())
        return info

    def _describe_state(self) -> dict[str, Any]:
        """Sizes of the learnt tables or network, for :meth:`describe` (fitted models only)."""
        return {}


#: Any model, in annotations (``isinstance`` takes :class:`GeneratorBase`).
Generator: TypeAlias = GeneratorBase[Any]
