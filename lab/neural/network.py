"""The recurrent language model: embedding -> RNN/GRU/LSTM -> linear (Exercise 3).

One module serves word and character models alike; only the vocabulary
size and the :class:`~lab.neural.config.ModelConfig` differ. Shapes follow
``nn.LSTM``'s default (time first): inputs ``(T, B)``, logits ``(T, B, V)``.

For large vocabularies :class:`AdaptiveRNNLanguageModel` swaps the output
layer for an adaptive softmax (Grave et al. 2017) and keeps the rest of
Exercise 3's network as it is: at V = 10,000 the ``hidden x V`` output
product is most of a word LSTM's training cost, and the adaptive layer
makes each token pay for a head of frequent words and, for a rare target,
one smaller tail cluster (``benchmarks/adaptive_softmax.py`` measures it).
Scores and samples stay exact: its forward returns the full
log-probabilities, which every consumer of logits reads unchanged (a
softmax of log-probabilities is the distribution itself).
"""

from __future__ import annotations

import contextlib
import warnings
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import TypeAlias

import torch
from safetensors import safe_open
from torch import Tensor, nn

from lab.limits import built_in_memory, check_network_size
from lab.neural.config import ModelConfig

# LSTMs carry (h, c); GRUs and vanilla RNNs carry h alone.
Hidden: TypeAlias = Tensor | tuple[Tensor, Tensor]

_CELLS: dict[str, Callable[..., nn.RNNBase]] = {"lstm": nn.LSTM, "gru": nn.GRU, "rnn": nn.RNN}


class LanguageModel(nn.Module):
    """What the loops of this package ask of a network: ``forward(tokens (T, B), state)
    -> (logits (T, B, V), state)``, ``None`` meaning a fresh state, and that fresh state
    (:meth:`init_hidden`). The LSTM below is one; the transformer of
    :mod:`lab.transformer.model` (whose state is the context window) is another."""

    def init_hidden(self, batch_size: int) -> Hidden:
        raise NotImplementedError


