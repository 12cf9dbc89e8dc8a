"""Paths resolved safely: no link in any component of a submission's path is followed, each
run's copies are private, a file name that is not UTF-8 is one line of the results, and the
instructor's checkout is left with the modes it had."""

from __future__ import annotations

import errno
import json
import os
import stat
from pathlib import Path

import pytest
from _grading_helpers import PPL, ROOT, TIMEOUT, reference_only
from test_answers import markdown, write_notebook

from lab.grading import safepath
from lab.grading.answers import collect_answers
from lab.grading.confinement import Identity
from lab.grading.grader import grade_submission
from lab.grading.gradescope import write_results
from lab.grading.layout import detect_layout
from lab.grading.workspace import seal

OPENERS = ["openat2", "walk"]


@pytest.fixture(params=OPENERS)
def opener(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> str:
    """Both ways of opening: the kernel's openat2 and the component-wise walk."""
    if request.param == "walk":
        monkeypatch.setattr(safepath, "_openat2", lambda *args: None)
    return str(request.param)


def test_a_notebooks_folder_linked_to_another_submission_is_not_read(
    tmp_path: Path, opener: str
) -> None:
    other = tmp_path / "other-student"
    write_notebook(other / "notebooks" / "lab.ipynb", [markdown("THEIR ANSWER", "temperature-1")])
    mine = tmp_path / "mine"
    (mine / "lab").mkdir(parents=True)
    (mine / "notebooks").symlink_to(other / "notebooks")
    layout = detect_layout(mine)
    assert layout.notebook is not None
    sheet = collect_answers(layout.notebook, (), "notebooks/lab.ipynb", root=mine)
    assert not sheet.answers and "reached through a link" in sheet.problem
    with pytest.raises(OSError) as caught:
        safepath.open_beneath(mine, "notebooks/lab.ipynb")
    assert caught.value.errno in (errno.ELOOP, errno.EXDEV)
    with pytest.raises(OSError):
        safepath.open_beneath(mine, "../other-student/notebooks/lab.ipynb")
    write_notebook(mine / "own" / "lab.ipynb", [markdown("MINE", "temperature-1")])
    os.close(safepath.open_beneath(mine, "own/lab.ipynb"))  # no link: opened


def test_each_run_s_box_is_private(tmp_path: Path) -> None:
    box = tmp_path / "box"
    (box / "submission" / "lab").mkdir(parents=True)
    (box / "submission" / "lab" / "x.py").write_text("x = 1\n")
    seal(box, Identity(os.getuid(), os.getgid(), False, True))
    assert stat.S_IMODE(box.stat().st_mode) == 0o700
    assert stat.S_IMODE((box / "submission" / "lab" / "x.py").stat().st_mode) == 0o600
    if os.geteuid() == 0:  # a fresh uid's child reads it through its group, no one else
        seal(box, Identity(1_234_567, 1_234_567, True))
        info = (box / "submission" / "lab" / "x.py").stat()
        assert (stat.S_IMODE(info.st_mode), info.st_uid, info.st_gid) == (0o640, 0, 1_234_567)
        assert stat.S_IMODE(box.stat().st_mode) == 0o750


def _modes(root: Path) -> dict[str, int]:
    return {p.name: p.lstat().st_mode for p in [root, *root.iterdir()]}


@reference_only
@pytest.mark.slow
def test_a_name_that_is_not_utf8_is_reported_and_the_checkout_keeps_its_modes(
    tmp_path: Path,
) -> None:
    flat = tmp_path / "flat"
    flat.mkdir()
    (flat / "scoring.py").write_text((ROOT / "lab" / "models" / "scoring.py").read_text())
    with open(os.path.join(os.fsencode(flat), b"caf\xe9.py"), "w") as f:
        f.write("x = 1\n")
    before = _modes(ROOT)
    # As root without namespaces the grader hides its checkout by mode for the run.
    mode = "uid" if os.geteuid() == 0 else "auto"
    report = grade_submission(flat, exercises=[PPL], per_test_timeout=TIMEOUT, sandbox_user=mode)
    assert _modes(ROOT) == before
    assert report.score == report.max_score  # the loose scoring.py was graded
    out = tmp_path / "results.json"
    write_results(out, report)
    data = json.loads(out.read_text(encoding="utf-8"))
    lines = [ln for ln in data["output"].splitlines() if "UTF-8" in ln]
    assert len(lines) == 1 and "caf\N{REPLACEMENT CHARACTER}.py" in lines[0]
