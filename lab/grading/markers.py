"""Solution and hidden-test regions in source files, and how the handout strips them.

The reference solution marks what students must write with the nbgrader /
otter convention: a comment line ``# BEGIN SOLUTION`` before the body of an
exercise function and ``# END SOLUTION`` after it, and tests only the
grader sees between ``# BEGIN HIDDEN TESTS`` and ``# END HIDDEN TESTS``
lines. A marker is a line holding nothing but the marker text, so prose or a
string that mentions one (like this docstring, or the constants below) is not.
Regions never nest and always close; every mistake is reported with its
file and line, because a silently wrong handout would publish the solution.
"""

from __future__ import annotations

import ast
import threading
from collections.abc import Callable
from dataclasses import dataclass
from typing import Literal

from lab.errors import LabError

BEGIN_SOLUTION = "# BEGIN SOLUTION"
END_SOLUTION = "# END SOLUTION"
BEGIN_HIDDEN = "# BEGIN HIDDEN TESTS"
END_HIDDEN = "# END HIDDEN TESTS"

RegionKind = Literal["solution", "hidden"]

_BEGIN: dict[str, RegionKind] = {BEGIN_SOLUTION: "solution", BEGIN_HIDDEN: "hidden"}
_END: dict[str, RegionKind] = {END_SOLUTION: "solution", END_HIDDEN: "hidden"}
_MARKER_OF: dict[RegionKind, tuple[str, str]] = {
    "solution": (BEGIN_SOLUTION, END_SOLUTION),
    "hidden": (BEGIN_HIDDEN, END_HIDDEN),
}


_AST_LOCK = threading.Lock()


def parse_python(text: str, filename: str) -> ast.Module:
    """``ast.parse``, one thread at a time: CPython 3.11's parser is not thread-safe
    ("AST constructor recursion depth mismatch", python/cpython#106905), and graders
    run in threads (the planted-bug tests grade two submissions at once)."""
    with _AST_LOCK:
        return ast.parse(text, filename=filename)


class MarkerError(LabError):
    """Unbalanced, nested or misplaced region markers (``path:line: message``)."""


@dataclass(frozen=True)
class Region:
    """One marked region; ``begin``/``end`` are the 1-based lines of its two markers."""

    kind: RegionKind
    begin: int
    end: int
    indent: str

    def contains(self, line: int) -> bool:
        """Whether 1-based ``line`` lies strictly between the two markers."""
        return self.begin < line < self.end


def marker_kind(line: str) -> tuple[Literal["begin", "end"], RegionKind] | None:
    """``("begin", kind)`` / ``("end", kind)`` if ``line`` is a marker line, else ``None``."""
    text = line.strip()
    if text in _BEGIN:
        return "begin", _BEGIN[text]
    if text in _END:
        return "end", _END[text]
    return None


def find_regions(text: str, *, path: str = "<string>") -> list[Region]:
    """All regions of ``text`` in order.

    Raises:
        MarkerError: an END without its BEGIN, a BEGIN inside an open region
            (nesting, of either kind), a region left open at the end of the
            file, or a solution region at module level (the handout must
            still import, so solutions live inside function bodies).
    """
    regions: list[Region] = []
    open_kind: RegionKind | None = None
    open_line, open_indent = 0, ""
    for number, line in enumerate(text.splitlines(), start=1):
        found = marker_kind(line)
        if found is None:
            continue
        side, kind = found
        marker = line.strip()
        if side == "begin":
            if open_kind is not None:
                raise MarkerError(
                    f"{path}:{number}: {marker!r} inside the {open_kind} region opened at "
                    f"line {open_line}: regions cannot nest"
                )
            indent = line[: len(line) - len(line.lstrip())]
            if kind == "solution" and not indent:
                raise MarkerError(
                    f"{path}:{number}: {marker!r} at module level: a solution region must be "
                    "inside a function body so the handout still imports"
                )
            open_kind, open_line, open_indent = kind, number, indent
        else:
            if open_kind is None:
                raise MarkerError(f"{path}:{number}: {marker!r} without a matching BEGIN")
            if kind != open_kind:
                raise MarkerError(
                    f"{path}:{number}: {marker!r} closes the {open_kind} region opened at "
                    f"line {open_line} (expected {_MARKER_OF[open_kind][1]!r})"
                )
            regions.append(Region(kind, open_line, number, open_indent))
            open_kind = None
    if open_kind is not None:
        raise MarkerError(
            f"{path}:{open_line}: {_MARKER_OF[open_kind][0]!r} is never closed "
            f"(no {_MARKER_OF[open_kind][1]!r} before the end of the file)"
        )
    return regions


def strip_regions(
    text: str,
    *,
    path: str = "<string>",
    stub_message: Callable[[Region], str] | None = None,
) -> str:
    """``text`` with every solution region (markers included) replaced by one
    ``raise NotImplementedError(message)`` at the region's indentation and every
    hidden-test region removed; all other lines are kept byte for byte.

    ``stub_message(region)`` gives the exception message (default
    ``"Exercise: write this"``); it may raise :class:`MarkerError` to refuse
    a region it does not know.
    """
    regions = find_regions(text, path=path)
    if not regions:
        return text
    lines = text.splitlines(keepends=True)
    newline = "\r\n" if lines and lines[0].endswith("\r\n") else "\n"
    out: list[str] = []
    cursor = 0  # 0-based index of the next line to copy
    for region in regions:
        out.extend(lines[cursor : region.begin - 1])
        if region.kind == "solution":
            message = stub_message(region) if stub_message else "Exercise: write this"
            out.append(f"{region.indent}raise NotImplementedError({_literal(message)}){newline}")
        cursor = region.end  # skip the END marker line too
    out.extend(lines[cursor:])
    return "".join(out)


def _literal(message: str) -> str:
    """A Python string literal for ``message``, double-quoted when that needs no escapes."""
    if '"' in message or "\\" in message or not message.isprintable():
        return repr(message)
    return f'"{message}"'


def hidden_line_ranges(text: str, *, path: str = "<string>") -> list[tuple[int, int]]:
    """1-based ``(begin, end)`` marker lines of the hidden-test regions."""
    return [(r.begin, r.end) for r in find_regions(text, path=path) if r.kind == "hidden"]
