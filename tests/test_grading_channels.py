"""No channel survives a test group: what a hidden test's child learns never reaches a visible
test's output, in this run or the next.

The planted child writes each call's inputs (a hidden test's are recognisable) everywhere a
later child might look: ``/run/lock``, ``/tmp``, ``/var/tmp``, ``/dev/shm``, its user keyring
and a server on 127.0.0.1; it reads Gradescope's ``submission_metadata.json`` (earlier
results, hidden ones included) and everything left by earlier children; and when called with
a hidden test's inputs it sleeps, which must not show in any time students see. The same
submission is graded twice; neither run's visible output may show a hidden input or the
metadata. Graded as root in namespaces, as root with only a fresh uid per child (a container
that refuses namespaces), and as an ordinary user in namespaces.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import socket
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from _grading_helpers import PPL, TIMEOUT, grade_as_user, reference_only, user_area
from test_grading_forgery import plant, stub

from lab.grading import confinement, jail
from lab.grading.grader import format_summary, grade_submission
from lab.grading.gradescope import results_json

pytestmark = [reference_only, pytest.mark.slow]
HIDDEN_NOTES = ("1.0/0", "1000000.0/1")  # the hidden tests' (nll, tokens)
SECRET = "SECRET-EARLIER-RESULT-test_perplexity_rejects_zero_tokens"

NOTES = """
import ctypes, glob, os, socket, time
note = f"{float(nll_nats)!r}/{num_tokens!r}"
places = ("/run/lock", "/var/lock", "/tmp", "/var/tmp", "/dev/shm")
for folder in places:
    try:
        with open(os.path.join(folder, f"textgen-note-{os.getpid()}-{num_tokens}"), "w") as f:
            f.write(note)
        os.chmod(os.path.join(folder, f"textgen-note-{os.getpid()}-{num_tokens}"), 0o666)
    except OSError:
        pass
libc = ctypes.CDLL(None)
libc.syscall(248, b"user", f"textgen-note-{num_tokens}".encode(), note.encode(), len(note), -4)
try:
    with socket.create_connection(("127.0.0.1", PORT), timeout=1) as s:
        s.sendall(note.encode())
except OSError:
    pass
if num_tokens == 0:
    time.sleep(4)
found = []
for folder in places:
    for name in glob.glob(os.path.join(folder, "textgen-note-*")):
        try:
            found.append(open(name).read())
        except OSError:
            pass
ids = (ctypes.c_int32 * 64)()
count = libc.syscall(250, 11, -4, ids, ctypes.sizeof(ids))
for key in list(ids)[: max(count, 0) // 4]:
    buf = ctypes.create_string_buffer(256)
    n = libc.syscall(250, 11, key, buf, 256)
    found.append(buf.raw[: max(n, 0)].decode(errors="replace"))
try:
    found.append(open(METADATA).read())
except OSError:
    pass
raise RuntimeError("NOTES " + " ".join(found))
"""


@pytest.fixture
def listener() -> Iterator[tuple[int, list[bytes]]]:
    """A TCP server on 127.0.0.1 that keeps what it is sent."""
    heard: list[bytes] = []
    server = socket.create_server(("127.0.0.1", 0))
    server.settimeout(0.2)
    stop = threading.Event()

    def serve() -> None:
        while not stop.is_set():
            try:
                conn, _ = server.accept()
            except OSError:
                continue
            with conn:
                conn.settimeout(1)
                with contextlib.suppress(OSError):
                    heard.append(conn.recv(1000))

    thread = threading.Thread(target=serve, daemon=True)
    thread.start()
    yield server.getsockname()[1], heard
    stop.set()
    thread.join()
    server.close()


def _visible(data: dict[str, Any]) -> str:
    shown = [t for t in data["tests"] if t["visibility"] == "visible"]
    return str(data["output"]) + "".join(str(t["output"]) for t in shown)


def _leftovers() -> list[str]:
    found = []
    for folder in ("/run/lock", "/var/lock", "/tmp", "/var/tmp", "/dev/shm"):
        found += [str(p) for p in Path(folder).glob("textgen-note-*")]
    return found


@pytest.mark.parametrize("who", ["root", "root-uid", "user"])
def test_no_hidden_input_reaches_a_visible_test_in_this_run_or_the_next(
    who: str, tmp_path: Path, listener: tuple[int, list[bytes]], monkeypatch: pytest.MonkeyPatch
) -> None:
    port, heard = listener
    if who.startswith("root") and os.geteuid() != 0:
        pytest.skip("grading as root needs root (Gradescope's case)")
    if who == "user" and jail.tool() is None:
        pytest.skip("an ordinary user's grading is confined only with bubblewrap (bwrap)")
    area = user_area()
    try:
        platform = area / "autograder"
        platform.mkdir()
        (platform / "submission_metadata.json").write_text(f'{{"previous": "{SECRET}"}}')
        os.chmod(platform / "submission_metadata.json", 0o644)
        monkeypatch.setenv("AUTOGRADER_ROOT", str(platform))
        code = NOTES.replace("PORT", str(port))
        code = code.replace("METADATA", repr(str(platform / "submission_metadata.json")))
        sub = stub(tmp_path / "sub")
        plant(sub, "lab/models/scoring.py", "perplexity", code)
        runs = []
        for attempt in range(2):
            if who == "user":
                runs.append(grade_as_user(sub, [PPL], area / f"run{attempt}"))
                continue
            mode = "uid" if who == "root-uid" else "auto"
            report = grade_submission(
                sub, exercises=[PPL], per_test_timeout=TIMEOUT, sandbox_user=mode
            )
            assert report.verified
            runs.append(results_json(report) | {"_stdout": format_summary(report)})
    finally:
        shutil.rmtree(area, ignore_errors=True)
    for data in runs:
        assert data["score"] == 0, data["_stdout"]
        text = _visible(data)
        assert "NOTES" in text  # the child did run, and told what it found
        for note in HIDDEN_NOTES:
            assert note not in text, note
        assert SECRET not in text
        assert data["execution_time"] < 4  # the hidden tests slept 8 s in all
        assert "network" not in data["output"]  # isolation was in place
    assert not any(note.encode() in b"".join(heard) for note in HIDDEN_NOTES)
    assert heard == []  # nothing reached the host's loopback
    assert not _leftovers()


def test_refused_network_isolation_is_reported(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A container that refuses every namespace: the results say the tests had network."""
    if os.geteuid() != 0:
        pytest.skip("the fresh-uid fallback needs root")
    monkeypatch.setattr(confinement, "_UNSHARE_OK", False)
    sub = stub(tmp_path / "sub")
    report = grade_submission(sub, exercises=[PPL], per_test_timeout=TIMEOUT, sandbox_user="uid")
    assert report.score == 0
    assert any("ran with network access" in n for n in report.run_notes)
    assert "network access" in results_json(report)["output"]
