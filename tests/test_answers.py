"""The notebook's written answers: read as JSON only, listed for the instructor, never scored."""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

import pytest

from lab.grading.answers import (
    ANSWER_HEADING,
    ENTRY_NAME,
    MAX_NOTEBOOK_BYTES,
    Question,
    collect_answers,
    manual_grading_text,
    questions_in,
)
from lab.grading.grader import GradeReport, format_summary
from lab.grading.gradescope import results_json, validate_results

PLACEHOLDER = "*Your answer here.*"


def markdown(text: str | list[str], answer_id: str | None = None) -> dict[str, Any]:
    metadata: dict[str, Any] = {}
    if answer_id is not None:
        metadata = {"tags": ["answer"], "answer_id": answer_id}
    return {"cell_type": "markdown", "metadata": metadata, "source": text}


def write_notebook(path: Path, cells: list[dict[str, Any]]) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    notebook = {"cells": cells, "metadata": {}, "nbformat": 4, "nbformat_minor": 5}
    path.write_text(json.dumps(notebook), encoding="utf-8")
    return path


def reference_notebook(path: Path) -> Path:
    """Two questions as the handout asks them: a markdown question, then its answer cell."""
    return write_notebook(
        path,
        [
            markdown("## 5. Temperature"),
            markdown("**Q1.** What does a temperature of 0.5 do to the samples?"),
            markdown(PLACEHOLDER, "temperature-1"),
            {"cell_type": "code", "metadata": {}, "source": "print(1)", "outputs": []},
            markdown(["**Q2.** Which model has the lower ", "perplexity, and why?"]),
            markdown(PLACEHOLDER, "perplexity-1"),
        ],
    )


def test_questions_and_answers_are_collected_and_empty_ones_flagged(tmp_path: Path) -> None:
    questions = questions_in(reference_notebook(tmp_path / "ref.ipynb"))
    assert [q.id for q in questions] == ["temperature-1", "perplexity-1"]
    assert questions[1].question == "**Q2.** Which model has the lower perplexity, and why?"
    student = write_notebook(
        tmp_path / "student.ipynb",
        [
            markdown("**Q1.** What does a temperature of 0.5 do to the samples?"),
            markdown(["Sharper:\n", "fewer rare words."], "temperature-1"),
            markdown(PLACEHOLDER, "perplexity-1"),  # left as handed out
            markdown("An extra thought.", "bonus"),
        ],
    )
    sheet = collect_answers(student, questions)
    assert sheet.answers["temperature-1"] == "Sharper:\nfewer rare words."
    assert [i for i in sheet.ids() if sheet.is_empty(i)] == ["perplexity-1"]
    report = GradeReport((), 1.0, answers=sheet)
    data = results_json(report)
    assert validate_results(data) == []
    [entry] = data["tests"]
    assert entry["name"] == ENTRY_NAME and entry["visibility"] == "visible"
    assert entry["score"] == entry["max_score"] == 0
    text = entry["output"]
    assert "[temperature-1]\nQuestion: **Q1.** What does" in text
    assert "Sharper:\nfewer rare words." in text
    assert "[perplexity-1] EMPTY" in text and "[bonus]\nAn extra thought." in text
    assert "Written answers: 2 of 3 answered" in format_summary(report)


def test_the_answer_heading_is_not_part_of_the_answer(tmp_path: Path) -> None:
    """Answer cells start with a "✍ Your answer" heading so students see which cells to edit;
    kept or deleted, the answer is the same, and a cell left as handed out is empty."""
    handed_out = f"#### {ANSWER_HEADING}\n\n{PLACEHOLDER}"
    ref = write_notebook(
        tmp_path / "ref.ipynb",
        [markdown("**Q1.** Why?"), markdown(handed_out, "why"), markdown("**Q2.** How?"),
         markdown(handed_out, "how"), markdown("**Q3.** When?"), markdown(handed_out, "when")],
    )  # fmt: skip
    questions = questions_in(ref)
    assert {(q.question, q.placeholder) for q in questions} == {
        (f"**Q{n}.** {w}?", PLACEHOLDER) for n, w in ((1, "Why"), (2, "How"), (3, "When"))
    }
    student = write_notebook(
        tmp_path / "student.ipynb",
        [markdown(f"#### {ANSWER_HEADING}\n\nBecause.", "why"),
         markdown("Like this.\n# not a heading of ours", "how"), markdown(handed_out, "when")],
    )  # fmt: skip
    sheet = collect_answers(student, questions)
    assert sheet.answers == {
        "why": "Because.", "how": "Like this.\n# not a heading of ours", "when": PLACEHOLDER
    }  # fmt: skip
    assert [i for i in sheet.ids() if sheet.is_empty(i)] == ["when"]


@pytest.mark.parametrize(
    "content, words",
    [
        (None, "no notebooks/lab.ipynb"),
        (b"{not json", "not JSON (line 1)"),
        (b"\xff\xfe\x00garbage", "not JSON"),
        (b"[1, 2]", "no list of cells"),
        (b"[" * 100_000 + b"]" * 100_000, "not JSON"),
        (b'{"cells": [1, {"cell_type": "markdown", "metadata": [], "source": 3}]}', ""),
    ],
)
def test_a_missing_or_broken_notebook_is_one_line_never_a_traceback(
    tmp_path: Path, content: bytes | None, words: str
) -> None:
    path = tmp_path / "lab.ipynb"
    if content is not None:
        path.write_bytes(content)
    questions = (Question("temperature-1", "Why?", PLACEHOLDER),)
    sheet = collect_answers(path if content is not None else None, questions)
    assert words in sheet.problem
    output = results_json(GradeReport((), 0.0, answers=sheet))["tests"][0]["output"]
    assert "[temperature-1] EMPTY" in output and "Traceback" not in output


def test_links_fifos_and_huge_notebooks_are_not_read(tmp_path: Path) -> None:
    secret = write_notebook(tmp_path / "secret.ipynb", [markdown("SECRET", "temperature-1")])
    link = tmp_path / "link.ipynb"
    link.symlink_to(secret)
    fifo = tmp_path / "fifo.ipynb"
    os.mkfifo(fifo)  # opening it for reading would block forever
    huge = tmp_path / "huge.ipynb"
    with huge.open("wb") as f:
        f.truncate(MAX_NOTEBOOK_BYTES + 1)
    questions = (Question("temperature-1", "Why?"),)
    for path, words in [(link, "is a link"), (fifo, "not a regular file"), (huge, "larger")]:
        sheet = collect_answers(path, questions)
        assert words in sheet.problem and not sheet.answers
        [entry] = results_json(GradeReport((), 0.0, answers=sheet))["tests"]
        assert "SECRET" not in entry["output"] and "[temperature-1] EMPTY" in entry["output"]


def test_no_questions_and_no_answers_adds_no_entry(tmp_path: Path) -> None:
    student = write_notebook(tmp_path / "lab.ipynb", [markdown("# Notes")])
    sheet = collect_answers(student, ())
    assert results_json(GradeReport((), 0.0, answers=sheet))["tests"] == []


def test_manual_grading_file_lists_the_questions(tmp_path: Path) -> None:
    questions = questions_in(reference_notebook(tmp_path / "ref.ipynb"))
    text = manual_grading_text(questions, 31)
    assert "31 points" in text and "add a manually graded question" in text
    assert "- `temperature-1`: **Q1.** What does a temperature of 0.5" in text
    assert "- `perplexity-1`: **Q2.** Which model" in text
