"""One sandbox child: starting it walled off, talking JSON over its pipes, watching and ending it.

:class:`Worker` is :mod:`lab.grading.sandbox`'s unit: one child process per
test group, started as a fresh identity (:mod:`lab.grading.confinement`),
answered over a pipe pair, measured every :data:`WATCH_SECONDS` and killed
with everything it started (:mod:`lab.grading.reaper`). Each child runs a
harness built for its test module alone (:mod:`lab.grading.harness`), in a
folder only it can read: bound at :data:`lab.grading.jail.HARNESS_INSIDE` in
the jail, else owned by root and the children's group (as root) or the
grader (without root), and removed when the child ends.
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

from lab.grading import confinement, jail, reaper
from lab.grading.budget import Budget
from lab.grading.confinement import Identity
from lab.grading.harness import CHILD_FILE, HARNESS, private_harness, remove_harness, run_folder

__all__ = [
    "DEFAULT_MEMORY", "MAX_REPLY", "MAX_TASKS", "WATCH_SECONDS", "SubmissionError",
    "SubmissionRaised", "Worker", "decode",
]  # fmt: skip
MAX_REPLY = 64 << 20
MAX_TASKS = 512  # processes and threads of one sandbox, all together
WATCH_SECONDS = 0.25  # how often the parent measures the whole sandbox
DEFAULT_MEMORY = 2 << 30
_PASS_ENV = ("NLTK_DATA", "LANG", "LC_ALL")


class SubmissionError(Exception):
    """The submission did not answer a call: it raised, crashed, hung or replied nonsense."""


class SubmissionRaised(SubmissionError):
    """The submission's code raised; ``types`` are the qualified names of the exception's
    class and its bases (``builtins.ValueError``, ...), most derived first."""

    def __init__(self, error: str, types: list[str], trace: str) -> None:
        super().__init__(f"{error}\n--- in the submission ---\n{trace}".rstrip())
        self.error, self.types = error, types

    def is_a(self, name: str) -> bool:
        """Whether the exception's class is exactly ``name`` (a builtin's bare name, or a
        qualified one): a class that also subclasses ValueError, TypeError and KeyError to
        satisfy every check at once is none of them."""
        wanted = name if "." in name else f"builtins.{name}"
        return bool(self.types) and self.types[0] == wanted


class Worker:
    """One child process and the pipe pair it answers on; each start is a fresh identity."""

    def __init__(
        self, box: Path, identity: Identity, memory_bytes: int, cpu: float, test_module: Path
    ) -> None:
        self.box, self.base, self.memory, self.cpu = box, identity, memory_bytes, cpu
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
        if self.identity.dedicated:  # RLIMIT_NPROC counts the uid's processes: ours alone
            cmd += ["--nproc", str(MAX_TASKS // 2)]
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
        return reaper.sandbox_pids(
            self.proc.pid, self.identity.uid if self.identity.dedicated else None
        )

    def _watch(self, what: str, budget: Budget) -> None:
        """End the sandbox if all its processes together hold more than its memory cap or
        more than :data:`MAX_TASKS` tasks (each process alone is capped by its rlimits);
        credit the test's ``budget`` with the time they waited for a CPU."""
        assert self.proc is not None
        pids = self.pids()
        budget.observe(pids)
        held = reaper.usage(pids)
        if held.memory > self.memory or held.tasks > MAX_TASKS:
            self.kill()
            raise SubmissionError(
                f"the submission's processes held {held.memory >> 20} MB in {held.tasks} tasks "
                f"while running {what}, over the sandbox's {self.memory >> 20} MB and "
                f"{MAX_TASKS} tasks, and were killed"
            )

    def _died(self, what: str) -> None:
        assert self.proc is not None
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


def decode(value: Any) -> Any:
    """A reply's value with its tensors rebuilt (the only non-JSON type on the wire)."""
    if isinstance(value, dict):
        if "__tensor__" in value:
            from lab.grading.drivers import tensor

            try:
                return tensor(value)
            except (TypeError, ValueError, RuntimeError) as exc:
                raise SubmissionError(f"the submission sent a malformed tensor: {exc}") from None
        return {k: decode(v) for k, v in value.items()}
    if isinstance(value, list):
        return [decode(v) for v in value]
    return value
