"""Kneser-Ney n-gram generator: :class:`baselines.kneser_ney.KneserNey` behind the
:class:`lab.models.base.GeneratorBase`.

Fitting counts the n-grams of the training stream (each token with its
sentence context, see :mod:`baselines.ngram_counts`); scoring and generation
use the interpolated Kneser-Ney probabilities described in
:mod:`baselines.kneser_ney` (modified Kneser-Ney by default, one plain discount
with ``modified=False``). Generation
draws token by token from the full smoothed distribution, so even words never
seen in this context can appear (but never ``<unk>`` or ``<pad>``).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from baselines.count_model import MODEL_FILE, CountGenerator
from baselines.counts_json import counts_from_json, counts_to_json
from baselines.kneser_ney import MAX_ORDER, KneserNey, count_ngrams
from lab.models.config import option, require
from lab.storage.files import write_text_atomic

__all__ = ["KneserNey", "NGramConfig", "NGramGenerator", "count_ngrams"]


@dataclass(frozen=True)
class NGramConfig:
    """An interpolated Kneser-Ney model of ``order`` 1-5 (3 = trigram).

    ``modified`` (the default, as in SRILM's ``-kndiscount`` and KenLM): three
    discounts per order estimated from the count-of-counts; ``discount``: the plain
    absolute discount in (0, 1] used with ``modified=False`` (and as the fallback
    for an order whose counts are too few to estimate from). Tokenizer and vocabulary settings
    are a :class:`lab.models.config.VocabConfig` passed beside it.
    """

    order: int = option(3, "n-gram order, 1-5 (3 = trigram)")
    discount: float = option(
        0.75, "plain Kneser-Ney discount D, in (0, 1] (with --no-modified, or as fallback)"
    )
    modified: bool = option(
        True,
        "modified Kneser-Ney: three discounts per order, estimated from the counts "
        "(--no-modified: one plain discount)",
    )

    def __post_init__(self) -> None:
        require(1 <= self.order <= MAX_ORDER, f"order must be 1..{MAX_ORDER}, not {self.order}")
        require(0 < self.discount <= 1, f"discount must be in (0, 1], not {self.discount}")


class NGramGenerator(CountGenerator[NGramConfig]):
    """Kneser-Ney n-gram :class:`lab.models.base.GeneratorBase` over the shared word vocabulary.

    >>> from lab.models.config import VocabConfig
    >>> lm = NGramGenerator(NGramConfig(order=2), VocabConfig(min_freq=1))
    >>> _ = lm.fit("The cat sat. The cat ran.")
    >>> lm.generate("The", max_tokens=1)[0].tokens
    ('cat',)
    """

    _model: KneserNey | None = None

    @property
    def model(self) -> KneserNey:
        """The Kneser-Ney probabilities (after ``fit`` or ``load``)."""
        return self._fitted(self._model)

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

    def _token_nlls_of_ids(self, ids: list[int]) -> list[float]:
        return self.model.token_nlls(ids)

    def _next_distribution(self, context: tuple[int, ...]) -> Sequence[float] | np.ndarray:
        """The full smoothed distribution, so even words never seen in this context appear."""
        return self.model.distribution_array(context)

    def _context_size(self) -> int:
        return self.config.order - 1

    def _tables_to_json(self) -> dict[str, Any]:
        # Only the top-order counts: every other table is derived from them on load.
        counts = {" ".join(map(str, gram)): c for gram, c in self.model.counts.items()}
        return {"order": self.config.order, "counts": counts}

    def _save_state(self, directory: Path) -> None:
        """:meth:`_tables_to_json`'s JSON, formatted from the count arrays directly:
        a dict of a million key strings would be the biggest thing a fit holds."""
        text = counts_to_json(self.config.order, self.model.counts)
        write_text_atomic(directory / MODEL_FILE, text)

    def _tables_from_json(self, data: dict[str, Any]) -> None:
        if data["order"] != self.config.order:
            raise ValueError(f"model.json has order {data['order']}, config {self.config.order}")
        self._build(counts_from_json(data, order=self.config.order, eos_id=self.vocab.eos_id))

    def _describe_state(self) -> dict[str, Any]:
        return {
            "order": self.config.order,
            "ngrams_per_order": self.model.num_ngrams(),
            "discounts": [list(d) for d in self.model.discounts],
        }
