"""Configuration of the recurrent generators: the network's shape, how it trains, and
where it runs (device, CPU threads, ``torchrun`` processes).

The options are frozen dataclasses, validated on construction, saved as JSON
with every checkpoint (so sampling can rebuild the exact network) and turned
into CLI flags from their fields' help. The functions after them resolve the
``device`` and ``num_threads`` options and a ``torchrun`` job's place on this
machine. This module imports torch only inside those functions, so the
command line can list the options without loading it.
"""

from __future__ import annotations

import math
import os
import sys
from dataclasses import dataclass, field
from types import ModuleType
from typing import TYPE_CHECKING, Any, Literal

from lab.errors import LabError, OptionError
from lab.models.config import option

if TYPE_CHECKING:
    import torch
    from torch import nn

Cell = Literal["lstm", "gru", "rnn"]
Optimizer = Literal["adam", "adamw", "sgd"]
#: Why training stopped (``stop_reason``), as the report says it.
CONVERGED, EPOCHS, TOKEN_BUDGET, TIME_CAP = "converged", "epochs", "token budget", "time cap"
DIVERGED = "diverged"  # the loss became NaN or infinite


@dataclass(frozen=True)
class ModelConfig:
    """Shape of :class:`lab.neural.network.RNNLanguageModel`.

    ``tie_weights`` shares the embedding and output matrices (Press & Wolf
    2017): fewer parameters and better perplexity on small books; it needs
    ``embedding_dim == hidden_dim``.
    """

    cell: Cell = option("lstm", "recurrent cell")
    embedding_dim: int = option(200, "embedding size")
    hidden_dim: int = option(200, "hidden state size")
    num_layers: int = option(2, "stacked layers (recurrent layers, or transformer blocks)")
    dropout: float = option(0.3, "dropout probability")
    tie_weights: bool = option(True, "share embedding and output weights")
    adaptive_softmax: Literal["auto", "on", "off"] = option(
        "auto",
        "adaptive-softmax output layer (auto: for untied models of 5,000+ tokens); "
        "exact probabilities either way",
    )

    def __post_init__(self) -> None:
        if self.cell not in ("lstm", "gru", "rnn"):
            raise OptionError(f"cell must be lstm, gru or rnn, not {self.cell!r}")
        for name in ("embedding_dim", "hidden_dim", "num_layers"):
            if getattr(self, name) < 1:
                raise OptionError(f"{name} must be >= 1")
        if not (math.isfinite(self.dropout) and 0 <= self.dropout < 1):
            raise OptionError("dropout must be in [0, 1)")
        if self.adaptive_softmax not in ("auto", "on", "off"):
            raise OptionError(
                f"adaptive_softmax must be auto, on or off, not {self.adaptive_softmax!r}"
            )
        if self.adaptive_softmax == "on" and self.tie_weights:
            raise OptionError("the adaptive softmax cannot tie weights: pass --no-tie-weights")
        if self.tie_weights and self.embedding_dim != self.hidden_dim:
            raise OptionError(
                "tie_weights needs embedding_dim == hidden_dim "
                f"(got {self.embedding_dim} and {self.hidden_dim}); pass --no-tie-weights"
            )


