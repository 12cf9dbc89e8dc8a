"""The recurrent language model: embedding -> RNN/GRU/LSTM -> linear.

One module serves word and character models alike; only the vocabulary
size and the :class:`~lab.neural.config.ModelConfig` differ. Shapes follow
``nn.LSTM``'s default (time first): inputs ``(T, B)``, logits ``(T, B, V)``.
"""

from __future__ import annotations

from collections.abc import Callable

from torch import Tensor, nn

from lab.neural.config import ModelConfig

# LSTMs carry (h, c); GRUs and vanilla RNNs carry h alone.
Hidden = Tensor | tuple[Tensor, Tensor]

_CELLS: dict[str, Callable[..., nn.RNNBase]] = {"lstm": nn.LSTM, "gru": nn.GRU, "rnn": nn.RNN}


class RNNLanguageModel(nn.Module):
    """Predicts the next token at every position of a token stream.

    >>> import torch
    >>> m = RNNLanguageModel(vocab_size=10, config=ModelConfig(embedding_dim=8, hidden_dim=8))
    >>> logits, hidden = m(torch.zeros(5, 3, dtype=torch.long))
    >>> tuple(logits.shape)
    (5, 3, 10)
    """

    def __init__(self, vocab_size: int, config: ModelConfig) -> None:
        """Build the layers ``config`` describes for a vocabulary of ``vocab_size`` ids.

        The attribute names are part of the saved format (a run's weights are
        a ``state_dict`` keyed by them), so every model must use these:

        * ``config`` and ``vocab_size``: the arguments, kept;
        * ``drop``: ``nn.Dropout(config.dropout)``;
        * ``embedding``: ``nn.Embedding(vocab_size, config.embedding_dim)``;
        * ``rnn``: ``nn.LSTM``, ``nn.GRU`` or ``nn.RNN`` as ``config.cell``
          says (``"lstm"``, ``"gru"``, ``"rnn"``), from ``embedding_dim`` to
          ``hidden_dim`` with ``config.num_layers`` layers, time first, and
          dropout ``config.dropout`` between stacked layers (0 for one
          layer, where PyTorch would warn that it does nothing);
        * ``decoder``: ``nn.Linear(config.hidden_dim, vocab_size)``; with
          ``config.tie_weights`` its weight *is* the embedding's (one shared
          parameter, Press & Wolf 2017);

        then call ``self._init_weights()``.

        Exercise 3: build these layers.
        """
        # BEGIN SOLUTION
        super().__init__()
        self.config = config
        self.vocab_size = vocab_size
        self.drop = nn.Dropout(config.dropout)
        self.embedding = nn.Embedding(vocab_size, config.embedding_dim)
        # Dropout between stacked layers only exists for num_layers > 1.
        self.rnn = _CELLS[config.cell](
            config.embedding_dim,
            config.hidden_dim,
            num_layers=config.num_layers,
            dropout=config.dropout if config.num_layers > 1 else 0.0,
        )
        self.decoder = nn.Linear(config.hidden_dim, vocab_size)
        if config.tie_weights:
            self.decoder.weight = self.embedding.weight
        self._init_weights()
        # END SOLUTION

    def _init_weights(self) -> None:
        # Small uniform init as in Zaremba et al. 2014 / pytorch examples: keeps
        # the initial softmax close to uniform, so the first loss is ~ln(V).
        nn.init.uniform_(self.embedding.weight, -0.1, 0.1)
        nn.init.zeros_(self.decoder.bias)
        if not self.config.tie_weights:
            nn.init.uniform_(self.decoder.weight, -0.1, 0.1)

    def forward(self, tokens: Tensor, hidden: Hidden | None = None) -> tuple[Tensor, Hidden]:
        """Logits ``(T, B, V)`` for ``tokens`` ``(T, B)``, and the final hidden state.

        Exercise 3: embed, dropout, run the RNN from ``hidden`` (``None``
        means a zero state), dropout, decode to logits. The same ``drop``
        module serves both dropouts (it has no weights).
        """
        # BEGIN SOLUTION
        emb = self.drop(self.embedding(tokens))  # (T, B, E)
        output, hidden = self.rnn(emb, hidden)  # (T, B, H)
        return self.decoder(self.drop(output)), hidden
        # END SOLUTION

    def init_hidden(self, batch_size: int) -> Hidden:
        """A zero state for ``batch_size`` independent streams, on the model's device.

        Exercise 3: zeros of shape ``(num_layers, batch_size, hidden_dim)``
        for a GRU or plain RNN; for an LSTM the pair ``(h, c)`` of two such
        tensors (two separate tensors, not one shared twice).
        """
        # BEGIN SOLUTION
        weight = self.decoder.weight
        shape = (self.config.num_layers, batch_size, self.config.hidden_dim)
        h = weight.new_zeros(shape)
        return (h, weight.new_zeros(shape)) if self.config.cell == "lstm" else h
        # END SOLUTION


def detach_hidden(hidden: Hidden) -> Hidden:
    """Cut the graph at a BPTT window boundary but keep the state's values, so
    the next window starts where this one ended without backpropagating
    into the whole history."""
    if isinstance(hidden, Tensor):
        return hidden.detach()
    return (hidden[0].detach(), hidden[1].detach())


def count_parameters(model: nn.Module) -> int:
    """Trainable parameters, counting tied matrices once."""
    return sum(p.numel() for p in model.parameters() if p.requires_grad)
