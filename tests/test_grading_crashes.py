"""Submissions that crash, hang or hide: each scores zero where it fails, and the grader survives."""

from __future__ import annotations

import os
import shutil
import signal
import tempfile
from pathlib import Path

import pytest
from _grading_helpers import (
    DISTINCT,
    EXIT_3,
    LOOP,
    MARKOV,
    PPL,
    ROOT,
    SAMPLING,
    SEGFAULT,
    STUBBORN_LOOP,
    TIMEOUT,
    copy_reference,
    inject,
    reference_only,
    scores,
)

from lab.grading.budget import LOAD_ALLOWANCE
from lab.grading.confinement import identity_from_env
from lab.grading.exercises import EXERCISES
from lab.grading.grader import find_submission_root, grade_submission
from lab.grading.inventory import read_inventory
from lab.grading.runner import WATCHDOG_GRACE_SECONDS
from lab.grading.sandbox import Sandbox


@reference_only
@pytest.mark.slow
def test_syntax_errors_and_crashes_score_zero_for_their_tests_only(tmp_path: Path) -> None:
    submission = copy_reference(tmp_path)
    inject(submission, "lab/neural/decoding.py", "apply_temperature", ["return ("])
    inject(submission, "lab/models/scoring.py", "perplexity", EXIT_3)
    inject(submission, "lab/evaluation/metrics.py", "distinct_n", SEGFAULT)
    # The end-to-end exercise runs every piece together, so these crashes cost it too.
    units = {ex.number: float(ex.points) for ex in EXERCISES if not ex.integration}
    report = grade_submission(submission, exercises=set(units), per_test_timeout=TIMEOUT)
    # A syntax error breaks the whole file, so every exercise in decoding.py loses its points.
    broken_file = {ex.number: 0.0 for ex in EXERCISES if ex.file == "lab/neural/decoding.py"}
    expected = (
        units
        | broken_file
        | {
            SAMPLING: 0.0,
            PPL: 0.0,
            DISTINCT: 0.0,
        }
    )
    assert scores(report) == expected
    outputs = {
        n: " ".join(r.output for r in report.results if r.test.exercise == n)
        for n in (SAMPLING, PPL, DISTINCT)
    }
    assert "SyntaxError" in outputs[SAMPLING]
    assert "exited with code 3" in outputs[PPL]
    assert "SIGSEGV" in outputs[DISTINCT]
    # The crashes were the sandbox children's: the trusted test process never died.
    assert not any("restarted" in note for note in report.notes)


@reference_only
@pytest.mark.slow
def test_infinite_loops_time_out_and_score_zero(tmp_path: Path) -> None:
    submission = copy_reference(tmp_path)
    inject(submission, "lab/evaluation/metrics.py", "distinct_n", LOOP)
    inject(submission, "lab/models/scoring.py", "perplexity", STUBBORN_LOOP)
    report = grade_submission(
        submission,
        exercises=[PPL, DISTINCT],
        per_test_timeout=1.0,
        overall_timeout=120,
        watchdog_grace=0.5,
    )
    assert scores(report) == {PPL: 0.0, DISTINCT: 0.0}
    assert all("Timeout" in r.output for r in report.results if r.test.exercise == DISTINCT)
    assert all("killed" in r.output for r in report.results if r.test.exercise == PPL)
    assert report.execution_time < 60


