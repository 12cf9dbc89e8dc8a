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
import tempfile
from collections.abc import Iterator
from pathlib import Path

from lab.errors import CheckpointError
from lab.models.checkpoint import CONFIG_FILE
from lab.models.staging import recover_run


@contextlib.contextmanager
def claim_run_directory(
    directory: Path, *, force: bool = False, resume: bool = False
) -> Iterator[Path]:
    """Check and lock ``directory`` for writing a run; yields it (see the module docstring).

    Nothing is removed here: the first save replaces the run there as a whole
    (:mod:`lab.models.staging`), so a ``--force`` run that fails before it leaves
    the old run intact. A folder that holds files but no run is refused (every
    save replaces the whole folder), or with ``force`` emptied. Leftovers of
    writers killed mid-save are cleaned up first (:func:`~lab.models.staging.recover_run`).
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
        recover_run(directory)  # we hold the lock: what is left there, no live writer owns
        holds_run = (directory / CONFIG_FILE).exists()
        if resume and not holds_run:
            raise CheckpointError(f"nothing to resume: {directory} holds no run")
        if holds_run and not (resume or force):
            raise CheckpointError(
                f"{directory} already holds a run; pass --force to replace it or --resume to continue it"
            )
        if not holds_run and directory.is_dir() and any(directory.iterdir()):
            if not force:  # publishing a run replaces the whole folder: never someone's files
                raise CheckpointError(
                    f"{directory} holds files but no run; pass --force to replace them "
                    "or choose an empty --out"
                )
            shutil.rmtree(directory)
        _check_writable(directory)
        try:
            yield directory
        finally:
            handle.seek(0)
            handle.truncate()


def _check_writable(directory: Path) -> None:
    """Make a stage beside ``directory`` and write one byte in it now, not after an hour of
    training: every save is written there first (:mod:`lab.models.staging`)."""
    try:
        probe = Path(tempfile.mkdtemp(prefix=f".{directory.name}.tmp-", dir=directory.parent))
        try:
            (probe / "probe").write_bytes(b"x")
        finally:
            shutil.rmtree(probe, ignore_errors=True)
    except OSError as exc:
        raise CheckpointError(f"cannot write {directory}: {exc.strerror or exc}") from None
