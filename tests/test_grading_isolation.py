"""The same guarantees with and without root: a child that reads the grader's files, forges its
events, kills its parent or loads the reference through ``/proc`` scores what the stub scores.

Each attack is graded twice where the machine allows: by this process (root, as Gradescope
runs it: a fresh uid per child, in namespaces where the kernel allows) and by an ordinary
user (``nobody`` when this process is root; then the walls are user, PID, mount and network
namespaces through bubblewrap). Without bubblewrap, an ordinary user's grading is marked
unverified instead (:func:`test_unconfined_grading_says_so_and_is_marked_unverified`).
"""

from __future__ import annotations

import os
import shutil
from pathlib import Path
from typing import Any

import pytest
from _grading_helpers import PPL, ROOT, TIMEOUT, grade_as_user, reference_only, user_area
from test_grading_forgery import HIDDEN, plant, stub

from lab.grading import jail
from lab.grading.grader import UNVERIFIED, format_summary, grade_submission
from lab.grading.gradescope import results_json

pytestmark = [reference_only, pytest.mark.slow]
WHO = ["root", "user"]

# The child reads the selection (every test id, hidden ones too), appends "passed" events for
# all of them to every events log it finds, then kills every pytest it can see and itself.
FORGE = """
import glob, json, os, signal
ids, found = [], []
for place in glob.glob("/tmp/textgen-grade-*") + glob.glob("/proc/*/cwd"):
    for sel in glob.glob(os.path.join(place, "events-*.select")):
        try:
            ids += open(sel).read().split()
        except OSError:
            pass
for place in glob.glob("/tmp/textgen-grade-*") + glob.glob("/proc/*/cwd"):
    for log in glob.glob(os.path.join(place, "events-*.jsonl")) + glob.glob("/proc/*/fd/*"):
        try:
            with open(log, "a") as f:
                for nodeid in ids:
                    f.write(json.dumps({"event": "finish", "nodeid": nodeid, "outcome": "passed"}) + "\\n")
            found.append(log)
        except OSError:
            pass
for entry in glob.glob("/proc/[0-9]*/cmdline"):
    try:
        if b"pytest" in open(entry, "rb").read():
            os.kill(int(entry.split("/")[2]), signal.SIGKILL)
    except (OSError, ValueError):
        pass
for pid in (os.getppid(), 1):
    try:
        os.kill(pid, signal.SIGKILL)
    except OSError:
        pass
raise RuntimeError("FORGED " + " ".join(ids + found)[-3000:])
"""

# The child looks for the grader through /proc (cwd, environ, cmdline of every process),
# finds the reference and the hidden tests there and runs the reference's solution.
THROUGH_PROC = """
import glob, os
places, found = [], []
for entry in glob.glob("/proc/[0-9]*"):
    for what in ("cwd", "root"):
        try:
            places.append(os.readlink(os.path.join(entry, what)))
        except OSError:
            pass
    try:
        environ = open(os.path.join(entry, "environ"), "rb").read().decode(errors="replace")
        found.append(environ)
        for item in environ.split("\\0"):
            if item.startswith(("PYTHONPATH=", "TEXTGEN_")):
                places += item.split("=", 1)[1].split(":")
    except OSError:
        pass
for place in places:
    for rel in ("lab/models/scoring.py", "../lab/models/scoring.py"):
        try:
            source = open(os.path.join(place, rel)).read()
        except OSError:
            continue
        if "BEGIN SOLUTION" in source:
            space = {}
            exec(compile(source, "ref", "exec"), space)
            return space["perplexity"](nll_nats, num_tokens)
    for name in glob.glob(os.path.join(place, "*exercises/test_ex*.py")):
        try:
            found.append(open(name).read())
        except OSError:
            pass
raise RuntimeError("LEAK " + " ".join(found)[-3000:])
"""


