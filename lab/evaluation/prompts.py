"""Prompts drawn from the book itself: seeded sentence openings of held-out text.

A prompt made of words the model never saw only measures ``<unk>``; one taken
from another book (``"The Queen said"`` on *Emma*) measures nothing at all.
So the sweep's default prompts are the first words of sentences of the
validation split (never the test split, which is scored), chosen with a seed,
kept only when every word is in the vocabulary, and written as a reader
writes them (detokenized, no tokenizer artefacts).
"""

from __future__ import annotations

import random

from lab.text.tokenizers import WordTokenizer
from lab.text.vocabulary import Vocabulary

#: Words of each prompt.
PROMPT_WORDS = 2


def book_prompts(text: str, vocab: Vocabulary, *, count: int = 3, seed: int = 0) -> tuple[str, ...]:
    """``count`` distinct sentence openings of ``text`` whose words ``vocab`` knows.

    Openings start with a letter or digit (not a quote mark or a chapter number
    alone). Falls back to the empty prompt (a sentence start) when the text has
    none, e.g. a corpus of one line.

    >>> v = Vocabulary.build("The cat sat . The dog ran .".split(), min_freq=1)
    >>> book_prompts("The cat sat. The dog ran.", v, count=2, seed=1)
    ('The cat', 'The dog')
    """
    tokenizer = WordTokenizer()
    candidates: dict[str, None] = {}
    for unit in tokenizer.split_units(text):
        words = tokenizer.tokenize_unit(unit)[:PROMPT_WORDS]
        if len(words) == PROMPT_WORDS and all(w in vocab and w[0].isalnum() for w in words):
            candidates.setdefault(tokenizer.detokenize(words), None)
    if not candidates:
        return ("",)
    chosen = random.Random(seed).sample(list(candidates), k=min(count, len(candidates)))
    return tuple(chosen)
