"""The Gradescope bundle, built by the CLI and run as Gradescope runs it.

Gradescope unpacks ``autograder.zip`` in ``/autograder/source``, puts the
student's files in ``/autograder/submission`` and runs ``run_autograder``;
here the same scripts run under ``AUTOGRADER_ROOT=<tmp>`` with this
virtualenv standing in for the one ``setup.sh`` builds (which needs the
network), so what is checked is the zip an instructor uploads.
"""

from __future__ import annotations

import importlib.metadata
import json
import os
import platform
import re
import shutil
import subprocess
import sys
import zipfile
from pathlib import Path
from typing import Any

import pytest
from _grading_helpers import ROOT, copy_reference, reference_only
from test_answers import markdown, write_notebook

from lab.cli import main
from lab.grading.answers import ENTRY_NAME
from lab.grading.exercises import EXERCISES, exercise, total_points
from lab.grading.gradescope import validate_results, write_bundle
from lab.grading.handout import write_handout
from lab.grading.inventory import read_inventory

VENV = Path(sys.prefix)
in_a_venv = pytest.mark.skipif(
    not (VENV / "bin" / "activate").is_file(), reason="run_autograder activates a virtualenv"
)
PIN = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]*==[A-Za-z0-9.+!-]+")


def run_autograder(root: Path, *args: str) -> dict[str, Any]:
    """``run_autograder`` under ``root``, as Gradescope would start it; its results.json."""
    env = {k: v for k, v in os.environ.items() if k != "PYTHONPATH"}
    env.update(AUTOGRADER_ROOT=str(root), AUTOGRADER_VENV=str(VENV))
    script = root / "source" / "run_autograder"
    done = subprocess.run(
        ["bash", str(script), *args], env=env, capture_output=True, text=True, timeout=900
    )
    results = root / "results" / "results.json"
    assert results.is_file(), done.stderr[-2000:]
    data: dict[str, Any] = json.loads(results.read_text(encoding="utf-8"))
    assert validate_results(data) == []
    return data


def submit(root: Path, files: Path) -> None:
    """Put ``files`` where Gradescope puts a submission (replacing the last one)."""
    shutil.rmtree(root / "submission", ignore_errors=True)
    shutil.copytree(files, root / "submission", symlinks=True)


