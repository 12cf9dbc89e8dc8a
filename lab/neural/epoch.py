"""One pass over a token stream: the truncated-BPTT loop, for training and for scoring.

:func:`lab.neural.training.train_model` wraps this loop with what a real run
needs (validation, checkpoints, budgets, learning-rate decay); the loop
itself is the part of the lesson worth writing by hand: walk the batched
stream window by window and carry the recurrent state from each window into
the next, so every column reads as one long text while the gradient still
stops at each window boundary (``step`` detaches the state it is given).

Scoring walks held-out text with the same loop (:func:`evaluate_nll`,
:func:`token_nlls`), with a step that only measures: every reported score is
token-weighted over the whole stream with the state carried across windows,
as the definition of perplexity asks.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

import torch
from torch import Tensor, nn

from lab.neural.batching import batchify, get_batch
from lab.neural.network import Hidden, LanguageModel, step_decoding

#: Shortest stream of a parallel validation pass (see :func:`evaluate_nll`).
MIN_STREAM_TOKENS = 64

StepFn = Callable[[Tensor, Tensor, Hidden | None], tuple[float, Hidden]]
"""``step(x, y, hidden) -> (mean loss, new state)``: one update, e.g. Exercise 4's
``train_step`` with its model, optimizer and clip bound."""

OnBatch = Callable[[float, int], bool]
"""``on_batch(loss, tokens) -> stop?``: called after every window."""


def train_epoch(
    source: Tensor,
    bptt: int,
    step: StepFn,
    hidden: Hidden | None,
    on_batch: OnBatch | None = None,
) -> tuple[float, int]:
    """Train on every window of ``source`` (``(rows, batch)``, from :func:`batchify`) once.

    Returns ``(total loss in nats, target tokens)`` over the windows trained,
    so ``total / tokens`` is the epoch's token-weighted mean loss (the last
    window may be shorter than ``bptt``, and must weigh less). ``hidden`` is
    ``None`` for a zero state (how scoring starts).

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


def evaluate_nll(
    model: LanguageModel,
    ids: Sequence[int],
    *,
    device: torch.device,
    window: int = 256,
    streams: int = 1,
) -> tuple[float, int]:
    """Total NLL (nats) of the tokens of ``ids`` after the first, and their count.

    With one stream (the default: every reported score), every token is
    conditioned on the whole text before it, as in the definition of perplexity;
    the state is carried across windows of ``window`` tokens. With ``streams``
    > 1 the text is cut into that many contiguous streams scored side by side,
    each with its state carried over its whole length: a fraction of the steps,
    for the per-epoch validation that only has to rank epochs. Each stream's
    first token and a ragged tail of fewer than ``streams`` tokens go unscored
    (the count says how many were), and every stream is at least
    :data:`MIN_STREAM_TOKENS` long.
    """
    from lab.neural.training import next_token_loss  # training imports this module

    if len(ids) < 2:
        return 0.0, 0
    streams = max(1, min(streams, len(ids) // MIN_STREAM_TOKENS))
    data = batchify(ids, streams) if streams > 1 else _column(ids)

    def measure(x: Tensor, y: Tensor, hidden: Hidden | None) -> tuple[float, Hidden]:
        loss, hidden = next_token_loss(model, x, y, hidden)  # Exercise 4's loss, measured
        return loss.item(), hidden

    return _scoring_pass(model, data.to(device), window, measure)


def token_nlls(
    model: LanguageModel, ids: Sequence[int], *, device: torch.device, window: int = 256
) -> list[float]:
    """``-ln P(ids[t] | ids[:t])`` for every ``t >= 1`` (``ids[0]`` is the start context),
    in the windows :func:`evaluate_nll` scores, so they add up to the model's score (up
    to the rounding of a float32 sum)."""
    if len(ids) < 2:
        return []
    out: list[float] = []

    def measure(x: Tensor, y: Tensor, hidden: Hidden | None) -> tuple[float, Hidden]:
        logits, hidden = model(x, hidden)  # (T, 1, V): each target's log-probability
        logp = torch.log_softmax(logits, dim=-1).gather(-1, y.unsqueeze(-1))
        out.extend((-logp).flatten().tolist())
        return -float(logp.mean()), hidden

    _scoring_pass(model, _column(ids).to(device), window, measure)
    return out


def _column(ids: Sequence[int]) -> Tensor:
    """The whole text as one stream, ``(T, 1)``."""
    return torch.as_tensor(ids, dtype=torch.long).view(-1, 1)


def _scoring_pass(
    model: nn.Module, data: Tensor, window: int, measure: StepFn
) -> tuple[float, int]:
    """:func:`train_epoch` over ``data`` with ``measure`` as its step, in eval mode, no
    gradients, and the same kernels (oneDNN off) whenever we score, so a reloaded
    checkpoint reproduces the validation figure exactly."""
    was_training = model.training
    model.eval()
    with torch.inference_mode(), step_decoding():
        total, count = train_epoch(data, window, measure, None)
    model.train(was_training)
    return total, count
