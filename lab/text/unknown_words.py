"""Unknown words: how many a vocabulary leaves, and a vocabulary that leaves fewer.

``min_freq = 2`` suits English (Alice: about 3% of test words unknown), but an
inflected language spreads a book over many more word forms: on a Finnish or
Russian novel it makes a quarter of the test split ``<unk>``, and perplexity
then mostly measures how often ``<unk>`` comes. So the default is chosen per
book: the held-out part of the training text (its last tenth, which a
vocabulary of the first nine tenths has not seen) says how many words each
``min_freq`` would leave unknown, and the smallest ``min_freq`` that keeps
that share under :data:`ADAPT_OOV` (or ``1``, every training word, when none
does) is used, within :data:`MAX_WORDS` words, as the adaptive softmax makes a
large vocabulary cheap to train.

Why 15% and not the 10% the report warns at: every word kept is one more the network
must learn from a handful of sightings. On Alice (11% held-out unknowns at ``min_freq``
2) the quick word LSTM passed the n-gram after 235k tokens with ``min_freq`` 2
(V = 1,381) and never did with 1 (V = 2,625), and on the Polish book (V = 20,683 at
``min_freq`` 1) it never did either (benchmarks/results/learn_per_token.jsonl). So
the vocabulary grows only for books far past the warning line (Russian, Finnish).
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence

from lab.text.vocabulary import SPECIALS, Vocabulary

__all__ = [
    "MAX_OOV",
    "MAX_WORDS",
    "book_min_freq",
    "case_hints",
    "oov_share",
    "unknown_words_note",
    "unknown_words_warning",
]

#: The share of unknown test words above which the report warns.
MAX_OOV = 0.10
#: The held-out unknown share above which a book's default vocabulary keeps every word.
ADAPT_OOV = 0.15
#: The largest vocabulary the adaptive default builds (words; the softmax is adaptive).
MAX_WORDS = 60_000
#: The default for a book whose held-out words are mostly known anyway (English).
PREFERRED_MIN_FREQ = 2


def oov_share(tokens: Sequence[str], known: set[str] | Vocabulary) -> float:
    """The share of ``tokens`` that would be ``<unk>``: not in ``known``, and neither a
    special nor a paragraph break (which every vocabulary has). Over all tokens, as
    the report's OOV column counts them."""
    unknown = sum(1 for t in tokens if t not in known and t not in SPECIALS and not t.isspace())
    return unknown / max(len(tokens), 1)


def book_min_freq(tokens: Sequence[str]) -> tuple[int, float]:
    """The ``min_freq`` for a vocabulary of training ``tokens`` and the unknown-word share
    it is expected to leave (see the module doc).

    >>> book_min_freq(["a", "b", "a", "c"] * 50)[0]
    2
    """
    cut = len(tokens) * 9 // 10
    counts = Counter(tokens[:cut])
    held_out = tokens[cut:]
    expected = 0.0
    for min_freq in (PREFERRED_MIN_FREQ, 1):
        known = {t for t, n in counts.items() if n >= min_freq}
        expected = oov_share(held_out, known)
        words = sum(1 for n in Counter(tokens).values() if n >= min_freq)
        if expected <= ADAPT_OOV or min_freq == 1:
            return (min_freq if words <= MAX_WORDS or min_freq == PREFERRED_MIN_FREQ
                    else PREFERRED_MIN_FREQ), expected  # fmt: skip
    return PREFERRED_MIN_FREQ, expected  # pragma: no cover - the loop returns


def case_hints(tokens: Sequence[str], vocab: Vocabulary) -> dict[str, str]:
    """For each token unknown to ``vocab`` only by its case, the form ``vocab`` knows
    (``{"The": "the"}``): a prompt typed in another case than the book's.

    >>> case_hints(["Alice", "QUEEN", "zzz"], Vocabulary.build(["alice", "Queen"]))
    {'Alice': 'alice', 'QUEEN': 'Queen'}
    """
    hints: dict[str, str] = {}
    for token in tokens:
        if token in vocab or token in hints:
            continue
        for form in (token.lower(), token.capitalize(), token.upper(), token.title()):
            if form in vocab:
                hints[token] = form
                break
    return hints


def unknown_words_note(min_freq: int, usual: int) -> str:
    """The report's note on an adapted ``min_freq``."""
    return (
        f"Vocabulary: every training word seen at least {min_freq} time(s) (min_freq {min_freq}, "
        f"not the usual {usual}): with {usual}, more than {MAX_OOV:.0%} of held-out words "
        "would have been <unk> (an inflected language, or a short book)."
    )


def unknown_words_warning(oov_rate: float, vocab_size: int) -> list[str]:
    """One warning when more than :data:`MAX_OOV` of the test tokens are ``<unk>``, with
    what to do about it."""
    if oov_rate <= MAX_OOV:
        return []
    return [
        f"{oov_rate:.1%} of the test split's word tokens are <unk> (vocabulary {vocab_size:,}): "
        "closed-vocabulary perplexity then mostly measures how often <unk> comes, and samples "
        "are full of it. Judge the models by open-vocabulary bits/char, which spells unknown "
        "words out; a longer book in the same language (or two joined) lowers the share.",
    ]
