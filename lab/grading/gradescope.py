"""Gradescope's ``results.json`` and the ``autograder.zip`` that produces it.

Gradescope's autograder specification: the zip holds ``setup.sh`` (run once
when the image is built) and ``run_autograder`` (run per submission, with
the student's files in ``/autograder/submission``), and the run must write
``/autograder/results/results.json``: a top-level ``score``,
``execution_time`` (seconds), ``output``, ``visibility``,
``stdout_visibility`` and ``tests``, each test with ``name``, ``number``,
``score``, ``max_score``, ``status``, ``output`` and ``visibility``
(``visible``, ``hidden``, ``after_due_date`` or ``after_published``).
Hidden tests are shown after the due date.
"""

from __future__ import annotations

import json
import stat
import zipfile
from pathlib import Path
from typing import Any

from lab.errors import LabError
from lab.fileio import write_text_atomic, write_with_atomic
from lab.grading.exercises import exercise
from lab.grading.grader import GradeReport, format_summary
from lab.grading.handout import is_excluded

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
    per_exercise = {
        str(n): {"score": got, "max_score": best}
        for n, (got, best) in report.exercise_scores().items()
    }
    return {
        "score": float(report.score),
        "execution_time": round(report.execution_time, 2),
        "output": format_summary(report, reveal_hidden=False),
        "visibility": "visible",
        "stdout_visibility": "hidden",
        "tests": tests,
        "extra_data": {"exercises": per_exercise, "max_score": float(report.max_score)},
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


SETUP_SH = """#!/usr/bin/env bash
# Gradescope image build: Python, the CPU build of PyTorch, the lab's dependencies.
set -euo pipefail
apt-get update
apt-get install -y python3 python3-pip python3-venv
python3 -m venv /autograder/venv
. /autograder/venv/bin/activate
python -m pip install --upgrade pip
python -m pip install --index-url https://download.pytorch.org/whl/cpu "torch=={torch_version}"
# Dependencies only: the reference package itself is never installed, so a
# submission can never fall back on it. The grader runs from /autograder/source.
python -m pip install -r /autograder/source/autograder-requirements.txt
"""

RUN_AUTOGRADER = """#!/usr/bin/env bash
# One submission: copy it aside, grade it, write /autograder/results/results.json.
set -uo pipefail
. /autograder/venv/bin/activate
rm -rf /tmp/submission && cp -r /autograder/submission /tmp/submission
mkdir -p /autograder/results
cd /autograder/source
python -m lab grade /tmp/submission --out /autograder/results/results.json \\
    --per-test-timeout {per_test_timeout:g} --overall-timeout {overall_timeout:g}
"""


def requirements_text(source_root: Path) -> str:
    """The pyproject dependencies (torch aside: setup.sh installs the CPU build) and
    what the grader itself needs."""
    text = (source_root / "pyproject.toml").read_text(encoding="utf-8")
    try:
        import tomllib
    except ImportError:  # Python 3.10: the dependencies are one plain list of strings
        block = text.split("dependencies = [", 1)[1].split("]", 1)[0]
        listed = [ln.strip().rstrip(",").strip('"') for ln in block.splitlines()]
        listed = [d for d in listed if d and not d.startswith("#")]
    else:
        listed = tomllib.loads(text)["project"]["dependencies"]
    deps = [d for d in listed if not d.startswith("torch")]
    return "\n".join([*deps, "pytest>=8", "pytest-timeout>=2.2", ""])


def write_bundle(
    path: Path,
    source_root: Path,
    *,
    per_test_timeout: float = 30.0,
    overall_timeout: float = 900.0,
) -> list[str]:
    """Write Gradescope's ``autograder.zip``: ``setup.sh`` and ``run_autograder`` at the
    root, plus the reference's ``lab``, ``baselines``, ``tests/exercises`` and
    ``pyproject.toml``. Returns the archive's file names."""
    source_root = Path(source_root)
    members: dict[str, bytes] = {
        "setup.sh": SETUP_SH.format(torch_version=_torch_pin(source_root)).encode(),
        "run_autograder": RUN_AUTOGRADER.format(
            per_test_timeout=per_test_timeout, overall_timeout=overall_timeout
        ).encode(),
        "autograder-requirements.txt": requirements_text(source_root).encode(),
        "pyproject.toml": (source_root / "pyproject.toml").read_bytes(),
    }
    for top in ("lab", "baselines", "tests/exercises"):
        for file in sorted((source_root / top).rglob("*")):
            rel = file.relative_to(source_root)
            if file.is_file() and not is_excluded(rel):
                members[rel.as_posix()] = file.read_bytes()

    def write(tmp: Path) -> None:
        with zipfile.ZipFile(tmp, "w", compression=zipfile.ZIP_DEFLATED) as zf:
            for name, data in members.items():
                info = zipfile.ZipInfo(name, date_time=(2024, 1, 1, 0, 0, 0))
                executable = name in ("setup.sh", "run_autograder")
                mode = 0o755 if executable else 0o644
                info.external_attr = (stat.S_IFREG | mode) << 16
                info.compress_type = zipfile.ZIP_DEFLATED
                zf.writestr(info, data)

    write_with_atomic(Path(path), write)
    return list(members)


def _torch_pin(root: Path) -> str:
    """The torch version CI pins (``requirements/ci.txt``): the bundle installs exactly it."""
    path = Path(root) / "requirements" / "ci.txt"
    for line in path.read_text(encoding="utf-8").splitlines() if path.is_file() else []:
        line = line.split("#")[0].strip()
        if line.startswith("torch=="):
            return line.removeprefix("torch==")
    raise LabError(f"{path} pins no torch version (torch==X.Y.Z) for the bundle")
