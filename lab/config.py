"""Configuration dataclasses for the neural generators, one per concern.

They are frozen and validated on construction, saved as JSON with every
checkpoint (so sampling can rebuild the exact network) and turned into CLI
flags by :mod:`lab.commands.options`.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import asdict, dataclass, fields, replace
from typing import Any, Literal, TypeVar

from lab.errors import LabError

Cell = Literal["lstm", "gru", "rnn"]
Optimizer = Literal["adam", "sgd"]


@dataclass(frozen=True)
class ModelConfig:
    """Shape of :class:`lab.model.RNNLanguageModel`.

    ``tie_weights`` shares the embedding and output matrices (Press & Wolf
    2017): fewer parameters and better perplexity on small books; it needs
    ``embedding_dim == hidden_dim``.
    """

    cell: Cell = "lstm"
    embedding_dim: int = 200
    hidden_dim: int = 200
    num_layers: int = 2
    dropout: float = 0.3
    tie_weights: bool = True

    def __post_init__(self) -> None:
        if self.cell not in ("lstm", "gru", "rnn"):
            raise ValueError(f"cell must be lstm, gru or rnn, not {self.cell!r}")
        for name in ("embedding_dim", "hidden_dim", "num_layers"):
            if getattr(self, name) < 1:
                raise ValueError(f"{name} must be >= 1")
        if not 0 <= self.dropout < 1:
            raise ValueError("dropout must be in [0, 1)")
        if self.tie_weights and self.embedding_dim != self.hidden_dim:
            raise ValueError(
                "tie_weights needs embedding_dim == hidden_dim "
                f"(got {self.embedding_dim} and {self.hidden_dim}); pass --no-tie-weights"
            )


@dataclass(frozen=True)
class TrainConfig:
    """Truncated-BPTT training over one contiguous token stream.

    The learning rate is multiplied by ``lr_decay`` whenever validation loss
    fails to improve; training stops after ``patience`` epochs without
    improvement or when ``max_minutes`` of wall time are used up, and the
    best epoch's weights are kept.
    """

    epochs: int = 20
    batch_size: int = 20
    bptt: int = 35
    lr: float = 3e-3
    optimizer: Optimizer = "adam"
    clip: float = 0.5
    weight_decay: float = 0.0
    lr_decay: float = 0.5
    patience: int = 3
    max_minutes: float | None = None
    seed: int = 0
    device: str = "auto"
    num_threads: int | None = None

    def __post_init__(self) -> None:
        for name in ("epochs", "batch_size", "bptt"):
            if getattr(self, name) < 1:
                raise ValueError(f"{name} must be >= 1")
        if self.lr <= 0 or self.clip <= 0:
            raise ValueError("lr and clip must be positive")
        if self.optimizer not in ("adam", "sgd"):
            raise ValueError(f"optimizer must be adam or sgd, not {self.optimizer!r}")
        if not 0 < self.lr_decay <= 1:
            raise ValueError("lr_decay must be in (0, 1]")
        if self.patience < 1:
            raise ValueError("patience must be >= 1")
        if self.max_minutes is not None and self.max_minutes <= 0:
            raise ValueError("max_minutes must be positive")


@dataclass(frozen=True)
class VocabConfig:
    """Tokenizer and vocabulary settings: which tokens get their own id (the
    rest become ``<unk>``), case folding, and where word models put ``<eos>``
    (after each ``sentence`` of prose, or each ``line`` of pre-split text;
    character models ignore it)."""

    min_freq: int = 1
    max_size: int | None = None
    lowercase: bool = False
    eos: Literal["sentence", "line"] = "sentence"

    def __post_init__(self) -> None:
        if self.eos not in ("sentence", "line"):
            raise ValueError("eos must be 'sentence' or 'line'")
        if self.min_freq < 1:
            raise ValueError("min_freq must be >= 1")
        if self.max_size is not None and self.max_size < 4:
            raise ValueError("max_size must be >= 4")


@dataclass(frozen=True)
class NeuralConfig:
    """Everything that defines a neural generator, saved as ``config.json``."""

    model: ModelConfig = ModelConfig()
    train: TrainConfig = TrainConfig()
    vocab: VocabConfig = VocabConfig()

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> NeuralConfig:
        return cls(
            model=from_fields(ModelConfig, data.get("model", {})),
            train=from_fields(TrainConfig, data.get("train", {})),
            vocab=from_fields(VocabConfig, data.get("vocab", {})),
        )


T = TypeVar("T")


def from_fields(cls: type[T], data: dict[str, Any]) -> T:
    """Build dataclass ``cls`` from a dict, ignoring keys it does not know
    (so older checkpoints with retired options still load)."""
    names = {f.name for f in fields(cls)}  # type: ignore[arg-type]
    return cls(**{k: v for k, v in data.items() if k in names})


def apply_options(configs: Sequence[Any], options: dict[str, Any], *, kind: str) -> list[Any]:
    """Each of ``configs`` with the fields named in ``options`` replaced.

    This is how CLI flags (field name -> value) become a model's configuration;
    a value its dataclass rejects, or an option that no config of model
    ``kind`` has, is a :class:`~lab.errors.LabError` with a one-line message.
    """
    result: list[Any] = []
    used: set[str] = set()
    try:
        for config in configs:
            names = {f.name for f in fields(config)}
            mine = {k: v for k, v in options.items() if k in names}
            used |= mine.keys()
            result.append(replace(config, **mine))
    except ValueError as exc:
        raise LabError(str(exc)) from None
    unknown = set(options) - used
    if unknown:
        raise LabError(f"{kind} does not take {', '.join(sorted(unknown))}")
    return result
