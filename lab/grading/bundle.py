"""Gradescope's ``autograder.zip``: the scripts, the reference, and a pinned stack.

Gradescope runs ``setup.sh`` once when it builds the image and
``run_autograder`` once per submission, with the student's files in
``/autograder/submission`` and this zip unpacked in ``/autograder/source``;
the run must leave ``/autograder/results/results.json``. Both scripts read
that root from ``AUTOGRADER_ROOT`` (and the virtualenv from
``AUTOGRADER_VENV``), so a test can run the very scripts Gradescope runs in
a folder of its own.

Every package is pinned to the version installed where the bundle is
built (torch to the CPU build CI pins), Python included: a submission
graded in March must meet the same numpy, nltk and pytest as one graded in
January, whatever was released in between.
"""

from __future__ import annotations

import importlib.metadata
import platform
import re
import stat
import zipfile
from pathlib import Path

from lab.errors import LabError
from lab.grading.answers import manual_grading_text
from lab.grading.exercises import total_points
from lab.grading.grader import reference_questions
from lab.grading.handout import is_excluded
from lab.grading.layout import NOTEBOOK
from lab.storage.files import write_with_atomic

GRADER_TOOLS = ("pytest", "pytest-timeout")
BUNDLED = ("lab", "baselines", "tests/exercises")
_NAME = re.compile(r"\s*([A-Za-z0-9][A-Za-z0-9._-]*)")

SETUP_SH = """#!/usr/bin/env bash
# Gradescope image build: Python {python}, the CPU build of PyTorch {torch}, and every other
# package at the version of the machine that built this bundle (autograder-requirements.txt).
set -euo pipefail
root="${{AUTOGRADER_ROOT:-/autograder}}"
venv="${{AUTOGRADER_VENV:-$root/venv}}"
apt-get update
if ! apt-get install -y python{python} python{python}-venv; then
    echo "setup.sh: this image has no python{python}, the Python the bundle was built and" \\
        "pinned with; build the bundle with the image's Python instead" >&2
    exit 1
fi
python{python} -m venv "$venv"
. "$venv/bin/activate"
python -m pip install "pip=={pip}"
python -m pip install --index-url https://download.pytorch.org/whl/cpu "torch=={torch}"
# Dependencies only: the reference package itself is never installed, so a
# submission can never fall back on it. The grader runs from $root/source.
python -m pip install -r "$root/source/autograder-requirements.txt"
"""

RUN_AUTOGRADER = """#!/usr/bin/env bash
# One submission: copy /autograder/submission aside, grade it, write
# /autograder/results/results.json (the root is $AUTOGRADER_ROOT, /autograder by default).
# Arguments are passed on to `textgen-lab grade` (a test may add --exercise N).
set -uo pipefail
root="${{AUTOGRADER_ROOT:-/autograder}}"
venv="${{AUTOGRADER_VENV:-$root/venv}}"
. "$venv/bin/activate"
unset PYTHONPATH PYTHONHOME PYTHONSTARTUP
copy="$(mktemp -d)"
errors="$(mktemp)"
trap 'rm -rf "$copy" "$errors"' EXIT
cp -R -P "$root/submission/." "$copy/"
mkdir -p "$root/results"
cd "$root/source"
rm -f "$root/results/results.json"
python -m lab grade "$copy" --out "$root/results/results.json" \\
    --per-test-timeout {per_test_timeout:g} --overall-timeout {overall_timeout:g} "$@" 2>"$errors"
status=$?
cat "$errors" >&2
if [ ! -s "$root/results/results.json" ]; then  # never leave Gradescope without results
    python -m lab.grading.gradescope "$root/results/results.json" "$(tail -n 1 "$errors")"
fi
exit $status
"""


