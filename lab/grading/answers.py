"""The written answers in the lab notebook: collected for the instructor, graded by hand.

The notebook's answer cells are markdown cells tagged ``answer`` whose
metadata names them (``"answer_id": "temperature-1"``), each headed
"✍ Your answer" for the student (a heading left out of the answer). The grader reads
the submission's notebook as JSON only (it is never executed, and nothing
in it is run or rendered), in the trusted process, so everything here
treats it as hostile data: no links followed, a size cap, any shape of
JSON accepted without a traceback. The answers go into ``results.json`` as
one extra test worth 0 points, so the instructor reads them next to the
autograded part and grades them in a manually graded question; the
questions themselves come from the reference's notebook, which also gives
each answer's placeholder text, so an answer left as handed out counts as
empty.
"""

from __future__ import annotations

import errno
import json
import os
import stat
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from lab.grading.safepath import open_beneath

ANSWER_TAG = "answer"
#: The heading an answer cell starts with, so the student sees which cells to edit; a heading
#: line holding it is not part of the answer (kept or deleted, the answer is the same).
ANSWER_HEADING = "✍ Your answer"
ENTRY_NAME = "Written answers (manually graded)"
MAX_NOTEBOOK_BYTES = 16 << 20  # a notebook with plots is a few MB; the answers are text
MAX_ANSWER_CHARS = 4000
_MAX_QUESTION_CHARS = 400


class NotebookError(Exception):
    """The notebook could not be read; the message is one line for the student."""


@dataclass(frozen=True)
class Question:
    """One answer cell of the reference notebook: its id, the question, the placeholder."""

    id: str
    question: str
    placeholder: str = ""


@dataclass(frozen=True)
class AnswerSheet:
    """The submission's answers (``{id: text}``), in notebook order, and what went wrong."""

    where: str
    answers: dict[str, str]
    questions: tuple[Question, ...] = ()
    problem: str = ""
    duplicates: tuple[str, ...] = ()

    def is_empty(self, answer_id: str) -> bool:
        """No answer, blank, or the handout's placeholder left as it was."""
        text = self.answers.get(answer_id, "").strip()
        placeholder = {q.id: q.placeholder.strip() for q in self.questions}.get(answer_id, "")
        return not text or (bool(placeholder) and text == placeholder)

    def ids(self) -> list[str]:
        """The reference's question ids, then any others the submission has."""
        asked = [q.id for q in self.questions]
        return asked + [i for i in self.answers if i not in asked]


def read_notebook(path: Path, root: Path | None = None) -> dict[str, Any]:
    """The notebook at ``path`` as JSON; :class:`NotebookError` for anything else.

    Opened without following a link in any component of its path below
    ``root`` (the submission; default: the notebook's folder) and without
    blocking (a FIFO), and only a regular file of at most
    :data:`MAX_NOTEBOOK_BYTES` is read.
    """
    root = path.parent if root is None else root
    try:
        fd = open_beneath(root, path.relative_to(root), os.O_RDONLY | os.O_NONBLOCK)
    except (OSError, ValueError) as exc:
        linked = isinstance(exc, OSError) and exc.errno in (errno.ELOOP, errno.EXDEV)
        reason = "is a link" if path.is_symlink() else "is reached through a link" if linked else (
            (exc.strerror if isinstance(exc, OSError) else None) or "cannot be opened"
        )  # fmt: skip
        raise NotebookError(f"{path.name} {reason.lower()}") from None
    with os.fdopen(fd, "rb") as f:
        info = os.fstat(f.fileno())
        if not stat.S_ISREG(info.st_mode):
            raise NotebookError(f"{path.name} is not a regular file")
        if info.st_size > MAX_NOTEBOOK_BYTES:
            raise NotebookError(f"{path.name} is larger than {MAX_NOTEBOOK_BYTES >> 20} MB")
        data = f.read(MAX_NOTEBOOK_BYTES + 1)
    if len(data) > MAX_NOTEBOOK_BYTES:
        raise NotebookError(f"{path.name} is larger than {MAX_NOTEBOOK_BYTES >> 20} MB")
    try:
        notebook = json.loads(data)
    except (ValueError, RecursionError) as exc:  # bad UTF-8 and bad JSON are ValueErrors
        where = f" (line {exc.lineno})" if isinstance(exc, json.JSONDecodeError) else ""
        raise NotebookError(f"{path.name} is not a valid notebook: not JSON{where}") from None
    if not isinstance(notebook, dict) or not isinstance(notebook.get("cells"), list):
        raise NotebookError(f"{path.name} is not a valid notebook: it has no list of cells")
    return notebook


def answer_cells(notebook: dict[str, Any]) -> list[tuple[str, str, str]]:
    """``(answer_id, text, question)`` of every answer cell, in order; the question is
    the cell's ``metadata.question``, else the markdown cell just before it."""
    found: list[tuple[str, str, str]] = []
    previous = ""
    for cell in notebook.get("cells", []):
        if not isinstance(cell, dict) or cell.get("cell_type") != "markdown":
            continue
        metadata = cell.get("metadata")
        metadata = metadata if isinstance(metadata, dict) else {}
        tags = metadata.get("tags")
        answer_id = metadata.get("answer_id")
        text = _source(cell.get("source"))
        if isinstance(tags, list) and ANSWER_TAG in tags and isinstance(answer_id, str):
            question = metadata.get("question")
            asked = question if isinstance(question, str) else previous
            answer = _without_heading(text)
            found.append((answer_id.strip()[:80], answer, " ".join(asked.split())))
        else:
            previous = text
    return found


