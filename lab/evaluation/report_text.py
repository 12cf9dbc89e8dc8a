"""The report's prose: conventions, notes under the tables and the summary line,
written once so ``report.md`` and ``report.html`` say the same thing. Backticks
mark code (``<unk>``); the HTML renderer turns them into ``<code>``."""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from lab.evaluation.comparison import CompareResult

CONVENTIONS = """\
How the numbers are counted: each model scores the test split with its own tokenizer after a
`<eos>` start context; every token is predicted once, `<eos>` (sentence end) included, the start
context not. Perplexity is exp(total NLL / predicted tokens) over the whole split, per token of the
model's own unit: per word for word models, per character for character models, so it compares
only rows of the same unit. The word models share one vocabulary (training words seen at least
twice, the same tokens for all of them).

Closed and open vocabulary: a word model predicts every other word as the single class `<unk>`,
"some rare word", and is never charged for which word it was. The closed-vocabulary figures
(perplexity and closed bits/char) count `<unk>` like any token, which flatters word models, the
more so the higher the OOV % (the share of `<unk>` tokens). A character model pays for every
letter. The open-vocabulary bits/char charge each `<unk>` for spelling its word out, letter by
letter, under a spelling model (a Kneser-Ney character model of the training text's rare words,
renormalised over the words `<unk>` stands for): that is the cost of the text itself, never below
the closed figure, and the one figure comparable between word and character models; the plot
uses it. Bits per character = total NLL / characters of the test text / ln 2. The unigram model
(add-one smoothing over the shared vocabulary) is the floor. markovify's chain has no
probabilities, so the Markov row scores with its own counts smoothed by interpolated Kneser-Ney of
order state size + 1; with state size 2 it equals a Kneser-Ney trigram.

How each model stopped: "converged" = no better validation loss for `patience` epochs (the best
epoch's weights are kept); "epochs", "token budget" and "time cap" = a limit cut training off;
"one pass" = a count model, fitted by counting once. "Still improving" means the last epoch was the
best, so a model stopped by a limit while still improving is under-trained and its figures
understate what it can do.

Repetition metrics are computed on the word tokens of the generated continuations (a character
model's output is word-tokenized the same way), prompts excluded: distinct-n = unique n-grams /
generated tokens (Li et al. 2016); seq-rep-4 = 1 - unique 4-grams / 4-grams within a sample, averaged
(Welleck et al. 2019); rep/16 = share of tokens that repeat one of the previous 16 (Welleck et al.
2019); loops = share of samples that end in a repeating cycle (Holtzman et al. 2020); novel 4-grams =
share of generated 4-grams absent from the training text; longest copy = longest span (tokens)
copied verbatim from it; Zipf = -slope of log count against log rank.

Sample quality: judge bits/char = open-vocabulary bits per character of the generated continuations
under a judge, a Kneser-Ney word trigram fitted on the validation and test splits (text no model
learnt from), with every word outside its vocabulary charged for its spelling as in the perplexity
table (so invented words cost their letters; "words unknown to judge" is their share). Lower reads
more like the book. The judge never saw the training text, so copying it earns nothing: a verbatim
copy scores like any real page, and the copying columns (novel 4-grams, longest copy) tell it
apart. Read quality, diversity and novelty together: high diversity with poor quality is
gibberish, good quality with few novel 4-grams is copying, and good quality with low distinct-2
and loops is repetition (any likelihood judge finds a loop of common words easy to predict, so
greedy output can score best on this axis alone).
"""


def summary_line(result: CompareResult) -> str:
    """Corpus, split sizes, preset and timings, in one sentence."""
    line = (
        f"Corpus `{result.corpus.name}` from {result.corpus.source}; split (characters) "
        + ", ".join(f"{k} {v:,}" for k, v in result.split_chars.items())
        + f". Preset: {'quick' if result.config.quick else 'full'}. Total time {result.seconds:.0f} s"
    )
    if result.train_seconds:
        line += (
            " (training: "
            + ", ".join(f"{k} {v:.0f} s" for k, v in result.train_seconds.items())
            + ")"
        )
    if result.reused:
        line += f"; reused runs: {', '.join(result.reused)}"
    return line + "."


PPL_NOTE = (
    "Perplexity is per token of each model's unit: per word for word rows, per character for "
    "char rows. Only the open-vocabulary bits/char, which charge every `<unk>` for spelling its "
    "word out, compare word and character models; the closed-vocabulary figures leave that cost out "
    "and flatter word models as the OOV % grows."
)
STOP_NOTE = (
    "A model stopped by a limit (epochs, token budget, time cap) while still improving is "
    "under-trained. The curves show validation perplexity per epoch of each LSTM (log scale; "
    "dashed: the one-pass count models of the same unit)."
)
QD_NOTE = (
    "Quality against diversity (left) and against novelty (right), one line per model through "
    "its settings. Quality (y) is the held-out judge's open-vocabulary bits per character of the "
    "samples, on an inverted axis: up is better, so a setting drawn below another reads less like "
    "the book. Diversity is distinct-2; novelty is the share of 4-grams not in the training text."
)


SAMPLES_NOTE = "Up to three samples per setting, full length; the prompt is in bold."


NO_WARNINGS = (
    "None: no model was cut off while still improving, and no neural model lost to a baseline."
)

MODELS_NOTE = (
    "Each model's full configuration as saved with its run, the device it ran on and its "
    "training time (– for a reused run). The command and the software versions that produced "
    "this report are above the contents."
)
SIDE_NOTE = (
    "Every model's first sample at the same prompt and setting, side by side (the prompt is the "
    "heading; the cells hold the continuations; ¶ marks a paragraph break)."
)


def slug(title: str) -> str:
    """GitHub's anchor for a heading: lower case, punctuation dropped, spaces as hyphens."""
    return re.sub(r"[^\w\- ]", "", title.strip().lower()).replace(" ", "-")


@dataclass
class Outline:
    """The headings of a report in order, each with a unique anchor, for the contents list.

    ``add`` returns the anchor: GitHub numbers a repeated one (``-1``, ``-2``), and so
    does this, so the Markdown links and the HTML ids agree."""

    #: ``(level, title, anchor, label in the contents list)``
    entries: list[tuple[int, str, str, str]] = field(default_factory=list)

    def add(self, level: int, title: str, short: str | None = None) -> str:
        """Record a heading; ``short`` is its label in the contents list (default: title)."""
        base = slug(title)
        taken = {entry[2] for entry in self.entries}
        anchor, n = base, 0
        while anchor in taken:
            n += 1
            anchor = f"{base}-{n}"
        self.entries.append((level, title, anchor, short or title))
        return anchor

    def contents(self) -> list[tuple[int, list[tuple[str, str]]]]:
        """Lines of the contents list: ``(level, [(title, anchor), ...])``. Headings of
        level 2 and 3 get a line each; level-4 headings (the many sample blocks) are
        listed on their level-3 parent's line, so the list stays short."""
        lines: list[tuple[int, list[tuple[str, str]]]] = []
        for level, _, anchor, label in self.entries:
            if level <= 3:
                lines.append((level, [(label, anchor)]))
            elif lines:
                lines[-1][1].append((label, anchor))
        return lines
