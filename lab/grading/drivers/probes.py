"""Drivers that probe what the other drivers' calls cannot see: how a vocabulary reads its
tokens (Exercise 1), where the zero state lives and whether its tensors are separate
(Exercise 3), and a training step on a model whose state is an LSTM's ``(h, c)`` pair
(Exercise 4). Each class of wrong solution they catch once scored full marks."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

from .inputs import TINY_DIM, TINY_VOCAB
from .wire import submission

_FLOATS = ("float32", "float64")


def _vocab_build_once(tokens: list[str], **options: Any) -> Any:
    """Exercise 1: ``build`` from a one-shot stream (a generator, as over a file's tokens)."""

    def stream() -> Iterator[str]:
        yield from tokens

    vocab = submission("lab.text.vocabulary").Vocabulary.build(stream(), **options)
    return {"itos": list(vocab.itos)}


def _model(vocab: int, config: dict[str, Any]) -> Any:
    network = submission("lab.neural.network")
    config_module = submission("lab.neural.config")
    return network.RNNLanguageModel(vocab, config_module.ModelConfig(**config))


def _parts(state: Any) -> list[Any]:
    return list(state) if isinstance(state, tuple) else [state]


def _init_hidden_placement(
    vocab: int, config: dict[str, Any], batch: int, dtype: str, device: str
) -> Any:
    """Exercise 3: ``[dtype, device type, shape]`` of each tensor of the zero state of a model
    moved by ``model.to(device, dtype)``. The ``meta`` device stands for an accelerator on a
    CPU-only grader: tensors with a device and no data."""
    import torch

    if dtype not in _FLOATS or device not in ("cpu", "meta"):
        raise ValueError(f"unsupported placement {dtype} on {device}")
    model = _model(vocab, config).to(device=device, dtype=getattr(torch, dtype))
    return [
        [str(t.dtype).removeprefix("torch."), t.device.type, list(t.shape)]
        for t in _parts(model.init_hidden(batch))
    ]


def _init_hidden_write_first(vocab: int, config: dict[str, Any], batch: int) -> Any:
    """Exercise 3: write ones into the first tensor of the zero state, in place (as code that
    resets a finished row of a batch does), then sum every tensor: a second tensor that
    shares the first one's memory is written too."""
    parts = _parts(_model(vocab, config).init_hidden(batch))
    parts[0].fill_(1.0)
    return [float(t.sum()) for t in parts]


def tiny_lstm() -> Any:
    """A stand-in model for Exercise 4 whose state is an LSTM's ``(h, c)`` pair
    (embedding -> LSTM -> linear), independent of Exercise 3's ``RNNLanguageModel``."""
    from torch import nn

    class TinyLSTM(nn.Module):
        def __init__(self) -> None:
            super().__init__()
            self.embedding = nn.Embedding(TINY_VOCAB, TINY_DIM)
            self.rnn = nn.LSTM(TINY_DIM, TINY_DIM)
            self.decoder = nn.Linear(TINY_DIM, TINY_VOCAB)

        def forward(self, x: Any, hidden: Any) -> tuple[Any, Any]:
            output, hidden = self.rnn(self.embedding(x), hidden)
            return self.decoder(output), hidden

    return TinyLSTM()


def tiny_lstm_setup(seed: int) -> tuple[Any, Any, Any, tuple[Any, Any], Any]:
    """``(model, x, y, (h, c), previous_x)``, the same in every process for one seed."""
    import torch

    torch.manual_seed(seed)
    model = tiny_lstm()
    gen = torch.Generator().manual_seed(seed + 1)
    x = torch.randint(0, TINY_VOCAB, (4, 3), generator=gen)
    y = torch.randint(0, TINY_VOCAB, (4, 3), generator=gen)
    hidden = (
        torch.randn(1, 3, TINY_DIM, generator=gen),
        torch.randn(1, 3, TINY_DIM, generator=gen),
    )
    previous_x = torch.randint(0, TINY_VOCAB, (3, 3), generator=gen)
    return model, x, y, hidden, previous_x


def _train_step_lstm(seed: int, lr: float, clip: float) -> Any:
    """Exercise 4: one ``train_step`` on the LSTM stand-in, the ``(h, c)`` it is given still
    attached to the graph of the window before; returns the state and the parameters."""
    import torch

    train_step = submission("lab.neural.training").train_step
    model, x, y, hidden, previous_x = tiny_lstm_setup(seed)
    _, hidden = model(previous_x, hidden)
    optimizer = torch.optim.SGD(model.parameters(), lr=lr)
    loss, state = train_step(model, x, y, hidden, optimizer, clip=clip)
    return {"loss": loss, "state": _parts(state), "params": dict(model.named_parameters())}


DRIVERS: dict[str, Callable[..., Any]] = {
    "vocab.build_once": _vocab_build_once,
    "network.init_hidden_placement": _init_hidden_placement,
    "network.init_hidden_write_first": _init_hidden_write_first,
    "training.train_step_lstm": _train_step_lstm,
}
