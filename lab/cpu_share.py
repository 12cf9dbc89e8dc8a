"""How many CPU threads torch should use: the share of the machine actually available.

torch starts one intra-op thread per core and its OpenMP threads wait for each
other at the end of every operation. When other processes keep the cores busy
(a lab server, a JupyterHub), a descheduled thread stalls all the others: at a
load of ~20 on 2 cores the word LSTM fell from ~10k to ~30 tokens/s, 300x
slower for a 10-15x smaller CPU share (``/work/shared/perf-notes.md``). One
thread per free core, and a single thread once the cores are taken, gets the
fair share instead (``benchmarks/busy.py`` measures it).

The CPU share comes from four readings: the CPUs this process may run on
(affinity: ``taskset``, containers), the cgroup CPU quota (v2 ``cpu.max``, v1
``cpu.cfs_quota_us``: Docker ``--cpus``, Kubernetes limits), the machine's
1-minute load average minus this process's own part of it, and the tasks
runnable right now (the load average lags by a minute). The decision
(:func:`plan_threads`) is a pure function of those readings, so it is tested
without a busy machine; :func:`read_machine` takes them from this one.
"""

from __future__ import annotations

import contextlib
import math
import os
import statistics
import time
from dataclasses import dataclass
from pathlib import Path

from lab.errors import OptionError

#: Environment override of the thread count (``--num-threads`` wins over it).
THREADS_ENV = "TEXTGEN_LAB_THREADS"


@dataclass(frozen=True)
class CpuReadings:
    """What the machine says about the CPU this process can have."""

    affinity: int  #: CPUs this process may run on
    online: int  #: CPUs of the machine: what the load average counts against
    quota: float | None = None  #: cgroup CPU quota in CPUs (``None``: no quota)
    load1: float = 0.0  #: 1-minute load average
    own_load: float = 0.0  #: this process's part of ``load1`` (its recent CPU use)
    runnable_others: float = 0.0  #: other tasks runnable right now
    processes: int = 1  #: processes of this job on this node (torchrun's LOCAL_WORLD_SIZE)


@dataclass(frozen=True)
class ThreadPlan:
    """The threads to use and, in words, why."""

    threads: int  #: torch intra-op threads
    interop: int  #: torch inter-op threads
    reason: str


