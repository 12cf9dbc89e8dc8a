"""The wheel is complete: built from the project's files, installed in a fresh venv, it grades
the reference with full marks.

pyproject.toml finds the packages (nothing is listed by hand, so a new subpackage such as
``lab.grading.drivers`` cannot be left out) and ships what grading needs besides them, the
exercise tests and the notebook, inside ``lab/_reference``. The fresh venv borrows this
environment's dependencies (torch, pytest...) through a ``.pth`` file, but ``lab`` itself
comes from the wheel: the test checks where it is imported from and runs outside the checkout.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import sysconfig
import tempfile
import zipfile
from collections.abc import Iterator
from importlib.metadata import PackageNotFoundError, version
from pathlib import Path

import pytest

from lab.grading.exercises import EXERCISES, total_points
from tests._grading_helpers import ROOT, reference_only

# What the build reads: pyproject.toml and the folders it maps into the packages.
SOURCES = ("pyproject.toml", "README.md", "LICENSE", "lab", "baselines", "corpora",
           "notebooks", "tests/exercises")  # fmt: skip
IGNORE = shutil.ignore_patterns("__pycache__", "*.pyc", ".ipynb_checkpoints")


def _setuptools_can_build() -> bool:
    try:  # the license = "MIT" expression needs setuptools 77 (the build-system's floor)
        return int(version("setuptools").split(".")[0]) >= 77
    except (PackageNotFoundError, ValueError):
        return False


pytestmark = [
    reference_only,
    pytest.mark.skipif(not _setuptools_can_build(), reason="needs setuptools>=77 (the test extra)"),
]


def _run(cmd: list[str], cwd: Path, env: dict[str, str] | None = None) -> str:
    done = subprocess.run(cmd, cwd=cwd, env=env, capture_output=True, text=True, timeout=900)
    assert done.returncode == 0, f"{cmd[:4]} failed:\n{done.stdout[-3000:]}\n{done.stderr[-3000:]}"
    return done.stdout


@pytest.fixture(scope="module")
def wheel(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The wheel, built offline (no build isolation) from a copy of the project's files."""
    src = tmp_path_factory.mktemp("src")
    for name in SOURCES:
        if (ROOT / name).is_dir():
            shutil.copytree(ROOT / name, src / name, ignore=IGNORE)
        else:
            (src / name).parent.mkdir(parents=True, exist_ok=True)
            shutil.copyfile(ROOT / name, src / name)
    dist = tmp_path_factory.mktemp("dist")
    cmd = [sys.executable, "-m", "pip", "wheel", "--no-deps", "--no-build-isolation",
           "--no-index", "--disable-pip-version-check", "-q", "-w", str(dist), str(src)]  # fmt: skip
    _run(cmd, cwd=dist)
    (built,) = dist.glob("textgen_lab-*.whl")
    return built


@pytest.fixture(scope="module")
def venv(wheel: Path) -> Iterator[Path]:
    """A fresh venv with the wheel installed; the dependencies are this environment's.
    Readable by everyone (the grader's sandbox runs its python as another user)."""
    home = Path(tempfile.mkdtemp(prefix="textgen-wheel-"))
    try:
        os.chmod(home, 0o755)
        venv = home / "venv"
        _run([sys.executable, "-m", "venv", "--without-pip", str(venv)], cwd=home)
        python = venv / "bin" / "python"
        purelib = _run([str(python), "-c", "import sysconfig; print(sysconfig.get_path('purelib'))"], cwd=home).strip()  # fmt: skip
        ours = dict.fromkeys(sysconfig.get_path(k) for k in ("purelib", "platlib"))
        (Path(purelib) / "_borrowed_dependencies.pth").write_text("\n".join(ours) + "\n")
        # This environment's pip, run by the new python: it installs into the new venv (and
        # writes its textgen-lab script); -I: never touch the editable install it can see.
        cmd = [str(python), "-m", "pip", "install", "--no-deps", "--no-index", "-I", "-q",
               "--disable-pip-version-check", "--no-warn-script-location", str(wheel)]  # fmt: skip
        _run(cmd, cwd=home, env=_clean_env())
        yield venv
    finally:
        shutil.rmtree(home, ignore_errors=True)


def _clean_env() -> dict[str, str]:
    drop = ("PYTHONPATH", "PYTHONHOME", "VIRTUAL_ENV", "PYTHONSTARTUP")
    return {k: v for k, v in os.environ.items() if k not in drop}


def test_the_wheel_holds_every_package_and_what_grading_reads(wheel: Path) -> None:
    names = set(zipfile.ZipFile(wheel).namelist())
    for package in sorted({p.parent for p in ROOT.glob("lab/**/*.py")} | {ROOT / "baselines"}):
        init = package.relative_to(ROOT).as_posix()
        assert any(n.startswith(init + "/") and n.endswith(".py") for n in names), init
    shipped = {n.removeprefix("lab/_reference/exercises/") for n in names}
    exercise_files = (ROOT / "tests" / "exercises").iterdir()
    assert {p.name for p in exercise_files if p.suffix in (".py", ".json")} <= shipped
    assert {"lab/_corpora/catalog.json", "lab/_reference/lab.ipynb", "lab/py.typed",
            "lab/playground/static/index.html"} <= names  # fmt: skip
    assert not any("__pycache__" in n or n.startswith("tests/") for n in names)


@pytest.mark.slow
@pytest.mark.timeout(900)
def test_grade_of_the_reference_from_the_installed_wheel_scores_full_marks(venv: Path) -> None:
    work = venv.parent / "work"
    work.mkdir()
    env = _clean_env()
    where = _run([str(venv / "bin" / "python"), "-c", "import lab; print(lab.__file__)"], work, env)
    assert Path(where.strip()).resolve().is_relative_to(venv.resolve())
    reference = work / "reference"  # the reference's packages, as a submission
    for package in ("lab", "baselines"):
        shutil.copytree(ROOT / package, reference / package, ignore=IGNORE)
    out = _run([str(venv / "bin" / "textgen-lab"), "grade", str(reference), "--out", "results.json"], work, env)  # fmt: skip
    data = json.loads((work / "results.json").read_text(encoding="utf-8"))
    failed = {t["name"]: t["output"] for t in data["tests"] if t["score"] != t["max_score"]}
    assert not failed, out
    assert data["score"] == total_points() == sum(ex.points for ex in EXERCISES)
    # The handout and the Gradescope bundle are made from a checkout: one line says so.
    bundle = [str(venv / "bin" / "textgen-lab"), "grade", "--gradescope", "autograder.zip"]
    done = subprocess.run(bundle, cwd=work, env=env, capture_output=True, text=True, timeout=300)
    assert done.returncode == 2 and "not a source checkout" in done.stderr
    assert len(done.stderr.strip().splitlines()) == 1 and not (work / "autograder.zip").exists()
