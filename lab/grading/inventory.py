"""The graded tests, read from the exercise test files without running them.

The grader must know every test and its points even when a submission
makes a test module fail to import, crash or hang, so the list comes from
the source (``ast``), not from pytest's collection. The rules that make
this possible: one module per exercise, ``tests/exercises/test_ex<N>_*.py``;
graded tests are module-level ``def test_*`` functions (no classes, no
parametrize) decorated with ``@pytest.mark.points(n)``; tests inside a
``# BEGIN HIDDEN TESTS`` region are hidden from students.
"""

from __future__ import annotations

import ast
import re
from dataclasses import dataclass
from pathlib import Path

from lab.grading.markers import MarkerError, hidden_line_ranges, parse_python

EXERCISE_MODULE = re.compile(r"test_ex(\d+)_\w+\.py")


@dataclass(frozen=True)
class GradedTest:
    """One graded test; ``nodeid`` is relative to the folder holding ``exercises/``."""

    exercise: int
    module: str
    function: str
    points: float
    hidden: bool
    description: str

    @property
    def nodeid(self) -> str:
        return f"exercises/{self.module}::{self.function}"


def read_inventory(tests_dir: Path) -> list[GradedTest]:
    """Every graded test in ``tests_dir`` (the ``exercises`` folder), by exercise then file order.

    Raises:
        MarkerError: a test without a ``points`` marker, a parametrized or
            class-based test, or unbalanced hidden-test markers.
    """
    tests: list[GradedTest] = []
    for path in sorted(Path(tests_dir).glob("test_ex*.py"), key=_module_order):
        match = EXERCISE_MODULE.fullmatch(path.name)
        if match is None:
            continue
        tests.extend(_module_tests(path, int(match.group(1))))
    return tests


def _module_order(path: Path) -> tuple[int, str]:
    match = EXERCISE_MODULE.fullmatch(path.name)
    return (int(match.group(1)) if match else 0, path.name)


def _module_tests(path: Path, exercise: int) -> list[GradedTest]:
    text = path.read_text(encoding="utf-8")
    hidden = hidden_line_ranges(text, path=path.name)
    tree = parse_python(text, str(path))
    found: list[GradedTest] = []
    for node in tree.body:
        if isinstance(node, ast.ClassDef) and node.name.startswith("Test"):
            raise MarkerError(f"{path.name}:{node.lineno}: graded tests must be plain functions")
        if not isinstance(node, ast.FunctionDef) or not node.name.startswith("test_"):
            continue
        points = None
        for deco in node.decorator_list:
            name = ast.unparse(deco.func if isinstance(deco, ast.Call) else deco)
            if name.endswith("mark.parametrize"):
                raise MarkerError(f"{path.name}:{node.lineno}: graded tests cannot be parametrized")
            if name.endswith("mark.points") and isinstance(deco, ast.Call) and deco.args:
                points = ast.literal_eval(deco.args[0])
        if not isinstance(points, (int, float)) or isinstance(points, bool) or points < 0:
            raise MarkerError(
                f"{path.name}:{node.lineno}: {node.name} needs @pytest.mark.points(n), n >= 0"
            )
        doc = ast.get_docstring(node) or node.name.removeprefix("test_").replace("_", " ")
        found.append(
            GradedTest(
                exercise=exercise,
                module=path.name,
                function=node.name,
                points=float(points),
                hidden=any(b < node.lineno < e for b, e in hidden),
                description=doc.strip().splitlines()[0],
            )
        )
    return found
