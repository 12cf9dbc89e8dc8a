"""A sandbox child's harness: the child program and only the drivers its exercise's tests call.

Some drivers run an exercise with another exercise's function replaced by a
stand-in the grader wrote (Exercise 5's loop with a ``get_batch`` of its
own, Exercise 6's ``next_token`` with top-k/top-p filters, the Markov chain
with a vocabulary). Such a stand-in does that other exercise's work, so a
child that held it would let a submission delegate its own exercise to it
(import the module, find it in ``sys.modules`` or ``gc``, or run the driver
that builds it with a spy in place). Hence every child gets a harness of
its own (:func:`build_harness`) holding:

* the child program (:mod:`lab.grading.sandbox_child`, as :data:`CHILD_FILE`);
* the package :data:`DRIVERS_PACKAGE` with only the driver modules whose
  drivers its test module names (:func:`modules_for`: every string of the
  test module that is a driver's name), the modules those import, and an
  ``__init__`` that knows only them.

A driver module that holds a stand-in lists the exercise functions it
answers in ``STANDS_IN_FOR`` (``(file, qualified name)``, so a renumbering
of the exercises changes nothing); :func:`modules_for` refuses a selection
that would give a child a stand-in for its own exercise. The harness lives
where only its child can read it (:mod:`lab.grading.worker`): no other
exercise's harness is in sight.
"""

from __future__ import annotations

import ast
import importlib
import os
import pkgutil
import shutil
import tempfile
from functools import cache
from pathlib import Path

from lab.grading import drivers
from lab.grading.exercises import exercise_for_function
from lab.grading.inventory import EXERCISE_MODULE

CHILD_FILE, DRIVERS_PACKAGE, HARNESS = "_textgen_child.py", "_textgen_drivers", "harness"
_PREFIX = "textgen-harness-"
_HERE = Path(__file__).resolve().parent
_DRIVERS_DIR = Path(drivers.__file__).resolve().parent


class HarnessError(RuntimeError):
    """The instructor's drivers or tests break the harness's rules (never the student's)."""


@cache
def driver_modules() -> tuple[str, ...]:
    return tuple(sorted(m.name for m in pkgutil.iter_modules([str(_DRIVERS_DIR)])))


def _module(name: str) -> object:
    return importlib.import_module(f"{drivers.__name__}.{name}")


@cache
def _owners() -> dict[str, str]:
    """Driver name -> the module defining it."""
    owners: dict[str, str] = {}
    for name in driver_modules():
        for driver in getattr(_module(name), "DRIVERS", {}):
            if driver in owners:
                raise HarnessError(f"driver {driver!r} is defined in {owners[driver]} and {name}")
            owners[driver] = name
    return owners


def stand_ins(module: str) -> tuple[tuple[str, str], ...]:
    """The exercise functions ``(file, qualified name)`` a stand-in in driver ``module`` answers."""
    return tuple((str(f), str(q)) for f, q in getattr(_module(module), "STANDS_IN_FOR", ()))


def _imports(module: str) -> set[str]:
    """The package's modules that ``module`` imports (``from .x import``, ``from . import x``)."""
    tree = ast.parse((_DRIVERS_DIR / f"{module}.py").read_text(encoding="utf-8"))
    found: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom) and node.level == 1:
            found |= {node.module} if node.module else {a.name for a in node.names}
    return found & set(driver_modules())


def modules_for(test_module: Path) -> tuple[str, ...]:
    """The driver modules a child serving ``test_module``'s tests gets: those defining a
    driver it names, and what they import. Raises :class:`HarnessError` if one of them
    holds a stand-in for the test module's own exercise."""
    path = Path(test_module)
    words = {
        node.value
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8")))
        if isinstance(node, ast.Constant) and isinstance(node.value, str)
    }
    owners = _owners()
    wanted = {owners[w] for w in words if w in owners}
    todo = list(wanted)
    while todo:
        for found in _imports(todo.pop()) - wanted:
            wanted.add(found)
            todo.append(found)
    match = EXERCISE_MODULE.fullmatch(path.name)
    number = int(match.group(1)) if match else None
    for module in sorted(wanted):
        for file, function in stand_ins(module):
            answered = exercise_for_function(file, function)
            if answered is None:
                raise HarnessError(f"drivers/{module}.py stands in for {file}:{function}, "
                                   "which no exercise grades")  # fmt: skip
            if answered.number == number:
                raise HarnessError(
                    f"{path.name} calls drivers/{module}.py, whose stand-in for "
                    f"{function} answers its own exercise: move that driver to another module"
                )
    return tuple(sorted(wanted))


