"""Saving a folder as one transaction: a reader sees the old contents or the new, never a mix.

Writing files one by one into a run directory, even each atomically,
leaves windows where a killed process leaves new weights beside an old
``config.json``, or a trainer state from one epoch beside weights from
another. So every save (the final one, each epoch's checkpoint for
``--resume``, the metrics added after training) builds the *complete* new
folder in a temporary sibling ``.NAME.tmp-XXXXXXXX`` and publishes it with
one rename:

* ``DIR`` missing or empty: ``rename(stage, DIR)`` (POSIX replaces an empty
  directory atomically);
* ``DIR`` holds a run: ``renameat2(stage, DIR, RENAME_EXCHANGE)`` swaps the
  two in one step (Linux 3.15+; ext4, xfs, btrfs, tmpfs, overlayfs), then
  the old run, now under the temporary name, is removed;
* where the kernel or file system cannot swap (not Linux, some network file
  systems): ``DIR`` is renamed aside to ``.NAME.old-XXXXXXXX``, the stage is
  renamed in, the old run removed.

Crash windows (SIGKILL at any point; the files are fsynced before the
rename, so power loss too):

1. while the stage is written or linked, before the rename: ``DIR`` is the
   previous run, untouched; the stage is left behind as ``.NAME.tmp-*``;
2. after the swap, before the old run is removed: ``DIR`` is the new run;
   the old one is left as ``.NAME.tmp-*``;
3. fallback only, between its two renames: ``DIR`` is missing and the
   previous run is ``.NAME.old-*``; a reader then sees no run (never a
   mixed one) until :func:`recover_folder` renames it back.

:func:`recover_folder`, called by :func:`~lab.storage.claim.claim_folder`
under the folder's lock (so no live writer owns them), removes the leftovers
of 1 and 2 and undoes 3.

Files a save does not change (the weights on an epoch that did not improve)
are hard links to the published ones, not copies. That is safe because
every writer here replaces a file by renaming a new one over it
(:mod:`lab.storage.files`) and never writes into an existing file, so nothing
is ever modified through a link.

Nothing here knows what a run holds: the caller says which files of a folder
are its own (an :data:`Owned`, for runs :func:`lab.models.checkpoint.run_files`),
and a folder holding anything else is never swapped away.

For the crash tests only, ``TEXTGEN_LAB_CRASH_AT=POINT[:N]`` SIGKILLs the
process the ``N``-th time (default 1st) a save reaches ``POINT`` (``staged``,
``swapped``, ``aside``), and ``TEXTGEN_LAB_NO_EXCHANGE=1`` forces the fallback.
"""

from __future__ import annotations

import contextlib
import ctypes
import errno
import os
import re
import shutil
import signal
import sys
import tempfile
from collections import Counter
from collections.abc import Callable, Iterable, Iterator
from pathlib import Path

from lab.errors import CheckpointError, LabError

#: ``keep=ALL``: carry every file of the published run into the new one.
ALL = "all"

#: The names of the files that make up what its owner keeps in a folder, or ``None`` if
#: the folder holds nothing of its owner's (anything there is someone else's).
Owned = Callable[[Path], "set[str] | None"]

_STAGE, _ASIDE = "tmp", "old"
_crash_counts: Counter[str] = Counter()


@contextlib.contextmanager
def staged_folder(
    directory: Path, *, owned: Owned, keep: Iterable[str] | str = ()
) -> Iterator[Path]:
    """Yield an empty staging directory; on a clean exit, publish it as ``directory``.

    ``keep`` names files of the published run (if there) to carry over, or is
    :data:`ALL`; ``owned`` says which files there are the caller's (the others
    are never swapped away). If the body raises, the stage is removed and the published
    run is left as it was; an ``OSError`` (a full disk, a read-only file
    system) becomes one :class:`~lab.errors.CheckpointError` line saying so.
    """
    target = Path(os.path.abspath(directory))  # "." and "run/.." have a name and a parent
    try:
        target.parent.mkdir(parents=True, exist_ok=True)  # as a plain save always did
        stage = Path(tempfile.mkdtemp(prefix=f".{target.name}.{_STAGE}-", dir=target.parent))
    except OSError as exc:
        raise _save_error(directory, exc) from None
    try:
        _link_kept(target, stage, keep)
        yield stage
        _sync_tree(stage)
        _crash_point("staged")
        _publish(stage, target, owned)
    except OSError as exc:
        raise _save_error(directory, exc) from None
    except LabError as exc:  # name the user's folder, never the hidden stage
        if str(stage) not in str(exc):
            raise
        raise type(exc)(str(exc).replace(str(stage), str(directory))) from None
    finally:
        _remove(stage)  # the stage, or the old run swapped into it


def recover_folder(directory: Path) -> None:
    """Clean up after writers of ``directory`` that were killed mid-save (see the module
    docstring); call it only while holding the run's lock."""
    directory = Path(os.path.abspath(directory))
    pattern = re.compile(rf"\.{re.escape(directory.name)}\.({_STAGE}|{_ASIDE})-[a-z0-9_]{{8}}")
    found = [(p, m.group(1)) for p in _siblings(directory) if (m := pattern.fullmatch(p.name))]
    asides = sorted((p for p, kind in found if kind == _ASIDE), key=lambda p: p.stat().st_mtime)
    if asides and not directory.exists():  # window 3: the previous run goes back
        os.rename(asides[-1], directory)
    for stale, _ in found:
        _remove(stale)


