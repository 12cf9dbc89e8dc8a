"""A test's time limit counts the time the sandbox would need on an idle machine: the wait
for a busy CPU is credited back, up to a wall-clock cap (:mod:`lab.grading.budget`)."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from collections.abc import Iterator

import pytest

from lab.grading.budget import Budget

SPIN = "import time\nend = time.monotonic() + {seconds}\nwhile time.monotonic() < end:\n    pass\n"
needs_schedstat = pytest.mark.skipif(
    not os.path.exists(f"/proc/self/task/{os.getpid()}/schedstat"),
    reason="this kernel keeps no per-task scheduler statistics",
)


def _spinners(count: int, seconds: float, cpu: int) -> list[subprocess.Popen[bytes]]:
    """``count`` processes that keep CPU ``cpu`` busy for ``seconds``."""
    code = f"import os\nos.sched_setaffinity(0, {{{cpu}}})\n" + SPIN.format(seconds=seconds)
    return [subprocess.Popen([sys.executable, "-c", code]) for _ in range(count)]


@pytest.fixture
def cpu() -> Iterator[int]:
    """One CPU the processes of a test share (whatever else the machine runs)."""
    yield min(os.sched_getaffinity(0))


def _watched(budgets: list[Budget], procs: list[subprocess.Popen[bytes]]) -> float:
    """Observe ``procs`` into each of ``budgets`` until they end, as the sandbox does;
    the CPU seconds they used."""
    running = {p.pid for p in procs}
    cpu = 0.0
    while running:
        for budget in budgets:
            budget.observe(running)
        time.sleep(0.05)
        for pid in list(running):
            done, _, usage = os.wait4(pid, os.WNOHANG)
            if done:
                running.discard(pid)
                cpu += usage.ru_utime + usage.ru_stime
    return cpu


@needs_schedstat
def test_the_wait_for_a_busy_cpu_is_credited(cpu: int) -> None:
    """A child sharing one CPU with two busy processes gets at most a third of it: the
    budget credits what it did not get (its wall time less its CPU time)."""
    busy = _spinners(2, 4.0, cpu)
    try:
        time.sleep(0.2)
        budget = Budget(10.0)
        started = time.monotonic()
        used = _watched([budget], _spinners(1, 1.5, cpu))
        lost = time.monotonic() - started - used
        assert budget.waited > 0.6, budget.waited
        assert abs(budget.waited - lost) < 0.35, (budget.waited, lost)
        assert "waited for a busy CPU" in budget.describe()
    finally:
        for proc in busy:
            proc.kill()
            proc.wait()


def test_the_credit_never_passes_the_wall_clock_cap() -> None:
    budget = Budget(1.0, allowance=2.0)
    budget.waited = 100.0  # however much it waited
    assert budget.remaining() <= 2.0
    assert Budget(1.0).remaining() <= 1.0  # nothing waited: the plain limit


@needs_schedstat
def test_a_child_that_lived_before_the_test_brings_no_credit(cpu: int) -> None:
    """Waits a long-lived child had in an earlier test (on a busy CPU) are not this test's,
    once the test takes the child as it finds it (what the sandbox does at a test's start)."""
    child = _spinners(1, 2.0, cpu)
    for proc in _spinners(2, 1.2, cpu):  # the earlier test, on a busy CPU
        proc.wait()
    known, unknown = Budget(10.0), Budget(10.0)
    known.know([child[0].pid])
    _watched([known, unknown], child)
    assert unknown.waited - known.waited > 0.5, (unknown.waited, known.waited)
