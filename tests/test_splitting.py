"""The deterministic train/valid/test split (:func:`lab.text.splitting.split_corpus`)."""

from __future__ import annotations

import random

import pytest
from _prose import WORDS, prose, squash

from lab.errors import CorpusError
from lab.text.splitting import CorpusSplit, split_corpus

# --- split ------------------------------------------------------------------


def test_split_cuts_at_paragraphs_and_reassembles() -> None:
    paras = prose(0, 300)
    text = "\n\n".join(paras) + "\n"
    parts = split_corpus(text)
    assert isinstance(parts, CorpusSplit)
    assert squash(parts.train + parts.valid + parts.test) == squash(text)
    chunks = [
        c for part in (parts.train, parts.valid, parts.test) for c in part.strip().split("\n\n")
    ]
    assert chunks == paras  # whole paragraphs, in order
    for part, fraction in ((parts.train, 0.8), (parts.valid, 0.1), (parts.test, 0.1)):
        assert part.endswith("\n") and not part.startswith("\n")
        assert abs(len(part) / len(text) - fraction) < 0.02
    assert split_corpus(text) == parts


def test_split_custom_fractions() -> None:
    text = "\n\n".join(prose(1, 400)) + "\n"
    parts = split_corpus(text, (0.5, 0.25, 0.25))
    assert abs(len(parts.train) / len(text) - 0.5) < 0.02
    assert abs(len(parts.valid) / len(text) - 0.25) < 0.02


def test_split_falls_back_to_sentence_final_lines() -> None:
    # Few paragraphs, many wrapped lines: cuts follow a line that ends a sentence.
    halves = [
        "\n".join(prose(seed, 60, sentences=4, tag=tag)) for seed, tag in ((2, "A"), (3, "B"))
    ]
    text = "\n\n".join(halves) + "\n"
    lines = text.split("\n")
    parts = split_corpus(text)
    assert squash(parts.train + parts.valid + parts.test) == squash(text)
    for part in (parts.valid, parts.test):
        first_line = part.split("\n")[0]
        index = lines.index(first_line)
        previous = next(line for line in reversed(lines[:index]) if line.strip())
        assert previous.endswith(".")


def test_split_line_corpus_keeps_whole_lines() -> None:
    rng = random.Random(3)
    lines = [
        " " + " ".join(rng.choice(WORDS) for _ in range(rng.randint(3, 9))) for _ in range(500)
    ]
    text = "\n".join(lines) + "\n"
    parts = split_corpus(text)
    got = [
        line
        for part in (parts.train, parts.valid, parts.test)
        for line in part.rstrip("\n").split("\n")
    ]
    assert got == lines  # no line cut or lost, leading spaces kept
    assert abs(len(parts.test) / len(text) - 0.1) < 0.02


def test_split_tiny_text_gives_three_nonempty_parts() -> None:
    assert split_corpus("one.\ntwo.\nthree.\n") == CorpusSplit("one.\n", "two.\n", "three.\n")
    with pytest.raises(CorpusError, match="too short"):
        split_corpus("one.\n\ntwo.\n")


@pytest.mark.parametrize(
    ("fractions", "message"),
    [
        ((0.8, 0.2), "three numbers"),
        ((0.9, 0.1, 0.0), "between 0 and 1"),
        ((1.2, -0.1, -0.1), "between 0 and 1"),
        ((0.5, 0.3, 0.3), "sum to 1"),
    ],
)
def test_split_rejects_bad_fractions(fractions: tuple[float, ...], message: str) -> None:
    with pytest.raises(CorpusError, match=message):
        split_corpus("a.\nb.\nc.\nd.\n", fractions)