@reference_only
def test_the_overall_time_limit_zeroes_what_did_not_report(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    submission = copy_reference(tmp_path)
    inject(submission, "lab/evaluation/metrics.py", "distinct_n", LOOP)
    # Every temporary folder of the run (the grader's, the trusted process's, the children's)
    # in one place of our own, which a fresh uid may pass through.
    temporary = Path(tempfile.mkdtemp(prefix="i24-overall-", dir="/tmp"))
    os.chmod(temporary, 0o711)
    monkeypatch.setenv("TMPDIR", str(temporary))
    monkeypatch.setattr(tempfile, "tempdir", str(temporary))
    try:
        report = grade_submission(
            submission, exercises=[DISTINCT, MARKOV], per_test_timeout=60, overall_timeout=4
        )
        # the trusted process was killed mid-test: its children's folders went all the same
        assert sorted(p.name for p in temporary.iterdir()) == []
    finally:
        shutil.rmtree(temporary, ignore_errors=True)
    assert scores(report) == {DISTINCT: 0.0, MARKOV: 0.0}
    assert any("overall time limit" in note for note in report.notes)
    assert report.execution_time < 30


def test_a_submission_without_lab_is_graded_as_the_untouched_handout(tmp_path: Path) -> None:
    (tmp_path / "wrapper" / "notes").mkdir(parents=True)
    assert find_submission_root(tmp_path) is None
    report = grade_submission(tmp_path, exercises=[PPL], per_test_timeout=TIMEOUT)
    graded = [t for t in read_inventory(ROOT / "tests" / "exercises") if t.exercise == PPL]
    assert report.score == 0 and report.max_score == sum(t.points for t in graded)
    assert any("no lab/ folder" in note for note in report.notes)
    (tmp_path / "wrapper" / "lab").mkdir()
    assert find_submission_root(tmp_path) == tmp_path / "wrapper"


@reference_only
def test_symlinks_to_the_reference_are_not_graded(tmp_path: Path) -> None:
    (tmp_path / "lab" / "models").mkdir(parents=True)
    scoring = Path("lab") / "models" / "scoring.py"  # Exercise 9's file
    assert (ROOT / scoring).is_file()
    (tmp_path / scoring).symlink_to(ROOT / scoring)
    report = grade_submission(tmp_path, exercises=[PPL], per_test_timeout=TIMEOUT)
    assert report.score == 0
    assert all("NotImplementedError" in r.output for r in report.results)


# Hangs in the group's first test after leaving what cleanup must remove: detached processes,
# files in every world-writable folder it can reach, a SysV shared-memory segment.
HANG_AFTER_LITTERING = [
    "if num_tokens == 50:",
    "    import os, subprocess, tempfile",
    "    for _ in range(20):",
    "        subprocess.Popen(['sleep', '600'], start_new_session=True)",
    "    for top in ('/tmp', '/var/tmp', '/dev/shm', tempfile.gettempdir()):",
    "        for k in range(300):",
    "            try:",
    "                open(os.path.join(top, f'litter-{os.getpid()}-{k}'), 'w').write('x')",
    "            except OSError:",
    "                break",
    "    while True:",
    "        pass",
]


@reference_only
@pytest.mark.slow
@pytest.mark.parametrize("mode", ["auto", "uid"])  # as a user, "auto" is the user-namespace jail
def test_after_a_hung_test_the_next_test_of_its_group_passes(tmp_path: Path, mode: str) -> None:
    """The child of a test that hangs is ended, with all it started and left, within
    pytest-timeout's grace: the next test of the same group gets a new child and passes
    (it once failed with BrokenPipeError), and the trusted process is never restarted."""
    submission = copy_reference(tmp_path)
    inject(submission, "lab/models/scoring.py", "perplexity", HANG_AFTER_LITTERING)
    if mode == "uid" and os.geteuid() != 0:
        pytest.skip("a fresh uid per child needs root")
    report = grade_submission(submission, exercises=[PPL], per_test_timeout=10, sandbox_user=mode)
    first, *rest = report.results
    # ended by the sandbox at its deadline, not by pytest-timeout WATCHDOG_GRACE_SECONDS later
    assert "still running scoring.perplexity after the test's" in first.output, first.output
    assert not first.passed
    assert first.duration < 10 * LOAD_ALLOWANCE + WATCHDOG_GRACE_SECONDS
    assert rest and all(r.passed for r in rest), [r.output for r in rest]
    assert not first.test.hidden and not rest[0].test.hidden  # the same group: visible
    assert not any("restarted" in n or "watchdog" in n for n in report.notes), report.notes


class _Cut(Exception):
    """What pytest-timeout's signal raises in the test it ends."""


def test_a_call_cut_short_by_pytest_timeout_leaves_no_busy_child(tmp_path: Path) -> None:
    """When pytest-timeout ends a test while its call is still running (the trusted side
    was slow, not the submission), the next test of the group gets a new child rather than
    the one still busy with the last request (whose late reply would answer the wrong call)."""
    submission = copy_reference(tmp_path / "sub")
    inject(submission, "lab/models/scoring.py", "perplexity", ["if num_tokens == 50:", *[
        "    " + line for line in LOOP]])  # fmt: skip
    (tmp_path / "box").mkdir()
    (tmp_path / "box" / "submission").symlink_to(submission)
    pool = Sandbox(tmp_path / "box", identity=identity_from_env(""), per_test_timeout=60)
    tests = ROOT / "tests" / "exercises" / "test_ex9_perplexity.py"

    def cut(*_: object) -> None:
        raise _Cut

    previous = signal.signal(signal.SIGALRM, cut)
    try:
        for delay in (0.05, 4.0):  # while the child starts, then while it loops
            pool.begin("group", 3, tests)
            signal.setitimer(signal.ITIMER_REAL, delay)
            with pytest.raises(_Cut):
                pool.call("scoring.perplexity", nll=1.0, tokens=50)
            pool.end()
            pool.begin("group", 3, tests)
            assert pool.call("scoring.perplexity", nll=0.0, tokens=7) == 1.0
            pool.end()
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, previous)
        pool.close()
