"""Who the sandbox child runs as, what walls it has, and how everything it started is ended.

:func:`choose_identity` picks one of four modes, strongest first:

* **Root with namespaces** (Gradescope where the kernel allows): every
  child starts inside :mod:`lab.grading.jail` (bubblewrap: its own PID,
  mount, network, IPC and UTS namespaces and a file system holding only the
  interpreter and the box) *and* as a fresh numeric uid no account or
  process uses (a new one for every child, so no two test groups share a
  uid, a keyring or a file owner), with no capabilities and ``no_new_privs``.
* **Root without namespaces** (a container that refuses them): the fresh
  uid per child as above, through ``unshare --net --ipc`` when allowed;
  the reference checkout and Gradescope's metadata are made unreadable to
  other users for the run (:func:`protect`, undone by :func:`restore`).
  If no network namespace could be made, the results say so.
* **User with namespaces** (a laptop, a CI runner, a course server): the
  jail with a user namespace of its own: the child is the grader's uid
  mapped, but sees none of the grader's files, processes or pipes and
  cannot signal them.
* **Unconfined** (no root, no usable namespaces): the child is the grader's
  own user and could read what the grader can; the grade says so in one
  line and the results are marked *unverified* (:attr:`Identity.confined`).

Since a fresh uid is not reused within a run, :func:`kill_identity` can end
every process a child started, however it detached, with one
``kill(-1, SIGKILL)`` issued *as that uid*; its keyrings are cleared and its
files in world-writable folders and its SysV IPC objects removed. In a PID
namespace, the namespace's end ends everything in it. Limits
(``RLIMIT_AS``, ``RLIMIT_CPU``, ``RLIMIT_FSIZE``, ``RLIMIT_CORE``, and
``RLIMIT_NPROC`` for a fresh uid) are set by the child's harness on itself
as its first act; the parent also watches the whole sandbox's memory and
process count (:func:`usage`) and ends it past the cap.
"""

from __future__ import annotations

import ctypes
import os
import pwd
import random
import shutil
import subprocess
from dataclasses import dataclass, replace
from pathlib import Path

from lab.grading import jail

_UID_RANGE = (1_100_000, 1_900_000)
_WORLD_WRITABLE = ("/tmp", "/var/tmp", "/dev/shm", "/dev/mqueue", "/run/lock", "/var/lock")
_PR_SET_DUMPABLE, _PR_SET_CHILD_SUBREAPER = 4, 36
_CLEAR_AND_KILL = (  # as the uid: clear its user and user-session keyrings, then kill them all
    "import ctypes, os\n"
    "libc = ctypes.CDLL(None)\n"
    "for ring in (-4, -5):\n    libc.syscall(250, 7, ring)\n"
    "os.kill(-1, 9)\n"
)


@dataclass(frozen=True)
class Identity:
    """Who the child runs as: ``dedicated`` when a fresh uid nobody else uses (root),
    ``namespaces`` when inside the jail; ``log`` records every fresh uid a run used
    (the grader's file), ``why`` what was not available."""

    uid: int
    gid: int
    dedicated: bool
    namespaces: bool = False
    log: str = ""
    why: str = ""

    @property
    def confined(self) -> bool:
        """Whether the child is kept from the grader's files and processes."""
        return self.dedicated or self.namespaces

    def fresh(self) -> Identity:
        """This identity with a uid never used before in this run (itself if not root)."""
        if not self.dedicated:
            return self
        used = _uids_in_use() | set(logged_uids(self.log))
        uid = _pick(used)
        if self.log:
            with open(self.log, "a", encoding="utf-8") as f:
                f.write(f"{uid}\n")
        return replace(self, uid=uid)

    def to_env(self) -> str:
        """The value of ``TEXTGEN_SANDBOX_UID`` that :func:`identity_from_env` reads back."""
        kind = "root" if self.dedicated else "user" if self.namespaces else "none"
        return f"{kind}:{self.gid}:{int(self.namespaces)}:{self.log}"


def _uids_in_use() -> set[int]:
    used = {p.pw_uid for p in pwd.getpwall()}
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                used.add(entry.stat().st_uid)
            except OSError:
                continue
    return used


def _pick(used: set[int]) -> int:
    rng = random.SystemRandom()
    while True:
        uid = rng.randrange(*_UID_RANGE)
        if uid not in used:
            return uid


def logged_uids(log: str) -> list[int]:
    """The fresh uids recorded in ``log`` (none if there is no log)."""
    try:
        text = Path(log).read_text(encoding="utf-8") if log else ""
    except OSError:
        return []
    return [int(line) for line in text.split() if line.isdigit()]


def choose_identity(mode: str = "auto", *, box: Path, log: str = "") -> Identity:
    """The strongest mode available (see the module's docstring). ``mode``: ``"auto"``,
    ``"same"`` (the grader's own uid, in the jail if possible), ``"uid"`` (root: a fresh
    uid per child, no jail: what a container without namespaces gets) or ``"unconfined"``."""
    if mode == "unconfined":
        return Identity(os.getuid(), os.getgid(), False, why="unconfined on request")
    if mode in ("auto", "uid") and os.geteuid() == 0:
        gid = _pick(_uids_in_use())
        probe = Identity(gid, gid, True, log=log)
        why = "no namespaces on request" if mode == "uid" else ""
        why = why or jail.works(box, _setpriv(probe), privileged=True)
        if why and not _can_unshare():
            why += "; unshare --net --ipc refused too: the child has network access"
        return replace(probe, namespaces=not why, why=why).fresh()
    why = jail.works(box, [], privileged=False)
    return Identity(os.getuid(), os.getgid(), False, namespaces=not why, why=why)


def identity_from_env(value: str | None) -> Identity:
    """The identity the grader chose (``TEXTGEN_SANDBOX_UID``); empty: the local run's own
    user, unconfined (a student running the exercise tests on their own code)."""
    kind, _, rest = (value or "").partition(":")
    gid, _, rest = rest.partition(":")
    spaces, _, log = rest.partition(":")
    if kind == "root" and gid.isdigit() and os.geteuid() == 0:
        return Identity(int(gid), int(gid), True, spaces == "1", log).fresh()
    if kind == "user" and spaces == "1":
        return Identity(os.getuid(), os.getgid(), False, True)
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


def network_isolated(identity: Identity) -> bool:
    """Whether the child has no network (always in the jail; as root, if unshare works)."""
    return identity.namespaces or (identity.dedicated and _can_unshare())


def launch_prefix(identity: Identity, box: Path, harness: Path | None = None) -> list[str]:
    """The command words that start the child as ``identity`` (empty when unconfined); in
    the jail, ``harness`` is bound at :data:`lab.grading.jail.HARNESS_INSIDE`."""
    if identity.namespaces:
        inner = _setpriv(identity) if identity.dedicated else []
        return jail.command(box, identity.dedicated, inner, harness)
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
        setpriv, f"--reuid={identity.uid}", f"--regid={identity.gid}", "--clear-groups",
        "--inh-caps=-all", "--bounding-set=-all", "--no-new-privs", "--",
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
