"""One pass over the training stream: the truncated-BPTT loop.

:func:`lab.neural.training.train_model` wraps this loop with what a real run
needs (validation, checkpoints, budgets, learning-rate decay); the loop
itself is the part of the lesson worth writing by hand: walk the batched
stream window by window and carry the recurrent state from each window into
the next, so every column reads as one long text while the gradient still
stops at each window boundary (``step`` detaches the state it is given).
"""

from __future__ import annotations

from collections.abc import Callable

from torch import Tensor

from lab.neural.batching import get_batch
from lab.neural.network import Hidden

StepFn = Callable[[Tensor, Tensor, Hidden], tuple[float, Hidden]]
"""``step(x, y, hidden) -> (mean loss, new state)``: one update, e.g. Exercise 4's
``train_step`` with its model, optimizer and clip bound."""

OnBatch = Callable[[float, int], bool]
"""``on_batch(loss, tokens) -> stop?``: called after every window."""


def train_epoch(
    source: Tensor,
    bptt: int,
    step: StepFn,
    hidden: Hidden,
    on_batch: OnBatch | None = None,
) -> tuple[float, int]:
    """Train on every window of ``source`` (``(rows, batch)``, from :func:`batchify`) once.

    Returns ``(total loss in nats, target tokens)`` over the windows trained,
    so ``total / tokens`` is the epoch's token-weighted mean loss (the last
    window may be shorter than ``bptt``, and must weigh less).

    Exercise 5: for each window start ``i = 0, bptt, 2*bptt, ...`` while
    ``i < source.size(0) - 1``: take ``x, y = get_batch(source, i, bptt)``
    (Exercise 2's function, imported in this module), call
    ``loss, hidden = step(x, y, hidden)`` with the state the *previous*
    window returned (the given ``hidden`` for the first window; never a
    fresh one), add ``loss`` times the number of targets in ``y``; then,
    if ``on_batch`` is given, call ``on_batch(loss, y.numel())`` and stop
    after this window if it returns true (a budget ran out, or the loss
    became NaN).
    """
    # BEGIN SOLUTION
    total, tokens = 0.0, 0
    for i in range(0, source.size(0) - 1, bptt):
        x, y = get_batch(source, i, bptt)
        loss, hidden = step(x, y, hidden)
        total += loss * y.numel()
        tokens += y.numel()
        if on_batch is not None and on_batch(loss, y.numel()):
            break
    return total, tokens
    # END SOLUTION
