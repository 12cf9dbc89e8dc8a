"""Training scales out with torchrun: two processes of batch B take the same steps as one of 2B."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

TINY = [
    "--embedding-dim",
    "16",
    "--num-layers",
    "1",
    "--dropout",
    "0",
    "--epochs",
    "2",
    "--bptt",
    "16",
    "--device",
    "cpu",
    "--num-threads",
    "1",
    "--eos",
    "line",
    "--min-freq",
    "1",
    "--quiet",
    "--patience",
    "5",
]
#: Each network's own shape flags, beside TINY.
SHAPES = {
    "word-lstm": ["--hidden-dim", "16"],
    "transformer": ["--num-heads", "2", "--block-size", "16"],
}


def _train(corpus: Path, out: Path, batch: int, nproc: int, model: str) -> dict:
    launcher = [
        sys.executable,
        "-m",
        "torch.distributed.run",
        "--standalone",
        f"--nproc_per_node={nproc}",
    ]
    cmd = [
        *(launcher if nproc > 1 else [sys.executable]),
        "-m",
        "lab",
        "train",
        "--model",
        model,
        "--corpus",
        str(corpus),
        "--out",
        str(out),
        "--batch-size",
        str(batch),
        *TINY,
        *SHAPES[model],
    ]
    env = {**os.environ, "OMP_NUM_THREADS": "1"}
    result = subprocess.run(cmd, capture_output=True, text=True, timeout=240, env=env, check=False)
    assert result.returncode == 0, result.stderr[-2000:]
    return json.loads((out / "config.json").read_text())


@pytest.mark.slow
@pytest.mark.parametrize("model", list(SHAPES))
def test_two_processes_match_one_process_with_twice_the_batch(
    corpus_file: Path, tmp_path: Path, model: str
) -> None:
    single = _train(corpus_file, tmp_path / "single", batch=8, nproc=1, model=model)
    ddp = _train(corpus_file, tmp_path / "ddp", batch=4, nproc=2, model=model)
    a, b = single["metrics"]["history"], ddp["metrics"]["history"]
    assert len(a) == len(b) == 2
    for x, y in zip(a, b, strict=True):
        assert y["valid_nll"] == pytest.approx(x["valid_nll"], rel=1e-4)
    assert b[-1]["valid_nll"] < b[0]["valid_nll"]  # and it learns
