"""Memory and task caps for a whole sandbox through cgroups, where this machine lets the grader.

A per-process ``RLIMIT_AS`` lets three processes of 800 MB hold 2.4 GB under
a 2 GB cap, and the parent's watcher (every
:data:`lab.grading.worker.WATCH_SECONDS`) can be outrun by a burst shorter
than its period. A cgroup cannot: the kernel charges every page and every
task of the sandbox to it and refuses (or kills) past its cap. So each
sandbox child gets a cgroup of its own (:class:`Group`, made by the trusted
process, the child placed in it before it execs), with a hard memory cap
(no swap), a ``pids`` cap, and on its end every task in it is killed and the
cgroup removed. :func:`prepare` (once per grading) picks the mechanism:

* **cgroup v2** when this process's cgroup offers ``memory`` and ``pids``
  and child cgroups can have them (a delegated subtree: root, or a systemd
  unit with ``Delegate=yes``). v2 forbids processes beside child cgroups
  that use controllers, so when the grading's own processes sit in that
  cgroup they are moved into a leaf ``textgen-grader`` first, and moved
  back by :func:`finish`;
* **cgroup v1** ``memory`` and ``pids`` hierarchies where they are writable
  (root on a v1 or hybrid machine);
* **none**: the caps are ``RLIMIT_AS`` per process, ``RLIMIT_NPROC`` per
  uid (or per user namespace) and the watcher; the plan says why.

Every path is under a ``root`` parameter (``/sys/fs/cgroup``) and
``/proc/self/cgroup`` is a parameter too, so tests can point them at a fake
tree (:mod:`lab.grading.budget` reads CPU quotas' throttling through them).
"""

from __future__ import annotations

import contextlib
import os
import signal
import time
import uuid
from dataclasses import dataclass
from pathlib import Path

ROOT = Path("/sys/fs/cgroup")
SELF = Path("/proc/self/cgroup")
LEAF = "textgen-grader"
_WANTED = ("memory", "pids")
_ENTER = (  # a shell that joins the cgroups named first, then becomes the command
    'n=$1; shift; while [ "$n" -gt 0 ]; do echo $$ > "$1" || exit 125; shift; n=$((n-1)); '
    'done; exec "$@"'
)


@dataclass(frozen=True)
class Plan:
    """How a grading caps its sandboxes: ``kind`` ``"v2"``, ``"v1"`` or ``"none"``;
    ``parents`` the folders under which each child's cgroup is made (v2: one; v1: the
    memory and the pids one); ``tag`` this grading's name prefix; ``moved`` (v2) the
    cgroup whose processes were moved into its leaf; ``why`` what was not available."""

    kind: str
    parents: tuple[str, ...] = ()
    tag: str = ""
    moved: str = ""
    why: str = ""

    def describe(self, memory: int, tasks: int) -> str:
        """One line: which mechanism holds the whole sandbox's caps."""
        if self.kind == "none":
            return (f"sandbox limits: RLIMIT_AS {memory >> 20} MB per process, RLIMIT_NPROC "
                    f"and a watcher every 0.25 s for the whole sandbox (no cgroup: {self.why})")  # fmt: skip
        return (f"sandbox limits: cgroup {self.kind} memory {memory >> 20} MB and {tasks} tasks "
                f"for each sandbox child and all it starts ({', '.join(self.parents)})")  # fmt: skip

    def to_env(self) -> str:
        return "|".join([self.kind, self.tag, self.moved, *self.parents])

    @staticmethod
    def from_env(value: str | None) -> Plan:
        """The plan :meth:`to_env` wrote (empty: no cgroup, a student's own run)."""
        kind, tag, moved, *parents = [*(value or "none").split("|"), "", ""]
        if kind not in ("v1", "v2") or not tag:
            return Plan("none", why="not under the grader")
        return Plan(kind, tuple(p for p in parents if p), tag, moved)


def own_paths(proc_cgroup: Path = SELF) -> dict[str, str]:
    """``{controller: path}`` of a process (``""`` for the v2 hierarchy) from its
    ``/proc/<pid>/cgroup`` text."""
    found: dict[str, str] = {}
    with contextlib.suppress(OSError):
        for line in Path(proc_cgroup).read_text().splitlines():
            _, controllers, path = [*line.split(":", 2), "", ""][:3]
            for name in controllers.split(",") if controllers else [""]:
                found[name] = path
    return found


