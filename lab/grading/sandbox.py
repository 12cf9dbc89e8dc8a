"""The grading sandbox: the submission's code runs in a child process, the verdict here.

The process that decides a score never imports the submission. A graded
test asks the sandbox to run a named driver (:mod:`lab.grading.drivers`)
with JSON arguments; a child process (:mod:`lab.grading.sandbox_child`)
imports the submission, runs it and replies with JSON data, never pickles;
the test compares that data with what it computed itself. The child:

* runs as a dedicated, otherwise unused uid with no network when the
  grader is root, else as the same user (:mod:`lab.grading.confinement`
  says what each mode can and cannot hide);
* sees only a box folder holding ``harness/`` (the child and the drivers)
  and ``submission/`` (the stubbed release overlaid with the student's
  files), both owned by the grader and read-only to it; its working folder,
  ``HOME`` and ``TMPDIR`` are a scratch folder of its own; no path of the
  reference, the hidden tests or the grader is in its environment, working
  folder or arguments;
* is started in a session of its own, capped by ``RLIMIT_AS``,
  ``RLIMIT_CPU`` (renewed per call), ``RLIMIT_NPROC``, ``RLIMIT_FSIZE``, and
  a wall-clock budget per test; when a call times out or the child dies,
  it and everything it started are killed and the next test gets a new one.

One child serves the tests of one exercise module that share a visibility,
so a child that has seen a hidden test's inputs never answers a visible
one; each test's end kills the rest of the sandbox's processes, each
group's end all of them.
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
import time
from pathlib import Path
from typing import Any

from lab.grading import confinement
from lab.grading.confinement import Identity

CHILD_FILE, DRIVERS_PACKAGE = "_textgen_child.py", "_textgen_drivers"
MAX_REPLY = 64 << 20
DEFAULT_MEMORY = 2 << 30
_PASS_ENV = ("NLTK_DATA", "LANG", "LC_ALL")


class SubmissionError(Exception):
    """The submission did not answer a call: it raised, crashed, hung or replied nonsense."""


class SubmissionRaised(SubmissionError):
    """The submission's code raised; ``types`` are the exception's class names, its MRO."""

    def __init__(self, error: str, types: list[str], trace: str) -> None:
        super().__init__(f"{error}\n--- in the submission ---\n{trace}".rstrip())
        self.error, self.types = error, types

    def is_a(self, name: str) -> bool:
        return name in self.types


def build_harness(box: Path) -> None:
    """Copy the child and the drivers into ``box/harness``."""
    harness = box / "harness"
    harness.mkdir(parents=True, exist_ok=True)
    here = Path(__file__).resolve().parent
    shutil.copyfile(here / "sandbox_child.py", harness / CHILD_FILE)
    shutil.copytree(
        here / "drivers",
        harness / DRIVERS_PACKAGE,
        ignore=shutil.ignore_patterns("__pycache__", "*.pyc"),
        dirs_exist_ok=True,
    )


class Worker:
    """One child process and the pipe pair it answers on."""

    def __init__(self, box: Path, identity: Identity, memory_bytes: int, cpu: float) -> None:
        self.box, self.identity, self.memory, self.cpu = box, identity, memory_bytes, cpu
        self.proc: subprocess.Popen[bytes] | None = None
        self._buffer = b""
        self._calls = 0
        self._scratch: Path | None = None
        self.budget = 0.0

    @property
    def pid(self) -> int | None:
        return None if self.proc is None else self.proc.pid

    def _start(self, deadline: float) -> None:
        scratch = Path(tempfile.mkdtemp(prefix="textgen-box-"))
        if self.identity.dedicated:
            os.chown(scratch, self.identity.uid, self.identity.gid)
        self._scratch = scratch
        env = {k: os.environ[k] for k in _PASS_ENV if k in os.environ}
        env |= {
            "PATH": "/usr/local/bin:/usr/bin:/bin", "HOME": str(scratch), "TMPDIR": str(scratch),
            "PYTHONHASHSEED": "0", "PYTHONDONTWRITEBYTECODE": "1", "MPLBACKEND": "Agg",
            "OMP_NUM_THREADS": "1", "MKL_NUM_THREADS": "1", "LANG": env.get("LANG", "C.UTF-8"),
        }  # fmt: skip
        cmd = [*confinement.launch_prefix(self.identity), sys.executable, "-I"]
        cmd += [str(self.box / "harness" / CHILD_FILE), "--memory", str(self.memory)]
        cmd += ["--cpu", str(int(self.cpu) + 1)]
        if self.identity.dedicated:  # RLIMIT_NPROC counts the uid's processes: ours alone
            cmd += ["--nproc", "256"]
        self._stderr = tempfile.TemporaryFile()  # noqa: SIM115 (closed in close())
        self.proc = subprocess.Popen(
            cmd, cwd=scratch, env=env, stdin=subprocess.PIPE, stdout=subprocess.PIPE,
            stderr=self._stderr, start_new_session=True, close_fds=True,
        )  # fmt: skip
        ready = self._read(deadline, "starting")
        if not isinstance(ready, dict) or "ready" not in ready:
            raise SubmissionError("the sandbox child did not start")

    def call(self, driver: str, kwargs: dict[str, Any], deadline: float) -> Any:
        """Run ``driver`` in the child and return its reply's value (raises on anything else)."""
        if self.proc is None:
            self._start(deadline)
        assert self.proc is not None and self.proc.stdin is not None
        self._calls += 1
        request = json.dumps({"id": self._calls, "driver": driver, "kwargs": kwargs})
        try:
            self.proc.stdin.write(request.encode() + b"\n")
            self.proc.stdin.flush()
        except (BrokenPipeError, OSError):
            self._died(driver)
        reply = self._read(deadline, driver)
        if not isinstance(reply, dict) or reply.get("id") != self._calls:
            self.close()
            raise SubmissionError(f"the submission's process sent a reply out of turn to {driver}")
        if reply.get("ok") is True:
            return decode(reply.get("value"))
        types = reply.get("types")
        raise SubmissionRaised(
            str(reply.get("error", "an error")),
            [str(t) for t in types] if isinstance(types, list) else [],
            str(reply.get("traceback", "")),
        )

    def _read(self, deadline: float, what: str) -> Any:
        assert self.proc is not None and self.proc.stdout is not None
        fd = self.proc.stdout.fileno()
        while b"\n" not in self._buffer:
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                seconds = self.budget
                self.close()
                raise SubmissionError(
                    f"Timeout: the submission was still running {what} after the test's "
                    f"{seconds:g} s and was killed"
                )
            if not select.select([fd], [], [], remaining)[0]:
                continue
            chunk = os.read(fd, 1 << 16)
            if not chunk:
                self._died(what)
            self._buffer += chunk
            if len(self._buffer) > MAX_REPLY:
                self.close()
                raise SubmissionError(f"the submission's reply to {what} was too large")
        line, _, self._buffer = self._buffer.partition(b"\n")
        try:
            return json.loads(line)
        except (ValueError, RecursionError):
            self.close()
            raise SubmissionError(f"the submission's process garbled its reply to {what}") from None

    def _died(self, what: str) -> None:
        assert self.proc is not None
        try:
            code: int | None = self.proc.wait(timeout=2)
        except subprocess.TimeoutExpired:
            code = None
        self.close()
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
        if self.identity.dedicated:
            confinement.kill_identity(self.identity, spare=self.pid)
        elif self.pid is not None:
            root = os.getpid() if confinement.SUBREAPER else self.pid
            confinement.kill_descendants(root, spare=self.pid)

    def close(self) -> None:
        """Kill the child and everything it started; remove what it wrote."""
        if self.proc is not None:
            with contextlib.suppress(ProcessLookupError, PermissionError):
                os.killpg(self.proc.pid, signal.SIGKILL)
            confinement.kill_identity(self.identity)
            if not self.identity.dedicated:
                confinement.kill_descendants(os.getpid() if confinement.SUBREAPER else self.pid)
            self.proc.kill()
            self.proc.wait()
            for stream in (self.proc.stdin, self.proc.stdout):
                if stream is not None:
                    stream.close()
            self._stderr.close()
            self.proc = None
        self._buffer = b""
        confinement.remove_files_of(self.identity)
        if self._scratch is not None:
            shutil.rmtree(self._scratch, ignore_errors=True)
            self._scratch = None


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


