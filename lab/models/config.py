"""Configuration as frozen dataclasses: the vocabulary settings every model shares,
and the helpers that turn options into configs and configs into JSON.

A model's configuration is one dataclass (``NGramConfig``) or a dataclass of
*sections* (``NeuralConfig(model=ModelConfig, train=TrainConfig)``), always
beside one :class:`VocabConfig`. Every field carries its help text in
``metadata["help"]``; the CLI builds its flags from the fields
(:mod:`lab.cli.options`), so a new option is one line in one dataclass.
"""

from __future__ import annotations

import dataclasses
import types
import typing
from collections.abc import Mapping, Sequence
from dataclasses import asdict, dataclass, fields, is_dataclass, replace
from typing import Any, Literal, TypeVar

from lab.errors import OptionError

T = TypeVar("T")
Unit = Literal["word", "char"]
#: The lesson's languages (see :mod:`lab.text.language`).
Language = Literal["en", "fi", "sv", "ru", "pl", "tl"]


def option(default: Any, help: str) -> Any:
    """A dataclass field with a default and the help text its CLI flag shows."""
    return dataclasses.field(default=default, metadata={"help": help})


def require(ok: bool, message: str) -> None:
    """Reject a configuration value: an :class:`~lab.errors.OptionError` unless ``ok``.

    Every config's ``__post_init__`` checks its fields this way, so a bad value
    is one line on the command line and a ``ValueError`` in Python.
    """
    if not ok:
        raise OptionError(message)


@dataclass(frozen=True)
class VocabConfig:
    """Tokenizer and vocabulary settings: the unit (word or character), which
    tokens get their own id (the rest become ``<unk>``), case folding, and where
    word models put ``<eos>`` (after each ``sentence`` of prose, or each ``line``
    of pre-split text; character models ignore it)."""

    unit: Unit = option("word", "tokens are words or characters")
    min_freq: int = option(1, "tokens seen fewer times become <unk>")
    max_size: int | None = option(None, "largest vocabulary, specials included")
    lowercase: bool = option(False, "fold case before tokenizing")
    eos: Literal["sentence", "line"] = option(
        "sentence", "word models: <eos> after each sentence or each line"
    )
    pretokenized: bool = option(
        False, "text is already tokenized (PTB, WikiText): split words on whitespace only"
    )
    language: Language | None = option(
        None, "the book's language, for sentence splitting (default: detected from the text)"
    )

    def __post_init__(self) -> None:
        if self.unit not in ("word", "char"):
            raise OptionError(f"unit must be 'word' or 'char', not {self.unit!r}")
        if self.eos not in ("sentence", "line"):
            raise OptionError("eos must be 'sentence' or 'line'")
        if self.min_freq < 1:
            raise OptionError("min_freq must be >= 1")
        if self.max_size is not None and self.max_size < 4:
            raise OptionError("max_size must be >= 4")
        if self.language not in (None, *typing.get_args(Language)):
            raise OptionError(f"language must be one of {', '.join(typing.get_args(Language))}")

    def tokenizer_options(self) -> dict[str, Any]:
        """The arguments of :func:`lab.text.tokenizers.make_tokenizer` these settings fix
        (the vocabulary's own, ``min_freq`` and ``max_size``, are not among them)."""
        return {
            "unit": self.unit,
            "lowercase": self.lowercase,
            "eos": self.eos,
            "pretokenized": self.pretokenized,
            "language": self.language,
        }


def from_fields(cls: type[T], data: Mapping[str, Any]) -> T:
    """Build dataclass ``cls`` from a dict, ignoring keys it does not know
    (so older checkpoints with retired options still load).

    The values come from JSON someone may have edited, so each is checked
    against its field's type first: ``"hidden_dim": null`` is an
    :class:`~lab.errors.OptionError` naming the field, not a ``TypeError``
    deep inside a range check.
    """
    if not isinstance(data, Mapping):
        raise OptionError(f"{cls.__name__} settings must be an object, not {data!r}")
    hints = typing.get_type_hints(cls)
    names = {f.name for f in fields(typing.cast(Any, cls))}
    known = {k: v for k, v in data.items() if k in names}
    for name, value in known.items():
        if not _fits(value, hints[name]):
            raise OptionError(f"{name} must be {_type_name(hints[name])}, not {value!r}")
    return cls(**known)