def _grade(who: str, sub: Path, tmp_path: Path) -> dict[str, Any]:
    """results.json of grading ``sub`` (exercise 9) as root (here) or as an ordinary user."""
    if who == "root":
        if os.geteuid() != 0:
            pytest.skip("grading as root needs root (Gradescope's case)")
        report = grade_submission(sub, exercises=[PPL], per_test_timeout=TIMEOUT)
        data = results_json(report)
        data["_stdout"] = format_summary(report)
        return data
    if jail.tool() is None:
        pytest.skip("an ordinary user's grading is confined only with bubblewrap (bwrap)")
    area = user_area()
    try:
        return grade_as_user(sub, [PPL], area)
    finally:
        shutil.rmtree(area, ignore_errors=True)


def _visible(data: dict[str, Any]) -> str:
    shown = [t for t in data["tests"] if t["visibility"] == "visible"]
    return str(data["output"]) + "".join(str(t["name"]) + str(t["output"]) for t in shown)


def _assert_stub_score_and_no_leak(data: dict[str, Any]) -> None:
    assert data["extra_data"]["verified"] is True, data["output"]
    assert data["score"] == 0, data["_stdout"]
    graded = [t for t in data["tests"] if t["max_score"] > 0]
    assert graded and all(t["score"] == 0 for t in graded)
    text = _visible(data)
    for test in HIDDEN:
        assert test.function not in text and test.description not in text, test.function
    assert "BEGIN SOLUTION" not in text and "restarted" not in data["output"]


@pytest.mark.parametrize("who", WHO)
def test_forged_events_and_a_killed_parent_score_what_the_stub_scores(
    who: str, tmp_path: Path
) -> None:
    sub = stub(tmp_path / "sub")
    plant(sub, "lab/models/scoring.py", "perplexity", FORGE)
    data = _grade(who, sub, tmp_path)
    _assert_stub_score_and_no_leak(data)
    assert "test_ex9_perplexity.py::" not in _visible(data)  # it never read the selection


@pytest.mark.parametrize("who", WHO)
def test_the_reference_is_out_of_reach_through_proc(who: str, tmp_path: Path) -> None:
    sub = stub(tmp_path / "sub")
    plant(sub, "lab/models/scoring.py", "perplexity", THROUGH_PROC)
    data = _grade(who, sub, tmp_path)
    _assert_stub_score_and_no_leak(data)
    outputs = [t["output"] for t in data["tests"] if t["max_score"] > 0]
    assert all("LEAK" in out for out in outputs)
    told = "".join(out.split("LEAK", 1)[1] for out in outputs)  # what the child found
    assert str(ROOT) not in told and "PYTHONPATH" not in told and "TEXTGEN_" not in told


def test_unconfined_grading_says_so_and_is_marked_unverified(tmp_path: Path) -> None:
    """Where no walls can be built the grade still comes, first line: UNVERIFIED."""
    sub = stub(tmp_path / "sub")
    report = grade_submission(
        sub, exercises=[PPL], per_test_timeout=TIMEOUT, sandbox_user="unconfined"
    )
    assert report.score == 0 and not report.verified
    summary = format_summary(report, reveal_hidden=False)
    assert summary.splitlines()[0].startswith(UNVERIFIED)
    assert results_json(report)["extra_data"]["verified"] is False


# Three processes of 800 MB each: every one under the 2 GB address-space cap, 2.4 GB together.
SPREAD = """
import os, time
pids = []
for _ in range(3):
    pid = os.fork()
    if pid == 0:
        hog = b"x" * 800_000_000
        time.sleep(60)
        os._exit(0)
    pids.append(pid)
time.sleep(60)
"""


def test_the_memory_cap_covers_all_the_sandbox_s_processes(tmp_path: Path) -> None:
    sub = stub(tmp_path / "sub")
    plant(sub, "lab/models/scoring.py", "perplexity", SPREAD)
    report = grade_submission(sub, exercises=[PPL], per_test_timeout=TIMEOUT, memory_bytes=2 << 30)
    assert report.score == 0
    first = report.results[0].output
    assert "over the sandbox's 2048 MB" in first, first
