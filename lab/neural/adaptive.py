"""Adaptive softmax (Grave et al. 2017) for word models with large vocabularies.

At V = 10,000 the output layer is most of a word LSTM's training cost: every
token pays for a ``hidden x V`` product. ``nn.AdaptiveLogSoftmaxWithLoss``
splits the vocabulary, sorted by frequency (as :class:`lab.text.vocabulary.Vocabulary`
orders its ids), into a head of frequent words and tail clusters reached
through the head; in training each token pays for the head and, for a rare
target, one smaller tail. ``benchmarks/adaptive_softmax.py`` measures the speed-up.

Scores and samples stay exact: :meth:`AdaptiveRNNLanguageModel.forward` returns
the full log-probabilities ``(T, B, V)``, which every consumer of logits (the
cross-entropy of scoring, temperature, top-k, top-p) reads unchanged, since a
softmax of log-probabilities is the distribution itself.
"""

from __future__ import annotations

import re
from pathlib import Path

import torch
from safetensors import safe_open
from torch import Tensor, nn

from lab.errors import OptionError
from lab.limits import check_network_size
from lab.neural.config import ModelConfig
from lab.neural.network import Hidden, RNNLanguageModel, detach_hidden

#: Below this vocabulary size ``adaptive_softmax="auto"`` keeps the full softmax: the
#: output layer is then a small part of the step (see benchmarks/adaptive_softmax.py).
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
    if config.adaptive_softmax == "on":
        return True
    return (
        config.adaptive_softmax == "auto"
        and not config.tie_weights
        and vocab_size >= AUTO_MIN_VOCAB
    )


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
    check_network_size(  # refused from its shape, before a byte is allocated
        vocab_size,
        config.embedding_dim,
        config.hidden_dim,
        config.num_layers,
        tied=config.tie_weights,
    )
    try:
        if uses_adaptive(config, vocab_size):
            return AdaptiveRNNLanguageModel(vocab_size, config, cutoffs).to(device)
        return RNNLanguageModel(vocab_size, config).to(device)
    except (MemoryError, RuntimeError) as exc:
        if not isinstance(exc, MemoryError) and not re.search("alloc|overflow", str(exc)):
            raise
        raise OptionError(
            f"a network with embedding_dim {config.embedding_dim}, hidden_dim "
            f"{config.hidden_dim}, num_layers {config.num_layers} and {vocab_size:,} tokens "
            f"does not fit in the memory of {device or 'cpu'}"
        ) from None


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
        del self.decoder  # the adaptive head replaces the full output matrix
        self.adaptive = nn.AdaptiveLogSoftmaxWithLoss(
            config.hidden_dim,
            vocab_size,
            adaptive_cutoffs(vocab_size) if cutoffs is None else cutoffs,
            div_value=4.0,
        )

    def features(self, tokens: Tensor, hidden: Hidden | None = None) -> tuple[Tensor, Hidden]:
        """The RNN's dropped-out output ``(T, B, H)`` and final state."""
        output, hidden = self.rnn(self.drop(self.embedding(tokens)), hidden)
        return self.drop(output), hidden

    def forward(
        self, tokens: Tensor, hidden: Hidden | None = None, targets: Tensor | None = None
    ) -> tuple[Tensor, Hidden]:
        """Exact log-probabilities ``(T, B, V)``; with ``targets`` ``(T, B)``, the mean
        training loss instead, computed through the head and the targets' clusters only
        (through ``forward`` so that DistributedDataParallel sees it)."""
        output, hidden = self.features(tokens, hidden)
        flat = output.reshape(-1, output.size(-1))
        if targets is not None:
            return self.adaptive(flat, targets.reshape(-1)).loss, hidden
        return self.adaptive.log_prob(flat).view(*output.shape[:2], -1), hidden

    def init_hidden(self, batch_size: int) -> Hidden:
        weight = self.embedding.weight
        shape = (self.config.num_layers, batch_size, self.config.hidden_dim)
        h = weight.new_zeros(shape)
        return (h, weight.new_zeros(shape)) if self.config.cell == "lstm" else h


def adaptive_train_step(
    net: nn.Module,
    x: Tensor,
    y: Tensor,
    hidden: Hidden,
    optimizer: torch.optim.Optimizer,
    clip: float,
) -> tuple[float, Hidden]:
    """:func:`lab.neural.training.train_step` for the adaptive model: the same
    detach, zero, forward, backward, clip and step, with the loss from the head."""
    hidden = detach_hidden(hidden)
    optimizer.zero_grad(set_to_none=True)
    loss, hidden = net(x, hidden, y)
    loss.backward()
    nn.utils.clip_grad_norm_(net.parameters(), clip)
    optimizer.step()
    return loss.item(), hidden
