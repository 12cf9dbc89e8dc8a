"""A run knows the data it was trained on: reusing it on another book is refused."""

from __future__ import annotations

import ast
import json
from pathlib import Path

import pytest

from lab.cli import main


@pytest.fixture()
def two_books(tmp_path: Path, prose_file: Path, prose_text: str) -> tuple[Path, Path]:
    first = prose_file
    second = tmp_path / "second.txt"  # same style, different text
    second.write_text(prose_text.replace("Alice", "Emma").replace("cat", "dog"), encoding="utf-8")
    return first, second


def _train(corpus: Path, out: Path) -> None:
    args = ["train", "--model", "markov", "--corpus", str(corpus), "--out", str(out), "--quiet"]
    assert main(args) == 0


def test_the_run_records_a_fingerprint_of_its_split(two_books, tmp_path: Path) -> None:
    first, _ = two_books
    _train(first, tmp_path / "runs" / "markov")
    manifest = json.loads((tmp_path / "runs" / "markov" / "config.json").read_text())
    assert set(manifest["data"]) == {"train", "valid", "test"}
    assert manifest["corpus"]["spec"] == str(first)


def test_compare_refuses_a_run_trained_on_another_book(two_books, tmp_path: Path, capsys) -> None:
    first, second = two_books
    runs = tmp_path / "runs"
    _train(first, runs / "markov")
    capsys.readouterr()
    code = main(
        ["compare", "--corpus", str(second), "--runs", str(runs), "--models", "markov",
         "--out", str(tmp_path / "report"), "--num-samples", "1", "--max-words", "5"]
    )  # fmt: skip
    err = capsys.readouterr().err.strip()
    assert code == 2 and len(err.splitlines()) == 1
    assert "was trained on other data" in err and "Traceback" not in err
    assert not (tmp_path / "report" / "report.md").exists()


def test_evaluate_uses_the_runs_own_corpus_and_refuses_another(
    two_books, tmp_path: Path, capsys
) -> None:
    first, second = two_books
    run = tmp_path / "markov"
    _train(first, run)
    capsys.readouterr()
    assert main(["evaluate", str(run), "--num-samples", "1", "--max-words", "5"]) == 0
    out = capsys.readouterr().out
    assert str(first) in out  # its own corpus, found from the run alone
    code = main(["evaluate", str(run), "--corpus", str(second), "--num-samples", "1"])
    err = capsys.readouterr().err.strip()
    assert code == 2 and "was trained on other data" in err and len(err.splitlines()) == 1
    # ...unless asked for explicitly: scoring a model on a new book is a fair question.
    args = ["evaluate", str(run), "--corpus", str(second), "--other-corpus", "--num-samples", "1"]
    assert main(args) == 0


def test_prompts_come_from_the_book(two_books, tmp_path: Path, capsys) -> None:
    _, second = two_books
    run = tmp_path / "markov"
    _train(second, run)
    capsys.readouterr()
    assert main(["evaluate", str(run), "--num-samples", "1", "--max-words", "5"]) == 0
    out = capsys.readouterr().out.splitlines()
    line = next(ln for ln in out if ln.strip().startswith("prompts (from the validation split)"))
    prompts = ast.literal_eval("(" + line.split(": ", 1)[1] + ",)")
    text = " ".join(second.read_text(encoding="utf-8").split())
    assert prompts and all(p in text for p in prompts)  # openings of this book's sentences
    assert "Alice" not in line  # the second book has no Alice
