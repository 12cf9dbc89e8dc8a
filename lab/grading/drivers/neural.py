"""Drivers of the torch exercises: batching, the model's forward pass, the training step and
the top-k/top-p filters (each called directly: no stand-in here answers an exercise)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from .inputs import rnn_model, tiny_setup
from .wire import submission, tensor


def _batchify(data: Any, batch_size: int) -> Any:
    stream = tensor(data) if isinstance(data, dict) else data
    return submission("lab.neural.batching").batchify(stream, batch_size)


def _get_batch(source: Any, starts: list[int], bptt: int) -> Any:
    get_batch = submission("lab.neural.batching").get_batch
    src = tensor(source)
    return [list(get_batch(src, i, bptt)) for i in starts]


def _forward(
    vocab: int,
    dim: int,
    tokens: Any,
    seed: int = 0,
    dropout: float = 0.0,
    train: bool = False,
    manual_seed: int | None = None,
    split: int | None = None,
) -> Any:
    """Exercise 3: the submission's ``forward`` on a seeded model, whole or in two halves."""
    import torch

    model = rnn_model(vocab, dim, dropout, seed)
    model.train(train)
    x = tensor(tokens)
    if manual_seed is not None:
        torch.manual_seed(manual_seed)
    with torch.set_grad_enabled(train):
        if split is None:
            logits, hidden = model(x)
            return {"logits": logits, "hidden": list(hidden)}
        first, state = model(x[:split])
        second, _ = model(x[split:], state)
        fresh, _ = model(x[split:])
        return {"first": first, "second": second, "fresh": fresh}


def _train_step(
    seed: int,
    lr: float,
    clip: float,
    decoder_scale: float = 1.0,
    stale_grad: float | None = None,
    carried: bool = False,
) -> Any:
    """Exercise 4: one ``train_step`` on the stand-in model; returns everything observable."""
    import torch

    train_step = submission("lab.neural.training").train_step
    model, x, y, hidden, previous_x = tiny_setup(seed, decoder_scale)
    if carried:  # the state a previous window computed, still attached to its graph
        _, hidden = model(previous_x, hidden)
    if stale_grad is not None:
        for param in model.parameters():
            param.grad = torch.full_like(param, stale_grad)
    optimizer = torch.optim.SGD(model.parameters(), lr=lr)
    loss, state = train_step(model, x, y, hidden, optimizer, clip=clip)
    return {
        "loss": loss,
        "loss_type": type(loss).__name__,
        "state": state,
        "params": dict(model.named_parameters()),
    }


def _top_k(logits: Any, k: int) -> Any:
    given = tensor(logits)
    out = submission("lab.neural.decoding").top_k_filter(given, k)
    return {"out": out, "input_after": given}


def _top_p(logits: Any, p: float) -> Any:
    given = tensor(logits)
    out = submission("lab.neural.decoding").top_p_filter(given, p)
    return {"out": out, "input_after": given}


DRIVERS: dict[str, Callable[..., Any]] = {
    "batching.batchify": _batchify,
    "batching.get_batch": _get_batch,
    "network.forward": _forward,
    "training.train_step": _train_step,
    "decoding.top_k_filter": _top_k,
    "decoding.top_p_filter": _top_p,
}
