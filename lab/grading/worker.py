"""One sandbox child: starting it walled off, talking JSON over its pipes, watching and ending it.

:class:`Worker` is :mod:`lab.grading.sandbox`'s unit: one child process per
test group, started as a fresh identity (:mod:`lab.grading.confinement`),
answered over a pipe pair, measured every :data:`WATCH_SECONDS` and killed
with everything it started (:mod:`lab.grading.reaper`). Each child runs a
harness built for its test module alone (:mod:`lab.grading.harness`), in a
folder only it can read: bound at :data:`lab.grading.jail.HARNESS_INSIDE` in
the jail, else owned by root and the children's group (as root) or the
grader (without root), and removed when the child ends. Where the grading's
:class:`lab.grading.cgroups.Plan` allows, each child and all it starts live in
a cgroup of their own with the memory and task caps (the kernel holds them,
however short the burst); the watcher stays as the fallback.
"""

from __future__ import annotations

import contextlib
import json
import os
import select
import shutil
import signal
import subprocess
import sys
import tempfile
from pathlib import Path
from typing import Any

from lab.grading import cgroups, confinement, jail, reaper
from lab.grading.budget import Budget
from lab.grading.confinement import Identity
from lab.grading.harness import CHILD_FILE, HARNESS, private_harness, remove_harness, run_folder
from lab.grading.replies import SubmissionError, SubmissionRaised, decode

__all__ = [
    "DEFAULT_MEMORY", "MAX_REPLY", "MAX_TASKS", "WATCH_SECONDS", "SubmissionError",
    "SubmissionRaised", "Worker", "decode",
]  # fmt: skip
MAX_REPLY = 64 << 20
MAX_TASKS = 512  # processes and threads of one sandbox, all together
WATCH_SECONDS = 0.25  # how often the parent measures the whole sandbox
DEFAULT_MEMORY = 2 << 30
_PASS_ENV = ("NLTK_DATA", "LANG", "LC_ALL")


