"""Grade a submission: the reference's exercise tests against the student's code.

Two temporary folders. The *box* (readable, never writable, by the
sandbox) holds ``submission/`` (the reference's ``lab`` and ``baselines``
with every solution replaced by its stub, exactly what students were
given, overlaid with the submission's own files, so a missing file is
graded on the stub, never on the reference); each sandbox child gets a
harness of its own beside it (the child program and the drivers its
exercise's tests call, :mod:`lab.grading.harness`). The *work* folder (the grader's alone:
mode 0700) holds the exercise tests, hidden ones included, the plugin and
the event log. A trusted pytest runs the tests there with only the
reference on ``PYTHONPATH`` (:mod:`lab.grading.runner`); the tests call the
submission through the sandbox (:mod:`lab.grading.sandbox`), whose
children run walled off in namespaces and/or as fresh uids
(:mod:`lab.grading.confinement`; where neither is possible the report is
marked unverified). When the run ends, every process of every uid the
run used is killed and its files removed before the report exists, and
the grader checks its own files are unchanged. Scores come only from
the test outcomes: a test that passed earns its points, anything else
(failure, error, skip, crash, time-out, not run) earns zero. Where the
submission's files are (a handout folder, or loose files matched by name)
is :mod:`lab.grading.layout`'s to say, and its written answers are read
from the notebook as JSON, never run (:mod:`lab.grading.answers`).
"""

from __future__ import annotations

import importlib.util
import os
import tempfile
import time
from collections.abc import Collection
from contextlib import nullcontext
from dataclasses import dataclass, replace
from pathlib import Path

from lab.errors import LabError
from lab.grading import cgroups, confinement, reaper
from lab.grading.answers import (
    AnswerSheet,
    NotebookError,
    Question,
    collect_answers,
    questions_in,
)
from lab.grading.exercises import EXERCISES
from lab.grading.harness import make_run_folder, remove_run_folder
from lab.grading.inventory import GradedTest, read_inventory
from lab.grading.layout import NOTEBOOK, detect_layout
from lab.grading.reference import project_root as project_root  # re-exported
from lab.grading.reference import reference_tree
from lab.grading.runner import (
    WATCHDOG_GRACE_SECONDS,
    RawOutcome,
    run_graded_tests,
)
from lab.grading.sandbox import DEFAULT_MEMORY, MAX_TASKS
from lab.grading.summary import format_summary as format_summary  # re-exported
from lab.grading.workspace import digest, environment, prepare

UNVERIFIED = "UNVERIFIED"


def platform_files() -> list[Path]:
    """Gradescope's ``submission_metadata.json`` (under ``AUTOGRADER_ROOT``, default
    ``/autograder``): it holds the submission's earlier results, hidden ones included."""
    return [Path(os.environ.get("AUTOGRADER_ROOT") or "/autograder") / "submission_metadata.json"]


@dataclass(frozen=True)
class TestResult:
    """One graded test's outcome; ``number`` is ``"<exercise>.<k>"``."""

    __test__ = False  # not a pytest test class, whatever its name
    test: GradedTest
    number: str
    passed: bool
    output: str
    duration: float

    @property
    def score(self) -> float:
        return self.test.points if self.passed else 0.0


@dataclass(frozen=True)
class GradeReport:
    """Every graded test's result, in exercise order; ``submission_notes`` say how the
    submission was read (shown first), ``run_notes`` how the run went, ``answers`` are
    the notebook's written answers, for grading by hand."""

    results: tuple[TestResult, ...]
    execution_time: float
    run_notes: tuple[str, ...] = ()
    submission_notes: tuple[str, ...] = ()
    answers: AnswerSheet | None = None
    verified: bool = True
    limits: str = ""  # which mechanism held the sandbox's memory and task caps (one line)

    @property
    def notes(self) -> tuple[str, ...]:
        """Everything worth telling: how the submission was read, then how the run went."""
        return self.submission_notes + self.run_notes

    @property
    def score(self) -> float:
        return sum(r.score for r in self.results)

    @property
    def max_score(self) -> float:
        return sum(r.test.points for r in self.results)

    def exercise_scores(self) -> dict[int, tuple[float, float]]:
        """``{exercise: (score, max_score)}`` for the exercises that were graded."""
        scores: dict[int, tuple[float, float]] = {}
        for r in self.results:
            got, best = scores.get(r.test.exercise, (0.0, 0.0))
            scores[r.test.exercise] = (got + r.score, best + r.test.points)
        return scores


def find_submission_root(path: Path) -> Path | None:
    """The folder of ``path`` holding ``lab/`` or ``baselines/`` (Gradescope zips often
    wrap everything in one folder), else ``None``; see :mod:`lab.grading.layout`."""
    return detect_layout(Path(path)).root


def grade_submission(
    submission: Path,
    *,
    reference_root: Path | None = None,
    exercises: Collection[int] | None = None,
    per_test_timeout: float = 30.0,
    overall_timeout: float = 900.0,
    watchdog_grace: float = WATCHDOG_GRACE_SECONDS,
    memory_bytes: int = DEFAULT_MEMORY,
    sandbox_user: str = "auto",
) -> GradeReport:
    """Run the exercise tests (``exercises``: only these numbers) against ``submission``.

    ``per_test_timeout`` bounds each test's calls into the submission,
    ``overall_timeout`` the whole grading (see
    :func:`lab.grading.runner.run_graded_tests`); ``memory_bytes`` caps each
    sandbox child's address space; ``sandbox_user="same"`` keeps the grader's
    own uid even when it is root.
    """
    started = time.monotonic()
    submission = Path(submission)
    if not submission.is_dir():
        raise LabError(f"submission folder {submission} does not exist")
    if per_test_timeout <= 0 or overall_timeout <= 0:
        raise LabError("time limits must be positive")
    tree = nullcontext(Path(reference_root)) if reference_root else reference_tree()
    with tree as reference:
        return _grade(
            reference, submission, exercises, started,
            per_test_timeout=per_test_timeout, overall_timeout=overall_timeout,
            watchdog_grace=watchdog_grace, memory_bytes=memory_bytes, sandbox_user=sandbox_user,
        )  # fmt: skip


