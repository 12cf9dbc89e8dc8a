"""Drivers of the training-loop exercise (5), with stand-ins for Exercises 2 and 4.

The loop is driven with a ``get_batch`` that knows only the driver's own
windows and with recording (or really training) ``step`` functions, so a
bug in batching or in the training step never costs these points. Those
stand-ins answer Exercise 2's ``get_batch`` and Exercise 4's ``train_step``:
this module is never in the harness of a child serving either
(:data:`STANDS_IN_FOR`, :mod:`lab.grading.harness`).
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable, Iterator
from typing import Any

from .inputs import tiny_rnn
from .wire import submission

#: Exercise functions whose work a stand-in here does: kept from their exercise's children.
STANDS_IN_FOR = (
    ("lab/neural/batching.py", "get_batch"),
    ("lab/neural/training.py", "train_step"),
)


@contextlib.contextmanager
def _windows_of(source: Any, bptt: int) -> Iterator[Any]:
    """The submission's ``lab.neural.epoch`` with Exercise 2's ``get_batch`` replaced, for
    this call only, by a stand-in that knows only ``source``'s own windows (cut here by
    ``split``, not by Exercise 2's arithmetic), however the loop refers to it (imported
    name or ``batching.get_batch``). Asked anything else, or after the call, it raises; a
    child serving Exercise 2 has no copy of this module to call it from."""
    pairs = zip(source[:-1].split(bptt), source[1:].split(bptt), strict=True)
    windows = dict(zip(range(0, source.size(0) - 1, bptt), pairs, strict=True))
    live = [True]

    def stand_in(src: Any, i: int, step: int) -> tuple[Any, Any]:
        if not live[0] or src is not source or step != bptt or i not in windows:
            raise RuntimeError("the grader's stand-in for get_batch answers only its own driver")
        return windows[i]

    epoch, batching = submission("lab.neural.epoch"), submission("lab.neural.batching")
    own = getattr(epoch, "get_batch", None), batching.get_batch
    epoch.get_batch = batching.get_batch = stand_in
    try:
        yield epoch
    finally:
        live[0] = False
        epoch.get_batch, batching.get_batch = own


def _train_epoch(rows: int, batch: int, bptt: int, stop_after: int | None = None) -> Any:
    """Exercise 5: the submission's loop over a numbered stream, with a recording ``step``
    that returns a new state per call and a loss derived from its inputs."""
    import torch

    source = torch.arange(rows * batch, dtype=torch.long).view(rows, batch)
    calls: list[dict[str, Any]] = []
    batches: list[list[Any]] = []

    def step(x: Any, y: Any, hidden: Any) -> tuple[float, Any]:
        calls.append({"x": x.clone(), "y": y.clone(), "hidden": hidden.clone()})
        return float(x.float().mean()) / 10.0, torch.full_like(hidden, float(len(calls)))

    def on_batch(loss: float, tokens: int) -> bool:
        batches.append([loss, tokens])
        return stop_after is not None and len(batches) >= stop_after

    hidden = torch.full((1, batch, 2), -1.0)
    with _windows_of(source, bptt) as epoch:
        total, tokens = epoch.train_epoch(source, bptt, step, hidden, on_batch)
    return {"total": total, "tokens": tokens, "calls": calls, "batches": batches}


def _train_epoch_learns(epochs: int, lr: float, seed: int) -> Any:
    """Exercise 5: the submission's loop trains the stand-in model (Adam, fed gradients
    computed here by ``torch.autograd.grad``, not by Exercise 4's step) on a repeating
    stream; the per-epoch mean losses."""
    import torch

    torch.manual_seed(seed)
    model = tiny_rnn()
    params = list(model.parameters())
    optimizer = torch.optim.Adam(params, lr=lr)
    source = torch.tensor([0, 1, 2, 3, 4, 5, 6] * 12).view(4, 21).t().contiguous()

    def step(x: Any, y: Any, hidden: Any) -> tuple[float, Any]:
        logits, hidden = model(x, hidden.detach())
        nll = -logits.log_softmax(-1).gather(-1, y.unsqueeze(-1)).mean()
        for param, grad in zip(params, torch.autograd.grad(nll, params), strict=True):
            param.grad = grad
        optimizer.step()
        return float(nll), hidden

    means = []
    for _ in range(epochs):
        with _windows_of(source, 5) as epoch:
            total, tokens = epoch.train_epoch(source, 5, step, torch.zeros(1, 4, 5))
        means.append(total / tokens)
    return means


DRIVERS: dict[str, Callable[..., Any]] = {
    "epoch.train_epoch": _train_epoch,
    "epoch.learns": _train_epoch_learns,
}
