"""Running the graded tests in a trusted pytest subprocess.

The tests run in a pytest process that imports only the reference: the
submission's code runs in the sandbox's children (:mod:`lab.grading.sandbox`),
so what this process records is never the submission's doing. pytest
still runs in its own process group with pytest-timeout per test, the
event plugin (:mod:`lab.grading.plugin`) and an overall deadline. If the
process dies or is killed, the test it was running fails and pytest is
started again on the tests that have not reported yet; a run that makes no
progress at all falls back to one test module at a time, so one module that
cannot even be imported costs only its own tests. Whatever has not
reported when the deadline passes scores zero. The runner never raises
because of what a submission does.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

from lab.grading.budget import LOAD_ALLOWANCE

PLUGIN_MODULE = "_textgen_grading_plugin"
WATCHDOG_GRACE_SECONDS = 3.0
_STDERR_TAIL = 3000


@dataclass(frozen=True)
class RawOutcome:
    """What happened to one test: passed or not, and text for the student."""

    passed: bool
    output: str
    duration: float = 0.0


@dataclass
class RunLog:
    """Outcomes by node id, plus notes about the runs (crashes, time-outs) and where
    ``lab``/``baselines`` were imported from in the first run."""

    outcomes: dict[str, RawOutcome] = field(default_factory=dict)
    notes: list[str] = field(default_factory=list)
    origins: dict[str, str | None] = field(default_factory=dict)
    foreign: list[str] = field(default_factory=list)
    runs: int = 0
    crashes: int = 0


def run_graded_tests(
    work: Path,
    nodeids: Sequence[str],
    *,
    env: dict[str, str],
    per_test_timeout: float,
    overall_timeout: float,
    watchdog_grace: float = WATCHDOG_GRACE_SECONDS,
) -> RunLog:
    """Run ``nodeids`` (relative to ``work``) until each has an outcome or time is up.

    A test still running ``watchdog_grace`` seconds after pytest-timeout should
    have stopped it is killed with its process (which is then restarted).
    """
    log = RunLog()
    deadline = time.monotonic() + overall_timeout
    pending = list(nodeids)
    one_module_at_a_time = False
    while pending:
        remaining = deadline - time.monotonic()
        if remaining <= 0.5:
            break
        batch = _module_of(pending) if one_module_at_a_time else list(pending)
        events_path = work / f"events-{log.runs}.jsonl"
        # The sandbox gives each test per_test_timeout, plus what a busy CPU cost it, up to
        # LOAD_ALLOWANCE times as long; pytest-timeout and the watchdog are backstops
        # beyond that, for the trusted process itself.
        soft_limit = per_test_timeout * LOAD_ALLOWANCE + watchdog_grace
        code, stderr, timed_out = _run_pytest(
            work, batch, env, events_path, soft_limit, soft_limit + watchdog_grace, remaining
        )
        log.runs += 1
        before = len(log.outcomes)
        _apply_events(_read_events(events_path), batch, code, timed_out, log)
        if timed_out:
            log.notes.append(f"the overall time limit of {overall_timeout:g} s was reached")
            break
        pending = [n for n in pending if n not in log.outcomes]
        if pending and len(log.outcomes) == before:
            if not one_module_at_a_time and len({_module(n) for n in pending}) > 1:
                one_module_at_a_time = True
                continue
            reason = _describe_exit(code) + _tail(stderr)
            for nodeid in batch:
                log.outcomes.setdefault(nodeid, RawOutcome(False, f"not run: {reason}"))
            pending = [n for n in pending if n not in log.outcomes]
    if log.crashes:
        log.notes.append(
            f"the test process died {log.crashes} time(s) and was restarted; "
            "each test it died in scores zero"
        )
    for nodeid in nodeids:
        log.outcomes.setdefault(
            nodeid,
            RawOutcome(
                False, f"not run: the overall time limit of {overall_timeout:g} s was reached"
            ),
        )
    return log


def _module(nodeid: str) -> str:
    return nodeid.split("::", 1)[0]


def _module_of(pending: Sequence[str]) -> list[str]:
    first = _module(pending[0])
    return [n for n in pending if _module(n) == first]


def _run_pytest(
    work: Path,
    nodeids: Sequence[str],
    env: dict[str, str],
    events_path: Path,
    per_test_timeout: float,
    hard_limit: float,
    budget: float,
) -> tuple[int | None, str, bool]:
    """Exit code (``None`` if killed for the deadline), stderr tail, timed out?

    The node ids go in a file the plugin reads, not on the command line: any
    process can read another's ``/proc/<pid>/cmdline``, and hidden tests' names
    must not be readable by the submission.
    """
    selection = events_path.with_suffix(".select")
    selection.write_text("\n".join(nodeids) + "\n", encoding="utf-8")
    modules = sorted({_module(n) for n in nodeids})
    cmd = [
        sys.executable, "-m", "pytest",
        "-p", PLUGIN_MODULE, "-p", "no:cacheprovider",
        "-c", str(work / "pytest.ini"), "--rootdir", str(work),
        "-q", "--tb=short", "--color=no", "--continue-on-collection-errors",
        "--timeout", f"{per_test_timeout:g}", "--timeout-method=signal",
        *modules,
    ]  # fmt: skip
    run_env = dict(env)
    run_env["TEXTGEN_GRADING_EVENTS"] = str(events_path)
    run_env["TEXTGEN_GRADING_HARD_TIMEOUT"] = f"{hard_limit:g}"
    run_env["TEXTGEN_GRADING_SELECT"] = str(selection)
    proc = subprocess.Popen(
        cmd, cwd=work, env=run_env, stdin=subprocess.DEVNULL,
        stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, start_new_session=True,
    )  # fmt: skip
    try:
        _, err = proc.communicate(timeout=budget)
    except subprocess.TimeoutExpired:
        _kill_group(proc)
        _, err = proc.communicate()
        return None, err.decode("utf-8", "replace"), True
    _kill_group(proc)  # anything the submission left running in the background
    return proc.returncode, err.decode("utf-8", "replace"), False


def _kill_group(proc: subprocess.Popen[bytes]) -> None:
    """Kill the test process and anything it started (its own session)."""
    try:
        os.killpg(proc.pid, signal.SIGKILL)
    except (ProcessLookupError, PermissionError):
        if proc.poll() is None:
            proc.kill()


def _read_events(path: Path) -> list[dict[str, object]]:
    if not path.exists():
        return []
    events = []
    for line in path.read_text(encoding="utf-8", errors="replace").splitlines():
        try:
            event = json.loads(line)
        except json.JSONDecodeError:
            continue  # a line cut short by a crash
        if isinstance(event, dict):
            events.append(event)
    return events


def _apply_events(
    events: list[dict[str, object]],
    batch: Sequence[str],
    code: int | None,
    timed_out: bool,
    log: RunLog,
) -> None:
    running: str | None = None
    watchdog: dict[str, object] | None = None
    for event in events:
        kind, nodeid = event.get("event"), str(event.get("nodeid", ""))
        if kind == "session" and not log.origins:
            origins = event.get("origins")
            if isinstance(origins, dict):
                log.origins = {str(k): (None if v is None else str(v)) for k, v in origins.items()}
        elif kind == "modules":
            foreign = event.get("foreign")
            log.foreign.extend(str(m) for m in foreign if m) if isinstance(foreign, list) else None
        elif kind == "start":
            running = nodeid
        elif kind == "finish":
            running = None
            passed = event.get("outcome") == "passed"
            output = str(event.get("output") or "")
            if event.get("outcome") == "skipped":
                output = "skipped, which scores zero: " + output
            duration = event.get("duration")
            log.outcomes[nodeid] = RawOutcome(
                passed, output, float(duration) if isinstance(duration, (int, float)) else 0.0
            )
        elif kind == "collect_error":
            for test in batch:
                if _module(test) == nodeid or test.startswith(nodeid + "::"):
                    log.outcomes.setdefault(
                        test,
                        RawOutcome(
                            False, "the test module failed to load:\n" + str(event.get("output"))
                        ),
                    )
        elif kind == "watchdog":
            watchdog = event
    if watchdog is not None:
        what, nodeid = watchdog.get("what"), str(watchdog.get("nodeid"))
        message = (
            f"killed: still running {watchdog.get('seconds')} s after it started "
            "(an infinite loop that ignored the per-test time limit?)"
        )
        if what == "import":
            for test in batch:
                if _module(test) == nodeid:
                    log.outcomes.setdefault(
                        test, RawOutcome(False, f"importing the module was {message}")
                    )
        if what == "test":
            log.outcomes.setdefault(nodeid, RawOutcome(False, message))
        log.crashes += 1
    if running is not None and running not in log.outcomes:
        why = "the overall time limit was reached" if timed_out else _describe_exit(code)
        log.outcomes[running] = RawOutcome(False, f"the test process died during this test: {why}")
        if not timed_out:
            log.crashes += 1


def _describe_exit(code: int | None) -> str:
    if code is None:
        return "killed at the overall time limit"
    if code < 0:
        try:
            name = signal.Signals(-code).name
        except ValueError:
            name = f"signal {-code}"
        return f"the test process was killed by {name}"
    return f"the test process exited with code {code}"


def _tail(text: str) -> str:
    text = text.strip()
    if not text:
        return ""
    return "\n" + (text if len(text) <= _STDERR_TAIL else "..." + text[-_STDERR_TAIL:])
