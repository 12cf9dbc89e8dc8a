"""Seeded English-like prose in numbered paragraphs, for corpus and split tests."""

from __future__ import annotations

import random
import re

WORDS = ("alice", "rabbit", "queen", "garden", "tea", "door", "key", "cake", "said", "very")


def prose(seed: int, paragraphs: int, sentences: int = 3, tag: str = "P") -> list[str]:
    """Seeded paragraphs, each starting with a unique tag and wrapped at ~60 chars."""
    rng = random.Random(seed)
    out = []
    for p in range(paragraphs):
        words = [f"{tag}{p:04d}"]
        for _ in range(sentences):
            n = rng.randint(4, 12)
            words += [rng.choice(WORDS) for _ in range(n - 1)] + [rng.choice(WORDS) + "."]
        lines, line = [], ""
        for w in words:
            if line and len(line) + len(w) > 60:
                lines.append(line)
                line = w
            else:
                line = f"{line} {w}".strip()
        out.append("\n".join([*lines, line]))
    return out


def squash(text: str) -> str:
    return re.sub(r"\s+", " ", text).strip()
