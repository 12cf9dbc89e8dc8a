"""The student release: the reference with its solutions taken out.

``textgen-lab handout --out dist/student`` copies the project (package,
baselines, tests, corpora catalog, notebooks, scripts) and, in every
Python file, replaces each solution region by
``raise NotImplementedError("Exercise N: <title>")`` at the region's
indentation and deletes each hidden-test region; every other byte is kept.
The README becomes the student README, listing the tasks from
:mod:`lab.grading.exercises`. Git data, virtualenvs, runs, reports, caches,
the grading's planted bugs (``tests/mutants``), its alternative solutions
(``tests/alternatives``) and the other tests of :data:`EXCLUDED_PATHS` are never
copied.
Everything is checked before anything is written, and the release is built
in a temporary folder and renamed into place.
"""

from __future__ import annotations

import ast
import json
import os
import shutil
import tempfile
from dataclasses import dataclass
from pathlib import Path

from lab.errors import LabError
from lab.grading.exercises import EXERCISES, Exercise, exercise_for_function, total_points
from lab.grading.markers import MarkerError, Region, find_regions, parse_python, strip_regions

INCLUDED = (
    "pyproject.toml", "LICENSE", ".gitignore", "lab", "baselines", "tests",
    "corpora", "notebooks", "scripts", "requirements",
)  # fmt: skip
# The grader's own solutions; the maker of the visible tests' golden values (it runs the
# reference) and a test whose oracle restates Exercise 6 (tests/test_handout_twins.py); the
# benchmarks' tests (the handout has no benchmarks/).
EXCLUDED_PATHS = (
    "tests/mutants",
    "tests/alternatives",
    "tests/test_exercise_golden.py",
    "tests/test_sampler_parity.py",
    "tests/test_benchmark_budget.py",
    "tests/test_transformer_benchmark.py",
)
CACHE_NAMES = (
    "__pycache__", ".pytest_cache", ".mypy_cache", ".ruff_cache", ".ipynb_checkpoints",
)  # fmt: skip
_EXCLUDED_DIRS = frozenset({".git", "runs", "reports", "dist", "build", *CACHE_NAMES})
MANIFEST = ".handout.json"


@dataclass(frozen=True)
class HandoutSummary:
    """What :func:`write_handout` did."""

    out_dir: Path
    files: int
    solution_regions: int
    hidden_regions: int


def release_source(text: str, path: str) -> str:
    """The student version of one Python file (``path`` is relative, for messages
    and for looking up the exercise of each solution region)."""
    if "# BEGIN" not in text and "# END" not in text:
        return text
    regions = find_regions(text, path=path)
    if not regions:
        return text
    spans = _function_spans(text, path)

    def message(region: Region) -> str:
        qualname, ex = _region_exercise(spans, region, path)
        return f"{ex.label}: write {qualname.rsplit('.', 1)[-1]}"

    return strip_regions(text, path=path, stub_message=message)


