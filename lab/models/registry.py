"""The table of model kinds: the only place that knows which kinds exist and what each needs.

Each :class:`ModelKind` names its generator class and its (torch-free) config
class by import path, so listing the kinds, building the CLI or loading a
Markov run never imports torch. Everything else asks this table (its unit,
defaults, presets, whether it resumes, whether it is the floor) instead of
asking "which kind is this?".
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
from lab.models.config import Unit, VocabConfig, section_classes

if TYPE_CHECKING:
    from lab.models.base import GeneratorBase
    from lab.models.protocol import Generator

Preset = Literal["quick", "full"]


def _frozen(data: Mapping[str, Any]) -> Mapping[str, Any]:
    return MappingProxyType(dict(data))


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
    floor: bool = False

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

    def default_value(self, name: str) -> Any:
        """This kind's default for option ``name``."""
        if name in self.defaults:
            return self.defaults[name]
        for cls in self.option_classes():
            for f in fields(cls):
                if f.name == name:
                    return getattr(cls(), name)
        raise KeyError(name)

    def preset(self, name: Preset) -> dict[str, Any]:
        """Options of preset ``name`` (``quick`` or ``full``) for this kind."""
        return dict(self.presets.get(name, {}))


_KINDS: tuple[ModelKind, ...] = (
    ModelKind(
        name="word-lstm",
        generator="lab.neural.generators:WordLSTMGenerator",
        config="lab.neural.config:NeuralConfig",
        summary="word-level LSTM (NLTK word tokens, <eos> after each sentence, tied 2x200)",
        units=("word",),
        defaults=_frozen({"dropout": 0.4, "min_freq": 2}),
        presets=_frozen({"quick": {"epochs": 30, "max_minutes": 3.0}, "full": {"epochs": 40}}),
        resumable=True,
    ),
    ModelKind(
        name="char-lstm",
        generator="lab.neural.generators:CharLSTMGenerator",
        config="lab.neural.config:NeuralConfig",
        summary="character-level LSTM (every character a token, 2x256)",
        units=("char",),
        defaults=_frozen(
            {
                "unit": "char",
                "embedding_dim": 64,
                "hidden_dim": 256,
                "dropout": 0.1,
                "tie_weights": False,
                "batch_size": 32,
                "bptt": 100,
            }
        ),
        presets=_frozen({"quick": {"epochs": 20, "max_minutes": 4.0}, "full": {"epochs": 30}}),
        resumable=True,
    ),
    ModelKind(
        name="markov",
        generator="baselines.markov:MarkovGenerator",
        config="baselines.markov:MarkovConfig",
        summary="markovify chain walked with a seeded RNG, Kneser-Ney scores",
        units=("word", "char"),
        defaults=_frozen({"min_freq": 2}),
        presets=_frozen({"quick": {"state_size": 2}, "full": {"state_size": 2}}),
    ),
    ModelKind(
        name="ngram",
        generator="baselines.ngram:NGramGenerator",
        config="baselines.ngram:NGramConfig",
        summary="interpolated Kneser-Ney n-gram, order 1-5",
        units=("word", "char"),
        defaults=_frozen({"min_freq": 2}),
        presets=_frozen({"quick": {"order": 4}, "full": {"order": 5}}),
    ),
    ModelKind(
        name="unigram",
        generator="baselines.unigram:UnigramGenerator",
        config="baselines.unigram:UnigramConfig",
        summary="add-one unigram: the floor every model must beat",
        units=("word", "char"),
        defaults=_frozen({"min_freq": 2}),
        floor=True,
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


def floor_kind() -> ModelKind:
    """The kind every comparison scores as its floor (the unigram)."""
    return next(k for k in _KINDS if k.floor)


def compared_kinds() -> tuple[str, ...]:
    """The kinds a comparison trains by default: every kind but the floor."""
    return tuple(k.name for k in _KINDS if not k.floor)


def load_generator(directory: Path) -> Generator:
    """Load any saved run, whatever its kind, from its ``config.json``."""
    recorded = read_manifest(directory)["kind"]
    if recorded not in KINDS:
        raise CheckpointError(f"{directory} holds an unknown model kind {recorded!r}")
    return KINDS[recorded].generator_class().load(Path(directory))


def _import(path: str) -> Any:
    module_name, _, attr = path.partition(":")
    return getattr(importlib.import_module(module_name), attr)
