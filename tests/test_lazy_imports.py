"""The command line starts without torch: only commands that train or sample load it."""

from __future__ import annotations

import subprocess
import sys

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