class Worker:
    """One child process and the pipe pair it answers on; each start is a fresh identity."""

    def __init__(
        self,
        box: Path,
        identity: Identity,
        memory_bytes: int,
        cpu: float,
        test_module: Path,
        plan: cgroups.Plan | None = None,
    ) -> None:
        self.box, self.base, self.memory, self.cpu = box, identity, memory_bytes, cpu
        self.plan = plan or cgroups.Plan("none", why="none asked for")
        self._group: cgroups.Group | None = None  # this child's cgroup, if the plan has one
        self.test_module = test_module
        self.identity = identity
        self.proc: subprocess.Popen[bytes] | None = None
        self._buffer = b""
        self._calls = 0
        self._scratch: Path | None = None
        self._harness: Path | None = None  # the folder holding this child's harness
        self._child: int | None = None  # the harness's pid on the host
        self._init: int | None = None  # the PID namespace's first process on the host
        self.pending = False  # a request sent and not answered yet

    @property
    def pid(self) -> int | None:
        return None if self.proc is None else self._child

    def alive(self) -> bool:
        return self.proc is not None and self.proc.poll() is None

    def _start(self, budget: Budget) -> None:
        self.tidy()
        self.identity = self.base.fresh()
        jailed = self.identity.namespaces
        gid = self.identity.gid if self.identity.dedicated else None
        where = run_folder(self.box) if run_folder(self.box).is_dir() else None
        self._harness = private_harness(self.test_module, gid, where)
        harness = self._harness / HARNESS
        if jailed:
            home, child = jail.SCRATCH_INSIDE, f"{jail.HARNESS_INSIDE}/{CHILD_FILE}"
            submission = f"{jail.BOX_INSIDE}/submission"
        else:
            scratch = Path(tempfile.mkdtemp(prefix="textgen-box-", dir=where))
            if self.identity.dedicated:
                os.chown(scratch, self.identity.uid, self.identity.gid)
            self._scratch = scratch
            home, child = str(scratch), str(harness / CHILD_FILE)
            submission = str(self.box / "submission")
        env = {k: os.environ[k] for k in _PASS_ENV if k in os.environ}
        env |= {
            "PATH": "/usr/local/bin:/usr/bin:/bin", "HOME": home, "TMPDIR": home,
            "PYTHONHASHSEED": "0", "PYTHONDONTWRITEBYTECODE": "1", "MPLBACKEND": "Agg",
            "OMP_NUM_THREADS": "1", "MKL_NUM_THREADS": "1", "LANG": env.get("LANG", "C.UTF-8"),
        }  # fmt: skip
        cmd = [*confinement.launch_prefix(self.identity, self.box, harness), sys.executable, "-I"]
        cmd += [child, "--submission", submission]
        cmd += ["--memory", str(self.memory), "--cpu", str(int(self.cpu) + 1)]
        cmd += ["--nproc", str(reaper.nproc_limit(self.identity, MAX_TASKS // 2))]
        if self.plan.kind != "none":
            try:
                self._group = cgroups.Group(self.plan, self.memory, MAX_TASKS)
                cmd = self._group.enter(cmd)
            except OSError as exc:  # said once on the trusted side's stderr, never silent
                print(f"sandbox limits: no cgroup for this child ({exc}): rlimits and the "
                      "watcher hold", file=sys.stderr)  # fmt: skip
        self._stderr = tempfile.TemporaryFile()  # noqa: SIM115 (closed in close())
        self.proc = subprocess.Popen(
            cmd, cwd=home if not jailed else "/", env=env, stdin=subprocess.PIPE,
            stdout=subprocess.PIPE, stderr=self._stderr, start_new_session=True, close_fds=True,
        )  # fmt: skip
        self._child = self.proc.pid
        ready = self._read(budget, "starting")
        if not isinstance(ready, dict) or not isinstance(ready.get("ready"), int):
            raise SubmissionError("the sandbox child did not start")
        if jailed:  # its pid is the namespace's; find it and the namespace's init on the host
            self._init = reaper.host_pid(self.proc.pid, 1)
            self._child = reaper.host_pid(self.proc.pid, ready["ready"])

    def call(self, driver: str, kwargs: dict[str, Any], budget: Budget) -> Any:
        """Run ``driver`` in the child within the test's ``budget`` and return its reply's
        value (raises on anything else)."""
        self.pending = True  # until the reply is read: a call cut short leaves it set
        if self.proc is None:
            self._start(budget)
        assert self.proc is not None and self.proc.stdin is not None
        self._calls += 1
        request = json.dumps({"id": self._calls, "driver": driver, "kwargs": kwargs})
        try:
            self.proc.stdin.write(request.encode() + b"\n")
            self.proc.stdin.flush()
        except (BrokenPipeError, OSError):
            self._died(driver)
        reply = self._read(budget, driver)
        self._over_memory(driver)  # a kill at the cgroup's cap fails the call, however brief
        self.pending = False
        if not isinstance(reply, dict) or reply.get("id") != self._calls:
            self.kill()
            raise SubmissionError(f"the submission's process sent a reply out of turn to {driver}")
        if reply.get("ok") is True:
            return decode(reply.get("value"))
        types = reply.get("types")
        raise SubmissionRaised(
            str(reply.get("error", "an error")),
            [str(t) for t in types] if isinstance(types, list) else [],
            str(reply.get("traceback", "")),
        )

    def _read(self, budget: Budget, what: str) -> Any:
        assert self.proc is not None and self.proc.stdout is not None
        fd = self.proc.stdout.fileno()
        while b"\n" not in self._buffer:
            remaining = budget.remaining()
            if remaining <= 0:
                budget.observe(self.pids())  # the wait since the last look counts too
                if budget.remaining() > 0:
                    continue
                self.kill()
                raise SubmissionError(
                    f"Timeout: the submission was still running {what} after the test's "
                    f"{budget.describe()} and was killed"
                )
            if not select.select([fd], [], [], min(remaining, WATCH_SECONDS))[0]:
                self._watch(what, budget)
                continue
            chunk = os.read(fd, 1 << 16)
            if not chunk:
                self._died(what)
            self._buffer += chunk
            if len(self._buffer) > MAX_REPLY:
                self.kill()
                raise SubmissionError(f"the submission's reply to {what} was too large")
        line, _, self._buffer = self._buffer.partition(b"\n")
        try:
            return json.loads(line)
        except (ValueError, RecursionError):
            self.kill()
            raise SubmissionError(f"the submission's process garbled its reply to {what}") from None

    def pids(self) -> set[int]:
        """Every process of the sandbox now: the child's tree (and a fresh uid's all)."""
        if self.proc is None:
            return set()
        found = reaper.sandbox_pids(
            self.proc.pid, self.identity.uid if self.identity.dedicated else None
        )
        return found | (self._group.pids() if self._group is not None else set())

    def _watch(self, what: str, budget: Budget) -> None:
        """End the sandbox if the kernel killed a process at its cgroup's memory cap, or, with
        no cgroup, if all its processes together hold more than its memory cap or more than
        :data:`MAX_TASKS` tasks (each process alone is capped by its rlimits);
        credit the test's ``budget`` with the time they waited for a CPU."""
        assert self.proc is not None
        self._over_memory(what)
        pids = self.pids()
        budget.observe(pids)
        held = reaper.usage(pids)  # summed RSS counts shared pages twice: a cgroup knows better
        if self._group is None and (held.memory > self.memory or held.tasks > MAX_TASKS):
            self.kill()
            raise SubmissionError(
                f"the submission's processes held {held.memory >> 20} MB in {held.tasks} tasks "
                f"while running {what}, over the sandbox's {self.memory >> 20} MB and "
                f"{MAX_TASKS} tasks, and were killed"
            )

    def _over_memory(self, what: str) -> None:
        """Raise if the kernel killed a process of the sandbox at its cgroup's memory cap."""
        if self._group is not None and self._group.oom_kills() > 0:
            self.kill()
            raise SubmissionError(
                f"the submission's processes went over the sandbox's {self.memory >> 20} MB "
                f"memory cap while running {what} and were killed"
            )

    def _died(self, what: str) -> None:
        assert self.proc is not None
        self._over_memory(what)
        try:
            code: int | None = self.proc.wait(timeout=0.5)
        except subprocess.TimeoutExpired:
            code = None
        if self.identity.namespaces and code is not None and code > 128:
            code = 128 - code  # bwrap's init reports a child killed by signal N as 128 + N
        self.kill()
        if code is None:
            how = "closed its reply pipe"
        elif code < 0:
            try:
                how = f"was killed by {signal.Signals(-code).name}"
            except ValueError:
                how = f"was killed by signal {-code}"
        else:
            how = f"exited with code {code}"
        raise SubmissionError(f"the submission's process {how} while running {what}")

    def sweep(self) -> None:
        """Kill everything the child started, but the child itself."""
        if self.proc is None:
            return
        if self.identity.dedicated:
            reaper.kill_identity(self.identity, spare=self._child)
        if self._init is not None:  # in the namespace, orphans go to its init
            reaper.kill_descendants(self._init, spare=self._child)
        elif not self.identity.dedicated and self._child is not None:
            root = os.getpid() if confinement.SUBREAPER else self._child
            reaper.kill_descendants(root, spare=self._child)

    def kill(self) -> None:
        """End the child and everything it started, at once and uninterrupted (a cleanup cut
        short by pytest-timeout would leave a child the next test reuses); what it wrote
        waits for :meth:`tidy`."""
        with reaper.uninterrupted():
            if self._group is not None:  # every task in it at once (removed by tidy())
                self._group.kill()
            if self.proc is not None:
                reaper.kill_descendants(self.proc.pid)
                with contextlib.suppress(ProcessLookupError, PermissionError):
                    os.killpg(self.proc.pid, signal.SIGKILL)
                self.proc.kill()
                reaper.kill_identity(self.identity)
                if not self.identity.confined and confinement.SUBREAPER:
                    reaper.kill_descendants(os.getpid())
                self.proc.wait()
                for stream in (self.proc.stdin, self.proc.stdout):
                    if stream is not None:
                        stream.close()
                self._stderr.close()
                self.proc = None
            self._buffer, self._child, self._init, self.pending = b"", None, None, False

    def tidy(self) -> None:
        """Remove what the last child wrote: its files in world-writable folders, its IPC
        objects, its scratch folder and its harness (before any other child starts)."""
        with reaper.uninterrupted():
            if self._group is not None and self.proc is None:
                self._group.close()
                self._group = None
            reaper.remove_files_of(self.identity)
            if self._scratch is not None:
                shutil.rmtree(self._scratch, ignore_errors=True)
                self._scratch = None
            if self._harness is not None:
                remove_harness(self._harness)
                self._harness = None

    def close(self) -> None:
        """Kill the child and everything it started; remove what it wrote."""
        self.kill()
        self.tidy()
