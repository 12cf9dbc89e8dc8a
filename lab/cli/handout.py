"""``textgen-lab handout``: write the student release of this reference checkout."""

from __future__ import annotations

import argparse
from pathlib import Path

from lab.grading.grader import project_root
from lab.grading.handout import write_handout


def register(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    p = subparsers.add_parser(
        "handout",
        help="write the student release (solutions replaced by stubs, hidden tests removed)",
    )
    p.add_argument("--out", type=Path, default=Path("dist/student"), help="release folder")
    p.add_argument(
        "--source", type=Path, default=None, help="reference checkout (default: this one)"
    )
    p.add_argument("--force", action="store_true", help="replace an earlier handout at --out")
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    summary = write_handout(args.source or project_root(), args.out, force=args.force)
    print(
        f"wrote {summary.out_dir}: {summary.files} files, "
        f"{summary.solution_regions} solutions stubbed, "
        f"{summary.hidden_regions} hidden test regions removed"
    )
    return 0
