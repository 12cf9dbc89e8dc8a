"""The table of model kinds: the only place that knows which kinds exist and what each needs.

Each :class:`ModelKind` names its generator class and its (torch-free) config
class by import path, so listing the kinds, building the CLI or loading a
Markov run never imports torch. Everything else asks this table (its unit,
defaults, presets, whether it resumes, its roles) instead of asking "which
kind is this?": a generator class learns its ``kind`` from its entry here
(:meth:`lab.models.base.GeneratorBase.__init_subclass__`), and the roles
(the default kind, the floor every model must beat, the count baseline a
network must beat, the judge of samples) are :data:`Role` values of the
entries, read with :func:`with_role`. No other module names a kind.
"""

from __future__ import annotations

import importlib
from collections.abc import Mapping
from dataclasses import dataclass, field, fields
from pathlib import Path
from types import MappingProxyType
from typing import TYPE_CHECKING, Any, Literal

from lab.errors import CheckpointError, LabError
from lab.models.checkpoint import read_manifest
from lab.models.config import Unit, VocabConfig, apply_options, build_config, section_classes

if TYPE_CHECKING:
    from lab.models.base import Generator, GeneratorBase

Preset = Literal["quick", "full"]
#: ``default``: what ``train`` trains unless told; ``floor``: the model every comparison
#: scores as the floor (the unigram); ``baseline``: the count model a network must beat
#: on perplexity and bits/char; ``judge``: the model that scores other models' samples.
Role = Literal["default", "floor", "baseline", "judge"]


def _frozen(data: Mapping[str, Any]) -> Mapping[str, Any]:
    return MappingProxyType(dict(data))


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


@dataclass(frozen=True)
class ModelKind:
    """One model kind.

    ``defaults`` are option values (dataclass field -> value) over the config
    classes' own defaults, the vocabulary's included; ``presets`` are the
    options ``compare --quick`` and ``compare`` add on top. ``units`` are the
    tokenizer units the kind accepts (``--unit``); the first is its default.
    """

    name: str
    generator: str
    config: str
    summary: str
    units: tuple[Unit, ...] = ("word",)
    defaults: Mapping[str, Any] = field(default_factory=dict)
    presets: Mapping[str, Mapping[str, Any]] = field(default_factory=dict)
    resumable: bool = False
    roles: frozenset[Role] = frozenset()
    #: Trained by gradient descent in epochs (the LSTMs): the models a comparison
    #: expects to beat the count baselines, and whose training curves it draws.
    neural: bool = False

    @property
    def unit(self) -> Unit:
        """The unit this kind works on unless told otherwise."""
        unit: Unit = self.defaults.get("unit", self.units[0])
        return unit

    def config_class(self) -> type:
        """The model's configuration dataclass (imports no torch)."""
        return _import(self.config)

    def generator_class(self) -> type[GeneratorBase[Any]]:
        """The generator class (imports torch for the neural kinds)."""
        cls: type[GeneratorBase[Any]] = _import(self.generator)
        return cls

    def option_classes(self) -> tuple[type, ...]:
        """Dataclasses whose fields are this kind's options (CLI flags)."""
        return (*section_classes(self.config_class()), VocabConfig)

    def configs(self, options: Mapping[str, Any]) -> tuple[Any, VocabConfig]:
        """This kind's defaults, then ``options`` (field -> value), as its configuration and
        vocabulary settings; an unknown option or a bad value is an ``OptionError``."""
        blank = [c() for c in self.option_classes()]
        *sections, vocab = apply_options(blank, {**self.defaults, **options}, kind=self.name)
        return build_config(self.config_class(), sections), vocab

    def default_value(self, name: str) -> Any:
        """This kind's default for option ``name``."""
        if name in self.defaults:
            return self.defaults[name]
        for cls in self.option_classes():
            for f in fields(cls):
                if f.name == name:
                    return getattr(cls(), name)
        raise KeyError(name)

    def preset(self, name: Preset, book: tuple[int, int] | None = None) -> dict[str, Any]:
        """Options of preset ``name`` (``quick`` or ``full``) for this kind; a
        :class:`BookBudget` or :class:`BySize` value is resolved for ``book`` = (training
        tokens in this kind's unit, vocabulary size), or left out (the kind's default
        applies) when the book is not known."""
        options = {}
        for key, value in self.presets.get(name, {}).items():
            if isinstance(value, BookBudget | BySize):
                if book is None:
                    continue
                value = value.resolve(*book)
            options[key] = value
        return options

    def budget(self, name: Preset) -> BookBudget | None:
        """The book-scaled token budget of preset ``name``, if it has one."""
        value = self.presets.get(name, {}).get("max_tokens")
        return value if isinstance(value, BookBudget) else None


def _neural_kind(
    name: str,
    generator: str,
    summary: str,
    *,
    unit: Unit,
    defaults: Mapping[str, Any],
    presets: Mapping[str, Mapping[str, Any]],
    roles: frozenset[Role] = frozenset(),
) -> ModelKind:
    """A recurrent generator of :mod:`lab.neural.generators`: one unit, trained in
    epochs with checkpoints (so ``--resume`` works)."""
    return ModelKind(
        name=name,
        generator=f"lab.neural.generators:{generator}",
        config="lab.neural.config:NeuralConfig",
        summary=summary,
        units=(unit,),
        defaults=_frozen({"unit": unit, **defaults}),
        presets=_frozen(presets),
        resumable=True,
        neural=True,
        roles=roles,
    )


