"""One small comparison (a tiny word LSTM on a generated book), the same whether run as a
script that the interrupt tests kill or in the test process: ``python
_interrupted_compare.py BOOK RUNS`` exits 130 on Ctrl-C, as the CLI does."""

from __future__ import annotations

import sys
from pathlib import Path

from lab.evaluation.comparison import CompareConfig, CompareResult, run_comparison
from lab.evaluation.sweep import SweepConfig
from lab.text.corpora import Corpus

#: Enough epochs that a kill after the first checkpoint lands mid-training.
EPOCHS = 40
WORD_LSTM = {
    "embedding_dim": 16, "hidden_dim": 16, "num_layers": 1, "epochs": EPOCHS,
    "batch_size": 8, "bptt": 16, "device": "cpu", "num_threads": 1, "patience": 1000,
}  # fmt: skip
CONFIG = CompareConfig(
    models=("word-lstm",),
    sweep=SweepConfig(temperatures=(1.0,), prompts=("Alice was",), num_samples=1, max_words=5),
    options={"word-lstm": WORD_LSTM},
)


def compare(book: Path, runs: Path, log: list[str] | None = None) -> CompareResult:
    corpus = Corpus("book", book.read_text(encoding="utf-8"), str(book))
    lines = log if log is not None else []
    return run_comparison(
        corpus, CONFIG, runs, log=lambda line: (lines.append(line), print(line, flush=True))
    )


if __name__ == "__main__":
    try:
        compare(Path(sys.argv[1]), Path(sys.argv[2]))
    except KeyboardInterrupt:
        sys.exit(130)
