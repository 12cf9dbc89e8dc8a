"""Drivers of the exercises that build and run the whole network: the model's constructor and
zero state (Exercise 3), the training loop (5), the decoding loop (8) and loop detection (11).

The loops are driven with stand-ins written here (a recording ``step``, a
``choose`` that is plain arg-max or a seeded draw, a ``get_batch`` that knows
only the driver's own windows), so a bug in another exercise never costs these
points. No stand-in is a module-level name: each exists for one driver call,
so a submission cannot import one to answer an exercise.
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable, Iterator
from typing import Any

from .inputs import stand_in_lm, tiny_rnn
from .wire import submission


def _network_build(vocab: int, config: dict[str, Any]) -> Any:
    """Exercise 3: what the submission's constructor built, described as data."""
    from torch import nn

    network = submission("lab.neural.network")
    config_module = submission("lab.neural.config")
    model = network.RNNLanguageModel(vocab, config_module.ModelConfig(**config))
    rnn = model.rnn
    return {
        "state": {k: list(v.shape) for k, v in model.state_dict().items()},
        "parameters": sum(p.numel() for p in model.parameters()),
        "rnn": type(rnn).__name__,
        "rnn_options": [rnn.input_size, rnn.hidden_size, rnn.num_layers, float(rnn.dropout)],
        "time_first": not rnn.batch_first,
        "tied": model.decoder.weight is model.embedding.weight,
        "dropout": [float(m.p) for m in model.modules() if isinstance(m, nn.Dropout)],
        "kept": [model.vocab_size, model.config == config_module.ModelConfig(**config)],
    }


def _network_init_hidden(vocab: int, config: dict[str, Any], batch: int) -> Any:
    network = submission("lab.neural.network")
    config_module = submission("lab.neural.config")
    model = network.RNNLanguageModel(vocab, config_module.ModelConfig(**config))
    state = model.init_hidden(batch)
    return {
        "kind": type(state).__name__,
        "state": list(state) if isinstance(state, tuple) else state,
    }


@contextlib.contextmanager
def _windows_of(source: Any, bptt: int) -> Iterator[Any]:
    """The submission's ``lab.neural.epoch`` with Exercise 2's ``get_batch`` replaced, for
    this call only, by a stand-in that knows only ``source``'s own windows (cut here by
    ``split``, not by Exercise 2's arithmetic), however the loop refers to it (imported
    name or ``batching.get_batch``). Asked anything else, or after the call, it raises:
    a stand-in that scores nothing when a submission calls it from its own code."""
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


def _generate_ids(
    vocab: int,
    prompt: list[int],
    max_tokens: int,
    num_samples: int = 1,
    stop_id: int | None = None,
    seed: int = 0,
    sample_seed: int | None = None,
    record: bool = False,
) -> Any:
    """Exercise 8: the submission's loop on a seeded network with arg-max (or, given
    ``sample_seed``, seeded sampling) as ``choose``; optionally records every model call."""
    import torch

    generation = submission("lab.neural.generation")
    model = stand_in_lm(vocab, seed)
    calls: list[list[int]] = []
    forward = model.forward

    def recording(tokens: Any, hidden: Any = None) -> Any:
        calls.append([*tokens.shape, int(hidden is None)])
        return forward(tokens, hidden)

    if record:
        model.forward = recording
    gen = torch.Generator().manual_seed(sample_seed) if sample_seed is not None else None

    def choose(logits: Any) -> Any:
        if gen is None:
            return logits.argmax(dim=-1)
        return torch.multinomial(torch.softmax(logits, -1), 1, generator=gen).view(-1)

    with torch.inference_mode():
        out = generation.generate_ids(
            model, prompt, max_tokens, choose, num_samples=num_samples, stop_id=stop_id
        )
    return {"ids": out, "calls": calls}


def _detect_loop(sample: list[str], **options: Any) -> Any:
    found = submission("lab.evaluation.metrics").detect_loop(sample, **options)
    return None if found is None else [found.period, found.onset, found.span]


DRIVERS: dict[str, Callable[..., Any]] = {
    "network.build": _network_build,
    "network.init_hidden": _network_init_hidden,
    "epoch.train_epoch": _train_epoch,
    "epoch.learns": _train_epoch_learns,
    "generation.generate_ids": _generate_ids,
    "metrics.detect_loop": _detect_loop,
}
