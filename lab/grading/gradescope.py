"""Gradescope's ``results.json`` and the ``autograder.zip`` that produces it.

Gradescope's autograder specification: the zip holds ``setup.sh`` (run once
when the image is built) and ``run_autograder`` (run per submission, with
the student's files in ``/autograder/submission``), and the run must write
``/autograder/results/results.json``: a top-level ``score``,
``execution_time`` (seconds), ``output``, ``visibility``,
``stdout_visibility`` and ``tests``, each test with ``name``, ``number``,
``score``, ``max_score``, ``status``, ``output`` and ``visibility``
(``visible``, ``hidden``, ``after_due_date`` or ``after_published``).
Hidden tests are shown after the due date. The written answers of the
notebook ride along as one more test worth 0 points, for the instructor to
grade by hand (:mod:`lab.grading.answers`). The zip itself is
:mod:`lab.grading.bundle`'s.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

from lab.grading.answers import answers_entry
from lab.grading.bundle import write_bundle as write_bundle  # re-exported
from lab.grading.exercises import EXERCISES, exercise
from lab.grading.grader import GradeReport, format_summary
from lab.grading.summary import visible_seconds
from lab.storage.files import write_text_atomic

VISIBILITIES = ("visible", "hidden", "after_due_date", "after_published")
HIDDEN_TEST_VISIBILITY = "after_due_date"
_TEST_FIELDS: dict[str, type | tuple[type, ...]] = {
    "name": str, "number": str, "score": (int, float), "max_score": (int, float),
    "output": str, "visibility": str,
}  # fmt: skip
_TOP_FIELDS: dict[str, type | tuple[type, ...]] = {
    "score": (int, float), "execution_time": (int, float), "tests": list,
}  # fmt: skip


def results_json(report: GradeReport) -> dict[str, Any]:
    """The Gradescope ``results.json`` document for ``report``."""
    tests = []
    for r in report.results:
        tests.append(
            {
                "name": f"{exercise(r.test.exercise).label}: {r.test.description}",
                "number": r.number,
                "score": float(r.score),
                "max_score": float(r.test.points),
                "status": "passed" if r.passed else "failed",
                "output": r.output,
                "visibility": HIDDEN_TEST_VISIBILITY if r.test.hidden else "visible",
                "tags": [f"exercise-{r.test.exercise}"],
            }
        )
    if report.answers is not None:
        # numbered after the last exercise, so it is listed after the autograded tests
        entry = answers_entry(report.answers, f"{max(ex.number for ex in EXERCISES) + 1}.1")
        tests += [entry] if entry is not None else []
    per_exercise = {
        str(n): {"score": got, "max_score": best}
        for n, (got, best) in report.exercise_scores().items()
    }
    return {
        "score": float(report.score),
        "execution_time": round(visible_seconds(report), 2),  # never the hidden tests' time
        "output": format_summary(report, reveal_hidden=False),
        "visibility": "visible",
        "stdout_visibility": "hidden",
        "tests": tests,
        "extra_data": {
            "exercises": per_exercise,
            "max_score": float(report.max_score),
            "verified": report.verified,  # false: the submission ran unconfined
            "limits": report.limits,  # cgroup v2, v1, or rlimits and the watcher
        },
    }


def validate_results(data: Any) -> list[str]:
    """Problems that would make Gradescope reject or misread ``data`` (empty if none)."""
    if not isinstance(data, dict):
        return ["results.json must be a JSON object"]
    problems = [_type_problem(data, k, t, "results") for k, t in _TOP_FIELDS.items()]
    for key in ("visibility", "stdout_visibility"):
        if key in data and data[key] not in VISIBILITIES:
            problems.append(f"results.{key} must be one of {VISIBILITIES}")
    for i, test in enumerate(data.get("tests") or []):
        if not isinstance(test, dict):
            problems.append(f"tests[{i}] must be an object")
            continue
        problems += [_type_problem(test, k, t, f"tests[{i}]") for k, t in _TEST_FIELDS.items()]
        if test.get("visibility") not in VISIBILITIES:
            problems.append(f"tests[{i}].visibility must be one of {VISIBILITIES}")
        problems.append(_range_problem(test.get("score"), test.get("max_score"), i))
    return [p for p in problems if p]


def _range_problem(score: Any, best: Any, index: int) -> str:
    numbers = isinstance(score, (int, float)) and isinstance(best, (int, float))
    if numbers and not 0 <= score <= best:
        return f"tests[{index}].score {score} is outside 0..{best}"
    return ""


def _type_problem(obj: dict[str, Any], key: str, kind: type | tuple[type, ...], where: str) -> str:
    if key not in obj:
        return f"{where}.{key} is missing"
    value = obj[key]
    if isinstance(value, bool) or not isinstance(value, kind):
        return f"{where}.{key} has type {type(value).__name__}"
    return ""


def write_results(path: Path, report: GradeReport) -> dict[str, Any]:
    """Write ``results.json`` atomically and return what was written."""
    data = results_json(report)
    problems = validate_results(data)
    if problems:  # a bug in this module, never the submission's doing
        raise AssertionError("; ".join(problems))
    write_text_atomic(Path(path), json.dumps(data, indent=2, ensure_ascii=False) + "\n")
    return data


def failure_results(message: str) -> dict[str, Any]:
    """What ``run_autograder`` writes when grading itself failed: Gradescope shows the
    student and the instructor this message rather than "autograder failed"."""
    return {
        "score": 0.0,
        "execution_time": 0.0,
        "output": "The autograder could not grade this submission; please tell your "
        f"instructor. {message}".strip(),
        "visibility": "visible",
        "stdout_visibility": "hidden",
        "tests": [],
    }


if __name__ == "__main__":  # run_autograder's fallback: python -m lab.grading.gradescope OUT MSG
    write_text_atomic(Path(sys.argv[1]), json.dumps(failure_results(" ".join(sys.argv[2:]))))
