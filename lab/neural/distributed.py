"""Data-parallel training across processes, launched with ``torchrun``.

One process per device (or per CPU socket/machine); each trains on its own
``batch_size`` columns of the token stream and DistributedDataParallel
averages the gradients, so ``N`` processes with batch ``B`` take the same
steps as one process with batch ``N * B``. Every process evaluates the same
validation text with the same weights, so early-stopping decisions agree;
only rank 0 writes checkpoints and prints. Without ``torchrun`` (no
``WORLD_SIZE`` in the environment) everything here is a no-op.

    torchrun --standalone --nproc_per_node 2 -m lab train --model word-lstm --out runs/word
"""

from __future__ import annotations

import os
import sys
from dataclasses import dataclass
from types import ModuleType
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import torch

# torch is imported only when a job is distributed: a process that never joined a
# group (every plain run, and every count model) need not load it to learn that.


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


def current() -> DistContext:
    """The running job's context (a single process when torch.distributed is not set up)."""
    dist = _joined()
    if dist is None:
        return DistContext()
    return DistContext(
        dist.get_rank(), dist.get_world_size(), int(os.environ.get("LOCAL_RANK", "0"))
    )


def init_from_env() -> DistContext:
    """Join the process group ``torchrun`` describes in the environment, if any.

    NCCL on CUDA (each process on GPU ``LOCAL_RANK``), gloo on the CPU.
    """
    if int(os.environ.get("WORLD_SIZE", "1")) <= 1:
        return current()
    import torch
    import torch.distributed as dist

    if not dist.is_available():
        return current()
    if not dist.is_initialized():
        local_rank = int(os.environ.get("LOCAL_RANK", "0"))
        if torch.cuda.is_available():
            torch.cuda.set_device(local_rank)
        dist.init_process_group(backend="nccl" if torch.cuda.is_available() else "gloo")
    return current()


def shutdown() -> None:
    """Leave the process group (at the end of a ``torchrun`` job)."""
    dist = _joined()
    if dist is not None:
        dist.destroy_process_group()


def any_rank(flag: bool) -> bool:
    """True on every rank if ``flag`` is true on any: decisions taken from local
    measurements (a wall-clock budget) must not split the job."""
    ctx = current()
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
