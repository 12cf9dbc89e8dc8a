"""The grading sandbox: the submission's code runs in a child process, the verdict here.

The process that decides a score never imports the submission. A graded
test asks the sandbox to run a named driver (:mod:`lab.grading.drivers`)
with JSON arguments; a child process (:mod:`lab.grading.sandbox_child`)
imports the submission, runs it and replies with JSON data, never pickles;
the test compares that data with what it computed itself. The child:

* runs walled off in namespaces and/or as a fresh uid for every child
  (:mod:`lab.grading.confinement` says which mode does what; the walls
  are :mod:`lab.grading.jail`'s);
* sees only a box folder holding ``submission/`` (the stubbed release
  overlaid with the student's files) and a harness of its own (the child
  program and only the drivers its test module calls, none of them a
  stand-in for its own exercise: :mod:`lab.grading.harness`), read-only to
  it; its working folder, ``HOME`` and ``TMPDIR`` are a scratch folder of its
  own; no path of the reference, the hidden tests or the grader is in its
  environment, working folder or arguments;
* is started in a session of its own, capped by ``RLIMIT_AS``,
  ``RLIMIT_CPU``, ``RLIMIT_NPROC``, ``RLIMIT_FSIZE``, a time budget per test
  (wall clock less the time it waited for a busy CPU, at most
  :data:`lab.grading.budget.LOAD_ALLOWANCE` times the limit: :mod:`lab.grading.budget`),
  and a cap on the memory and tasks of all its processes together (held by
  the kernel in a cgroup of the child's own where the grading's
  :class:`lab.grading.cgroups.Plan` has one, and measured by the parent
  every :data:`WATCH_SECONDS` in any case); when a call times
  out or the child dies, it and everything it started are killed at once,
  with pytest-timeout's signal held back (so within its grace, and never
  cut halfway), and the next test gets a new child; what the old one wrote
  is removed before that child starts.

One child serves the tests of one exercise module that share a visibility,
so a child that has seen a hidden test's inputs never answers a visible
one; each test's end kills the rest of the sandbox's processes, each
group's end all of them, and the next group's child is a new identity.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from lab.grading.budget import Budget
from lab.grading.cgroups import Plan
from lab.grading.confinement import Identity
from lab.grading.worker import (
    DEFAULT_MEMORY,
    MAX_REPLY,
    MAX_TASKS,
    SubmissionError,
    SubmissionRaised,
    Worker,
    decode,
)

__all__ = [
    "DEFAULT_MEMORY", "MAX_REPLY", "MAX_TASKS", "Sandbox", "SubmissionError",
    "SubmissionRaised", "Worker", "decode",
]  # fmt: skip


class Sandbox:
    """The children of one test session, keyed by group (module and visibility)."""

    def __init__(
        self,
        box: Path,
        *,
        identity: Identity,
        per_test_timeout: float,
        memory_bytes: int = DEFAULT_MEMORY,
        limits: Plan | None = None,
    ) -> None:
        self.box, self.identity, self.limits = Path(box), identity, limits
        self.per_test_timeout, self.memory = per_test_timeout, memory_bytes
        self._workers: dict[str, Worker] = {}
        self._current: Worker | None = None
        self._budget = Budget(per_test_timeout)

    def begin(self, group: str, tests_in_group: int, test_module: Path) -> Sandbox:
        """Start a test of ``group`` (tests of ``test_module``): its worker (a new one after a
        group change, with a harness holding only the drivers ``test_module`` calls; its CPU
        limit covers the whole group's time) and this test's time (:class:`Budget`)."""
        for key in [k for k in self._workers if k != group]:
            self._workers.pop(key).close()
        if group not in self._workers:
            cpu = self.per_test_timeout * max(tests_in_group, 1)
            self._workers[group] = Worker(
                self.box, self.identity, self.memory, cpu, test_module, self.limits
            )
        worker = self._workers[group]
        if worker.pending or (worker.proc is not None and not worker.alive()):
            # a call cut short (pytest-timeout ended the test first) or a child that died:
            # the next call starts a new child, never one still busy with the last request
            worker.close()
        elif worker.proc is None:
            worker.tidy()  # what a child killed at its deadline left, before the clock starts
        self._current = worker
        self._budget = Budget(self.per_test_timeout)  # its clock starts now
        self._budget.know(worker.pids())  # a child's waits in earlier tests are not this one's
        return self

    def call(self, driver: str, **kwargs: Any) -> Any:
        """The value of ``driver(**kwargs)`` run by the submission, as data."""
        if self._current is None:
            raise RuntimeError("call begin() first")
        return self._current.call(driver, kwargs, self._budget)

    def raises(self, name: str, driver: str, **kwargs: Any) -> str:
        """Assert that the call raises exactly exception class ``name``; its message."""
        try:
            self.call(driver, **kwargs)
        except SubmissionRaised as exc:
            if exc.is_a(name):
                return exc.error
            got = exc.types[0] if exc.types else "something unnamed"
            raise AssertionError(f"expected {name}, the submission raised {got}: {exc}") from None
        raise AssertionError(f"expected {name}, the submission raised nothing")

    def end(self) -> None:
        """End a test: kill what the worker left running beside it."""
        if self._current is not None:
            self._current.sweep()
        self._current = None

    def close(self) -> None:
        for worker in self._workers.values():
            worker.close()
        self._workers.clear()
