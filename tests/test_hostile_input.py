"""Issue 21's second round of hostile input: special files, sizes that do not fit, and the
internal errors that were left, each now one line and exit 2 (never 3), nothing lost."""

from __future__ import annotations

import json
import os
import shutil
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest
from _cli_helpers import one_line_error

from lab.cli import main

MARKOV = ["--model", "markov", "--quiet"]
TINY = ["--model", "word-lstm", "--embedding-dim", "8", "--hidden-dim", "8", "--num-layers", "1",
        "--batch-size", "16", "--bptt", "32", "--device", "cpu", "--min-freq", "1", "--epochs", "1",
        "--quiet"]  # fmt: skip


def run_main(argv: list[str]) -> int:
    try:
        return main(argv)
    except SystemExit as exc:  # argparse's own errors
        return int(exc.code or 0)


@pytest.fixture(scope="module")
def book(tmp_path_factory: pytest.TempPathFactory, synthetic_text: str) -> Path:
    path = tmp_path_factory.mktemp("book") / "book.txt"
    path.write_text(synthetic_text, encoding="utf-8")
    return path


@pytest.fixture(scope="module")
def lstm_run(tmp_path_factory: pytest.TempPathFactory, book: Path) -> Path:
    run = tmp_path_factory.mktemp("lstm") / "run"
    assert main(["train", "--corpus", str(book), "--out", str(run), *TINY]) == 0
    return run


@pytest.fixture(scope="module")
def markov_run(tmp_path_factory: pytest.TempPathFactory, book: Path) -> Path:
    run = tmp_path_factory.mktemp("markov") / "run"
    assert main(["train", "--corpus", str(book), "--out", str(run), *MARKOV]) == 0
    return run


def copy_run(run: Path, tmp_path: Path) -> Path:
    copy = tmp_path / "copy"
    shutil.copytree(run, copy)
    return copy


# -- only regular files are books ------------------------------------------------------


def _presplit(tmp_path: Path, synthetic_text: str) -> Path:
    folder = tmp_path / "presplit"
    folder.mkdir()
    lines = synthetic_text.splitlines()
    for i, part in enumerate(("valid", "test")):
        (folder / f"{part}.txt").write_text("\n".join(lines[i::3]) + "\n", encoding="utf-8")
    return folder


def _special(kind: str, path: Path) -> object:
    """Make ``path`` a special file of ``kind``; returns what must stay alive meanwhile."""
    if kind in ("zero", "urandom"):
        path.symlink_to(f"/dev/{kind}")
        return None
    if kind == "fifo":
        os.mkfifo(path)
        return None
    sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    sock.bind(str(path))
    return sock


SPECIAL = {
    "zero": "a character device",
    "urandom": "a character device",
    "fifo": "a FIFO",
    "socket": "a socket",
}


@pytest.mark.parametrize("kind", SPECIAL)
@pytest.mark.parametrize("command", ["train", "corpus show"])
def test_a_special_file_as_a_presplit_part_is_refused_at_once(
    kind: str, command: str, tmp_path: Path, synthetic_text: str, capsys
) -> None:
    """``train.txt`` as /dev/zero grew to 4.3 GB in a minute; a FIFO hung."""
    if kind in ("zero", "urandom") and not Path(f"/dev/{kind}").exists():
        pytest.skip(f"no /dev/{kind}")
    folder = _presplit(tmp_path, synthetic_text)
    keep = _special(kind, folder / "train.txt")
    started = time.monotonic()
    try:
        if command == "train":
            argv = ["train", "--corpus", str(folder), "--out", str(tmp_path / "r"), *MARKOV]
        else:
            argv = ["corpus", "show", str(folder)]
        code = run_main(argv)
    finally:
        if isinstance(keep, socket.socket):
            keep.close()
    err = one_line_error(capsys, code)
    assert SPECIAL[kind] in err and "not a regular file" in err and "train.txt" in err, err
    assert time.monotonic() - started < 30
    assert not (tmp_path / "r").exists()


def test_a_device_named_as_the_corpus_is_refused(tmp_path: Path, capsys) -> None:
    if not Path("/dev/zero").exists():
        pytest.skip("no /dev/zero")
    code = run_main(["train", "--corpus", "/dev/zero", "--out", str(tmp_path / "r"), *MARKOV])
    assert "/dev/zero is a character device" in one_line_error(capsys, code)


def test_a_corpus_over_the_size_cap_is_refused_before_reading(
    tmp_path: Path, synthetic_text: str, monkeypatch: pytest.MonkeyPatch, capsys
) -> None:
    from lab.limits import CORPUS_BYTES

    path = tmp_path / "big.txt"
    path.write_text(synthetic_text, encoding="utf-8")
    monkeypatch.setenv(CORPUS_BYTES.env, "1000")
    code = run_main(["corpus", "show", str(path)])
    err = one_line_error(capsys, code)
    assert "over the limit of 1,000" in err and CORPUS_BYTES.env in err, err
    monkeypatch.delenv(CORPUS_BYTES.env)
    assert run_main(["corpus", "show", str(path)]) == 0


