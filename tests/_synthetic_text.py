"""Small synthetic corpora for the baseline tests: no files, no network, seeded.

Sentences come from a fixed first-order Markov source over 50 plain words
(each word has a few likely successors), so the text has real sequential
structure that an n-gram model can learn and a unigram model cannot. One word
(``PRIMER``) is always followed by ``PRIMED``, for prompt-priming tests.
Sentences are separated by blank lines so every tokenizer setting splits them
the same way.
"""

from __future__ import annotations

import random

WORDS: tuple[str, ...] = (
    "alpha",
    "bravo",
    "charlie",
    "delta",
    "echo",
    "foxtrot",
    "golf",
    "hotel",
    "india",
    "juliet",
    "kilo",
    "lima",
    "mike",
    "november",
    "oscar",
    "papa",
    "quebec",
    "romeo",
    "sierra",
    "tango",
    "uniform",
    "victor",
    "whiskey",
    "xray",
    "yankee",
    "zulu",
    "amber",
    "basil",
    "cedar",
    "dune",
    "ember",
    "fjord",
    "grove",
    "heath",
    "islet",
    "jade",
    "knoll",
    "larch",
    "moss",
    "nectar",
    "orchid",
    "pine",
    "quartz",
    "reed",
    "sage",
    "thyme",
    "umber",
    "vale",
    "willow",
    "zephyr",
)
PRIMER = "quartz"
PRIMED = "zephyr"
_STRUCTURE_SEED = 1234  # fixed: every corpus comes from the same source


def _source() -> tuple[list[str], dict[str, list[tuple[str, float]]]]:
    """Start words and successor distributions of the fixed source."""
    rng = random.Random(_STRUCTURE_SEED)
    others = [w for w in WORDS if w not in (PRIMER, PRIMED)]
    starts = rng.sample(others, 6)
    successors: dict[str, list[tuple[str, float]]] = {}
    for word in WORDS:
        if word == PRIMER:
            successors[word] = [(PRIMED, 1.0)]
            continue
        picks = rng.sample([w for w in WORDS if w not in (word, PRIMED)], 3)
        successors[word] = list(zip(picks, (0.6, 0.3, 0.1), strict=True))
    # Make the primer reachable, but never as a likely greedy path from elsewhere.
    successors[starts[0]][2] = (PRIMER, 0.1)
    return starts, successors


def source_sentences(num_sentences: int, seed: int) -> list[list[str]]:
    """Word lists (ending in ``"."``) drawn from the fixed source with ``seed``."""
    rng = random.Random(seed)
    starts, successors = _source()
    sentences = []
    for _ in range(num_sentences):
        word = rng.choice(starts)
        sentence = [word]
        # A sentence never ends right after the primer, so the primed word always follows.
        while word == PRIMER or (
            len(sentence) < 12 and not (len(sentence) >= 3 and rng.random() < 0.2)
        ):
            options, weights = zip(*successors[word], strict=True)
            word = rng.choices(options, weights)[0]
            sentence.append(word)
        sentences.append([*sentence, "."])
    return sentences


def as_text(sentences: list[list[str]]) -> str:
    """Sentences as text, one paragraph each (``"alpha bravo ."`` becomes ``"alpha bravo."``)."""
    return "\n\n".join(" ".join(s[:-1]) + s[-1] for s in sentences) + "\n"


def source_text(num_sentences: int, seed: int) -> str:
    """:func:`source_sentences` rendered by :func:`as_text`."""
    return as_text(source_sentences(num_sentences, seed))


def rare_word_text(num_sentences: int, seed: int) -> str:
    """Text in which most words occur once, so ``min_freq=2`` maps them to ``<unk>``:
    many chain states are followed only by ``<unk>``."""
    rng = random.Random(seed)
    sentences = []
    for i in range(num_sentences):
        rare = [f"rare{i}x{j}" for j in range(rng.randint(2, 6))]
        common = rng.choice(["alpha", "bravo"])
        sentences.append([rare[0], common, *rare[1:], "."])
    return as_text(sentences)
