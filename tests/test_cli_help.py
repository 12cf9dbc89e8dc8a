"""Every flag of every command says what it does; model flags also say their defaults."""

from __future__ import annotations

import argparse

import pytest

from lab.cli import build_parser
from lab.models import registry


def _subparsers(parser: argparse.ArgumentParser, prefix: str = ""):
    for action in parser._actions:
        if isinstance(action, argparse._SubParsersAction):
            for name, sub in action.choices.items():
                yield f"{prefix}{name}", sub
                yield from _subparsers(sub, f"{prefix}{name} ")


COMMANDS = dict(_subparsers(build_parser()))


@pytest.mark.parametrize("command", COMMANDS)
def test_every_flag_has_help(command: str) -> None:
    for action in COMMANDS[command]._actions:
        if isinstance(action, argparse._SubParsersAction) or action.dest == "help":
            continue
        name = action.option_strings[-1] if action.option_strings else action.dest
        assert action.help and action.help.strip(), f"{command} {name} has no help"
        words = name.lstrip("-").replace("-", " ")
        assert action.help.strip() != words, f"{command} {name}'s help only repeats its name"


def test_model_flags_show_each_kinds_default() -> None:
    train = COMMANDS["train"]
    helps = {a.option_strings[0]: a.help or "" for a in train._actions if a.option_strings}
    assert "word-lstm: 200" in helps["--hidden-dim"] and "char-lstm: 256" in helps["--hidden-dim"]
    assert "(default: 3)" in helps["--order"]
    assert "(default: 2)" in helps["--state-size"]
    assert "default" in helps["--modified"] and "default" in helps["--discount"]
    for entry in registry.KINDS.values():
        assert entry.name in helps["--model"]
