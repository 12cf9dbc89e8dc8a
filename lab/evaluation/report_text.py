"""The report's prose: conventions, notes under the tables and the summary line,
written once so ``report.md`` and ``report.html`` say the same thing. Backticks
mark code (``<unk>``); the HTML renderer turns them into ``<code>``."""

from __future__ import annotations

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
copied verbatim from it; Zipf = -slope of log count against log rank; judge ppl = perplexity of the
generated continuations under a Kneser-Ney trigram of the training text (lower reads more like the book;
gibberish scores high however diverse it is).
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
    "Quality against diversity: distinct-2 (x) against the judge's perplexity of the samples "
    "(y, log scale), one line per model through its settings."
)


SAMPLES_NOTE = "Up to three samples per setting, full length; the prompt is in bold."


NO_WARNINGS = (
    "None: no model was cut off while still improving, and no neural model lost to a baseline."
)
