"""Share of paragraphs and sentences that come back unchanged from word tokenization.

For each book, every paragraph ``WordTokenizer.split_paragraphs`` yields is
tokenized sentence by sentence and detokenized again, and compared with the
original after whitespace normalisation (``" ".join(s.split())``; hard-wrapped
lines are joined anyway); so is every sentence on its own. A third column
counts sentence units that start in lower case although they do not open a
paragraph: there, the sentence splitter cut a sentence of the source in two
(``'Why?' | asked Alice``). The targets: >= 97% of paragraphs, >= 99% of
sentences, <= 1% lower-case starts, on every book. Our ``WordTokenizer`` is
measured beside NLTK's plain Treebank pair (``TreebankWordTokenizer`` then
``TreebankWordDetokenizer``) on the same sentences in the same run. A few of
our failures are printed per book, to show what is still lost.

Books: the five multilingual development books (``../shared/corpora/multilingual``,
read as any corpus file is: decoded, Gutenberg and edition matter stripped) and
four English ones (NLTK's Gutenberg copies, read as latin-1).

Run from the repository root: ``python benchmarks/roundtrip.py [--shared DIR]``.
"""

from __future__ import annotations

import argparse
import time
from collections.abc import Callable
from pathlib import Path

from nltk.tokenize.treebank import TreebankWordDetokenizer, TreebankWordTokenizer

from lab.text.roundtrip import (
    DEFAULT_SHARED,
    measure_book,
    normalise,
    read_book,
    shared_books,
)
from lab.text.tokenizers import WordTokenizer


def round_trip_share(
    units: list[str], round_trip: Callable[[str], str]
) -> tuple[float, list[tuple[str, str]]]:
    """The share of ``units`` that ``round_trip`` returns unchanged, and the failures."""
    failures = []
    for unit in units:
        back = normalise(round_trip(unit))
        if back != normalise(unit):
            failures.append((normalise(unit), back))
    return 1 - len(failures) / max(len(units), 1), failures


def first_difference(a: str, b: str, context: int = 30) -> tuple[str, str]:
    """The stretch of ``a`` and ``b`` around where they first differ."""
    i = next((k for k, (x, y) in enumerate(zip(a, b, strict=False)) if x != y), min(len(a), len(b)))
    lo = max(i - context, 0)
    return a[lo : i + context], b[lo : i + context]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--shared", type=Path, default=DEFAULT_SHARED)
    parser.add_argument("--examples", type=int, default=3, help="failures shown per book")
    args = parser.parse_args()

    ours = WordTokenizer()
    treebank, treebank_detok = TreebankWordTokenizer(), TreebankWordDetokenizer()

    def treebank_round_trip(unit: str) -> str:
        return str(treebank_detok.detokenize(treebank.tokenize(unit)))

    start = time.perf_counter()
    print(
        f"| {'book':30} | paragraphs | back | sentences | back | lower-case starts "
        f"| NLTK Treebank back | targets met |"
    )
    print("|---|---:|---:|---:|---:|---:|---:|---|")
    examples: list[tuple[str, tuple[str, str]]] = []
    for path in shared_books(args.shared):
        text = read_book(path)
        result = measure_book(text, ours)
        units = [u for p in ours.split_paragraphs(text) for u in p]
        reference, _ = round_trip_share(units, treebank_round_trip)
        print(
            f"| {path.name:30} | {result.paragraphs:,} | {result.paragraph_share:.2%} "
            f"| {result.sentences:,} | {result.sentence_share:.2%} | {result.lower_share:.2%} "
            f"| {reference:.2%} | {'yes' if result.meets_targets() else 'NO'} |"
        )
        examples.extend(
            (path.name, first_difference(a, b)) for a, b in result.failures[: args.examples]
        )
    print(f"({time.perf_counter() - start:.0f} s)\n\nExample failures (ours), where they differ:")
    for book, (original, back) in examples:
        print(f"  {book}\n    text: {original!r}\n    back: {back!r}")


if __name__ == "__main__":
    main()
