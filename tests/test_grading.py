"""The autograded lab: markers, the handout, the grader, Gradescope output, planted bugs.

Grading runs pytest in a subprocess, a few seconds a run; the expensive
reports are computed once per module. In a student handout (which has no
solutions and no mutants) the tests that need the reference are skipped.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest
from _grading_helpers import (
    IN_HANDOUT,
    ROOT,
    STUB,
    TIMEOUT,
    reference_only,
    scores,
)

from lab.cli import main
from lab.errors import LabError
from lab.grading.exercises import EXERCISES, total_points
from lab.grading.grader import GradeReport, grade_submission
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
        if ex.integration:  # no code of its own: it runs the other exercises together
            assert not ex.file and not ex.functions, ex.label
            continue
        text = (ROOT / ex.file).read_text(encoding="utf-8")
        for function in ex.functions:
            owner, _, name = function.rpartition(".")
            found = re.search(rf"^class {owner}\b", text, flags=re.M) if owner else None
            start = found.start() if found else 0  # a method: look inside its class
            body = text[text.index(f"def {name}(", start) :]
            assert f"Exercise {ex.number}:" in body[: body.index('"""', body.index('"""') + 3)]
        if not IN_HANDOUT:
            solutions = [r for r in find_regions(text, path=ex.file) if r.kind == "solution"]
            sharing = [e for e in EXERCISES if e.file == ex.file]  # e.g. 10 and 11 in metrics.py
            assert len(solutions) == sum(len(e.functions) for e in sharing), ex.label


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
@pytest.mark.timeout(900)  # the first user of reference_report grades all 13 exercises
def test_reference_gets_full_marks(reference_report: GradeReport) -> None:
    failed = {r.number: r.output for r in reference_report.results if not r.passed}
    assert not failed
    assert reference_report.score == reference_report.max_score == total_points()
    assert {n: best for n, (_, best) in reference_report.exercise_scores().items()} == {
        ex.number: ex.points for ex in EXERCISES
    }
    assert reference_report.notes == ()


@pytest.mark.slow
@pytest.mark.timeout(900)
def test_handout_gets_zero_on_every_exercise_without_crashing(handout: Path) -> None:
    report = grade_submission(handout, per_test_timeout=TIMEOUT)
    assert scores(report) == {ex.number: 0.0 for ex in EXERCISES}
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
    assert isinstance(data["output"], str) and "Visible tests" in data["output"]
    graded = [t for t in data["tests"] if t["max_score"] > 0]  # the rest: written answers
    assert len(graded) == len(reference_report.results)
    assert len(data["tests"]) - len(graded) == (1 if reference_report.answers else 0)
    for test in data["tests"]:
        assert isinstance(test["name"], str) and re.fullmatch(r"\d+\.\d+", test["number"])
        assert isinstance(test["score"], float) and isinstance(test["max_score"], float)
        assert isinstance(test["output"], str) and test["visibility"] in VISIBILITIES
    assert {t["visibility"] for t in data["tests"]} == {"visible", "after_due_date"}
    assert sum(t["score"] for t in data["tests"]) == data["score"]
    assert validate_results({"score": "1", "tests": [{"name": 1, "visibility": "x"}]})


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
