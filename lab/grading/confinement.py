"""Who the sandbox child runs as, what it may use, and how everything it started is ended.

Two modes, chosen by :func:`choose_identity`:

* **Dedicated user** (the grader runs as root, as on Gradescope): every
  grading run picks a fresh numeric uid/gid that no account and no process
  uses. The child starts through ``unshare --net --ipc`` (when the kernel
  allows it: no network, no shared IPC) and ``setpriv`` (that uid, no
  supplementary groups, no capabilities, ``no_new_privs``). Because nothing
  else runs as that uid, :func:`kill_identity` can end every process the
  submission started, however it detached (``setsid``, double fork), with
  one ``kill(-1, SIGKILL)`` issued *as that uid*, which the kernel applies
  to all of them atomically. Files it left in world-writable folders are
  removed (:func:`remove_files_of`) so one test cannot pass notes to the
  next. :func:`protect` makes the reference checkout unreadable to it.
* **Same user** (not root): the child runs as the grader's own user. Then
  files cannot be hidden from it, so the reference, the hidden tests and
  the grader's files are protected only by never naming them in the
  child's environment, working folder or arguments, by making the trusted
  process undumpable (``PR_SET_DUMPABLE=0``: no ``/proc/<pid>/cwd``,
  ``environ`` or ``ptrace`` for the same user) and by the grader checking
  its own files' digests after the run (:mod:`lab.grading.grader`).
  Descendants are found through the trusted process being a child
  subreaper: whatever detaches is re-parented to it and killed with the
  rest of its descendants (:func:`kill_descendants`).

Limits (``RLIMIT_AS``, ``RLIMIT_CPU``, ``RLIMIT_FSIZE``, ``RLIMIT_CORE``,
and ``RLIMIT_NPROC`` for a dedicated uid) are set by the child's harness on
itself as its first act, before anything of the submission is imported
(containers often withhold ``CAP_SYS_RESOURCE``, so the parent cannot
``prlimit`` a process of another uid; lowering one's own limits needs no
privilege, and they can never be raised again past the hard limit).
"""

from __future__ import annotations

import contextlib
import ctypes
import os
import pwd
import random
import shutil
import signal
import stat
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

_UID_RANGE = (1_100_000, 1_900_000)
_WORLD_WRITABLE = ("/tmp", "/var/tmp", "/dev/shm", "/dev/mqueue")
_PR_SET_DUMPABLE, _PR_SET_CHILD_SUBREAPER = 4, 36


@dataclass(frozen=True)
class Identity:
    """The uid/gid the child runs as; ``dedicated`` when it is one nobody else uses."""

    uid: int
    gid: int
    dedicated: bool


def _uids_in_use() -> set[int]:
    used = {p.pw_uid for p in pwd.getpwall()}
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                used.add(entry.stat().st_uid)
            except OSError:
                continue
    return used


def choose_identity(mode: str = "auto") -> Identity:
    """A dedicated fresh uid if running as root (and ``mode`` is not ``"same"``), else ours."""
    if mode == "same" or os.geteuid() != 0:
        return Identity(os.getuid(), os.getgid(), False)
    used = _uids_in_use()
    rng = random.SystemRandom()
    while True:
        uid = rng.randrange(*_UID_RANGE)
        if uid not in used:
            return Identity(uid, uid, True)


def identity_from_env(value: str | None) -> Identity:
    """The identity the grader chose, as passed in ``TEXTGEN_SANDBOX_UID`` (``uid``, or empty)."""
    if value and value.isdigit() and os.geteuid() == 0:
        return Identity(int(value), int(value), True)
    return Identity(os.getuid(), os.getgid(), False)


_UNSHARE_OK: bool | None = None


def _can_unshare() -> bool:
    global _UNSHARE_OK
    if _UNSHARE_OK is None:
        tool = shutil.which("unshare")
        ok = False
        if tool and os.geteuid() == 0:
            probe = subprocess.run(
                [tool, "--net", "--ipc", "--", "true"], capture_output=True, check=False
            )
            ok = probe.returncode == 0
        _UNSHARE_OK = ok
    return _UNSHARE_OK


def launch_prefix(identity: Identity) -> list[str]:
    """The command words that start the child as ``identity`` (empty in same-user mode)."""
    if not identity.dedicated:
        return []
    prefix = (
        [shutil.which("unshare") or "unshare", "--net", "--ipc", "--"] if _can_unshare() else []
    )
    return [*prefix, *_setpriv(identity)]


