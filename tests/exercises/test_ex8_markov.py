"""Exercise 8: the Markov chain baseline (``MarkovGenerator._fit_ids``, ``next_word``).

The vocabulary here is a stand-in with its own ``encode``/``decode``, so this
exercise is graded apart from Exercise 1.
"""

from __future__ import annotations

import random
from collections.abc import Iterable

import pytest

from baselines.markov import BEGIN, END, MarkovConfig, MarkovGenerator
from lab.models.config import VocabConfig
from lab.models.protocol import GREEDY, SamplingConfig
from lab.text.vocabulary import EOS, PAD, SPECIALS, UNK, Vocabulary

# zebra, yak, gnu and emu are outside the vocabulary: they become <unk>.
TEXT = """the cat sat
the cat ran
the dog sat
a dog ran
a dog ran
the zebra sat
the yak sat
the gnu sat
the emu sat
"""
WORDS = ("the", "sat", "dog", "ran", "a", "cat")


class StandInVocabulary(Vocabulary):
    """encode/decode written out here, independent of Exercise 1."""

    def encode(self, tokens: Iterable[str]) -> list[int]:
        return [self.stoi[t] if t in self.stoi else self.stoi[UNK] for t in tokens]

    def decode(self, ids: Iterable[int]) -> list[str]:
        return [self.itos[i] for i in ids]


def _fitted(state_size: int = 2) -> MarkovGenerator:
    model = MarkovGenerator(
        MarkovConfig(state_size=state_size), VocabConfig(min_freq=1, eos="line")
    )
    model.fit(TEXT, vocab=StandInVocabulary([*SPECIALS, *WORDS]))
    return model


@pytest.mark.points(1)
def test_fit_counts_word_transitions_per_sentence() -> None:
    """each chain counts the followers of every state; sentences end in END, not <eos>"""
    chains = _fitted().chains
    assert sorted(chains) == [1, 2]
    assert chains[1].model[("the",)] == {"cat": 2, "dog": 1, UNK: 4}
    assert chains[1].model[("sat",)] == {END: 6}
    assert chains[2].model[(BEGIN, BEGIN)] == {"the": 7, "a": 2}
    assert chains[2].model[("a", "dog")] == {"ran": 2}
    words = {w for state in chains[1].model for w in state}
    words |= {w for followers in chains[1].model.values() for w in followers}
    assert EOS not in words


@pytest.mark.points(1)
def test_greedy_next_word_uses_the_longest_state() -> None:
    """next_word follows the longest known state and never picks <unk>"""
    model = _fitted()
    assert model.next_word(("the", "dog"), GREEDY, random.Random(0)) == "sat"  # ("dog",) says ran
    assert model.next_word((BEGIN, "the"), GREEDY, random.Random(0)) == "cat"  # <unk> is commoner
    assert model.generate("a dog", max_tokens=2)[0].tokens == ("ran", EOS)


# BEGIN HIDDEN TESTS
@pytest.mark.points(1)
def test_next_word_backs_off_to_shorter_states() -> None:
    """an unseen state backs off to its last word, then to the unigram counts"""
    model = _fitted()
    assert model.next_word(("cat", "dog"), GREEDY, random.Random(0)) == "ran"
    assert model.next_word(("emu", "moa"), GREEDY, random.Random(0)) == END  # 9 sentence ends


@pytest.mark.points(1)
def test_sampled_words_never_include_unk_or_pad() -> None:
    """sampling draws from the followers' counts with the given RNG, minus <unk>/<pad>"""
    model = _fitted()
    hot = SamplingConfig(temperature=2.0)
    draws = [model.next_word((BEGIN, "the"), hot, random.Random(s)) for s in range(200)]
    assert set(draws) == {"cat", "dog"}
    assert draws.count("cat") > draws.count("dog")
    repeat = [model.next_word((BEGIN, "the"), hot, random.Random(s)) for s in range(200)]
    assert repeat == draws
    assert PAD not in draws and UNK not in draws


# END HIDDEN TESTS
