"""Tiny saved runs for the playground tests: a word LSTM and a Markov chain on the prose corpus."""

from __future__ import annotations

from pathlib import Path

from lab.models.registry import generator_class
from lab.text.splitting import split_corpus

#: Run folder name -> (kind, options); the LSTM is the conftest's tiny one, a few epochs more.
RUNS = {
    "word-lstm": (
        "word-lstm",
        {
            "embedding_dim": 24,
            "hidden_dim": 24,
            "num_layers": 1,
            "epochs": 4,
            "batch_size": 8,
            "bptt": 16,
            "device": "cpu",
            "min_freq": 2,
        },
    ),
    "markov": ("markov", {"state_size": 2}),
}
#: Four runs of both units, as a comparison has: the page must lay them out side by side.
FOUR_RUNS = {
    **RUNS,
    "char-lstm": (
        "char-lstm",
        {
            "embedding_dim": 16,
            "hidden_dim": 32,
            "num_layers": 1,
            "epochs": 2,
            "batch_size": 8,
            "bptt": 32,
            "device": "cpu",
        },
    ),
    "ngram": ("ngram", {"order": 3}),
}


def save_tiny_runs(
    directory: Path, prose_text: str, runs: dict[str, tuple[str, dict]] | None = None
) -> list[Path]:
    """Fit and save every run of ``runs`` (default :data:`RUNS`) under ``directory``;
    their paths, in order."""
    parts = split_corpus(prose_text)
    paths = []
    for name, (kind, options) in (RUNS if runs is None else runs).items():
        gen = generator_class(kind).from_options(options)
        gen.fit(parts.train, parts.valid)
        gen.save(directory / name)
        paths.append(directory / name)
    return paths


def free_port() -> int:
    """A loopback port nobody listens on now (for a playground server a test starts)."""
    import socket

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port
