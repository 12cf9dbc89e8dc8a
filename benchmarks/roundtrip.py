"""Share of sentences that come back unchanged from word tokenization and detokenization.

For each book, every unit ``WordTokenizer.split_units`` yields is tokenized
and detokenized again, and compared with the original after whitespace
normalisation (``" ".join(s.split())``; hard-wrapped lines are joined anyway).
Our ``WordTokenizer`` is measured beside NLTK's plain Treebank pair
(``TreebankWordTokenizer`` then ``TreebankWordDetokenizer``) on the same
sentences in the same run: that reference ratio is the figure to read. A few
of our failures are printed per book, to show what is still lost.

Run from the repository root: ``python benchmarks/roundtrip.py [--corpus-dir DIR]``
(default ``../shared/corpora/gutenberg``, NLTK's Gutenberg copies, read as latin-1).
"""

from __future__ import annotations

import argparse
import time
from collections.abc import Callable
from pathlib import Path

from nltk.tokenize.treebank import TreebankWordDetokenizer, TreebankWordTokenizer

from lab.text.tokenizers import WordTokenizer

BOOKS = (
    "carroll-alice.txt",
    "austen-emma.txt",
    "melville-moby_dick.txt",
    "chesterton-thursday.txt",
)
DEFAULT_CORPUS_DIR = Path(__file__).resolve().parents[1].parent / "shared" / "corpora" / "gutenberg"


def normalise(text: str) -> str:
    return " ".join(text.split())


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
    parser.add_argument("--corpus-dir", type=Path, default=DEFAULT_CORPUS_DIR)
    parser.add_argument("--examples", type=int, default=3, help="failures shown per book")
    args = parser.parse_args()

    ours = WordTokenizer()
    treebank, treebank_detok = TreebankWordTokenizer(), TreebankWordDetokenizer()

    def ours_round_trip(unit: str) -> str:
        return ours.detokenize(ours.tokenize_unit(unit))

    def treebank_round_trip(unit: str) -> str:
        return str(treebank_detok.detokenize(treebank.tokenize(unit)))

    start = time.perf_counter()
    print(f"{'book':26} {'sentences':>9} {'ours':>8} {'NLTK':>8} {'ours/NLTK':>9}")
    examples: list[tuple[str, tuple[str, str]]] = []
    for book in BOOKS:
        text = (args.corpus_dir / book).read_text(encoding="latin-1")
        units = ours.split_units(text)
        share, failures = round_trip_share(units, ours_round_trip)
        reference, _ = round_trip_share(units, treebank_round_trip)
        print(f"{book:26} {len(units):9d} {share:8.2%} {reference:8.2%} {share / reference:9.3f}")
        examples.extend((book, first_difference(a, b)) for a, b in failures[: args.examples])
    print(f"({time.perf_counter() - start:.0f} s)\n\nExample failures (ours), where they differ:")
    for book, (original, back) in examples:
        print(f"  {book}\n    text: {original!r}\n    back: {back!r}")


if __name__ == "__main__":
    main()