def v2_mount(root: Path) -> Path | None:
    """Where the v2 hierarchy is: ``root`` itself, or ``root/unified`` on a hybrid machine."""
    for place in (root, root / "unified"):
        if (place / "cgroup.controllers").is_file():
            return place
    return None


def read(path: Path) -> str:
    try:
        return path.read_text()
    except OSError:
        return ""


def _write(path: Path, text: str) -> None:
    with open(path, "w") as f:  # one write(2): the kernel takes one value per write
        f.write(text)


def prepare(root: Path = ROOT, proc_cgroup: Path = SELF, memory: int = 64 << 20) -> Plan:
    """The strongest mechanism usable here, tried for real (a probe cgroup is made with a
    ``memory`` cap and removed); else ``kind="none"`` with why not."""
    tag = f"textgen-{os.getpid()}-{uuid.uuid4().hex[:8]}-"
    paths = own_paths(proc_cgroup)
    whys = []
    mount = v2_mount(root)
    if mount is not None and "" in paths:
        plan, why = _try_v2(mount / paths[""].lstrip("/"), tag, memory)
        if plan is not None:
            return plan
        whys.append(why)
    else:
        whys.append("no cgroup v2 hierarchy")
    if "memory" in paths and "pids" in paths:
        parents = tuple(str(root / c / paths[c].lstrip("/")) for c in _WANTED)
        plan = Plan("v1", parents, tag)
        why = _probe(plan, memory)
        if not why:
            return plan
        whys.append(f"cgroup v1: {why}")
    else:
        whys.append("no cgroup v1 memory and pids hierarchies")
    return Plan("none", tag=tag, why="; ".join(whys))


def _try_v2(here: Path, tag: str, memory: int) -> tuple[Plan | None, str]:
    offered = read(here / "cgroup.controllers").split()
    if not set(_WANTED) <= set(offered):
        return None, f"cgroup v2 at {here} offers {' '.join(offered) or 'no controllers'}"
    moved = ""
    if not set(_WANTED) <= set(read(here / "cgroup.subtree_control").split()):
        try:
            _write(here / "cgroup.subtree_control", "+memory +pids")
        except OSError:  # processes in it (v2's no-internal-processes rule): into a leaf
            try:
                _into_leaf(here)
                moved = str(here)
                _write(here / "cgroup.subtree_control", "+memory +pids")
            except OSError as exc:
                if moved:
                    finish(Plan("v2", (str(here),), tag, moved))
                return None, f"cgroup v2 at {here}: {exc.strerror or exc}"
    plan = Plan("v2", (str(here),), tag, moved)
    why = _probe(plan, memory)
    if why:
        finish(plan)
        return None, f"cgroup v2: {why}"
    return plan, ""


def _into_leaf(here: Path) -> None:
    (here / LEAF).mkdir(exist_ok=True)
    for pid in read(here / "cgroup.procs").split():
        with contextlib.suppress(ProcessLookupError):  # ended meanwhile
            _write(here / LEAF / "cgroup.procs", pid)


def _probe(plan: Plan, memory: int) -> str:
    try:
        group = Group(plan, memory, 16)
    except OSError as exc:
        return f"{exc.filename or ''}: {exc.strerror or exc}".lstrip(": ")
    return "" if group.close() else "a probe cgroup could not be removed"


def finish(plan: Plan) -> None:
    """End and remove every cgroup of this grading left behind (a trusted process killed at
    the overall limit never removed its own) and undo :func:`prepare`'s move into a leaf."""
    for parent in plan.parents:
        with contextlib.suppress(OSError):
            for entry in Path(parent).iterdir():
                if entry.name.startswith(plan.tag) and entry.is_dir():
                    Group.adopt(plan, entry.name).close()
    if plan.moved:
        here = Path(plan.moved)
        with contextlib.suppress(OSError):
            _write(here / "cgroup.subtree_control", "-memory -pids")
            for pid in read(here / LEAF / "cgroup.procs").split():
                with contextlib.suppress(ProcessLookupError):
                    _write(here / "cgroup.procs", pid)
            (here / LEAF).rmdir()