def folder_contents(directory: Path, owned: Owned) -> tuple[bool, list[str]]:
    """``(holds the owner's files, names of what else is there)`` for ``directory``.

    What is not in ``owned(directory)`` (a user's notes, a subfolder, a
    ``config.json`` of another program) is someone's, which no save may
    replace. A missing folder holds nothing.
    """
    directory = Path(directory)
    if not directory.is_dir():
        return False, []
    names = sorted(
        p.name + ("/" if p.is_dir() and not p.is_symlink() else "") for p in directory.iterdir()
    )
    known = owned(directory)
    if known is None:
        return False, names
    return True, [n for n in names if n not in known]


def _remove(path: Path) -> None:
    """Remove a stage or an old run (a symlink swapped out of ``DIR`` is unlinked, not followed)."""
    if path.is_symlink():
        path.unlink()
    elif path.exists():
        shutil.rmtree(path, ignore_errors=True)


def _siblings(directory: Path) -> list[Path]:
    try:
        return list(directory.parent.iterdir())
    except OSError:
        return []


def _link_kept(directory: Path, stage: Path, keep: Iterable[str] | str) -> None:
    """Hard-link (or, across devices, copy) the kept files of the published run into ``stage``."""
    if not directory.is_dir():
        return
    names = [p.name for p in directory.iterdir() if p.is_file()] if keep == ALL else list(keep)
    for name in names:
        source = directory / name
        if not source.is_file() or name.startswith("."):
            continue
        try:
            os.link(source, stage / name)
        except OSError:
            shutil.copy2(source, stage / name)


def _publish(stage: Path, directory: Path, owned: Owned) -> None:
    """Make ``stage`` the run at ``directory`` with one rename (see the module docstring)."""
    os.chmod(stage, 0o777 & ~_umask())  # mkdtemp makes 0700; a run is as readable as any folder
    if not directory.exists() or (directory.is_dir() and not any(directory.iterdir())):
        os.replace(stage, directory)
    elif (contents := folder_contents(directory, owned))[1]:  # someone's files: never swapped away
        what = "a run and files it did not write" if contents[0] else "files but no run"
        raise CheckpointError(
            f"{directory} holds {what} ({', '.join(contents[1][:5])}); refusing to replace them"
        )
    elif _exchange(stage, directory):
        _crash_point("swapped")  # window 2: DIR is the new run, the old one is in ``stage``
    else:
        aside = Path(tempfile.mkdtemp(prefix=f".{directory.name}.{_ASIDE}-", dir=directory.parent))
        os.replace(directory, aside)  # the empty placeholder made by mkdtemp is replaced
        _crash_point("aside")  # window 3: no DIR; recover_folder puts ``aside`` back
        try:
            os.replace(stage, directory)
        except OSError:
            os.replace(aside, directory)
            raise
        _remove(aside)
    with contextlib.suppress(OSError):  # published already: durability of the rename only
        _fsync(directory.parent)


def _exchange(a: Path, b: Path) -> bool:
    """Swap ``a`` and ``b`` atomically; False where the system cannot."""
    if sys.platform != "linux" or os.environ.get("TEXTGEN_LAB_NO_EXCHANGE"):
        return False
    libc = ctypes.CDLL(None, use_errno=True)
    renameat2 = getattr(libc, "renameat2", None)
    if renameat2 is None:  # glibc before 2.28, musl
        return False
    at_fdcwd, rename_exchange = -100, 2
    if renameat2(at_fdcwd, os.fsencode(a), at_fdcwd, os.fsencode(b), rename_exchange) == 0:
        return True
    err = ctypes.get_errno()
    if err in (errno.EINVAL, errno.ENOSYS, errno.EOPNOTSUPP):
        return False
    raise OSError(err, os.strerror(err), str(b))


def _sync_tree(stage: Path) -> None:
    """fsync every file of the stage and the stage itself, so a rename never publishes
    files whose data is still only in the page cache (zero-length after a power cut)."""
    for path in stage.iterdir():
        if path.is_file():
            _fsync(path)
    _fsync(stage)


def _fsync(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def _save_error(directory: Path, exc: OSError) -> CheckpointError:
    reason = exc.strerror or str(exc)
    return CheckpointError(f"cannot save {directory}: {reason}; the run there is unchanged")


def _crash_point(name: str) -> None:
    """SIGKILL this process here if ``TEXTGEN_LAB_CRASH_AT`` asks for it (crash tests only)."""
    wanted = os.environ.get("TEXTGEN_LAB_CRASH_AT")
    if not wanted:
        return
    point, _, nth = wanted.partition(":")
    if point != name:
        return
    _crash_counts[name] += 1
    if _crash_counts[name] == int(nth or 1):
        os.kill(os.getpid(), signal.SIGKILL)


def _umask() -> int:
    current = os.umask(0)
    os.umask(current)
    return current
