"""Exercise 1: the vocabulary (``Vocabulary.build``, ``encode``, ``decode``)."""

from __future__ import annotations

import pytest

from lab.text.vocabulary import SPECIALS, UNK, Vocabulary


@pytest.mark.points(1)
def test_encode_maps_unknown_tokens_to_unk() -> None:
    """encode gives each token's id and <unk>'s id for unknown tokens"""
    vocab = Vocabulary([*SPECIALS, "alice", "rabbit"])
    assert vocab.encode(["rabbit", "alice", "hatter"]) == [4, 3, vocab.unk_id]
    assert vocab.encode(iter(["alice"])) == [3]  # any iterable of tokens
    assert vocab.encode([]) == []


@pytest.mark.points(1)
def test_decode_inverts_encode() -> None:
    """decode turns ids back into their tokens"""
    vocab = Vocabulary([*SPECIALS, "alice", "rabbit"])
    assert vocab.decode([3, 4, 2, 3]) == ["alice", "rabbit", "<eos>", "alice"]
    assert vocab.decode(iter([1, 4])) == [UNK, "rabbit"]
    assert vocab.decode([]) == []


@pytest.mark.points(1)
def test_build_ranks_tokens_by_frequency() -> None:
    """build puts the specials first, then tokens by descending count, ties alphabetical"""
    vocab = Vocabulary.build(["b", "a", "b", "c", "a", "b", "d"])
    assert vocab.itos == [*SPECIALS, "b", "a", "c", "d"]
    assert vocab.stoi["b"] == 3


# BEGIN HIDDEN TESTS
@pytest.mark.points(1)
def test_build_honours_min_freq_and_max_size() -> None:
    """build drops rare tokens, caps the size (specials included) and never duplicates a special"""
    tokens = ["x", "y", "y", "z", "z", "z", "<eos>", "<unk>", "w", "w"]
    assert Vocabulary.build(tokens, min_freq=2).itos == [*SPECIALS, "z", "w", "y"]
    assert Vocabulary.build(tokens, max_size=5).itos == [*SPECIALS, "z", "w"]
    with pytest.raises(ValueError):
        Vocabulary.build(tokens, min_freq=0)
    with pytest.raises(ValueError):
        Vocabulary.build(tokens, max_size=len(SPECIALS))


# END HIDDEN TESTS
