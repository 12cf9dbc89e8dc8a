"""Claiming a run folder before any work: one writer at a time, nothing overwritten by accident.

``train --out DIR`` checks, before it reads the corpus or trains anything,
that ``DIR`` can be written (not a file, not under a file, on a writable
file system), that it does not already hold a run (unless ``--force``
replaces it or ``--resume`` continues it), and takes an exclusive lock, so a
second training into the same folder fails at once with one line instead of
mixing its files with the first one's. The lock is an ``fcntl`` lock on a
sibling file (``.DIR.lock``), which the kernel releases if the process dies:
a crash never leaves a stale lock.

What counts as a run there is the caller's to say (an
:data:`~lab.storage.transaction.Owned`; for models
:func:`lab.models.checkpoint.claim_run_directory` passes
:func:`~lab.models.checkpoint.run_files`).
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
from lab.storage.transaction import Owned, folder_contents, recover_folder


@contextlib.contextmanager
def claim_folder(
    directory: Path,
    *,
    owned: Owned,
    force: bool = False,
    resume: bool = False,
    corpus: Path | None = None,
) -> Iterator[Path]:
    """Check and lock ``directory`` for writing a run; yields it (see the module docstring).

    Nothing is removed here, ever: the first save replaces the run there as a
    whole (:mod:`lab.storage.transaction`), so a ``--force`` run that fails before
    it publishes leaves the old run intact. ``force`` replaces only a run this
    project wrote; a folder holding anything else is refused, naming what is
    there, as is an ``--out`` that is or holds ``corpus``, the current folder,
    the project or ``/``. Leftovers of writers killed mid-save are cleaned up
    first (:func:`~lab.storage.transaction.recover_folder`).
    """
    directory = _checked_path(directory, corpus)
    with _locked(directory) as holder:
        if holder:
            raise CheckpointError(
                f"{directory} is being written by {holder}; wait for it or choose another --out"
            )
        recover_folder(directory)  # we hold the lock: what is left there, no live writer owns
        holds_run, foreign = folder_contents(directory, owned)
        if foreign:
            raise CheckpointError(_foreign_message(directory, holds_run, foreign))
        if resume and not holds_run:
            raise CheckpointError(f"nothing to resume: {directory} holds no run")
        if holds_run and not (resume or force):
            raise CheckpointError(
                f"{directory} already holds a run; pass --force to replace it or --resume to continue it"
            )
        _check_writable(directory)
        yield directory


def _foreign_message(directory: Path, holds_run: bool, foreign: list[str]) -> str:
    shown = ", ".join(foreign[:5]) + (f" and {len(foreign) - 5} more" if len(foreign) > 5 else "")
    what = "a run and files it did not write" if holds_run else "files but no run"
    return (
        f"{directory} holds {what} ({shown}); a save replaces the whole folder, so it is "
        "refused even with --force: move them or choose another --out"
    )


def recover_interrupted_save(directory: Path) -> None:
    """Put back the run a killed save left renamed aside (window 3 of
    :mod:`lab.storage.transaction`) before ``train --resume`` reads it; only when no live
    writer holds the run's lock, and never an error (the claim checks again)."""
    with contextlib.suppress(LabError, OSError), _locked(_checked_path(directory)) as holder:
        if not holder:
            recover_folder(directory)


def _checked_path(directory: Path, corpus: Path | None = None) -> Path:
    """``directory`` as given, refused with one line if it cannot be a run directory."""
    if not str(directory).strip():
        raise CheckpointError("the run directory (--out) must not be empty")
    directory = Path(directory).expanduser()
    where = Path(os.path.realpath(directory))
    if not where.name:
        raise CheckpointError(f"{directory} cannot be a run directory (it has no name)")
    if directory.exists() and not directory.is_dir():
        raise CheckpointError(f"{directory} exists and is not a directory")
    parent = directory.parent
    for ancestor in (parent, *parent.parents):
        if ancestor.exists():
            if not ancestor.is_dir():
                raise CheckpointError(f"cannot create {directory}: {ancestor} is a file")
            break
    protected = {
        "the corpus": corpus,
        "the current folder": Path.cwd(),
        "the textgen-lab project": Path(__file__).parents[2],  # the folder holding lab/
    }
    for what, path in protected.items():
        if path is None:
            continue
        path = Path(os.path.realpath(path))
        if where == path or where in path.parents:
            relation = "is" if where == path else "contains"
            raise CheckpointError(
                f"--out {directory} {relation} {what} ({path}); a run needs a folder of its own"
            )
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
    training: every save is written there first (:mod:`lab.storage.transaction`)."""
    where = Path(os.path.abspath(directory))
    try:
        probe = Path(tempfile.mkdtemp(prefix=f".{where.name}.tmp-", dir=where.parent))
        try:
            (probe / "probe").write_bytes(b"x")
        finally:
            shutil.rmtree(probe, ignore_errors=True)
    except OSError as exc:
        raise CheckpointError(f"cannot write {directory}: {exc.strerror or exc}") from None
