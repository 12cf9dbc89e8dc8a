"""Options of the pretrained-model kind: which model, its window, and the shared training section.

Frozen dataclasses as :mod:`lab.neural.config`'s, whose :class:`TrainConfig` the
kind shares (``--lr``, ``--max-tokens``, ``--patience`` mean the same for every
network). No torch and no ``transformers`` at import.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from lab.models.config import option, require
from lab.neural.config import TrainConfig
from lab.transformer.config import require_window_fits

#: The hub's name of the smallest GPT-2 (124M parameters); ``gpt2`` names it too.
DEFAULT_MODEL = "openai-community/gpt2"


@dataclass(frozen=True)
class PretrainedSource:
    """Where the pretrained model comes from, and how much of its context to use.

    ``pretrained`` is a HuggingFace hub name (read from the local cache when
    offline) or a local folder holding ``config.json``, ``model.safetensors`` and
    the tokenizer's files (what ``save_pretrained`` writes). ``block_size`` is
    the context window in BPE tokens, at most the model's own (1,024 for GPT-2):
    a shorter one costs less per token on a CPU; generation beyond it slides.
    """

    pretrained: str = option(
        DEFAULT_MODEL, "pretrained causal LM: a HuggingFace hub name or a local folder"
    )
    block_size: int = option(
        64, "context window in tokens (transformer); generation beyond it slides the window"
    )

    def __post_init__(self) -> None:
        require(bool(self.pretrained.strip()), "pretrained must name a model or a folder")
        require(self.block_size >= 2, "block_size must be >= 2")


@dataclass(frozen=True)
class FineTuneConfig:
    """Everything that defines the fine-tuned generator besides its (fixed) vocabulary.

    A training window (``train.bptt``) is read in one pass, so it may not be
    longer than the context window (``model.block_size``).
    """

    model: PretrainedSource = field(default_factory=PretrainedSource)
    train: TrainConfig = field(default_factory=TrainConfig)

    def __post_init__(self) -> None:
        require_window_fits(self.train, self.model.block_size)
