"""``textgen-lab grade``: run the exercise tests against a submission, write results.json."""

from __future__ import annotations

import argparse
from pathlib import Path

from lab.cli.options import finite_float
from lab.errors import LabError
from lab.grading.exercises import total_points
from lab.grading.grader import (
    format_summary,
    grade_submission,
    project_root,
    reference_questions,
)
from lab.grading.gradescope import write_bundle, write_results


def register(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    p = subparsers.add_parser(
        "grade", help="grade a submission folder and write Gradescope's results.json"
    )
    p.add_argument(
        "submission",
        type=Path,
        nargs="?",
        help="folder holding the submission's lab/ (and baselines/)",
    )
    p.add_argument("--out", type=Path, default=Path("results.json"), help="results.json to write")
    p.add_argument(
        "--exercise", type=int, action="append", default=None, metavar="N",
        help="grade only exercise N (repeatable)",
    )  # fmt: skip
    p.add_argument(
        "--per-test-timeout",
        type=positive_seconds,
        default=30.0,
        metavar="SECONDS",
        help="a test running longer scores zero (default: %(default)s)",
    )
    p.add_argument(
        "--overall-timeout",
        type=positive_seconds,
        default=900.0,
        metavar="SECONDS",
        help="the whole grading run stops after this (default: %(default)s)",
    )
    p.add_argument(
        "--gradescope", type=Path, default=None, metavar="ZIP",
        help="also (or, without SUBMISSION, only) write Gradescope's autograder.zip here",
    )  # fmt: skip
    p.set_defaults(func=run)


def positive_seconds(text: str) -> float:
    """An argparse type: a finite, positive number of seconds."""
    value = finite_float(text)
    if value <= 0:
        raise argparse.ArgumentTypeError(f"must be positive, not {text}")
    return value


def run(args: argparse.Namespace) -> int:
    if args.gradescope is not None:
        names = write_bundle(
            args.gradescope,
            project_root(),
            per_test_timeout=args.per_test_timeout,
            overall_timeout=args.overall_timeout,
        )
        print(f"wrote {args.gradescope} ({len(names)} files)")
        print(bundle_advice(project_root()))
        if args.submission is None:
            return 0
    if args.submission is None:
        raise LabError("give a SUBMISSION folder to grade (or --gradescope ZIP)")
    report = grade_submission(
        args.submission,
        exercises=args.exercise,
        per_test_timeout=args.per_test_timeout,
        overall_timeout=args.overall_timeout,
    )
    write_results(args.out, report)
    print(format_summary(report))
    print(report.limits)
    print(f"wrote {args.out}")
    return 0


def bundle_advice(root: Path) -> str:
    """What the instructor sets on Gradescope, which cannot be read from the zip."""
    questions = reference_questions(root)
    lines = [
        f"autograded points: {total_points()} (set them as the assignment's autograder points)"
    ]
    if questions:
        ids = ", ".join(q.id for q in questions)
        lines.append(
            f"add a manually graded question for the written answers ({len(questions)}: {ids}); "
            "MANUAL_GRADING.md in the bundle lists them"
        )
    else:
        lines.append("no written answers in notebooks/lab.ipynb: nothing to grade by hand")
    return "\n".join(lines)
