"""Training and exact evaluation of :class:`~lab.neural.network.RNNLanguageModel`.

Training follows pytorch/examples ``word_language_model``: one batchified
stream, truncated BPTT with the hidden state carried (detached) across
windows, gradient clipping, validation every epoch, learning-rate decay on
plateau, early stopping, and the best epoch's weights kept. Evaluation is
token-weighted over the whole held-out stream with the state carried across
windows.
"""

from __future__ import annotations

import copy
import math
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any, cast

import torch
from torch import Tensor, nn
from torch.nn.parallel import DistributedDataParallel
from tqdm.auto import tqdm

from lab.errors import LabError
from lab.models.protocol import EpochRecord
from lab.models.scoring import perplexity
from lab.neural.batching import batchify, num_batches
from lab.neural.config import (  # why training stops
    CONVERGED,
    DIVERGED,
    EPOCHS,
    TIME_CAP,
    TrainConfig,
    any_rank,
    process_context,
)
from lab.neural.epoch import evaluate_nll, train_epoch
from lab.neural.network import AdaptiveRNNLanguageModel, Hidden, LanguageModel, detach_hidden

LossFn = Callable[[nn.Module, Tensor, Tensor, Hidden], tuple[Tensor, Hidden]]
"""``loss_fn(model, x, y, hidden) -> (mean loss, new state)``: the forward pass and
its loss, the one part of a training step that differs between output layers."""


@dataclass
class TrainerState:
    """Everything needed to resume training after the last finished epoch."""

    epoch: int = 0
    best_valid_nll: float = math.inf  # nats per token
    best_epoch: int = 0
    bad_epochs: int = 0
    history: list[EpochRecord] = field(default_factory=list)
    best_weights: dict[str, Tensor] | None = None
    optimizer: dict[str, Any] | None = None
    scheduler: dict[str, Any] | None = None
    rng: Tensor | None = None
    elapsed_seconds: float = 0.0
    tokens: int = 0  # training tokens seen (all processes together)
    stop_reason: str = ""

    def to_dict(self) -> dict[str, Any]:
        """Plain tensors/numbers/lists only, so ``torch.load(weights_only=True)`` reads it."""
        return dict(self.__dict__)

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> TrainerState:
        return cls(**{k: v for k, v in data.items() if k in cls.__dataclass_fields__})


@dataclass(frozen=True)
class TrainOutcome:
    state: TrainerState
    stopped_early: bool
    seconds: float

    @property
    def still_improving(self) -> bool:
        """The last epoch was the best: more training would probably have helped."""
        return self.state.epoch > 0 and self.state.best_epoch == self.state.epoch


def next_token_loss(
    model: nn.Module, x: Tensor, y: Tensor, hidden: Hidden | None
) -> tuple[Tensor, Hidden]:
    """The mean cross-entropy (nats per token) of ``model``'s predictions for the
    targets ``y`` (``(T, B)``) after reading ``x`` from ``hidden``, and the new state.

    Exercise 4: run the model on ``x`` from ``hidden``; the loss is the mean
    cross-entropy of the logits ``(T, B, V)``, flattened to one row per
    position, against ``y`` flattened the same way.
    """
    # BEGIN SOLUTION
    logits, hidden = model(x, hidden)
    loss = nn.functional.cross_entropy(logits.view(-1, logits.size(-1)), y.reshape(-1))
    return loss, hidden
    # END SOLUTION


