"""Nothing a user owns is ever deleted (issue 21): ``--force`` replaces only a run the
project wrote, and only when the new run is published; anything else is refused in one
line naming what is there, and the files are still there afterwards."""

from __future__ import annotations

import json
import threading
from pathlib import Path

import pytest
from _cli_helpers import MARKOV, TINY, one_line_error

import lab
from lab.cli import main


def snapshot(folder: Path) -> dict[str, bytes]:
    return {
        str(p.relative_to(folder)): p.read_bytes() for p in sorted(folder.rglob("*")) if p.is_file()
    }


@pytest.fixture()
def users_folder(tmp_path: Path) -> Path:
    mine = tmp_path / "mine"
    (mine / "thesis").mkdir(parents=True)
    (mine / "notes.txt").write_text("keep me")
    (mine / "thesis" / "draft.tex").write_text("\\section{keep me too}")
    return mine


def test_force_on_a_users_folder_is_refused_and_the_corpus_failure_never_comes(
    users_folder: Path, tmp_path: Path, capsys
) -> None:
    """The issue's case: the claim emptied the folder, then the corpus was too short."""
    short = tmp_path / "short.txt"
    short.write_text("One line.\n\nTwo lines.\n\nThree lines.\n", encoding="utf-8")
    before = snapshot(users_folder)
    code = main(["train", "--corpus", str(short), "--out", str(users_folder), *TINY, "--force"])
    err = one_line_error(capsys, code)
    assert "holds files but no run (notes.txt, thesis/)" in err and "even with --force" in err
    assert snapshot(users_folder) == before


def test_a_config_json_of_another_program_is_not_a_run(
    tmp_path: Path, prose_file: Path, capsys
) -> None:
    other = tmp_path / "webapp"
    other.mkdir()
    (other / "config.json").write_text(json.dumps({"port": 8080}))
    (other / "index.js").write_text("serve()")
    before = snapshot(other)
    code = main(["train", "--corpus", str(prose_file), "--out", str(other), *MARKOV, "--force"])
    assert "holds files but no run (config.json, index.js)" in one_line_error(capsys, code)
    assert snapshot(other) == before


@pytest.mark.parametrize("flag", ["--force", "--resume"])
def test_a_run_with_someone_elses_file_in_it_is_refused(
    tmp_path: Path, synthetic_text: str, flag: str, capsys
) -> None:
    """A save replaces the whole folder: a file put into a run would go with the old run."""
    book = tmp_path / "book.txt"
    book.write_text(synthetic_text, encoding="utf-8")
    run = tmp_path / "run"
    assert main(["train", "--corpus", str(book), "--out", str(run), *TINY]) == 0
    (run / "my-notes.md").write_text("what I saw")
    before = snapshot(run)
    flags = ["--resume", "--epochs", "2"] if flag == "--resume" else [*TINY, flag]
    capsys.readouterr()
    code = main(["train", "--corpus", str(book), "--out", str(run), *flags])
    err = one_line_error(capsys, code)
    assert "holds a run and files it did not write (my-notes.md)" in err
    assert snapshot(run) == before


def test_force_replaces_a_run_it_wrote(tmp_path: Path, prose_file: Path) -> None:
    run = tmp_path / "run"
    assert main(["train", "--corpus", str(prose_file), "--out", str(run), *MARKOV]) == 0
    before = (run / "model.json").read_bytes()
    argv = ["train", "--corpus", str(prose_file), "--out", str(run), *MARKOV, "--force"]
    assert main([*argv, "--state-size", "1"]) == 0
    assert (run / "model.json").read_bytes() != before


@pytest.mark.parametrize("out", [".", "./", "..", "sub/.."])
def test_the_current_folder_and_its_parents_are_refused(
    out: str, tmp_path: Path, prose_file: Path, monkeypatch: pytest.MonkeyPatch, capsys
) -> None:
    """``cd somewhere; train --out . --force`` deleted the folder's files."""
    here = tmp_path / "a" / "somewhere"
    (here / "sub").mkdir(parents=True)
    (here / "data.csv").write_text("1,2,3\n")
    monkeypatch.chdir(here)
    before_here, before_up = snapshot(here), snapshot(tmp_path)
    code = main(["train", "--corpus", str(prose_file), "--out", out, *MARKOV, "--force"])
    assert "the current folder" in one_line_error(capsys, code)
    assert snapshot(here) == before_here and snapshot(tmp_path) == before_up


