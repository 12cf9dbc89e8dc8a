"""Word-LSTM training on a busy machine: N = 2 x cores busy processes against none.

On a shared machine (a lab server, a JupyterHub) other users' processes keep
the cores busy. With N of them on C cores, the CPU scheduler's fair share for
one more process is C/(N+1) cores, so training can at best reach about
1/(N+1) of its idle throughput on all C cores (a little more, since one thread
on an idle machine is already 1/1.7 of two). The issue's bound: at least half
of that fair share, with the threads :func:`lab.cpu_share.configure_cpu_threads`
chooses from the machine's readings (it must *see* the busy processes: they are
started a second before it reads the machine).

Each repeat measures, interleaved (the order flips every repeat): idle with
all usable cores (the reference), and with the N busy processes running,
training with the threads the policy chooses and, for information, with all
cores (what torch does by default) and with one thread. The busy processes are
plain ``while True`` loops started and stopped by this benchmark; they exit
by themselves if it dies. The machine may be shared with other jobs, which
is why idle and busy are measured in turn and only ratios are reported.
"""

from __future__ import annotations

import contextlib
import functools
import os
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import replace

import torch

from benchmarks.common import Result, median
from lab.cpu_share import affinity_cpus, cgroup_quota, configure_cpu_threads, cpu_limit
from lab.models import registry
from lab.neural.network import build_model
from lab.neural.training import train_model
from lab.text.corpora import load_corpus
from lab.text.tokenizers import WordTokenizer
from lab.text.vocabulary import Vocabulary

#: A busy process: spins until its parent (this benchmark) is gone.
SPIN = "import os\np = os.getppid()\nwhile os.getppid() == p:\n    for _ in range(10**6): pass\n"


@contextlib.contextmanager
def busy_processes(n: int, settle: float = 1.0) -> Iterator[list[subprocess.Popen[bytes]]]:
    """``n`` CPU-bound processes for the duration of the block (``settle`` seconds to start)."""
    procs = [
        subprocess.Popen([sys.executable, "-c", SPIN], stdin=subprocess.DEVNULL) for _ in range(n)
    ]
    try:
        time.sleep(settle)
        yield procs
    finally:
        for p in procs:
            p.kill()
        for p in procs:
            p.wait()


@functools.cache
def _alice() -> tuple[int, list[int]]:
    """Alice's training split as word ids on the compare's vocabulary (min_freq 2)."""
    tokens = WordTokenizer().tokenize(load_corpus("alice").split().train)
    vocab = Vocabulary.build(tokens, min_freq=2)
    return len(vocab), [vocab.eos_id, *vocab.encode(tokens)]


def train_rate(batches: int, seconds: float, threads: int | None) -> tuple[float, int]:
    """Training tokens/s of the compare's word LSTM (the registry defaults) for
    ``batches`` batches of 20x35 or ``seconds`` (whichever ends first: an
    oversubscribed run is many times slower), and the threads it ran on
    (``None``: the policy's)."""
    vocab_size, ids = _alice()
    config = registry.generator_class("word-lstm").from_options({}).config
    train = replace(
        config.train,
        epochs=1,
        max_tokens=batches * 20 * 35,
        max_minutes=seconds / 60,
        device="cpu",
    )
    configure_cpu_threads(threads)
    used = torch.get_num_threads()
    torch.manual_seed(0)
    model = build_model(vocab_size, config.model, torch.device("cpu"))
    start = time.perf_counter()
    outcome = train_model(model, ids, None, train, device=torch.device("cpu"), progress=False)
    return outcome.state.tokens / (time.perf_counter() - start), used


def busy(quick: bool, repeats: int) -> list[Result]:
    cores = cpu_limit(affinity_cpus(), cgroup_quota())
    n = 2 * cores
    fair = 1 / (n + 1)
    batches, seconds = (12, 6.0) if quick else (40, 20.0)
    before = torch.get_num_threads()
    runs: dict[str, list[float]] = {k: [] for k in ("idle", "idle 1", "chosen", "all", "one")}
    threads_chosen: list[int] = []
    loads: list[float] = []

    def measure(key: str, threads: int | None) -> None:
        rate, used = train_rate(batches, seconds, threads)
        runs[key].append(rate)
        if key == "chosen":
            threads_chosen.append(used)
            loads.append(os.getloadavg()[0])

    idle_steps = [("idle", cores), ("idle 1", 1)]
    busy_steps: list[tuple[str, int | None]] = [("chosen", None), ("all", cores), ("one", 1)]
    try:
        for r in range(repeats):
            for phase in ("idle", "busy") if r % 2 == 0 else ("busy", "idle"):
                if phase == "idle":
                    for key, threads in idle_steps[r % 2 :] + idle_steps[: r % 2]:
                        measure(key, threads)
                    continue
                with busy_processes(n):  # the policy must see them: started a second before
                    k = r % len(busy_steps)
                    for key, threads in busy_steps[k:] + busy_steps[:k]:
                        measure(key, threads)
    finally:
        torch.set_num_threads(before)
    # The idle reference is the better of all cores and one thread: on a machine that
    # other jobs already load, one thread is faster, and the bound must not be easier.
    best_idle = "idle" if median(runs["idle"]) >= median(runs["idle 1"]) else "idle 1"
    idle_threads = cores if best_idle == "idle" else 1
    ratio = median(runs["chosen"]) / median(runs[best_idle])
    shape = (
        f"word LSTM (compare's defaults: 2x200 tied, Adam) on Alice, 20x35, up to {batches} "
        f"batches or {seconds:g} s per run; {n} busy processes on {cores} usable cores; threads "
        f"chosen {sorted(set(threads_chosen))}; 1-min load average with them "
        f"{min(loads):.1f}-{max(loads):.1f}"
    )
    idle_note = (
        f"idle medians: {median(runs['idle']):,.0f} tokens/s with {cores} threads, "
        f"{median(runs['idle 1']):,.0f} with 1"
    )
    return [
        Result.timed(
            name=f"Word LSTM training, {n} busy processes vs idle",
            unit="tokens/s",
            reference_name=f"the same training with no busy processes, {idle_threads} thread(s) "
            f"(the faster of {cores} and 1)",
            target=0.5 * fair,
            ours_runs=runs["chosen"],
            reference_runs=runs[best_idle],
            notes=(
                f"{shape}; {idle_note}; fair share 1/(N+1) = {fair:.3f} of idle; measured "
                f"{ratio / fair:.2f}x the fair share (target >= 0.5x)"
            ),
            extra={
                "threads_chosen": threads_chosen,
                "load_averages": loads,
                "fair_share": fair,
                "ratio_to_fair_share": ratio / fair,
                "runs": runs,
            },
        ),
        Result.timed(
            name=f"Busy machine: chosen threads vs all {cores} cores",
            unit="tokens/s",
            reference_name=f"torch's default, {cores} threads, among the same busy processes",
            target=None,
            ours_runs=runs["chosen"],
            reference_runs=runs["all"],
            notes=shape,
        ),
        Result.timed(
            name="Busy machine: chosen threads vs 1 thread",
            unit="tokens/s",
            reference_name="1 thread among the same busy processes",
            target=None,
            ours_runs=runs["chosen"],
            reference_runs=runs["one"],
            notes=shape,
        ),
    ]
