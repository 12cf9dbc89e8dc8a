"""The table of model kinds: the only place that knows which kinds exist and what each needs.

Each :class:`ModelKind` names its generator class and its (torch-free) config
class by import path, so listing the kinds, building the CLI or loading a
Markov run never imports torch. Everything else asks this table (its unit,
defaults, presets, whether it resumes, its roles) instead of asking "which
kind is this?": a generator class learns its ``kind`` from its entry here
(:meth:`lab.models.base.GeneratorBase.__init_subclass__`), and the roles are
:data:`Role` values of the entries, read with :func:`with_role`. No other module
names a kind.
"""

from __future__ import annotations

import importlib
from collections.abc import Mapping
from dataclasses import dataclass, field, fields
from types import MappingProxyType
from typing import TYPE_CHECKING, Any, Literal

from lab.errors import LabError
from lab.models.budgets import (
    CHAR_QUICK,
    WORD_DROPOUT,
    WORD_QUICK,
    BookBudget,
    for_book,
)
from lab.models.config import Unit, VocabConfig, apply_options, build_config, section_classes

if TYPE_CHECKING:
    from lab.models.base import GeneratorBase

Preset = Literal["quick", "full"]
#: ``default``: what ``train`` trains unless told; ``floor``: the model every comparison
#: scores as the floor (the unigram); ``baseline``: the count model a network must beat
#: on perplexity and bits/char; ``judge``: the model that scores other models' samples;
#: ``extra``: trained by ``compare`` only when ``--models`` names it.
Role = Literal["default", "floor", "baseline", "judge", "extra"]


def _frozen(data: Mapping[str, Any]) -> Mapping[str, Any]:
    return MappingProxyType(dict(data))  # an entry's tables cannot be edited in place


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
        """Options of preset ``name`` (``quick`` or ``full``) for this kind, with values that
        follow the book resolved for ``book`` (:func:`lab.models.budgets.for_book`)."""
        return for_book(self.presets.get(name, {}), book)

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


_KINDS: tuple[ModelKind, ...] = (
    _neural_kind(
        "word-lstm",
        "WordLSTMGenerator",
        "word-level LSTM (NLTK word tokens, <eos> after each sentence, tied 2x200)",
        unit="word",
        defaults={"dropout": 0.4, "min_freq": 2},
        # quick: 16 passes of the training split, at most 5 idle minutes, at batch 10 (twice
        # the updates per token for 1.2x the CPU): on Thursday it crossed the n-gram after 4
        # passes instead of 6 (benchmarks/results/learn_per_token.jsonl). A fixed 600k
        # tokens gave a 110k-word book 6 epochs (issue 23).
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
        defaults={"embedding_dim": 64, "hidden_dim": 256, "dropout": 0.1, "tie_weights": False}
        | {"batch_size": 32, "bptt": 100},
        # quick: shorter windows (three times the updates per token) at a higher rate. On
        # Alice, 2 cores: 650k tokens in 47-51 s reach test 4.60 per char; the former preset
        # (BPTT 100, lr 3e-3, 2.5M tokens) took 194 s for test 4.55.
        presets={
            "quick": {"epochs": 30, "max_tokens": CHAR_QUICK, "bptt": 35, "lr": 5e-3},
            "full": {"epochs": 30},
        },
    ),
    ModelKind(
        name="transformer",
        generator="lab.transformer.generator:TransformerGenerator",
        config="lab.transformer.config:TransformerConfig",
        summary="decoder-only transformer (4 blocks of 4 heads, 128 wide, 64-token window)",
        units=("word", "char"),
        # nanoGPT's small CPU shape and optimiser (AdamW 1e-3, weight decay 0.1, clip 1);
        # quick: 600k tokens. On Alice after 300k tokens, 1 core: dropout 0.2 test ppl 43.8
        # (82 s); 0.3: 45.5; 2 layers, 0.3: 46.3; 2 layers, 0.4: 46.8.
        defaults=_frozen(
            {"unit": "word", "min_freq": 2, "dropout": 0.2, "batch_size": 16, "bptt": 64}
            | {"lr": 1e-3, "optimizer": "adamw", "weight_decay": 0.1, "clip": 1.0}
        ),
        presets=_frozen({"quick": {"epochs": 40, "max_tokens": 600_000}, "full": {"epochs": 40}}),
        resumable=True,
        neural=True,
        roles=frozenset({"extra"}),
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
    """The kinds ``compare`` trains unless told: all but the floor and the extras."""
    return tuple(k.name for k in _KINDS if not {"floor", "extra"} & k.roles)


def comparable_kinds() -> tuple[str, ...]:
    """Every kind ``compare --models`` accepts: all but the floor (scored anyway)."""
    return tuple(k.name for k in _KINDS if "floor" not in k.roles)


def kind_of(generator: type) -> str | None:
    """The name of the kind whose generator is the class ``generator`` (``None`` for a
    class no entry names, such as a shared base class)."""
    path = f"{generator.__module__}:{generator.__qualname__}"
    return next((k.name for k in _KINDS if k.generator == path), None)


def _import(path: str) -> Any:
    module_name, _, attr = path.partition(":")
    return getattr(importlib.import_module(module_name), attr)
