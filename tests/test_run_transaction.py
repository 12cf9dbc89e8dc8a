"""A run directory is a transaction: after a SIGKILL at any point of a save, a full disk or a
read-only folder, it holds the previous complete run or the new one, and ``--resume`` works.

The crash points are the windows :mod:`lab.storage.transaction` lists, reached in a real
training subprocess (``TEXTGEN_LAB_CRASH_AT``); a slow test also kills at random times.
"""

from __future__ import annotations

import errno
import os
import random
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from lab.cli import main
from lab.models.checkpoint import read_manifest

TINY = ["--model", "word-lstm", "--embedding-dim", "8", "--hidden-dim", "8", "--num-layers", "1",
        "--batch-size", "16", "--bptt", "32", "--device", "cpu", "--num-threads", "1",
        "--min-freq", "1", "--patience", "50", "--quiet"]  # fmt: skip
MARKOV = ["--model", "markov", "--quiet"]


def cli(*args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "lab", *args],
        capture_output=True,
        text=True,
        timeout=240,
        env={**os.environ, **(env or {})},
    )


def leftovers(run: Path) -> list[str]:
    """Stages and old runs beside ``run`` (its lock file is meant to stay)."""
    return sorted(
        p.name
        for p in run.parent.iterdir()
        if p.name.startswith(f".{run.name}.") and p.name != f".{run.name}.lock"
    )


def assert_complete(run: Path) -> int:
    """``run`` loads (every digest agrees); returns the epoch its trainer state is at."""
    import torch

    from lab.neural.generators import WordLSTMGenerator

    WordLSTMGenerator.load(run)
    state = torch.load(run / "trainer_state.pt", weights_only=True)
    assert read_manifest(run)["corpus"]["spec"]  # every checkpoint says what to resume on
    return int(state["epoch"])


def one_line(err: str) -> str:
    err = err.strip()
    assert len(err.splitlines()) == 1 and "Traceback" not in err, err
    return err


# (crash point, epochs of training, forced fallback, epoch the run must hold after the kill)
# Saves of a 2-epoch run: epoch 1 (a plain rename: no run there yet), epoch 2 (a swap),
# the final save (a swap), the final metrics (a swap).
CRASHES = {
    "before the second publish": ("staged:2", False, 1),
    "after the swap, old run not yet removed": ("swapped:1", False, 2),
    "before the final metrics": ("staged:4", False, 2),
    "between the two renames of the fallback": ("aside:1", True, None),
}


@pytest.mark.parametrize("case", CRASHES)
def test_a_save_killed_at_any_point_leaves_a_whole_run_that_resumes(
    case: str, corpus_file: Path, tmp_path: Path
) -> None:
    point, fallback, epoch = CRASHES[case]
    run = tmp_path / "run"
    env = {"TEXTGEN_LAB_CRASH_AT": point, **({"TEXTGEN_LAB_NO_EXCHANGE": "1"} if fallback else {})}
    killed = cli("train", "--corpus", str(corpus_file), "--out", str(run), *TINY, "--epochs", "2",
                 env=env)  # fmt: skip
    assert killed.returncode == -signal.SIGKILL, killed.stderr
    assert leftovers(run), "the kill was meant to land mid-save"
    if epoch is None:  # window 3: no run until recovered, never a mixed one
        assert not run.exists()
    else:
        assert assert_complete(run) == epoch
    resumed = cli("train", "--out", str(run), "--resume", "--epochs", "3", "--quiet",
                  env={"TEXTGEN_LAB_NO_EXCHANGE": "1"} if fallback else None)  # fmt: skip
    assert resumed.returncode == 0, resumed.stderr
    assert assert_complete(run) == 3 and read_manifest(run)["metrics"]["epochs"] == 3
    assert "final" in read_manifest(run)
    assert leftovers(run) == []


@pytest.mark.slow
def test_killed_at_random_times_the_run_is_always_whole(corpus_file: Path, tmp_path: Path) -> None:
    """No hook: SIGKILL the training at random moments once it has saved once, then resume."""
    run, rng = tmp_path / "run", random.Random(11)
    first = ["--corpus", str(corpus_file), *TINY]
    for attempt in range(3):
        flags = ["--resume", "--quiet"] if (run / "config.json").exists() else first
        proc = subprocess.Popen(
            [sys.executable, "-m", "lab", "train", "--out", str(run), *flags, "--epochs", "40"],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
        )
        deadline = time.monotonic() + 120
        while not (run / "trainer_state.pt").exists() and proc.poll() is None:
            assert time.monotonic() < deadline
            time.sleep(0.05)
        time.sleep(rng.uniform(0, 1.5))
        proc.kill()
        _, err = proc.communicate()
        assert proc.returncode == -signal.SIGKILL, (attempt, err)
        assert_complete(run)
    done = cli("train", "--out", str(run), "--resume", "--epochs", "40", "--quiet")
    assert done.returncode == 0, done.stderr
    assert assert_complete(run) == 40 and leftovers(run) == []


@pytest.fixture()
def markov_run(tmp_path: Path, prose_file: Path) -> Path:
    run = tmp_path / "out" / "run"
    assert main(["train", "--corpus", str(prose_file), "--out", str(run), *MARKOV]) == 0
    return run


def snapshot(run: Path) -> dict[str, bytes]:
    return {p.name: p.read_bytes() for p in sorted(run.iterdir())}


