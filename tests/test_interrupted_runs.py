"""An interrupted run is never taken for a finished one.

A compare killed (Ctrl-C or SIGKILL) during its word LSTM leaves a checkpoint
marked incomplete; the same compare then resumes it and reports a finished
model, and ``generate``/``evaluate`` on the checkpoint say in one line what it is.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
import torch
from _interrupted_compare import EPOCHS, compare

from lab.cli import main
from lab.models.checkpoint import read_manifest, run_is_complete

HERE = Path(__file__).resolve().parent


def kill_after_first_checkpoint(
    book: Path, runs: Path, sig: int
) -> subprocess.CompletedProcess[str]:
    """Start the compare in a subprocess and send ``sig`` once a checkpoint is published."""
    proc = subprocess.Popen(
        [sys.executable, str(HERE / "_interrupted_compare.py"), str(book), str(runs)],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env={**os.environ, "PYTHONPATH": str(HERE)},
    )
    deadline = time.monotonic() + 180
    while not (runs / "word-lstm" / "trainer_state.pt").exists():
        assert proc.poll() is None, proc.communicate()
        assert time.monotonic() < deadline, "no checkpoint within 180 s"
        time.sleep(0.01)
    proc.send_signal(sig)
    out, err = proc.communicate(timeout=120)
    return subprocess.CompletedProcess(proc.args, proc.returncode, out, err)


@pytest.mark.parametrize("sig", [signal.SIGINT, signal.SIGKILL], ids=["SIGINT", "SIGKILL"])
def test_an_interrupted_compare_is_resumed_not_reused(
    sig: int, prose_file: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    runs = tmp_path / "runs"
    killed = kill_after_first_checkpoint(prose_file, runs, sig)
    assert killed.returncode == (130 if sig == signal.SIGINT else -signal.SIGKILL), killed
    run = runs / "word-lstm"
    manifest = read_manifest(run)
    assert manifest["complete"] is False and not run_is_complete(manifest)
    state = torch.load(run / "trainer_state.pt", weights_only=True)
    assert 1 <= state["epoch"] < EPOCHS
    assert state["stop_reason"] == ""  # not "epochs": training had not ended
    if sig == signal.SIGINT:
        assert "checkpoint marked incomplete" in killed.stdout

    # The checkpoint works, and says what it is, in one line.
    assert main(["generate", str(run), "--prompt", "Alice", "--max-tokens", "3"]) == 0
    out, err = capsys.readouterr()
    assert out.strip()
    notes = [line for line in err.splitlines() if "checkpoint" in line]
    assert len(notes) == 1 and "interrupted" in notes[0], err

    # The same compare again: resumed (never "reusing"), and the report's row is finished.
    log: list[str] = []
    result = compare(prose_file, runs, log)
    assert any("resuming the interrupted training" in line for line in log), log
    assert not any("reusing" in line for line in log), log
    fit = result.fits["word-lstm"]
    assert fit["complete"] is True and fit["stop_reason"] == "epochs"
    assert fit["epochs"] == EPOCHS
    assert read_manifest(run)["complete"] is True
    assert torch.load(run / "trainer_state.pt", weights_only=True)["stop_reason"] == "epochs"

    # Finished now: the next compare reuses it as it is.
    log.clear()
    compare(prose_file, runs, log)
    assert any("reusing" in line for line in log), log


def test_old_runs_without_the_flag_are_judged_by_their_metrics() -> None:
    # Before the flag, only the save at the end of fit wrote metrics.
    assert run_is_complete({"metrics": {"stop_reason": "converged"}})
    assert not run_is_complete({"metrics": {}})
    assert not run_is_complete({})
    assert not run_is_complete({"complete": False, "metrics": {"stop_reason": "epochs"}})


def test_a_finished_run_says_nothing_about_checkpoints(
    prose_file: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out = tmp_path / "run"
    args = ["train", "--model", "markov", "--corpus", str(prose_file), "--out", str(out), "--quiet"]
    assert main(args) == 0
    assert json.loads((out / "config.json").read_text())["complete"] is True
    capsys.readouterr()
    assert main(["generate", str(out), "--prompt", "Alice", "--max-tokens", "3"]) == 0
    assert "checkpoint" not in capsys.readouterr().err


def test_compare_shows_its_plan_and_progress_unless_quiet(
    prose_file: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    base = ["compare", "--corpus", str(prose_file), "--models", "markov", "--num-samples", "1"]
    assert main([*base, "--out", str(tmp_path / "a")]) == 0
    err = capsys.readouterr().err
    assert "[1/1] markov: training" in err and "one pass over the training text" in err
    assert main([*base, "--out", str(tmp_path / "b"), "--quiet"]) == 0
    assert "markov" not in capsys.readouterr().err
    assert main([*base, "--out", str(tmp_path / "c"), "--progress"]) == 0  # still accepted
    assert "[1/1] markov: training" in capsys.readouterr().err
