"""Drivers of the Markov exercise (12), fitted with a stand-in vocabulary.

The chain is fitted through ``StandInVocabulary``, whose ``encode`` and
``decode`` are written out here, so a broken Exercise 1 costs no Markov
points. That stand-in answers Exercise 1's ``encode``/``decode``: this module
is never in the harness of a child serving Exercise 1 (:data:`STANDS_IN_FOR`,
:mod:`lab.grading.harness`).
"""

from __future__ import annotations

import random
from collections.abc import Callable, Iterable
from typing import Any

from .inputs import MARKOV_TEXT, MARKOV_WORDS
from .wire import submission

#: Exercise functions whose work a stand-in here does: kept from their exercise's children.
STANDS_IN_FOR = (
    ("lab/text/vocabulary.py", "Vocabulary.encode"),
    ("lab/text/vocabulary.py", "Vocabulary.decode"),
)


def _markov(
    state_size: int = 2, text: str = MARKOV_TEXT, words: Iterable[str] = MARKOV_WORDS
) -> Any:
    """Exercise 12's model fitted on ``text`` (one sentence a line) with the vocabulary
    ``words``: a test that needs a particular chain sends its own text and words."""
    markov = submission("baselines.markov")
    vocabulary = submission("lab.text.vocabulary")
    config = submission("lab.models.config")

    class StandInVocabulary(vocabulary.Vocabulary):  # type: ignore[name-defined]
        """encode/decode written out here, independent of Exercise 1."""

        def encode(self, tokens: Iterable[str]) -> list[int]:
            return [self.stoi[t] if t in self.stoi else self.stoi[vocabulary.UNK] for t in tokens]

        def decode(self, ids: Iterable[int]) -> list[str]:
            return list(map(self.itos.__getitem__, ids))

    model = markov.MarkovGenerator(
        markov.MarkovConfig(state_size=state_size),
        config.VocabConfig(min_freq=1, eos="line"),
    )
    model.fit(text, vocab=StandInVocabulary([*vocabulary.SPECIALS, *words]))
    return model


def _markov_chains(**fit: Any) -> Any:
    chains = _markov(**fit).chains
    return {str(k): [[list(s), dict(f)] for s, f in c.model.items()] for k, c in chains.items()}


def _markov_next_word(
    state: list[str], seeds: list[int], temperature: float | None = None, **fit: Any
) -> Any:
    from lab.models.protocol import GREEDY, SamplingConfig

    model = _markov(**fit)
    sampling = GREEDY if temperature is None else SamplingConfig(temperature=temperature)
    return [model.next_word(tuple(state), sampling, random.Random(s)) for s in seeds]


def _markov_generate(prompt: str, max_tokens: int, **fit: Any) -> Any:
    return list(_markov(**fit).generate(prompt, max_tokens=max_tokens)[0].tokens)


DRIVERS: dict[str, Callable[..., Any]] = {
    "markov.chains": _markov_chains,
    "markov.next_word": _markov_next_word,
    "markov.generate": _markov_generate,
}