def train_step(
    model: nn.Module,
    x: Tensor,
    y: Tensor,
    hidden: Hidden,
    optimizer: torch.optim.Optimizer,
    clip: float,
    *,
    loss_fn: LossFn = next_token_loss,
) -> tuple[float, Hidden]:
    """One truncated-BPTT update on inputs ``x`` and targets ``y`` (both ``(T, B)``).

    The state carried in from the previous window is detached first, so the
    gradient stops at the window boundary instead of running back through
    the whole history; clipping the gradient norm keeps an exploding
    gradient from wrecking the weights. Returns the mean loss (nats per
    token) and the new state to carry into the next window. ``loss_fn``
    computes the loss: :func:`next_token_loss`, or the adaptive softmax's
    :func:`head_loss`, which never builds the full distribution.

    Exercise 4: detach ``hidden``, zero the gradients, ``loss, hidden =
    loss_fn(model, x, y, hidden)``, backward, clip the gradient norm to
    ``clip``, step the optimizer; return the loss as a float and the state.
    """
    # BEGIN SOLUTION
    hidden = detach_hidden(hidden)
    optimizer.zero_grad(set_to_none=True)
    loss, hidden = loss_fn(model, x, y, hidden)
    loss.backward()
    nn.utils.clip_grad_norm_(model.parameters(), clip)
    optimizer.step()
    return loss.item(), hidden
    # END SOLUTION


def head_loss(model: nn.Module, x: Tensor, y: Tensor, hidden: Hidden) -> tuple[Tensor, Hidden]:
    """The loss of an :class:`~lab.neural.network.AdaptiveRNNLanguageModel`, through its
    head and the targets' clusters only (:func:`next_token_loss` would ask it for the
    full distribution, the cost it exists to avoid); through ``forward``, so that
    DistributedDataParallel sees the computation."""
    loss, hidden = model(x, hidden, y)
    return loss, hidden


