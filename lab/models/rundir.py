"""Claiming a run directory before any work: one writer at a time, nothing overwritten by accident.

``train --out DIR`` checks, before it reads the corpus or trains anything,
that ``DIR`` can be written (not a file, not under a file, on a writable
file system), that it does not already hold a run (unless ``--force``
replaces it or ``--resume`` continues it), and takes an exclusive lock, so a
second training into the same folder fails at once with one line instead of
mixing its files with the first one's. The lock is an ``fcntl`` lock on a
sibling file (``.DIR.lock``), which the kernel releases if the process dies:
a crash never leaves a stale lock.
"""

from __future__ import annotations

import contextlib
import fcntl
import os
import shutil
from collections.abc import Iterator
from pathlib import Path

from lab.errors import CheckpointError
from lab.models.checkpoint import CONFIG_FILE


@contextlib.contextmanager
def claim_run_directory(
    directory: Path, *, force: bool = False, resume: bool = False
) -> Iterator[Path]:
    """Check and lock ``directory`` for writing a run; yields it (see the module docstring).

    With ``force`` an existing run there is removed first (after the lock is
    held), so its old files cannot end up beside the new ones.
    """
    if not str(directory).strip():
        raise CheckpointError("the run directory (--out) must not be empty")
    directory = Path(directory).expanduser()
    if directory.exists() and not directory.is_dir():
        raise CheckpointError(f"{directory} exists and is not a directory")
    parent = directory.parent
    for ancestor in (parent, *parent.parents):
        if ancestor.exists():
            if not ancestor.is_dir():
                raise CheckpointError(f"cannot create {directory}: {ancestor} is a file")
            break
    try:
        parent.mkdir(parents=True, exist_ok=True)
        lock_path = parent / f".{directory.name}.lock"
        handle = open(lock_path, "a+")  # noqa: SIM115 - held for the whole with-block
    except OSError as exc:
        raise CheckpointError(f"cannot write {directory}: {exc.strerror or exc}") from None
    with handle:
        try:
            fcntl.flock(handle.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError:
            handle.seek(0)
            holder = handle.read().strip() or "another process"
            raise CheckpointError(
                f"{directory} is being written by {holder}; wait for it or choose another --out"
            ) from None
        handle.seek(0)
        handle.truncate()
        handle.write(f"pid {os.getpid()}")
        handle.flush()
        holds_run = (directory / CONFIG_FILE).exists()
        if resume and not holds_run:
            raise CheckpointError(f"nothing to resume: {directory} holds no run")
        if holds_run and not (resume or force):
            raise CheckpointError(
                f"{directory} already holds a run; pass --force to replace it or --resume to continue it"
            )
        if force and directory.exists():
            shutil.rmtree(directory)
        created = not directory.exists()
        _check_writable(directory)
        for stale in directory.glob(".*.tmp"):  # left by a writer killed mid-save; we hold the lock
            stale.unlink(missing_ok=True)
        try:
            yield directory
        except BaseException:
            if created and directory.is_dir() and not any(directory.iterdir()):
                directory.rmdir()  # a run that failed before writing anything leaves nothing
            raise
        finally:
            handle.seek(0)
            handle.truncate()


def _check_writable(directory: Path) -> None:
    """Create ``directory`` and write one byte there now, not after an hour of training."""
    try:
        directory.mkdir(parents=True, exist_ok=True)
        probe = directory / f".write-test-{os.getpid()}"
        probe.write_bytes(b"x")
        probe.unlink()
    except OSError as exc:
        raise CheckpointError(f"cannot write {directory}: {exc.strerror or exc}") from None
