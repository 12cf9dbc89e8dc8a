"""A small decoder-only transformer (GPT), read top-down from its parts to the whole.

Where the LSTM of :mod:`lab.neural.network` squeezes everything it has read
into a fixed-size state, a transformer keeps the tokens themselves: each
position *attends* to every earlier position of its window, weighting them
by how well its query matches their keys, and mixes their values. Nothing is
carried from step to step but the text, so what it can use is exactly its
context window (``block_size`` tokens), no more and no less.

The parts, as in GPT-2 and nanoGPT's ``model.py``:

* :class:`CausalSelfAttention`: queries, keys and values from one linear
  map, split among heads; ``scaled_dot_product_attention`` with a causal mask
  (a position never sees the future); the heads joined and projected back.
* :class:`MLP`: per position, widen 4x, GELU, project back.
* :class:`Block`: pre-norm residual block, ``x + attn(ln(x))`` then
  ``x + mlp(ln(x))``: the residual stream keeps a clean path for gradients.
* :class:`TransformerLanguageModel`: token embedding + learned position
  embedding, the blocks, a final norm, and the output layer, which is the
  embedding matrix itself (tied).

Shapes outside follow the rest of the package (time first): tokens ``(T, B)``,
logits ``(T, B, V)`` (inside, the blocks work batch first, as attention wants), so the LSTM's training step, training loop, scoring
and decoding loop (the lab's Exercises 4 to 8) run this model unchanged.
Its "state" is the last ``block_size - 1`` tokens read: generating one token
reads them again with the new one (no cache: the learned positions move
when the window slides), and a text longer than the window is read in
overlapping windows, each scoring only its second half (see
:meth:`TransformerLanguageModel.forward`).
"""

from __future__ import annotations

import math

import torch
from torch import Tensor, nn
from torch.nn import functional as F

from lab.limits import built_in_memory
from lab.neural.network import Hidden, LanguageModel
from lab.transformer.config import TransformerShape


