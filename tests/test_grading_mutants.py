"""Planted bugs: each costs points in its own exercise, and only there.

``tests/mutants/mutants.json`` lists plausible student bugs, each one text
substitution inside an exercise's solution region. Grading every mutant
against all thirteen exercises would start ~26 sandbox children per bug; the
same guarantee follows from three cheaper facts, each a test here:

1. every planted bug lies inside a solution region of the exercise it names;
2. every unit exercise gets full marks when every *other* exercise's
   solution is stubbed out (``raise NotImplementedError``): its tests never
   reach another exercise's code, so no bug there can change them;
3. every planted bug, graded on its own exercise, loses points.

(The end-to-end exercise runs all pieces together on purpose and is exempt
from 2.) ``TEXTGEN_LAB_FULL_MUTANTS=1`` also runs the direct check: every
bug graded against every unit exercise.
"""

from __future__ import annotations

import json
import os
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest
from _grading_helpers import (
    MUTANTS,
    TIMEOUT,
    copy_reference,
    mutant_region,
    reference_only,
    scores,
    stub_other_exercises,
)

from lab.grading.exercises import EXERCISES
from lab.grading.grader import GradeReport, grade_submission

UNITS = {ex.number: float(ex.points) for ex in EXERCISES if not ex.integration}
pytestmark = [
    reference_only,
    pytest.mark.skipif(not MUTANTS.is_file(), reason="the planted bugs are not in the handout"),
]


def _mutants() -> list[dict[str, object]]:
    return json.loads(MUTANTS.read_text())["mutants"]  # type: ignore[no-any-return]


def _mutated(tmp_path: Path, mutant: dict[str, object]) -> Path:
    edit = (str(mutant["file"]), str(mutant["find"]), str(mutant["replace"]))
    return copy_reference(tmp_path / str(mutant["id"]), [edit])


def test_every_planted_bug_lies_in_its_own_exercise() -> None:
    mutants = _mutants()
    assert {int(m["exercise"]) for m in mutants} == set(UNITS)  # type: ignore[call-overload]
    assert len({m["id"] for m in mutants}) == len(mutants)
    misplaced = {m["id"]: mutant_region(m) for m in mutants if mutant_region(m) != m["exercise"]}
    assert not misplaced


@pytest.mark.slow
@pytest.mark.timeout(1800)
def test_each_exercise_passes_with_every_other_exercise_stubbed(tmp_path: Path) -> None:
    def grade(number: int) -> tuple[int, GradeReport]:
        root = copy_reference(tmp_path / f"only-{number}")
        stub_other_exercises(root, keep=number)
        return number, grade_submission(root, exercises={number}, per_test_timeout=TIMEOUT)

    with ThreadPoolExecutor(max_workers=2) as pool:
        got = {n: scores(report)[n] for n, report in pool.map(grade, sorted(UNITS))}
    assert got == UNITS


@pytest.mark.slow
@pytest.mark.timeout(2400)
def test_every_planted_bug_costs_its_own_exercise(tmp_path: Path) -> None:
    def grade(mutant: dict[str, object]) -> tuple[dict[str, object], GradeReport]:
        number = int(mutant["exercise"])  # type: ignore[call-overload]
        submission = _mutated(tmp_path, mutant)
        return mutant, grade_submission(submission, exercises={number}, per_test_timeout=TIMEOUT)

    with ThreadPoolExecutor(max_workers=2) as pool:
        kept = [
            f"{m['id']}: {scores(r)}"
            for m, r in pool.map(grade, _mutants())
            if scores(r)[int(m["exercise"])] >= UNITS[int(m["exercise"])]  # type: ignore[call-overload]
        ]
    assert not kept


@pytest.mark.slow
@pytest.mark.timeout(7200)
@pytest.mark.skipif(
    os.environ.get("TEXTGEN_LAB_FULL_MUTANTS") != "1",
    reason="the direct check (every bug against every exercise) is opt-in: TEXTGEN_LAB_FULL_MUTANTS=1",
)
def test_every_planted_bug_costs_nothing_elsewhere(tmp_path: Path) -> None:
    def grade(mutant: dict[str, object]) -> tuple[dict[str, object], GradeReport]:
        submission = _mutated(tmp_path, mutant)
        return mutant, grade_submission(submission, exercises=set(UNITS), per_test_timeout=TIMEOUT)

    problems = []
    with ThreadPoolExecutor(max_workers=2) as pool:
        for mutant, report in pool.map(grade, _mutants()):
            got, bad = scores(report), int(mutant["exercise"])  # type: ignore[call-overload]
            others = {n: s for n, s in got.items() if n != bad and s != UNITS[n]}
            if got[bad] >= UNITS[bad] or others:
                problems.append(f"{mutant['id']}: {got}")
    assert not problems
