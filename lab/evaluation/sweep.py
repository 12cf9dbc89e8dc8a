"""The temperature sweep: greedy plus a grid of temperatures, for any Generator.

For each setting, every prompt's samples are drawn as one batch with one
seed, and repetition/diversity metrics are computed on the *word* tokens of
the generated text (a character model's output is word-tokenized the same
way), so all models are measured on the same footing.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from lab.evaluation.metrics import repetition_metrics
from lab.models.protocol import Generator, SamplingConfig
from lab.text.tokenizers import PARAGRAPH, WordTokenizer
from lab.text.vocabulary import EOS

DEFAULT_TEMPERATURES: tuple[float, ...] = (0.2, 0.5, 0.8, 1.0, 1.3, 1.8)
DEFAULT_PROMPTS: tuple[str, ...] = ("Alice was", "The Queen said", "She")


@dataclass(frozen=True)
class SweepConfig:
    """Which settings and prompts the sweep samples.

    ``max_words`` is the length of each sample in words; character models get
    ``chars_per_word`` times as many tokens so their samples are as long.
    """

    temperatures: tuple[float, ...] = DEFAULT_TEMPERATURES
    greedy: bool = True
    top_k: int | None = None
    top_p: float | None = None
    prompts: tuple[str, ...] = DEFAULT_PROMPTS
    num_samples: int = 5
    max_words: int = 80
    chars_per_word: int = 6
    seed: int = 0

    def __post_init__(self) -> None:
        if not self.prompts or self.num_samples < 1 or self.max_words < 1:
            raise ValueError("a sweep needs prompts, num_samples >= 1 and max_words >= 1")
        for t in self.temperatures:
            SamplingConfig(temperature=t)  # validates

    def settings(self) -> list[SamplingConfig]:
        """Greedy first, then the temperatures in increasing order."""
        grid = [
            SamplingConfig(temperature=t, top_k=self.top_k, top_p=self.top_p)
            for t in sorted(self.temperatures)
        ]
        return ([SamplingConfig(greedy=True)] if self.greedy else []) + grid


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
) -> list[SweepRow]:
    """Sample every setting of ``config`` and measure repetition and diversity."""
    max_tokens = generator.tokenizer.tokens_for_words(
        config.max_words, chars_per_word=config.chars_per_word
    )
    rows = []
    for sampling in config.settings():
        word_samples: list[list[str]] = []
        shown: list[dict[str, str]] = []
        for p, prompt in enumerate(config.prompts):
            batch = generator.generate(
                prompt,
                max_tokens=max_tokens,
                sampling=sampling,
                num_samples=config.num_samples,
                seed=config.seed + p,
            )
            word_samples.extend(words_of(s.text) for s in batch)
            shown.append({"prompt": prompt, "text": batch[0].full_text or batch[0].text})
        rows.append(
            SweepRow(
                model=name,
                setting=sampling.label,
                temperature=None if sampling.greedy else sampling.temperature,
                metrics=repetition_metrics(word_samples, training_words),
                samples=shown,
            )
        )
    return rows