def train_model(
    model: LanguageModel,
    train_ids: Sequence[int],
    valid_ids: Sequence[int] | None,
    config: TrainConfig,
    *,
    device: torch.device,
    state: TrainerState | None = None,
    progress: bool = True,
    on_epoch_end: Callable[[TrainerState, bool], None] | None = None,
    loss_fn: LossFn | None = None,
) -> TrainOutcome:
    """Train ``model`` in place; on return it holds the best epoch's weights.

    ``on_epoch_end(state, improved)`` is called after each epoch (to save a
    checkpoint); passing a ``state`` from an earlier run resumes it. Call
    this inside ``torch.random.fork_rng`` after seeding, so dropout noise is
    reproducible without touching the caller's global RNG. ``loss_fn`` is
    :func:`train_step`'s hook (by default the model's own loss).

    Under ``torchrun`` each process takes its own ``batch_size`` columns of
    the stream and gradients are averaged (:mod:`lab.neural.config`).
    """
    state = state or TrainerState()
    ctx = process_context()
    width = config.batch_size
    columns = batchify(train_ids, width * ctx.world_size)
    source = columns[:, ctx.rank * width : (ctx.rank + 1) * width].contiguous().to(device)
    # DDP averages gradients across processes; it syncs rank 0's weights on wrapping.
    net: nn.Module = DistributedDataParallel(model) if ctx.world_size > 1 else model
    optimizer, scheduler = config.make_optimizer(model)
    if state.optimizer is not None:
        optimizer.load_state_dict(state.optimizer)
    if state.scheduler is not None and scheduler is not None:
        scheduler.load_state_dict(state.scheduler)
    if state.rng is not None:
        torch.set_rng_state(state.rng)
    if loss_fn is None:  # the model's own: the adaptive softmax's head, or Exercise 4's
        loss_fn = head_loss if isinstance(model, AdaptiveRNNLanguageModel) else next_token_loss
    started = time.perf_counter() - state.elapsed_seconds
    stopped_early = False
    # Empty until training really ends: a checkpoint saved mid-run must not claim a stop.
    state.stop_reason = ""
    # One bar for the whole run, its total the budget, so its estimate is the time left.
    planned = config.batches_left(
        state.epoch, state.tokens, num_batches(source, config.bptt), ctx.world_size
    )
    session, done_batches = time.perf_counter(), 0
    # disable=None: off when stderr is not a terminal.
    bar = tqdm(total=planned, unit="batch", disable=None if progress else True, leave=False)

    while state.epoch < config.epochs:
        model.train()
        bar.set_description(f"epoch {state.epoch + 1}/{config.epochs}")
        budget_hit, loss = "", 0.0

        def on_batch(batch_loss: float, tokens: int, bar: Any = bar) -> bool:
            nonlocal budget_hit, loss, done_batches
            loss = batch_loss
            done_batches += 1
            state.tokens += tokens * ctx.world_size
            bar.update(1)
            bar.set_postfix(loss=f"{loss:.3f}")
            if not math.isfinite(loss):  # NaN/inf: the weights are ruined from here on
                budget_hit = DIVERGED
            else:  # budgets are checked every batch, so one long epoch cannot overrun them
                budget_hit = config.budget_used(state.tokens, time.perf_counter() - started)
            return bool(budget_hit)

        epoch_loss, epoch_tokens = train_epoch(
            source,
            config.bptt,
            lambda x, y, h: train_step(
                net, x, y, cast(Hidden, h), optimizer, config.clip, loss_fn=loss_fn
            ),
            model.init_hidden(config.batch_size),
            on_batch,
        )

        state.epoch += 1
        if budget_hit == DIVERGED:
            state.stop_reason = DIVERGED
            stopped_early = True
            if state.best_weights is None:
                raise LabError(
                    f"training diverged (the loss became {loss}) before any epoch finished; "
                    "lower --lr or --clip"
                )
            state.epoch -= 1  # the broken epoch is not kept; the last good weights are
            break
        train_nll = epoch_loss / max(epoch_tokens, 1)
        if valid_ids is not None and len(valid_ids) > 1:
            total, count = evaluate_nll(
                model, valid_ids, device=device, streams=config.valid_streams
            )
            valid_nll = total / count
        else:  # no held-out text: select on training loss
            valid_nll = train_nll
        improved = valid_nll < state.best_valid_nll - 1e-6
        if improved:
            state.best_valid_nll, state.best_epoch, state.bad_epochs = valid_nll, state.epoch, 0
            state.best_weights = copy.deepcopy(model.state_dict())
        else:
            state.bad_epochs += 1
        if scheduler is not None:
            scheduler.step(valid_nll)
        state.elapsed_seconds = time.perf_counter() - started
        state.history.append(
            EpochRecord(
                epoch=state.epoch,
                train_nll=train_nll,
                valid_nll=valid_nll,
                valid_ppl=perplexity(valid_nll, 1),
                lr=optimizer.param_groups[0]["lr"],
                seconds=state.elapsed_seconds,
            )
        )
        if progress:
            tqdm.write(
                f"epoch {state.epoch:3d} | train ppl {perplexity(train_nll, 1):8.2f} | "
                f"valid ppl {perplexity(valid_nll, 1):8.2f} | "
                f"lr {optimizer.param_groups[0]['lr']:.2e} | {state.elapsed_seconds:6.1f}s"
                + _time_left(planned, done_batches, time.perf_counter() - session)
                + (" *" if improved else "")
            )
        state.optimizer = optimizer.state_dict()
        state.scheduler = scheduler.state_dict() if scheduler is not None else None
        state.rng = torch.get_rng_state()
        # Decided before the checkpoint, so the last one saved says why training ended.
        converged = state.bad_epochs >= config.patience
        stop = any_rank(converged or bool(budget_hit))
        if stop:
            stopped_early = True
            state.stop_reason = budget_hit or (CONVERGED if converged else TIME_CAP)
        elif state.epoch >= config.epochs:
            state.stop_reason = EPOCHS
        if on_epoch_end is not None:
            on_epoch_end(state, improved)
        if stop:
            break
    bar.close()
    if not state.stop_reason and state.epoch >= config.epochs:  # resumed after its last epoch
        state.stop_reason = EPOCHS

    if state.best_weights is not None:
        model.load_state_dict(state.best_weights)
    return TrainOutcome(state, stopped_early, time.perf_counter() - started)


def _time_left(planned: int, done: int, seconds: float) -> str:
    """`` | ~T left`` at the pace so far if the whole budget is used (early stopping may end
    sooner): the estimate for logs that are not a terminal, where the bar is off."""
    if done <= 0 or planned <= done:
        return ""
    left = (planned - done) * seconds / done
    return f" | ~{left / 60:.1f} min left" if left >= 60 else f" | ~{left:.0f}s left"
