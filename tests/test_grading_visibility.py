"""What students see before the due date: hidden tests are counted, never named or explained."""

from __future__ import annotations

import zipfile
from pathlib import Path

from _grading_helpers import (
    PPL,
    ROOT,
    TIMEOUT,
    copy_reference,
    inject,
    reference_only,
)

from lab.grading.grader import format_summary, grade_submission
from lab.grading.gradescope import results_json, write_bundle
from lab.grading.inventory import read_inventory


@reference_only
def test_hidden_tests_stay_hidden_in_every_visible_output(tmp_path: Path) -> None:
    submission = copy_reference(tmp_path / "sub")
    # A bug that fails the perplexity exercise's hidden tests with a recognisable message.
    inject(submission, "lab/models/scoring.py", "perplexity", ['raise ValueError("SECRET-MARKER")'])
    report = grade_submission(submission, exercises=[PPL], per_test_timeout=TIMEOUT)
    hidden = [r for r in report.results if r.test.hidden]
    assert hidden and any(not r.passed for r in hidden)
    data = results_json(report)
    visible_text = data["output"] + "".join(
        t["output"] + t["name"] for t in data["tests"] if t["visibility"] == "visible"
    )
    for r in hidden:
        assert r.test.description not in visible_text and r.test.function not in visible_text
    hidden_numbers = {r.number for r in hidden}
    assert all(
        t["visibility"] == "after_due_date" for t in data["tests"] if t["number"] in hidden_numbers
    )
    failed_lines = [ln.split()[0] for ln in data["output"].splitlines() if ln.startswith("  ")]
    assert not hidden_numbers & set(failed_lines)  # no hidden test among the listed failures
    assert f"{len(hidden)} hidden tests" in data["output"]
    # The instructor's own summary shows everything.
    assert all(r.test.description[:50] in format_summary(report) for r in hidden if not r.passed)
    graded = [t for t in read_inventory(ROOT / "tests" / "exercises") if t.exercise == PPL]
    assert len(report.results) == len(graded)


def test_the_bundle_pins_torch_and_updates_apt_first(tmp_path: Path) -> None:
    bundle = tmp_path / "autograder.zip"
    write_bundle(bundle, ROOT)
    setup = zipfile.ZipFile(bundle).read("setup.sh").decode()
    pinned = (ROOT / "requirements" / "ci.txt").read_text().split("torch==")[1].split()[0]
    assert f'"torch=={pinned}"' in setup
    assert setup.index("apt-get update") < setup.index("apt-get install")
