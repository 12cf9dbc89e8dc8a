"""Forged scores: each attack that once got full marks with nothing solved now scores
what the untouched handout scores (zero), and hidden tests stay hidden.

Every attack is planted in the handout's stub (so nothing is solved) and
graded through the real grader: the submission runs in the sandbox's
children (:mod:`lab.grading.sandbox`), the verdict in a trusted process. The
attacks that read or write the grader's files need the grader to drop to a
uid of its own, which it can only do as root; without root they are
skipped (the grader then can only detect tampering, not prevent reading).
"""

from __future__ import annotations

import json
import os
import shutil
import sys
import time
from pathlib import Path

import pytest
from _grading_helpers import (
    DISTINCT,
    PPL,
    ROOT,
    TIMEOUT,
    copy_reference,
    inject,
    reference_only,
)

from lab.cli import main
from lab.grading.grader import GradeReport, format_summary, grade_submission
from lab.grading.gradescope import results_json
from lab.grading.handout import release_source
from lab.grading.inventory import read_inventory
from lab.grading.workspace import digest

as_root = pytest.mark.skipif(os.geteuid() != 0, reason="hiding files needs a uid of its own")
pytestmark = [reference_only, pytest.mark.slow]
HIDDEN = [t for t in read_inventory(ROOT / "tests" / "exercises") if t.hidden]
MARK = "textgen-forgery-daemon"


def stub(dest: Path) -> Path:
    """The handout's lab/ and baselines/: every solution replaced by its stub."""
    for package in ("lab", "baselines"):
        shutil.copytree(
            ROOT / package, dest / package, ignore=shutil.ignore_patterns("__pycache__")
        )
        for path in (dest / package).rglob("*.py"):
            rel = path.relative_to(dest).as_posix()
            path.write_text(release_source(path.read_text(encoding="utf-8"), rel), encoding="utf-8")
    return dest


def plant(root: Path, file: str, function: str, code: str) -> None:
    """Put ``code`` before the stub's ``raise NotImplementedError`` in ``function``."""
    path = root / file
    text = path.read_text(encoding="utf-8")
    start = text.index(f"def {function}(")
    at = text.index("raise NotImplementedError", start)
    indent = text[text.rindex("\n", 0, at) + 1 : at]
    body = "".join(f"{indent}{line}\n" for line in code.strip("\n").splitlines())
    path.write_text(text[:at] + body.lstrip() + indent + text[at:], encoding="utf-8")


def visible_text(report: GradeReport) -> str:
    data = results_json(report)
    shown = [t for t in data["tests"] if t["visibility"] == "visible"]
    return data["output"] + "".join(t["name"] + t["output"] for t in shown)


def assert_nothing_hidden_leaks(report: GradeReport) -> None:
    text = visible_text(report) + format_summary(report, reveal_hidden=False)
    for test in HIDDEN:
        assert test.function not in text and test.description not in text, test.function


def marked_processes() -> list[int]:
    found = []
    for entry in Path("/proc").iterdir():
        try:
            if entry.name.isdigit() and MARK.encode() in (entry / "cmdline").read_bytes():
                found.append(int(entry.name))
        except OSError:
            continue
    return found


# (1) patch the grading plugin's recorder, (2) patch _pytest.reports, from lab/__init__.py
PATCH_RECORDER = """
try:
    import _textgen_grading_plugin as _p
    _p._Recorder.phase = lambda self, report: None
    _p._Recorder.finish = lambda self, nodeid: self.emit(event="finish", nodeid=nodeid, outcome="passed")
except Exception:
    pass
try:
    import _pytest.reports as _r
    _r.TestReport.passed = property(lambda self: True)
    _r.TestReport.failed = property(lambda self: False)
    _r.TestReport.outcome = property(lambda self: "passed", lambda self, v: None)
except Exception:
    pass
"""

# (4) find the reference on disk and run its solution; read hidden tests and show them
STEAL = """
import glob, os
found = []
places = [f"/proc/{os.getppid()}/cwd", *glob.glob("/proc/*/cwd"), ROOT, "/autograder/source"]
places += glob.glob("/tmp/textgen-grade-*")
for place in places:
    for rel in ("lab/models/scoring.py", "submission/lab/models/scoring.py"):
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
for pid in glob.glob("/proc/*/cmdline") + glob.glob("/proc/*/environ"):
    try:
        found.append(open(pid, "rb").read().decode(errors="replace"))
    except OSError:
        pass
raise RuntimeError("LEAK " + " ".join(found)[-3500:])
"""


@as_root
def test_patched_plugin_pytest_and_stolen_reference_score_zero(tmp_path: Path) -> None:
    sub = stub(tmp_path / "sub")
    with (sub / "lab" / "__init__.py").open("a", encoding="utf-8") as f:
        f.write(PATCH_RECORDER)
    plant(sub, "lab/models/scoring.py", "perplexity", STEAL.replace("ROOT", repr(str(ROOT))))
    report = grade_submission(sub, exercises=[PPL], per_test_timeout=TIMEOUT)
    assert report.score == 0, format_summary(report)
    assert all("LEAK" in r.output for r in report.results)
    assert_nothing_hidden_leaks(report)
    assert "BEGIN SOLUTION" not in "".join(r.output for r in report.results)


# (3) append "passed" events to the log, then leave at once
FORGE_EVENTS = """
import glob, json, os
for path in glob.glob("/tmp/textgen-grade-*/events-*.jsonl") + glob.glob("/proc/*/fd/*"):
    try:
        with open(path, "a") as log:
            for n in ("uniform_model_has_perplexity_of_its_vocabulary", "perplexity_is_token_weighted",
                      "perplexity_edge_cases"):
                nodeid = f"exercises/test_ex9_perplexity.py::test_{n}"
                log.write(json.dumps({"event": "finish", "nodeid": nodeid, "outcome": "passed"}) + "\\n")
    except OSError:
        pass
os._exit(0)
"""