_INIT = '''"""The drivers this sandbox child may run ({names}; built by lab.grading.harness)."""

from . import wire
{imports}
DRIVERS = {{{tables}}}


def run(name, kwargs):
    return wire.run(DRIVERS, name, kwargs)
'''


def build_harness(dest: Path, test_module: Path) -> Path:
    """Write the harness of a child serving ``test_module`` into ``dest`` (created), every
    folder 0555 and file 0444 (read-only even to its owner); returns ``dest``."""
    modules = modules_for(test_module)
    package = Path(dest) / DRIVERS_PACKAGE
    package.mkdir(parents=True)
    shutil.copyfile(_HERE / "sandbox_child.py", Path(dest) / CHILD_FILE)
    for name in {*modules, "wire"}:
        shutil.copyfile(_DRIVERS_DIR / f"{name}.py", package / f"{name}.py")
    tabled = [m for m in modules if hasattr(_module(m), "DRIVERS")]
    (package / "__init__.py").write_text(
        _INIT.format(
            names=", ".join(modules),
            imports="".join(f"from . import {m}\n" for m in tabled),
            tables=", ".join(f"**{m}.DRIVERS" for m in tabled),
        ),
        encoding="utf-8",
    )
    for folder in (package, Path(dest)):
        for entry in folder.iterdir():
            if entry.is_file():
                entry.chmod(0o444)
        folder.chmod(0o555)
    return Path(dest)


def run_folder(box: Path) -> Path:
    """Where the children of a grading that uses ``box`` get their harnesses and scratch
    folders (made and removed by the grader, so a run cut short leaves none behind)."""
    return Path(f"{box}-run")


def make_run_folder(box: Path, dedicated: bool) -> Path:
    """Make :func:`run_folder`: others may pass through (a fresh uid reaches its own
    folder in it) but not list it as root, the grader's alone otherwise."""
    folder = run_folder(box)
    folder.mkdir(mode=0o700)
    os.chmod(folder, 0o711 if dedicated else 0o700)
    return folder


def remove_run_folder(box: Path) -> None:
    """Remove :func:`run_folder` and whatever the children's harnesses and scratch left."""
    folder = run_folder(box)
    if folder.is_dir() and not folder.is_symlink():
        for entry in folder.iterdir():
            if entry.name.startswith(_PREFIX) and not entry.is_symlink():
                remove_harness(entry)
        shutil.rmtree(folder, ignore_errors=True)


def private_harness(test_module: Path, gid: int | None = None, where: Path | None = None) -> Path:
    """A new folder (in ``where``, else the temporary folder) holding, as :data:`HARNESS`,
    the harness of a child serving ``test_module``: the grader's alone, or (``gid``, as
    root) root's and that group's (0750), so no other user, nor any other exercise's
    child, can read it."""
    folder = Path(tempfile.mkdtemp(prefix=_PREFIX, dir=where))
    if gid is not None:
        os.chown(folder, 0, gid)
        os.chmod(folder, 0o750)
    build_harness(folder / HARNESS, test_module)
    return folder


def remove_harness(folder: Path) -> None:
    """Remove a folder :func:`private_harness` made (its read-only folders made writable
    again first, never through a link)."""
    for inner in (Path(folder) / HARNESS, Path(folder) / HARNESS / DRIVERS_PACKAGE):
        if inner.is_dir() and not inner.is_symlink():
            os.chmod(inner, 0o700)
    shutil.rmtree(folder, ignore_errors=True)