def _function_spans(text: str, path: str) -> list[tuple[int, int, str]]:
    """``(first line, last line, qualified name)`` of every function in ``text``."""
    try:
        tree = parse_python(text, path)
    except SyntaxError as exc:
        raise MarkerError(f"{path}:{exc.lineno}: cannot parse: {exc.msg}") from None
    spans: list[tuple[int, int, str]] = []

    def visit(node: ast.AST, prefix: str) -> None:
        for child in ast.iter_child_nodes(node):
            if isinstance(child, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
                name = f"{prefix}{child.name}"
                if not isinstance(child, ast.ClassDef):
                    spans.append((child.lineno, child.end_lineno or child.lineno, name))
                visit(child, f"{name}.")

    visit(tree, "")
    return spans


def region_exercises(text: str, path: str) -> list[tuple[Region, Exercise]]:
    """Each solution region of ``text`` (file ``path``, relative) with its exercise, for tools
    that stub some exercises and keep others (the isolation test)."""
    spans = _function_spans(text, path)
    return [
        (region, _region_exercise(spans, region, path)[1])
        for region in find_regions(text, path=path)
        if region.kind == "solution"
    ]


def _region_exercise(
    spans: list[tuple[int, int, str]], region: Region, path: str
) -> tuple[str, Exercise]:
    """The function a solution region is the body of, and its exercise (``MarkerError`` if
    it is not in a function, or the function is in no exercise)."""
    qualname = _enclosing(spans, region.begin)
    if qualname is None:
        raise MarkerError(f"{path}:{region.begin}: a solution region must be inside a function")
    ex = exercise_for_function(path, qualname)
    if ex is None:
        raise MarkerError(
            f"{path}:{region.begin}: the solution region in {qualname} is not listed in "
            "lab/grading/exercises.py"
        )
    return qualname, ex


def _enclosing(spans: list[tuple[int, int, str]], line: int) -> str | None:
    inside = [s for s in spans if s[0] < line <= s[1]]
    return max(inside, key=lambda s: s[0])[2] if inside else None


def is_excluded(rel: Path) -> bool:
    if any(part in _EXCLUDED_DIRS or part.startswith(".venv") for part in rel.parts):
        return True
    posix = rel.as_posix()
    return (
        any(posix == p or posix.startswith(p + "/") for p in EXCLUDED_PATHS) or rel.suffix == ".pyc"
    )


def _release_files(source_root: Path) -> list[Path]:
    """Relative paths of every file the release contains, README aside."""
    files: list[Path] = []
    for name in INCLUDED:
        top = source_root / name
        if top.is_file():
            files.append(Path(name))
        elif top.is_dir():
            for path in sorted(top.rglob("*")):
                rel = path.relative_to(source_root)
                if path.is_file() and not is_excluded(rel):
                    files.append(rel)
    return files


def write_handout(source_root: Path, out_dir: Path, *, force: bool = False) -> HandoutSummary:
    """Write the student release of ``source_root`` to ``out_dir``.

    Raises:
        MarkerError: unbalanced, nested or unlisted markers (nothing is written).
        LabError: ``out_dir`` overlaps the sources, or exists and is not an
            earlier handout to replace with ``force``.
    """
    source_root, out_dir = Path(source_root).resolve(), Path(out_dir).resolve()
    _check_destination(source_root, out_dir, force)
    files = _release_files(source_root)
    texts: dict[Path, str] = {}
    solutions = hidden = 0
    for rel in files:
        if rel.suffix == ".py":
            text = (source_root / rel).read_text(encoding="utf-8")
            regions = find_regions(text, path=rel.as_posix())
            solutions += sum(r.kind == "solution" for r in regions)
            hidden += sum(r.kind == "hidden" for r in regions)
            texts[rel] = release_source(text, rel.as_posix())
    if solutions == 0:
        raise MarkerError(f"no solution regions found under {source_root}: nothing to hand out")
    out_dir.parent.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix=f".{out_dir.name}.", dir=out_dir.parent))
    try:
        for rel in files:
            dest = staging / rel
            dest.parent.mkdir(parents=True, exist_ok=True)
            if rel in texts:
                dest.write_text(texts[rel], encoding="utf-8")
                shutil.copymode(source_root / rel, dest)
            else:
                shutil.copy2(source_root / rel, dest)
        (staging / "README.md").write_text(student_readme(), encoding="utf-8")
        manifest = {"exercises": [ex.number for ex in EXERCISES], "total_points": total_points()}
        (staging / MANIFEST).write_text(json.dumps(manifest, indent=2) + "\n", encoding="utf-8")
        if out_dir.exists():
            shutil.rmtree(out_dir)
        os.replace(staging, out_dir)
    except BaseException:
        shutil.rmtree(staging, ignore_errors=True)
        raise
    return HandoutSummary(out_dir, len(files) + 2, solutions, hidden)


def _check_destination(source_root: Path, out_dir: Path, force: bool) -> None:
    if out_dir == source_root or source_root.is_relative_to(out_dir):
        raise LabError(f"--out {out_dir} would overwrite the reference itself")
    if out_dir.is_relative_to(source_root):
        rel = out_dir.relative_to(source_root)
        if rel.parts[0] in INCLUDED:
            raise LabError(f"--out {out_dir} is inside {rel.parts[0]}/, which the handout copies")
    if out_dir.exists() and any(out_dir.iterdir()):
        if not force:
            raise LabError(f"{out_dir} already exists; pass --force to replace it")
        if not (out_dir / MANIFEST).is_file():
            raise LabError(
                f"refusing to replace {out_dir}: it is not a handout written by this command"
            )


def student_readme() -> str:
    """The README of the student release: setup, the tasks, how to check your work."""
    lines = [
        "# textgen-lab: student handout",
        "",
        "Generative text with recurrent networks: you will finish a word-level LSTM text",
        "generator and a Markov-chain baseline, then compare them on *Alice's Adventures in",
        "Wonderland* in `notebooks/lab.ipynb`.",
        "",
        'Every function you write raises `NotImplementedError("Exercise N: ...")` until you',
        "do; its docstring says what it must do. Work through the exercises in order: the",
        "tests of each exercise check only that exercise (the last, end to end, runs them",
        "together the way the notebook does). Then run `notebooks/lab.ipynb` on a book of",
        "your choice and write your answers in its answer cells: they are graded by hand.",
        "",
        "## Setup",
        "",
        "```bash",
        "bash scripts/setup.sh        # creates .venv and installs the package",
        ". .venv/bin/activate",
        "```",
        "",
        f"## Exercises ({total_points()} points)",
        "",
    ]
    for ex in EXERCISES:
        where = ", ".join(f"`{f}`" for f in ex.functions)
        lines += [
            f"### Exercise {ex.number}: {ex.title} ({ex.points} points)",
            "",
            f"In `{ex.file}`: {where}." if ex.functions else "Nothing new to write.",
            "",
            ex.task,
            "",
            f"Check: `python -m pytest tests/exercises/{ex.test_module}`",
            "",
        ]
    lines += [
        "## Checking your work",
        "",
        "```bash",
        "python -m pytest tests/exercises                 # every exercise",
        "python -m lab grade . --out results.json         # points per exercise",
        "```",
        "",
        "The grader runs more tests than you have here (hidden tests), with a time limit per",
        "test: a function that loops forever or crashes scores zero for that test only.",
        "",
    ]
    return "\n".join(lines)
