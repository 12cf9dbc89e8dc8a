"""The temperature sweep: greedy plus a grid of temperatures, for any Generator.

Every setting's samples of every prompt are asked for in one
:meth:`~lab.models.base.GeneratorBase.generate_batch` call (one decoding batch
for the neural models), each (setting, prompt) with a seed of its own
(independent across settings unless ``common_random_numbers``), and
repetition/diversity metrics are computed on the *word* tokens of
the generated text (a character model's output is word-tokenized the same
way), so all models are measured on the same footing.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from lab.evaluation.judge import SampleJudge
from lab.evaluation.metrics import repetition_metrics
from lab.models.base import Generator
from lab.models.protocol import GenerationRequest, Sample, SamplingConfig
from lab.text.tokenizers import PARAGRAPH, WordTokenizer
from lab.text.vocabulary import EOS

DEFAULT_TEMPERATURES: tuple[float, ...] = (0.2, 0.5, 0.8, 1.0, 1.3, 1.8)
#: No prompts given: the comparison draws sentence openings from the book (lab.evaluation.prompts).
DEFAULT_PROMPTS: tuple[str, ...] = ()


@dataclass(frozen=True)
class SweepConfig:
    """Which settings and prompts the sweep samples.

    ``max_words`` is the length of each sample in words; character models get
    ``chars_per_word`` times as many tokens so their samples are as long.
    """

    temperatures: tuple[float, ...] = DEFAULT_TEMPERATURES
    greedy: bool = True
    #: Greedy with HF's ``no_repeat_ngram_size`` beside plain greedy, the standard
    #: remedy for greedy cycling (0: left out); with ``greedy`` only.
    greedy_no_repeat: int = 3
    top_k: int | None = None
    top_p: float | None = None
    prompts: tuple[str, ...] = DEFAULT_PROMPTS
    #: How many prompts to draw from the book when ``prompts`` is empty.
    num_prompts: int = 3
    num_samples: int = 5
    max_words: int = 80
    chars_per_word: int = 6
    seed: int = 0
    #: Reuse one seed per prompt across settings ("common random numbers"), so
    #: settings differ only by their rule; by default each setting draws its own.
    common_random_numbers: bool = False
    #: Samples kept per setting for the report (the metrics use all of them).
    shown_samples: int = 3

    def __post_init__(self) -> None:
        if self.num_prompts < 1 or self.num_samples < 1 or self.max_words < 1:
            raise ValueError("a sweep needs num_prompts, num_samples and max_words >= 1")
        if self.greedy_no_repeat < 0:
            raise ValueError(f"greedy_no_repeat must be >= 0, not {self.greedy_no_repeat}")
        for t in self.temperatures:
            SamplingConfig(temperature=t)  # validates

    def seed_for(self, setting: int, prompt: int) -> int:
        """The sampling seed of prompt ``prompt`` at setting ``setting``: independent
        streams per (setting, prompt) from one :class:`numpy.random.SeedSequence`,
        or one per prompt when :attr:`common_random_numbers` is set."""
        key = [self.seed, prompt] if self.common_random_numbers else [self.seed, setting, prompt]
        return int(np.random.SeedSequence(key).generate_state(1)[0])

    def settings(self) -> list[SamplingConfig]:
        """Greedy first, then greedy + no-repeat-n, then the temperatures in increasing order."""
        grid = [
            SamplingConfig(temperature=t, top_k=self.top_k, top_p=self.top_p)
            for t in sorted(self.temperatures)
        ]
        remedy = SamplingConfig(greedy=True, no_repeat_ngram_size=self.greedy_no_repeat)
        greedy = [SamplingConfig(greedy=True)] + ([remedy] if self.greedy_no_repeat else [])
        return (greedy if self.greedy else []) + grid


@dataclass
class SweepRow:
    """Metrics and samples of one model at one sampling setting."""

    model: str
    setting: str
    temperature: float | None
    metrics: dict[str, float]
    samples: list[dict[str, str]] = field(default_factory=list)

    def to_dict(self) -> dict[str, Any]:
        return {
            "model": self.model,
            "setting": self.setting,
            "temperature": self.temperature,
            **self.metrics,
        }


_WORDS = WordTokenizer()


def words_of(text: str) -> list[str]:
    """Word tokens of generated text, without ``<eos>`` or paragraph breaks: the
    unit of every metric (a blank line is layout, not a word a model repeats)."""
    return [t for t in _WORDS.tokenize(text) if t not in (EOS, PARAGRAPH)]


def sweep_generator(
    name: str,
    generator: Generator,
    config: SweepConfig,
    training_words: Sequence[str] | None = None,
    judge: SampleJudge | None = None,
) -> list[SweepRow]:
    """Sample every setting of ``config`` and measure repetition and diversity.

    With a ``judge`` (:mod:`lab.evaluation.judge`: a model of held-out text), each
    row also gets ``judge_bpc``, the judge's open-vocabulary bits per character of
    the generated continuations, and ``judge_unknown``, the share of their words
    the judge spelled out: a quality axis to read beside diversity and novelty
    (diversity alone rewards gibberish, quality under a judge of the training text
    rewards copying).
    """
    if not config.prompts:
        raise ValueError("the sweep has no prompts: draw them with lab.evaluation.prompts")
    max_tokens = generator.tokenizer.tokens_for_words(
        config.max_words, chars_per_word=config.chars_per_word
    )
    settings = config.settings()
    # Every setting and prompt in one call: the neural models decode them as one batch.
    requests = [
        GenerationRequest(
            prompt,
            max_tokens=max_tokens,
            sampling=sampling,
            num_samples=config.num_samples,
            seed=config.seed_for(index, p),
        )
        for index, sampling in enumerate(settings)
        for p, prompt in enumerate(config.prompts)
    ]
    done = generator.generate_batch(requests)
    per_setting = len(config.prompts)
    rows = []
    for index, sampling in enumerate(settings):
        batches = done[index * per_setting : (index + 1) * per_setting]
        samples = [s for batch in batches for s in batch]
        metrics = repetition_metrics([words_of(s.text) for s in samples], training_words)
        metrics.update(judge_metrics(judge, [s.text for s in samples]))
        rows.append(
            SweepRow(
                model=name,
                setting=sampling.label,
                temperature=None if sampling.greedy else sampling.temperature,
                metrics=metrics,
                samples=_shown(config, batches),
            )
        )
    return rows


def _shown(config: SweepConfig, batches: list[list[Sample]]) -> list[dict[str, str]]:
    """The first sample of each prompt, then further samples of the first prompts,
    up to ``shown_samples``: prompt and continuation as a reader sees them."""
    order = [(p, i) for i in range(config.num_samples) for p in range(len(batches))]
    return [
        {"prompt": config.prompts[p], "text": batches[p][i].full_text or batches[p][i].text}
        for p, i in order[: config.shown_samples]
    ]


def judge_metrics(judge: SampleJudge | None, texts: Sequence[str]) -> dict[str, float]:
    """``judge_bpc`` and ``judge_unknown`` of ``texts`` (NaN without a judge)."""
    if judge is None:
        return {"judge_bpc": math.nan, "judge_unknown": math.nan}
    score = judge.score(texts)
    return {"judge_bpc": score.bits_per_char, "judge_unknown": score.unknown_word_share}
