"""Device choice: CPU everywhere, a GPU when there is one."""

from __future__ import annotations

import contextlib
import os
import warnings
from collections.abc import Iterator

import torch

from lab.errors import LabError


def resolve_device(name: str = "auto") -> torch.device:
    """``auto`` picks CUDA, then Apple MPS, then CPU; anything else is checked."""
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


def configure_cpu_threads(num_threads: int | None) -> None:
    """Set intra-op threads deliberately and flush denormals, which otherwise can
    slow recurrent nets badly (pytorch#23862).

    ``None`` means :func:`default_threads`. The measurement behind it
    (``python -m benchmarks --only threads``): on a quiet 2-core machine 2 threads
    train 1.67x as fast as 1, but threads beyond the cores, as with 2 torchrun
    processes of 2 threads each, ran 1.7x *slower* than 1 thread. So every
    usable core, shared out among the processes on this machine, and never more.
    """
    if num_threads is not None and num_threads < 1:
        raise LabError("--num-threads must be >= 1")
    torch.set_num_threads(num_threads or default_threads())
    torch.set_flush_denormal(True)


def default_threads() -> int:
    """The cores this process may run on (its CPU affinity, which containers and
    ``taskset`` narrow), divided among torchrun's processes on this node."""
    try:
        cores = len(os.sched_getaffinity(0))
    except AttributeError:  # not on Linux
        cores = os.cpu_count() or 1
    local = os.environ.get("LOCAL_WORLD_SIZE", "1")
    processes = int(local) if local.isdigit() and int(local) > 0 else 1
    return max(1, cores // processes)


@contextlib.contextmanager
def step_decoding() -> Iterator[None]:
    """Disable oneDNN for batch-1 / step-by-step RNN work: its LSTM is several
    times slower there (``benchmarks/decoding_speed.py`` measured 1.9x at batch 1
    and 2.8x at batch 15 on a 2-core CPU). Silences the harmless TF32 notice
    torch prints when the flag is toggled."""
    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", message="TF32 acceleration on top of oneDNN")
        with torch.backends.mkldnn.flags(enabled=False):
            yield
