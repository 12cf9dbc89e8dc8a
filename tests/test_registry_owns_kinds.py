"""The registry is the one table of model kinds: no other module of lab/ or baselines/ names
a kind (a string literal such as ``"ngram"`` or ``"word-lstm"``); classes, defaults and roles
(default, floor, baseline, judge) come from the kind's entry."""

from __future__ import annotations

import ast
import re
from pathlib import Path

import pytest
from _source_scan import docstrings

from lab.models import registry

ROOT = Path(__file__).resolve().parents[1]
REGISTRY = ROOT / "lab" / "models" / "registry.py"
# A literal names a kind when it is one ("ngram"), or holds a hyphenated kind name as a word
# ("(default: word-lstm)"); prose such as "the unigram floor" or a path such as
# "baselines/markov.py" is not a kind.
HYPHENATED = re.compile(
    r"(?<![\w-])(" + "|".join(re.escape(k) for k in registry.KINDS if "-" in k) + r")(?![\w-])"
)


def names_a_kind(value: str) -> bool:
    return value.strip() in registry.KINDS or bool(HYPHENATED.search(value))


def kind_literals(path: Path) -> list[str]:
    """``line: literal`` of every string literal in ``path`` that names a kind."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    skip = docstrings(tree)
    return [
        f"{node.lineno}: {node.value!r}"
        for node in ast.walk(tree)
        if isinstance(node, ast.Constant)
        and isinstance(node.value, str)
        and id(node) not in skip
        and names_a_kind(node.value)
    ]


def test_no_module_but_the_registry_names_a_kind() -> None:
    found = {
        path.relative_to(ROOT).as_posix(): hits
        for top in ("lab", "baselines")
        for path in sorted((ROOT / top).rglob("*.py"))
        if path != REGISTRY and (hits := kind_literals(path))
    }
    assert found == {}


def test_the_check_sees_a_kind_named_elsewhere(tmp_path: Path) -> None:
    sample = tmp_path / "sample.py"
    sample.write_text(
        '"""The ngram docstring may say it."""\nJUDGE = "ngram"\nHELP = "(default: word-lstm)"\n'
        'MODULE = "baselines.markov"\nPROSE = "the unigram floor"\n',
        encoding="utf-8",
    )
    assert kind_literals(sample) == ["2: 'ngram'", "3: '(default: word-lstm)'"]


@pytest.mark.parametrize("role", ["default", "floor", "baseline", "judge"])
def test_every_role_has_exactly_one_kind(role: str) -> None:
    assert registry.with_role(role).name in registry.KINDS  # type: ignore[arg-type]


def test_each_generator_class_takes_its_kind_from_its_entry() -> None:
    for name, entry in registry.KINDS.items():
        assert entry.generator_class().kind == name