def test_forged_events_and_a_quick_exit_score_zero(tmp_path: Path) -> None:
    sub = stub(tmp_path / "sub")
    plant(sub, "lab/models/scoring.py", "perplexity", FORGE_EVENTS)
    report = grade_submission(sub, exercises=[PPL], per_test_timeout=TIMEOUT)
    assert report.score == 0, format_summary(report)
    assert all("exited with code 0" in r.output for r in report.results)


# (5) a detached daemon rewrites results.json after the grader is done; another holds the pipes
DAEMONS = """
import subprocess, sys
forged = '{"score": 99.0, "tests": []}'
code = (
    "import sys, time\\n"
    f"end = time.time() + 6\\n"
    "while time.time() < end:\\n"
    "    try:\\n"
    f"        open({RESULTS!r}, 'w').write({forged!r})\\n"
    "    except OSError:\\n"
    "        pass\\n"
    "    time.sleep(0.05)\\n"
)
subprocess.Popen([sys.executable, "-c", code, MARK], start_new_session=True)
subprocess.Popen([sys.executable, "-c", "import time; time.sleep(300)", MARK], start_new_session=True)
"""


def test_detached_daemons_neither_rewrite_results_nor_stretch_the_limit(tmp_path: Path) -> None:
    sub = stub(tmp_path / "sub")
    results = tmp_path / "out" / "results.json"
    results.parent.mkdir()
    os.chmod(results.parent, 0o777 if os.geteuid() != 0 else 0o755)
    code = DAEMONS.replace("RESULTS", repr(str(results))).replace("MARK", repr(MARK))
    plant(sub, "lab/models/scoring.py", "perplexity", code)
    started = time.monotonic()
    args = ["grade", str(sub), "--exercise", "6", "--out", str(results), "--overall-timeout", "120"]
    assert main([*args, "--per-test-timeout", str(TIMEOUT)]) == 0
    assert time.monotonic() - started < 60
    assert not marked_processes()
    time.sleep(1.0)
    assert json.loads(results.read_text())["score"] == 0.0


# (6) edit the grader's own files so that the next submission scores differently
TAMPER = """
import glob, os, sys


targets = [os.path.join(ROOT, "lab", "grading", "grader.py"), os.path.join(ROOT, "tests", "exercises", "conftest.py")]
targets += [os.path.join(p, "_textgen_drivers", "__init__.py") for p in sys.path]
targets += glob.glob("/tmp/textgen-grade-*/plugin/*.py") + glob.glob("/tmp/textgen-box-*/*/*.py")
targets += glob.glob("/tmp/textgen-box-*-run/*/harness/*.py") + glob.glob("/tmp/textgen-box-*-run/*/harness/*/*.py")
targets += glob.glob("/harness/*.py") + glob.glob("/harness/*/*.py")
for path in targets:
    try:
        with open(path, "a") as f:
            f.write("\\nTAMPERED = True\\n")
    except OSError:
        pass
"""


@as_root
def test_tampering_with_the_grader_changes_no_later_score(tmp_path: Path) -> None:
    before = digest(ROOT)
    sub = stub(tmp_path / "sub")
    plant(sub, "lab/models/scoring.py", "perplexity", TAMPER.replace("ROOT", repr(str(ROOT))))
    assert grade_submission(sub, exercises=[PPL], per_test_timeout=TIMEOUT).score == 0
    assert digest(ROOT) == before
    clean = grade_submission(stub(tmp_path / "clean"), exercises=[PPL], per_test_timeout=TIMEOUT)
    assert clean.score == 0 and clean.notes == ()


# (7) a test that takes 4.5 GB
def test_memory_is_capped(tmp_path: Path) -> None:
    sub = copy_reference(tmp_path / "sub")
    inject(sub, "lab/models/scoring.py", "perplexity", ["hog = bytearray(4_500_000_000)"])
    report = grade_submission(sub, exercises=[PPL], per_test_timeout=TIMEOUT)
    assert report.score == 0
    assert all("MemoryError" in r.output for r in report.results)


def test_the_grading_process_never_imports_the_submission(tmp_path: Path) -> None:
    """The trusted process reports what it imported from the box: nothing; nor did this one."""
    sub = copy_reference(tmp_path / "sub")
    report = grade_submission(sub, exercises=[PPL, DISTINCT], per_test_timeout=TIMEOUT)
    assert report.score == report.max_score and report.notes == ()
    for module in list(sys.modules.values()):
        origin = str(getattr(module, "__file__", None) or "")
        assert "textgen-box-" not in origin and not origin.startswith(str(tmp_path)), origin


def test_same_user_mode_still_grades_and_ends_what_detached(tmp_path: Path) -> None:
    """Without a uid of its own the sandbox still confines time and memory and kills what
    the submission detached (it cannot hide files then; see lab.grading.confinement)."""
    sub = copy_reference(tmp_path / "sub")
    code = [
        "import subprocess, sys",
        f"subprocess.Popen([sys.executable, '-c', 'import time; time.sleep(300)', {MARK!r}],"
        " start_new_session=True)",
    ]
    inject(sub, "lab/evaluation/metrics.py", "distinct_n", code)
    report = grade_submission(
        sub, exercises=[PPL, DISTINCT], per_test_timeout=TIMEOUT, sandbox_user="same"
    )
    assert report.score == report.max_score, format_summary(report)
    assert not marked_processes()
