"""One test's time limit, counted as the time it would take on an idle machine.

A flat wall-clock limit fails the reference on a busy machine (two other
processes on a 2-core runner, a shared course server): the sandbox's
processes then spend part of every second waiting for a CPU. The kernel
counts that wait for every task (the second field of
``/proc/<pid>/task/<tid>/schedstat``, in nanoseconds), so a :class:`Budget`
credits it back: a test's deadline is its ``seconds`` *plus* the time the
sandbox's tasks and the trusted process's own threads spent waiting on a
run queue since the test began. A loop that never ends still ends at the
deadline (it runs or waits, and only the wait is credited), and no test
runs longer than :data:`LOAD_ALLOWANCE` times its ``seconds`` of wall
clock, whatever the load; pytest-timeout and the runner's watchdog are set
beyond that (:mod:`lab.grading.runner`).

What is not credited: time a container's CPU quota throttles the tasks
(the wait is then not on a run queue), tasks that ended before the last
look (every :data:`lab.grading.worker.WATCH_SECONDS`) and a kernel without
``schedstat`` (then the limit is plain wall clock, as before).
"""

from __future__ import annotations

import os
import time
from collections.abc import Iterable
from pathlib import Path

LOAD_ALLOWANCE = 3.0  # the longest a test may run, in multiples of its limit, however busy


def _queued(pid: int | str) -> dict[str, int]:
    """``{task id: nanoseconds it waited on a run queue}`` for every thread of ``pid``."""
    found: dict[str, int] = {}
    try:
        tasks = os.listdir(f"/proc/{pid}/task")
    except OSError:
        return found
    for tid in tasks:
        try:
            fields = Path(f"/proc/{pid}/task/{tid}/schedstat").read_text().split()
            found[tid] = int(fields[1])
        except (OSError, ValueError, IndexError):
            continue
    return found


class Budget:
    """The time left to one test; :meth:`observe` the sandbox's processes while it runs."""

    def __init__(self, seconds: float, allowance: float = LOAD_ALLOWANCE) -> None:
        self.seconds = seconds
        self.start = time.monotonic()
        self.cap = self.start + seconds * max(allowance, 1.0)
        self.waited = 0.0  # seconds credited so far
        self._seen: dict[str, int] = {}
        self.observe(())

    def observe(self, pids: Iterable[int]) -> None:
        """Credit the run-queue wait of these processes' threads (and of this process's own)
        since the last look; a thread first seen now is counted from the test's start if it
        is new, from now if it was there when the test began."""
        first = not self._seen
        targets: list[int | str] = ["self", *pids]
        for pid in targets:
            for tid, ns in _queued(pid).items():
                before = self._seen.get(tid)
                if before is None:
                    before = ns if first or pid == "self" else 0
                self.waited += max(ns - before, 0) / 1e9
                self._seen[tid] = ns

    def know(self, pids: Iterable[int]) -> None:
        """Take these processes' threads as they are now (a child that lived before this
        test began: its earlier waits belong to earlier tests)."""
        for pid in pids:
            self._seen.update(_queued(pid))

    def remaining(self) -> float:
        """Seconds until the deadline (the load-adjusted one, or the wall-clock cap)."""
        now = time.monotonic()
        return min(self.start + self.seconds + self.waited - now, self.cap - now)

    def describe(self) -> str:
        """The limit, as a student reads it in a time-out message."""
        if self.waited < 0.05:
            return f"{self.seconds:g} s"
        return f"{self.seconds:g} s (and {self.waited:.1f} s it waited for a busy CPU)"
