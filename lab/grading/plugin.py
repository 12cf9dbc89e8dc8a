"""A tiny pytest plugin that reports each graded test as it happens, as JSON lines.

The grader copies this file into its scratch directory and loads it with
``-p`` in the test subprocess, so it must import nothing from ``lab`` (the
``lab`` on that path is the student's). Events are appended and flushed one
line at a time, so when a submission kills the process (``os._exit``, a
segfault) or hangs it, the grader still knows which tests finished and
which one was running. A watchdog thread ends the process if a test (or a
test module's import) outlives the per-test limit by a grace period, which
catches loops that swallow pytest-timeout's exception.

Environment: ``TEXTGEN_GRADING_EVENTS`` (path of the JSON-lines file) and
``TEXTGEN_GRADING_HARD_TIMEOUT`` (seconds before the watchdog fires).
"""

from __future__ import annotations

import importlib.util
import json
import os
import sys
import threading
from typing import Any

import pytest

_MAX_OUTPUT = 4000
_WATCHDOG_EXIT = 86


class _Recorder:
    def __init__(self, path: str, hard_timeout: float) -> None:
        self._file = open(path, "a", encoding="utf-8", buffering=1)  # noqa: SIM115
        self._hard_timeout = hard_timeout
        self._timer: threading.Timer | None = None
        self._lock = threading.Lock()
        self._phases: dict[str, dict[str, Any]] = {}

    def emit(self, **event: Any) -> None:
        with self._lock:
            self._file.write(json.dumps(event) + "\n")
            self._file.flush()  # in the kernel now: survives os._exit and signals

    def arm(self, what: str, nodeid: str) -> None:
        self.disarm()
        if self._hard_timeout <= 0:
            return
        timer = threading.Timer(self._hard_timeout, self._fire, args=(what, nodeid))
        timer.daemon = True
        timer.start()
        self._timer = timer

    def disarm(self) -> None:
        if self._timer is not None:
            self._timer.cancel()
            self._timer = None

    def _fire(self, what: str, nodeid: str) -> None:
        self.emit(event="watchdog", what=what, nodeid=nodeid, seconds=self._hard_timeout)
        os._exit(_WATCHDOG_EXIT)

    # -- per-test outcome across setup / call / teardown ---------------------------
    def phase(self, report: pytest.TestReport) -> None:
        state = self._phases.setdefault(report.nodeid, {"outcome": "passed", "output": ""})
        state["duration"] = state.get("duration", 0.0) + float(report.duration)
        if report.failed:
            state["outcome"] = "failed"
            state["output"] += f"[{report.when}] {report.longreprtext}\n"
        elif report.skipped and state["outcome"] == "passed":
            state["outcome"] = "skipped"
            state["output"] += f"[{report.when}] skipped: {_skip_reason(report)}\n"

    def finish(self, nodeid: str) -> None:
        state = self._phases.pop(nodeid, {"outcome": "failed", "output": "no report"})
        self.emit(
            event="finish",
            nodeid=nodeid,
            outcome=state["outcome"],
            duration=round(state.get("duration", 0.0), 4),
            output=_clip(state["output"]),
        )


def _skip_reason(report: pytest.TestReport) -> str:
    longrepr = report.longrepr
    if isinstance(longrepr, tuple) and len(longrepr) == 3:
        return str(longrepr[2])
    return str(longrepr)


def _clip(text: str) -> str:
    text = text.strip()
    if len(text) <= _MAX_OUTPUT:
        return text
    return "...\n" + text[-_MAX_OUTPUT:]


_RECORDER: _Recorder | None = None


def pytest_configure(config: pytest.Config) -> None:
    global _RECORDER
    config.addinivalue_line("markers", "points(n): points this test is worth")
    # Taken out of the environment, so the code under test is not handed the path.
    path = os.environ.pop("TEXTGEN_GRADING_EVENTS", None)
    hard_timeout = float(os.environ.pop("TEXTGEN_GRADING_HARD_TIMEOUT", "0"))
    if path and _RECORDER is None:
        _RECORDER = _Recorder(path, hard_timeout)


def pytest_sessionstart(session: pytest.Session) -> None:
    if _RECORDER is None:
        return
    origins = {}
    for name in ("lab", "baselines"):
        try:
            spec = importlib.util.find_spec(name)
        except (ImportError, ValueError):
            spec = None
        origins[name] = (
            None if spec is None else (spec.origin or str(spec.submodule_search_locations))
        )
    _RECORDER.emit(event="session", origins=origins)


def pytest_collectstart(collector: pytest.Collector) -> None:
    if _RECORDER is not None and isinstance(collector, pytest.Module):
        _RECORDER.arm("import", collector.nodeid)


def pytest_collectreport(report: pytest.CollectReport) -> None:
    if _RECORDER is None:
        return
    _RECORDER.disarm()
    if report.failed:
        _RECORDER.emit(
            event="collect_error", nodeid=report.nodeid, output=_clip(report.longreprtext)
        )


def pytest_runtest_logstart(nodeid: str, location: tuple[str, int | None, str]) -> None:
    if _RECORDER is not None:
        _RECORDER.emit(event="start", nodeid=nodeid)
        _RECORDER.arm("test", nodeid)


def pytest_runtest_logreport(report: pytest.TestReport) -> None:
    if _RECORDER is not None:
        _RECORDER.phase(report)


def pytest_runtest_logfinish(nodeid: str, location: tuple[str, int | None, str]) -> None:
    if _RECORDER is not None:
        _RECORDER.disarm()
        _RECORDER.finish(nodeid)


_EXIT_STATUS = 0


def pytest_sessionfinish(session: pytest.Session, exitstatus: int) -> None:
    global _EXIT_STATUS
    _EXIT_STATUS = int(exitstatus)


@pytest.hookimpl(trylast=True)
def pytest_unconfigure(config: pytest.Config) -> None:
    """Leave at once: a thread or ``atexit`` hook the submission left behind must not
    keep the process alive after the last test has reported."""
    if _RECORDER is not None:
        _RECORDER.disarm()
        sys.stdout.flush()
        sys.stderr.flush()
        os._exit(_EXIT_STATUS)