def _setpriv(identity: Identity) -> list[str]:
    """``setpriv`` words that become ``identity`` with no groups, capabilities or new
    privileges (it works where ``subprocess``'s ``user=`` cannot exec the interpreter)."""
    setpriv = shutil.which("setpriv")
    if setpriv is None:
        raise RuntimeError("running as root needs util-linux's setpriv to drop privileges")
    return [
        setpriv, f"--reuid={identity.uid}", f"--regid={identity.gid}",
        "--clear-groups", "--inh-caps=-all", "--no-new-privs", "--",
    ]  # fmt: skip


def _prctl(option: int, value: int) -> None:
    try:
        libc = ctypes.CDLL(None, use_errno=True)
        libc.prctl(option, value, 0, 0, 0)
    except (OSError, AttributeError):
        pass


SUBREAPER = False


def harden_trusted_process() -> None:
    """Make this process a child subreaper (detached descendants come back to it) and,
    in same-user mode, undumpable (the child cannot read its ``/proc`` or trace it)."""
    global SUBREAPER
    _prctl(_PR_SET_CHILD_SUBREAPER, 1)
    SUBREAPER = True
    if os.geteuid() != 0:
        _prctl(_PR_SET_DUMPABLE, 0)


def _processes() -> dict[int, tuple[int, int]]:
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


def kill_identity(identity: Identity, *, spare: int | None = None) -> None:
    """End every process of a dedicated uid (but ``spare``, if given)."""
    if not identity.dedicated:
        return
    if spare is None:  # atomic: the kernel signals all of them at once, as that uid
        subprocess.run(
            [*_setpriv(identity), sys.executable, "-I", "-S", "-c", "import os; os.kill(-1, 9)"],
            stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
            check=False,
        )  # fmt: skip
    for _ in range(50):
        victims = [p for p, (_, uid) in _processes().items() if uid == identity.uid and p != spare]
        if not victims:
            return
        for pid in victims:
            _signal(pid, signal.SIGKILL)
        time.sleep(0.02)


def kill_descendants(root: int | None = None, *, spare: int | None = None) -> None:
    """Kill every descendant of ``root`` (this process by default) but ``spare`` and its
    ancestors; with this process a subreaper, that includes what detached."""
    root = os.getpid() if root is None else root
    for _ in range(50):
        table = _processes()
        children: dict[int, list[int]] = {}
        for pid, (ppid, _) in table.items():
            children.setdefault(ppid, []).append(pid)
        found, stack = [], list(children.get(root, []))
        while stack:
            pid = stack.pop()
            found.append(pid)
            stack.extend(children.get(pid, []))
        victims = [p for p in found if p != spare]
        if not victims:
            return
        for pid in victims:
            _signal(pid, signal.SIGKILL)
        time.sleep(0.02)


def _signal(pid: int, sig: int) -> None:
    with contextlib.suppress(ProcessLookupError, PermissionError):
        os.kill(pid, sig)


def remove_files_of(identity: Identity) -> None:
    """Delete what a dedicated uid left in the world-writable folders."""
    if not identity.dedicated:
        return
    for top in _WORLD_WRITABLE:
        _sweep(Path(top), identity.uid, depth=0)


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


def protect(root: Path) -> None:
    """Make ``root`` (the reference checkout) unreadable to other users: the folder itself
    if the interpreter lives elsewhere, else its top-level entries but the interpreter's."""
    root = Path(root).resolve()
    prefix = Path(sys.prefix).resolve()
    targets = [root] if not prefix.is_relative_to(root) else [
        p for p in root.iterdir() if not prefix.is_relative_to(p.resolve())
    ]  # fmt: skip
    for path in targets:
        info = path.lstat()
        if stat.S_ISLNK(info.st_mode) or info.st_uid != os.geteuid():
            continue
        os.chmod(path, stat.S_IMODE(info.st_mode) & 0o700)


def readable_by_others(path: Path) -> bool:
    """Whether a user other than the owner (and outside its group) could read ``path``."""
    path = Path(path).resolve()
    for folder in [*reversed(path.parents), path]:
        mode = folder.stat().st_mode
        need = stat.S_IROTH if folder == path else stat.S_IXOTH
        if not mode & need:
            return False
    return True
