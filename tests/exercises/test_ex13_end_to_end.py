"""Exercise 13: the pieces together, end to end (no new code to write).

Unit tests grade each exercise apart, with stand-ins for the others; these
run the student's own package the way the notebook and the CLI do, on tiny
data: the vocabulary of a text with ``<eos>`` (Exercise 1), one epoch of
training (2-5), scoring (9) and generation from prompts (6, 8), and a
Markov chain whose state has only ``<unk>`` followers (12). A bug that
slips past a unit test but breaks the lab costs points here.
"""

from __future__ import annotations

import math
import random

import pytest

from lab.grading.sandbox import Sandbox
from lab.text.vocabulary import SPECIALS

PHRASES = ("red fox jumps high", "blue fox sleeps now", "the cat sat down", "a dog ran off")


def _lines(count: int, seed: int) -> str:
    rng = random.Random(seed)
    return "".join(rng.choice(PHRASES) + "\n" for _ in range(count))


def _word_lstm(sandbox: Sandbox) -> dict:  # type: ignore[type-arg]
    return sandbox.call(  # type: ignore[no-any-return]
        "e2e.word_lstm",
        train=_lines(1200, 0),
        held_out=_lines(20, 1),
        prompts=["red fox", "blue fox"],
        seed=0,
    )


@pytest.mark.points(1)
def test_vocabulary_train_and_score(sandbox: Sandbox) -> None:
    """a text with <eos> gives a vocabulary without duplicates; one epoch beats guessing"""
    out = _word_lstm(sandbox)
    itos = out["itos"]
    words = {w for phrase in PHRASES for w in phrase.split()}
    assert len(itos) == len(set(itos)) == len(SPECIALS) + len(words)
    assert tuple(itos[: len(SPECIALS)]) == SPECIALS and set(itos) >= words
    assert len(out["train_nll"]) == 1 and math.isfinite(out["train_nll"][0])
    ppl = math.exp(out["nll"] / out["tokens"])
    assert out["tokens"] == 20 * 5  # four words and <eos> per line
    assert ppl < 0.5 * len(words)  # a uniform guess over the words scores len(words)


@pytest.mark.points(1)
def test_generation_from_a_prompt_primes_the_state(sandbox: Sandbox) -> None:
    """prompts ending in the same word continue differently: the earlier word was read"""
    out = _word_lstm(sandbox)
    red, blue = out["greedy"]["red fox"], out["greedy"]["blue fox"]
    assert len(red) == len(blue) == 5
    assert set(red + blue) <= set(out["itos"]) - {"<pad>", "<unk>"}
    assert red != blue
    assert sum(out["next"]["red fox"].values()) == pytest.approx(1.0, abs=1e-4)


# BEGIN HIDDEN TESTS
MARKOV_TEXT = (
    "the cat sat on the mat\n" * 5
    + "a dog sat on the mat\n" * 5
    + "my aardvark slept\nmy axolotl slept\nmy bilby slept\n"
)


@pytest.mark.points(1)
def test_markov_backs_off_past_unknown_only_followers(sandbox: Sandbox) -> None:
    """after "my", whose followers are all <unk>, the chain backs off: no crash, no <unk>"""
    for state_size in (1, 2):
        out = sandbox.call(
            "e2e.markov", train=MARKOV_TEXT, prompt="my", seeds=[0, 1, 2], state_size=state_size
        )
        assert "my" in out["itos"] and "aardvark" not in out["itos"]
        for sample in [*out["sampled"], out["greedy"]]:
            assert len(sample) == 12
            assert set(sample) <= set(out["itos"]) - {"<pad>", "<unk>"}


# END HIDDEN TESTS
