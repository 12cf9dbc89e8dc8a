"""Which 8-bit encoding a file is in, judged by whether its words are words of a lesson language.

Every candidate decodes almost any byte string, so "it decoded" says nothing.
What differs is the result: read in the right encoding, a Polish book's
non-ASCII characters are ``ą ę ł ś ż``, a Russian one's are Cyrillic words in
ordinary case (``Рыбак``, ``рыбак``). Read wrongly they are symbols (``³ ¹``),
letters of no lesson language (``œ æ``), Latin and Cyrillic mixed in one word,
case flipped inside a word (``рЩВБЛ``) or mostly capitals (cp1251 read as
KOI8-R swaps the cases). So each decoding is scored by the share of its
non-ASCII words that are plausible words of some lesson language (only its
letters, one script, ordinary case), minus stray symbols; the best wins, and a
score under :data:`CONVINCING` is said to be a guess.

>>> choose_encoding("Żółw szedł przez łąkę.".encode("cp1250")).encoding
'cp1250'
>>> choose_encoding("Рыбак ловил рыбу.".encode("koi8_r")).text
'Рыбак ловил рыбу.'
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Mapping
from dataclasses import dataclass
from types import MappingProxyType

__all__ = ["CANDIDATES", "CONVINCING", "EncodingChoice", "choose_encoding"]

#: The 8-bit encodings of the lesson's languages, in order of preference when two
#: read a file equally well (then they give the same text, or nearly).
CANDIDATES: tuple[str, ...] = (
    "cp1252",
    "latin-1",
    "iso8859_15",
    "cp1250",
    "iso8859_2",
    "cp1251",
    "koi8_r",
    "cp866",
)
#: The score above which a choice is reported as a note rather than a warning.
CONVINCING = 0.8
#: How much of a file is judged.
SAMPLE_BYTES = 200_000

_CYRILLIC = "абвгдеёжзийклмнопрстуфхцчшщъыьэюя"
# Non-ASCII letters of each language (lower case; upper case is added below).
_LETTERS: Mapping[str, str] = MappingProxyType(
    {
        "English": "éèêëïîôâàçüöñ",
        "Finnish": "äöåšž",
        "Swedish": "åäöéü",
        "Polish": "ąćęłńóśźż",
        "Russian": _CYRILLIC,
        "Tagalog": "áàâéèêíìîóòôúùûñü",
    }
)
_ALPHABETS = {lang: frozenset(letters + letters.upper()) for lang, letters in _LETTERS.items()}
# Non-letters that real text uses; any other non-ASCII symbol counts against a decoding.
_PUNCTUATION = frozenset("’‘“”„‚«»—–―…•·°§×\u00a0\u00ad№")
_WORD = re.compile(r"[^\W\d_]+")


@dataclass(frozen=True)
class EncodingChoice:
    """The chosen encoding, its text, its score (0-1) and the language it read best as."""

    encoding: str
    text: str
    score: float
    language: str

    @property
    def convincing(self) -> bool:
        return self.score >= CONVINCING

    def describe(self) -> str:
        """``"cp1251 (Russian letters, 99% of non-ASCII words)"``."""
        return f"{self.encoding} ({self.language} letters, {self.score:.0%} of non-ASCII words)"


def choose_encoding(data: bytes) -> EncodingChoice:
    """The candidate encoding that reads ``data`` as a lesson language best (see the module doc)."""
    sample = data[:SAMPLE_BYTES]
    best: tuple[float, str, str] | None = None
    for encoding in CANDIDATES:
        try:
            text = sample.decode(encoding)
        except UnicodeDecodeError:  # a byte this code page leaves undefined
            continue
        score, language = _score(text)
        if best is None or score > best[0]:
            best = (score, encoding, language)
    if best is None:  # pragma: no cover - latin-1 decodes every byte
        raise ValueError("no candidate encoding decodes the data")
    score, encoding, language = best
    return EncodingChoice(encoding, data.decode(encoding, errors="replace"), score, language)


def _score(text: str) -> tuple[float, str]:
    """Share of the non-ASCII words of ``text`` that read as the best-fitting language,
    and that language; stray symbols count as wrong words, and a text whose
    non-ASCII letters are mostly capitals scores half (real prose is lower case)."""
    words = Counter(w for w in _WORD.findall(text) if not w.isascii())
    chars = Counter(c for c in text if ord(c) > 127)
    symbols = sum(
        n for c, n in chars.items()
        if not c.isalpha() and not c.isspace() and c not in _PUNCTUATION
    )  # fmt: skip
    total = sum(words.values())
    if not total:
        return (1.0 if symbols == 0 else 0.0), "English"
    letters = sum(n for c, n in chars.items() if c.isalpha())
    capitals = sum(n for c, n in chars.items() if c.isupper()) / max(letters, 1)
    best_share, best_language = -1.0, "English"
    for language, alphabet in _ALPHABETS.items():
        good = sum(n for w, n in words.items() if _is_word_of(w, alphabet, language == "Russian"))
        share = good / (total + symbols)
        if share > best_share:
            best_share, best_language = share, language
    if capitals > 0.5:
        best_share /= 2
    return best_share, best_language


def _is_word_of(word: str, alphabet: frozenset[str], cyrillic: bool) -> bool:
    """Whether ``word`` could be a word of the language with ``alphabet``: its non-ASCII
    letters are the language's, one script only, and ordinary case."""
    if not all(c.isascii() or c in alphabet for c in word):
        return False
    if cyrillic and any(c.isascii() for c in word):
        return False
    return word.islower() or word.isupper() or word.istitle()