@reference_only
@in_a_venv
@pytest.mark.slow
def test_the_bundle_grades_the_reference_and_the_handout_end_to_end(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    bundle = tmp_path / "autograder.zip"
    assert main(["grade", "--gradescope", str(bundle)]) == 0
    told = capsys.readouterr().out
    assert f"autograded points: {total_points()}" in told
    assert re.search(
        "add a manually graded question for the written answers|nothing to grade", told
    )
    root = tmp_path / "autograder"
    with zipfile.ZipFile(bundle) as zf:
        zf.extractall(root / "source")
    where = subprocess.run(  # the bundle's own lab, not this checkout's nor an installed one
        [VENV / "bin" / "python", "-c", "import lab; print(lab.__file__)"],
        cwd=root / "source", capture_output=True, text=True, check=True,
        env={k: v for k, v in os.environ.items() if k != "PYTHONPATH"},
    ).stdout  # fmt: skip
    assert Path(where.strip()).is_relative_to(root / "source")

    # The reference, with written answers, on two exercises (the cheap part of the run).
    reference = copy_reference(tmp_path / "reference")
    write_notebook(
        reference / "notebooks" / "lab.ipynb",
        [markdown("Why?"), markdown("Because.", "temperature-1"), markdown("", "perplexity-1")],
    )
    submit(root, reference)
    graded = [6, 8]
    data = run_autograder(root, *[f"--exercise={n}" for n in graded])
    autograded = [t for t in data["tests"] if t["name"] != ENTRY_NAME]
    assert data["score"] == sum(exercise(n).points for n in graded)
    assert all(t["score"] == t["max_score"] for t in autograded)
    [answers] = [t for t in data["tests"] if t["name"] == ENTRY_NAME]
    assert answers["visibility"] == "visible" and answers["max_score"] == 0
    assert "[temperature-1]\nBecause." in answers["output"]
    assert "[perplexity-1] EMPTY" in answers["output"]

    # The handout, every exercise: zero, hidden tests kept for after the due date.
    handout = tmp_path / "handout"
    write_handout(ROOT, handout)
    submit(root, handout)
    data = run_autograder(root)
    assert data["score"] == 0 and data["extra_data"]["max_score"] == total_points()
    hidden = [t for t in read_inventory(ROOT / "tests" / "exercises") if t.hidden]
    by_visibility = {v: [t for t in data["tests"] if t["visibility"] == v] for v in ("visible", "after_due_date")}  # fmt: skip
    assert len(by_visibility["after_due_date"]) == len(hidden) > 0
    assert len(data["tests"]) == len(by_visibility["visible"]) + len(hidden)
    assert {n for t in data["tests"] for n in t.get("tags", [])} >= {
        f"exercise-{ex.number}" for ex in EXERCISES
    }
    for test in hidden:
        assert test.description not in data["output"] and test.function not in data["output"]
    hidden_numbers = {t["number"] for t in by_visibility["after_due_date"]}
    listed = {ln.split()[0] for ln in data["output"].splitlines() if ln.startswith("  ")}
    assert listed and not listed & hidden_numbers  # failures listed, none of them hidden
    assert f"{len(hidden)} hidden tests are graded too" in data["output"]

    # A grading that cannot start still leaves results for Gradescope, with the reason.
    data = run_autograder(root, "--exercise=99")
    assert data["score"] == 0 and data["tests"] == [] and "no exercise 99" in data["output"]


def test_the_bundle_pins_every_package_it_installs(tmp_path: Path) -> None:
    bundle = tmp_path / "autograder.zip"
    names = write_bundle(bundle, ROOT)
    assert {"MANUAL_GRADING.md", "autograder-requirements.txt", "run_autograder"} <= set(names)
    with zipfile.ZipFile(bundle) as zf:
        setup = zf.read("setup.sh").decode()
        requirements = zf.read("autograder-requirements.txt").decode()
        run = zf.read("run_autograder").decode()
    lines = [ln for ln in requirements.splitlines() if ln and not ln.startswith("#")]
    assert lines and all(PIN.fullmatch(ln) for ln in lines), lines
    pins = {ln.split("==")[0].lower(): ln.split("==")[1] for ln in lines}
    tomllib = pytest.importorskip("tomllib")
    listed = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]["dependencies"]
    wanted = [re.match(r"[A-Za-z0-9._-]+", d).group(0) for d in listed]  # type: ignore[union-attr]
    for name in [*wanted, "pytest", "pytest-timeout"]:
        if name != "torch":
            assert pins[name.lower()] == importlib.metadata.version(name), name
    assert "torch" not in pins  # setup.sh installs its CPU build, pinned as CI pins it
    ci_torch = (ROOT / "requirements" / "ci.txt").read_text().split("torch==")[1].split()[0]
    assert f'"torch=={ci_torch}"' in setup
    assert f'"pip=={importlib.metadata.version("pip")}"' in setup
    python = ".".join(platform.python_version_tuple()[:2])
    assert f"python{python} -m venv" in setup
    installs = [m.start() for m in re.finditer(r"apt-get install", setup)]
    assert installs and setup.index("apt-get update") < min(installs)
    assert '-r "$root/source/autograder-requirements.txt"' in setup
    for script in (setup, run):
        assert 'root="${AUTOGRADER_ROOT:-/autograder}"' in script
        assert re.search(r"pip install(?! -r)(?!.*==)", script) is None  # nothing unpinned


@reference_only
@in_a_venv
@pytest.mark.slow
@pytest.mark.skipif(
    os.environ.get("TEXTGEN_LOAD_TEST") != "1",
    reason="grades everything twice beside two busy processes (over 5 minutes): run with "
    "TEXTGEN_LOAD_TEST=1; the README records a measured run",
)
@pytest.mark.timeout(2400)
def test_the_bundle_gives_full_marks_on_a_busy_machine(tmp_path: Path) -> None:
    """With two busy processes beside it (``while True: pass``), the Gradescope layout
    grades the reference at full marks and the handout at zero: the per-test limits credit
    the wait for a CPU (:mod:`lab.grading.budget`) instead of failing slow tests."""
    bundle = tmp_path / "autograder.zip"
    write_bundle(bundle, ROOT)
    root = tmp_path / "autograder"
    with zipfile.ZipFile(bundle) as zf:
        zf.extractall(root / "source")
    busy = [subprocess.Popen([sys.executable, "-c", "while True: pass"]) for _ in range(2)]
    try:
        submit(root, copy_reference(tmp_path / "reference"))
        data = run_autograder(root)
        failed = [t["name"] + ": " + t["output"][-300:] for t in data["tests"]
                  if t["score"] < t["max_score"]]  # fmt: skip
        assert data["score"] == total_points() == sum(t["max_score"] for t in data["tests"]), failed
        write_handout(ROOT, tmp_path / "handout")
        submit(root, tmp_path / "handout")
        assert run_autograder(root)["score"] == 0
    finally:
        for proc in busy:
            proc.kill()
            proc.wait()
