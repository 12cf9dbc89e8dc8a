"""Shared fixtures: small corpora the tests make themselves (no network, no shared/)."""

from __future__ import annotations

import ipaddress
import socket
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from _corpus_server import Server

from lab.text.synthetic import make_synthetic_corpus

_LOCAL_NAMES = frozenset({None, "", "localhost", b"localhost"})


def _is_local(host: Any) -> bool:
    if host in _LOCAL_NAMES:
        return True
    try:
        return ipaddress.ip_address(host.decode() if isinstance(host, bytes) else host).is_loopback
    except (ValueError, AttributeError):
        return False


@pytest.fixture(autouse=True)
def no_internet(monkeypatch: pytest.MonkeyPatch) -> None:
    """Every test runs offline: only loopback names resolve or connect, NLTK's downloader is off.

    The downloads under test go to servers on 127.0.0.1; this makes sure a
    mistake (a test that reaches NLTK's or Gutenberg's real URL) fails at once
    instead of touching the internet. Tests of the NLTK path pass their local
    index explicitly, or set ``TEXTGEN_LAB_NLTK_INDEX`` themselves.
    """
    real_getaddrinfo, real_connect = socket.getaddrinfo, socket.socket.connect

    def getaddrinfo(host: Any, *args: Any, **kwargs: Any) -> Any:
        if not _is_local(host):
            raise socket.gaierror(f"tests must not use the network (looked up {host!r})")
        return real_getaddrinfo(host, *args, **kwargs)

    def connect(self: socket.socket, address: Any) -> None:
        if self.family in (socket.AF_INET, socket.AF_INET6) and not _is_local(address[0]):
            raise OSError(f"tests must not use the network (connect to {address!r})")
        real_connect(self, address)

    monkeypatch.setattr(socket, "getaddrinfo", getaddrinfo)
    monkeypatch.setattr(socket.socket, "connect", connect)
    monkeypatch.setenv("TEXTGEN_LAB_NLTK_INDEX", "off")


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
    """The synthetic corpus as a file (one sentence per line)."""
    path = tmp_path / "tiny.txt"
    path.write_text(synthetic_text, encoding="utf-8")
    return path


@pytest.fixture()
def prose_file(tmp_path: Path, prose_text: str) -> Path:
    """The prose corpus as a file (sentences and paragraphs)."""
    path = tmp_path / "book.txt"
    path.write_text(prose_text, encoding="utf-8")
    return path


@pytest.fixture()
def server() -> Iterator[Server]:
    """A local HTTP server on 127.0.0.1 serving ``server.routes`` (the download tests)."""
    srv = Server()
    yield srv
    srv.close()


@pytest.fixture(scope="session")
def tiny_gpt2(tmp_path_factory: pytest.TempPathFactory, prose_text: str) -> Path:
    """A tiny GPT-2 with a byte-level BPE tokenizer learnt from the prose (and a few
    Finnish and Russian words), saved as a local pretrained folder: the gpt2 kind's
    tests run offline with it. Skipped without the extra (pip install -e ".[gpt2]")."""
    pytest.importorskip(
        "transformers",
        reason='the gpt2 extra is not installed: pip install -e ".[gpt2]"',
        exc_type=ImportError,  # missing, or installed but broken: the kind's tests cannot run
    )
    from _tiny_gpt2 import tiny_pretrained

    text = prose_text + "Kissa istui matolla.\nКошка сидела на ковре.\n"
    return tiny_pretrained(tmp_path_factory.mktemp("tiny-gpt2"), text)