def requirements_text(source_root: Path) -> str:
    """``autograder-requirements.txt``: every dependency of the lab (torch aside:
    ``setup.sh`` installs its CPU build) and of the grader's tools, with what they
    need in turn, each pinned to the version installed here."""
    listed = [d for d in _dependencies(source_root) if _name(d).lower() != "torch"]
    pins: dict[str, str] = {}
    pending = [(d, True) for d in [*listed, *GRADER_TOOLS]]
    while pending:
        requirement, direct = pending.pop()
        if "extra" in requirement.partition(";")[2]:
            continue  # an optional feature of a package, not a dependency
        name = _name(requirement)
        key = re.sub(r"[-_.]+", "-", name).lower()
        if key in pins or key == "torch":
            continue
        try:
            dist = importlib.metadata.distribution(name)
        except importlib.metadata.PackageNotFoundError:
            if direct:
                raise LabError(
                    f"cannot pin {name} for the bundle: it is not installed here "
                    "(install the lab with its test extra first)"
                ) from None
            continue  # not needed on this platform (its marker is false here)
        pins[key] = f"{dist.metadata['Name']}=={dist.version}"
        pending += [(r, False) for r in dist.requires or []]
    header = [
        "# Pinned by `textgen-lab grade --gradescope` from the packages installed where the",
        f"# bundle was built (Python {platform.python_version()}, {platform.system()}).",
    ]
    lines = [pins[key] for key in sorted(pins)]
    return "\n".join([*header, *lines, ""])


def write_bundle(
    path: Path,
    source_root: Path,
    *,
    per_test_timeout: float = 30.0,
    overall_timeout: float = 900.0,
) -> list[str]:
    """Write Gradescope's ``autograder.zip``: ``setup.sh`` and ``run_autograder`` at the
    root, the pinned requirements, ``MANUAL_GRADING.md``, and the reference's ``lab``,
    ``baselines``, ``tests/exercises``, notebook and ``pyproject.toml``. Returns the
    archive's file names."""
    source_root = Path(source_root)
    python = ".".join(platform.python_version_tuple()[:2])
    setup = SETUP_SH.format(python=python, pip=_version("pip"), torch=_torch_pin(source_root))
    members: dict[str, bytes] = {
        "setup.sh": setup.encode(),
        "run_autograder": RUN_AUTOGRADER.format(
            per_test_timeout=per_test_timeout, overall_timeout=overall_timeout
        ).encode(),
        "autograder-requirements.txt": requirements_text(source_root).encode(),
        "MANUAL_GRADING.md": manual_grading_text(
            reference_questions(source_root), total_points()
        ).encode(),
        "pyproject.toml": (source_root / "pyproject.toml").read_bytes(),
    }
    if (source_root / NOTEBOOK).is_file():  # the questions, and the placeholders of the answers
        members[NOTEBOOK] = (source_root / NOTEBOOK).read_bytes()
    for top in BUNDLED:
        for file in sorted((source_root / top).rglob("*")):
            rel = file.relative_to(source_root)
            if file.is_file() and not is_excluded(rel):
                members[rel.as_posix()] = file.read_bytes()

    def write(tmp: Path) -> None:
        with zipfile.ZipFile(tmp, "w", compression=zipfile.ZIP_DEFLATED) as zf:
            for name, data in members.items():
                info = zipfile.ZipInfo(name, date_time=(2024, 1, 1, 0, 0, 0))
                executable = name in ("setup.sh", "run_autograder")
                mode = 0o755 if executable else 0o644
                info.external_attr = (stat.S_IFREG | mode) << 16
                info.compress_type = zipfile.ZIP_DEFLATED
                zf.writestr(info, data)

    write_with_atomic(Path(path), write)
    return list(members)


def _dependencies(source_root: Path) -> list[str]:
    text = (source_root / "pyproject.toml").read_text(encoding="utf-8")
    try:
        import tomllib
    except ImportError:  # Python 3.10: the dependencies are one plain list of strings
        block = text.split("dependencies = [", 1)[1].split("]", 1)[0]
        listed = [ln.strip().rstrip(",").strip('"') for ln in block.splitlines()]
        return [d for d in listed if d and not d.startswith("#")]
    return list(tomllib.loads(text)["project"]["dependencies"])


def _name(requirement: str) -> str:
    match = _NAME.match(requirement)
    if match is None:
        raise LabError(f"cannot read the requirement {requirement!r} in pyproject.toml")
    return match.group(1)


def _version(name: str) -> str:
    try:
        return importlib.metadata.version(name)
    except importlib.metadata.PackageNotFoundError:
        raise LabError(f"cannot pin {name} for the bundle: it is not installed here") from None


def _torch_pin(root: Path) -> str:
    """The torch version CI pins (``requirements/ci.txt``): the bundle installs exactly it."""
    path = Path(root) / "requirements" / "ci.txt"
    for line in path.read_text(encoding="utf-8").splitlines() if path.is_file() else []:
        line = line.split("#")[0].strip()
        if line.startswith("torch=="):
            return line.removeprefix("torch==")
    raise LabError(f"{path} pins no torch version (torch==X.Y.Z) for the bundle")