class RNNLanguageModel(LanguageModel):
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
        tensors (two separate tensors, not one shared twice), with the
        device and dtype of the embedding's weight (every model has one; the
        adaptive model below has no ``decoder`` weight).
        """
        # BEGIN SOLUTION
        weight = self.embedding.weight
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


#: Below this vocabulary size ``adaptive_softmax="auto"`` keeps the full softmax: the
#: output layer is then a small part of the step (benchmarks/adaptive_softmax.py).
AUTO_MIN_VOCAB = 5_000

#: The head's size for mid-sized vocabularies (see :func:`adaptive_cutoffs`).
HEAD_WORDS = 500


def adaptive_cutoffs(vocab_size: int) -> list[int]:
    """Cluster boundaries from the vocabulary size: a head of
    ``max(V // 20, min(V // 5, HEAD_WORDS))`` words, then a first tail up to four
    times that (at most 60% of V), then the rest: [500, 2000] at V = 10k.

    Why this head: trained on the same tokens from the same seed, then scored
    exactly on held-out text, the 2x200 LSTM with a 5% head reached 0.84-0.85x
    the full softmax's perplexity on PTB (V = 10k; after 100k and 600k tokens)
    and 0.65-0.83x on Moby-Dick (V = 9.7k); 10% reached 0.97x and 20% (the
    first rule) 0.99-1.07x. The frequent words, most of the targets, get a
    full-rank output and most of the updates; rare words share low-rank
    clusters. A small vocabulary keeps 20%, or its head would hold too few words.

    >>> adaptive_cutoffs(10_000), adaptive_cutoffs(300), adaptive_cutoffs(33_278)
    ([500, 2000], [60, 180], [1663, 6652])
    """
    head = max(vocab_size // 20, min(vocab_size // 5, HEAD_WORDS))
    tail = min(4 * head, 3 * vocab_size // 5)
    return sorted({c for c in (head, tail) if 0 < c < vocab_size - 1})


def saved_cutoffs(weights: Path, vocab_size: int) -> list[int] | None:
    """The cutoffs of the adaptive layer stored in a ``weights.safetensors``, read from
    its tensor shapes (the header only); ``None`` for a full-softmax, unreadable or
    inconsistent file (then loading the weights fails with the reason).

    Loading builds the layer from these, not from :func:`adaptive_cutoffs`, so a run
    keeps loading to identical scores whatever rule trained it (runs saved before
    the rule changed used 20% and 60% of the vocabulary)."""
    try:
        with safe_open(str(weights), framework="pt") as f:
            keys = set(f.keys())
            if "adaptive.head.weight" not in keys:
                return None
            head = f.get_slice("adaptive.head.weight").get_shape()[0]
            sizes: list[int] = []
            while f"adaptive.tail.{len(sizes)}.1.weight" in keys:
                sizes.append(f.get_slice(f"adaptive.tail.{len(sizes)}.1.weight").get_shape()[0])
    except Exception:  # corrupt or hostile: load_model reports it in one line
        return None
    cutoffs = [head - len(sizes)]
    for size in sizes:
        cutoffs.append(cutoffs[-1] + size)
    valid = cutoffs[0] > 0 and cutoffs[-1] == vocab_size and cutoffs == sorted(set(cutoffs))
    return cutoffs[:-1] if valid and len(cutoffs) > 1 else None


def uses_adaptive(config: ModelConfig, vocab_size: int) -> bool:
    """Whether a model of this shape gets the adaptive softmax: always with ``"on"``;
    with ``"auto"`` for untied models of at least :data:`AUTO_MIN_VOCAB` tokens
    (tying needs the full output matrix, and on a book-sized corpus it is worth
    more than the speed)."""
    auto = not config.tie_weights and vocab_size >= AUTO_MIN_VOCAB
    return config.adaptive_softmax == "on" or (config.adaptive_softmax == "auto" and auto)


def build_model(
    vocab_size: int,
    config: ModelConfig,
    device: torch.device | None = None,
    cutoffs: list[int] | None = None,
) -> RNNLanguageModel:
    """The network for ``config`` over ``vocab_size`` ids, with the output layer it
    calls for (an adaptive one split at ``cutoffs``, by default
    :func:`adaptive_cutoffs`), on ``device``; one line (an :class:`OptionError`, not a crash log)
    when the machine cannot hold it (``--hidden-dim 1000000000``, or a
    ``config.json`` saying so)."""
    shape = (config.embedding_dim, config.hidden_dim, config.num_layers)
    check_network_size(vocab_size, *shape, tied=config.tie_weights)  # before any allocation
    what = (
        f"a network with embedding_dim {config.embedding_dim}, hidden_dim {config.hidden_dim}, "
        f"num_layers {config.num_layers} and {vocab_size:,} tokens"
    )
    with built_in_memory(what, device):
        if uses_adaptive(config, vocab_size):
            return AdaptiveRNNLanguageModel(vocab_size, config, cutoffs).to(device)
        return RNNLanguageModel(vocab_size, config).to(device)


class AdaptiveRNNLanguageModel(RNNLanguageModel):
    """:class:`RNNLanguageModel` with an adaptive-softmax output layer.

    >>> m = AdaptiveRNNLanguageModel(100, ModelConfig(embedding_dim=8, hidden_dim=8,
    ...     tie_weights=False, adaptive_softmax="on"))
    >>> logp, _ = m(torch.zeros(5, 3, dtype=torch.long))
    >>> tuple(logp.shape), round(float(logp.exp().sum(-1).mean()), 5)
    ((5, 3, 100), 1.0)
    """

    def __init__(
        self, vocab_size: int, config: ModelConfig, cutoffs: list[int] | None = None
    ) -> None:
        if config.tie_weights:
            raise ValueError("the adaptive softmax cannot tie weights: pass --no-tie-weights")
        super().__init__(vocab_size, config)
        # The adaptive head replaces the full output matrix; with an identity in its
        # place Exercise 3's forward returns the RNN's dropped-out output (T, B, H).
        self.decoder = nn.Identity()  # type: ignore[assignment]
        self.adaptive = nn.AdaptiveLogSoftmaxWithLoss(
            config.hidden_dim,
            vocab_size,
            adaptive_cutoffs(vocab_size) if cutoffs is None else cutoffs,
            div_value=4.0,
        )

    def forward(
        self, tokens: Tensor, hidden: Hidden | None = None, targets: Tensor | None = None
    ) -> tuple[Tensor, Hidden]:
        """Exact log-probabilities ``(T, B, V)``; with ``targets`` ``(T, B)``, the mean
        training loss instead, computed through the head and the targets' clusters only
        (through ``forward`` so that DistributedDataParallel sees it)."""
        output, hidden = super().forward(tokens, hidden)
        flat = output.reshape(-1, output.size(-1))
        if targets is not None:
            return self.adaptive(flat, targets.reshape(-1)).loss, hidden
        return self.adaptive.log_prob(flat).view(*output.shape[:2], -1), hidden


@contextlib.contextmanager
def step_decoding() -> Iterator[None]:
    """Disable oneDNN for batch-1 / step-by-step RNN work: its LSTM is several
    times slower there (``benchmarks/decoding_speed.py`` measured 1.9x at batch 1
    and 2.8x at batch 15 on a 2-core CPU). Silences the harmless TF32 notice
    torch prints when the flag is toggled. Scoring uses it too, so a reloaded
    checkpoint reproduces its validation figure with the same kernels."""
    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", message="TF32 acceleration on top of oneDNN")
        with torch.backends.mkldnn.flags(enabled=False):
            yield
