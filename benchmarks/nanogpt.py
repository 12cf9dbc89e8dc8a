"""nanoGPT's GPT and its training loop, re-implemented as the reference of
``benchmarks/transformer.py`` (benchmarks only; the product never imports this).

After Andrej Karpathy's nanoGPT (https://github.com/karpathy/nanoGPT, ``model.py`` and
``train.py``; MIT licence, Copyright (c) 2022 Andrej Karpathy), written here from its
structure rather than copied: batch-first ``(B, T, C)``, a LayerNorm with optional bias,
fused q/k/v (``c_attn``), ``scaled_dot_product_attention`` with ``is_causal=True``, a
4x GELU MLP, pre-norm blocks, tied ``wte``/``lm_head``, GPT-2's init (N(0, 0.02), the
``c_proj`` weights scaled by ``1/sqrt(2 n_layer)``), the loss computed inside ``forward``,
AdamW with weight decay on 2-D parameters only, and ``train.py``'s random-window
``get_batch``, warmup-then-cosine learning rate, gradient clipping and ``estimate_loss``.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass

import torch
from torch import Tensor, nn
from torch.nn import functional as F


@dataclass
class GPTConfig:
    block_size: int = 64
    vocab_size: int = 65
    n_layer: int = 4
    n_head: int = 4
    n_embd: int = 128
    dropout: float = 0.0
    bias: bool = False


class LayerNorm(nn.Module):
    def __init__(self, ndim: int, bias: bool) -> None:
        super().__init__()
        self.weight = nn.Parameter(torch.ones(ndim))
        self.bias = nn.Parameter(torch.zeros(ndim)) if bias else None

    def forward(self, x: Tensor) -> Tensor:
        return F.layer_norm(x, self.weight.shape, self.weight, self.bias, 1e-5)


class CausalSelfAttention(nn.Module):
    def __init__(self, config: GPTConfig) -> None:
        super().__init__()
        self.c_attn = nn.Linear(config.n_embd, 3 * config.n_embd, bias=config.bias)
        self.c_proj = nn.Linear(config.n_embd, config.n_embd, bias=config.bias)
        self.resid_dropout = nn.Dropout(config.dropout)
        self.n_head, self.n_embd, self.dropout = config.n_head, config.n_embd, config.dropout

    def forward(self, x: Tensor) -> Tensor:
        b, t, c = x.size()
        q, k, v = self.c_attn(x).split(self.n_embd, dim=2)
        k = k.view(b, t, self.n_head, c // self.n_head).transpose(1, 2)
        q = q.view(b, t, self.n_head, c // self.n_head).transpose(1, 2)
        v = v.view(b, t, self.n_head, c // self.n_head).transpose(1, 2)
        y = F.scaled_dot_product_attention(
            q, k, v, attn_mask=None, dropout_p=self.dropout if self.training else 0, is_causal=True
        )
        y = y.transpose(1, 2).contiguous().view(b, t, c)
        return self.resid_dropout(self.c_proj(y))


class MLP(nn.Module):
    def __init__(self, config: GPTConfig) -> None:
        super().__init__()
        self.c_fc = nn.Linear(config.n_embd, 4 * config.n_embd, bias=config.bias)
        self.gelu = nn.GELU()
        self.c_proj = nn.Linear(4 * config.n_embd, config.n_embd, bias=config.bias)
        self.dropout = nn.Dropout(config.dropout)

    def forward(self, x: Tensor) -> Tensor:
        return self.dropout(self.c_proj(self.gelu(self.c_fc(x))))


class Block(nn.Module):
    def __init__(self, config: GPTConfig) -> None:
        super().__init__()
        self.ln_1 = LayerNorm(config.n_embd, bias=config.bias)
        self.attn = CausalSelfAttention(config)
        self.ln_2 = LayerNorm(config.n_embd, bias=config.bias)
        self.mlp = MLP(config)

    def forward(self, x: Tensor) -> Tensor:
        x = x + self.attn(self.ln_1(x))
        return x + self.mlp(self.ln_2(x))


class GPT(nn.Module):
    def __init__(self, config: GPTConfig) -> None:
        super().__init__()
        self.config = config
        self.transformer = nn.ModuleDict(
            {
                "wte": nn.Embedding(config.vocab_size, config.n_embd),
                "wpe": nn.Embedding(config.block_size, config.n_embd),
                "drop": nn.Dropout(config.dropout),
                "h": nn.ModuleList([Block(config) for _ in range(config.n_layer)]),
                "ln_f": LayerNorm(config.n_embd, bias=config.bias),
            }
        )
        self.lm_head = nn.Linear(config.n_embd, config.vocab_size, bias=False)
        self.transformer.wte.weight = self.lm_head.weight
        self.apply(self._init_weights)
        for pn, p in self.named_parameters():
            if pn.endswith("c_proj.weight"):
                nn.init.normal_(p, mean=0.0, std=0.02 / math.sqrt(2 * config.n_layer))

    def _init_weights(self, module: nn.Module) -> None:
        if isinstance(module, nn.Linear):
            nn.init.normal_(module.weight, mean=0.0, std=0.02)
            if module.bias is not None:
                nn.init.zeros_(module.bias)
        elif isinstance(module, nn.Embedding):
            nn.init.normal_(module.weight, mean=0.0, std=0.02)

    def forward(self, idx: Tensor, targets: Tensor | None = None) -> tuple[Tensor, Tensor | None]:
        t = idx.size(1)
        pos = torch.arange(0, t, dtype=torch.long, device=idx.device)
        x = self.transformer.drop(self.transformer.wte(idx) + self.transformer.wpe(pos))
        for block in self.transformer.h:
            x = block(x)
        x = self.transformer.ln_f(x)
        if targets is not None:
            logits = self.lm_head(x)
            loss = F.cross_entropy(
                logits.view(-1, logits.size(-1)), targets.view(-1), ignore_index=-1
            )
            return logits, loss
        return self.lm_head(x[:, [-1], :]), None


def configure_optimizers(
    model: nn.Module, weight_decay: float, learning_rate: float, betas: tuple[float, float]
) -> torch.optim.AdamW:
    """AdamW, weight decay on every 2-D parameter (matmuls, embeddings) and none on the rest."""
    params = [p for p in model.parameters() if p.requires_grad]
    groups = [
        {"params": [p for p in params if p.dim() >= 2], "weight_decay": weight_decay},
        {"params": [p for p in params if p.dim() < 2], "weight_decay": 0.0},
    ]
    return torch.optim.AdamW(groups, lr=learning_rate, betas=betas)


@dataclass(frozen=True)
class TrainSettings:
    """``config/train_shakespeare_char.py`` with the README's CPU overrides."""

    batch_size: int = 12
    block_size: int = 64
    max_iters: int = 2000
    learning_rate: float = 1e-3
    min_lr: float = 1e-4
    warmup_iters: int = 100
    lr_decay_iters: int = 2000
    weight_decay: float = 0.1
    beta1: float = 0.9
    beta2: float = 0.99
    grad_clip: float = 1.0
    eval_interval: int = 250
    eval_iters: int = 20


