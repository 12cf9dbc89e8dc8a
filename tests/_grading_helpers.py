"""What the grading tests share: the reference checkout, copies of it with edits, scores."""

from __future__ import annotations

import re
import shutil
from collections.abc import Sequence
from pathlib import Path

import pytest

from lab.grading.exercises import EXERCISES, exercise_for_function
from lab.grading.grader import GradeReport
from lab.grading.handout import MANIFEST, region_exercises
from lab.grading.markers import BEGIN_SOLUTION

ROOT = Path(__file__).resolve().parents[1]
IN_HANDOUT = (ROOT / MANIFEST).is_file()
MUTANTS = ROOT / "tests" / "mutants" / "mutants.json"
reference_only = pytest.mark.skipif(IN_HANDOUT, reason="the handout has no reference solutions")
STUB = re.compile(r'^(\s*)raise NotImplementedError\("Exercise (\d+): ')
# Exercises by the function they grade: their numbers follow the lesson and may move.
SAMPLING = exercise_for_function("lab/neural/decoding.py", "apply_temperature").number  # type: ignore[union-attr]
PPL = exercise_for_function("lab/models/scoring.py", "perplexity").number  # type: ignore[union-attr]
DISTINCT = exercise_for_function("lab/evaluation/metrics.py", "distinct_n").number  # type: ignore[union-attr]
MARKOV = exercise_for_function("baselines/markov.py", "MarkovGenerator.followers").number  # type: ignore[union-attr]
TIMEOUT = 20.0  # per test; the exercise tests take well under a second each


def copy_reference(dest: Path, edits: Sequence[tuple[str, str, str]] = ()) -> Path:
    """The reference's lab/ and baselines/ in ``dest`` with ``(file, find, replace)`` edits."""
    for package in ("lab", "baselines"):
        shutil.copytree(
            ROOT / package, dest / package, ignore=shutil.ignore_patterns("__pycache__")
        )
    for file, find, replace in edits:
        path = dest / file
        text = path.read_text(encoding="utf-8")
        assert text.count(find) == 1, f"{file}: {find!r} must occur exactly once"
        path.write_text(text.replace(find, replace), encoding="utf-8")
    return dest


def scores(report: GradeReport) -> dict[int, float]:
    return {n: got for n, (got, _) in report.exercise_scores().items()}


def inject(root: Path, file: str, function: str, lines: Sequence[str]) -> None:
    """Put ``lines`` at the top of ``function``'s solution region (so this file, which
    students get, quotes no solution code)."""
    path = root / file
    text = path.read_text(encoding="utf-8")
    marker = text.index(BEGIN_SOLUTION, text.index(f"def {function}("))
    indent = text[text.rindex("\n", 0, marker) + 1 : marker]
    end = text.index("\n", marker) + 1
    path.write_text(text[:end] + "".join(f"{indent}{ln}\n" for ln in lines) + text[end:])


EXIT_3 = ["import os", "os._exit(3)"]
SEGFAULT = ["import os, signal", "os.kill(os.getpid(), signal.SIGSEGV)"]
LOOP = ["while True:", "    pass"]
STUBBORN_LOOP = ["import time", "while True:", "    try:", "        time.sleep(0.01)",
                 "    except BaseException:", "        pass"]  # fmt: skip


def stub_other_exercises(root: Path, keep: int) -> None:
    """Replace, in the copy at ``root``, every solution region of every exercise but ``keep``
    with ``raise NotImplementedError``: what is left of the solution is exercise ``keep``'s."""
    for file in {ex.file for ex in EXERCISES if ex.file}:
        path = root / file
        text = path.read_text(encoding="utf-8")
        lines = text.splitlines(keepends=True)
        for region, ex in reversed(region_exercises(text, file)):
            if ex.number != keep:
                stub = (
                    f'{region.indent}raise NotImplementedError("stubbed: exercise {ex.number}")\n'
                )
                lines[region.begin - 1 : region.end] = [stub]
        path.write_text("".join(lines), encoding="utf-8")


def mutant_region(mutant: dict[str, object]) -> int | None:
    """The exercise whose solution region holds the text mutant ``mutant`` replaces."""
    file, find = str(mutant["file"]), str(mutant["find"])
    text = (ROOT / file).read_text(encoding="utf-8")
    start = text.index(find)
    first = text.count("\n", 0, start) + 1
    last = first + find.rstrip("\n").count("\n")  # a trailing newline ends the last line
    for region, ex in region_exercises(text, file):
        if region.begin < first and last < region.end:
            return ex.number
    return None
