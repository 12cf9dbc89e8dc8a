"""Shared fixtures: small corpora the tests make themselves (no network, no shared/)."""

from __future__ import annotations

from pathlib import Path

import pytest

from lab.text.synthetic import make_synthetic_corpus


@pytest.fixture(scope="session")
def synthetic_text() -> str:
    """~6k tokens, one sentence per line, from a seeded order-2 source over 60 words."""
    text, _ = make_synthetic_corpus(seed=3, num_tokens=6000, order=2, vocab_size=60)
    return text


@pytest.fixture(scope="session")
def prose_text() -> str:
    """A few hundred lines of English-like prose with punctuation and clitics."""
    subjects = ["Alice", "The Hatter", "The Queen", "She", "The Rabbit"]
    verbs = ["was n't sure", "said", "looked at", "wondered about", "could n't find"]
    objects = ["the cat", "the door", "a little key", "the garden", "her sister"]
    lines = []
    for i in range(300):
        s, v, o = subjects[i % 5], verbs[(i * 3) % 5], objects[(i * 7) % 5]
        v = v.replace(" n't", "n't")
        lines.append(f"{s} {v} {o}, and it was {['odd', 'late', 'fine'][i % 3]}.")
        if i % 7 == 6:
            lines.append("")
    return "\n".join(lines) + "\n"


#: The smallest LSTM settings that still learn the test corpora in a second or two.
TINY_LSTM_OPTIONS = {
    "embedding_dim": 24,
    "hidden_dim": 24,
    "num_layers": 1,
    "epochs": 2,
    "batch_size": 8,
    "bptt": 16,
    "device": "cpu",
}


@pytest.fixture(scope="session")
def tiny_lstm() -> dict[str, object]:
    """CLI-style options (field -> value) for a tiny, fast LSTM."""
    return dict(TINY_LSTM_OPTIONS)


@pytest.fixture()
def corpus_file(tmp_path: Path, synthetic_text: str) -> Path:
    path = tmp_path / "tiny.txt"
    path.write_text(synthetic_text, encoding="utf-8")
    return path
