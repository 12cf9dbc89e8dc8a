"""Step-by-step decoding speed with oneDNN (mkldnn) on and off.

oneDNN's LSTM was measured ~4x slower for batch-1 step decoding on a 2-core EPYC; this
checks the claim on this machine with our model and prints the ratio, which
is why :meth:`lab.neural.generators.RNNGenerator.generate` disables it.
"""

from __future__ import annotations

import time

import torch

from lab.neural.config import ModelConfig
from lab.neural.network import RNNLanguageModel


def tokens_per_second(model: RNNLanguageModel, batch: int, steps: int, mkldnn: bool) -> float:
    token = torch.zeros(1, batch, dtype=torch.long)
    with torch.inference_mode(), torch.backends.mkldnn.flags(enabled=mkldnn):
        _, hidden = model(token)
        start = time.perf_counter()
        for _ in range(steps):
            logits, hidden = model(token, hidden)
            token = logits[-1].argmax(-1).view(1, -1)
        return batch * steps / (time.perf_counter() - start)


def main() -> None:
    torch.manual_seed(0)
    model = RNNLanguageModel(
        80, ModelConfig(embedding_dim=64, hidden_dim=256, num_layers=2, tie_weights=False)
    ).eval()
    print(f"torch {torch.__version__}, {torch.get_num_threads()} threads, char LSTM 2x256")
    for batch in (1, 15):
        on = tokens_per_second(model, batch, 400, mkldnn=True)
        off = tokens_per_second(model, batch, 400, mkldnn=False)
        print(
            f"batch {batch:2d}: oneDNN on {on:8.0f} tok/s | off {off:8.0f} tok/s | off/on = {off / on:.2f}x"
        )


if __name__ == "__main__":
    main()
