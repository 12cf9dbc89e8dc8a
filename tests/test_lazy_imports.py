"""The command line starts without torch: only the neural models load it."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

CHECK = """
import sys
from lab.cli import build_parser, main
build_parser()
assert "torch" not in sys.modules, "building the parser imported torch"
{action}
assert "torch" not in sys.modules, "{label} imported torch"
print("torch-free")
"""

ACTIONS = {
    "--help": "try:\n    main(['--help'])\nexcept SystemExit:\n    pass",
    "train --help": "try:\n    main(['train', '--help'])\nexcept SystemExit:\n    pass",
    "corpus list": "assert main(['corpus', 'list']) == 0",
    "grade --help": "try:\n    main(['grade', '--help'])\nexcept SystemExit:\n    pass",
    "a markov run": (
        "from baselines.markov import MarkovGenerator\n"
        "MarkovGenerator.from_options({'min_freq': 1}).fit('The cat sat. The cat ran.')"
    ),
}


@pytest.mark.parametrize("label", ACTIONS)
def test_command_line_does_not_import_torch(label: str) -> None:
    code = CHECK.format(action=ACTIONS[label], label=label)
    run = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert run.returncode == 0, run.stderr
    assert run.stdout.strip().endswith("torch-free")


def test_training_evaluating_and_sampling_a_count_model_never_loads_torch(tmp_path: Path) -> None:
    # torch is ~220 MB of resident memory: the KN5 fit on PTB peaks at 320 MB without it.
    book = tmp_path / "book.txt"
    book.write_text("The cat sat on the mat. The dog sat on the log.\n" * 200, encoding="utf-8")
    run = tmp_path / "run"
    action = (
        f"assert main(['train', '--model', 'ngram', '--order', '3', '--corpus', {str(book)!r}, "
        f"'--out', {str(run)!r}]) == 0\n"
        f"assert main(['evaluate', {str(run)!r}]) == 0\n"
        f"assert main(['generate', {str(run)!r}, '--prompt', 'The cat', '--seed', '1']) == 0"
    )
    code = CHECK.format(action=action, label="an n-gram train, evaluate and generate")
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip().endswith("torch-free")
