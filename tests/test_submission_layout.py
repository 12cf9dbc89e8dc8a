"""What students upload: the handout folder, or loose exercise files, or something else.

Whatever the shape, the grader grades what it can place and says on the
first line of the results what it expected and what it found.
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path, PurePosixPath

import pytest
from _grading_helpers import DISTINCT, PPL, ROOT, TIMEOUT, reference_only, scores

from lab.grading.exercises import EXERCISES, Exercise, exercise, total_points
from lab.grading.grader import grade_submission
from lab.grading.gradescope import results_json, validate_results
from lab.grading.layout import detect_layout, exercise_files


def flat_upload(dest: Path, files: list[str]) -> Path:
    """The reference's ``files`` copied into ``dest`` without their folders."""
    dest.mkdir(parents=True, exist_ok=True)
    for file in files:
        shutil.copyfile(ROOT / file, dest / PurePosixPath(file).name)
    return dest


def first_line(data: dict[str, object]) -> str:
    return str(data["output"]).splitlines()[0]


def test_loose_files_map_to_their_exercise_files_by_name(tmp_path: Path) -> None:
    files = exercise_files()
    for file in files:  # stand-ins: the mapping reads names only
        (tmp_path / PurePosixPath(file).name).write_text("# mine\n")
    (tmp_path / "lab.ipynb").write_text("{}")
    layout = detect_layout(tmp_path)
    assert layout.root is None
    assert {dest: p.name for dest, p in layout.overlay.items()} == {
        f: PurePosixPath(f).name for f in files
    }
    assert layout.notebook == tmp_path / "lab.ipynb"
    assert len(layout.messages) == 1 and layout.messages[0].startswith("Graded your files by name")


def test_wrapped_folders_copies_and_case_are_recognised(tmp_path: Path) -> None:
    inner = tmp_path / "my-upload" / "week3"
    (inner / "lab").mkdir(parents=True)
    (inner / "notebooks").mkdir()
    (inner / "notebooks" / "lab.ipynb").write_text("{}")
    layout = detect_layout(tmp_path)
    assert layout.root == inner and layout.notebook == inner / "notebooks" / "lab.ipynb"
    assert layout.messages == ()
    (tmp_path / "other").mkdir()
    (tmp_path / "other" / "Markov (1).py").write_text("# mine\n")
    assert detect_layout(tmp_path / "other").overlay == {
        "baselines/markov.py": tmp_path / "other" / "Markov (1).py"
    }


def test_two_files_for_one_place_and_shared_names_are_refused(tmp_path: Path) -> None:
    (tmp_path / "markov.py").write_text("a = 1\n")
    (tmp_path / "Markov.py").write_text("a = 2\n")
    (tmp_path / "scoring.py").write_text("")
    table = (
        *EXERCISES,
        Exercise(98, "Twin", "lab/neural/scoring.py", ("f",), "", 1, "test_ex98_twin.py"),
    )
    layout = detect_layout(tmp_path, table)
    assert layout.overlay == {}
    assert any("both give baselines/markov.py: graded neither" in m for m in layout.messages)
    shared = next(m for m in layout.messages if m.startswith("scoring.py"))
    assert "lab/models/scoring.py or lab/neural/scoring.py" in shared and "folders" in shared
    # Beside a handout folder, a loose copy that differs loses to the folder's file.
    (tmp_path / "Markov.py").unlink()
    (tmp_path / "scoring.py").unlink()
    (tmp_path / "baselines").mkdir()
    (tmp_path / "baselines" / "markov.py").write_text("a = 3\n")
    layout = detect_layout(tmp_path)
    assert layout.root == tmp_path and layout.overlay == {}
    assert layout.messages == ("markov.py and baselines/markov.py both give "
                               "baselines/markov.py: graded baselines/markov.py (the folder's).",)  # fmt: skip


def test_links_are_never_followed(tmp_path: Path) -> None:
    (tmp_path / "markov.py").symlink_to(ROOT / "baselines" / "markov.py")
    (tmp_path / "lab").symlink_to(ROOT / "lab", target_is_directory=True)
    layout = detect_layout(tmp_path)
    assert layout.root is None and layout.overlay == {}
    assert layout.messages[0].startswith("Submission not recognised")


def test_an_empty_submission_says_what_was_expected_on_the_first_line(tmp_path: Path) -> None:
    report = grade_submission(tmp_path, exercises=[6], per_test_timeout=TIMEOUT)
    data = results_json(report)
    assert validate_results(data) == [] and data["score"] == 0
    line = first_line(data)
    assert line.startswith("Submission not recognised: no lab/ folder")
    assert "Expected the folder holding lab/ and baselines/ (zipped or as a folder)" in line
    assert "vocabulary.py" in line and line.endswith("Found: nothing (the submission is empty).")
    (tmp_path / "notes.txt").write_text("hello")
    (tmp_path / "Lab3.docx").write_bytes(b"PK")
    found = detect_layout(tmp_path).messages[0]
    assert found.endswith("Found: Lab3.docx, notes.txt.")


@reference_only
@pytest.mark.slow
def test_a_flat_upload_of_the_reference_files_scores_full_marks(tmp_path: Path) -> None:
    submission = flat_upload(tmp_path, exercise_files())
    report = grade_submission(submission, per_test_timeout=TIMEOUT)
    failed = {r.number: r.output for r in report.results if not r.passed}
    assert not failed
    assert report.score == report.max_score == total_points()
    data = results_json(report)
    assert first_line(data).startswith("Graded your files by name: vocabulary.py -> lab/text/")


@reference_only
def test_an_unknown_loose_file_is_named_on_top_and_the_rest_is_graded(tmp_path: Path) -> None:
    submission = flat_upload(tmp_path, ["lab/models/scoring.py", "lab/evaluation/metrics.py"])
    (submission / "helpers.py").write_text("def helper():\n    return 1\n")
    graded = {PPL: float(exercise(PPL).points), DISTINCT: float(exercise(DISTINCT).points)}
    report = grade_submission(submission, exercises=set(graded), per_test_timeout=TIMEOUT)
    assert scores(report) == graded
    data = results_json(report)
    line = first_line(data)
    assert line.startswith("Not graded: helpers.py (matches no exercise file). Expected the folder")
    assert "markov.py" in line  # the names it expected
    assert line.endswith("Found: helpers.py, metrics.py, scoring.py.")
    assert "metrics.py -> lab/evaluation/metrics.py" in data["output"]
    json.dumps(data)  # what Gradescope gets is plain JSON
