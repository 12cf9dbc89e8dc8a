"""Where a submission's files are: the handout's folders, or the exercise files by name.

Students upload to Gradescope in two shapes. Either their copy of the
handout (the folder holding ``lab/`` and ``baselines/``, zipped or not,
often wrapped in one more folder), or only the files they edited, loose
at the top level (``vocabulary.py``, ``markov.py``). The second shape
carries no paths, so each top-level ``.py`` file is matched by name with
the one exercise file of that name in :data:`lab.grading.exercises.EXERCISES`
(read when grading, never a list kept here, so new exercises are found
without touching this module). Whatever cannot be placed (a name that
matches nothing, two files for one place, a name shared by two exercise
files, nothing recognisable at all) becomes a message that the grader puts
on the first lines of the student's results, saying what was expected and
what was found: otherwise the student sees 0 points and no reason.

Nothing here follows a symbolic link: a submission's files are its own.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath

from lab.grading.exercises import EXERCISES, Exercise

PACKAGES = ("lab", "baselines")
NOTEBOOK = "notebooks/lab.ipynb"
_IGNORED = frozenset({"__MACOSX", "__pycache__", ".git", ".ipynb_checkpoints"})
_COPY_SUFFIX = re.compile(r"\s*\(\d+\)$")  # "markov (1).py", as browsers save a second download
_MAX_LISTED = 12


@dataclass(frozen=True)
class Layout:
    """What :func:`detect_layout` found.

    ``root`` is the folder holding ``lab/`` or ``baselines/`` (``None`` if
    there is none); ``overlay`` maps an exercise file (``lab/text/vocabulary.py``)
    to the loose file that replaces it; ``notebook`` is the submission's lab
    notebook, if any; ``messages`` are for the student, most important first.
    """

    root: Path | None
    overlay: dict[str, Path] = field(default_factory=dict)
    notebook: Path | None = None
    messages: tuple[str, ...] = ()


def exercise_files(exercises: Sequence[Exercise] = EXERCISES) -> list[str]:
    """The exercise files, each once, in table order."""
    return list(dict.fromkeys(ex.file for ex in exercises if ex.file))  # not end-to-end


def detect_layout(submission: Path, exercises: Sequence[Exercise] = EXERCISES) -> Layout:
    """Find the submission's code in ``submission`` (a folder Gradescope unpacked)."""
    top = _unwrap(Path(submission))
    root = top if any(_is_dir(top / p) for p in PACKAGES) else None
    loose = sorted(p for p in _entries(top) if p.suffix == ".py" and _is_file(p))
    overlay, messages, recognised = _place_loose_files(loose, root, exercises)
    notebook = _notebook(top, root)
    found = f"Expected {_expected(exercises)}. Found: {_found(Path(submission))}."
    if root is None and not recognised:
        messages.insert(0, f"Submission not recognised: no lab/ folder and no exercise file, so "
                           f"the untouched handout was graded. {found}")  # fmt: skip
    elif root is None and messages:  # the first problem, and what would have been right
        messages[0] = f"{messages[0]} {found}"
    if root is None and overlay:
        placed = ", ".join(f"{p.name} -> {dest}" for dest, p in overlay.items())
        messages.append(f"Graded your files by name: {placed}; every other file is the handout's.")
    garbled = [p.name for p in _walk(Path(submission)) if not _utf8(p.name)]
    if garbled:
        names = ", ".join(_listed([_shown(n) for n in garbled]))
        messages.append(f"Not graded: {names}: file names must be UTF-8 text; rename and resubmit.")
    return Layout(root, overlay, notebook, tuple(_shown(m) for m in messages))


def _utf8(name: str) -> bool:
    try:
        name.encode("utf-8")
    except UnicodeEncodeError:  # os.fsdecode's surrogates for bytes that are not UTF-8
        return False
    return True


def _shown(text: str) -> str:
    """``text`` printable as UTF-8: undecodable bytes of a file name become U+FFFD."""
    return text.encode("utf-8", "surrogateescape").decode("utf-8", "replace")


