"""Drivers of the exercises that build and run the whole network: the model's constructor and
zero state (Exercise 3), the decoding loop (8) and loop detection (11).

The decoding loop is driven with a stand-in network (:func:`.inputs.stand_in_lm`)
and a ``choose`` that is plain arg-max or a seeded draw, so a bug in Exercise 3
or 6 never costs its points. ``choose`` does part of Exercise 6's
``next_token``: this module is never in the harness of a child serving
Exercise 6 (:data:`STANDS_IN_FOR`, :mod:`lab.grading.harness`). No stand-in is
a module-level name either: each exists for one driver call.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from .inputs import stand_in_lm
from .wire import submission

#: Exercise functions whose work a stand-in here does: kept from their exercise's children.
STANDS_IN_FOR = (("lab/neural/decoding.py", "next_token"),)


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
    "generation.generate_ids": _generate_ids,
    "metrics.detect_loop": _detect_loop,
}