def _fits(value: Any, hint: Any) -> bool:
    """Whether a JSON ``value`` can be a field of type ``hint`` (other types: not checked)."""
    origin, args = typing.get_origin(hint), typing.get_args(hint)
    if origin is Literal:
        return value in args
    if args and origin in (typing.Union, types.UnionType):
        return any(_fits(value, arm) for arm in args)
    if hint is type(None):
        return value is None
    if hint is bool:
        return isinstance(value, bool)
    if hint is int:
        return isinstance(value, int) and not isinstance(value, bool)
    if hint is float:
        return isinstance(value, int | float) and not isinstance(value, bool)
    if hint is str:
        return isinstance(value, str)
    return True


def _type_name(hint: Any) -> str:
    if typing.get_origin(hint) is Literal:
        return "one of " + ", ".join(repr(a) for a in typing.get_args(hint))
    return " or ".join(
        "null" if arm is type(None) else getattr(arm, "__name__", str(arm))
        for arm in (typing.get_args(hint) or (hint,))
    )


def section_classes(config_class: type) -> tuple[type, ...]:
    """The option dataclasses of a model config class: the classes of its fields
    when every field is a dataclass (a sectioned config), else the class itself."""
    hints = typing.get_type_hints(config_class)
    kinds = [hints[f.name] for f in fields(config_class)]
    if kinds and all(isinstance(k, type) and is_dataclass(k) for k in kinds):
        return tuple(kinds)
    return (config_class,)


def sections_of(config: Any) -> tuple[Any, ...]:
    """The section instances of ``config`` (see :func:`section_classes`)."""
    if section_classes(type(config)) == (type(config),):
        return (config,)
    return tuple(getattr(config, f.name) for f in fields(config))


def build_config(config_class: type[T], sections: Sequence[Any]) -> T:
    """Inverse of :func:`sections_of`."""
    if section_classes(config_class) == (config_class,):
        (only,) = sections
        return typing.cast(T, only)
    names = [f.name for f in fields(typing.cast(Any, config_class))]
    return config_class(**dict(zip(names, sections, strict=True)))


def config_to_dict(config: Any, vocab: VocabConfig) -> dict[str, Any]:
    """The ``config`` object of ``config.json``: one key per section (a flat config
    is the section ``model``), plus ``vocab``."""
    if section_classes(type(config)) == (type(config),):
        data = {"model": asdict(config)}
    else:
        data = {f.name: asdict(getattr(config, f.name)) for f in fields(config)}
    return {**data, "vocab": asdict(vocab)}


def config_from_dict(config_class: type[T], data: Mapping[str, Any]) -> tuple[T, VocabConfig]:
    """Inverse of :func:`config_to_dict`; a bad value is an ``OptionError``/``TypeError``."""
    if section_classes(config_class) == (config_class,):
        config = from_fields(config_class, data.get("model", {}))
    else:
        hints = typing.get_type_hints(config_class)
        config = config_class(
            **{
                f.name: from_fields(hints[f.name], data.get(f.name, {}))
                for f in fields(typing.cast(Any, config_class))
            }
        )
    return config, from_fields(VocabConfig, data.get("vocab", {}))


def apply_options(configs: Sequence[Any], options: Mapping[str, Any], *, kind: str) -> list[Any]:
    """Each of ``configs`` with the fields named in ``options`` replaced.

    This is how CLI flags (field name -> value) become a model's configuration;
    a value its dataclass rejects, or an option that no config of model
    ``kind`` has, is an :class:`~lab.errors.OptionError` with a one-line message.
    """
    result: list[Any] = []
    used: set[str] = set()
    try:
        for config in configs:
            names = {f.name for f in fields(config)}
            mine = {k: v for k, v in options.items() if k in names}
            used |= mine.keys()
            result.append(replace(config, **mine))
    except (TypeError, ValueError) as exc:
        raise OptionError(str(exc)) from None
    unknown = set(options) - used
    if unknown:
        raise OptionError(f"{kind} does not take {', '.join(sorted(unknown))}")
    return result