def test_the_caps_are_stated_in_help(capsys) -> None:
    from lab.limits import CORPUS_BYTES, PARAMETERS, TOTAL_TOKENS

    for command, caps in (("train", (PARAMETERS, CORPUS_BYTES)), ("generate", (TOTAL_TOKENS,))):
        assert run_main([command, "--help"]) == 0
        text = " ".join(capsys.readouterr().out.split())
        for cap in caps:
            assert f"{cap.default:,}" in text and cap.env in text, (command, cap)
    assert "--max-total-tokens" in text


# -- sizes that do not fit -------------------------------------------------------------


def test_a_deep_network_is_refused_before_the_corpus_is_read(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys
) -> None:
    """``--num-layers 10000000`` built for minutes; the estimate refuses it from the flags."""
    from lab.cli import train as train_cli

    def never(*args: object, **kwargs: object) -> None:
        raise AssertionError("the corpus was read")

    monkeypatch.setattr(train_cli, "load_corpus", never)
    started = time.monotonic()
    code = run_main(["train", "--corpus", "x.txt", "--out", str(tmp_path / "r"), "--model",
                     "word-lstm", "--num-layers", "10000000", "--quiet"])  # fmt: skip
    err = one_line_error(capsys, code)
    assert "num_layers 10,000,000" in err and "parameters, over the limit of" in err, err
    assert time.monotonic() - started < 10 and not (tmp_path / "r").exists()


def test_a_deep_network_in_config_json_is_refused_before_building(
    lstm_run: Path, tmp_path: Path, capsys
) -> None:
    run = copy_run(lstm_run, tmp_path)
    manifest = json.loads((run / "config.json").read_text())
    manifest["config"]["model"]["num_layers"] = 10**7
    (run / "config.json").write_text(json.dumps(manifest))
    started = time.monotonic()
    code = run_main(["generate", str(run), "--max-tokens", "3"])
    assert "over the limit of" in one_line_error(capsys, code)
    assert time.monotonic() - started < 10


def test_samples_times_tokens_is_capped_and_the_flag_raises_it(markov_run: Path, capsys) -> None:
    """1,000 samples x 20,000 tokens: each under its cap, ~45 minutes together."""
    code = run_main(["generate", str(markov_run), "--num-samples", "1000", "--max-tokens", "20000"])
    err = one_line_error(capsys, code)
    assert "1,000 x 20,000 = 20,000,000 is over the limit" in err and "--max-total-tokens" in err
    code = run_main(["generate", str(markov_run), "--num-samples", "3", "--max-tokens", "5",
                     "--max-total-tokens", "10"])  # fmt: skip
    assert "over the limit of 10 tokens" in one_line_error(capsys, code)
    code = run_main(["generate", str(markov_run), "--num-samples", "3", "--max-tokens", "5",
                     "--max-total-tokens", "15"])  # fmt: skip
    assert code == 0 and len(capsys.readouterr().out.splitlines()) == 3


# -- internal errors that are now user messages ---------------------------------------


def test_a_markov_model_json_with_null_chains(markov_run: Path, tmp_path: Path, capsys) -> None:
    from lab.storage.files import file_digest

    run = copy_run(markov_run, tmp_path)
    model = json.loads((run / "model.json").read_text())
    model["chains"] = None
    (run / "model.json").write_text(json.dumps(model))
    manifest = json.loads((run / "config.json").read_text())
    manifest["files"]["model.json"] = file_digest(run / "model.json")  # the digest agrees
    (run / "config.json").write_text(json.dumps(manifest))
    code = run_main(["generate", str(run)])
    assert "cannot be loaded: its files are damaged" in one_line_error(capsys, code)


@pytest.mark.parametrize("command", ["evaluate", "resume"])
def test_a_null_corpus_in_config_json(command: str, lstm_run: Path, tmp_path: Path, capsys) -> None:
    run = copy_run(lstm_run, tmp_path)
    manifest = json.loads((run / "config.json").read_text())
    manifest["corpus"] = None
    (run / "config.json").write_text(json.dumps(manifest))
    before = (run / "config.json").read_bytes()
    if command == "evaluate":
        argv = ["evaluate", str(run), "--num-prompts", "1"]
    else:
        argv = ["train", "--out", str(run), "--resume", "--epochs", "2", "--quiet"]
    code = run_main(argv)
    assert "corpus is None, not an object" in one_line_error(capsys, code)
    assert (run / "config.json").read_bytes() == before


def test_config_json_nested_200000_deep(lstm_run: Path, tmp_path: Path, capsys) -> None:
    run = copy_run(lstm_run, tmp_path)
    (run / "config.json").write_text("[" * 200_000 + "]" * 200_000)
    code = run_main(["generate", str(run)])
    assert "nested too deeply" in one_line_error(capsys, code)


