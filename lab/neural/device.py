"""Device choice: CPU everywhere, a GPU when there is one."""

from __future__ import annotations

import contextlib
import warnings
from collections.abc import Iterator

import torch

from lab.cpu_share import (
    ThreadPlan,
    affinity_cpus,
    cgroup_quota,
    cpu_limit,
    env_threads,
    local_processes,
    plan_threads,
    read_machine,
)
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


def configure_cpu_threads(num_threads: int | None) -> ThreadPlan:
    """Set torch's threads to the CPU share actually available and flush denormals,
    which otherwise can slow recurrent nets badly (pytorch#23862); returns the plan.

    ``None`` means the ``TEXTGEN_LAB_THREADS`` environment variable if set, else
    :func:`lab.cpu_share.plan_threads` on this machine's readings: one thread per
    core that the affinity, the cgroup quota and other processes leave free. The
    measurements behind it: on a quiet 2-core machine 2 threads train 1.67x as fast
    as 1 (``python -m benchmarks --only threads``), but with other processes busy,
    2 threads ran 7-10x *slower* than 1 (``python -m benchmarks --only busy``).
    Inter-op threads are bounded once, before any parallel work (torch refuses a
    second setting, which is then kept).
    """
    if num_threads is not None and num_threads < 1:
        raise LabError("--num-threads must be >= 1")
    requested = num_threads or env_threads()
    if requested is None:
        plan = plan_threads(read_machine())
    else:
        plan = ThreadPlan(requested, 1, f"{requested} thread(s) as asked")
    torch.set_num_threads(plan.threads)
    with contextlib.suppress(RuntimeError):  # parallel work has started, or it was set already
        torch.set_num_interop_threads(plan.interop)
    torch.set_flush_denormal(True)
    return plan


def default_threads() -> int:
    """The CPUs this process may keep busy (its affinity, which containers and
    ``taskset`` narrow, capped by the cgroup quota), divided among torchrun's
    processes on this node; other processes' load is :func:`configure_cpu_threads`'s."""
    return cpu_limit(affinity_cpus(), cgroup_quota(), local_processes())


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
