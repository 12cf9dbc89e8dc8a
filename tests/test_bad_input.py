"""Bad input gets one clear line and exit 2, before any work, and nothing is written or lost.

One row per case; the README's troubleshooting table lists the same cases.
"""

from __future__ import annotations

import json
import subprocess
import sys
import threading
from pathlib import Path

import pytest

from lab.cli import main

FAST = ["--model", "markov", "--quiet"]


@pytest.fixture()
def book(prose_file: Path) -> Path:
    return prose_file


@pytest.fixture()
def markov_run(tmp_path: Path, book: Path) -> Path:
    run = tmp_path / "markov"
    assert main(["train", "--corpus", str(book), "--out", str(run), *FAST]) == 0
    return run


def one_line_error(capsys: pytest.CaptureFixture[str], code: int) -> str:
    err = capsys.readouterr().err.strip()
    assert code == 2, err
    assert len(err.splitlines()) == 1 and "Traceback" not in err, err
    return err


TRAIN_CASES = {  # flags -> words the message must contain
    "lr nan": (["--model", "word-lstm", "--lr", "nan"], "finite number"),
    "lr inf": (["--model", "word-lstm", "--lr", "inf"], "finite number"),
    "clip nan": (["--model", "word-lstm", "--clip", "nan"], "finite number"),
    "negative weight decay": (["--model", "word-lstm", "--weight-decay", "-1"], "weight_decay"),
    "huge seed": (["--model", "word-lstm", "--seed", str(2**70)], "2**63"),
    "max-minutes nan": (["--model", "word-lstm", "--max-minutes", "nan"], "finite number"),
    "empty out": (["--model", "markov", "--out", ""], "must not be empty"),
}


@pytest.mark.parametrize("case", TRAIN_CASES)
def test_train_refuses_bad_numbers_before_any_work(
    case, book: Path, tmp_path: Path, capsys
) -> None:
    flags, words = TRAIN_CASES[case]
    out = [] if "--out" in flags else ["--out", str(tmp_path / "run")]
    code = _exit(["train", "--corpus", str(book), *out, "--quiet", *flags])
    assert words in one_line_error(capsys, code)
    assert not (tmp_path / "run").exists()


def _exit(argv: list[str]) -> int:
    """argparse errors exit(2) with its usage line; the CLI's own errors return 2."""
    try:
        return main(argv)
    except SystemExit as exc:
        return int(exc.code or 0)


@pytest.mark.parametrize(
    ("flags", "words"),
    [
        (["--seed", str(10**23)], "2**63"),
        (["--temperature", "nan"], "finite number"),
        (["--num-samples", "1000000"], "over the limit"),
        (["--max-tokens", "10000000"], "over the limit"),
        (["--num-samples", "0"], "num_samples"),
    ],
)
def test_generate_refuses_bad_arguments(flags, words, markov_run: Path, capsys) -> None:
    capsys.readouterr()
    code = _exit(["generate", str(markov_run), *flags])
    err = capsys.readouterr().err.strip()
    assert code == 2 and words in err and "Traceback" not in err, err


@pytest.mark.parametrize("flag", ["--per-test-timeout", "--overall-timeout"])
@pytest.mark.parametrize("value", ["nan", "inf", "0"])
def test_grade_refuses_bad_timeouts(flag: str, value: str, tmp_path: Path, capsys) -> None:
    code = _exit(["grade", str(tmp_path), flag, value, "--out", str(tmp_path / "r.json")])
    err = capsys.readouterr().err
    assert code == 2 and "Traceback" not in err and not (tmp_path / "r.json").exists()


def test_out_that_is_a_file_or_under_a_file(book: Path, tmp_path: Path, capsys) -> None:
    afile = tmp_path / "afile"
    afile.write_text("keep me")
    for out in (afile, afile / "run"):
        code = main(["train", "--corpus", str(book), "--out", str(out), *FAST])
        assert "file" in one_line_error(capsys, code)
    assert afile.read_text() == "keep me"


def test_an_existing_run_is_never_overwritten_without_force(
    markov_run: Path, book: Path, capsys
) -> None:
    before = (markov_run / "model.json").read_bytes()
    capsys.readouterr()
    code = main(
        ["train", "--corpus", str(book), "--out", str(markov_run), *FAST, "--state-size", "1"]
    )
    assert "already holds a run" in one_line_error(capsys, code)
    assert (markov_run / "model.json").read_bytes() == before
    assert main(["train", "--corpus", str(book), "--out", str(markov_run), *FAST, "--force",
                 "--state-size", "1"]) == 0  # fmt: skip
    assert (markov_run / "model.json").read_bytes() != before


