"""Where the reference is: the lab's own checkout, or an installed wheel.

Grading reads the reference as a folder laid out like the checkout (``lab``,
``baselines``, ``tests/exercises``, ``notebooks/lab.ipynb``). A wheel ships the
exercise tests and the notebook inside the package, in ``lab/_reference``
(pyproject.toml maps them there; in the checkout that folder is a placeholder),
so ``pip install`` of the wheel is enough to grade: :func:`reference_tree` lays
them out again in a private temporary folder.
"""

from __future__ import annotations

import shutil
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from lab.errors import LabError
from lab.grading.handout import CACHE_NAMES
from lab.grading.layout import NOTEBOOK


def project_root() -> Path:
    """The checkout holding this ``lab``, ``baselines`` and ``tests`` (the handout and the
    Gradescope bundle are made from it; grading reads :func:`reference_tree`)."""
    root = Path(__file__).resolve().parents[2]
    if _shipped_reference() is not None or not (root / "tests" / "exercises").is_dir():
        raise LabError(
            f"{root / 'lab'} is an installed package, not a source checkout: "
            "run this from a checkout of textgen-lab"
        )
    return root


def _shipped_reference() -> Path | None:
    """``lab/_reference`` when it holds the exercise tests (an installed wheel; in the
    checkout it is a placeholder, see its README.md), else ``None``."""
    shipped = Path(__file__).resolve().parents[1] / "_reference"
    return shipped if (shipped / "exercises" / "conftest.py").is_file() else None


@contextmanager
def reference_tree() -> Iterator[Path]:
    """The reference laid out as the grader reads it (``lab``, ``baselines``,
    ``tests/exercises``, the notebook): this checkout, or, installed from a wheel, a
    private temporary copy of the packages and of what the wheel ships in
    ``lab/_reference``. The copy of ``lab`` leaves ``_reference`` out: the sandbox's box
    gets that copy, and must never get the hidden tests."""
    shipped = _shipped_reference()
    if shipped is None:
        yield project_root()
        return
    package = shipped.parent
    skip = (*CACHE_NAMES, "*.pyc")
    ignore = shutil.ignore_patterns(*skip)
    with tempfile.TemporaryDirectory(prefix="textgen-reference-") as tmp:
        root = Path(tmp)
        shutil.copytree(package, root / "lab", ignore=shutil.ignore_patterns(*skip, shipped.name))
        shutil.copytree(package.parent / "baselines", root / "baselines", ignore=ignore)
        shutil.copytree(shipped / "exercises", root / "tests" / "exercises", ignore=ignore)
        if (shipped / "lab.ipynb").is_file():
            (root / NOTEBOOK).parent.mkdir()
            shutil.copyfile(shipped / "lab.ipynb", root / NOTEBOOK)
        yield root
