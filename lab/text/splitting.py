"""The deterministic train/valid/test split every model of a comparison shares."""

from __future__ import annotations

import bisect
import hashlib
import math
import re
from collections.abc import Sequence
from dataclasses import dataclass

from lab.errors import CorpusError

# Cut candidates, coarsest first: starts of paragraphs, starts of lines that
# follow a sentence-final line, starts of any non-blank line.
_PARAGRAPH_START = re.compile(r"\n(?:[ \t]*\n)+")
_SENTENCE_LINE_START = re.compile(r"""[.!?]["'”’)\]]*[ \t]*\n(?:[ \t]*\n)*(?=[ \t]*\S)""")
_LINE_START = re.compile(r"\n(?:[ \t]*\n)*(?=[ \t]*\S)")


@dataclass(frozen=True)
class CorpusSplit:
    """Contiguous train/valid/test parts of one text, in reading order.

    ``train`` (about 80%) is what every model learns from; ``valid`` chooses
    the epoch, the learning-rate decay and early stopping; ``test`` is scored
    once, for the report.
    """

    train: str
    valid: str
    test: str

    def fingerprint(self) -> dict[str, str]:
        """SHA-256 (first 16 hex digits) of each part: what a run records about its data,
        so a model trained on one book is never scored as if it knew another."""
        return {
            name: hashlib.sha256(part.encode("utf-8")).hexdigest()[:16]
            for name, part in (("train", self.train), ("valid", self.valid), ("test", self.test))
        }


def split_corpus(text: str, fractions: Sequence[float] = (0.8, 0.1, 0.1)) -> CorpusSplit:
    """Cut ``text`` into contiguous train/valid/test parts of about ``fractions`` of its chars.

    Cuts fall at paragraph starts (blank lines); with too few paragraphs for
    the smallest part to get about three, at lines following a sentence end,
    then at any line start. So no paragraph (or, failing that, no line) is
    split, and the same text always gives the same parts. Each part loses its
    boundary blank lines and ends with one newline.

    >>> parts = split_corpus("one.\\ntwo.\\nthree.\\nfour.\\n", (0.5, 0.25, 0.25))
    >>> (parts.train, parts.valid, parts.test)
    ('one.\\ntwo.\\n', 'three.\\n', 'four.\\n')
    """
    train_f, valid_f, _ = _check_fractions(fractions)
    bounds = _cut_candidates(text, min(fractions))
    if len(bounds) < 2:
        raise CorpusError("text too short to split into train/valid/test: need 3 non-blank lines")
    first = _closest(bounds, train_f * len(text), 0, len(bounds) - 2)
    second = _closest(bounds, (train_f + valid_f) * len(text), first + 1, len(bounds) - 1)
    cut1, cut2 = bounds[first], bounds[second]
    return CorpusSplit(_tidy(text[:cut1]), _tidy(text[cut1:cut2]), _tidy(text[cut2:]))


def _check_fractions(fractions: Sequence[float]) -> tuple[float, float, float]:
    values = tuple(float(f) for f in fractions)
    if len(values) != 3:
        raise CorpusError(
            f"split fractions must be three numbers (train, valid, test), got {len(values)}"
        )
    if not all(0.0 < f < 1.0 for f in values):
        raise CorpusError(f"split fractions must each be between 0 and 1 (exclusive), got {values}")
    if not math.isclose(sum(values), 1.0, abs_tol=1e-6):
        raise CorpusError(f"split fractions must sum to 1, got {sum(values):g}")
    return values[0], values[1], values[2]


def _cut_candidates(text: str, smallest_fraction: float) -> list[int]:
    """Sorted offsets where a part may start, from the coarsest unit that is fine enough."""
    first = len(text) - len(text.lstrip())
    last = len(text.rstrip())
    wanted = math.ceil(3 / smallest_fraction)
    bounds: list[int] = []
    for pattern in (_PARAGRAPH_START, _SENTENCE_LINE_START, _LINE_START):
        bounds = [m.end() for m in pattern.finditer(text) if first < m.end() < last]
        if len(bounds) + 1 >= wanted:
            break
    return bounds


def _closest(bounds: list[int], target: float, lo: int, hi: int) -> int:
    """Index of the bound nearest ``target``, clamped to ``[lo, hi]``."""
    i = bisect.bisect_left(bounds, target)
    best = min(
        (j for j in (i - 1, i) if 0 <= j < len(bounds)), key=lambda j: abs(bounds[j] - target)
    )
    return max(lo, min(hi, best))


def _tidy(part: str) -> str:
    part = re.sub(r"\A(?:[ \t]*\n)+", "", part).rstrip()
    return part + "\n"
