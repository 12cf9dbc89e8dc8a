"""Kneser-Ney n-gram generator: :class:`baselines.kneser_ney.KneserNey` behind the
:class:`lab.models.protocol.Generator` protocol.

Fitting counts the ``order``-grams of the training stream (each sentence
padded with ``<eos>`` history); scoring and generation use the interpolated
Kneser-Ney probabilities described in :mod:`baselines.kneser_ney` (plain
discount by default, modified Kneser-Ney with ``modified=True``). Generation
draws token by token from the full smoothed distribution, so even words never
seen in this context can appear (but never ``<unk>`` or ``<pad>``).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any, ClassVar

from baselines.count_model import CountGenerator
from baselines.count_model import generate_from_distribution as _generate
from baselines.kneser_ney import MAX_ORDER, KneserNey, count_ngrams
from lab.errors import NotFittedError
from lab.models.config import VocabConfig, option
from lab.models.protocol import GREEDY, Sample, SamplingConfig

__all__ = ["KneserNey", "NGramConfig", "NGramGenerator", "count_ngrams"]


@dataclass(frozen=True)
class NGramConfig:
    """An interpolated Kneser-Ney model of ``order`` 1-5 (3 = trigram).

    ``discount``: plain absolute discount in (0, 1]; ``modified``: estimate
    modified-KN discounts per order instead. Tokenizer and vocabulary settings
    are a :class:`lab.models.config.VocabConfig` passed beside it.
    """

    order: int = option(3, "n-gram order, 1-5 (3 = trigram)")
    discount: float = option(0.75, "Kneser-Ney absolute discount D, in (0, 1]")
    modified: bool = option(False, "modified Kneser-Ney: three discounts per order, estimated")

    def __post_init__(self) -> None:
        if not 1 <= self.order <= MAX_ORDER:
            raise ValueError(f"order must be 1..{MAX_ORDER}, not {self.order}")
        if not 0 < self.discount <= 1:
            raise ValueError(f"discount must be in (0, 1], not {self.discount}")


class NGramGenerator(CountGenerator[NGramConfig]):
    """Kneser-Ney n-gram :class:`lab.models.protocol.Generator` over the shared word vocabulary.

    >>> lm = NGramGenerator(NGramConfig(order=2), VocabConfig(min_freq=1))
    >>> _ = lm.fit("The cat sat. The cat ran.")
    >>> lm.generate("The", max_tokens=1)[0].tokens
    ('cat',)
    """

    kind: ClassVar[str] = "ngram"
    config_class: ClassVar[type[Any]] = NGramConfig

    def __init__(
        self, config: NGramConfig | None = None, vocab_config: VocabConfig | None = None
    ) -> None:
        super().__init__(config, vocab_config)
        self._model: KneserNey | None = None

    @property
    def model(self) -> KneserNey:
        if self._model is None:
            raise NotFittedError("the ngram model has not been fitted or loaded yet")
        return self._model

    def prob(self, token_id: int, context: Sequence[int] = ()) -> float:
        """``P(token_id | context)``, see :meth:`KneserNey.prob`."""
        return self.model.prob(token_id, context)

    def distribution(self, context: Sequence[int] = ()) -> list[float]:
        """Next-token probabilities for every vocabulary id, see :meth:`KneserNey.distribution`."""
        return self.model.distribution(context)

    def _build(self, counts: Mapping[tuple[int, ...], int]) -> None:
        vocab, cfg = self.vocab, self.config
        self._model = KneserNey(
            counts,
            order=cfg.order,
            vocab_size=len(vocab),
            pad_id=vocab.pad_id,
            eos_id=vocab.eos_id,
            discount=cfg.discount,
            modified=cfg.modified,
        )

    def _fit_ids(self, ids: list[int]) -> None:
        self._build(count_ngrams(ids, self.config.order, self.vocab.eos_id))

    def _nll_of_ids(self, ids: list[int]) -> float:
        return self.model.nll(ids)

    def generate(
        self,
        prompt: str,
        *,
        max_tokens: int = 50,
        sampling: SamplingConfig = GREEDY,
        num_samples: int = 1,
        seed: int = 0,
        stop_at_eos: bool = False,
    ) -> list[Sample]:
        """Sample token by token from the smoothed distribution (never ``<unk>``/``<pad>``)."""
        return _generate(
            self,
            self.model.distribution,
            self.config.order - 1,
            prompt,
            max_tokens=max_tokens,
            sampling=sampling,
            num_samples=num_samples,
            seed=seed,
            stop_at_eos=stop_at_eos,
        )

    def _tables_to_json(self) -> dict[str, Any]:
        # Only the top-order counts: every other table is derived from them on load.
        counts = {" ".join(map(str, gram)): c for gram, c in self.model.counts.items()}
        return {"order": self.config.order, "counts": counts}

    def _tables_from_json(self, data: dict[str, Any]) -> None:
        if data["order"] != self.config.order:
            raise ValueError(f"model.json has order {data['order']}, config {self.config.order}")
        self._build({tuple(map(int, k.split())): int(c) for k, c in data["counts"].items()})

    def _describe_state(self) -> dict[str, Any]:
        return {
            "order": self.config.order,
            "ngrams_per_order": self.model.num_ngrams(),
            "discounts": [list(d) for d in self.model.discounts],
        }
