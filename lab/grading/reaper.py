"""Ending what a sandbox child started and removing what it left, and guarding the grader's
own files while a child runs (see :mod:`lab.grading.confinement` for the modes)."""

from __future__ import annotations

import contextlib
import os
import shutil
import signal
import stat
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from lab.grading.confinement import _CLEAR_AND_KILL, _WORLD_WRITABLE, Identity, _setpriv

_PAGE = os.sysconf("SC_PAGE_SIZE") if hasattr(os, "sysconf") else 4096


def processes() -> dict[int, tuple[int, int]]:
    """``{pid: (ppid, uid)}`` of every live process in ``/proc``; zombies that are this
    process's children are reaped, other zombies skipped (they can do nothing)."""
    table: dict[int, tuple[int, int]] = {}
    me = os.getpid()
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            fields = (entry / "stat").read_text().rsplit(")", 1)[1].split()
            pid, ppid = int(entry.name), int(fields[1])
            if fields[0] == "Z":
                if ppid == me:
                    with contextlib.suppress(ChildProcessError):
                        os.waitpid(pid, os.WNOHANG)
                continue
            table[pid] = (ppid, entry.stat().st_uid)
        except (OSError, ValueError, IndexError):
            continue
    return table


def descendants(root: int, table: dict[int, tuple[int, int]] | None = None) -> list[int]:
    """``root``'s live descendants (not ``root`` itself)."""
    table = processes() if table is None else table
    children: dict[int, list[int]] = {}
    for pid, (ppid, _) in table.items():
        children.setdefault(ppid, []).append(pid)
    found, stack = [], list(children.get(root, []))
    while stack:
        pid = stack.pop()
        found.append(pid)
        stack.extend(children.get(pid, []))
    return found


@dataclass(frozen=True)
class Usage:
    """What a sandbox holds right now: resident memory (bytes) and processes (threads)."""

    memory: int
    tasks: int


def sandbox_pids(root: int, uid: int | None = None) -> set[int]:
    """``root`` and its descendants, and every process of ``uid`` when given (a fresh
    uid's processes, however they detached)."""
    table = processes()
    pids = {root, *descendants(root, table)}
    if uid is not None:
        pids |= {p for p, (_, owner) in table.items() if owner == uid}
    return pids


def usage(pids: set[int]) -> Usage:
    """The memory and tasks of the processes ``pids`` (see :func:`sandbox_pids`)."""
    memory = tasks = 0
    for pid in pids:
        try:
            fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        except (OSError, IndexError):
            continue
        tasks += int(fields[17])  # num_threads
        memory += int(fields[21]) * _PAGE  # rss in pages
    return Usage(memory, tasks)


def kill_identity(identity: Identity, *, spare: int | None = None) -> None:
    """End every process of a fresh uid (but ``spare``, if given); with no ``spare``,
    also clear its keyrings (a note left there would outlive its processes)."""
    if not identity.dedicated:
        return
    if spare is None:  # atomic: the kernel signals all of them at once, as that uid
        subprocess.run(
            [*_setpriv(identity), sys.executable, "-I", "-S", "-c", _CLEAR_AND_KILL],
            stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
            check=False,
        )  # fmt: skip
    for _ in range(50):
        victims = [p for p, (_, uid) in processes().items() if uid == identity.uid and p != spare]
        if not victims:
            return
        for pid in victims:
            _signal(pid, signal.SIGKILL)
        time.sleep(0.02)


def kill_descendants(root: int | None = None, *, spare: int | None = None) -> None:
    """Kill every descendant of ``root`` (this process by default) but ``spare``; with
    this process a subreaper, that includes what detached."""
    root = os.getpid() if root is None else root
    for _ in range(50):
        victims = [p for p in descendants(root) if p != spare]
        if not victims:
            return
        for pid in victims:
            _signal(pid, signal.SIGKILL)
        time.sleep(0.02)


def host_pid(root: int, inner: int) -> int | None:
    """The host pid of the process numbered ``inner`` in the PID namespace under ``root``."""
    for pid in [root, *descendants(root)]:
        try:
            status = Path(f"/proc/{pid}/status").read_text()
        except OSError:
            continue
        for line in status.splitlines():
            if (
                line.startswith("NSpid:")
                and line.split()[-1] == str(inner)
                and len(line.split()) > 2
            ):
                return pid
    return None


