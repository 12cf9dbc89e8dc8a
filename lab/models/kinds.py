"""What a model kind is: one entry of the registry's table (:mod:`lab.models.registry`).

A :class:`ModelKind` names its generator class and its (torch-free) config class by
import path and holds its defaults, presets, units and roles; the registry lists the
entries and is the only module that names a kind.
"""

from __future__ import annotations

import importlib
from collections.abc import Mapping
from dataclasses import dataclass, field, fields
from types import MappingProxyType
from typing import TYPE_CHECKING, Any, Literal

from lab.models.budgets import BookBudget, for_book
from lab.models.config import Unit, VocabConfig, apply_options, build_config, section_classes

if TYPE_CHECKING:
    from lab.models.base import GeneratorBase

Preset = Literal["quick", "full"]
#: ``default``: what ``train`` trains unless told; ``floor``: the model every comparison
#: scores as the floor (the unigram); ``baseline``: the count model a network must beat
#: on perplexity and bits/char; ``judge``: the model that scores other models' samples;
#: ``extra``: trained by ``compare`` only when ``--models`` names it.
Role = Literal["default", "floor", "baseline", "judge", "extra"]


def frozen(data: Mapping[str, Any]) -> Mapping[str, Any]:
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


def _import(path: str) -> Any:
    module_name, _, attr = path.partition(":")
    return getattr(importlib.import_module(module_name), attr)
