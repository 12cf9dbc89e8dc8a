"""CLI flags built from configuration dataclass fields.

Every field of the given dataclasses becomes ``--field-name`` with default
``None``, so only flags the user actually passed override a model's own
defaults (the word and char LSTMs have different ones).
"""

from __future__ import annotations

import argparse
import dataclasses
import types
import typing
from collections.abc import Iterable
from typing import Any, Literal, get_args, get_origin

_HELP: dict[str, str] = {
    "cell": "recurrent cell",
    "embedding_dim": "embedding size",
    "hidden_dim": "hidden state size",
    "num_layers": "stacked recurrent layers",
    "dropout": "dropout probability",
    "tie_weights": "share embedding and output weights",
    "epochs": "maximum epochs",
    "batch_size": "parallel streams per batch",
    "bptt": "truncated-BPTT window (tokens)",
    "lr": "learning rate",
    "clip": "gradient-norm clip",
    "lr_decay": "learning-rate factor when validation stalls",
    "patience": "stop after this many epochs without improvement",
    "max_minutes": "wall-clock budget for training",
    "seed": "random seed (weights, dropout)",
    "device": "auto, cpu, cuda or mps",
    "num_threads": "CPU threads for torch",
    "min_freq": "rarer tokens become <unk>",
    "max_size": "largest vocabulary (incl. specials)",
    "lowercase": "fold case before tokenizing",
    "eos": "word models: <eos> after each sentence or each line",
}


def add_dataclass_options(parser: argparse.ArgumentParser, classes: Iterable[type]) -> None:
    """Add one flag per field of ``classes`` (fields shared by several are added once)."""
    seen: set[str] = set()
    for cls in classes:
        hints = typing.get_type_hints(cls)
        for field in dataclasses.fields(cls):
            if field.name in seen:
                continue
            seen.add(field.name)
            flag = "--" + field.name.replace("_", "-")
            kind, choices = _scalar_type(hints[field.name])
            help_text = _HELP.get(field.name, field.name.replace("_", " "))
            if kind is bool:
                parser.add_argument(
                    flag, action=argparse.BooleanOptionalAction, default=None, help=help_text
                )
            else:
                parser.add_argument(
                    flag,
                    type=kind,
                    choices=choices,
                    default=None,
                    metavar=None if choices else field.name.upper(),
                    help=help_text,
                )


def collect_options(args: argparse.Namespace, classes: Iterable[type]) -> dict[str, Any]:
    """The dataclass fields the user set on the command line."""
    names = {f.name for cls in classes for f in dataclasses.fields(cls)}
    return {name: value for name in names if (value := getattr(args, name, None)) is not None}


def _scalar_type(hint: Any) -> tuple[type, list[Any] | None]:
    """Map ``int | None``, ``Literal[...]`` and friends to an argparse type."""
    origin = get_origin(hint)
    if origin in (typing.Union, types.UnionType):
        inner = [a for a in get_args(hint) if a is not type(None)]
        return _scalar_type(inner[0])
    if origin is Literal:
        choices = list(get_args(hint))
        return type(choices[0]), choices
    if hint in (int, float, str, bool):
        return hint, None
    return str, None
