"""The plain-text summary of a grading run, for the command line and for students.

Kept apart from :mod:`lab.grading.grader` so the one place that decides what
a student may see before the due date is short enough to check by eye.
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING

from lab.grading.answers import summary_line
from lab.grading.exercises import exercise

if TYPE_CHECKING:
    from lab.grading.grader import GradeReport

_EXCEPTION_LINE = re.compile(r"[A-Za-z_][\w.]*(Error|Exception|Exit|Interrupt)\b")


def format_summary(report: GradeReport, *, reveal_hidden: bool = True) -> str:
    """A plain-text table of points per exercise, then the failing tests.

    With ``reveal_hidden=False`` (what students see before the due date) the
    table and the failures cover the visible tests only; hidden tests are
    counted, never named, and neither their errors, the total that includes
    them nor a time that includes theirs is shown.
    """
    warnings = [n for n in report.run_notes if n.startswith("UNVERIFIED")]
    lines = [*warnings, *report.submission_notes, ""] if report.submission_notes else [*warnings]
    shown = [r for r in report.results if reveal_hidden or not r.test.hidden]
    hidden = len(report.results) - len(shown)
    rows: dict[int, list[float]] = {}
    for r in shown:
        row = rows.setdefault(r.test.exercise, [0, 0, 0.0, 0.0])
        row[0] += r.passed
        row[1] += 1
        row[2] += r.score
        row[3] += r.test.points
    lines.append(f"{'Exercise':<46} {'Tests':>7} {'Points':>11}")
    for number in sorted(rows):
        ok, total, got, best = rows[number]
        title = f"{number:>2}  {exercise(number).title}"
        lines.append(f"{title:<46} {f'{ok:g}/{total:g}':>7} {f'{got:g}/{best:g}':>11}")
    ok = sum(r.passed for r in shown)
    got, best = sum(r.score for r in shown), sum(r.test.points for r in shown)
    label = "    Total" if reveal_hidden else "    Visible tests"
    lines.append(f"{label:<46} {f'{ok}/{len(shown)}':>7} {f'{got:g}/{best:g}':>11}")
    if hidden:
        lines.append(
            f"{hidden} hidden tests are graded too; their results appear after the due date."
        )
    failures = [r for r in shown if not r.passed]
    if failures:
        lines += ["", "Failed:"]
        for r in failures:
            first = _headline(r.output)
            lines.append(f"  {r.number:<5} {r.test.description[:50]:<50}  {first.strip()[:90]}")
    if report.answers is not None and (report.answers.questions or report.answers.answers):
        lines += ["", summary_line(report.answers) + " They are graded by hand."]
    for note in report.run_notes:
        if note not in warnings:
            lines.append(f"note: {note}")
    if reveal_hidden:  # the total includes hidden tests: a hidden test could signal through it
        lines.append(f"({report.execution_time:.1f} s)")
    else:
        lines.append(f"(visible tests: {visible_seconds(report):.1f} s)")
    return "\n".join(lines)


def visible_seconds(report: GradeReport) -> float:
    """The time the visible tests took, their own and nothing of the hidden ones."""
    return sum(r.duration for r in report.results if not r.test.hidden)


def _headline(output: str) -> str:
    """The most telling line of a failure: pytest's first ``E`` line, else the last line."""
    lines = [ln for ln in output.splitlines() if ln.strip()]
    errors = [ln[1:].strip() for ln in lines if ln.startswith("E ")]
    named = [ln for ln in errors if _EXCEPTION_LINE.match(ln)]
    if named:
        return named[-1]
    return errors[0] if errors else (lines[-1] if lines else "")