class Sandbox:
    """The children of one test session, keyed by group (module and visibility)."""

    def __init__(
        self,
        box: Path,
        *,
        identity: Identity,
        per_test_timeout: float,
        memory_bytes: int = DEFAULT_MEMORY,
    ) -> None:
        self.box, self.identity = Path(box), identity
        self.per_test_timeout, self.memory = per_test_timeout, memory_bytes
        self._workers: dict[str, Worker] = {}
        self._current: Worker | None = None
        self._deadline = 0.0

    def begin(self, group: str, tests_in_group: int = 1) -> Sandbox:
        """Start a test of ``group``: its worker (a new one after a group change; its CPU
        limit covers the whole group's time) and this test's wall-clock budget."""
        for key in [k for k in self._workers if k != group]:
            self._workers.pop(key).close()
        if group not in self._workers:
            cpu = self.per_test_timeout * max(tests_in_group, 1)
            self._workers[group] = Worker(self.box, self.identity, self.memory, cpu)
        worker = self._workers[group]
        worker.budget = self.per_test_timeout
        self._current = worker
        self._deadline = time.monotonic() + self.per_test_timeout
        return self

    def call(self, driver: str, **kwargs: Any) -> Any:
        """The value of ``driver(**kwargs)`` run by the submission, as data."""
        if self._current is None:
            raise RuntimeError("call begin() first")
        return self._current.call(driver, kwargs, self._deadline)

    def raises(self, name: str, driver: str, **kwargs: Any) -> str:
        """Assert that the call raises exception class ``name`` (or a subclass); its message."""
        try:
            self.call(driver, **kwargs)
        except SubmissionRaised as exc:
            if exc.is_a(name):
                return exc.error
            raise AssertionError(f"expected {name}, the submission raised {exc}") from None
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
