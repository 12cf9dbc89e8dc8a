"""The sandbox child's walls: Linux namespaces through bubblewrap (``bwrap``).

The child starts inside ``bwrap`` with new PID, network, IPC, UTS and mount
namespaces (and a user namespace when the grader is not root), so:

* its file system is built from nothing: the interpreter's folders, the
  system libraries, ``NLTK_DATA``, the box (at :data:`BOX_INSIDE`) and its
  own harness (at :data:`HARNESS_INSIDE`), all read-only; its ``/tmp`` is an
  empty tmpfs of its own; there is no ``/run``, ``/var``, ``/home``, no
  reference checkout, no grader's work folder, no other child's harness and
  no Gradescope metadata to read, however it guesses their paths;
* its ``/proc`` shows only its own processes: the grader, the trusted
  pytest and their pipes, working folders and environments are out of
  sight, and a process it cannot name it cannot signal;
* it has no network (not even loopback to the host's), no SysV IPC or POSIX
  message queues shared with anything, and a fresh user keyring when it has
  a user namespace of its own;
* when its parent dies it dies (``--die-with-parent``) and, being PID 1's
  children, everything it started dies with it.

As root (Gradescope), ``bwrap`` runs privileged and execs ``setpriv`` to a
fresh uid with no capabilities, so the child is also a uid no one else is.
Without root, the child is the grader's own uid inside the user namespace,
with no capabilities outside it. Whether all this works here is probed
once per grading (:func:`works`): containers often refuse namespaces.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from collections.abc import Iterable
from pathlib import Path

BOX_INSIDE = "/sandbox"
HARNESS_INSIDE = "/harness"
SCRATCH_INSIDE = "/tmp"
SCRATCH_BYTES = 256 << 20
_ROOT_LINKS = ("/bin", "/sbin", "/lib", "/lib32", "/lib64", "/libx32")
_ETC = (
    "/etc/ld.so.cache", "/etc/ld.so.conf", "/etc/ld.so.conf.d", "/etc/localtime",
    "/etc/nsswitch.conf", "/etc/passwd", "/etc/group",
)  # fmt: skip


def tool() -> str | None:
    """The ``bwrap`` executable, if installed (Debian: ``apt-get install bubblewrap``)."""
    return shutil.which("bwrap")


def _nested(path: str, others: Iterable[str]) -> bool:
    return any(path != o and path.startswith(o.rstrip("/") + "/") for o in others)


def interpreter_paths() -> list[str]:
    """Host folders the interpreter needs: its prefixes and every ``site-packages`` folder
    on ``sys.path`` (a ``.pth`` may add one outside the prefix), as real paths."""
    found: set[str] = set()
    for prefix in (sys.prefix, sys.base_prefix, sys.exec_prefix, sys.base_exec_prefix):
        found.add(os.path.realpath(prefix))
    found.add(os.path.dirname(os.path.dirname(os.path.realpath(sys.executable))))
    for entry in sys.path:
        if entry and ("site-packages" in entry or "dist-packages" in entry):
            found.add(os.path.realpath(entry))
    for entry in os.environ.get("NLTK_DATA", "").split(os.pathsep):
        if entry:
            found.add(os.path.realpath(entry))
    found = {p for p in found if p != "/" and os.path.isdir(p)}
    return sorted(p for p in found if not _nested(p, found | {"/usr"}) and p != "/usr")


def exposes(paths: Iterable[str], secret: Path) -> bool:
    """Whether binding ``paths`` would show ``secret`` (the reference) to the child."""
    target = os.path.realpath(secret)
    return any(target == p or target.startswith(p.rstrip("/") + "/") for p in paths)


def command(
    box: Path, privileged: bool, inner: list[str], harness: Path | None = None
) -> list[str]:
    """``bwrap`` words that run ``inner`` walled off, the box at :data:`BOX_INSIDE` (and
    ``harness``, if given, at :data:`HARNESS_INSIDE`).

    ``privileged`` (the grader is root): no user namespace, so that ``inner``
    (``setpriv`` to a fresh uid) runs as a real uid the grader can account for.
    """
    bwrap = tool() or "bwrap"
    if privileged:
        spaces = ["--unshare-pid", "--unshare-net", "--unshare-ipc", "--unshare-uts",
                  "--unshare-cgroup-try"]  # fmt: skip
    else:
        spaces = ["--unshare-all", "--unshare-user"]
        spaces += ["--disable-userns"] if _disable_userns_ok() else []
    fs = ["--ro-bind", "/usr", "/usr", "--proc", "/proc", "--dev", "/dev"]
    fs += ["--size", str(SCRATCH_BYTES), "--perms", "1777", "--tmpfs", SCRATCH_INSIDE]
    for link in _ROOT_LINKS:
        if os.path.islink(link):
            fs += ["--symlink", os.readlink(link), link]
        elif os.path.isdir(link):
            fs += ["--ro-bind", link, link]
    binds = interpreter_paths()
    parents = {str(p) for b in [*binds, _ETC[0]] for p in Path(b).parents if str(p) != "/"}
    for folder in sorted(parents):  # bwrap would make them 0700 as root: unreachable
        fs += ["--perms", "0755", "--dir", folder]
    for path in _ETC:
        fs += ["--ro-bind-try", path, path]
    for path in binds:
        fs += ["--ro-bind", path, path]
    fs += ["--ro-bind", str(box), BOX_INSIDE]  # after /tmp: an interpreter there stays seen
    if harness is not None:
        fs += ["--ro-bind", str(harness), HARNESS_INSIDE]
    fs += ["--remount-ro", "/", "--chdir", SCRATCH_INSIDE]
    return [bwrap, *spaces, "--die-with-parent", "--new-session", *fs, "--", *inner]


_DISABLE_USERNS: bool | None = None


def _disable_userns_ok() -> bool:
    """``--disable-userns`` (bwrap >= 0.8): the child may not nest a user namespace of its
    own, where it would have every capability again."""
    global _DISABLE_USERNS
    if _DISABLE_USERNS is None:
        bwrap = tool()
        text = ""
        if bwrap:
            text = subprocess.run(
                [bwrap, "--help"], capture_output=True, text=True, check=False
            ).stdout
        _DISABLE_USERNS = "--disable-userns" in text
    return _DISABLE_USERNS


def works(box: Path, inner_prefix: list[str], privileged: bool) -> str:
    """Empty if the walls can be built here, else why not (one line): the probe runs the
    real interpreter in them and checks it is alone, offline and cannot see ``/run``."""
    if tool() is None:
        return "bubblewrap (bwrap) is not installed"
    probe = (
        "import os, socket\n"
        "assert sorted(p for p in os.listdir('/proc') if p.isdigit()) <= ['1', '2', '3']\n"
        "assert not os.path.exists('/run') and not os.path.exists('/var')\n"
        "s = socket.socket()\n"
        "try:\n    s.connect(('1.1.1.1', 53))\nexcept OSError:\n    pass\n"
        "else:\n    raise SystemExit('network')\n"
    )
    inner = [*inner_prefix, sys.executable, "-I", "-S", "-c", probe]
    try:
        done = subprocess.run(
            command(box, privileged, inner), capture_output=True, text=True, timeout=60,
            stdin=subprocess.DEVNULL, check=False,
        )  # fmt: skip
    except (OSError, subprocess.TimeoutExpired) as exc:
        return f"bwrap could not be started ({exc})"
    if done.returncode != 0:
        lines = (done.stderr or done.stdout).strip().splitlines()
        return f"bwrap refused ({lines[-1] if lines else f'exit {done.returncode}'})"
    return ""
