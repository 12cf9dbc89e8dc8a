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

A CPU quota (a container's, or a cgroup the grader runs in) holds the
tasks back too: the kernel counts, per cgroup with a quota, how long it
throttled them (``throttled_time`` in v1's ``cpu.stat``, ``throttled_usec``
in v2's). Every cgroup from the grader's up to the top that has a quota is
watched (the sandbox's cgroups are below the grader's in the ``cpu``
hierarchy and have no quota of their own), and each look credits the
*larger* of the run-queue wait and the throttling since the last look, the
throttling taken as its largest delta among those cgroups and at most the
wall clock since the last look (the kernel sums it over CPUs). The larger,
not the sum: on this kernel (6.18) throttled time is already in the tasks'
run-queue wait (a busy loop under a 10 % quota: 1.83 s of run-queue wait,
1.82 s throttled, in 2.04 s), on others it may not be; where both happen
apart, the credit is the smaller of what it could be, never more.

What is not credited: tasks that ended before the last look (every
:data:`lab.grading.worker.WATCH_SECONDS`) and a kernel without
``schedstat`` (then the limit is plain wall clock, plus any throttling).
"""

from __future__ import annotations

import os
import time
from collections.abc import Iterable
from pathlib import Path

from lab.grading.cgroups import ROOT, SELF, field, own_paths, read, v2_mount

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

    def __init__(
        self,
        seconds: float,
        allowance: float = LOAD_ALLOWANCE,
        *,
        cgroup_root: Path = ROOT,
        proc_cgroup: Path = SELF,
    ) -> None:
        self.seconds = seconds
        self.start = time.monotonic()
        self.cap = self.start + seconds * max(allowance, 1.0)
        self.waited = 0.0  # seconds credited so far
        self.throttled = 0.0  # seconds the quotas held the tasks back (credited or not)
        self._seen: dict[str, int] = {}
        self._quotas = quota_dirs(cgroup_root, proc_cgroup)
        self._throttle = throttled(self._quotas)
        self._looked = self.start
        self.observe(())

    def observe(self, pids: Iterable[int]) -> None:
        """Credit the run-queue wait of these processes' threads (and of this process's own)
        since the last look; a thread first seen now is counted from the test's start if it
        is new, from now if it was there when the test began."""
        first = not self._seen
        queued = 0.0
        targets: list[int | str] = ["self", *pids]
        for pid in targets:
            for tid, ns in _queued(pid).items():
                before = self._seen.get(tid)
                if before is None:
                    before = ns if first or pid == "self" else 0
                queued += max(ns - before, 0) / 1e9
                self._seen[tid] = ns
        self.waited += max(queued, self._throttled_since())

    def _throttled_since(self) -> float:
        """Seconds a CPU quota held the tasks back since the last look (see the module)."""
        now, elapsed = time.monotonic(), time.monotonic() - self._looked
        self._looked = now
        if not self._quotas:
            return 0.0
        latest = throttled(self._quotas)
        deltas = [max(ns - self._throttle.get(k, ns), 0) / 1e9 for k, ns in latest.items()]
        self._throttle = latest
        held = min(max(deltas, default=0.0), elapsed)
        self.throttled += held
        return held

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
        how = "a busy CPU or a CPU quota" if self.throttled >= 0.05 else "a busy CPU"
        return f"{self.seconds:g} s (and {self.waited:.1f} s it waited for {how})"


def quota_dirs(root: Path = ROOT, proc_cgroup: Path = SELF) -> list[tuple[Path, str]]:
    """The cgroups from this process's up to the top that have a CPU quota, each with its
    kind (``"v1"`` or ``"v2"``): a quota there holds this process and the sandbox back."""
    paths = own_paths(proc_cgroup)
    found: list[tuple[Path, str]] = []
    mount = v2_mount(root)
    if "cpu" in paths:  # v1 (``cpu`` or ``cpu,cpuacct``, reached as ``root/cpu``)
        chain, kind = _chain(root / "cpu", paths["cpu"]), "v1"
    elif mount is not None and "" in paths:
        chain, kind = _chain(mount, paths[""]), "v2"
    else:
        return found
    for folder in chain:
        if kind == "v1":
            quota = read(folder / "cpu.cfs_quota_us").strip()
            limited = bool(quota) and quota != "-1"
        else:
            limited = read(folder / "cpu.max").split()[:1] not in ([], ["max"])
        if limited:
            found.append((folder, kind))
    return found


def _chain(top: Path, path: str) -> list[Path]:
    parts = [p for p in path.split("/") if p]
    return [top.joinpath(*parts[:n]) for n in range(len(parts), -1, -1)]


def throttled(dirs: list[tuple[Path, str]]) -> dict[str, int]:
    """``{cgroup: nanoseconds its tasks were throttled by its quota}`` (v1 ``throttled_time``,
    v2 ``throttled_usec``): summed over CPUs by the kernel, so it can exceed wall time."""
    found: dict[str, int] = {}
    for folder, kind in dirs:
        text = read(folder / "cpu.stat")
        if kind == "v1":
            found[str(folder)] = field(text, "throttled_time")
        else:
            found[str(folder)] = field(text, "throttled_usec") * 1000
    return found
