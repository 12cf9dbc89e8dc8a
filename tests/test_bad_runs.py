"""Hostile run directories and output folders: one line and exit 2, and no run is lost.

Found by the issue-11 re-audit: edited ``config.json`` values of the wrong JSON type, a
network too big for memory, a folder of someone's files as ``--out``, and ``--force``
failing before its first save.
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path
from typing import Any

import pytest

from lab.cli import main

MARKOV = ["--model", "markov", "--quiet"]
TINY = ["--model", "word-lstm", "--embedding-dim", "8", "--hidden-dim", "8", "--num-layers", "1",
        "--batch-size", "16", "--bptt", "32", "--device", "cpu", "--min-freq", "1", "--epochs", "1",
        "--quiet"]  # fmt: skip


def one_line_error(capsys: pytest.CaptureFixture[str], code: int) -> str:
    err = capsys.readouterr().err.strip()
    assert code == 2, err
    assert len(err.splitlines()) == 1 and "Traceback" not in err, err
    return err


@pytest.fixture(scope="module")
def word_run(tmp_path_factory: pytest.TempPathFactory, synthetic_text: str) -> Path:
    root = tmp_path_factory.mktemp("word")
    (root / "book.txt").write_text(synthetic_text, encoding="utf-8")
    run = root / "run"
    assert main(["train", "--corpus", str(root / "book.txt"), "--out", str(run), *TINY]) == 0
    return run


def _set(manifest: dict[str, Any], path: str, value: Any) -> None:
    *parents, last = path.split(".")
    for key in parents:
        manifest = manifest[key]
    manifest[last] = value


@pytest.mark.parametrize(
    ("path", "value", "words"),
    [
        ("config", None, "config is None, not an object"),
        ("config.model.hidden_dim", None, "hidden_dim must be int, not None"),
        ("config.model.hidden_dim", "big", "hidden_dim must be int, not 'big'"),
        ("config.model.hidden_dim", 8.0, "hidden_dim must be int, not 8.0"),
        ("config.train.lr", True, "lr must be float, not True"),
        ("config.train.optimizer", "rmsprop", "optimizer must be one of 'adam', 'adamw', 'sgd'"),
        ("config.train", [], "must be an object"),
        ("config.model.hidden_dim", 10**9, "over the limit of"),
        ("config.model.num_layers", 10**7, "over the limit of"),
    ],
)
def test_an_edited_config_is_one_line(
    word_run: Path, tmp_path: Path, path: str, value: Any, words: str, capsys
) -> None:
    run = tmp_path / "edited"
    shutil.copytree(word_run, run)
    manifest = json.loads((run / "config.json").read_text())
    _set(manifest, path, value)
    if path == "config.model.hidden_dim" and value == 10**9:
        _set(manifest, "config.model.embedding_dim", value)  # tied: both, or the tie complains
    (run / "config.json").write_text(json.dumps(manifest))
    code = main(["generate", str(run), "--max-tokens", "3"])
    assert words in one_line_error(capsys, code)


def test_a_network_too_big_for_memory_is_one_line(prose_file: Path, tmp_path: Path, capsys) -> None:
    huge = ["--embedding-dim", "1000000000", "--hidden-dim", "1000000000", "--num-layers", "1"]
    code = main(["train", "--corpus", str(prose_file), "--out", str(tmp_path / "r"), *TINY, *huge])
    assert "parameters, over the limit of" in one_line_error(capsys, code)
    assert not (tmp_path / "r").exists()


def test_a_folder_of_other_files_is_never_replaced(
    prose_file: Path, tmp_path: Path, capsys
) -> None:
    """Every save replaces the whole folder, so someone's files there are refused, with
    --force too (it replaces only a run), by the command line and the Python API."""
    mine = tmp_path / "mine"
    mine.mkdir()
    (mine / "notes.txt").write_text("keep me")
    (mine / "photos").mkdir()
    for force in ([], ["--force"]):
        code = main(["train", "--corpus", str(prose_file), "--out", str(mine), *MARKOV, *force])
        err = one_line_error(capsys, code)
        assert "holds files but no run (notes.txt, photos/)" in err, err
        assert (mine / "notes.txt").read_text() == "keep me" and (mine / "photos").is_dir()
    from lab.errors import CheckpointError
    from lab.models.registry import generator_class

    gen = generator_class("markov").from_options({})
    gen.fit(prose_file.read_text())
    with pytest.raises(CheckpointError, match="holds files but no run"):
        gen.save(mine)  # the Python API refuses too
    assert (mine / "notes.txt").read_text() == "keep me"


def test_force_that_fails_before_its_first_save_keeps_the_old_run(
    prose_file: Path, tmp_path: Path, capsys
) -> None:
    run = tmp_path / "run"
    assert main(["train", "--corpus", str(prose_file), "--out", str(run), *MARKOV]) == 0
    before = {p.name: p.read_bytes() for p in run.iterdir()}
    short = tmp_path / "short.txt"
    short.write_text("One line.\n\nTwo lines.\n\nThree lines.\n", encoding="utf-8")
    capsys.readouterr()
    code = main(["train", "--corpus", str(short), "--out", str(run), *TINY, "--force"])
    assert "too few for" in one_line_error(capsys, code)  # raised after the claim, mid-fit
    assert {p.name: p.read_bytes() for p in run.iterdir()} == before


def test_the_root_folder_cannot_be_a_run(prose_file: Path, capsys) -> None:
    code = main(["train", "--corpus", str(prose_file), "--out", "/", *MARKOV])
    assert "cannot be a run directory" in one_line_error(capsys, code)
