"""Inputs shared by the trusted process and the child: both build them from the same seeds, so
the test's expectation and the submission's answer start from the same model and data."""

from __future__ import annotations

from typing import Any

TINY_VOCAB, TINY_DIM = 7, 5
MARKOV_TEXT = """the cat sat
the cat ran
the dog sat
a dog ran
a dog ran
the zebra sat
the yak sat
the gnu sat
the emu sat
"""
MARKOV_WORDS = ("the", "sat", "dog", "ran", "a", "cat")  # zebra, yak, gnu, emu become <unk>


def tiny_rnn() -> Any:
    """A stand-in model for Exercise 4 (embedding -> tanh RNN -> linear), independent of
    Exercise 3's ``RNNLanguageModel``."""
    from torch import nn

    class TinyRNN(nn.Module):
        def __init__(self) -> None:
            super().__init__()
            self.embedding = nn.Embedding(TINY_VOCAB, TINY_DIM)
            self.rnn = nn.RNN(TINY_DIM, TINY_DIM)
            self.decoder = nn.Linear(TINY_DIM, TINY_VOCAB)

        def forward(self, x: Any, hidden: Any) -> tuple[Any, Any]:
            output, hidden = self.rnn(self.embedding(x), hidden)
            return self.decoder(output), hidden

    return TinyRNN()


def tiny_setup(seed: int, decoder_scale: float = 1.0) -> tuple[Any, Any, Any, Any, Any]:
    """``(model, x, y, hidden, previous_x)``, the same in every process for one seed."""
    import torch

    torch.manual_seed(seed)
    model = tiny_rnn()
    if decoder_scale != 1.0:
        with torch.no_grad():
            model.decoder.weight.mul_(decoder_scale)
    gen = torch.Generator().manual_seed(seed + 1)
    x = torch.randint(0, TINY_VOCAB, (4, 3), generator=gen)
    y = torch.randint(0, TINY_VOCAB, (4, 3), generator=gen)
    hidden = torch.randn(1, 3, TINY_DIM, generator=gen)
    previous_x = torch.randint(0, TINY_VOCAB, (3, 3), generator=gen)
    return model, x, y, hidden, previous_x


def seed_weights(model: Any, seed: int) -> Any:
    """Give every parameter of ``model`` values drawn from ``seed`` in name order, so two
    models with the same parameter names and shapes get the same weights, however their
    constructors created (and randomly initialised) them. Returns ``model``."""
    import torch

    gen = torch.Generator().manual_seed(seed)
    with torch.no_grad():
        for _, param in sorted(model.named_parameters()):
            param.copy_(torch.rand(param.shape, generator=gen, dtype=param.dtype) * 0.6 - 0.3)
    return model


def rnn_model(vocab: int, dim: int, dropout: float, seed: int, **config: Any) -> Any:
    """Exercise 3's model (the reference in this process, the submission's in the child),
    with weights from :func:`seed_weights`; ``config`` overrides other ``ModelConfig`` fields."""
    from lab.neural.config import ModelConfig
    from lab.neural.network import RNNLanguageModel

    options = {"embedding_dim": dim, "hidden_dim": dim, "num_layers": 1, "dropout": dropout}
    return seed_weights(RNNLanguageModel(vocab, ModelConfig(**{**options, **config})), seed)


def stand_in_lm(vocab: int, seed: int) -> Any:
    """A 2-layer LSTM language model for Exercise 8, independent of Exercise 3's
    ``RNNLanguageModel``: ``model(tokens (T, B), hidden=None) -> (logits, hidden)``."""
    from torch import nn

    class StandInLM(nn.Module):
        def __init__(self) -> None:
            super().__init__()
            self.embedding = nn.Embedding(vocab, 6)
            self.rnn = nn.LSTM(6, 6, num_layers=2)
            self.decoder = nn.Linear(6, vocab)

        def forward(self, tokens: Any, hidden: Any = None) -> tuple[Any, Any]:
            output, hidden = self.rnn(self.embedding(tokens), hidden)
            return self.decoder(output), hidden

    return seed_weights(StandInLM(), seed).eval()
