"""Exercise 1: the vocabulary (``Vocabulary.build``, ``encode``, ``decode``)."""

from __future__ import annotations

import pytest

from lab.grading.sandbox import Sandbox
from lab.text.vocabulary import EOS, SPECIALS, UNK

ITOS = [*SPECIALS, "alice", "rabbit"]
UNK_ID = SPECIALS.index(UNK)


@pytest.mark.points(1)
def test_encode_maps_unknown_tokens_to_unk(sandbox: Sandbox) -> None:
    """encode gives each token's id and <unk>'s id for unknown tokens"""
    encode = {"itos": ITOS, "method": "encode"}
    assert sandbox.call("vocab.call", **encode, items=["rabbit", "alice", "hatter"]) == [
        4,
        3,
        UNK_ID,
    ]
    assert sandbox.call("vocab.call", **encode, items=["alice"], as_iter=True) == [3]
    assert sandbox.call("vocab.call", **encode, items=[]) == []


@pytest.mark.points(1)
def test_decode_inverts_encode(sandbox: Sandbox) -> None:
    """decode turns ids back into their tokens"""
    decode = {"itos": ITOS, "method": "decode"}
    assert sandbox.call("vocab.call", **decode, items=[3, 4, 2, 3]) == [
        "alice",
        "rabbit",
        "<eos>",
        "alice",
    ]
    assert sandbox.call("vocab.call", **decode, items=[1, 4], as_iter=True) == [UNK, "rabbit"]
    assert sandbox.call("vocab.call", **decode, items=[]) == []


@pytest.mark.points(1)
def test_build_ranks_tokens_by_frequency(sandbox: Sandbox) -> None:
    """build puts the specials first, then tokens by descending count, ties alphabetical"""
    vocab = sandbox.call("vocab.build", tokens=["b", "a", "b", "c", "a", "b", "d"])
    assert vocab["itos"] == [*SPECIALS, "b", "a", "c", "d"]
    assert vocab["stoi"]["b"] == 3


# BEGIN HIDDEN TESTS
@pytest.mark.points(1)
def test_build_honours_min_freq_and_max_size(sandbox: Sandbox) -> None:
    """build drops tokens rarer than min_freq and caps the size, specials included"""
    tokens = ["x", "y", "y", "z", "z", "z", "w", "w"]
    assert sandbox.call("vocab.build", tokens=tokens, min_freq=2)["itos"] == [
        *SPECIALS,
        "z",
        "w",
        "y",
    ]
    assert sandbox.call("vocab.build", tokens=tokens, max_size=5)["itos"] == [*SPECIALS, "z", "w"]


@pytest.mark.points(1)
def test_build_skips_the_specials_in_the_stream(sandbox: Sandbox) -> None:
    """a stream's <eos> and <unk> are not counted: no special twice, none takes a word's place"""
    stream = ["a", "b", EOS, "b", UNK, EOS, "c", UNK, "b", EOS, "a", EOS]
    assert sandbox.call("vocab.build", tokens=stream)["itos"] == [*SPECIALS, "b", "a", "c"]
    assert sandbox.call("vocab.build", tokens=stream, max_size=5)["itos"] == [*SPECIALS, "b", "a"]


@pytest.mark.points(1)
def test_build_rejects_options_that_leave_no_words(sandbox: Sandbox) -> None:
    """min_freq below 1 and a max_size with no room beyond the specials are ValueErrors"""
    tokens = ["x", "y", "y"]
    sandbox.raises("ValueError", "vocab.build", tokens=tokens, min_freq=0)
    sandbox.raises("ValueError", "vocab.build", tokens=tokens, max_size=len(SPECIALS))


@pytest.mark.points(1)
def test_build_reads_a_one_shot_stream_once(sandbox: Sandbox) -> None:
    """build takes any iterable of tokens, a generator over a file's words too: one pass"""
    stream = ["b", "a", "b", EOS, "c", "a", "b", UNK]
    assert sandbox.call("vocab.build_once", tokens=stream)["itos"] == [*SPECIALS, "b", "a", "c"]
    once = sandbox.call("vocab.build_once", tokens=stream, min_freq=2, max_size=len(SPECIALS) + 1)
    assert once["itos"] == [*SPECIALS, "b"]


# END HIDDEN TESTS