def cpu_limit(affinity: int, quota: float | None, processes: int = 1) -> int:
    """CPUs one process may keep busy: its affinity, capped by the cgroup quota
    (rounded down: with a 1.5-CPU quota, a second thread is throttled half of the
    time and the first waits for it), shared among ``processes``; at least 1."""
    cpus = affinity if quota is None else min(affinity, math.floor(quota))
    return max(1, cpus // max(1, processes))


def others_busy(readings: CpuReadings) -> float:
    """CPUs' worth of other work: the larger of the load average without our own part
    (what has run for the last minute) and what is runnable right now."""
    return max(0.0, readings.load1 - readings.own_load, readings.runnable_others)


def plan_threads(readings: CpuReadings) -> ThreadPlan:
    """One thread per core that other work leaves free, within the affinity and quota.

    A core counts as free when other work takes less than half of it; with no free
    core, one thread (never more threads than the CPU share: an oversubscribed
    thread team runs many times slower than one thread). Inter-op threads are 1:
    the lab runs no inter-op parallel work, and idle pools only add threads.
    """
    limit = cpu_limit(readings.affinity, readings.quota, readings.processes)
    others = others_busy(readings)
    free = readings.online - others
    threads = max(1, min(limit, math.floor(free + 0.5)))
    where = f"{limit} usable CPU(s)"
    if readings.quota is not None:
        where += f" (cgroup quota {readings.quota:g})"
    if threads < limit:
        reason = (
            f"{threads} thread(s): {where}, but other processes keep {others:.1f} of the "
            f"machine's {readings.online} CPUs busy"
        )
    else:
        reason = f"{threads} thread(s): {where}, {others:.1f} busy with other work"
    return ThreadPlan(threads, 1, reason)


def env_threads(environ: dict[str, str] | None = None) -> int | None:
    """The thread count set in :data:`THREADS_ENV`, or ``None``; a bad value is one line."""
    value = (os.environ if environ is None else environ).get(THREADS_ENV, "").strip()
    if not value:
        return None
    if not value.isdigit() or int(value) < 1:
        raise OptionError(f"{THREADS_ENV} must be a whole number >= 1, not {value!r}")
    return int(value)


# -- reading this machine ------------------------------------------------------------
def parse_cpu_max(text: str) -> float | None:
    """cgroup v2 ``cpu.max`` (``"max 100000"`` or ``"150000 100000"``) in CPUs."""
    parts = text.split()
    if len(parts) != 2 or parts[0] == "max":
        return None
    try:
        quota, period = int(parts[0]), int(parts[1])
    except ValueError:
        return None
    return quota / period if quota > 0 and period > 0 else None


def parse_cfs(quota_us: str, period_us: str) -> float | None:
    """cgroup v1 ``cpu.cfs_quota_us`` / ``cpu.cfs_period_us`` in CPUs (-1: no quota)."""
    try:
        quota, period = int(quota_us), int(period_us)
    except ValueError:
        return None
    return quota / period if quota > 0 and period > 0 else None


def cgroup_quota(
    root: Path = Path("/sys/fs/cgroup"), proc_cgroup: str | None = None
) -> float | None:
    """The tightest CPU quota on this process's cgroup and its ancestors, v2 or v1."""
    try:
        text = proc_cgroup if proc_cgroup is not None else Path("/proc/self/cgroup").read_text()
    except OSError:
        return None
    quotas: list[float] = []
    for line in text.splitlines():
        hierarchy, _, rest = line.partition(":")
        controllers, _, path = rest.partition(":")
        if hierarchy == "0" and not controllers:  # v2 unified hierarchy
            for d in _dirs(root, path):
                quotas += _read_quota(d / "cpu.max")
        elif "cpu" in controllers.split(","):  # v1 cpu controller, mounted as cpu or cpu,cpuacct
            for mount in (root / controllers, root / "cpu", root / "cpu,cpuacct"):
                for d in _dirs(mount, path):
                    quotas += _read_quota(d / "cpu.cfs_quota_us", d / "cpu.cfs_period_us")
    return min(quotas) if quotas else None


def _dirs(mount: Path, path: str) -> list[Path]:
    """The cgroup's directory and its ancestors under ``mount`` (inside a container the
    path may name the host's hierarchy, so the mount itself is read too)."""
    parts = [p for p in path.strip("/").split("/") if p]
    found = [mount.joinpath(*parts[:i]) for i in range(len(parts), -1, -1)]
    return [d for d in found if d.is_dir()]


def _read_quota(path: Path, period: Path | None = None) -> list[float]:
    try:
        value = (
            parse_cpu_max(path.read_text())
            if period is None
            else parse_cfs(path.read_text(), period.read_text())
        )
    except OSError:
        return []
    return [] if value is None else [value]


def own_load() -> float:
    """This process's part of the 1-minute load average, estimated as its CPU time over
    its lifetime (at least a minute: a process that started 10 s ago adds ~1/6 of
    its threads to the average)."""
    try:
        start_ticks = int(Path("/proc/self/stat").read_text().rsplit(")", 1)[1].split()[19])
        uptime = float(Path("/proc/uptime").read_text().split()[0])
        lifetime = uptime - start_ticks / os.sysconf("SC_CLK_TCK")
    except (OSError, ValueError, IndexError):
        return 0.0
    return time.process_time() / max(lifetime, 60.0)


def runnable_others(samples: int = 5, gap: float = 0.02) -> float:
    """Tasks runnable right now other than this process's threads (median of a few
    readings of ``procs_running``: one reading is noisy)."""
    counts: list[int] = []
    for i in range(samples):
        if i:
            time.sleep(gap)
        try:
            stat = Path("/proc/stat").read_text()
            running = next(
                int(row.split()[1]) for row in stat.splitlines() if row.startswith("procs_running")
            )
        except (OSError, StopIteration, ValueError, IndexError):
            return 0.0
        counts.append(running - _own_running())
    return max(0.0, statistics.median(counts))


def _own_running() -> int:
    """Threads of this process in state R (at least this one)."""
    running = 0
    for task in Path("/proc/self/task").glob("*/stat"):
        try:
            if task.read_text().rsplit(")", 1)[1].split()[0] == "R":
                running += 1
        except (OSError, IndexError):
            continue
    return max(1, running)


def affinity_cpus() -> int:
    """CPUs this process may run on (``taskset``, containers narrow them)."""
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # not on Linux
        return os.cpu_count() or 1


def local_processes() -> int:
    """Processes of this job on this node: torchrun's ``LOCAL_WORLD_SIZE``, else 1."""
    local = os.environ.get("LOCAL_WORLD_SIZE", "1")
    return int(local) if local.isdigit() and int(local) > 0 else 1


def read_machine() -> CpuReadings:
    """The readings of this machine, for :func:`plan_threads`; what cannot be read
    (not Linux) counts as no quota and no other load."""
    affinity = affinity_cpus()
    try:
        load1 = os.getloadavg()[0]
    except (AttributeError, OSError):
        load1 = 0.0
    return CpuReadings(
        affinity=affinity,
        online=os.cpu_count() or affinity,
        quota=cgroup_quota(),
        load1=load1,
        own_load=own_load(),
        runnable_others=runnable_others(),
        processes=local_processes(),
    )


def configure_cpu_threads(num_threads: int | None) -> ThreadPlan:
    """Set torch's threads to the CPU share actually available and flush denormals,
    which otherwise can slow recurrent nets badly (pytorch#23862); returns the plan.

    ``None`` means the ``TEXTGEN_LAB_THREADS`` environment variable if set, else
    :func:`lab.cpu_share.plan_threads` on this machine's readings: one thread per
    core that the affinity, the cgroup quota and other processes leave free. The
    measurements behind it: on a quiet 2-core machine 2 threads train 1.67x as fast
    as 1 (``python -m benchmarks --only threads``), but with other processes busy,
    2 threads ran 7-10x *slower* than 1 (``python -m benchmarks --only busy``).
    Inter-op threads are bounded once, before any parallel work (torch refuses a
    second setting, which is then kept).
    """
    if num_threads is not None and num_threads < 1:
        raise OptionError("--num-threads must be >= 1")
    import torch  # here, so reading the machine never loads torch

    requested = num_threads or env_threads()
    if requested is None:
        plan = plan_threads(read_machine())
    else:
        plan = ThreadPlan(requested, 1, f"{requested} thread(s) as asked")
    torch.set_num_threads(plan.threads)
    with contextlib.suppress(RuntimeError):  # parallel work has started, or it was set already
        torch.set_num_interop_threads(plan.interop)
    torch.set_flush_denormal(True)
    return plan


def default_threads() -> int:
    """The CPUs this process may keep busy (its affinity, which containers and
    ``taskset`` narrow, capped by the cgroup quota), divided among torchrun's
    processes on this node; other processes' load is :func:`configure_cpu_threads`'s."""
    return cpu_limit(affinity_cpus(), cgroup_quota(), local_processes())
