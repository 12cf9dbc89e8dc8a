"""Options of the transformer: its shape, beside the LSTMs' :class:`TrainConfig`.

Frozen dataclasses, validated on construction and saved with every run, as
:mod:`lab.neural.config`'s (whose training section they share, so ``--lr``,
``--max-tokens`` or ``--patience`` mean the same for every network). No torch
at import: the command line lists these options without loading it.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

from lab.models.config import option, require
from lab.neural.config import TrainConfig


@dataclass(frozen=True)
class TransformerShape:
    """Shape of :class:`lab.transformer.model.TransformerLanguageModel`.

    ``embedding_dim`` is the width of the residual stream (split among
    ``num_heads`` heads); ``block_size`` is the context window: positions are
    learned for that many tokens, a training window is at most that long, and
    generation beyond it slides the window. The output layer is always the
    embedding matrix (tied), as in GPT-2 and nanoGPT.
    """

    embedding_dim: int = option(128, "embedding size")
    num_layers: int = option(4, "stacked layers (recurrent layers, or transformer blocks)")
    num_heads: int = option(4, "attention heads per layer (transformer)")
    block_size: int = option(
        64, "context window in tokens (transformer); generation beyond it slides the window"
    )
    dropout: float = option(0.1, "dropout probability")

    def __post_init__(self) -> None:
        for name in ("embedding_dim", "num_layers", "num_heads"):
            require(getattr(self, name) >= 1, f"{name} must be >= 1")
        require(self.block_size >= 2, "block_size must be >= 2")
        require(
            self.embedding_dim % self.num_heads == 0,
            f"embedding_dim {self.embedding_dim} must be a multiple of num_heads "
            f"{self.num_heads} (each head gets an equal share)",
        )
        require(math.isfinite(self.dropout) and 0 <= self.dropout < 1, "dropout must be in [0, 1)")


@dataclass(frozen=True)
class TransformerConfig:
    """Everything that defines the transformer generator besides its vocabulary settings.

    A training window (``train.bptt``) is read in one pass, so it may not be
    longer than the context window (``model.block_size``).
    """

    model: TransformerShape = field(default_factory=TransformerShape)
    train: TrainConfig = field(default_factory=TrainConfig)

    def __post_init__(self) -> None:
        require_window_fits(self.train, self.model.block_size)


def require_window_fits(train: TrainConfig, block_size: int) -> None:
    """A training window (``train.bptt``) is read in one pass of a model that sees at most
    ``block_size`` tokens: a longer one is an ``OptionError``."""
    require(
        train.bptt <= block_size,
        f"--bptt {train.bptt} is longer than the context window --block-size "
        f"{block_size}; a training window must fit in it",
    )