class Group:
    """One sandbox child's cgroup (one folder per v1 hierarchy, one on v2)."""

    def __init__(self, plan: Plan, memory: int, tasks: int, name: str = "") -> None:
        self.plan = plan
        self.name = name or f"{plan.tag}{uuid.uuid4().hex[:12]}"
        self.dirs = [Path(p) / self.name for p in plan.parents]
        if name:
            return  # adopted: it exists
        made: list[Path] = []
        try:
            for folder in self.dirs:
                folder.mkdir()
                made.append(folder)
            self._limit(memory, tasks)
        except OSError:
            for folder in reversed(made):
                with contextlib.suppress(OSError):
                    folder.rmdir()
            raise

    @classmethod
    def adopt(cls, plan: Plan, name: str) -> Group:
        return cls(plan, 0, 0, name)

    def _limit(self, memory: int, tasks: int) -> None:
        if self.plan.kind == "v2":
            here = self.dirs[0]
            _write(here / "memory.max", str(memory))
            _write(here / "pids.max", str(tasks))
            for name, value in (("memory.swap.max", "0"), ("memory.oom.group", "1")):
                if (here / name).exists():
                    _write(here / name, value)
            return
        memory_dir, pids_dir = self.dirs
        _write(memory_dir / "memory.limit_in_bytes", str(memory))
        if (memory_dir / "memory.memsw.limit_in_bytes").exists():  # no way round it by swap
            with contextlib.suppress(OSError):
                _write(memory_dir / "memory.memsw.limit_in_bytes", str(memory))
        _write(pids_dir / "pids.max", str(tasks))

    def enter(self, cmd: list[str]) -> list[str]:
        """``cmd`` run by a shell that first puts itself in this cgroup and then execs it
        (same pid), so nothing of ``cmd`` runs outside; exit 125 if it could not."""
        procs = [str(d / "cgroup.procs") for d in self.dirs]
        return ["/bin/sh", "-c", _ENTER, "sh", str(len(procs)), *procs, *cmd]

    def pids(self) -> set[int]:
        """Every process in this cgroup now."""
        found: set[int] = set()
        for folder in self.dirs:
            found |= {int(p) for p in read(folder / "cgroup.procs").split() if p.isdigit()}
        return found

    def oom_kills(self) -> int:
        """How many processes the kernel killed for going over this cgroup's memory cap."""
        name = "memory.events" if self.plan.kind == "v2" else "memory.oom_control"
        return field(read(self.dirs[0] / name), "oom_kill")

    def kill(self, grace: float = 1.0) -> None:
        """Kill every task in the cgroup (``cgroup.kill`` on v2, else each listed pid until
        none is left, ``grace`` seconds at most): fast, unlike removing it (v1 may reclaim
        the page cache charged to it then), which :meth:`close` does."""
        kill = self.dirs[0] / "cgroup.kill"
        if self.plan.kind == "v2" and kill.exists():
            with contextlib.suppress(OSError):
                _write(kill, "1")
        end = time.monotonic() + grace
        while (pids := self.pids()) and time.monotonic() < end:
            for pid in pids:
                with contextlib.suppress(ProcessLookupError, PermissionError):
                    os.kill(pid, signal.SIGKILL)
            time.sleep(0.005)

    def close(self, grace: float = 2.0) -> bool:
        """Kill every task in the cgroup and remove it, within ``grace`` seconds; whether
        it is gone."""
        self.kill(grace / 2)
        end = time.monotonic() + grace
        while True:
            for pid in self.pids():
                with contextlib.suppress(ProcessLookupError, PermissionError):
                    os.kill(pid, signal.SIGKILL)
            for folder in self.dirs:
                with contextlib.suppress(FileNotFoundError, OSError):
                    folder.rmdir()
            if not any(d.exists() for d in self.dirs) or time.monotonic() > end:
                return not any(d.exists() for d in self.dirs)
            time.sleep(0.01)


def field(text: str, key: str) -> int:
    for line in text.splitlines():
        parts = line.split()
        if len(parts) == 2 and parts[0] == key and parts[1].isdigit():
            return int(parts[1])
    return 0
