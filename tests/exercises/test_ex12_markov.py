"""Exercise 12: the Markov chain baseline (``MarkovGenerator._fit_ids``, ``followers``).

The model is fitted in the sandbox on ``lab.grading.drivers.MARKOV_TEXT``
(or a text a test sends) with a stand-in vocabulary that has its own
``encode``/``decode``, so this exercise is graded apart from Exercise 1.
"""

from __future__ import annotations

import pytest

from baselines.markov import BEGIN, END
from lab.grading.sandbox import Sandbox
from lab.text.vocabulary import EOS, PAD, UNK


def _chain(chains: dict[str, list[list[object]]], k: int) -> dict[tuple[str, ...], dict[str, int]]:
    return {tuple(state): followers for state, followers in chains[str(k)]}  # type: ignore[call-overload, misc]


@pytest.mark.points(1)
def test_fit_counts_word_transitions_per_sentence(sandbox: Sandbox) -> None:
    """each chain counts the followers of every state; sentences end in END, not <eos>"""
    chains = sandbox.call("markov.chains")
    assert sorted(chains) == ["1", "2"]
    one, two = _chain(chains, 1), _chain(chains, 2)
    assert one[("the",)] == {"cat": 2, "dog": 1, UNK: 4}
    assert one[("sat",)] == {END: 6}
    assert two[(BEGIN, BEGIN)] == {"the": 7, "a": 2}
    assert two[("a", "dog")] == {"ran": 2}
    words = {w for state in one for w in state} | {w for f in one.values() for w in f}
    assert EOS not in words


@pytest.mark.points(1)
def test_greedy_next_word_uses_the_longest_state(sandbox: Sandbox) -> None:
    """next_word follows the longest known state and never picks <unk>"""
    assert sandbox.call("markov.next_word", state=["the", "dog"], seeds=[0]) == ["sat"]
    assert sandbox.call("markov.next_word", state=[BEGIN, "the"], seeds=[0]) == ["cat"]
    assert sandbox.call("markov.generate", prompt="a dog", max_tokens=2) == ["ran", EOS]


# BEGIN HIDDEN TESTS
# (the big, ...) is only ever followed by unknown words; (big,) also by "cat".
UNK_ONLY = {"text": "the big emu sat\nthe big yak sat\na big cat ran\na dog sat\n",
            "words": ["the", "big", "sat", "a", "cat", "ran", "dog"]}  # fmt: skip
# After (a, b) "d" is likelier, after (x, a, b) only "c" follows.
THREE = {"text": "x a b c\ny a b d\ny a b d\n", "words": ["x", "y", "a", "b", "c", "d"]}


@pytest.mark.points(1)
def test_next_word_backs_off_to_shorter_states(sandbox: Sandbox) -> None:
    """an unseen state backs off to the longest suffix the chains know"""
    assert sandbox.call("markov.next_word", state=["cat", "dog"], seeds=[0]) == ["ran"]


@pytest.mark.points(1)
def test_unknown_state_falls_back_to_the_unigram_counts(sandbox: Sandbox) -> None:
    """a state with no known suffix draws from all words (the unigram counts), not only END"""
    seeds = list(range(200))
    draws = sandbox.call("markov.next_word", state=["emu", "moa"], seeds=seeds, temperature=1.0)
    assert set(draws) == {"the", "cat", "sat", "ran", "dog", "a", END}


@pytest.mark.points(1)
def test_generation_backs_off_past_followers_that_are_all_unk(sandbox: Sandbox) -> None:
    """a state whose only followers are <unk> backs off to a shorter state (no crash)"""
    out = sandbox.call("markov.generate", prompt="the big", max_tokens=3, **UNK_ONLY)
    assert out == ["cat", "ran", EOS]


@pytest.mark.points(1)
def test_fit_builds_a_chain_per_state_size_up_to_three(sandbox: Sandbox) -> None:
    """state_size=3 gives chains of sizes 1, 2 and 3, the largest over three-word states"""
    chains = sandbox.call("markov.chains", state_size=3)
    assert sorted(chains) == ["1", "2", "3"]
    three = _chain(chains, 3)
    assert three[(BEGIN, BEGIN, BEGIN)] == {"the": 7, "a": 2}
    assert three[(BEGIN, "a", "dog")] == {"ran": 2}


@pytest.mark.points(1)
def test_next_word_uses_three_word_states(sandbox: Sandbox) -> None:
    """with state_size=3 the followers of the whole three-word state decide"""
    state = ["x", "a", "b"]
    assert sandbox.call("markov.next_word", state=state, seeds=[0], state_size=3, **THREE) == ["c"]
    assert sandbox.call("markov.next_word", state=state[1:], seeds=[0], state_size=3, **THREE) == [
        "d"
    ]


@pytest.mark.points(1)
def test_sampled_words_never_include_unk_or_pad(sandbox: Sandbox) -> None:
    """sampling draws from the followers' counts with the given RNG, minus <unk>/<pad>"""
    seeds = list(range(200))
    draws = sandbox.call("markov.next_word", state=[BEGIN, "the"], seeds=seeds, temperature=2.0)
    assert set(draws) == {"cat", "dog"}
    assert draws.count("cat") > draws.count("dog")
    again = sandbox.call("markov.next_word", state=[BEGIN, "the"], seeds=seeds, temperature=2.0)
    assert again == draws
    assert PAD not in draws and UNK not in draws


# END HIDDEN TESTS