def test_a_full_disk_at_save_time_is_one_line_and_the_old_run_stays(
    markov_run: Path, prose_file: Path, monkeypatch: pytest.MonkeyPatch, capsys
) -> None:
    """ENOSPC when the new run's files are flushed (in-process: runs as any user)."""
    from lab.storage import transaction

    before = snapshot(markov_run)

    def full(stage: Path) -> None:
        raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))

    monkeypatch.setattr(transaction, "_sync_tree", full)
    capsys.readouterr()
    code = main(["train", "--corpus", str(prose_file), "--out", str(markov_run), *MARKOV,
                 "--force", "--state-size", "1"])  # fmt: skip
    err = one_line(capsys.readouterr().err)
    assert code == 2 and "No space left on device" in err and "unchanged" in err, err
    assert snapshot(markov_run) == before and leftovers(markov_run) == []


@pytest.mark.skipif(os.geteuid() == 0, reason="root ignores file permissions")
def test_a_read_only_folder_is_refused_before_training(
    markov_run: Path, prose_file: Path, capsys
) -> None:
    before = snapshot(markov_run)
    parent = markov_run.parent
    parent.chmod(0o555)
    try:
        for out in (markov_run, parent / "new"):
            capsys.readouterr()
            code = main(["train", "--corpus", str(prose_file), "--out", str(out), *MARKOV,
                         "--force"])  # fmt: skip
            err = one_line(capsys.readouterr().err)
            assert code == 2 and "cannot write" in err and "Permission denied" in err, err
    finally:
        parent.chmod(0o755)
    assert snapshot(markov_run) == before and leftovers(markov_run) == []
    assert not (parent / "new").exists()


def _in_mount_namespace(script: str, *args: str) -> subprocess.CompletedProcess[str]:
    """Run ``sh -c script`` in a private mount namespace (mounts vanish with it)."""
    return subprocess.run(
        ["unshare", "-m", "sh", "-c", script, "sh", *args],
        capture_output=True,
        text=True,
        timeout=240,
    )


def _can_mount(tmp_path: Path) -> bool:
    if shutil.which("unshare") is None:
        return False
    probe = tmp_path / "probe-mount"
    probe.mkdir()
    ok = _in_mount_namespace('mount -t tmpfs -o size=64k tmpfs "$1"', str(probe)).returncode == 0
    probe.rmdir()
    return ok


LAB = f'"{sys.executable}" -m lab train --corpus "$2" --model markov --quiet'


def test_a_read_only_file_system_is_refused_before_training(
    markov_run: Path, prose_file: Path, tmp_path: Path
) -> None:
    """A real read-only bind mount (EROFS, which root cannot bypass)."""
    if not _can_mount(tmp_path):
        pytest.skip("no private mount namespace here (needs unshare and mount rights)")
    before, parent = snapshot(markov_run), markov_run.parent
    script = (
        'mount --bind "$1" "$1" && mount -o remount,bind,ro "$1" || exit 99\n'
        f'{LAB} --out "$1/run" --force 2>"$3/err1"; echo $? >"$3/rc1"\n'
        f'{LAB} --out "$1/new" 2>"$3/err2"; echo $? >"$3/rc2"\n'
    )
    done = _in_mount_namespace(script, str(parent), str(prose_file), str(tmp_path))
    assert done.returncode == 0, done.stderr
    for i in (1, 2):
        err = one_line((tmp_path / f"err{i}").read_text())
        assert (tmp_path / f"rc{i}").read_text().strip() == "2", err
        assert "cannot write" in err and "Read-only file system" in err, err
    assert snapshot(markov_run) == before and leftovers(markov_run) == []
    assert not (parent / "new").exists()


def test_a_really_full_disk_before_and_during_the_save(prose_file: Path, tmp_path: Path) -> None:
    """A tiny tmpfs: full before training (refused by the probe), then with a few kilobytes
    left (the save fails); both one line, exit 2, the run already there intact."""
    if not _can_mount(tmp_path):
        pytest.skip("no private mount namespace here (needs unshare and mount rights)")
    disk, copy = tmp_path / "disk", tmp_path / "after"
    disk.mkdir()
    script = (
        'mount -t tmpfs -o size=2m tmpfs "$1" || exit 99\n'
        f'{LAB} --out "$1/run" >/dev/null 2>&1 || exit 98\n'
        'cp -a "$1/run" "$3/before"\n'
        'head -c 12288 /dev/zero >"$1/spare"\n'
        'cat /dev/zero >"$1/fill" 2>/dev/null\n'
        f'{LAB} --out "$1/run" --force --state-size 1 2>"$3/err1"; echo $? >"$3/rc1"\n'
        'rm "$1/spare"\n'
        f'{LAB} --out "$1/run" --force 2>"$3/err2"; echo $? >"$3/rc2"\n'
        'rm "$1/fill"; cp -a "$1/." "$3/after"\n'
    )
    done = _in_mount_namespace(script, str(disk), str(prose_file), str(tmp_path))
    assert done.returncode == 0, (done.returncode, done.stderr)
    first = one_line((tmp_path / "err1").read_text())
    assert "cannot write" in first and "No space left on device" in first, first
    second = one_line((tmp_path / "err2").read_text())
    assert "cannot save" in second and "No space left on device" in second, second
    assert (tmp_path / "rc1").read_text().strip() == (tmp_path / "rc2").read_text().strip() == "2"
    assert snapshot(copy / "run") == snapshot(tmp_path / "before")
    assert leftovers(copy / "run") == []