def _count_kind(
    module: str,
    generator: str,
    config: str,
    summary: str,
    *,
    presets: Mapping[str, Mapping[str, Any]] | None = None,
    roles: frozenset[Role] = frozenset(),
) -> ModelKind:
    """A count model of :mod:`baselines`: word or character units, words seen at
    least twice (as the word LSTM's), trained in one pass (nothing to resume)."""
    return ModelKind(
        name=module,
        generator=f"baselines.{module}:{generator}",
        config=f"baselines.{module}:{config}",
        summary=summary,
        units=("word", "char"),
        defaults=_frozen({"min_freq": 2}),
        presets=_frozen(presets or {}),
        roles=roles,
    )


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

_KINDS: tuple[ModelKind, ...] = (
    _neural_kind(
        "word-lstm",
        "WordLSTMGenerator",
        "word-level LSTM (NLTK word tokens, <eos> after each sentence, tied 2x200)",
        unit="word",
        defaults={"dropout": 0.4, "min_freq": 2},
        # quick: 16 passes of the book's training split at batch 10, at most 5 idle minutes.
        # Batch 10 instead of 20: twice the updates per token for 1.2x the CPU per token;
        # on Alice validation reached 4.547 nats/token in 14 epochs (converged) against
        # 4.586 in 17 at batch 20; on Thursday it crossed the n-gram after 4 passes instead
        # of 6 (benchmarks/results/learn_per_token.jsonl). The former fixed 600k tokens gave
        # a 110k-word book 6 epochs (issue 23).
        presets={
            "quick": {
                "epochs": 40,
                "batch_size": 10,
                "dropout": WORD_DROPOUT,
                "max_tokens": WORD_QUICK,
            },
            "full": {"epochs": 40},
        },
        roles=frozenset({"default"}),
    ),
    _neural_kind(
        "char-lstm",
        "CharLSTMGenerator",
        "character-level LSTM (every character a token, 2x256)",
        unit="char",
        defaults={
            "embedding_dim": 64,
            "hidden_dim": 256,
            "dropout": 0.1,
            "tie_weights": False,
            "batch_size": 32,
            "bptt": 100,
        },
        # quick: shorter windows (three times the updates per token) at a higher rate.
        # Measured on Alice, 2 cores: 650k tokens in 47-51 s reach validation 4.35 and
        # test 4.60 per char; the former preset (BPTT 100, lr 3e-3, 2.5M tokens) took
        # 194 s for test 4.55.
        presets={
            "quick": {"epochs": 30, "max_tokens": CHAR_QUICK, "bptt": 35, "lr": 5e-3},
            "full": {"epochs": 30},
        },
    ),
    _count_kind(
        "markov",
        "MarkovGenerator",
        "MarkovConfig",
        "markovify chain walked with a seeded RNG, Kneser-Ney scores",
        presets={"quick": {"state_size": 2}, "full": {"state_size": 2}},
    ),
    _count_kind(
        "ngram",
        "NGramGenerator",
        "NGramConfig",
        "interpolated Kneser-Ney n-gram, order 1-5",
        presets={"quick": {"order": 4}, "full": {"order": 5}},
        roles=frozenset({"baseline", "judge"}),
    ),
    _count_kind(
        "unigram",
        "UnigramGenerator",
        "UnigramConfig",
        "add-one unigram: the floor every model must beat",
        roles=frozenset({"floor"}),
    ),
)

KINDS: Mapping[str, ModelKind] = MappingProxyType({k.name: k for k in _KINDS})


def kind(name: str) -> ModelKind:
    """The entry for ``name``, or a one-line :class:`LabError` listing the kinds."""
    try:
        return KINDS[name]
    except KeyError:
        raise LabError(f"unknown model {name!r}; choose from {', '.join(KINDS)}") from None


def generator_class(name: str) -> type[GeneratorBase[Any]]:
    """The class registered for kind ``name`` (e.g. ``"word-lstm"``)."""
    return kind(name).generator_class()


def with_role(role: Role) -> ModelKind:
    """The one kind that plays ``role`` (see :data:`Role`)."""
    (entry,) = (k for k in _KINDS if role in k.roles)
    return entry


def floor_kind() -> ModelKind:
    """The kind every comparison scores as its floor (the unigram)."""
    return with_role("floor")


def compared_kinds() -> tuple[str, ...]:
    """The kinds a comparison trains by default: every kind but the floor."""
    return tuple(k.name for k in _KINDS if "floor" not in k.roles)


def kind_of(generator: type) -> str | None:
    """The name of the kind whose generator is the class ``generator`` (``None`` for a
    class no entry names, such as a shared base class)."""
    path = f"{generator.__module__}:{generator.__qualname__}"
    return next((k.name for k in _KINDS if k.generator == path), None)


def load_generator(directory: Path) -> Generator:
    """Load any saved run, whatever its kind, from its ``config.json``."""
    recorded = read_manifest(directory)["kind"]
    if recorded not in KINDS:
        raise CheckpointError(f"{directory} holds an unknown model kind {recorded!r}")
    return KINDS[recorded].generator_class().load(Path(directory))


def _import(path: str) -> Any:
    module_name, _, attr = path.partition(":")
    return getattr(importlib.import_module(module_name), attr)
