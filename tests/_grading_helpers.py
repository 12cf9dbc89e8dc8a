"""What the grading tests share: the reference checkout, copies of it with edits, scores."""

from __future__ import annotations

import json
import os
import pwd
import re
import shutil
import subprocess
import sys
import tempfile
from collections.abc import Sequence
from pathlib import Path
from typing import Any

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


# --- grading as an ordinary user ------------------------------------------------------------
NOBODY = "nobody"


def _as_user(cmd: list[str]) -> list[str]:
    """``cmd`` run as ``nobody`` when we are root, else as ourselves."""
    if os.geteuid() != 0:
        return cmd
    return ["setpriv", f"--reuid={NOBODY}", "--regid=nogroup", "--clear-groups", "--", *cmd]


def _readable_python(area: Path) -> str | None:
    """An interpreter ``nobody`` can run with this venv's packages, every file of it readable:
    ours if it is, else a venv of the system's Python of the same version over our packages."""
    probe = "import os, sys, torch; assert os.access(os.path.realpath(sys.executable), os.R_OK)"
    if subprocess.run(_as_user([sys.executable, "-c", probe]), capture_output=True).returncode == 0:
        return sys.executable
    system = Path(f"/usr/bin/python{sys.version_info.major}.{sys.version_info.minor}")
    if not system.is_file():
        return None
    venv = area / "venv"
    subprocess.run([str(system), "-m", "venv", "--without-pip", str(venv)], check=True)
    site = next((venv / "lib").glob("python*/site-packages"))
    ours = [p for p in sys.path if p.endswith("site-packages") and Path(p).is_dir()]
    (site / "textgen_lab_packages.pth").write_text(
        "".join(f"import site; site.addsitedir({p!r})\n" for p in ours), encoding="utf-8"
    )
    python = str(venv / "bin" / "python")
    done = subprocess.run(_as_user([python, "-c", probe]), capture_output=True)
    return python if done.returncode == 0 else None


def user_area() -> Path:
    """A folder under /tmp that ``nobody`` can read (pytest's tmp_path is root's alone)."""
    area = Path(tempfile.mkdtemp(prefix="textgen-test-user-", dir="/tmp"))
    os.chmod(area, 0o755)
    return area


def grade_as_user(submission: Path, exercises: Sequence[int], area: Path) -> dict[str, Any]:
    """``textgen-lab grade`` run as an ordinary user (``nobody`` when we are root) on a copy
    of this checkout and of ``submission``; its results.json. Skips, saying why, where this
    machine cannot run it."""
    if os.geteuid() == 0 and shutil.which("setpriv") is None:
        pytest.skip("grading as another user needs util-linux's setpriv")
    area.mkdir(mode=0o755, exist_ok=True)
    python = _readable_python(area)
    if python is None:
        pytest.skip("no interpreter with torch that nobody can read on this machine")
    checkout = area / "checkout"
    for part in ("lab", "baselines", "tests/exercises", "notebooks", "pyproject.toml"):
        if (ROOT / part).is_dir():
            shutil.copytree(
                ROOT / part, checkout / part, ignore=shutil.ignore_patterns("__pycache__")
            )
        elif (ROOT / part).is_file():
            shutil.copyfile(ROOT / part, checkout / part)
    copy = area / "submission"
    shutil.copytree(submission, copy, symlinks=True)
    out = area / "out"
    out.mkdir()
    for path in [area, *area.rglob("*")]:
        if not path.is_symlink():
            os.chmod(path, 0o755 if path.is_dir() else 0o644)
    if os.geteuid() == 0:
        os.chown(out, pwd.getpwnam(NOBODY).pw_uid, pwd.getpwnam(NOBODY).pw_gid)
    env = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "VIRTUAL_ENV")}
    env |= {"HOME": str(out), "TMPDIR": "/tmp"}
    args = [python, "-m", "lab", "grade", str(copy), "--out", str(out / "results.json")]
    args += [f"--exercise={n}" for n in exercises] + ["--per-test-timeout", str(TIMEOUT)]
    done = subprocess.run(
        _as_user(args), cwd=checkout, env=env, capture_output=True, text=True, timeout=600
    )
    assert (out / "results.json").is_file(), done.stdout[-2000:] + done.stderr[-2000:]
    data: dict[str, Any] = json.loads((out / "results.json").read_text(encoding="utf-8"))
    data["_stdout"] = done.stdout
    return data
