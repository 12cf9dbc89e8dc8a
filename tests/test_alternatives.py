"""Valid alternative solutions get full marks: the tests grade what the docstrings ask, not
how the reference happens to do it.

``tests/alternatives/alternatives.json`` holds, for every exercise, solutions
that differ from the reference in style or algorithm (a while loop for a
range, an inverse-CDF draw for ``torch.multinomial``, recursive back-off, …)
but do what the docstring says. Each replaces one solution region's body in a
copy of the reference. Alternatives for different functions do not interact,
so they are graded together: a group holds at most one alternative per
function, and each group is one grading run that must score full marks. The
file, like the planted bugs, is never shipped in the handout.
"""

from __future__ import annotations

import json
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import pytest
from _grading_helpers import ROOT, TIMEOUT, copy_reference, reference_only

from lab.grading.exercises import EXERCISES, exercise_for_function
from lab.grading.grader import grade_submission
from lab.grading.handout import is_excluded
from lab.grading.markers import BEGIN_SOLUTION, END_SOLUTION

ALTERNATIVES = ROOT / "tests" / "alternatives" / "alternatives.json"
needs_alternatives = pytest.mark.skipif(
    not ALTERNATIVES.is_file(), reason="the alternative solutions are not in the handout"
)


def _alternatives() -> list[dict[str, Any]]:
    return list(json.loads(ALTERNATIVES.read_text(encoding="utf-8"))["alternatives"])


def _region_span(text: str, function: str) -> tuple[int, int, str]:
    """``(start, end, indent)``: the characters strictly between the markers of
    ``function``'s solution region (a ``Class.method`` is looked up inside its class)."""
    start = 0
    if "." in function:
        start = text.index(f"class {function.split('.')[0]}")
    begin = text.index(BEGIN_SOLUTION, text.index(f"def {function.rsplit('.', 1)[-1]}(", start))
    indent = text[text.rindex("\n", 0, begin) + 1 : begin]
    body_start = text.index("\n", begin) + 1
    body_end = text.rindex("\n", 0, text.index(END_SOLUTION, begin)) + 1
    return body_start, body_end, indent


def apply_alternative(root: Path, alternative: dict[str, Any]) -> None:
    """Replace the body of the alternative's solution region in ``root`` by its ``body``."""
    path = root / alternative["file"]
    text = path.read_text(encoding="utf-8")
    start, end, indent = _region_span(text, alternative["function"])
    lines = "".join(f"{indent}{ln}\n" if ln else "\n" for ln in alternative["body"])
    path.write_text(text[:start] + lines + text[end:], encoding="utf-8")


def groups(alternatives: list[dict[str, Any]]) -> list[list[dict[str, Any]]]:
    """The alternatives in as few groups as possible with one per function in each."""
    out: list[list[dict[str, Any]]] = []
    for alt in alternatives:
        key = (alt["file"], alt["function"])
        home = next((g for g in out if key not in {(a["file"], a["function"]) for a in g}), None)
        if home is None:
            out.append(home := [])
        home.append(alt)
    return out


@reference_only
@needs_alternatives
def test_alternatives_replace_real_regions_and_stay_out_of_the_handout(tmp_path: Path) -> None:
    """Every alternative names an exercise function, changes its body and is not shipped."""
    alternatives = _alternatives()
    assert len({a["id"] for a in alternatives}) == len(alternatives)
    assert {a["exercise"] for a in alternatives} == {
        ex.number for ex in EXERCISES if not ex.integration
    }
    for alt in alternatives:
        ex = exercise_for_function(alt["file"], alt["function"])
        assert ex is not None and ex.number == alt["exercise"], alt["id"]
        copy = copy_reference(tmp_path / alt["id"])
        before = (copy / alt["file"]).read_text(encoding="utf-8")
        apply_alternative(copy, alt)
        after = (copy / alt["file"]).read_text(encoding="utf-8")
        assert after != before, alt["id"]
        compile(after, alt["file"], "exec")
    assert is_excluded(ALTERNATIVES.relative_to(ROOT))


@reference_only
@needs_alternatives
@pytest.mark.slow
@pytest.mark.timeout(1800)
def test_every_alternative_solution_gets_full_marks(tmp_path: Path) -> None:
    """Each group of alternatives, applied to a copy of the reference, scores every point."""

    def grade(index: int, group: list[dict[str, Any]]) -> list[str]:
        submission = copy_reference(tmp_path / f"group{index}")
        for alt in group:
            apply_alternative(submission, alt)
        report = grade_submission(submission, per_test_timeout=TIMEOUT)
        problems = [f"group {index}: {note}" for note in report.notes]
        for result in report.results:
            if not result.passed:
                suspects = [a["id"] for a in group if a["exercise"] == result.test.exercise]
                last = result.output.strip().splitlines()[-1:] or [""]
                problems.append(f"{result.test.nodeid} fails for {suspects}: {last[0][:300]}")
        return problems

    batches = groups(_alternatives())
    with ThreadPoolExecutor(max_workers=2) as pool:
        problems = [p for found in pool.map(grade, range(len(batches)), batches) for p in found]
    assert not problems, "\n".join(problems)
