"""The judge of sample quality: bits per character of generated text under a model
of held-out text, open vocabulary.

Why this judge, and not another:

* **Held-out, not training, text.** A judge fitted on the text the models learnt
  from rates a verbatim copy of that text as perfect, so the model that copies
  most (a Markov chain stitching long runs of the book) looks best. Fitted on
  text no model trained on (the validation and test splits; the models only use
  validation to stop early), the judge rates a copy of the training text exactly
  as it rates any real page of the book: it reads well, which is true, and the
  separate copying axis (novel 4-grams, longest copy: :mod:`lab.evaluation.novelty`)
  says where it came from. Scoring only the "novel spans" was the other option; it
  was rejected because a chain of order 2 emits only trigrams of the training
  text, so a trigram judge of that text still finds nothing to object to at the
  seams, and a pure copy would get no quality figure at all.
* **Open vocabulary.** A word outside the judge's vocabulary is charged
  ``P(<unk>)`` *and* its spelling (:mod:`lab.evaluation.spelling`, as in the
  perplexity table). Charged only as ``<unk>``, gibberish ("thoushe whanked")
  costs no more than a rare real word, so hotter samples looked *better*.
* **Per character.** Bits per character of the continuation (prompt excluded),
  so word and character models, and samples of different lengths, are on one
  scale; lower is better, the floor is the judge's own entropy of the book.

The judge is an interpolated modified Kneser-Ney trigram (the n-gram baseline of
:mod:`baselines.ngram`), with words seen at least twice in the held-out text as
its vocabulary: a small text gives a weak but honest judge, and the figure is
read against the same judge's score of a real held-out page.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from lab.evaluation.spelling import SpellingModel, unknown_tokens
from lab.models import registry
from lab.models.base import Generator
from lab.text.splitting import CorpusSplit

#: The judge's model (the registry's "judge" role, the Kneser-Ney n-gram): a trigram of
#: the held-out text.
JUDGE_OPTIONS: Mapping[str, Any] = {"order": 3, "modified": True, "min_freq": 2}


@dataclass(frozen=True)
class JudgeScore:
    """What the judge says of some texts, all counted together.

    ``bits_per_char``: open-vocabulary bits per character (lower reads more like the
    held-out book); ``unknown_word_share``: share of the judge's word tokens outside its
    vocabulary (each paid for letter by letter); ``num_chars``: characters judged.
    """

    bits_per_char: float
    unknown_word_share: float
    num_chars: int


class SampleJudge:
    """Judge generated text by a word n-gram of ``held_out_text`` with spelled-out unknowns.

    >>> judge = SampleJudge("The cat sat on the mat. The dog sat on the mat. " * 20)
    >>> judge.score(["The cat sat on the mat."]).bits_per_char < judge.score(
    ...     ["Mat the on sat cat the."]).bits_per_char
    True
    """

    def __init__(self, held_out_text: str, *, text_options: Mapping[str, Any] | None = None):
        if not held_out_text.strip():
            raise ValueError("the judge needs held-out text to learn from")
        # Tokenizer settings follow the comparison's; the vocabulary rule is the judge's own.
        tokenizer = {k: v for k, v in (text_options or {}).items() if k != "min_freq"}
        options = {**JUDGE_OPTIONS, **tokenizer}
        self.model: Generator = registry.with_role("judge").generator_class().from_options(options)
        self.model.fit(held_out_text)
        tokens = self.model.tokenizer.tokenize(held_out_text)
        self.spelling = SpellingModel.for_vocabulary(tokens, self.model.vocab)

    def score(self, texts: Sequence[str]) -> JudgeScore:
        """Open-vocabulary bits per character of ``texts`` together (NaN if all are empty)."""
        nats = 0.0
        chars = tokens = unknown = 0
        for text in texts:
            if not text.strip():
                continue
            result = self.model.score(text)
            words = unknown_tokens(self.model, text)
            nats += result.nll_nats + self.spelling.oov_cost(words, self.model.vocab)
            chars += result.num_chars
            tokens += result.num_tokens
            unknown += len(words)
        if not chars:
            return JudgeScore(math.nan, math.nan, 0)
        return JudgeScore(nats / chars / math.log(2), unknown / max(tokens, 1), chars)


def held_out_judge(
    parts: CorpusSplit, text_options: Mapping[str, Any] | None = None
) -> SampleJudge:
    """The comparison's judge: fitted on the validation and test splits, the text no
    model learnt from (validation only chooses when training stops)."""
    return SampleJudge(parts.valid.rstrip("\n") + "\n\n" + parts.test, text_options=text_options)