def questions_in(path: Path) -> tuple[Question, ...]:
    """The reference notebook's questions (none if it has no answer cells or is missing)."""
    if not path.is_file():
        return ()
    first: dict[str, Question] = {}
    for answer_id, text, question in answer_cells(read_notebook(path)):
        first.setdefault(answer_id, Question(answer_id, question[:_MAX_QUESTION_CHARS], text))
    return tuple(first.values())


def collect_answers(
    path: Path | None,
    questions: tuple[Question, ...],
    where: str = "notebooks/lab.ipynb",
    root: Path | None = None,
) -> AnswerSheet:
    """The answers in the submission's notebook ``path`` (``None``: none was found); no
    component of its path below ``root`` (the submission) may be a link."""
    if path is None:
        problem = f"no {where} (or a lab.ipynb at the top level) in the submission"
        return AnswerSheet(where, {}, questions, problem)
    try:
        cells = answer_cells(read_notebook(path, root))
    except NotebookError as exc:
        return AnswerSheet(where, {}, questions, f"{exc}: the written answers could not be read")
    answers: dict[str, str] = {}
    duplicates: list[str] = []
    for answer_id, text, _ in cells:
        if answer_id in answers:
            duplicates.append(answer_id)
        else:
            answers[answer_id] = text
    return AnswerSheet(where, answers, questions, duplicates=tuple(dict.fromkeys(duplicates)))


def answers_entry(sheet: AnswerSheet, number: str) -> dict[str, Any] | None:
    """The ``results.json`` test entry listing the answers (``None`` if nothing is asked
    and nothing was answered)."""
    if not sheet.questions and not sheet.answers:
        return None
    return {
        "name": ENTRY_NAME,
        "number": number,
        "score": 0.0,
        "max_score": 0.0,
        "output": answers_text(sheet),
        "visibility": "visible",
        "tags": ["written-answers"],
    }


def answers_text(sheet: AnswerSheet) -> str:
    """Each answer id with its text, empty ones flagged, for the instructor and the student."""
    ids = sheet.ids()
    empty = [i for i in ids if sheet.is_empty(i)]
    lines = [
        f"{summary_line(sheet)} These are graded by hand; this entry is worth no points.",
    ]
    if sheet.problem and sheet.answers:
        lines.append(f"Problem: {sheet.problem}.")
    for answer_id in sheet.duplicates:
        lines.append(f"Problem: several answer cells are named {answer_id}; the first is shown.")
    asked = {q.id: q.question for q in sheet.questions}
    for answer_id in ids:
        lines += ["", f"[{answer_id}]" + (" EMPTY" if answer_id in empty else "")]
        if asked.get(answer_id):
            lines.append(f"Question: {asked[answer_id]}")
        if answer_id not in sheet.answers:
            lines.append("(no answer cell with this id in the submission)")
        elif answer_id in empty:
            lines.append("(left blank or as handed out)")
        else:
            lines.append(_clip(sheet.answers[answer_id].strip()))
    return "\n".join(lines)


def summary_line(sheet: AnswerSheet) -> str:
    """One line: how many answers were found in which file."""
    ids = sheet.ids()
    answered = sum(not sheet.is_empty(i) for i in ids)
    if sheet.problem and not sheet.answers:
        return f"Written answers: none read ({sheet.problem})."
    return f"Written answers: {answered} of {len(ids)} answered in {sheet.where}."


def manual_grading_text(questions: tuple[Question, ...], autograded_points: int) -> str:
    """``MANUAL_GRADING.md`` of the bundle: what the instructor grades by hand."""
    lines = [
        "# Manually graded: the written answers",
        "",
        f"The autograder scores {autograded_points} points. The written answers in "
        "`notebooks/lab.ipynb` are not autograded: add a manually graded question for them "
        "to the assignment on Gradescope. Each submission's results list the answers under "
        f'"{ENTRY_NAME}" (an entry worth 0 points), with empty ones flagged.',
        "",
    ]
    if not questions:
        lines.append("The reference notebook has no answer cells yet: nothing to grade by hand.")
    for q in questions:
        lines.append(f"- `{q.id}`: {q.question or '(no question text before the cell)'}")
    return "\n".join([*lines, ""])


def _without_heading(text: str) -> str:
    """``text`` without a first line that is the :data:`ANSWER_HEADING` heading."""
    first, _, rest = text.partition("\n")
    if first.lstrip().startswith("#") and ANSWER_HEADING in first:
        return rest.lstrip("\n")
    return text


def _source(source: Any) -> str:
    """A cell's text: Jupyter stores it as one string or a list of lines."""
    if isinstance(source, str):
        return source
    if isinstance(source, list):
        return "".join(s for s in source if isinstance(s, str))
    return ""


def _clip(text: str) -> str:
    if len(text) <= MAX_ANSWER_CHARS:
        return text
    return f"{text[:MAX_ANSWER_CHARS]}\n... ({len(text) - MAX_ANSWER_CHARS} more characters)"