@contextlib.contextmanager
def uninterrupted() -> Iterator[None]:
    """Hold back ``SIGALRM`` (pytest-timeout's signal) until the block ends."""
    try:
        old = signal.pthread_sigmask(signal.SIG_BLOCK, {signal.SIGALRM})
    except (AttributeError, OSError, ValueError):  # no signal masks here
        yield
        return
    try:
        yield
    finally:
        signal.pthread_sigmask(signal.SIG_SETMASK, old)


def _signal(pid: int, sig: int) -> None:
    with contextlib.suppress(ProcessLookupError, PermissionError):
        os.kill(pid, sig)


def remove_files_of(identity: Identity) -> None:
    """Delete what a fresh uid left in the world-writable folders and its SysV IPC objects."""
    if not identity.dedicated:
        return
    for top in _WORLD_WRITABLE:
        _sweep(Path(top), identity.uid, depth=0)
    for kind, flag in (("shm", "-m"), ("sem", "-s"), ("msg", "-q")):
        with contextlib.suppress(OSError):
            rows = Path(f"/proc/sysvipc/{kind}").read_text().splitlines()[1:]
            for row in rows:
                cols = row.split()
                owner = cols[7] if kind == "shm" else cols[4]
                if owner == str(identity.uid):
                    subprocess.run(["ipcrm", flag, cols[1]], capture_output=True, check=False)


def _sweep(folder: Path, uid: int, depth: int) -> None:
    try:
        entries = list(os.scandir(folder))
    except OSError:
        return
    for entry in entries:
        try:
            info = entry.stat(follow_symlinks=False)
        except OSError:
            continue
        if info.st_uid == uid:
            if stat.S_ISDIR(info.st_mode):
                shutil.rmtree(entry.path, ignore_errors=True)
            else:
                with contextlib.suppress(OSError):
                    os.unlink(entry.path)
        elif stat.S_ISDIR(info.st_mode) and info.st_mode & stat.S_IWOTH and depth < 8:
            _sweep(Path(entry.path), uid, depth + 1)


def protect(paths: list[Path]) -> list[tuple[Path, int]]:
    """Make each of ``paths`` (the reference checkout, platform metadata) unreadable to other
    users; a folder holding the interpreter keeps it reachable. Returns what
    :func:`restore` puts back."""
    prefix = Path(sys.prefix).resolve()
    saved: list[tuple[Path, int]] = []
    for root in paths:
        if not (root.exists() or root.is_symlink()):
            continue
        root = root.resolve()
        targets = [root] if not prefix.is_relative_to(root) else [
            p for p in root.iterdir() if not prefix.is_relative_to(p.resolve())
        ]  # fmt: skip
        for path in targets:
            info = path.lstat()
            if stat.S_ISLNK(info.st_mode) or info.st_uid != os.geteuid():
                continue
            saved.append((path, stat.S_IMODE(info.st_mode)))
            os.chmod(path, stat.S_IMODE(info.st_mode) & 0o700)
    return saved


def restore(saved: list[tuple[Path, int]]) -> None:
    """Put back the modes :func:`protect` changed."""
    for path, mode in reversed(saved):
        with contextlib.suppress(OSError):
            os.chmod(path, mode)


def readable_by_others(path: Path) -> bool:
    """Whether a user other than the owner (and outside its group) could read ``path``."""
    path = Path(path).resolve()
    for folder in [*reversed(path.parents), path]:
        mode = folder.stat().st_mode
        need = stat.S_IROTH if folder == path else stat.S_IXOTH
        if not mode & need:
            return False
    return True


def nproc_limit(identity: Identity, share: int) -> int:
    """The child's ``RLIMIT_NPROC``: ``share`` for a fresh uid (it counts that uid's
    tasks: the sandbox's alone); otherwise the grader's user's tasks now plus that (in a
    user namespace, kernels from 5.14 count only the namespace's tasks)."""
    if identity.dedicated:
        return share
    mine = {pid for pid, (_, uid) in processes().items() if uid == os.getuid()}
    return usage(mine).tasks + share
