"""What the command-line tests share: tiny model flags and the one-line-error check."""

from __future__ import annotations

import pytest

MARKOV = ["--model", "markov", "--quiet"]
TINY = ["--model", "word-lstm", "--embedding-dim", "8", "--hidden-dim", "8", "--num-layers", "1",
        "--batch-size", "16", "--bptt", "32", "--device", "cpu", "--min-freq", "1", "--epochs", "1",
        "--quiet"]  # fmt: skip


def one_line_error(capsys: pytest.CaptureFixture[str], code: int) -> str:
    """The error a command printed: exit status 2 and one line on stderr, no traceback."""
    err = capsys.readouterr().err.strip()
    assert code == 2, err
    assert len(err.splitlines()) == 1 and "Traceback" not in err, err
    return err