def get_lr(it: int, s: TrainSettings) -> float:
    """Linear warmup, then cosine decay to ``min_lr`` at ``lr_decay_iters``."""
    if it < s.warmup_iters:
        return s.learning_rate * (it + 1) / (s.warmup_iters + 1)
    if it > s.lr_decay_iters:
        return s.min_lr
    ratio = (it - s.warmup_iters) / (s.lr_decay_iters - s.warmup_iters)
    return s.min_lr + 0.5 * (1.0 + math.cos(math.pi * ratio)) * (s.learning_rate - s.min_lr)


def get_batch(data: Tensor, s: TrainSettings, generator: torch.Generator) -> tuple[Tensor, Tensor]:
    """``batch_size`` random windows of ``data`` (1-D ids): inputs and next-token targets,
    ``(B, T)``."""
    ix = torch.randint(len(data) - s.block_size, (s.batch_size,), generator=generator)
    x = torch.stack([data[i : i + s.block_size] for i in ix.tolist()])
    y = torch.stack([data[i + 1 : i + 1 + s.block_size] for i in ix.tolist()])
    return x, y


LossOf = Callable[[Tensor, Tensor], Tensor]
"""``loss(x (B, T), y (B, T)) -> mean cross-entropy``: a model as ``estimate_loss`` sees it."""


@torch.no_grad()
def estimate_loss(
    model: nn.Module, loss_of: LossOf, data: Tensor, s: TrainSettings, generator: torch.Generator
) -> float:
    """``train.py``'s estimate: the mean loss of ``eval_iters`` random batches, eval mode."""
    model.eval()
    losses = [float(loss_of(*get_batch(data, s, generator))) for _ in range(s.eval_iters)]
    model.train()
    return sum(losses) / len(losses)


def nanogpt_step(
    model: GPT, optimizer: torch.optim.Optimizer, x: Tensor, y: Tensor, clip: float
) -> float:
    """One iteration of ``train.py`` (no gradient accumulation, fp32, no scaler)."""
    _, loss = model(x, y)
    assert loss is not None
    loss.backward()
    nn.utils.clip_grad_norm_(model.parameters(), clip)
    optimizer.step()
    optimizer.zero_grad(set_to_none=True)
    return loss.item()
