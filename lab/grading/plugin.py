"""A tiny pytest plugin that reports each graded test as it happens, as JSON lines.

The grader copies this file into its scratch directory and loads it with
``-p`` in the trusted test subprocess (which imports only the reference;
the submission runs in the sandbox's children). It imports nothing from
``lab`` all the same, so it records faithfully even if the reference on
the path is broken. Events are appended and flushed one
line at a time, so when a submission kills the process (``os._exit``, a
segfault) or hangs it, the grader still knows which tests finished and
which one was running. A watchdog thread ends the process if a test (or a
test module's import) outlives the per-test limit by a grace period, which
catches loops that swallow pytest-timeout's exception.

Environment: ``TEXTGEN_GRADING_EVENTS`` (path of the JSON-lines file),
``TEXTGEN_GRADING_HARD_TIMEOUT`` (seconds before the watchdog fires),
``TEXTGEN_GRADING_SELECT`` (file of the node ids to run) and
``TEXTGEN_GRADING_BOX`` (the sandbox's box, no module of which may be imported here).
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


def pytest_collection_modifyitems(
    session: pytest.Session, config: pytest.Config, items: list[pytest.Item]
) -> None:
    """Keep only the node ids listed in ``TEXTGEN_GRADING_SELECT`` (a file, so that the
    hidden tests' names are not on the command line for any process to read)."""
    path = os.environ.pop("TEXTGEN_GRADING_SELECT", None)
    if not path:
        return
    with open(path, encoding="utf-8") as f:
        order = {line.strip(): i for i, line in enumerate(f) if line.strip()}
    wanted = set(order)
    # In the selection's order: the grader lists every visible test before any hidden one.
    keep = sorted((item for item in items if item.nodeid in wanted), key=lambda i: order[i.nodeid])
    config.hook.pytest_deselected(items=[item for item in items if item.nodeid not in wanted])
    items[:] = keep


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
    """Report any module this process imported from the sandbox's box: there must be
    none, since the submission's code may only ever run in the sandbox's children."""
    global _EXIT_STATUS
    _EXIT_STATUS = int(exitstatus)
    box = os.environ.get("TEXTGEN_GRADING_BOX")
    if _RECORDER is not None and box:
        prefix = os.path.realpath(box) + os.sep
        foreign = sorted(
            name
            for name, module in list(sys.modules.items())
            if os.path.realpath(str(getattr(module, "__file__", None) or "")).startswith(prefix)
        )
        _RECORDER.emit(event="modules", foreign=foreign)


@pytest.hookimpl(trylast=True)
def pytest_unconfigure(config: pytest.Config) -> None:
    """Leave at once: a thread or ``atexit`` hook the submission left behind must not
    keep the process alive after the last test has reported."""
    if _RECORDER is not None:
        _RECORDER.disarm()
        sys.stdout.flush()
        sys.stderr.flush()
        os._exit(_EXIT_STATUS)