def _place_loose_files(
    loose: list[Path], root: Path | None, exercises: Sequence[Exercise]
) -> tuple[dict[str, Path], list[str], bool]:
    """Map each loose ``.py`` file to its exercise file; messages for the rest, and
    whether any loose file named an exercise file at all. Beside a handout folder
    (``root``), loose files that name no exercise file are the student's own
    scripts, not a mistake, and are left alone."""
    by_name: dict[str, list[str]] = {}
    for file in exercise_files(exercises):
        by_name.setdefault(_key(PurePosixPath(file).name), []).append(file)
    claims: dict[str, list[Path]] = {}
    unknown: list[str] = []
    shared: list[str] = []
    for path in loose:
        places = by_name.get(_key(path.name), [])
        if len(places) == 1:
            claims.setdefault(places[0], []).append(path)
        elif places:
            shared.append(f"{path.name} (could be {' or '.join(places)})")
        else:
            unknown.append(path.name)
    overlay: dict[str, Path] = {}
    messages: list[str] = []
    order = exercise_files(exercises)
    for dest, paths in sorted(claims.items(), key=lambda item: order.index(item[0])):
        in_folder = root / dest if root is not None else None
        if in_folder is not None and _is_file(in_folder):
            same = all(_same_bytes(p, in_folder) for p in paths)
            if not same:
                names = ", ".join(p.name for p in paths)
                messages.append(
                    f"{names} and {dest} both give {dest}: graded {dest} (the folder's)."
                )
        elif len(paths) > 1:
            names = " and ".join(p.name for p in paths)
            messages.append(f"{names} both give {dest}: graded neither; upload only one.")
        else:
            overlay[dest] = paths[0]
    if shared:
        messages.append(
            f"{'; '.join(shared)}: several exercise files have this name, so upload them in "
            "their folders (the folder holding lab/ and baselines/)."
        )
    if unknown and root is None:
        names = ", ".join(_listed(unknown))
        messages.append(f"Not graded: {names} (matches no exercise file).")
    return overlay, messages, bool(claims or shared)


def _expected(exercises: Sequence[Exercise]) -> str:
    names = ", ".join(sorted({PurePosixPath(f).name for f in exercise_files(exercises)}))
    return (
        "the folder holding lab/ and baselines/ (zipped or as a folder), "
        f"or your exercise files by name ({names})"
    )


def _found(submission: Path) -> str:
    found = [p.relative_to(submission).as_posix() for p in _walk(submission)]
    return ", ".join(_listed(found)) if found else "nothing (the submission is empty)"


def _notebook(top: Path, root: Path | None) -> Path | None:
    """``notebooks/lab.ipynb`` under the handout folder, else a loose ``lab.ipynb``."""
    candidates = [root / NOTEBOOK] if root is not None else []
    candidates += [top / NOTEBOOK, top / PurePosixPath(NOTEBOOK).name]
    return next((p for p in candidates if p.exists() or p.is_symlink()), None)


def _unwrap(path: Path) -> Path:
    """``path``, or the one folder it wraps (Gradescope zips often hold one folder)."""
    for _ in range(3):  # a zip of a folder of a folder is still recognisable
        if any(_is_dir(path / p) for p in PACKAGES):
            return path
        entries = _entries(path)
        folders = [p for p in entries if _is_dir(p)]
        if len(folders) != 1 or any(_is_file(p) and p.suffix == ".py" for p in entries):
            return path
        path = folders[0]
    return path


def _entries(folder: Path) -> list[Path]:
    try:
        return [p for p in folder.iterdir() if p.name not in _IGNORED and not _hidden(p)]
    except OSError:
        return []


def _walk(folder: Path, limit: int = 200) -> list[Path]:
    """Up to ``limit`` files under ``folder``, links not followed, for the message."""
    found: list[Path] = []
    pending = [folder]
    while pending and len(found) < limit:
        for path in sorted(_entries(pending.pop())):
            if _is_dir(path):
                pending.append(path)
            else:
                found.append(path)
    return found


def _listed(names: list[str]) -> list[str]:
    if len(names) <= _MAX_LISTED:
        return names
    return [*names[:_MAX_LISTED], f"and {len(names) - _MAX_LISTED} more"]


def _key(name: str) -> str:
    """``Markov (1).py`` and ``markov.py`` name the same file."""
    stem, dot, suffix = name.rpartition(".")
    return _COPY_SUFFIX.sub("", stem).lower() + dot + suffix.lower()


def _same_bytes(a: Path, b: Path) -> bool:
    try:
        return a.read_bytes() == b.read_bytes()
    except OSError:
        return False


def _hidden(path: Path) -> bool:
    return path.name.startswith(".") or path.name.startswith("._")


def _is_dir(path: Path) -> bool:
    return not path.is_symlink() and path.is_dir()


def _is_file(path: Path) -> bool:
    return not path.is_symlink() and path.is_file()
