"""Training throughput (fwd+bwd+step tokens/s) of the default word and char LSTMs.

Reference figures for the same shapes, measured by the course on a 2-core EPYC
(AVX2, torch 2.13 CPU, 2 threads): word 2x200, V~2.6k, 20x35: 8-9k tokens/s;
char 2x256, 64x100: typically 15k. Our defaults are printed beside a reference
shape measured in the same run, which is the ratio to read.
"""

from __future__ import annotations

import time

import torch
from torch import nn

from lab.neural.config import ModelConfig
from lab.neural.network import RNNLanguageModel


def throughput(vocab: int, config: ModelConfig, batch: int, bptt: int, steps: int = 20) -> float:
    torch.manual_seed(0)
    model = RNNLanguageModel(vocab, config)
    opt = torch.optim.Adam(model.parameters(), lr=1e-3)
    # Zipf-like targets: uniform ids would misrepresent a language model's softmax.
    weights = 1.0 / torch.arange(1, vocab + 1, dtype=torch.float)
    data = torch.multinomial(weights, (steps + 1) * batch * (bptt + 1), replacement=True)
    data = data.view(steps + 1, bptt + 1, batch)
    hidden = None
    for i in range(steps + 1):
        if i == 1:
            start = time.perf_counter()  # the first step warms up
        x, y = data[i, :-1], data[i, 1:]
        logits, hidden = model(x, hidden)
        hidden = tuple(h.detach() for h in hidden) if isinstance(hidden, tuple) else hidden.detach()
        loss = nn.functional.cross_entropy(logits.view(-1, vocab), y.reshape(-1))
        opt.zero_grad()
        loss.backward()
        nn.utils.clip_grad_norm_(model.parameters(), 0.5)
        opt.step()
    return steps * batch * bptt / (time.perf_counter() - start)


def main() -> None:
    print(f"torch {torch.__version__}, {torch.get_num_threads()} threads")
    word = throughput(1400, ModelConfig(embedding_dim=200, hidden_dim=200, num_layers=2), 20, 35)
    ref = throughput(2600, ModelConfig(embedding_dim=200, hidden_dim=200, num_layers=2), 20, 35)
    print(
        f"word 2x200 V=1.4k 20x35 (our default): {word:8.0f} tok/s; reference shape V=2.6k: {ref:8.0f} "
        f"(course reference 8-9k); ratio {word / ref:.2f}"
    )
    char = throughput(
        80, ModelConfig(embedding_dim=64, hidden_dim=256, num_layers=2, tie_weights=False), 32, 100
    )
    char_ref = throughput(
        80, ModelConfig(embedding_dim=64, hidden_dim=256, num_layers=2, tie_weights=False), 64, 100
    )
    print(
        f"char 2x256 32x100 (our default): {char:8.0f} tok/s; reference 64x100: {char_ref:8.0f} "
        f"(course reference typ. 15k); ratio {char / char_ref:.2f}"
    )


if __name__ == "__main__":
    main()
