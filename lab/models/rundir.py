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

from lab.errors import CheckpointError, LabError
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
    directory = _checked_path(directory)
    with _locked(directory) as holder:
        if holder:
            raise CheckpointError(
                f"{directory} is being written by {holder}; wait for it or choose another --out"
            )
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
        yield directory


def recover_interrupted_save(directory: Path) -> None:
    """Put back the run a killed save left renamed aside (window 3 of
    :mod:`lab.models.staging`) before ``train --resume`` reads it; only when no live
    writer holds the run's lock, and never an error (the claim checks again)."""
    with contextlib.suppress(LabError, OSError), _locked(_checked_path(directory)) as holder:
        if not holder:
            recover_run(directory)


def _checked_path(directory: Path) -> Path:
    """``directory`` as given, refused with one line if it cannot be a run directory."""
    if not str(directory).strip():
        raise CheckpointError("the run directory (--out) must not be empty")
    directory = Path(directory).expanduser()
    if not Path(os.path.abspath(directory)).name:
        raise CheckpointError(f"{directory} cannot be a run directory (it has no name)")
    if directory.exists() and not directory.is_dir():
        raise CheckpointError(f"{directory} exists and is not a directory")
    parent = directory.parent
    for ancestor in (parent, *parent.parents):
        if ancestor.exists():
            if not ancestor.is_dir():
                raise CheckpointError(f"cannot create {directory}: {ancestor} is a file")
            break
    return directory


@contextlib.contextmanager
def _locked(directory: Path) -> Iterator[str]:
    """Hold the run's lock; yields ``""``, or who holds it if another process does."""
    where = Path(os.path.abspath(directory))
    try:
        where.parent.mkdir(parents=True, exist_ok=True)
        handle = open(where.parent / f".{where.name}.lock", "a+b", buffering=0)  # noqa: SIM115
    except OSError as exc:
        raise CheckpointError(f"cannot write {directory}: {exc.strerror or exc}") from None
    with handle:
        try:
            fcntl.flock(handle.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError:
            handle.seek(0)
            yield handle.read().decode(errors="replace").strip() or "another process"
            return
        # Who holds the lock is only for the message above: a full disk is reported by the probe.
        with contextlib.suppress(OSError):
            handle.truncate(0)
            handle.write(f"pid {os.getpid()}".encode())
        try:
            yield ""
        finally:
            with contextlib.suppress(OSError):
                handle.truncate(0)


def _check_writable(directory: Path) -> None:
    """Make a stage beside ``directory`` and write one byte in it now, not after an hour of
    training: every save is written there first (:mod:`lab.models.staging`)."""
    where = Path(os.path.abspath(directory))
    try:
        probe = Path(tempfile.mkdtemp(prefix=f".{where.name}.tmp-", dir=where.parent))
        try:
            (probe / "probe").write_bytes(b"x")
        finally:
            shutil.rmtree(probe, ignore_errors=True)
    except OSError as exc:
        raise CheckpointError(f"cannot write {directory}: {exc.strerror or exc}") from None
