"""Which of the lesson's languages a text is in, from a small built-in profile.

Sentence splitting (:mod:`lab.text.sentences`) and encoding detection
(:mod:`lab.text.decoding`) need to know the language of a book, and a student
should not have to say it. Six languages written in two scripts are easy to tell
apart: the share of a text's words that are the language's commonest function
words (``och``, ``ja``, ``ang``, ``и``...) differs by an order of magnitude
between them, and a few letters (``å``, ``ł``, Cyrillic) settle the rest. No
model file, no download: the profiles are the tables below.

>>> detect_language("Hur gammal han än blev, så kunde Jan Andersson inte glömma det, och han var glad.").code
'sv'
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Mapping
from dataclasses import dataclass
from types import MappingProxyType

__all__ = ["LANGUAGES", "LanguageGuess", "detect_language", "language_name"]

#: The lesson's languages: code -> English name (NLTK's Punkt models use these names).
LANGUAGES: Mapping[str, str] = MappingProxyType(
    {
        "en": "english",
        "fi": "finnish",
        "sv": "swedish",
        "ru": "russian",
        "pl": "polish",
        "tl": "tagalog",
    }
)

# The commonest function words of each language (lower case).
_STOP_WORDS: Mapping[str, frozenset[str]] = MappingProxyType(
    {
        "en": frozenset(
            [
                "the",
                "and",
                "of",
                "to",
                "a",
                "in",
                "that",
                "is",
                "was",
                "he",
                "it",
                "his",
                "i",
                "you",
                "with",
                "for",
                "as",
                "had",
                "her",
                "she",
                "not",
                "but",
                "at",
            ]
        ),
        "fi": frozenset(
            [
                "ja",
                "on",
                "ei",
                "se",
                "hän",
                "oli",
                "että",
                "en",
                "mutta",
                "niin",
                "kun",
                "nyt",
                "sen",
                "minä",
                "mitä",
                "jo",
                "ole",
                "vaan",
                "kuin",
                "jos",
                "hänen",
                "sitä",
                "tai",
                "ne",
                "he",
                "me",
                "te",
            ]
        ),
        "sv": frozenset(
            [
                "och",
                "att",
                "det",
                "som",
                "en",
                "är",
                "på",
                "för",
                "med",
                "han",
                "av",
                "jag",
                "inte",
                "den",
                "till",
                "var",
                "så",
                "om",
                "har",
                "de",
                "hon",
                "hade",
                "sig",
                "men",
                "ett",
            ]
        ),
        "ru": frozenset(
            [
                "и",
                "в",
                "не",
                "что",
                "он",
                "на",
                "я",
                "с",
                "как",
                "то",
                "а",
                "его",
                "но",
                "это",
                "она",
                "по",
                "к",
                "же",
                "из",
                "у",
                "за",
                "так",
                "было",
                "бы",
            ]
        ),
        "pl": frozenset(
            [
                "i",
                "w",
                "nie",
                "się",
                "na",
                "że",
                "z",
                "to",
                "jak",
                "do",
                "jest",
                "tak",
                "ale",
                "co",
                "o",
                "już",
                "po",
                "był",
                "jego",
                "od",
                "za",
                "jej",
                "ich",
                "go",
            ]
        ),
        "tl": frozenset(
            [
                "ang",
                "ng",
                "sa",
                "na",
                "at",
                "mga",
                "ay",
                "si",
                "ko",
                "mo",
                "niya",
                "hindi",
                "ako",
                "siya",
                "ni",
                "kay",
                "nang",
                "ito",
                "iyon",
                "kanyang",
                "aking",
                "pag",
                "isang",
            ]
        ),
    }
)
# Letters only one of the languages uses (among these six).
_OWN_LETTERS: Mapping[str, frozenset[str]] = MappingProxyType(
    {
        "sv": frozenset("å"),
        "pl": frozenset("ąęłżźśćń"),
        "ru": frozenset("абвгдеёжзийклмнопрстуфхцчшщъыьэюя"),
    }
)
_WORD = re.compile(r"[^\W\d_]+")
#: How much of a text is read: enough for a stable profile, quick on any book.
SAMPLE_CHARS = 200_000
#: Fewer words than this and no guess is made.
MIN_WORDS = 10


@dataclass(frozen=True)
class LanguageGuess:
    """The most likely language and how clearly it won.

    ``share`` is the fraction of the text's words that are the language's
    function words (about 0.2-0.4 for prose in its language, under 0.05 in
    another); ``confident`` says the winner is clearly ahead of the runner-up.
    """

    code: str | None
    share: float
    runner_up: str | None
    confident: bool

    @property
    def name(self) -> str:
        """The language's English name, or "unknown"."""
        return language_name(self.code) if self.code else "unknown"


def language_name(code: str) -> str:
    """``"fi"`` -> ``"finnish"`` (ValueError for a language outside the lesson)."""
    try:
        return LANGUAGES[code]
    except KeyError:
        raise ValueError(f"unknown language {code!r}: choose from {', '.join(LANGUAGES)}") from None


def detect_language(text: str) -> LanguageGuess:
    """The lesson language ``text`` is most likely written in (see the module doc)."""
    words = [w.lower() for w in _WORD.findall(text[:SAMPLE_CHARS])]
    if len(words) < MIN_WORDS:
        return LanguageGuess(None, 0.0, None, False)
    counts = Counter(words)
    letters = Counter(c for w in words for c in w)
    total_letters = max(sum(letters.values()), 1)
    scores: dict[str, float] = {}
    for code, stops in _STOP_WORDS.items():
        share = sum(counts[w] for w in stops) / len(words)
        own = sum(letters[c] for c in _OWN_LETTERS.get(code, ())) / total_letters
        scores[code] = share + min(own, 0.05)
    ranked = sorted(scores, key=scores.__getitem__, reverse=True)
    best, second = ranked[0], ranked[1]
    confident = scores[best] >= 0.05 and scores[best] >= 1.5 * scores[second]
    return LanguageGuess(best, scores[best], second, confident)
