"""The textgen-lab command line: train, generate, evaluate, errors as one line."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from lab.cli import main

TINY = [
    "--embedding-dim",
    "24",
    "--hidden-dim",
    "24",
    "--num-layers",
    "1",
    "--epochs",
    "2",
    "--batch-size",
    "8",
    "--bptt",
    "16",
    "--device",
    "cpu",
]


@pytest.fixture(scope="module")
def word_run(tmp_path_factory: pytest.TempPathFactory, synthetic_text: str) -> Path:
    tmp = tmp_path_factory.mktemp("cli")
    corpus = tmp / "tiny.txt"
    corpus.write_text(synthetic_text, encoding="utf-8")
    out = tmp / "word"
    assert (
        main(
            [
                "train",
                "--model",
                "word-lstm",
                "--corpus",
                str(corpus),
                "--out",
                str(out),
                "--quiet",
                "--eos",
                "line",
                "--min-freq",
                "1",
                *TINY,
            ]
        )
        == 0
    )
    return out


def test_train_writes_a_run_and_reports_the_unigram_floor(word_run: Path) -> None:
    manifest = json.loads((word_run / "config.json").read_text())
    assert manifest["kind"] == "word-lstm"
    assert manifest["config"]["model"]["hidden_dim"] == 24
    final = manifest["final"]
    assert final["valid"]["ppl"] < final["unigram_valid"]["ppl"]
    assert (word_run / "weights.safetensors").exists()


def test_generate_is_reproducible_with_a_seed(
    word_run: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    args = [
        "generate",
        str(word_run),
        "--max-tokens",
        "20",
        "--temperature",
        "0.9",
        "--num-samples",
        "2",
    ]
    assert main([*args, "--seed", "1"]) == 0
    first = capsys.readouterr().out
    assert main([*args, "--seed", "1"]) == 0
    assert capsys.readouterr().out == first
    assert main([*args, "--seed", "2"]) == 0
    assert capsys.readouterr().out != first
    assert first.count("[") == 2


def test_generate_warns_about_unknown_prompt_words(
    word_run: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert (
        main(["generate", str(word_run), "--prompt", "xyzzy", "--max-tokens", "5", "--greedy"]) == 0
    )
    assert "xyzzy" in capsys.readouterr().err


@pytest.mark.parametrize(
    "argv, message",
    [
        (["generate", "no/such/run"], "not a run directory"),
        (["generate", "{run}", "--temperature", "-0.5"], "temperature"),
        (["generate", "{run}", "--greedy", "--temperature", "0.7"], "greedy decoding ignores"),
        (["generate", "{run}", "--top-p", "2"], "top_p"),
        (
            ["train", "--model", "word-lstm", "--corpus", "no/such/file.txt", "--out", "{tmp}/x"],
            "no/such/file.txt",
        ),
        (
            [
                "train",
                "--model",
                "word-lstm",
                "--state-size",
                "2",
                "--corpus",
                "x",
                "--out",
                "{tmp}/x",
            ],
            "--state-size",
        ),
        (
            [
                "train",
                "--model",
                "word-lstm",
                "--embedding-dim",
                "8",
                "--hidden-dim",
                "16",
                "--corpus",
                "{corpus}",
                "--out",
                "{tmp}/x",
            ],
            "tie_weights",
        ),
    ],
)
def test_bad_input_is_one_line_and_exit_2(
    argv: list[str],
    message: str,
    word_run: Path,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
) -> None:
    corpus = word_run.parent / "tiny.txt"
    argv = [a.format(run=word_run, tmp=tmp_path, corpus=corpus) for a in argv]
    assert main(argv) == 2
    err = capsys.readouterr().err.strip()
    assert err.startswith("textgen-lab: error:") and "\n" not in err
    assert message in err


def test_corrupt_weights_are_a_clean_error(
    word_run: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    broken = tmp_path / "broken"
    broken.mkdir()
    for name in ("config.json", "vocab.json"):
        (broken / name).write_bytes((word_run / name).read_bytes())
    (broken / "weights.safetensors").write_bytes(b"not a tensor file")
    assert main(["generate", str(broken)]) == 2
    assert "files do not agree: weights.safetensors" in capsys.readouterr().err
    # A run from before digests were recorded still gets a clean error from safetensors.
    manifest = json.loads((broken / "config.json").read_text())
    del manifest["files"]
    (broken / "config.json").write_text(json.dumps(manifest))
    assert main(["generate", str(broken)]) == 2
    assert "cannot load" in capsys.readouterr().err


def test_python_dash_m_lab_runs() -> None:
    result = subprocess.run(
        [sys.executable, "-m", "lab", "--help"], capture_output=True, text=True, check=False
    )
    assert result.returncode == 0
    assert "train" in result.stdout and "generate" in result.stdout


def test_reloaded_run_reproduces_the_printed_validation_score(
    word_run: Path, synthetic_text: str
) -> None:
    from lab.models.checkpoint import load_generator
    from lab.text.splitting import split_corpus

    manifest = json.loads((word_run / "config.json").read_text())
    rescored = load_generator(word_run).score(split_corpus(synthetic_text).valid)
    assert rescored.nll_nats == manifest["final"]["valid"]["nll_nats"]
    assert rescored.nll_nats == pytest.approx(manifest["metrics"]["valid"]["nll_nats"], rel=1e-9)
