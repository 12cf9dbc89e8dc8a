"""The sample judge lands known texts where a reader expects them.

Three texts stand in for samples: a held-out page of the book (what a perfect
model writes: real text it never saw), a verbatim copy of the training text (a
model that memorised), and the held-out page with its words shuffled (right
words, no sense). The held-out judge must rate the page best (the copy no better
than it: a copy earns nothing for being copied), the shuffled text worst, and the
copying axis must flag the copy alone. Invented words must cost their spelling.
"""

from __future__ import annotations

import math
import random
from pathlib import Path

import pytest

from lab.evaluation.judge import SampleJudge, held_out_judge
from lab.evaluation.novelty import novelty
from lab.evaluation.sweep import judge_metrics, words_of
from lab.text.splitting import split_corpus

ALICE = Path("/work/shared/corpora/gutenberg/carroll-alice.txt")


def _language(seed: int = 7) -> tuple[list[str], dict[str, list[str]]]:
    """A fixed first-order source richer than the baselines' one: 300 words made of
    syllables, each followed by one of 12 others with Zipf-like weights, so a held-out
    page shares few 4-grams with the training text but every bigram habit with it."""
    rng = random.Random(seed)
    syllables = [a + b for a in "bdfklmnprstv" for b in ("a", "e", "i", "o", "u", "ou")]
    words = sorted({"".join(rng.sample(syllables, rng.randint(1, 3))) for _ in range(400)})[:300]
    return words, {w: rng.sample(words, 12) for w in words}


def source_text(sentences: int, seed: int) -> str:
    """Paragraphs of sentences drawn from :func:`_language` with ``seed``."""
    words, follow = _language()
    weights = [1 / (k + 1) for k in range(12)]
    rng = random.Random(seed)
    out = []
    for _ in range(sentences):
        word = rng.choice(words[:20])
        sentence = [word.capitalize()]
        for _ in range(rng.randint(5, 14)):
            word = rng.choices(follow[word], weights)[0]
            sentence.append(word)
        out.append(" ".join(sentence) + ".")
    return "\n\n".join(" ".join(out[i : i + 4]) for i in range(0, len(out), 4)) + "\n"


def _shuffled(text: str, seed: int = 0) -> str:
    words = text.split()
    random.Random(seed).shuffle(words)
    return " ".join(words)


def _invented(text: str, seed: int = 0) -> str:
    """Every word replaced by random letters of the same length (hot char-model output)."""
    rng = random.Random(seed)
    letters = "abcdefghijklmnopqrstuvwxyz"
    return " ".join("".join(rng.choice(letters) for _ in w) for w in text.split())


def _judged(
    judge: SampleJudge, train: str, texts: dict[str, list[str]]
) -> dict[str, dict[str, float]]:
    """Judge and copying figures of each named list of samples."""
    train_words = words_of(train)
    out = {}
    for name, samples in texts.items():
        found = novelty([words_of(t) for t in samples], train_words, n=4)
        out[name] = {
            "bpc": judge.score(samples).bits_per_char,
            "novel": found.novel_ngram_share,
            "copy": found.longest_copy,
            "words": max(len(words_of(t)) for t in samples),
        }
    return out


def _paragraphs(text: str, start: int, chars: int) -> str:
    """Whole paragraphs of ``text`` from the first paragraph start after ``start``."""
    begin = text.index("\n\n", start) + 2
    return text[begin : text.index("\n\n", begin + chars)]


def _check(found: dict[str, dict[str, float]]) -> None:
    page, copy, shuffled = found["page"], found["copy"], found["shuffled"]
    # Quality: the page best (a copy of the training text earns nothing over it; a small
    # margin allows for one page being plainer than another), shuffled words worst.
    assert page["bpc"] < shuffled["bpc"] - 0.1
    assert copy["bpc"] < shuffled["bpc"]
    assert page["bpc"] <= copy["bpc"] + 0.05
    # Invented words pay for their letters: far worse than any real text.
    assert found["invented"]["bpc"] > shuffled["bpc"] + 0.5
    # Copying: the copy is copied whole and has no novel 4-gram; the page is mostly new.
    assert copy["copy"] == copy["words"] and copy["novel"] == 0.0
    assert page["copy"] < 0.2 * page["words"] and page["novel"] > copy["novel"]
    assert page["novel"] > 0.8


def test_synthetic_book_lands_where_a_reader_expects() -> None:
    book = source_text(900, seed=11)
    parts = split_corpus(book)
    judge = held_out_judge(parts)
    # The held-out page is new text from the same source, held out from the judge too.
    page = source_text(40, seed=99)
    copy = _paragraphs(parts.train, 0, len(page))
    found = _judged(
        judge,
        parts.train,
        {
            "page": [page],
            "copy": [copy],
            "shuffled": [_shuffled(page)],
            "invented": [_invented(page)],
        },
    )
    _check(found)


@pytest.mark.skipif(not ALICE.exists(), reason="the shared Gutenberg corpora are not here")
def test_alice_lands_where_a_reader_expects() -> None:
    text = ALICE.read_text(encoding="utf-8")
    parts = split_corpus(text)
    # The judge learns from the validation split; the page comes from the test split.
    judge = SampleJudge(parts.valid)
    pages = [_paragraphs(parts.test, i, 1500) for i in (2000, 5000, 8000)]
    copies = [_paragraphs(parts.train, i, 1500) for i in (0, 30000, 60000)]
    found = _judged(
        judge,
        parts.train,
        {
            "page": pages,
            "copy": copies,
            "shuffled": [_shuffled(p) for p in pages],
            "invented": [_invented(p) for p in pages],
        },
    )
    _check(found)


def test_unknown_words_pay_for_their_spelling() -> None:
    judge = SampleJudge(source_text(400, seed=3))
    real = source_text(10, seed=4)
    made_up = _invented(real, seed=5)
    a, b = judge.score([real]), judge.score([made_up])
    assert a.unknown_word_share < 0.05 < 0.5 < b.unknown_word_share
    # Charged only as <unk>, every invented word would cost about the same as a rare
    # word; spelled out, each costs bits per letter.
    assert b.bits_per_char > a.bits_per_char + 1.0


def test_judge_metrics_without_a_judge_or_text() -> None:
    assert all(math.isnan(v) for v in judge_metrics(None, ["a b c"]).values())
    judge = SampleJudge(source_text(50, seed=1))
    assert math.isnan(judge.score(["", "  "]).bits_per_char)
    with pytest.raises(ValueError):
        SampleJudge("   ")


def test_the_quality_plot_draws_worse_samples_lower(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Measured on a small char LSTM of Alice: T=0.8 3.42, T=1.8 5.85 judge bits/char.
    More bits is worse, and worse must be drawn lower, on both panels."""
    from lab.evaluation import plots
    from lab.evaluation.sweep import SweepRow

    rows = [
        SweepRow("char-lstm", f"T={t}", t, {"judge_bpc": b, "distinct_2": d, "novel_4gram": n})
        for t, b, d, n in ((0.8, 3.42, 0.89, 0.999), (1.8, 5.85, 0.89, 1.0))
    ]
    figures = []
    monkeypatch.setattr(plots, "_save", lambda plt, fig, path: figures.append(fig))
    plots.plot_quality_diversity(rows, tmp_path / "qd.png")
    (fig,) = figures
    for ax in fig.axes:
        (line,) = ax.get_lines()
        screen = ax.transData.transform(line.get_xydata())  # display y grows upwards
        assert screen[1][1] < screen[0][1]
        assert "up = better" in fig.axes[0].get_ylabel()