class CausalSelfAttention(nn.Module):
    """Multi-head self-attention over a window, each position seeing only itself and
    the positions before it."""

    def __init__(self, shape: TransformerShape) -> None:
        super().__init__()
        width = shape.embedding_dim
        self.num_heads, self.dropout = shape.num_heads, shape.dropout
        self.qkv = nn.Linear(width, 3 * width, bias=False)  # queries, keys, values at once
        self.proj = nn.Linear(width, width, bias=False)
        self.residual_dropout = nn.Dropout(shape.dropout)

    def forward(self, x: Tensor) -> Tensor:
        """``(B, T, C)`` -> ``(B, T, C)``."""
        batch, steps, width = x.shape
        # (B, T, 3C) -> three (B, heads, T, C / heads): attention runs per batch row and head.
        q, k, v = (
            t.view(batch, steps, self.num_heads, width // self.num_heads).transpose(1, 2)
            for t in self.qkv(x).split(width, dim=2)
        )
        # softmax(q k^T / sqrt(d) + causal mask) v, by PyTorch's fused kernel.
        y = F.scaled_dot_product_attention(
            q, k, v, dropout_p=self.dropout if self.training else 0.0, is_causal=True
        )
        y = y.transpose(1, 2).reshape(batch, steps, width)  # heads side by side again
        return self.residual_dropout(self.proj(y))


class MLP(nn.Module):
    """The per-position feed-forward part: where most of the parameters live."""

    def __init__(self, shape: TransformerShape) -> None:
        super().__init__()
        self.fc = nn.Linear(shape.embedding_dim, 4 * shape.embedding_dim, bias=False)
        self.proj = nn.Linear(4 * shape.embedding_dim, shape.embedding_dim, bias=False)
        self.residual_dropout = nn.Dropout(shape.dropout)

    def forward(self, x: Tensor) -> Tensor:
        return self.residual_dropout(self.proj(F.gelu(self.fc(x))))


class Block(nn.Module):
    """One pre-norm transformer block: attention mixes positions, the MLP transforms
    each; both add to the residual stream rather than replace it."""

    def __init__(self, shape: TransformerShape) -> None:
        super().__init__()
        self.ln_attn = nn.LayerNorm(shape.embedding_dim, bias=False)
        self.attn = CausalSelfAttention(shape)
        self.ln_mlp = nn.LayerNorm(shape.embedding_dim, bias=False)
        self.mlp = MLP(shape)

    def forward(self, x: Tensor) -> Tensor:
        x = x + self.attn(self.ln_attn(x))
        return x + self.mlp(self.ln_mlp(x))


class SlidingWindowModel(LanguageModel):
    """A network that reads at most ``block_size`` tokens at once (learned positions), with
    the state the package's loops carry being the last ``block_size - 1`` tokens read: the
    transformer below, and a pretrained causal LM (:mod:`lab.gpt2.network`). A subclass
    supplies :meth:`window_logits` and ``block_size``."""

    block_size: int

    def window_logits(self, tokens: Tensor, keep: int | None = None) -> Tensor:
        """Logits ``(T, B, V)`` for one window of at most ``block_size`` tokens ``(T, B)``,
        each position seeing only the window's tokens up to itself; with ``keep``, those
        of the last ``keep`` positions only (the others need no output layer)."""
        raise NotImplementedError

    def forward(self, tokens: Tensor, hidden: Hidden | None = None) -> tuple[Tensor, Tensor]:
        """Logits ``(T, B, V)`` for ``tokens`` ``(T, B)`` read after the context
        ``hidden`` (``(C, B)`` token ids, ``C < block_size``; ``None``: nothing before),
        and the new context: the last ``block_size - 1`` tokens read.

        Within one window every position sees everything before it. When the
        context and the tokens are longer than a window, the text is read in
        windows that overlap by half: each scores the tokens of its second half
        (the first window all of its own), so every token after the first window
        is predicted from at least ``block_size / 2`` tokens before it. Generating
        one token at a time after a full context sees exactly the last
        ``block_size`` tokens: the window slides.
        """
        if isinstance(hidden, tuple):
            raise TypeError("a transformer's state is a tensor of token ids")
        text = tokens if hidden is None else torch.cat([hidden, tokens])
        block = self.block_size
        stride = max(1, block // 2)
        pieces, start = [], text.size(0) - tokens.size(0)  # the first position to score
        while start < text.size(0):
            end = min(text.size(0), max(start + stride, block))
            first = max(0, end - block)  # the window [first, end) holds at most block tokens
            pieces.append(self.window_logits(text[first:end], keep=end - start))
            start = end
        context = text[max(0, text.size(0) - (block - 1)) :]
        return torch.cat(pieces) if len(pieces) > 1 else pieces[0], context

    def init_hidden(self, batch_size: int) -> Tensor:
        """No context yet: ``(0, batch_size)`` token ids."""
        device = next(self.parameters()).device
        return torch.zeros((0, batch_size), dtype=torch.long, device=device)


class TransformerLanguageModel(SlidingWindowModel):
    """Predicts the next token at every position, from at most ``block_size`` tokens.

    >>> m = TransformerLanguageModel(10, TransformerShape(embedding_dim=8, num_heads=2,
    ...     num_layers=1, block_size=4))
    >>> logits, context = m(torch.zeros(6, 3, dtype=torch.long))  # longer than the window
    >>> tuple(logits.shape), tuple(context.shape)
    ((6, 3, 10), (3, 3))
    """

    def __init__(self, vocab_size: int, shape: TransformerShape) -> None:
        super().__init__()
        self.shape, self.vocab_size = shape, vocab_size
        self.block_size = shape.block_size
        self.token_embedding = nn.Embedding(vocab_size, shape.embedding_dim)
        self.position_embedding = nn.Embedding(shape.block_size, shape.embedding_dim)
        self.embedding_dropout = nn.Dropout(shape.dropout)
        self.blocks = nn.ModuleList(Block(shape) for _ in range(shape.num_layers))
        self.ln_out = nn.LayerNorm(shape.embedding_dim, bias=False)
        # No output matrix of its own: the logits are the final states' dot products with
        # every token's embedding (tied weights, Press & Wolf 2017), one matrix in and out.
        self._init_gpt2_weights()

    def _init_gpt2_weights(self) -> None:
        # GPT-2's: N(0, 0.02) everywhere, and the layers that write into the residual
        # stream scaled down by sqrt(2 * layers), so the stream's variance does not grow
        # with depth.
        for name, p in self.named_parameters():
            if p.dim() == 2:
                std = 0.02 / math.sqrt(2 * self.shape.num_layers) if "proj" in name else 0.02
                nn.init.normal_(p, 0.0, std)

    def window_logits(self, tokens: Tensor, keep: int | None = None) -> Tensor:
        """Logits ``(T, B, V)`` for one window of at most ``block_size`` tokens ``(T, B)``,
        each position seeing only the window's tokens up to itself (the last ``keep``)."""
        positions = torch.arange(tokens.size(0), device=tokens.device)
        # Batch first inside, (B, T, C), so that each row's positions lie side by side
        # for attention; the logits come out time first, as every loop here reads them.
        x = self.token_embedding(tokens.t()) + self.position_embedding(positions)
        x = self.embedding_dropout(x)
        for block in self.blocks:
            x = block(x)
        x = self.ln_out(x).transpose(0, 1)
        return F.linear(x if keep is None else x[x.size(0) - keep :], self.token_embedding.weight)


def build_transformer(
    vocab_size: int, shape: TransformerShape, device: torch.device | None = None
) -> TransformerLanguageModel:
    """The network for ``shape`` over ``vocab_size`` ids, on ``device``; one line (an
    :class:`OptionError`) when the machine cannot hold it."""
    what = (
        f"a transformer {shape.embedding_dim} wide with {shape.num_layers} blocks and "
        f"{vocab_size:,} tokens"
    )
    with built_in_memory(what, device):
        return TransformerLanguageModel(vocab_size, shape).to(device)