def test_a_vanishing_temperature(lstm_run: Path, capsys) -> None:
    code = run_main(["generate", str(lstm_run), "--temperature", "1e-300"])
    assert "temperature must be >= 0.001" in one_line_error(capsys, code)
    assert run_main(["generate", str(lstm_run), "--temperature", "0.001", "--max-tokens", "5"]) == 0


def test_resume_on_another_corpus_when_the_run_records_no_data(
    lstm_run: Path, tmp_path: Path, synthetic_text: str, capsys
) -> None:
    """It trained on the other book silently."""
    run = copy_run(lstm_run, tmp_path)
    manifest = json.loads((run / "config.json").read_text())
    del manifest["data"]
    (run / "config.json").write_text(json.dumps(manifest))
    other = tmp_path / "other.txt"
    other.write_text(synthetic_text[::-1], encoding="utf-8")
    before = {p.name: p.read_bytes() for p in run.iterdir()}
    code = run_main(["train", "--out", str(run), "--resume", "--corpus", str(other),
                     "--epochs", "2", "--quiet"])  # fmt: skip
    assert "cannot be checked" in one_line_error(capsys, code)
    assert {p.name: p.read_bytes() for p in run.iterdir()} == before


def test_pretokenized_on_a_char_model_is_refused(book: Path, tmp_path: Path, capsys) -> None:
    code = run_main(["train", "--corpus", str(book), "--out", str(tmp_path / "r"), "--model",
                     "char-lstm", "--pretokenized", "--quiet"])  # fmt: skip
    assert "--pretokenized applies to word models" in one_line_error(capsys, code)
    assert not (tmp_path / "r").exists()


def test_fetch_checks_sha256_even_when_cached(tmp_path: Path, capsys) -> None:
    """``corpus fetch alice --sha256 xyz`` said "already cached"."""
    from lab.text.digests import text_sha256

    cache = tmp_path / "cache"
    cache.mkdir()
    text = "Alice was beginning to get very tired.\n"
    (cache / "alice.txt").write_text(text, encoding="utf-8")
    base = ["corpus", "fetch", "alice", "--cache-dir", str(cache)]
    assert "64 hex digits" in one_line_error(capsys, run_main([*base, "--sha256", "xyz"]))
    code = run_main([*base, "--sha256", "0" * 64])
    assert "does not have sha256" in one_line_error(capsys, code)
    assert run_main([*base, "--sha256", text_sha256(text)]) == 0
    assert "already cached" in capsys.readouterr().out


def test_a_pickled_trainer_state_is_refused_without_torchs_advice(
    lstm_run: Path, tmp_path: Path, capsys
) -> None:
    import fractions

    import torch

    run = copy_run(lstm_run, tmp_path)
    torch.save({"epoch": 1, "trap": fractions.Fraction(1, 3)}, run / "trainer_state.pt")
    code = run_main(["train", "--out", str(run), "--resume", "--epochs", "2", "--quiet"])
    err = one_line_error(capsys, code)
    assert "pickled objects" in err and "weights_only" not in err and "trust" not in err, err


def test_a_disk_full_during_torch_save_is_reported_as_such(tmp_path: Path) -> None:
    """torch.save reports ENOSPC as 'unexpected pos'; a real tiny tmpfs shows it."""
    if shutil.which("unshare") is None:
        pytest.skip("needs unshare")
    disk = tmp_path / "disk"
    disk.mkdir()
    script = (
        "import sys, torch\n"
        "from pathlib import Path\n"
        "from lab.storage.files import write_with_atomic\n"
        "target = Path(sys.argv[1]) / 'trainer_state.pt'\n"
        "try:\n"
        "    write_with_atomic(target, lambda p: torch.save({'w': torch.zeros(200_000)}, p))\n"
        "except OSError as exc:\n"
        "    print(exc.strerror, exc.filename, sorted(q.name for q in target.parent.iterdir()))\n"
    )
    done = subprocess.run(
        ["unshare", "-m", "sh", "-c", 'mount -t tmpfs -o size=300k tmpfs "$1" || exit 99; '
         f'"{sys.executable}" -c "$2" "$1"', "sh", str(disk), script],
        capture_output=True, text=True, timeout=120,
    )  # fmt: skip
    if done.returncode == 99:
        pytest.skip("no private mount namespace here")
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == f"No space left on device {disk / 'trainer_state.pt'} []"


def test_a_download_that_drips_is_stopped_at_its_deadline(server) -> None:
    """A byte every 50 ms for two minutes; the deadline is one second, and it holds."""
    from lab.errors import CorpusError
    from lab.text.download import download_bytes

    server.routes["/slow.txt"] = b"Alice was here.\n" * 150
    server.faults["/slow.txt"] = "drip"
    started = time.monotonic()
    with pytest.raises(CorpusError, match="took longer than 1 s"):
        download_bytes(server.url("/slow.txt"), timeout=30, deadline=1.0)
    assert time.monotonic() - started < 3