def _grade(
    reference: Path,
    submission: Path,
    exercises: Collection[int] | None,
    started: float,
    *,
    per_test_timeout: float,
    overall_timeout: float,
    watchdog_grace: float,
    memory_bytes: int,
    sandbox_user: str,
) -> GradeReport:
    """:func:`grade_submission` against the reference laid out in ``reference``."""
    if importlib.util.find_spec("pytest_timeout") is None:
        raise LabError("grading needs pytest-timeout: pip install 'textgen-lab[test]'")
    tests = read_inventory(reference / "tests" / "exercises")
    if exercises is not None:
        unknown = set(exercises) - {ex.number for ex in EXERCISES}
        if unknown:
            raise LabError(f"no exercise {', '.join(map(str, sorted(unknown)))}")
        tests = [t for t in tests if t.exercise in set(exercises)]
    if not tests:
        raise LabError(f"no graded tests found in {reference / 'tests' / 'exercises'}")
    layout = detect_layout(submission)
    answers = collect_answers(
        layout.notebook,
        reference_questions(reference),
        layout.notebook.relative_to(submission).as_posix() if layout.notebook else NOTEBOOK,
        root=submission,
    )
    notes: list[str] = []
    with (
        tempfile.TemporaryDirectory(prefix="textgen-grade-") as tmp,
        tempfile.TemporaryDirectory(prefix="textgen-box-") as box_tmp,
    ):
        work, box = Path(tmp), Path(box_tmp)
        os.chmod(work, 0o700)
        identity = confinement.choose_identity(sandbox_user, box=box, log=str(work / "uids"))
        plan = cgroups.prepare()
        saved = []
        if identity.dedicated and not identity.namespaces:  # files hidden by mode only
            saved = reaper.protect([reference, *platform_files()])
        before = digest(reference)
        try:
            make_run_folder(box, identity.dedicated)
            prepare(work, box, reference, layout, identity)
            env = environment(reference, work, box, identity, per_test_timeout, memory_bytes)
            env["TEXTGEN_SANDBOX_CGROUP"] = plan.to_env()
            log = run_graded_tests(
                work,
                # visible tests first: nothing a hidden test does can delay or starve them
                [t.nodeid for t in sorted(tests, key=lambda t: t.hidden)],
                env=env,
                per_test_timeout=per_test_timeout,
                overall_timeout=overall_timeout,
                watchdog_grace=watchdog_grace,
            )
        finally:  # nothing of the submission outlives the run, whatever happened
            cgroups.finish(plan)
            for uid in confinement.logged_uids(identity.log):
                used = replace(identity, uid=uid)
                reaper.kill_identity(used)
                reaper.remove_files_of(used)
            remove_run_folder(box)
            reaper.restore(saved)
        outcomes = dict(log.outcomes)
        problem = _misplaced_imports(log.origins, reference) or _foreign(log.foreign)
        if digest(reference) != before:
            problem = "grader integrity error: the grader's own files changed during grading"
        if problem:
            notes.append(problem)
            outcomes = {k: RawOutcome(False, problem) for k in outcomes}
    if not identity.confined:
        notes.append(f"{UNVERIFIED}: the submission ran unconfined ({identity.why}): it could "
                     "have read or changed the grader's files (see README, For instructors)")  # fmt: skip
    elif not confinement.network_isolated(identity) and any(t.hidden for t in tests):
        notes.append(f"network isolation was not available ({identity.why}): the tests, hidden "
                     "ones included, ran with network access")  # fmt: skip
    notes.extend(log.notes)
    prefix = str(work) + os.sep
    results: list[TestResult] = []
    counters: dict[int, int] = {}
    for test in tests:
        counters[test.exercise] = counters.get(test.exercise, 0) + 1
        raw = outcomes[test.nodeid]
        output = f"passed in {raw.duration:.2f} s" if raw.passed else raw.output.replace(prefix, "")
        results.append(
            TestResult(
                test, f"{test.exercise}.{counters[test.exercise]}", raw.passed, output, raw.duration
            )
        )
    elapsed = time.monotonic() - started
    return GradeReport(
        tuple(results), elapsed, tuple(notes), layout.messages, answers, identity.confined,
        plan.describe(memory_bytes, MAX_TASKS),
    )  # fmt: skip


def reference_questions(reference: Path) -> tuple[Question, ...]:
    """The written questions of the reference's notebook (a broken one is the
    instructor's to fix: one line, before any submission is graded)."""
    try:
        return questions_in(reference / NOTEBOOK)
    except NotebookError as exc:
        raise LabError(f"the reference notebook {reference / NOTEBOOK}: {exc}") from None


def _misplaced_imports(origins: dict[str, str | None], expected: Path) -> str:
    """A message if the trusted process's ``lab``/``baselines`` are not the reference's."""
    for name, origin in origins.items():
        if origin is None or not str(origin).startswith(str(expected.resolve())):
            return f"grader environment error: {name} was imported from {origin}, not the reference"
    return ""


def _foreign(modules: list[str]) -> str:
    """A message if the trusted process imported anything from the sandbox's box."""
    if not modules:
        return ""
    return f"grader integrity error: the grading process imported {', '.join(modules[:5])}"
