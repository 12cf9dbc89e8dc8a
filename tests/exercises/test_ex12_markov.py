"""Exercise 12: the Markov chain baseline (``MarkovGenerator._fit_ids``, ``next_word``).

The model is fitted in the sandbox on ``lab.grading.drivers.MARKOV_TEXT``
with a stand-in vocabulary that has its own ``encode``/``decode``, so this
exercise is graded apart from Exercise 1.
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
@pytest.mark.points(1)
def test_next_word_backs_off_to_shorter_states(sandbox: Sandbox) -> None:
    """an unseen state backs off to its last word, then to the unigram counts"""
    assert sandbox.call("markov.next_word", state=["cat", "dog"], seeds=[0]) == ["ran"]
    assert sandbox.call("markov.next_word", state=["emu", "moa"], seeds=[0]) == [END]


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
