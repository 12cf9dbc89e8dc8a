"""How much text reads back as written: paragraphs and sentences through the word tokenizer.

The measure behind ``benchmarks/roundtrip.py`` and the round-trip tests (issue
19's targets): every paragraph :meth:`WordTokenizer.split_paragraphs` yields is
tokenized sentence by sentence and detokenized again, and compared with the
original after whitespace normalisation; so is every sentence on its own. A
sentence unit that starts in lower case although it does not open a
paragraph counts apart: there the splitter cut a sentence of the source in two.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from lab.text.corpora import load_corpus
from lab.text.tokenizers import WordTokenizer

__all__ = [
    "DEFAULT_SHARED",
    "BookRoundTrip",
    "measure_book",
    "normalise",
    "read_book",
    "shared_books",
]


def normalise(text: str) -> str:
    return " ".join(text.split())


ENGLISH_BOOKS = (
    "carroll-alice.txt",
    "austen-emma.txt",
    "melville-moby_dick.txt",
    "chesterton-thursday.txt",
)
MULTILINGUAL_BOOKS = (
    "fi_juha.txt",
    "sv_kejsarn_av_portugallien.txt",
    "ru_mertvye_dushi.txt",
    "pl_przedwiosnie.txt",
    "tl_florante_at_laura.txt",
)


def _find_shared() -> Path:
    """``shared/corpora`` beside the checkout, or beside any folder above it (a
    worktree sits deeper than the main checkout)."""
    for folder in Path(__file__).resolve().parents[2:]:
        if (folder / "shared" / "corpora").is_dir():
            return folder / "shared" / "corpora"
    return Path(__file__).resolve().parents[2].parent / "shared" / "corpora"


DEFAULT_SHARED = _find_shared()
#: The targets of issue 19, per book.
MIN_PARAGRAPHS, MIN_SENTENCES, MAX_LOWER_STARTS = 0.97, 0.99, 0.01


@dataclass
class BookRoundTrip:
    """What round-tripped in one book, and the sentences that did not."""

    paragraphs: int
    paragraphs_back: int
    sentences: int
    sentences_back: int
    lower_starts: int
    failures: list[tuple[str, str]] = field(default_factory=list)

    @property
    def paragraph_share(self) -> float:
        return self.paragraphs_back / max(self.paragraphs, 1)

    @property
    def sentence_share(self) -> float:
        return self.sentences_back / max(self.sentences, 1)

    @property
    def lower_share(self) -> float:
        return self.lower_starts / max(self.sentences, 1)

    def meets_targets(self) -> bool:
        return (
            self.paragraph_share >= MIN_PARAGRAPHS
            and self.sentence_share >= MIN_SENTENCES
            and self.lower_share <= MAX_LOWER_STARTS
        )


def measure_book(text: str, tokenizer: WordTokenizer | None = None) -> BookRoundTrip:
    """Round-trip every paragraph and sentence of ``text`` (see the module doc)."""
    tok = tokenizer or WordTokenizer()
    result = BookRoundTrip(0, 0, 0, 0, 0)
    for paragraph in tok.split_paragraphs(text):
        backs = []
        for i, unit in enumerate(paragraph):
            back = normalise(tok.detokenize(tok.tokenize_unit(unit)))
            backs.append(back)
            result.sentences += 1
            if back == normalise(unit):
                result.sentences_back += 1
            else:
                result.failures.append((normalise(unit), back))
            first = next((c for c in unit if c.isalnum()), "")
            result.lower_starts += i > 0 and first.isalpha() and first.islower()
        result.paragraphs += 1
        result.paragraphs_back += " ".join(backs) == normalise(" ".join(paragraph))
    return result


def read_book(path: Path) -> str:
    """A shared book as the lab reads it: multilingual ones as corpus files, NLTK's
    Gutenberg copies as latin-1 (as NLTK reads them)."""
    if path.parent.name == "multilingual":
        return load_corpus(str(path)).text
    return path.read_text(encoding="latin-1")


def shared_books(shared: Path) -> list[Path]:
    """The books of the benchmark that are present under ``shared``."""
    paths = [shared / "multilingual" / b for b in MULTILINGUAL_BOOKS]
    paths += [shared / "gutenberg" / b for b in ENGLISH_BOOKS]
    return [p for p in paths if p.is_file()]