def test_two_trainings_into_one_folder_one_fails_at_once(book: Path, tmp_path: Path) -> None:
    """A second writer is refused while the first holds the lock (a real second process)."""
    out = tmp_path / "shared"
    from lab.models.checkpoint import claim_run_directory

    started, release = threading.Event(), threading.Event()

    def first_writer() -> None:
        with claim_run_directory(out):
            started.set()
            release.wait(30)

    thread = threading.Thread(target=first_writer)
    thread.start()
    assert started.wait(10)
    try:
        second = subprocess.run(
            [sys.executable, "-m", "lab", "train", "--corpus", str(book), "--out", str(out), *FAST],
            capture_output=True,
            text=True,
            timeout=120,
        )
    finally:
        release.set()
        thread.join()
    assert second.returncode == 2
    assert "is being written by pid" in second.stderr and "Traceback" not in second.stderr
    assert not (out / "config.json").exists()  # the refused writer wrote nothing


def test_resume_takes_its_settings_from_the_run(
    tmp_path: Path, corpus_file: Path, synthetic_text: str, capsys
) -> None:
    """The README's resume line passes no model flags: the run's own shape is kept, the
    changeable flags are applied and recorded, a contradicting flag is refused."""
    book = corpus_file
    run = tmp_path / "word"
    tiny = ["--embedding-dim", "16", "--hidden-dim", "16", "--num-layers", "1", "--batch-size", "8",
            "--bptt", "16", "--device", "cpu", "--eos", "line", "--min-freq", "1"]  # fmt: skip
    first = ["train", "--model", "word-lstm", "--corpus", str(book), "--out", str(run), "--quiet"]
    assert main([*first, *tiny, "--epochs", "1"]) == 0
    config = json.loads((run / "config.json").read_text())
    assert config["config"]["model"]["hidden_dim"] == 16
    capsys.readouterr()
    code = main(["train", "--out", str(run), "--resume", "--hidden-dim", "32", "--quiet"])
    assert "contradicts the run's hidden_dim 16" in one_line_error(capsys, code)
    assert main(["train", "--out", str(run), "--resume", "--epochs", "2", "--quiet"]) == 0
    config = json.loads((run / "config.json").read_text())
    assert config["config"]["model"]["hidden_dim"] == 16  # never rewritten with the defaults
    assert config["config"]["train"]["epochs"] == 2 and config["metrics"]["epochs"] == 2
    other = tmp_path / "other.txt"
    other.write_text(synthetic_text[: len(synthetic_text) // 2], encoding="utf-8")
    capsys.readouterr()
    code = main(["train", "--out", str(run), "--resume", "--corpus", str(other), "--epochs", "3"])
    assert "was trained on other data" in one_line_error(capsys, code)


@pytest.mark.parametrize(
    ("data", "words"),
    [
        (bytes(range(256)) * 40, "NUL"),  # random bytes
        ("Alice was here.\n".encode("utf-16-le") * 50, "NUL"),  # UTF-16 without a BOM
        (bytes(range(1, 32)) * 200 + b"some text", "control characters"),
    ],
)
def test_a_file_that_is_not_text_is_refused(
    data: bytes, words: str, tmp_path: Path, capsys
) -> None:
    path = tmp_path / "book.bin"
    path.write_bytes(data)
    code = main(["train", "--model", "markov", "--corpus", str(path), "--out", str(tmp_path / "r")])
    assert words in one_line_error(capsys, code)
    assert not (tmp_path / "r").exists()


def test_text_encodings_are_read_properly_or_named(tmp_path: Path, capsys) -> None:
    from lab.text.corpora import load_corpus

    text = "Alice said “café” and went on.\n\nThe end.\n"
    for i, data in enumerate([text.encode("utf-16"), "\ufeff".encode() + text.encode()]):
        path = tmp_path / f"b{i}.txt"
        path.write_bytes(data)
        assert load_corpus(str(path)).text == text  # BOMs decide: no NULs, no mojibake
    stray = tmp_path / "stray.txt"
    stray.write_bytes(text.encode() * 500 + b"\xff" + text.encode())
    capsys.readouterr()
    corpus = load_corpus(str(stray))
    err = capsys.readouterr().err
    assert "café" in corpus.text and "cafÃ©" not in corpus.text  # not read as Latin-1
    assert "invalid byte" in err and f"offset {len(text.encode()) * 500:,}" in err


def test_a_corpus_too_short_for_one_batch_is_one_line(tmp_path: Path, capsys) -> None:
    path = tmp_path / "short.txt"
    path.write_text("One line.\n\nTwo lines.\n\nThree lines.\n", encoding="utf-8")
    code = main(["train", "--corpus", str(path), "--out", str(tmp_path / "r"), "--quiet",
                 "--device", "cpu", "--hidden-dim", "8", "--embedding-dim", "8"])  # fmt: skip
    assert "too few for 20 parallel streams" in one_line_error(capsys, code)


def test_nan_weights_and_a_broken_trainer_state_are_refused(tmp_path: Path, capsys) -> None:
    import torch
    from safetensors.torch import load_file, save_file

    from lab.neural.generators import WordLSTMGenerator

    text = "The cat sat on the mat. The dog ran to the cat.\n\n" * 40
    gen = WordLSTMGenerator.from_options(
        {"hidden_dim": 8, "embedding_dim": 8, "num_layers": 1, "epochs": 1, "batch_size": 4,
         "device": "cpu", "min_freq": 1}
    )  # fmt: skip
    run = tmp_path / "run"
    gen.fit(text, text, checkpoint_dir=run)
    (run / "trainer_state.pt").write_bytes(b"garbage, not a torch file")
    capsys.readouterr()
    code = (
        main(["train", "--out", str(run), "--resume", "--epochs", "2", "--quiet"])
        if False
        else None
    )
    from lab.errors import CheckpointError

    with pytest.raises(CheckpointError, match="cannot resume from"):
        WordLSTMGenerator.from_options(
            {"hidden_dim": 8, "embedding_dim": 8, "num_layers": 1, "epochs": 2, "batch_size": 4,
             "device": "cpu", "min_freq": 1}
        ).fit(text, text, checkpoint_dir=run, resume=True)  # fmt: skip
    weights = load_file(str(run / "weights.safetensors"))
    name = next(iter(weights))
    weights[name] = torch.full_like(weights[name], float("nan"))
    save_file(weights, str(run / "weights.safetensors"))
    capsys.readouterr()
    code = main(["generate", str(run), "--prompt", "The cat"])  # not the weights it was saved with
    assert "files do not agree: weights.safetensors" in one_line_error(capsys, code)
    from lab.storage.files import file_digest

    manifest = json.loads((run / "config.json").read_text())  # even if the digest is made to agree
    manifest["files"]["weights.safetensors"] = file_digest(run / "weights.safetensors")
    (run / "config.json").write_text(json.dumps(manifest))
    code = main(["generate", str(run), "--prompt", "The cat"])
    assert "NaN or infinite weights" in one_line_error(capsys, code)


@pytest.mark.parametrize(
    ("fault", "body", "words"),
    [
        ("", b"<!DOCTYPE html><html><body>Please log in</body></html>", "HTML page"),
        ("short", b"Alice was here.\n" * 100, "cut short"),
        ("drip", b"Alice was here.\n" * 3, "took longer than"),
    ],
)
def test_downloads_that_are_not_the_corpus_are_refused(
    server, fault: str, body: bytes, words: str
) -> None:
    from lab.errors import CorpusError
    from lab.text.download import download_bytes

    server.routes["/book.txt"] = body
    if fault:
        server.faults["/book.txt"] = fault
    with pytest.raises(CorpusError, match=words):
        download_bytes(server.url("/book.txt"), timeout=5, deadline=0.5)


def test_a_hostile_name_in_an_error_stays_one_line(
    markov_run: Path, tmp_path: Path, capsys
) -> None:
    """A file name with control characters (here from a fuzzed config.json listing a file
    called "\\r") is escaped in the error line instead of splitting it (found by
    tests/test_fuzz_surfaces.py in CI)."""
    run = tmp_path / "run"
    run.mkdir()
    for f in markov_run.iterdir():
        (run / f.name).write_bytes(f.read_bytes())
    config = json.loads((run / "config.json").read_text(encoding="utf-8"))
    config["files"] = {"\r": "0" * 64, "a\nb": "0" * 64}
    (run / "config.json").write_text(json.dumps(config), encoding="utf-8")
    assert main(["generate", str(run), "--max-tokens", "3"]) == 2
    err = capsys.readouterr().err
    assert len(err.splitlines()) == 1 and err.startswith("textgen-lab: error:")
    assert "\\r is missing" in err