@dataclass(frozen=True)
class TrainConfig:
    """Truncated-BPTT training over one contiguous token stream.

    The learning rate is multiplied by ``lr_decay`` whenever validation loss
    fails to improve; training stops after ``patience`` epochs without
    improvement, after ``max_tokens`` training tokens (a budget that means the
    same on every machine) or when ``max_minutes`` of wall time are used up
    (checked after every batch; machine-dependent, so presets do not use it),
    and the best epoch's weights are kept.
    """

    epochs: int = option(20, "maximum epochs")
    batch_size: int = option(20, "parallel streams per batch")
    bptt: int = option(35, "truncated-BPTT window (tokens)")
    lr: float = option(3e-3, "learning rate")
    optimizer: Optimizer = option("adam", "optimizer")
    clip: float = option(0.5, "gradient-norm clip")
    weight_decay: float = option(0.0, "L2 weight decay")
    lr_decay: float = option(0.5, "learning-rate factor when validation stalls")
    patience: int = option(3, "stop after this many epochs without improvement")
    max_tokens: int | None = option(
        None, "stop after this many training tokens: the same model on any machine"
    )
    max_minutes: float | None = option(
        None, "wall-clock cap on training, checked every batch (depends on the machine)"
    )
    valid_streams: int = option(
        10, "parallel streams of the per-epoch validation (reported scores use one)"
    )
    seed: int = option(0, "random seed (weights, dropout)")
    device: str = option("auto", "auto, cpu, cuda or mps")
    num_threads: int | None = option(
        None,
        "CPU threads for torch (default: $TEXTGEN_LAB_THREADS, else the cores that affinity, "
        "cgroup quota and other processes' load leave free, shared among torchrun processes)",
    )

    def __post_init__(self) -> None:
        for name in ("epochs", "batch_size", "bptt", "valid_streams"):
            if getattr(self, name) < 1:
                raise OptionError(f"{name} must be >= 1")
        for name in ("lr", "clip"):
            value = getattr(self, name)
            if not (math.isfinite(value) and value > 0):
                raise OptionError(f"{name} must be a positive number, not {value}")
        if not (math.isfinite(self.weight_decay) and self.weight_decay >= 0):
            raise OptionError(f"weight_decay must be >= 0, not {self.weight_decay}")
        if not 0 <= self.seed < 2**63:
            raise OptionError(f"seed must be between 0 and 2**63 - 1, not {self.seed}")
        if self.optimizer not in ("adam", "adamw", "sgd"):
            raise OptionError(f"optimizer must be adam, adamw or sgd, not {self.optimizer!r}")
        if not (math.isfinite(self.lr_decay) and 0 < self.lr_decay <= 1):
            raise OptionError("lr_decay must be in (0, 1]")
        if self.patience < 1:
            raise OptionError("patience must be >= 1")
        if self.max_minutes is not None and not (
            math.isfinite(self.max_minutes) and self.max_minutes > 0
        ):
            raise OptionError("max_minutes must be positive")
        if self.max_tokens is not None and self.max_tokens < 1:
            raise OptionError("max_tokens must be >= 1")

    def batches_left(self, epoch: int, tokens: int, per_epoch: int, world_size: int = 1) -> int:
        """Batches left in the budget after ``epoch`` epochs and ``tokens`` tokens: the
        remaining epochs, or the token budget if it ends first (for the progress bar)."""
        batches = max(0, self.epochs - epoch) * per_epoch
        if self.max_tokens is not None:
            per_batch = self.batch_size * self.bptt * world_size
            batches = min(batches, -(-max(0, self.max_tokens - tokens) // per_batch))
        return batches

    def budget_used(self, tokens: int, seconds: float) -> str:
        """The budget that ``tokens`` seen after ``seconds`` has used up, or ``""``. The token
        budget is the same on every machine; the clock is not, so under ``torchrun`` every
        rank must agree on it (one small all-reduce)."""
        if self.max_tokens is not None and tokens >= self.max_tokens:
            return TOKEN_BUDGET
        if self.max_minutes is not None and any_rank(seconds > 60 * self.max_minutes):
            return TIME_CAP
        return ""

    def make_optimizer(self, model: nn.Module) -> tuple[torch.optim.Optimizer, Any]:
        """Adam, AdamW or SGD over ``model``'s parameters, and the plateau schedule that decays its
        rate by ``lr_decay`` (``None`` for 1: ReduceLROnPlateau refuses a factor of 1)."""
        import torch

        kind = {"sgd": torch.optim.SGD, "adam": torch.optim.Adam, "adamw": torch.optim.AdamW}
        make = kind[self.optimizer]
        optimizer = make(model.parameters(), lr=self.lr, weight_decay=self.weight_decay)
        if self.lr_decay >= 1:
            return optimizer, None
        plateau = torch.optim.lr_scheduler.ReduceLROnPlateau
        return optimizer, plateau(optimizer, mode="min", factor=self.lr_decay, patience=0)


@dataclass(frozen=True)
class NeuralConfig:
    """Everything that defines a recurrent generator besides its vocabulary settings."""

    model: ModelConfig = field(default_factory=ModelConfig)
    train: TrainConfig = field(default_factory=TrainConfig)


# -- the device and CPU threads ------------------------------------------------------------


def resolve_device(name: str = "auto") -> torch.device:
    """``auto`` picks CUDA, then Apple MPS, then CPU; anything else is checked."""
    import torch

    if name == "auto":
        if torch.cuda.is_available():
            return torch.device("cuda")
        if torch.backends.mps.is_available():
            return torch.device("mps")
        return torch.device("cpu")
    try:
        device = torch.device(name)
    except RuntimeError:
        raise LabError(f"unknown device {name!r}; use auto, cpu, cuda or mps") from None
    if device.type == "cuda" and not torch.cuda.is_available():
        raise LabError("--device cuda was asked for but no CUDA GPU is available")
    if device.type == "mps" and not torch.backends.mps.is_available():
        raise LabError("--device mps was asked for but MPS is not available")
    return device


# -- data-parallel training across processes (torchrun) -----------------------------------
#
# One process per device (or per CPU socket/machine); each trains on its own
# ``batch_size`` columns of the token stream and DistributedDataParallel averages
# the gradients, so ``N`` processes with batch ``B`` take the same steps as one
# process with batch ``N * B``. Every process evaluates the same validation text
# with the same weights, so early-stopping decisions agree; only rank 0 writes
# checkpoints and prints. Without ``torchrun`` (no ``WORLD_SIZE`` in the
# environment) everything here is a no-op, and torch is imported only when a job
# is distributed: a process that never joined a group (every plain run, and every
# count model) need not load it to learn that.
#
#     torchrun --standalone --nproc_per_node 2 -m lab train --out runs/word


def _joined() -> ModuleType | None:
    """``torch.distributed`` if this process is in a process group, else ``None``; a
    process that never imported it cannot be in one."""
    dist = sys.modules.get("torch.distributed")
    if dist is None or not (dist.is_available() and dist.is_initialized()):
        return None
    return dist


@dataclass(frozen=True)
class DistContext:
    """This process's place in the job."""

    rank: int = 0
    world_size: int = 1
    local_rank: int = 0

    @property
    def is_main(self) -> bool:
        return self.rank == 0


def process_context() -> DistContext:
    """The running job's context (a single process when torch.distributed is not set up)."""
    dist = _joined()
    if dist is None:
        return DistContext()
    return DistContext(
        dist.get_rank(), dist.get_world_size(), int(os.environ.get("LOCAL_RANK", "0"))
    )


def join_process_group() -> DistContext:
    """Join the process group ``torchrun`` describes in the environment, if any.

    NCCL on CUDA (each process on GPU ``LOCAL_RANK``), gloo on the CPU.
    """
    if int(os.environ.get("WORLD_SIZE", "1")) <= 1:
        return process_context()
    import torch
    import torch.distributed as dist

    if not dist.is_available():
        return process_context()
    if not dist.is_initialized():
        local_rank = int(os.environ.get("LOCAL_RANK", "0"))
        if torch.cuda.is_available():
            torch.cuda.set_device(local_rank)
        dist.init_process_group(backend="nccl" if torch.cuda.is_available() else "gloo")
    return process_context()


def leave_process_group() -> None:
    """Leave the process group (at the end of a ``torchrun`` job)."""
    dist = _joined()
    if dist is not None:
        dist.destroy_process_group()


def any_rank(flag: bool) -> bool:
    """True on every rank if ``flag`` is true on any: decisions taken from local
    measurements (a wall-clock budget) must not split the job."""
    ctx = process_context()
    if ctx.world_size == 1:
        return flag
    import torch
    import torch.distributed as dist

    value = torch.tensor([int(flag)], device=_collective_device())
    dist.all_reduce(value, op=dist.ReduceOp.MAX)
    return bool(value.item())


def _collective_device() -> torch.device:
    import torch
    import torch.distributed as dist

    return torch.device("cuda") if dist.get_backend() == "nccl" else torch.device("cpu")