@pytest.mark.parametrize("layout", ["same", "parent"])
def test_out_that_is_or_holds_the_corpus_is_refused(
    layout: str, tmp_path: Path, synthetic_text: str, capsys
) -> None:
    """``train --corpus D --out D --force`` deleted a pre-split folder's parts."""
    corpus = tmp_path / "ptb"
    corpus.mkdir()
    lines = synthetic_text.splitlines()
    for i, part in enumerate(("train", "valid", "test")):
        (corpus / f"{part}.txt").write_text("\n".join(lines[i::3]) + "\n", encoding="utf-8")
    out = corpus if layout == "same" else tmp_path
    before = snapshot(tmp_path)
    code = main(["train", "--corpus", str(corpus), "--out", str(out), *MARKOV, "--force"])
    err = one_line_error(capsys, code)
    assert ("is the corpus" if layout == "same" else "contains the corpus") in err, err
    assert snapshot(tmp_path) == before


def test_a_parent_of_the_project_and_the_root_are_refused(
    prose_file: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys
) -> None:
    monkeypatch.chdir(tmp_path)  # elsewhere: not refused as the current folder
    project = Path(lab.__file__).resolve().parents[1]
    for out in (project, project.parent):
        code = main(["train", "--corpus", str(prose_file), "--out", str(out), *MARKOV, "--force"])
        assert "the textgen-lab project" in one_line_error(capsys, code)
    code = main(["train", "--corpus", str(prose_file), "--out", "/", *MARKOV, "--force"])
    assert "cannot be a run directory" in one_line_error(capsys, code)
    assert (project / "lab" / "__init__.py").is_file()


def test_the_lock_is_taken_before_the_corpus_loads(
    tmp_path: Path, prose_file: Path, monkeypatch: pytest.MonkeyPatch, capsys
) -> None:
    """A losing concurrent writer learns at once, not after reading (maybe downloading) a book."""
    from lab.cli import train as train_cli
    from lab.models.checkpoint import claim_run_directory

    def never(*args: object, **kwargs: object) -> None:
        raise AssertionError("the corpus was loaded before the run directory was claimed")

    monkeypatch.setattr(train_cli, "load_corpus", never)
    out = tmp_path / "shared"
    started, release = threading.Event(), threading.Event()

    def first_writer() -> None:
        with claim_run_directory(out):
            started.set()
            release.wait(30)

    thread = threading.Thread(target=first_writer)
    thread.start()
    assert started.wait(10)
    try:
        code = main(["train", "--corpus", str(prose_file), "--out", str(out), *MARKOV])
    finally:
        release.set()
        thread.join()
    assert "is being written by pid" in one_line_error(capsys, code)


def test_errors_name_the_users_path_not_a_temporary_file(
    tmp_path: Path, prose_file: Path, capsys
) -> None:
    run = tmp_path / "run"
    assert main(["train", "--corpus", str(prose_file), "--out", str(run), *MARKOV]) == 0
    folder = tmp_path / "adir"
    folder.mkdir()
    capsys.readouterr()
    code = main(["evaluate", str(run), "--json", str(folder), "--num-prompts", "1",
                 "--num-samples", "1", "--max-words", "3", "--temperatures", "1"])  # fmt: skip
    err = one_line_error(capsys, code)
    assert str(folder) in err and ".tmp" not in err, err
    assert folder.is_dir() and not any(folder.iterdir())
    assert [p.name for p in tmp_path.iterdir() if p.name.startswith(".adir")] == []


def test_the_python_api_never_swaps_away_a_users_file_in_a_run(
    tmp_path: Path, prose_file: Path
) -> None:
    from lab.errors import CheckpointError
    from lab.models.registry import generator_class

    run = tmp_path / "run"
    gen = generator_class("markov").from_options({})
    gen.fit(prose_file.read_text())
    gen.save(run)
    (run / "keep.txt").write_text("mine")
    with pytest.raises(CheckpointError, match="files it did not write"):
        gen.save(run)
    assert (run / "keep.txt").read_text() == "mine"


def test_an_error_inside_a_save_names_the_run_not_the_stage(tmp_path: Path) -> None:
    from lab.errors import CheckpointError
    from lab.models.checkpoint import staged_run

    run = tmp_path / "run"
    with pytest.raises(CheckpointError) as caught, staged_run(run) as stage:
        raise CheckpointError(f"{stage / 'weights.safetensors'} is broken")
    assert str(caught.value) == f"{run / 'weights.safetensors'} is broken"
    assert not run.exists() and [p.name for p in tmp_path.iterdir()] == []
