"""The grader's two folders for one run: the sandbox's box and its own work folder.

The *box* is what the sandbox's children may read: ``submission/`` (the
stubbed release of the reference's packages overlaid with the
submission's files, links dropped); :func:`seal` makes it readable, never
writable, by them (each child's harness is its own, built when it starts:
:mod:`lab.grading.harness`). The *work* folder holds the exercise
tests (hidden ones too), the plugin, the node-id selection and the event
log, and is the grader's alone (mode 0700): the children are never told
where it is and, as another uid, could not open it anyway.
"""

from __future__ import annotations

import hashlib
import os
import shutil
from collections.abc import Callable
from pathlib import Path

from lab.grading.confinement import Identity
from lab.grading.handout import CACHE_NAMES, release_source
from lab.grading.layout import PACKAGES, Layout
from lab.grading.runner import PLUGIN_MODULE

_DROP_ENV = ("PYTHONPATH", "PYTHONHOME", "PYTHONSTARTUP", "PYTEST_ADDOPTS", "PYTEST_PLUGINS")


def prepare(work: Path, box: Path, reference: Path, layout: Layout, identity: Identity) -> None:
    """Lay out the box (``submission/``) and, in ``work``, ``exercises/``, the
    plugin and ``pytest.ini``. The submission's files are the handout folder's
    (``layout.root``) and then the loose files placed by name (``layout.overlay``)."""
    ignore = shutil.ignore_patterns(*CACHE_NAMES, "*.pyc")
    for package in PACKAGES:
        src = reference / package
        dst = box / "submission" / package
        shutil.copytree(src, dst, ignore=ignore)
        for path in dst.rglob("*.py"):
            rel = path.relative_to(box / "submission").as_posix()
            path.write_text(release_source(path.read_text(encoding="utf-8"), rel), encoding="utf-8")
        own = layout.root / package if layout.root is not None else None
        if own is not None and not own.is_symlink() and own.is_dir():
            shutil.copytree(own, dst, ignore=no_links(ignore), dirs_exist_ok=True)
    for rel, source in layout.overlay.items():
        if not source.is_symlink() and source.is_file():  # checked again: it is not ours
            dest = box / "submission" / rel
            dest.parent.mkdir(parents=True, exist_ok=True)
            shutil.copyfile(source, dest, follow_symlinks=False)
    # The drivers' stand-ins are the harness's, never the submission's to import and
    # return as its own work (each child gets the drivers its tests call, under another
    # name and without the stand-ins for its own exercise: lab.grading.harness).
    shutil.rmtree(box / "submission" / "lab" / "grading" / "drivers", ignore_errors=True)
    seal(box, identity)
    shutil.copytree(reference / "tests" / "exercises", work / "exercises", ignore=ignore)
    (work / "plugin").mkdir()
    shutil.copyfile(Path(__file__).with_name("plugin.py"), work / "plugin" / f"{PLUGIN_MODULE}.py")
    (work / "pytest.ini").write_text(
        "[pytest]\nmarkers =\n    points(n): points this test is worth\n    slow: a slow test\n",
        encoding="utf-8",
    )


def no_links(ignore: Callable[[str, list[str]], set[str]]) -> Callable[[str, list[str]], set[str]]:
    """``ignore`` plus every symbolic link: a submission's files are its own, never
    links to the reference's."""

    def combined(folder: str, names: list[str]) -> set[str]:
        links = {n for n in names if os.path.islink(os.path.join(folder, n))}
        return set(ignore(folder, names)) | links

    return combined


def environment(
    reference: Path,
    work: Path,
    box: Path,
    identity: Identity,
    per_test_timeout: float,
    memory_bytes: int,
) -> dict[str, str]:
    """The trusted pytest's environment: the reference and the plugin on the path, and
    where the sandbox's box is (the children get an environment of their own)."""
    env = {k: v for k, v in os.environ.items() if k not in _DROP_ENV}
    env["PYTHONPATH"] = os.pathsep.join([str(reference), str(work / "plugin")])
    env["PYTHONDONTWRITEBYTECODE"] = "1"
    env["PYTHONNOUSERSITE"] = "1"
    env["PYTHONHASHSEED"] = "0"
    env["MPLBACKEND"] = "Agg"
    env["TEXTGEN_SANDBOX_DIR"] = env["TEXTGEN_GRADING_BOX"] = str(box)
    env["TEXTGEN_SANDBOX_UID"] = identity.to_env()
    env["TEXTGEN_SANDBOX_TIMEOUT"] = f"{per_test_timeout:g}"
    env["TEXTGEN_SANDBOX_MEMORY"] = str(memory_bytes)
    return env


def digest(reference: Path) -> str:
    """A digest of the grader's own files (package, baselines, exercise tests)."""
    digest = hashlib.sha256()
    for top in (*PACKAGES, "tests/exercises"):
        for path in sorted((reference / top).rglob("*")):
            if path.is_file() and path.suffix != ".pyc" and "__pycache__" not in path.parts:
                digest.update(path.relative_to(reference).as_posix().encode() + b"\0")
                digest.update(path.read_bytes())
    return digest.hexdigest()


def seal(box: Path, identity: Identity) -> None:
    """Make ``box`` readable and never writable by the child, and by no one else: as root,
    owned by root with the children's group (folders 0750, files 0640), else the grader's
    alone (0700, 0600: the child is the grader's uid in its user namespace); no links (a
    submission's files are its own, never links to elsewhere)."""
    shared = identity.dedicated
    folder_mode, file_mode = (0o750, 0o640) if shared else (0o700, 0o600)
    for folder, dirs, files in os.walk(box):
        if shared:
            os.chown(folder, 0, identity.gid)
        os.chmod(folder, folder_mode)
        for name in dirs + files:
            path = os.path.join(folder, name)
            if os.path.islink(path):
                os.unlink(path)
            elif name in files:
                if shared:
                    os.chown(path, 0, identity.gid)
                os.chmod(path, file_mode)
