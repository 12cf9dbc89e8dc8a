"""The autograded lab: markers, the handout, the grader, Gradescope output, planted bugs.

Grading runs pytest in a subprocess, a few seconds a run; the expensive
reports are computed once per module. In a student handout (which has no
solutions and no mutants) the tests that need the reference are skipped.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
import zipfile
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest

from lab.cli import main
from lab.errors import LabError
from lab.grading.exercises import EXERCISES, total_points
from lab.grading.grader import GradeReport, find_submission_root, grade_submission
from lab.grading.gradescope import VISIBILITIES, validate_results, write_results
from lab.grading.handout import MANIFEST, write_handout
from lab.grading.inventory import read_inventory
from lab.grading.markers import (
    BEGIN_HIDDEN,
    BEGIN_SOLUTION,
    END_HIDDEN,
    END_SOLUTION,
    MarkerError,
    find_regions,
    strip_regions,
)

ROOT = Path(__file__).resolve().parents[1]
IN_HANDOUT = (ROOT / MANIFEST).is_file()
MUTANTS = ROOT / "tests" / "mutants" / "mutants.json"
reference_only = pytest.mark.skipif(IN_HANDOUT, reason="the handout has no reference solutions")
STUB = re.compile(r'^(\s*)raise NotImplementedError\("Exercise (\d+): ')
TIMEOUT = 20.0  # per test; the exercise tests take well under a second each


def _copy_reference(dest: Path, edits: Sequence[tuple[str, str, str]] = ()) -> Path:
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


def _scores(report: GradeReport) -> dict[int, float]:
    return {n: got for n, (got, _) in report.exercise_scores().items()}


def _inject(root: Path, file: str, function: str, lines: Sequence[str]) -> None:
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


# --- markers --------------------------------------------------------------------------------
def test_strip_replaces_solutions_and_drops_hidden_tests() -> None:
    src = "\n".join(
        ["def f(x):", '    """Doc."""', f"    {BEGIN_SOLUTION}", "    y = x + 1", "    return y",
         f"    {END_SOLUTION}", "", BEGIN_HIDDEN, "def test_h():", "    pass", END_HIDDEN,
         "def g():", "    return 2", ""]
    )  # fmt: skip
    regions = find_regions(src)
    assert [(r.kind, r.begin, r.end, r.indent) for r in regions] == [
        ("solution", 3, 6, "    "),
        ("hidden", 8, 11, ""),
    ]
    out = strip_regions(src, stub_message=lambda r: "Exercise 9: f")
    expected = ["def f(x):", '    """Doc."""', '    raise NotImplementedError("Exercise 9: f")', "",
                "def g():", "    return 2", ""]  # fmt: skip
    assert out == "\n".join(expected)
    namespace: dict[str, object] = {}
    exec(compile(out, "<stub>", "exec"), namespace)
    with pytest.raises(NotImplementedError, match="Exercise 9"):
        namespace["f"](1)  # type: ignore[operator]
    assert strip_regions("x = 1  # BEGIN SOLUTION is not a marker here\n") == (
        "x = 1  # BEGIN SOLUTION is not a marker here\n"
    )


@pytest.mark.parametrize(
    ("lines", "where", "words"),
    [
        (["def f():", "    return 1", f"    {END_SOLUTION}"], 3, "without a matching BEGIN"),
        (["def f():", f"    {BEGIN_SOLUTION}", "    return 1"], 2, "never closed"),
        (["def f():", f"    {BEGIN_SOLUTION}", f"    {BEGIN_SOLUTION}"], 3, "cannot nest"),
        ([BEGIN_HIDDEN, "def f():", f"    {BEGIN_SOLUTION}"], 3, "cannot nest"),
        (["def f():", f"    {BEGIN_SOLUTION}", f"    {END_HIDDEN}"], 3, "closes the solution"),
        ([BEGIN_SOLUTION, "x = 1", END_SOLUTION], 1, "module level"),
    ],
)
def test_bad_markers_are_refused_with_their_line(lines: list[str], where: int, words: str) -> None:
    with pytest.raises(MarkerError, match=rf"^lab/x\.py:{where}: .*{words}"):
        strip_regions("\n".join(lines) + "\n", path="lab/x.py")


def test_exercise_table_matches_sources_and_tests() -> None:
    tests = read_inventory(ROOT / "tests" / "exercises")
    assert [ex.number for ex in EXERCISES] == list(range(1, len(EXERCISES) + 1))
    for ex in EXERCISES:
        mine = [t for t in tests if t.exercise == ex.number]
        assert (ROOT / "tests" / "exercises" / ex.test_module).is_file()
        points = sum(t.points for t in mine)
        assert points <= ex.points if IN_HANDOUT else points == ex.points, ex.label
        assert any(not t.hidden for t in mine), f"{ex.label} has no visible test"
        assert IN_HANDOUT or any(t.hidden for t in mine), f"{ex.label} has no hidden test"
        text = (ROOT / ex.file).read_text(encoding="utf-8")
        for function in ex.functions:
            name = function.rsplit(".", 1)[-1]
            body = text[text.index(f"def {name}(") :]
            assert f"Exercise {ex.number}:" in body[: body.index('"""', body.index('"""') + 3)]
        if not IN_HANDOUT:
            solutions = [r for r in find_regions(text, path=ex.file) if r.kind == "solution"]
            assert len(solutions) == len(ex.functions), ex.label


# --- the handout ----------------------------------------------------------------------------
@pytest.fixture(scope="module")
def handout(tmp_path_factory: pytest.TempPathFactory) -> Path:
    if IN_HANDOUT:
        pytest.skip("the handout has no solutions to hand out")
    return write_handout(ROOT, tmp_path_factory.mktemp("release") / "student").out_dir


@reference_only
def test_handout_stubs_solutions_and_keeps_everything_else(handout: Path) -> None:
    stubs = 0
    for ref in sorted((ROOT / "lab").rglob("*.py")) + sorted((ROOT / "baselines").rglob("*.py")):
        rel = ref.relative_to(ROOT)
        original = ref.read_text(encoding="utf-8").splitlines()
        released = (handout / rel).read_text(encoding="utf-8").splitlines()
        regions = [r for r in find_regions("\n".join(original)) if r.kind == "solution"]
        kept = [
            ln
            for i, ln in enumerate(original, 1)
            if not any(r.begin <= i <= r.end for r in regions)
        ]
        stub_lines = [ln for ln in released if STUB.match(ln) and ln not in original]
        assert [ln for ln in released if ln not in stub_lines] == kept, rel
        assert [STUB.match(ln).group(1) for ln in stub_lines] == [r.indent for r in regions]  # type: ignore[union-attr]
        stubs += len(stub_lines)
    assert stubs == sum(len(ex.functions) for ex in EXERCISES)


def test_handout_has_student_readme_and_no_hidden_tests(handout: Path) -> None:
    for path in handout.rglob("*.py"):
        assert find_regions(path.read_text(encoding="utf-8"), path=str(path)) == [], path
    ref_tests = read_inventory(ROOT / "tests" / "exercises")
    released = read_inventory(handout / "tests" / "exercises")
    assert [t.nodeid for t in released] == [t.nodeid for t in ref_tests if not t.hidden]
    assert not (handout / "tests" / "mutants").exists()
    assert not any(
        p.name in (".git", "runs", "dist") or p.name.startswith(".venv") for p in handout.iterdir()
    )
    readme = (handout / "README.md").read_text(encoding="utf-8")
    for ex in EXERCISES:
        assert f"Exercise {ex.number}: {ex.title}" in readme and ex.file in readme
    assert (handout / "notebooks" / "lab.ipynb").is_file()
    assert json.loads((handout / MANIFEST).read_text())["total_points"] == total_points()


def test_handout_imports_and_its_tests_collect(handout: Path) -> None:
    modules = "lab.text.vocabulary lab.neural.batching lab.neural.network lab.neural.training "
    modules += "lab.neural.decoding lab.models.scoring "
    modules += "lab.evaluation.metrics lab.neural.generators baselines.markov lab.grading.grader"
    code = f"import importlib, lab.cli\nfor m in {modules.split()!r}: importlib.import_module(m)\n"
    code += "lab.cli.build_parser()"
    env = os.environ | {"PYTHONPATH": str(handout), "PYTHONDONTWRITEBYTECODE": "1"}
    run = subprocess.run(
        [sys.executable, "-c", code], cwd=handout, env=env, capture_output=True, text=True
    )
    assert run.returncode == 0, run.stderr
    collect = subprocess.run(
        [sys.executable, "-m", "pytest", "--collect-only", "-q", "-p", "no:cacheprovider"],
        cwd=handout, env=env, capture_output=True, text=True, timeout=300,
    )  # fmt: skip
    assert collect.returncode == 0, collect.stdout[-3000:] + collect.stderr[-3000:]
    assert "error" not in collect.stdout.lower().split("collected")[-1]


def test_handout_refuses_bad_destinations(tmp_path: Path) -> None:
    with pytest.raises(LabError, match="reference itself"):
        write_handout(ROOT, ROOT)
    with pytest.raises(LabError, match="inside lab/"):
        write_handout(ROOT, ROOT / "lab" / "student")
    (tmp_path / "precious").mkdir()
    (tmp_path / "precious" / "notes.txt").write_text("keep me")
    with pytest.raises(LabError, match="--force"):
        write_handout(ROOT, tmp_path / "precious")
    with pytest.raises(LabError, match="not a handout"):
        write_handout(ROOT, tmp_path / "precious", force=True)
    assert (tmp_path / "precious" / "notes.txt").read_text() == "keep me"


def test_handout_refuses_unbalanced_markers_and_writes_nothing(tmp_path: Path) -> None:
    source = tmp_path / "src"
    (source / "lab").mkdir(parents=True)
    (source / "lab" / "broken.py").write_text(f"def f():\n    {BEGIN_SOLUTION}\n    return 1\n")
    with pytest.raises(MarkerError, match=r"lab/broken\.py:2: .*never closed"):
        write_handout(source, tmp_path / "out")
    assert not (tmp_path / "out").exists()
    assert main(["handout", "--source", str(source), "--out", str(tmp_path / "out")]) == 2


# --- grading ----------------------------------------------------------------------------------
@pytest.fixture(scope="module")
def reference_report() -> GradeReport:
    return grade_submission(ROOT, per_test_timeout=TIMEOUT)


@reference_only
@pytest.mark.slow
def test_reference_gets_full_marks(reference_report: GradeReport) -> None:
    failed = {r.number: r.output for r in reference_report.results if not r.passed}
    assert not failed
    assert reference_report.score == reference_report.max_score == total_points()
    assert {n: best for n, (_, best) in reference_report.exercise_scores().items()} == {
        ex.number: ex.points for ex in EXERCISES
    }
    assert reference_report.notes == ()


@pytest.mark.slow
def test_handout_gets_zero_on_every_exercise_without_crashing(handout: Path) -> None:
    report = grade_submission(handout, per_test_timeout=TIMEOUT)
    assert _scores(report) == {ex.number: 0.0 for ex in EXERCISES}
    assert report.max_score == total_points()
    assert all("NotImplementedError" in r.output for r in report.results)
    assert report.notes == ()  # no crash, no time-out: every test reported


@reference_only
def test_results_json_has_the_gradescope_fields(
    reference_report: GradeReport, tmp_path: Path
) -> None:
    write_results(tmp_path / "results.json", reference_report)
    data = json.loads((tmp_path / "results.json").read_text())
    assert validate_results(data) == []
    assert isinstance(data["score"], float) and isinstance(data["execution_time"], (int, float))
    assert data["visibility"] in VISIBILITIES and data["stdout_visibility"] in VISIBILITIES
    assert isinstance(data["output"], str) and "Total" in data["output"]
    assert len(data["tests"]) == len(reference_report.results)
    for test in data["tests"]:
        assert isinstance(test["name"], str) and re.fullmatch(r"\d+\.\d+", test["number"])
        assert isinstance(test["score"], float) and isinstance(test["max_score"], float)
        assert isinstance(test["output"], str) and test["visibility"] in VISIBILITIES
    assert {t["visibility"] for t in data["tests"]} == {"visible", "after_due_date"}
    assert sum(t["score"] for t in data["tests"]) == data["score"]
    assert validate_results({"score": "1", "tests": [{"name": 1, "visibility": "x"}]})


@reference_only
@pytest.mark.slow
@pytest.mark.skipif(not MUTANTS.is_file(), reason="the planted bugs are not in the handout")
def test_every_planted_bug_costs_its_exercise_and_no_other(tmp_path: Path) -> None:
    mutants = json.loads(MUTANTS.read_text())["mutants"]
    assert {m["exercise"] for m in mutants} == {ex.number for ex in EXERCISES}

    def grade(mutant: dict[str, object]) -> tuple[dict[str, object], GradeReport]:
        edit = (str(mutant["file"]), str(mutant["find"]), str(mutant["replace"]))
        submission = _copy_reference(tmp_path / str(mutant["id"]), [edit])
        return mutant, grade_submission(submission, per_test_timeout=TIMEOUT)

    problems = []
    with ThreadPoolExecutor(max_workers=2) as pool:
        for mutant, report in pool.map(grade, mutants):
            scores, full = _scores(report), {ex.number: float(ex.points) for ex in EXERCISES}
            bad = int(mutant["exercise"])  # type: ignore[call-overload]
            others = {n: s for n, s in scores.items() if n != bad and s != full[n]}
            if scores[bad] >= full[bad] or others:
                problems.append(f"{mutant['id']}: {scores}")
    assert not problems


@reference_only
@pytest.mark.slow
def test_syntax_errors_and_crashes_score_zero_for_their_tests_only(tmp_path: Path) -> None:
    submission = _copy_reference(tmp_path)
    _inject(submission, "lab/neural/decoding.py", "apply_temperature", ["return ("])
    _inject(submission, "lab/models/scoring.py", "perplexity", EXIT_3)
    _inject(submission, "lab/evaluation/metrics.py", "distinct_n", SEGFAULT)
    report = grade_submission(submission, per_test_timeout=TIMEOUT)
    expected = {ex.number: float(ex.points) for ex in EXERCISES} | {5: 0.0, 6: 0.0, 7: 0.0}
    assert _scores(report) == expected
    outputs = {
        n: " ".join(r.output for r in report.results if r.test.exercise == n) for n in (5, 6, 7)
    }
    assert "SyntaxError" in outputs[5]
    assert "exited with code 3" in outputs[6]
    assert "SIGSEGV" in outputs[7]
    assert any("restarted" in note for note in report.notes)


@reference_only
@pytest.mark.slow
def test_infinite_loops_time_out_and_score_zero(tmp_path: Path) -> None:
    submission = _copy_reference(tmp_path)
    _inject(submission, "lab/evaluation/metrics.py", "distinct_n", LOOP)
    _inject(submission, "lab/models/scoring.py", "perplexity", STUBBORN_LOOP)
    report = grade_submission(
        submission, exercises=[6, 7], per_test_timeout=1.0, overall_timeout=120, watchdog_grace=0.5
    )
    assert _scores(report) == {6: 0.0, 7: 0.0}
    assert all("Timeout" in r.output for r in report.results if r.test.exercise == 7)
    assert all("killed" in r.output for r in report.results if r.test.exercise == 6)
    assert report.execution_time < 60


@reference_only
def test_the_overall_time_limit_zeroes_what_did_not_report(tmp_path: Path) -> None:
    submission = _copy_reference(tmp_path)
    _inject(submission, "lab/evaluation/metrics.py", "distinct_n", LOOP)
    report = grade_submission(submission, exercises=[7, 8], per_test_timeout=60, overall_timeout=4)
    assert _scores(report) == {7: 0.0, 8: 0.0}
    assert any("overall time limit" in note for note in report.notes)
    assert report.execution_time < 30


def test_a_submission_without_lab_is_graded_as_the_untouched_handout(tmp_path: Path) -> None:
    (tmp_path / "wrapper" / "notes").mkdir(parents=True)
    assert find_submission_root(tmp_path) is None
    report = grade_submission(tmp_path, exercises=[6], per_test_timeout=TIMEOUT)
    graded = [t for t in read_inventory(ROOT / "tests" / "exercises") if t.exercise == 6]
    assert report.score == 0 and report.max_score == sum(t.points for t in graded)
    assert any("no lab/ folder" in note for note in report.notes)
    (tmp_path / "wrapper" / "lab").mkdir()
    assert find_submission_root(tmp_path) == tmp_path / "wrapper"


@reference_only
def test_symlinks_to_the_reference_are_not_graded(tmp_path: Path) -> None:
    (tmp_path / "lab").mkdir()
    (tmp_path / "lab" / "evaluation.py").symlink_to(ROOT / "lab" / "evaluation.py")
    report = grade_submission(tmp_path, exercises=[6], per_test_timeout=TIMEOUT)
    assert report.score == 0
    assert all("NotImplementedError" in r.output for r in report.results)


@reference_only
def test_grade_command_writes_results_and_the_gradescope_bundle(tmp_path: Path) -> None:
    results, bundle = tmp_path / "results.json", tmp_path / "autograder.zip"
    args = [
        "grade",
        str(ROOT),
        "--exercise",
        "6",
        "--out",
        str(results),
        "--gradescope",
        str(bundle),
    ]
    assert main(args) == 0
    data = json.loads(results.read_text())
    assert validate_results(data) == [] and data["score"] == EXERCISES[5].points
    with zipfile.ZipFile(bundle) as zf:
        names = set(zf.namelist())
        assert {"setup.sh", "run_autograder", "lab/grading/grader.py"} <= names
        assert "tests/exercises/test_ex1_vocabulary.py" in names
        assert not any(n.startswith("tests/mutants") or "__pycache__" in n for n in names)
        assert (zf.getinfo("run_autograder").external_attr >> 16) & 0o111
        assert "/autograder/submission" in zf.read("run_autograder").decode()
    assert main(["grade", str(tmp_path / "missing")]) == 2
